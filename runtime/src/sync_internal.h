/*
 * sync_internal.h - what the task-aware locks, channels, select and scopes share (not API).
 *
 * Chapter: chapters/appendix-runtime.md#how-a-channel-waits
 *
 * Map of the files built on it (one concept each):
 *   semaphore.c  FIFO permits; the mutex and the rwlock are semaphores too (as in Tokio)
 *   mutex.c  rwlock.c  notify.c
 *   mpsc.c  oneshot.c  broadcast.c  watch.c          the channels
 *   select.c     the first of several operations wins
 *   cancel.c  joinset.c  scope.c  time.c  signal.c   structured concurrency
 *
 * Every object is guarded by one short internal lock (sync_lock: a pthread mutex, held for
 * a few dozen instructions and never across a park) and keeps its waiting tasks in wait
 * queues of sync_waiter records. A waiter lives on the waiting task's own stack: the task
 * cannot return while it is queued, and it takes itself out (under the lock) when it stops
 * waiting. So waiting allocates nothing.
 *
 * Two ways of waking, and the rule that keeps messages from being lost:
 *   - handoff: the waker *completes the operation for the waiter* while it holds the lock
 *     (copies the waiter's value into the queue, grants it the lock or its permits), marks
 *     it done, takes it out of the queue, then wakes it. A waiter that finds itself done
 *     reports success even if it was cancelled meanwhile: the operation happened, so
 *     reporting "cancelled" would lose it (or send it twice). Used where several tasks
 *     compete for one thing: room in a channel, a lock, permits, one notification.
 *   - level: the waker only wakes; the waiter re-checks the object and takes what is there.
 *     Nothing is consumed on the waiter's behalf, so a cancelled waiter loses nothing.
 *     Used where what is awaited stays put until this very task takes it: the one mpsc
 *     receiver, a oneshot, a broadcast receiver's own cursor, a watch, a cancel token.
 * select (select.c) adds one step to handoff: a waiter that belongs to a select must first be
 * *claimed* (one compare-and-swap on the select's winner). Whoever claims completes; a
 * waker that loses the claim leaves the waiter's operation undone and tries the next waiter.
 *
 * Waking under the lock or after it: a waker may read a waiter only while it is queued
 * under the lock (afterwards the waiter may have returned and its stack be reused). A single
 * wake copies the waker out, unlocks, then calls rt_wake (a short critical section); waking
 * a whole queue calls rt_wake under the lock - it never blocks.
 *
 * ---------------------------------------------------------------- timers
 * Every park of these files goes through sync_park, and every sleep through
 * sync_sleep_until / sync_timer_arm: the only places that know about timers (clock.c).
 * A park that returns RT_ETIMEDOUT is handled everywhere exactly like RT_ECANCELED: the
 * waiter takes itself out of its queue, drops its waker, and reports the code (unless it
 * was already done, see above).
 */
#ifndef SPAWNLAB_SYNC_INTERNAL_H
#define SPAWNLAB_SYNC_INTERNAL_H

#include "internal.h"
#include "rt_sync.h"
#include "rt_time.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------ the internal lock */

/* A pthread mutex: every critical section is a few dozen instructions that never yield,
 * so it is almost never contended. Not rt_blocking_mutex: that one counts locks held by
 * the task, which is check (b)'s business and would cost two more stores per operation. */
typedef struct sync_lock {
    pthread_mutex_t mutex;
} sync_lock;

static inline void sync_lock_init(sync_lock *l)
{
    pthread_mutex_init(&l->mutex, NULL);
}
static inline void sync_lock_destroy(sync_lock *l)
{
    pthread_mutex_destroy(&l->mutex);
}
static inline void sync_lock_acquire(sync_lock *l)
{
    pthread_mutex_lock(&l->mutex);
}
static inline void sync_lock_release(sync_lock *l)
{
    pthread_mutex_unlock(&l->mutex);
}

/* ------------------------------------------------------------ park, sleep, timers */

/* The one place every wait of these files parks: rt_park, which also ends the park at the
 * task's deadline (rt_time.h) with RT_ETIMEDOUT - park.c arms a timer holding a second
 * waker of the wait. Callers treat RT_ETIMEDOUT like RT_ECANCELED. */
static inline int sync_park(rt_park_reason reason, const void *object)
{
    return rt_park(reason, object);
}

/* The runtime's clock in nanoseconds: rt_now (real, or the virtual clock). */
static inline int64_t sync_now_ns(void)
{
    return rt_now();
}

/* Parks the calling task until deadline_ns (sync_now_ns's clock): rt_sleep_until. 0 when
 * the time came, RT_ECANCELED when aborted, RT_ETIMEDOUT at the task's own deadline. */
static inline int sync_sleep_until(int64_t deadline_ns)
{
    return rt_sleep_until(deadline_ns);
}

/* A timer that wakes a waker at a deadline (select's deadline arm). Lives on the waiting
 * task's stack: a place in the runtime's timer heap (clock.c). */
struct sync_timer {
    struct timer_entry entry;
    struct rt_runtime *rt;
    bool is_armed;
};

/* Arms t: at deadline_ns, rt_wake(waker) (the timer then owns the waker). Returns 0, or
 * -ENOMEM (the caller still owns the waker). From a task. */
static inline int sync_timer_arm(struct sync_timer *t, int64_t deadline_ns, rt_waker waker)
{
    struct rt_task *task = task_current();
    RT_ASSERT(task, "sync_timer_arm called outside a task");
    t->rt = task->rt;
    t->entry.waker = waker;
    t->is_armed = timer_arm(t->rt, &t->entry, deadline_ns) == 0;
    return t->is_armed ? 0 : -ENOMEM;
}

/* Disarms t if it has not fired (then drops its waker; a fired timer consumed it). */
static inline void sync_timer_disarm(struct sync_timer *t)
{
    if (t->is_armed && timer_disarm(t->rt, &t->entry))
        rt_waker_drop(t->entry.waker);
    t->is_armed = false;
}

/* ------------------------------------------------------------ waiters and wait queues */

struct sync_select; /* select.c */

/* One waiting task's record, on its stack. Fields other than select/arm are guarded by
 * the lock of the object whose queue holds it. */
struct sync_waiter {
    struct sync_waiter *prev, *next;
    rt_waker waker;
    bool is_queued;
    bool is_done;               /* handoff: the operation was completed for us */
    int result;                 /* with is_done: 0, or e.g. RT_ECLOSED */
    size_t count;               /* semaphore: permits wanted */
    const void *value;          /* mpsc send: the value to copy into the channel */
    struct sync_select *select; /* NULL, or the select this waiter is an arm of */
    int arm;                    /* its index there */
};

/* Fixed fields of a select: which arm won (-1: none yet). */
struct sync_select {
    _Atomic int winner;
};

/* A FIFO of waiters. */
struct sync_waitq {
    struct sync_waiter *head, *tail;
};

static inline bool sync_waitq_is_empty(const struct sync_waitq *q)
{
    return q->head == NULL;
}

static inline void sync_waitq_push(struct sync_waitq *q, struct sync_waiter *w)
{
    RT_ASSERT(!w->is_queued, "a waiter was queued twice");
    w->next = NULL;
    w->prev = q->tail;
    if (q->tail)
        q->tail->next = w;
    else
        q->head = w;
    q->tail = w;
    w->is_queued = true;
}

static inline void sync_waitq_remove(struct sync_waitq *q, struct sync_waiter *w)
{
    RT_ASSERT(w->is_queued, "removing a waiter that is not queued");
    if (w->prev)
        w->prev->next = w->next;
    else
        q->head = w->next;
    if (w->next)
        w->next->prev = w->prev;
    else
        q->tail = w->prev;
    w->prev = w->next = NULL;
    w->is_queued = false;
}

/* A handoff waker's first step: may I complete w's operation? Always, unless w is an arm of
 * a select that another arm has already won. */
static inline bool sync_waiter_claim(struct sync_waiter *w)
{
    if (!w->select)
        return true;
    int none = -1;
    return atomic_compare_exchange_strong_explicit(&w->select->winner, &none, w->arm,
                                                   memory_order_acq_rel, memory_order_acquire);
}

/* The first waiter of q that we may complete, taken out of q; NULL when there is none.
 * Waiters of selects already won elsewhere are taken out too, their wakers dropped: their
 * select no longer wants this operation. Lock held. */
static inline struct sync_waiter *sync_waitq_claim_first(struct sync_waitq *q)
{
    while (q->head) {
        struct sync_waiter *w = q->head;
        sync_waitq_remove(q, w);
        if (sync_waiter_claim(w))
            return w;
        rt_waker_drop(w->waker);
    }
    return NULL;
}

/* Marks a claimed waiter done with result and returns its waker, which the caller must
 * wake (after unlocking, or at once). Do not touch w after unlocking. Lock held. */
static inline rt_waker sync_waiter_finish(struct sync_waiter *w, int result)
{
    w->result = result;
    w->is_done = true;
    return w->waker;
}

/* Wakes every waiter of q (level), emptying it. Under the lock: see the file comment. */
static inline void sync_waitq_wake_all(struct sync_waitq *q)
{
    while (q->head) {
        struct sync_waiter *w = q->head;
        sync_waitq_remove(q, w);
        rt_wake(w->waker);
    }
}

/* Handoff wait: queues w on q, parks until a waker completes w (returns 0, w->result says
 * how) or the park fails (w is taken back out; returns RT_ECANCELED / RT_ETIMEDOUT).
 * Called and returns with lock held. MAY YIELD. */
static inline int sync_wait_handoff(sync_lock *lock, struct sync_waitq *q, struct sync_waiter *w,
                                    rt_park_reason reason, const void *object)
{
    w->is_done = false;
    w->waker = rt_park_prepare();
    sync_waitq_push(q, w);
    sync_lock_release(lock);
    int rc = sync_park(reason, object);
    sync_lock_acquire(lock);
    if (w->is_done)
        return 0; /* done beats cancelled: the operation already happened */
    RT_ASSERT(rc != 0, "a handoff waiter was woken without being done");
    sync_waitq_remove(q, w);
    rt_waker_drop(w->waker);
    return rc;
}

/* Level wait: queues w on q, parks, takes w back out if no waker did. The caller re-checks
 * its condition. Called and returns with lock held. Returns the park's code. MAY YIELD. */
static inline int sync_wait_level(sync_lock *lock, struct sync_waitq *q, struct sync_waiter *w,
                                  rt_park_reason reason, const void *object)
{
    w->waker = rt_park_prepare();
    sync_waitq_push(q, w);
    sync_lock_release(lock);
    int rc = sync_park(reason, object);
    sync_lock_acquire(lock);
    if (w->is_queued) {
        sync_waitq_remove(q, w);
        rt_waker_drop(w->waker);
    }
    return rc;
}

/* The id of the task a waker belongs to (trace peers). */
static inline uint64_t sync_waker_task_id(rt_waker w)
{
    return w.task ? w.task->id : 0;
}

/* ------------------------------------------------------------ a semaphore to build on */

/* The FIFO semaphore of semaphore.c, embedded by rt_semaphore, rt_mutex and rt_rwlock. */
struct sync_sem {
    sync_lock lock;
    size_t max_permits; /* fixed: releasing beyond it is a bug (unlock of an unlocked mutex) */
    /* guarded by lock */
    size_t permits;
    bool is_closed;
    struct sync_waitq waiters; /* handoff: each wants waiter->count permits */
};

void sync_sem_init(struct sync_sem *s, size_t permits, size_t max_permits);
void sync_sem_destroy(struct sync_sem *s);
/* Takes n permits, waiting in FIFO order. 0, RT_ECLOSED, RT_ECANCELED, RT_ETIMEDOUT.
 * object is what traces name. MAY YIELD. From a task. */
int sync_sem_acquire(struct sync_sem *s, size_t n, const void *object);
/* 0, RT_EWOULDBLOCK or RT_ECLOSED. Never yields. Any thread. */
int sync_sem_try_acquire(struct sync_sem *s, size_t n);
/* Gives n permits back; the object's name goes into the message of a bad release. */
void sync_sem_release(struct sync_sem *s, size_t n, const char *what);
void sync_sem_close(struct sync_sem *s);
size_t sync_sem_available(struct sync_sem *s);

/* ------------------------------------------------------------ waiting for tasks (joinset.c) */

/* Waits until one of handles[0..n) has finished; returns its index, or RT_ECANCELED /
 * RT_ETIMEDOUT. is_shielded: keep waiting even if the calling task is aborted (a scope must
 * outlive the children that borrow its stack); then it never fails. MAY YIELD. */
int sync_wait_any_finished(rt_join_handle *const handles[], size_t n, bool is_shielded);
bool sync_task_is_finished(rt_join_handle *handle);
/* select's join arm: publish a waker for the task's end / take it back (see joinset.c). */
bool sync_join_register(rt_join_handle *handle, rt_waker waker);
void sync_join_unregister(rt_join_handle *handle);

/* ------------------------------------------------------------ select's hooks into objects */

/* What a select arm's poll found (select.c drives; each channel file implements its arms):
 *   SELECT_DONE     the operation could complete, the arm claimed the select and did it
 *   SELECT_PENDING  not ready; if a waiter was given it is now queued on the object
 *   SELECT_LOST     ready, but another arm had already won: nothing was done
 *   SELECT_FAILED   the arm cannot wait at all (result says why: -ENOMEM for a timer, -EBADF
 *                   for a descriptor that cannot be watched, ...)
 * Every poll checks and queues under the object's lock, so no wake-up falls between them. */
enum sync_poll { SELECT_DONE, SELECT_PENDING, SELECT_LOST, SELECT_FAILED };

/* Claims sel for arm `index` (a level arm that found its object ready). */
static inline bool sync_select_claim(struct sync_select *sel, int index)
{
    int none = -1;
    return atomic_compare_exchange_strong_explicit(&sel->winner, &none, index, memory_order_acq_rel,
                                                   memory_order_acquire);
}

struct rt_mpsc_sender;
struct rt_mpsc_receiver;
struct rt_oneshot_receiver;
/* w == NULL: poll only; otherwise w->waker is a waker clone that the arm queues (and then
 * owns) only when it returns SELECT_PENDING. *result: the operation's outcome when SELECT_DONE (0,
 * RT_ECLOSED). A send waiter is handoff: if the receiver completes it later, w->is_done says so. */
enum sync_poll mpsc_select_recv(struct rt_mpsc_receiver *rx, void *out, struct sync_select *sel,
                                int index, struct sync_waiter *w, int *result);
enum sync_poll mpsc_select_send(struct rt_mpsc_sender *tx, const void *value,
                                struct sync_select *sel, int index, struct sync_waiter *w,
                                int *result);
void mpsc_select_cancel_recv(struct rt_mpsc_receiver *rx, struct sync_waiter *w);
void mpsc_select_cancel_send(struct rt_mpsc_sender *tx, struct sync_waiter *w);
enum sync_poll oneshot_select_recv(struct rt_oneshot_receiver *rx, void *out,
                                   struct sync_select *sel, int index, struct sync_waiter *w,
                                   int *result);
void oneshot_select_cancel_recv(struct rt_oneshot_receiver *rx, struct sync_waiter *w);
struct rt_cancel_token;
enum sync_poll cancel_select_wait(struct rt_cancel_token *token, struct sync_select *sel, int index,
                                  struct sync_waiter *w);
void cancel_select_cancel(struct rt_cancel_token *token, struct sync_waiter *w);
/* Level arms, like the mpsc recv arm: ready when the receiver's next recv / changed would not
 * wait; only the claimed arm reads (and so advances its receiver), under the channel's lock.
 * broadcast: *result is 0, RT_ELAGGED (*nmissed, if not NULL, set) or RT_ECLOSED.
 * watch: *result is 0 (changed; with out != NULL the value is borrowed - copied and marked
 * seen) or RT_ECLOSED. Each takes the channel's lock itself (the caller holds none) and never
 * yields; the cancel functions take a waiter back out if no wake took it already. */
struct rt_broadcast_receiver;
struct rt_watch_receiver;
enum sync_poll broadcast_select_recv(struct rt_broadcast_receiver *rx, void *out, uint64_t *nmissed,
                                     struct sync_select *sel, int index, struct sync_waiter *w,
                                     int *result);
void broadcast_select_cancel_recv(struct rt_broadcast_receiver *rx, struct sync_waiter *w);
enum sync_poll watch_select_changed(struct rt_watch_receiver *rx, void *out,
                                    struct sync_select *sel, int index, struct sync_waiter *w,
                                    int *result);
void watch_select_cancel_changed(struct rt_watch_receiver *rx, struct sync_waiter *w);

#endif
