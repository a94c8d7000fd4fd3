/*
 * rt_blocking_mutex.h - a mutex that blocks the whole worker thread (std::sync::Mutex's analog).
 *
 * Chapter: chapters/03-shared-state.md#holding-a-lock-across-a-yield
 *
 * The name says what it does: while a task waits for it, the *thread* waits, and with it
 * every task queued on that worker. That is fine - and faster than a task-aware lock - for
 * short critical sections that do nothing that yields (look up a key, bump a counter):
 * the lock is then held only for nanoseconds. It is a thin wrapper over pthread_mutex_t.
 *
 * The rule: never hold it across a yield point (rt_yield, rt_park, rt_join, any blocking
 * call of the runtime). The task may resume on another worker, which would then unlock a
 * mutex it does not own; and with one worker, a second task that wants the lock blocks the
 * only thread, so the holder never runs again: deadlock. In Rust the compiler rejects this
 * (a MutexGuard is not Send); here the runtime's check stops the program with a message.
 * If a lock must be held while waiting, use a task-aware lock, which parks the task
 * instead of the thread (it costs more; restructuring is usually better).
 *
 * Which lock, in short:
 *   - short critical section, nothing yields inside -> this one (rt_blocking_mutex);
 *   - held across a yield point                      -> rt_mutex (rt_mutex.h), task-aware;
 *   - contended either way                           -> shard the state (N locks), or hand
 *                                                       it to one task and send it messages.
 */
#ifndef SPAWNLAB_RT_BLOCKING_MUTEX_H
#define SPAWNLAB_RT_BLOCKING_MUTEX_H

#include <pthread.h>
#include <stdbool.h>

/* Fields are private; the struct is visible so it can be embedded in your own structs. */
typedef struct rt_blocking_mutex {
    pthread_mutex_t mutex;
    const char *name; /* for the check's message; may be NULL */
} rt_blocking_mutex;

/* Static initialisation: rt_blocking_mutex db_lock = RT_BLOCKING_MUTEX_INIT("db"); */
#define RT_BLOCKING_MUTEX_INIT(name)                                                               \
    {                                                                                              \
        PTHREAD_MUTEX_INITIALIZER, (name)                                                          \
    }

/* Initialises / destroys a mutex (name may be NULL). Never yields. Any thread. */
void rt_blocking_mutex_init(rt_blocking_mutex *m, const char *name);
void rt_blocking_mutex_destroy(rt_blocking_mutex *m);

/* Locks, blocking the calling thread while another holds it. Never yields. Any thread;
 * in a task, the task must unlock before its next yield point. */
void rt_blocking_mutex_lock(rt_blocking_mutex *m);
/* Locks if free; returns true when it did. Never yields. Any thread. */
bool rt_blocking_mutex_trylock(rt_blocking_mutex *m);
/* Unlocks; the same thread (and task) that locked it. Never yields. */
void rt_blocking_mutex_unlock(rt_blocking_mutex *m);

#endif
