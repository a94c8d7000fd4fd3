/*
 * oneshot.c - one value, one sender, one receiver, in one allocation.
 *
 * Chapter: chapters/05-channels.md#a-reply-channel
 *
 *   EMPTY --send--> FULL --recv--> TAKEN
 *     |
 *     +--sender dropped--> (EMPTY, no sender): recv reports RT_ECLOSED
 *
 * The receiver waits level-triggered (sync_internal.h): a send only wakes it; the value
 * stays in the slot until recv copies it out, so a receiver cancelled at that moment loses
 * nothing - the value waits for its next recv (or is dropped with the receiver).
 */
#include "rt_oneshot.h"
#include "sync_internal.h"
#include "sync_trace.h"

#include <stdlib.h>
#include <string.h>

enum oneshot_state { ONESHOT_EMPTY, ONESHOT_FULL, ONESHOT_TAKEN };

struct rt_oneshot_sender {
    struct oneshot *chan;
};
struct rt_oneshot_receiver {
    struct oneshot *chan;
};

struct oneshot {
    sync_lock lock;
    /* ---- fixed */
    size_t elem_size;
    void (*drop_value)(void *value);
    struct rt_oneshot_sender tx;
    struct rt_oneshot_receiver rx;
    /* ---- guarded by lock */
    enum oneshot_state state;
    bool is_sender_alive, is_receiver_alive;
    struct sync_waitq receiver_waiting; /* level: the receiver (or its select) */
    unsigned char value[];              /* elem_size bytes (copied with memcpy: no alignment) */
};

int rt_oneshot_new(const rt_channel_config *config, rt_oneshot_sender **tx,
                   rt_oneshot_receiver **rx)
{
    if (config->elem_size == 0)
        return -EINVAL;
    struct oneshot *o = malloc(sizeof *o + config->elem_size);
    if (!o)
        return -ENOMEM;
    sync_lock_init(&o->lock);
    o->elem_size = config->elem_size;
    o->drop_value = config->drop_value;
    o->tx.chan = o->rx.chan = o;
    o->state = ONESHOT_EMPTY;
    o->is_sender_alive = o->is_receiver_alive = true;
    o->receiver_waiting = (struct sync_waitq){0};
    sync_trace_object(o, "oneshot", config->name ? config->name : "oneshot");
    *tx = &o->tx;
    *rx = &o->rx;
    return 0;
}

/* One side is gone; the second one frees. Called with the lock held; unlocks. */
static void leave_and_unlock(struct oneshot *o)
{
    bool is_last = !o->is_sender_alive && !o->is_receiver_alive;
    sync_lock_release(&o->lock);
    if (!is_last)
        return;
    sync_lock_destroy(&o->lock);
    free(o);
}

/* The sender is done (sent or not): wake the receiver, release our side. Lock held. */
static void sender_leave_and_unlock(struct oneshot *o)
{
    RT_ASSERT(o->is_sender_alive, "a oneshot sender was used after it was consumed");
    o->is_sender_alive = false;
    sync_waitq_wake_all(&o->receiver_waiting);
    leave_and_unlock(o);
}

int rt_oneshot_send(rt_oneshot_sender *tx, const void *value)
{
    struct oneshot *o = tx->chan;
    sync_lock_acquire(&o->lock);
    int rc = RT_ECLOSED;
    if (o->is_receiver_alive) {
        memcpy(o->value, value, o->elem_size);
        o->state = ONESHOT_FULL;
        rc = 0;
        sync_trace_send(
            o, o->receiver_waiting.head ? sync_waker_task_id(o->receiver_waiting.head->waker) : 0);
    }
    sender_leave_and_unlock(o);
    return rc;
}

void rt_oneshot_sender_drop(rt_oneshot_sender *tx)
{
    struct oneshot *o = tx->chan;
    sync_lock_acquire(&o->lock);
    sender_leave_and_unlock(o);
}

/* 0 (copied out), RT_ECLOSED or RT_EWOULDBLOCK. Lock held. */
static int recv_locked(struct oneshot *o, void *out)
{
    if (o->state == ONESHOT_FULL) {
        memcpy(out, o->value, o->elem_size);
        o->state = ONESHOT_TAKEN;
        return 0;
    }
    if (o->state == ONESHOT_TAKEN || !o->is_sender_alive)
        return RT_ECLOSED;
    return RT_EWOULDBLOCK;
}

int rt_oneshot_try_recv(rt_oneshot_receiver *rx, void *out)
{
    struct oneshot *o = rx->chan;
    sync_lock_acquire(&o->lock);
    int rc = recv_locked(o, out);
    sync_lock_release(&o->lock);
    if (rc == 0)
        sync_trace_recv(o, 0);
    return rc;
}

int rt_oneshot_recv(rt_oneshot_receiver *rx, void *out)
{
    struct oneshot *o = rx->chan;
    sync_lock_acquire(&o->lock);
    int rc;
    while ((rc = recv_locked(o, out)) == RT_EWOULDBLOCK) {
        struct sync_waiter w = {0};
        rc = sync_wait_level(&o->lock, &o->receiver_waiting, &w, RT_PARK_RECV, o);
        if (rc != 0)
            break;
    }
    sync_lock_release(&o->lock);
    if (rc == 0)
        sync_trace_recv(o, 0);
    return rc;
}

void rt_oneshot_receiver_drop(rt_oneshot_receiver *rx)
{
    struct oneshot *o = rx->chan;
    sync_lock_acquire(&o->lock);
    RT_ASSERT(o->is_receiver_alive, "a oneshot receiver was dropped twice");
    RT_ASSERT(sync_waitq_is_empty(&o->receiver_waiting),
              "a oneshot receiver was dropped while a task waits on it");
    o->is_receiver_alive = false;
    if (o->state == ONESHOT_FULL && o->drop_value)
        o->drop_value(o->value);
    leave_and_unlock(o);
}

/* ------------------------------------------------------------ select's arm (select.c) */

enum sync_poll oneshot_select_recv(rt_oneshot_receiver *rx, void *out, struct sync_select *sel,
                                   int index, struct sync_waiter *w, int *result)
{
    struct oneshot *o = rx->chan;
    enum sync_poll poll = SELECT_PENDING;
    sync_lock_acquire(&o->lock);
    if (o->state != ONESHOT_EMPTY || !o->is_sender_alive) {
        poll = sync_select_claim(sel, index) ? SELECT_DONE : SELECT_LOST;
        if (poll == SELECT_DONE)
            *result = recv_locked(o, out);
    } else if (w) {
        sync_waitq_push(&o->receiver_waiting, w);
    }
    sync_lock_release(&o->lock);
    return poll;
}

void oneshot_select_cancel_recv(rt_oneshot_receiver *rx, struct sync_waiter *w)
{
    struct oneshot *o = rx->chan;
    sync_lock_acquire(&o->lock);
    if (w->is_queued) {
        sync_waitq_remove(&o->receiver_waiting, w);
        rt_waker_drop(w->waker);
    }
    sync_lock_release(&o->lock);
}
