/*
 * helpers.h - what the runtime suite's files share.
 *
 * A runtime per test: run_main() builds one with a given number of workers (1 means the
 * current_thread flavor, more means multi_thread), runs a main task on it, checks that
 * every task it spawned has finished, and frees it - so no test leaves a task behind.
 *
 * A gate is the smallest useful wait object built on rt_park.h (the pattern every lock and
 * channel of the runtime follows): tasks wait until someone opens it.
 */
#ifndef SPAWNLAB_TESTS_RUNTIME_HELPERS_H
#define SPAWNLAB_TESTS_RUNTIME_HELPERS_H

#include "harness.h"
#include "rt.h"
#include "rt_blocking_mutex.h"
#include "rt_park.h"

#include <stdatomic.h>
#include <stddef.h>

/* Runs fn(arg) as the main task of a fresh runtime with nworkers workers and frees the
 * runtime; records a test failure if a task is still alive. Returns rt_block_on's code.
 * *stats (may be NULL) gets the runtime's counters just before it was freed. */
int run_main(int nworkers, void *(*fn)(void *), void *arg, rt_stats *stats);

/* ThreadSanitizer builds: each task is a TSan fiber, and TSan allows at most 8128 threads
 * and fibers alive at once. */

/* Does the environment say we run under qemu-user (tools/check-aarch64.sh sets it)? */
bool is_under_qemu(void);

struct gate {
    rt_blocking_mutex lock;
    bool is_open;      /* guarded by lock */
    rt_waker *waiters; /* guarded by lock */
    size_t nwaiters, capacity;
    _Atomic size_t nwaiting; /* tasks registered (for "wait until all parked") */
};

void gate_init(struct gate *g, size_t capacity);
void gate_destroy(struct gate *g);
/* Parks the calling task until the gate opens: 0, or RT_ECANCELED when aborted. */
int gate_wait(struct gate *g);
/* Opens the gate and wakes every waiter (any thread). */
void gate_open(struct gate *g);
/* From a task: yields until n tasks are waiting at the gate. */
void gate_await_waiters(struct gate *g, size_t n);

/* The tables of the suite's files. */
extern const sl_test runtime_task_tests[];
extern const sl_test runtime_park_tests[];
extern const sl_test runtime_check_tests[];

#endif
