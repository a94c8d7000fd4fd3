/*
 * rwlock.c - the reader-writer lock: a semaphore of MAX_READERS permits.
 *
 * Chapter: chapters/06-bot.md#read-mostly-state
 *
 * A reader takes one permit, a writer takes all of them. The semaphore's FIFO order does
 * the rest: a writer at the head of the queue waits for the readers inside to leave, and
 * readers that come after it wait behind it (no writer starvation). Tokio's RwLock is
 * built exactly this way.
 */
#include "rt_rwlock.h"
#include "sync_internal.h"
#include "sync_trace.h"

#include <stdlib.h>

struct rt_rwlock {
    struct sync_sem sem; /* RT_RWLOCK_MAX_READERS permits */
    const char *name;
};

rt_rwlock *rt_rwlock_new(const char *name)
{
    rt_rwlock *l = malloc(sizeof *l);
    if (!l)
        return NULL;
    sync_sem_init(&l->sem, RT_RWLOCK_MAX_READERS, RT_RWLOCK_MAX_READERS);
    l->name = name;
    sync_trace_object(l, "rwlock", name);
    return l;
}

void rt_rwlock_free(rt_rwlock *l)
{
    if (!l)
        return;
    RT_ASSERT(sync_sem_available(&l->sem) == RT_RWLOCK_MAX_READERS,
              "rwlock '%s' freed while locked", l->name ? l->name : "?");
    sync_sem_destroy(&l->sem);
    free(l);
}

int rt_rwlock_read(rt_rwlock *l)
{
    return sync_sem_acquire(&l->sem, 1, l);
}

int rt_rwlock_write(rt_rwlock *l)
{
    return sync_sem_acquire(&l->sem, RT_RWLOCK_MAX_READERS, l);
}

static bool try_take(rt_rwlock *l, size_t n)
{
    if (sync_sem_try_acquire(&l->sem, n) != 0)
        return false;
    sync_trace_lock_acquire(l);
    return true;
}

bool rt_rwlock_try_read(rt_rwlock *l)
{
    return try_take(l, 1);
}

bool rt_rwlock_try_write(rt_rwlock *l)
{
    return try_take(l, RT_RWLOCK_MAX_READERS);
}

void rt_rwlock_read_unlock(rt_rwlock *l)
{
    sync_trace_lock_release(l);
    sync_sem_release(&l->sem, 1, "rt_rwlock_read_unlock without a read lock");
}

void rt_rwlock_write_unlock(rt_rwlock *l)
{
    sync_trace_lock_release(l);
    sync_sem_release(&l->sem, RT_RWLOCK_MAX_READERS,
                     "rt_rwlock_write_unlock without the write lock");
}
