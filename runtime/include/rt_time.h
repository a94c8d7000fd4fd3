/*
 * rt_time.h - the runtime's clock, sleeps, deadlines and intervals.
 *
 * Chapters: chapters/appendix-runtime.md#timers (how timers work inside),
 *           chapters/appendix-runtime.md#the-virtual-clock (tests that sleep for free).
 *
 * All time goes through one clock per runtime, rt_now(): nanoseconds, counting up, with
 * an arbitrary origin (compare instants, never print them as dates). It is either
 *   - real: CLOCK_MONOTONIC (the default); or
 *   - virtual (rt_config.clock = RT_CLOCK_VIRTUAL, or deterministic mode, see rt.h): it
 *     starts at RT_VIRTUAL_EPOCH_NS and stands still while any task can run; when every
 *     task waits and no socket is ready, it jumps straight to the next timer. A test that
 *     sleeps 10 s then ends in microseconds, and timers fire in exactly the same order on
 *     every run - the analog of tokio::time::pause.
 *
 * Deadlines. Every task has one deadline (0 = none). While it is set, every blocking call
 * of the task - a sleep, a lock, a channel, a socket, a join - returns RT_ETIMEDOUT once
 * the deadline has passed instead of waiting on (the check happens where the call would
 * wait: a call that can complete at once does). That is how a timeout is put around any
 * piece of code:
 *
 *     int64_t saved = rt_timeout_begin(500 * RT_NS_PER_MS);
 *     int rc = rt_tcp_read(stream, buf, sizeof buf);   // RT_ETIMEDOUT after 500 ms
 *     rt_timeout_end(saved);
 *
 * Times are int64_t nanoseconds so that "deadline - now" may go negative without surprises.
 */
#ifndef SPAWNLAB_RT_TIME_H
#define SPAWNLAB_RT_TIME_H

#include "rt.h"

#include <stdint.h>

#define RT_NS_PER_US ((int64_t)1000)
#define RT_NS_PER_MS ((int64_t)1000000)
#define RT_NS_PER_S  ((int64_t)1000000000)

/* Where a virtual clock starts: not 0, so that 0 can always mean "no deadline". */
#define RT_VIRTUAL_EPOCH_NS RT_NS_PER_S

/* ------------------------------------------------------------ the clock */

/* The current runtime's clock (from a task, or from rt_spawn_blocking work); elsewhere,
 * CLOCK_MONOTONIC. Never yields. Any thread. */
int64_t rt_now(void);

/* rt's clock, for threads outside it. Never yields. Any thread. */
int64_t rt_runtime_now(rt_runtime *rt);

/* ------------------------------------------------------------ sleeping */

/* Parks the calling task until rt_now() >= deadline_ns. Returns 0 when the time came,
 * RT_ECANCELED when the task was aborted, RT_ETIMEDOUT when the task's own deadline (see
 * rt_deadline_set) comes first, or -ENOMEM. A deadline already past does not park, but is
 * still a yield point (rt_yield): a loop of zero sleeps lets the other tasks run.
 * MAY YIELD. From a task. */
int rt_sleep_until(int64_t deadline_ns);

/* rt_sleep_until(rt_now() + ns) and rt_sleep_until(rt_now() + ms * RT_NS_PER_MS).
 * MAY YIELD. From a task. */
int rt_sleep_ns(int64_t ns);
int rt_sleep_ms(int64_t ms);

/* ------------------------------------------------------------ deadlines */

/* The calling task's deadline (0: none). Never yields. From a task. */
int64_t rt_deadline_get(void);

/* Sets the calling task's deadline to deadline_ns (0: none) and returns the previous one,
 * so that the caller can put it back. Never yields. From a task. */
int64_t rt_deadline_set(int64_t deadline_ns);

/* A timeout around a piece of code: sets the deadline to rt_now() + timeout_ns unless the
 * current deadline is earlier (an inner timeout never extends an outer one), and returns
 * the previous deadline for rt_timeout_end, which restores it. Never yields. From a task. */
int64_t rt_timeout_begin(int64_t timeout_ns);
void rt_timeout_end(int64_t saved_deadline);

/* ------------------------------------------------------------ intervals */

/* A periodic tick (the analog of tokio::time::interval). Fields are private; the struct is
 * visible so that it can live on the caller's stack. */
typedef struct rt_interval {
    int64_t period_ns;
    int64_t next_ns; /* when the next tick is due */
} rt_interval;

/* Sets up an interval whose first tick is due now and then every period_ns (> 0) after.
 * Never yields. From a task (it reads the task's runtime clock). */
void rt_interval_init(rt_interval *interval, int64_t period_ns);

/* Waits for the next tick. Returns 0, RT_ECANCELED, RT_ETIMEDOUT (the task's deadline) or
 * -ENOMEM. Missed ticks are *skipped* (Tokio's MissedTickBehavior::Skip): if the caller
 * was so late that ticks went by, it gets one tick at once and the next one on the original
 * grid (start + k * period), never a burst of catch-up ticks. MAY YIELD. From a task. */
int rt_interval_tick(rt_interval *interval);

#endif
