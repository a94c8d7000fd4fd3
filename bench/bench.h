/*
 * bench.h - what every benchmark program shares: a clock, a median, and the one line
 * format tools/bench.sh collects ("metric<TAB>value<TAB>unit" on stdout).
 *
 * Header-only (static functions): each bench/NAME/ folder is its own program, and this
 * keeps the Makefile's one-folder-one-program rule.
 */
#ifndef SPAWNLAB_BENCH_H
#define SPAWNLAB_BENCH_H

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* CLOCK_MONOTONIC in nanoseconds, as a double (differences of a few ns stay exact). */
static inline double bench_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static inline int bench_compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The median of n runs (sorts values in place). Medians, not means: one run disturbed by
 * the machine must not move the figure. */
static inline double bench_median(double *values, int n)
{
    qsort(values, (size_t)n, sizeof *values, bench_compare_doubles);
    return values[n / 2];
}

/* Prints one result line for tools/bench.sh; flushed, so a later crash keeps it. */
static inline void bench_report(const char *metric, double value, const char *unit)
{
    printf("%s\t%.1f\t%s\n", metric, value, unit);
    fflush(stdout);
}

#endif
