/*
 * rt_mutex.h - a task-aware mutex: may be held across yield points (tokio::sync::Mutex).
 *
 * Chapter: chapters/03-shared-state.md#task-aware-locks
 *
 * Which lock?
 *   - rt_blocking_mutex (rt_blocking_mutex.h): for short critical sections that never
 *     yield - look up a key, bump a counter. Cheapest; a waiting task blocks its worker
 *     thread for the few nanoseconds the holder needs.
 *   - rt_mutex (this one): when the lock must stay held across a yield point (a write to a
 *     socket, a channel send, a sleep). A waiting task parks and its worker runs others.
 *     It costs more, and every task queued behind a holder that waits also waits: prefer
 *     restructuring so that nothing yields under the lock.
 *   - under contention neither helps: shard the state (N locks, key -> shard), or hand the
 *     state to one task and send it messages (rt_mpsc.h + rt_oneshot.h).
 *
 * Fair: tasks get the lock in the order they asked for it (the unlocker hands it straight to
 * the first waiter). No owner thread: unlocking from another worker (the task moved) or
 * even another task is allowed. It is a semaphore of one permit (rt_semaphore.h).
 */
#ifndef SPAWNLAB_RT_MUTEX_H
#define SPAWNLAB_RT_MUTEX_H

#include "rt_sync.h"

#include <stdbool.h>

typedef struct rt_mutex rt_mutex;

/* An unlocked mutex (name: for traces, not copied, may be NULL); NULL when memory runs
 * out. Never yields. Any thread. */
rt_mutex *rt_mutex_new(const char *name);
/* Frees it; it must be unlocked with nobody waiting. NULL is ignored. Any thread. */
void rt_mutex_free(rt_mutex *m);

/* Locks, parking the task while another holds it. Returns 0 (locked), RT_ECANCELED or
 * RT_ETIMEDOUT (not locked). MAY YIELD. From a task. */
int rt_mutex_lock(rt_mutex *m);
/* Locks if free and nobody waits; true when it did. Never yields. Any thread. */
bool rt_mutex_try_lock(rt_mutex *m);
/* Unlocks; the first waiter (if any) now holds it. Never yields. Any thread. */
void rt_mutex_unlock(rt_mutex *m);

#endif
