/*
 * helpers.h - what the sync suite's files share.
 *
 * run_main() runs a main task on a fresh runtime (1 worker = current_thread, more =
 * multi_thread), checks that every task it spawned has finished, and frees it.
 *
 * Seeded interleavings, two kinds. The stress tests' own: each task calls chaos_yield()
 * between operations, which yields a seeded-random number of times (0-3), so every seed
 * gives a different interleaving on current_thread - repeatable - and a different one on
 * multi_thread. And the runtime's deterministic mode (run_main_seeded): the scheduler
 * itself picks the next task with a seeded PRNG, which reaches orders that FIFO run queues
 * never produce (a task woken last running first). The 100-seed stresses run under both.
 */
#ifndef SPAWNLAB_TESTS_SYNC_HELPERS_H
#define SPAWNLAB_TESTS_SYNC_HELPERS_H

#include "harness.h"
#include "rt.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

int run_main(int nworkers, void *(*fn)(void *), void *arg);
/* The same on a runtime made from config (its worker count is only for messages). */
int run_main_with(const rt_config *config, void *(*fn)(void *), void *arg);
/* current_thread on the virtual clock (rt_time.h): a 10 s timeout ends at once. */
int run_main_virtual(void *(*fn)(void *), void *arg);
/* Deterministic mode (rt.h: one worker, virtual clock, the next task picked by a PRNG
 * seeded with seed, which must not be 0): the same seed replays the same interleaving. */
int run_main_seeded(uint64_t seed, void *(*fn)(void *), void *arg);

extern const int worker_counts[];
enum { NWORKER_COUNTS = 3 };

/* ThreadSanitizer builds allow fewer live fibers and run slower. */

/* A small seeded generator (xorshift32); one per task, never shared. */
typedef struct chaos {
    uint32_t state;
} chaos;

chaos chaos_seed(uint32_t seed, uint32_t stream);
uint32_t chaos_next(chaos *c);
/* Yields 0-3 times (seeded). Returns rt_yield's error, if any. */
int chaos_yield(chaos *c);

/* Yields until *flag is at least n (another task's progress); gives up after many tries. */
void yield_until_at_least(_Atomic int *counter, int n);
/* Yields k times: on one worker, lets every runnable task run until it parks. */
void yield_times(int k);

/* Prints "SKIPPED: <why>" once per test and returns (the test passes). */
void sl_skip(const char *test, const char *why);

extern const sl_test sync_lock_tests[];
extern const sl_test sync_channel_tests[];
extern const sl_test sync_broadcast_tests[];
extern const sl_test sync_select_tests[];
extern const sl_test sync_select_arm_tests[]; /* test_select_arms.c: broadcast, watch, fds */
extern const sl_test sync_structured_tests[];
extern const sl_test sync_stress_tests[];
extern const sl_test sync_timeout_tests[]; /* test_timeouts.c: timed-out and cancelled paths */
extern const sl_test sync_signal_tests[];  /* test_signal.c: ctrl-c and SIGTERM */

#endif
