/*
 * blocking_mutex.c - a pthread mutex that knows which task holds it.
 *
 * Chapter: chapters/03-shared-state.md#holding-a-lock-across-a-yield
 *
 * The only addition to pthread_mutex_t: the holding task counts its locks, so that its next
 * yield point can tell it still holds one (checks.c, check (b)). The count lives in the
 * task, not in the mutex, because the task is what moves between threads.
 */
#include "internal.h"
#include "rt_blocking_mutex.h"

#include <errno.h>

void rt_blocking_mutex_init(rt_blocking_mutex *m, const char *name)
{
    pthread_mutex_init(&m->mutex, NULL);
    m->name = name;
}

void rt_blocking_mutex_destroy(rt_blocking_mutex *m)
{
    pthread_mutex_destroy(&m->mutex);
}

static void note_locked(rt_blocking_mutex *m)
{
    struct rt_task *t = task_current();
    if (t) {
        t->nblocking_locks++;
        t->blocking_lock_name = m->name;
    }
}

void rt_blocking_mutex_lock(rt_blocking_mutex *m)
{
    int rc = pthread_mutex_lock(&m->mutex);
    RT_ASSERT(rc == 0, "pthread_mutex_lock failed (%d)", rc);
    note_locked(m);
}

bool rt_blocking_mutex_trylock(rt_blocking_mutex *m)
{
    int rc = pthread_mutex_trylock(&m->mutex);
    RT_ASSERT(rc == 0 || rc == EBUSY, "pthread_mutex_trylock failed (%d)", rc);
    if (rc == 0)
        note_locked(m);
    return rc == 0;
}

void rt_blocking_mutex_unlock(rt_blocking_mutex *m)
{
    struct rt_task *t = task_current();
    if (t && t->nblocking_locks > 0)
        t->nblocking_locks--;
    int rc = pthread_mutex_unlock(&m->mutex);
    RT_ASSERT(rc == 0, "pthread_mutex_unlock failed (%d)", rc);
}
