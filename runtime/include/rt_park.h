/*
 * rt_park.h - park and wake: the one primitive every blocking call of the runtime is made of.
 *
 * Chapter: chapters/appendix-runtime.md#park-and-wake
 *
 * A task that must wait for something (a lock, a channel, a socket, a timer, another task)
 * *parks*: it stops running and its worker picks another task. Whoever makes the awaited
 * thing happen later *wakes* it, through a waker the task handed out before parking. This
 * is Tokio's Waker, made explicit. The protocol, used by join, locks, channels, timers:
 *
 *     lock the wait object (a short blocking lock)
 *     while (!condition) {
 *         rt_waker w = rt_park_prepare();   // 1. get a waker for *this* wait
 *         add w to the object's waiters      // 2. publish it
 *         unlock the wait object
 *         int rc = rt_park(RT_PARK_CHANNEL, object);  // 3. sleep (returns at once if
 *                                                     //    w was already used)
 *         lock the wait object
 *         if (rc != 0) {                     // cancelled or timed out: take our waker out
 *             if (removed w from the waiters) rt_waker_drop(w);
 *             unlock; return rc;
 *         }
 *     }
 *
 * and the other side: `lock; take a waiter w out; unlock; rt_wake(w);`.
 *
 * Guarantees that make this safe without further care:
 *   - a wake that arrives before the task reached rt_park is not lost (rt_park returns);
 *   - a waker belongs to one wait: used after that wait ended it does nothing (no spurious
 *     wake-ups of a later, unrelated wait);
 *   - rt_wake may be called from any thread, including threads outside the runtime;
 *   - rt_abort racing with a wake is safe: whichever comes first resumes the task, the other
 *     does nothing; a waker keeps its task's memory alive until it is used or dropped.
 * Each waker (and each clone) must be consumed exactly once: by rt_wake or rt_waker_drop.
 * If the task changes its mind after rt_park_prepare, it wakes itself (rt_wake) and parks:
 * rt_park then returns at once.
 */
#ifndef SPAWNLAB_RT_PARK_H
#define SPAWNLAB_RT_PARK_H

#include <stdint.h>

/* Why a task waits: shown by traces and by the shutdown check. */
typedef enum rt_park_reason {
    RT_PARK_YIELD = 0, /* rt_yield: runnable, just letting others go first */
    RT_PARK_JOIN,      /* rt_join: waiting for another task to finish */
    RT_PARK_LOCK,      /* a task-aware lock, semaphore or notify */
    RT_PARK_CHANNEL,   /* a channel, when the direction does not matter (a select, say) */
    RT_PARK_SEND,      /* a channel: waiting for room to send (the receiver makes it) */
    RT_PARK_RECV,      /* a channel: waiting for a value to receive (a sender brings it) */
    RT_PARK_IO,        /* a socket becoming readable or writable (the reactor) */
    RT_PARK_TIMER,     /* a sleep, an interval or a timeout */
    RT_PARK_OTHER,     /* anything else (tests, user-made primitives) */
} rt_park_reason;

/* "yield", "join", "lock", "channel", "send", "recv", "io", "timer", "other". */
const char *rt_park_reason_name(rt_park_reason reason);

/* A waker: who to wake and for which wait. A small value, copied freely (store it in a
 * wait queue); its fields are private - they are visible only so it can be embedded. */
typedef struct rt_waker {
    struct rt_task *task;
    uint64_t epoch; /* which of the task's waits this waker belongs to */
} rt_waker;

/* Begins a wait of the current task and returns a waker for it (holding a reference that
 * keeps the task's memory alive). Call rt_park before the task's next other yield point.
 * Never yields. From a task. */
rt_waker rt_park_prepare(void);

/* Parks the current task until the waker of its prepared wait is used (or the task is
 * aborted, or its deadline passes). Returns 0 when woken, RT_ECANCELED when the task has
 * been aborted, RT_ETIMEDOUT when the task's deadline (rt_time.h) passed first - in both
 * cases even if a wake came too: then check the wait object for a result you were
 * already given - or -ENOMEM when the deadline's timer could not be set (then the wait
 * simply ended: handle it like a timeout). object is the thing waited on, for traces (may
 * be NULL). MAY YIELD. From a task. */
int rt_park(rt_park_reason reason, const void *object);

/* Wakes the waker's task if it is still in that wait (else does nothing), and consumes
 * the waker. Never yields. Any thread. */
void rt_wake(rt_waker waker);

/* Consumes a waker without waking anyone (e.g. a cancelled waiter removed from a queue).
 * Never yields. Any thread. */
void rt_waker_drop(rt_waker waker);

/* A second waker for the same wait (e.g. to wait on several objects at once: the first to
 * fire wins, the others do nothing). Each copy must be consumed. Never yields. Any thread. */
rt_waker rt_waker_clone(rt_waker waker);

#endif
