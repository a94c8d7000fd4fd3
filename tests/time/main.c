/*
 * main.c - the time suite: the clock, timers, sleeps, deadlines, intervals, the virtual
 * clock and deterministic mode.
 *
 *     build/.../tests/time/suite [TEST...]
 */
#include "helpers.h"

#include <stdlib.h>
#include <time.h>

int run_on(const rt_config *config, void *(*fn)(void *), void *arg)
{
    rt_runtime *rt = rt_runtime_new(config);
    SL_CHECK_FATAL(rt != NULL, "could not create a runtime");
    int rc = rt_block_on(rt, fn, arg, NULL);
    rt_stats s;
    rt_runtime_stats(rt, &s);
    SL_CHECK(s.nspawned == s.nfinished,
             "%llu tasks spawned but only %llu finished when main returned",
             (unsigned long long)s.nspawned, (unsigned long long)s.nfinished);
    rt_runtime_free(rt);
    return rc;
}

int run_virtual(void *(*fn)(void *), void *arg)
{
    rt_config config = {.clock = RT_CLOCK_VIRTUAL};
    return run_on(&config, fn, arg);
}

int run_real(int nworkers, void *(*fn)(void *), void *arg)
{
    rt_config config = {.flavor = nworkers == 1 ? RT_CURRENT_THREAD : RT_MULTI_THREAD,
                        .nworkers = nworkers};
    return run_on(&config, fn, arg);
}

double wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static const sl_suite suites[] = {
    {"time_timers", time_timer_tests, 120},
    {"time_deterministic", time_deterministic_tests, 120},
    SL_SUITE_END,
};

int main(int argc, char **argv)
{
    return sl_main(argc, argv, suites);
}
