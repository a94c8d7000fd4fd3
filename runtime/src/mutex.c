/*
 * mutex.c - the task-aware mutex: a semaphore with one permit.
 *
 * Chapter: chapters/03-shared-state.md#task-aware-locks
 *
 * Locked means "the permit is taken". The unlocker gives the permit back, and the
 * semaphore hands it straight to the first waiter (semaphore.c), which makes the lock
 * FIFO-fair and keeps a task that wakes late from being overtaken.
 */
#include "rt_mutex.h"
#include "sync_internal.h"
#include "sync_trace.h"

#include <stdlib.h>

struct rt_mutex {
    struct sync_sem sem; /* one permit */
    const char *name;
};

rt_mutex *rt_mutex_new(const char *name)
{
    rt_mutex *m = malloc(sizeof *m);
    if (!m)
        return NULL;
    sync_sem_init(&m->sem, 1, 1);
    m->name = name;
    sync_trace_object(m, "mutex", name);
    return m;
}

void rt_mutex_free(rt_mutex *m)
{
    if (!m)
        return;
    RT_ASSERT(sync_sem_available(&m->sem) == 1, "mutex '%s' freed while locked",
              m->name ? m->name : "?");
    sync_sem_destroy(&m->sem);
    free(m);
}

int rt_mutex_lock(rt_mutex *m)
{
    return sync_sem_acquire(&m->sem, 1, m);
}

bool rt_mutex_try_lock(rt_mutex *m)
{
    if (sync_sem_try_acquire(&m->sem, 1) != 0)
        return false;
    sync_trace_lock_acquire(m);
    return true;
}

void rt_mutex_unlock(rt_mutex *m)
{
    sync_trace_lock_release(m);
    sync_sem_release(&m->sem, 1, "rt_mutex_unlock of a mutex that is not locked");
}
