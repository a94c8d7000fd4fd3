/*
 * helpers.h - what the time suite's files share.
 *
 * run_on(config, fn, arg) runs fn as the main task of a fresh runtime with that config,
 * checks that every task it spawned has finished, and frees the runtime - so no test
 * leaves a task (or a timer) behind.
 */
#ifndef SPAWNLAB_TESTS_TIME_HELPERS_H
#define SPAWNLAB_TESTS_TIME_HELPERS_H

#include "harness.h"
#include "rt.h"
#include "rt_park.h"
#include "rt_time.h"

#include <stdint.h>

/* Returns rt_block_on's code; records a failure if a task is still alive at the end. */
int run_on(const rt_config *config, void *(*fn)(void *), void *arg);

/* A virtual-clock runtime / a real-clock one with n workers (1: current_thread). */
int run_virtual(void *(*fn)(void *), void *arg);
int run_real(int nworkers, void *(*fn)(void *), void *arg);

/* Wall-clock milliseconds (CLOCK_MONOTONIC), to measure how long a test really took. */
double wall_ms(void);

/* ThreadSanitizer allows at most 8128 threads and fibers alive at once. */

extern const sl_test time_timer_tests[];
extern const sl_test time_deterministic_tests[];

#endif
