/*
 * broadcast.c - one ring, one sequence number per value, one position per receiver.
 *
 * Chapter: chapters/05-channels.md#pub-sub
 *
 * The value with sequence number s lives in slot s % capacity; `tail` is the number of the
 * next value to send, so the ring holds [tail - capacity, tail) (or [0, tail) early on).
 * A receiver's `next` below that window means it lagged: the difference is exactly how many
 * values it missed. Simplifications: one lock for the whole channel (Tokio locks per slot),
 * and a value is released only when overwritten or when the channel goes, not as soon as
 * the last receiver has read it. Receivers wait level-triggered: nothing is lost to a
 * cancelled recv.
 */
#include "rt_broadcast.h"
#include "sync_internal.h"
#include "sync_trace.h"

#include <stdlib.h>
#include <string.h>

struct broadcast {
    sync_lock lock;
    /* ---- fixed */
    size_t elem_size, capacity;
    void (*clone_value)(void *dst, const void *src);
    void (*drop_value)(void *value);
    unsigned char *slots;
    /* ---- guarded by lock */
    uint64_t tail;
    size_t nsenders, nreceivers;
    struct sync_waitq waiters; /* level: receivers with nothing new */
};

struct rt_broadcast_sender {
    struct broadcast *chan;
};
struct rt_broadcast_receiver {
    struct broadcast *chan;
    uint64_t next; /* guarded by chan->lock */
};

static unsigned char *slot(struct broadcast *b, uint64_t seq)
{
    return b->slots + (size_t)(seq % b->capacity) * b->elem_size;
}

static uint64_t oldest_kept(const struct broadcast *b)
{
    return b->tail > b->capacity ? b->tail - b->capacity : 0;
}

int rt_broadcast_new(const rt_channel_config *config, rt_broadcast_sender **tx,
                     rt_broadcast_receiver **rx)
{
    if (config->elem_size == 0 || config->capacity == 0 || config->capacity == RT_UNBOUNDED)
        return -EINVAL;
    struct broadcast *b = calloc(1, sizeof *b);
    rt_broadcast_sender *sender = malloc(sizeof *sender);
    rt_broadcast_receiver *receiver = malloc(sizeof *receiver);
    unsigned char *slots = b ? calloc(config->capacity, config->elem_size) : NULL;
    if (!b || !sender || !receiver || !slots) {
        free(slots), free(receiver), free(sender), free(b);
        return -ENOMEM;
    }
    sync_lock_init(&b->lock);
    b->elem_size = config->elem_size;
    b->capacity = config->capacity;
    b->clone_value = config->clone_value;
    b->drop_value = config->drop_value;
    b->slots = slots;
    b->nsenders = b->nreceivers = 1;
    *sender = (rt_broadcast_sender){b};
    *receiver = (rt_broadcast_receiver){b, 0};
    sync_trace_object(b, "broadcast", config->name ? config->name : "broadcast");
    *tx = sender;
    *rx = receiver;
    return 0;
}

/* A handle left; the last one frees the channel and the values still in it. Lock held;
 * unlocks. */
static void leave_and_unlock(struct broadcast *b)
{
    bool is_last = b->nsenders == 0 && b->nreceivers == 0;
    sync_lock_release(&b->lock);
    if (!is_last)
        return;
    for (uint64_t seq = oldest_kept(b); b->drop_value && seq < b->tail; seq++)
        b->drop_value(slot(b, seq));
    sync_lock_destroy(&b->lock);
    free(b->slots);
    free(b);
}

rt_broadcast_sender *rt_broadcast_sender_clone(rt_broadcast_sender *tx)
{
    rt_broadcast_sender *copy = malloc(sizeof *copy);
    if (!copy)
        return NULL;
    copy->chan = tx->chan;
    sync_lock_acquire(&tx->chan->lock);
    tx->chan->nsenders++;
    sync_lock_release(&tx->chan->lock);
    return copy;
}

rt_broadcast_receiver *rt_broadcast_subscribe(rt_broadcast_sender *tx)
{
    rt_broadcast_receiver *rx = malloc(sizeof *rx);
    if (!rx)
        return NULL;
    struct broadcast *b = tx->chan;
    sync_lock_acquire(&b->lock);
    *rx = (rt_broadcast_receiver){b, b->tail}; /* only what is sent from now on */
    b->nreceivers++;
    sync_lock_release(&b->lock);
    return rx;
}

void rt_broadcast_sender_drop(rt_broadcast_sender *tx)
{
    struct broadcast *b = tx->chan;
    free(tx);
    sync_lock_acquire(&b->lock);
    RT_ASSERT(b->nsenders > 0, "a broadcast sender was dropped twice");
    if (--b->nsenders == 0)
        sync_waitq_wake_all(&b->waiters); /* they will find it closed */
    leave_and_unlock(b);
}

void rt_broadcast_receiver_drop(rt_broadcast_receiver *rx)
{
    struct broadcast *b = rx->chan;
    free(rx);
    sync_lock_acquire(&b->lock);
    RT_ASSERT(b->nreceivers > 0, "a broadcast receiver was dropped twice");
    b->nreceivers--;
    leave_and_unlock(b);
}

int rt_broadcast_send(rt_broadcast_sender *tx, const void *value)
{
    struct broadcast *b = tx->chan;
    sync_lock_acquire(&b->lock);
    if (b->nreceivers == 0) {
        sync_lock_release(&b->lock);
        return RT_ECLOSED;
    }
    if (b->tail >= b->capacity && b->drop_value)
        b->drop_value(slot(b, b->tail)); /* the oldest value, overwritten now */
    memcpy(slot(b, b->tail), value, b->elem_size);
    b->tail++;
    sync_waitq_wake_all(&b->waiters);
    sync_lock_release(&b->lock);
    sync_trace_send(b, 0);
    return 0;
}

/* 0, RT_ELAGGED, RT_ECLOSED or RT_EWOULDBLOCK. Lock held. */
static int recv_locked(rt_broadcast_receiver *rx, void *out, uint64_t *nmissed)
{
    struct broadcast *b = rx->chan;
    if (rx->next < oldest_kept(b)) {
        if (nmissed)
            *nmissed = oldest_kept(b) - rx->next;
        rx->next = oldest_kept(b);
        return RT_ELAGGED;
    }
    if (rx->next < b->tail) {
        if (b->clone_value)
            b->clone_value(out, slot(b, rx->next));
        else
            memcpy(out, slot(b, rx->next), b->elem_size);
        rx->next++;
        return 0;
    }
    return b->nsenders == 0 ? RT_ECLOSED : RT_EWOULDBLOCK;
}

int rt_broadcast_try_recv(rt_broadcast_receiver *rx, void *out, uint64_t *nmissed)
{
    sync_lock_acquire(&rx->chan->lock);
    int rc = recv_locked(rx, out, nmissed);
    sync_lock_release(&rx->chan->lock);
    if (rc == 0)
        sync_trace_recv(rx->chan, 0);
    return rc;
}

int rt_broadcast_recv(rt_broadcast_receiver *rx, void *out, uint64_t *nmissed)
{
    struct broadcast *b = rx->chan;
    sync_lock_acquire(&b->lock);
    int rc;
    while ((rc = recv_locked(rx, out, nmissed)) == RT_EWOULDBLOCK) {
        struct sync_waiter w = {0};
        rc = sync_wait_level(&b->lock, &b->waiters, &w, RT_PARK_RECV, b);
        if (rc != 0)
            break;
    }
    sync_lock_release(&b->lock);
    if (rc == 0)
        sync_trace_recv(b, 0);
    return rc;
}

/* ------------------------------------------------------------ select's arm (select.c) */

/* Level, like rt_broadcast_recv: a waiting arm is only woken, and the value stays in the
 * ring at the receiver's position. Only the arm that claimed its select reads it (and moves
 * the receiver on), so a losing arm leaves the receiver exactly where it was. */
enum sync_poll broadcast_select_recv(rt_broadcast_receiver *rx, void *out, uint64_t *nmissed,
                                     struct sync_select *sel, int index, struct sync_waiter *w,
                                     int *result)
{
    struct broadcast *b = rx->chan;
    enum sync_poll poll = SELECT_PENDING;
    sync_lock_acquire(&b->lock);
    bool is_ready = rx->next < b->tail || b->nsenders == 0; /* a value, a lag, or closed */
    if (is_ready) {
        poll = sync_select_claim(sel, index) ? SELECT_DONE : SELECT_LOST;
        if (poll == SELECT_DONE)
            *result = recv_locked(rx, out, nmissed);
    } else if (w) {
        sync_waitq_push(&b->waiters, w);
    }
    sync_lock_release(&b->lock);
    if (poll == SELECT_DONE && *result == 0)
        sync_trace_recv(b, 0);
    return poll;
}

void broadcast_select_cancel_recv(rt_broadcast_receiver *rx, struct sync_waiter *w)
{
    struct broadcast *b = rx->chan;
    sync_lock_acquire(&b->lock);
    if (w->is_queued) {
        sync_waitq_remove(&b->waiters, w);
        rt_waker_drop(w->waker);
    }
    sync_lock_release(&b->lock);
}
