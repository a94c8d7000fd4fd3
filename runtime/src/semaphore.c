/*
 * semaphore.c - a FIFO semaphore that parks tasks; the mutex and the rwlock are built on it.
 *
 * Chapter: chapters/03-shared-state.md#task-aware-locks
 *
 * A semaphore holds permits. acquire(n) takes n of them, or queues the task until they
 * are there; release(n) gives n back and hands them straight to the waiters at the head
 * of the queue (handoff, see sync_internal.h). Strictly first come, first served: a waiter
 * that wants many permits holds up later ones that want few. That is what makes the locks
 * built on it fair: with permits = 1 it is a mutex, with permits = MAX_READERS it is a
 * rwlock whose writer takes them all - Tokio builds its Mutex and RwLock the same way.
 *
 * Why handoff, not "wake one and let it retry": a woken task may run much later, and a
 * newcomer would grab the permits first; a waiter could starve forever.
 */
#include "rt_semaphore.h"
#include "sync_internal.h"
#include "sync_trace.h"

#include <stdlib.h>

/* The most permits a semaphore may hold: far more than any program needs, far from
 * overflowing when release adds to it. */
#define SEM_MAX_PERMITS (SIZE_MAX / 4)

void sync_sem_init(struct sync_sem *s, size_t permits, size_t max_permits)
{
    RT_ASSERT(permits <= max_permits && max_permits <= SEM_MAX_PERMITS,
              "a semaphore of %zu permits is too large", permits);
    sync_lock_init(&s->lock);
    s->max_permits = max_permits;
    s->permits = permits;
    s->is_closed = false;
    s->waiters = (struct sync_waitq){0};
}

void sync_sem_destroy(struct sync_sem *s)
{
    RT_ASSERT(sync_waitq_is_empty(&s->waiters), "a lock or semaphore was freed while tasks "
                                                "were waiting for it");
    sync_lock_destroy(&s->lock);
}

/* Hands permits to the waiters at the head of the queue while they fit. Lock held. */
static void grant_waiters(struct sync_sem *s)
{
    while (s->waiters.head && s->waiters.head->count <= s->permits) {
        struct sync_waiter *w = s->waiters.head;
        sync_waitq_remove(&s->waiters, w);
        s->permits -= w->count;
        rt_wake(sync_waiter_finish(w, 0)); /* under the lock: w is ours only until unlock */
    }
}

int sync_sem_acquire(struct sync_sem *s, size_t n, const void *object)
{
    sync_lock_acquire(&s->lock);
    if (s->is_closed) {
        sync_lock_release(&s->lock);
        return RT_ECLOSED;
    }
    /* Only if nobody queues before us: taking permits past a waiter would starve it. */
    if (sync_waitq_is_empty(&s->waiters) && s->permits >= n) {
        s->permits -= n;
        sync_lock_release(&s->lock);
        sync_trace_lock_acquire(object);
        return 0;
    }
    sync_trace_lock_wait(object);
    struct sync_waiter w = {.count = n};
    int rc = sync_wait_handoff(&s->lock, &s->waiters, &w, RT_PARK_LOCK, object);
    if (rc == 0)
        rc = w.result;
    else
        grant_waiters(s); /* we may have been the head that held the others up */
    sync_lock_release(&s->lock);
    if (rc == 0)
        sync_trace_lock_acquire(object);
    return rc;
}

int sync_sem_try_acquire(struct sync_sem *s, size_t n)
{
    sync_lock_acquire(&s->lock);
    int rc = RT_EWOULDBLOCK;
    if (s->is_closed) {
        rc = RT_ECLOSED;
    } else if (sync_waitq_is_empty(&s->waiters) && s->permits >= n) {
        s->permits -= n;
        rc = 0;
    }
    sync_lock_release(&s->lock);
    return rc;
}

void sync_sem_release(struct sync_sem *s, size_t n, const char *what)
{
    sync_lock_acquire(&s->lock);
    RT_ASSERT(n <= s->max_permits - s->permits,
              "%s: released more than was taken (%zu + %zu > %zu)", what, s->permits, n,
              s->max_permits);
    s->permits += n;
    grant_waiters(s);
    sync_lock_release(&s->lock);
}

void sync_sem_close(struct sync_sem *s)
{
    sync_lock_acquire(&s->lock);
    s->is_closed = true;
    struct sync_waiter *w;
    while ((w = s->waiters.head)) {
        sync_waitq_remove(&s->waiters, w);
        rt_wake(sync_waiter_finish(w, RT_ECLOSED));
    }
    sync_lock_release(&s->lock);
}

size_t sync_sem_available(struct sync_sem *s)
{
    sync_lock_acquire(&s->lock);
    size_t permits = s->permits;
    sync_lock_release(&s->lock);
    return permits;
}

/* ------------------------------------------------------------ rt_semaphore */

struct rt_semaphore {
    struct sync_sem sem;
    const char *name;
};

rt_semaphore *rt_semaphore_new(size_t permits, const char *name)
{
    if (permits > SEM_MAX_PERMITS)
        return NULL;
    rt_semaphore *s = malloc(sizeof *s);
    if (!s)
        return NULL;
    sync_sem_init(&s->sem, permits, SEM_MAX_PERMITS);
    s->name = name;
    sync_trace_object(s, "semaphore", name);
    return s;
}

void rt_semaphore_free(rt_semaphore *s)
{
    if (!s)
        return;
    sync_sem_destroy(&s->sem);
    free(s);
}

int rt_semaphore_acquire(rt_semaphore *s, size_t n)
{
    return sync_sem_acquire(&s->sem, n, s);
}

int rt_semaphore_try_acquire(rt_semaphore *s, size_t n)
{
    int rc = sync_sem_try_acquire(&s->sem, n);
    if (rc == 0)
        sync_trace_lock_acquire(s);
    return rc;
}

void rt_semaphore_release(rt_semaphore *s, size_t n)
{
    sync_trace_lock_release(s);
    sync_sem_release(&s->sem, n, "rt_semaphore_release");
}

void rt_semaphore_close(rt_semaphore *s)
{
    sync_sem_close(&s->sem);
}

size_t rt_semaphore_available(rt_semaphore *s)
{
    return sync_sem_available(&s->sem);
}
