/*
 * rt_semaphore.h - a task-aware counting semaphore (tokio::sync::Semaphore's analog).
 *
 * Chapters: chapters/05-channels.md#limiting-connections (a bound on open connections),
 *           chapters/03-shared-state.md#task-aware-locks
 *
 * A pool of permits: acquire(n) takes n, parking the task while there are too few;
 * release(n) gives them back. Waiters are served strictly in arrival order (a big request
 * at the head holds up small ones behind it: no starvation). Closing the semaphore fails
 * every waiter and every later acquire with RT_ECLOSED: the way to tell an accept loop's
 * permit-waiters "we are shutting down".
 *
 * Typical use: at most N connections at once -
 *     if (rt_semaphore_acquire(limit, 1) == 0) { serve(conn); rt_semaphore_release(limit, 1); }
 * Errors: see rt_sync.h.
 */
#ifndef SPAWNLAB_RT_SEMAPHORE_H
#define SPAWNLAB_RT_SEMAPHORE_H

#include "rt_sync.h"

#include <stddef.h>

typedef struct rt_semaphore rt_semaphore;

/* A semaphore holding `permits` (name: for traces, not copied, may be NULL). NULL when
 * memory runs out. Never yields. Any thread. */
rt_semaphore *rt_semaphore_new(size_t permits, const char *name);
/* Frees it; no task may be waiting. NULL is ignored. Never yields. Any thread. */
void rt_semaphore_free(rt_semaphore *s);

/* Takes n permits, waiting in FIFO order until they are there. Returns 0, RT_ECLOSED,
 * RT_ECANCELED or RT_ETIMEDOUT (then nothing was taken). MAY YIELD. From a task. */
int rt_semaphore_acquire(rt_semaphore *s, size_t n);
/* Takes n permits if they are there and nobody waits: 0, RT_EWOULDBLOCK or RT_ECLOSED.
 * Never yields. Any thread. */
int rt_semaphore_try_acquire(rt_semaphore *s, size_t n);
/* Gives n permits (back); waiters at the head get them at once. Never yields. Any thread. */
void rt_semaphore_release(rt_semaphore *s, size_t n);
/* Closes it: waiters and later acquires fail with RT_ECLOSED (release still works).
 * Never yields. Any thread. */
void rt_semaphore_close(rt_semaphore *s);
/* Permits available now (a snapshot). Never yields. Any thread. */
size_t rt_semaphore_available(rt_semaphore *s);

#endif
