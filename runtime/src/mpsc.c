/*
 * mpsc.c - the multi-producer, single-consumer channel: a ring buffer and two wait queues.
 *
 * Chapter: chapters/05-channels.md#mpsc
 *
 *   senders ---send---> [ ring of values, FIFO ] ---recv---> the receiver
 *      |                                                        |
 *      +-- waiting senders (handoff): when recv makes room, it  |
 *          copies the first waiter's value into the ring itself +-- waiting receiver (level)
 *
 * Invariants (under the lock):
 *   - a sender waits only while the ring is full, and a recv refills the slot it freed from
 *     the first waiting sender: so "senders are waiting" implies "the ring is full", and a
 *     newcomer can never overtake a waiting sender;
 *   - the receiver waits only while the ring is empty; it is woken by a send or by the last
 *     sender leaving. Being level-triggered (it takes the value itself), a receiver that is
 *     cancelled while woken leaves the value queued: nothing is lost.
 * The ring grows by doubling (a power of two, so an index is a mask, not a division) up to
 * the bound: a channel of capacity 10,000 that holds 3 values does not hold 10,000 slots.
 */
#include "rt_mpsc.h"
#include "sync_internal.h"
#include "sync_trace.h"

#include <stdlib.h>
#include <string.h>

enum { RING_INITIAL_SLOTS = 32 };

struct mpsc {
    sync_lock lock;
    /* ---- fixed */
    size_t elem_size;
    size_t capacity; /* or RT_UNBOUNDED */
    void (*drop_value)(void *value);
    /* ---- guarded by lock */
    unsigned char *ring;
    size_t ring_slots; /* a power of two */
    size_t head;       /* index of the oldest value (not yet masked) */
    size_t count;
    size_t nsenders;
    bool is_receiver_alive;
    size_t nhandles;                    /* sender handles + the receiver; freed at 0 */
    struct sync_waitq senders_waiting;  /* handoff: room in a full bounded channel */
    struct sync_waitq receiver_waiting; /* level: the receiver (or its select) */
};

struct rt_mpsc_sender {
    struct mpsc *chan;
};
struct rt_mpsc_receiver {
    struct mpsc *chan;
};

/* ------------------------------------------------------------ the ring (lock held) */

static unsigned char *slot(struct mpsc *ch, size_t i)
{
    return ch->ring + ((ch->head + i) & (ch->ring_slots - 1)) * ch->elem_size;
}

/* Doubles the ring, unwrapping it so that the oldest value is at slot 0. */
static int ring_grow(struct mpsc *ch)
{
    size_t slots = ch->ring_slots ? ch->ring_slots * 2 : RING_INITIAL_SLOTS;
    unsigned char *ring = malloc(slots * ch->elem_size);
    if (!ring)
        return -ENOMEM;
    for (size_t i = 0; i < ch->count; i++)
        memcpy(ring + i * ch->elem_size, slot(ch, i), ch->elem_size);
    free(ch->ring);
    ch->ring = ring;
    ch->ring_slots = slots;
    ch->head = 0;
    return 0;
}

static bool ring_is_full(const struct mpsc *ch)
{
    return ch->count >= ch->capacity;
}

/* Appends a value; the caller checked the bound. 0 or -ENOMEM. */
static int ring_push(struct mpsc *ch, const void *value)
{
    if (ch->count == ch->ring_slots && ring_grow(ch) < 0)
        return -ENOMEM;
    memcpy(slot(ch, ch->count), value, ch->elem_size);
    ch->count++;
    return 0;
}

static void ring_pop(struct mpsc *ch, void *out)
{
    memcpy(out, slot(ch, 0), ch->elem_size);
    ch->head++;
    ch->count--;
}

/* ------------------------------------------------------------ creation and handles */

int rt_mpsc_new(const rt_channel_config *config, rt_mpsc_sender **tx, rt_mpsc_receiver **rx)
{
    if (config->elem_size == 0 || config->capacity == 0)
        return -EINVAL;
    struct mpsc *ch = calloc(1, sizeof *ch);
    rt_mpsc_sender *sender = malloc(sizeof *sender);
    rt_mpsc_receiver *receiver = malloc(sizeof *receiver);
    if (!ch || !sender || !receiver)
        goto fail_free;
    sync_lock_init(&ch->lock);
    ch->elem_size = config->elem_size;
    ch->capacity = config->capacity;
    ch->drop_value = config->drop_value;
    ch->nsenders = 1;
    ch->is_receiver_alive = true;
    ch->nhandles = 2;
    sender->chan = receiver->chan = ch;
    sync_trace_object(ch, "mpsc", config->name ? config->name : "mpsc");
    *tx = sender;
    *rx = receiver;
    return 0;
fail_free:
    free(receiver);
    free(sender);
    free(ch);
    return -ENOMEM;
}

/* Drops every queued value (receiver gone, or channel freed). Lock held. */
static void drop_queued(struct mpsc *ch)
{
    while (ch->count > 0) {
        if (ch->drop_value)
            ch->drop_value(slot(ch, 0)); /* must not use this channel: we hold its lock */
        ch->head++;
        ch->count--;
    }
}

/* A handle is gone; the last one frees the channel. Called with the lock held; unlocks. */
static void release_handle_and_unlock(struct mpsc *ch)
{
    bool is_last = --ch->nhandles == 0;
    if (is_last)
        drop_queued(ch);
    sync_lock_release(&ch->lock);
    if (!is_last)
        return;
    sync_lock_destroy(&ch->lock);
    free(ch->ring);
    free(ch);
}

rt_mpsc_sender *rt_mpsc_sender_clone(rt_mpsc_sender *tx)
{
    rt_mpsc_sender *copy = malloc(sizeof *copy);
    if (!copy)
        return NULL;
    struct mpsc *ch = tx->chan;
    copy->chan = ch;
    sync_lock_acquire(&ch->lock);
    ch->nsenders++;
    ch->nhandles++;
    sync_lock_release(&ch->lock);
    return copy;
}

void rt_mpsc_sender_drop(rt_mpsc_sender *tx)
{
    struct mpsc *ch = tx->chan;
    free(tx);
    sync_lock_acquire(&ch->lock);
    RT_ASSERT(ch->nsenders > 0, "an mpsc sender was dropped twice");
    if (--ch->nsenders == 0)
        sync_waitq_wake_all(&ch->receiver_waiting); /* it will find the channel closed */
    release_handle_and_unlock(ch);
}

void rt_mpsc_receiver_drop(rt_mpsc_receiver *rx)
{
    struct mpsc *ch = rx->chan;
    free(rx);
    sync_lock_acquire(&ch->lock);
    RT_ASSERT(ch->is_receiver_alive, "an mpsc receiver was dropped twice");
    RT_ASSERT(sync_waitq_is_empty(&ch->receiver_waiting),
              "an mpsc receiver was dropped while a task waits on it");
    ch->is_receiver_alive = false;
    drop_queued(ch);
    struct sync_waiter *w; /* every waiting sender learns "closed"; its value stays its own */
    while ((w = sync_waitq_claim_first(&ch->senders_waiting)))
        rt_wake(sync_waiter_finish(w, RT_ECLOSED));
    release_handle_and_unlock(ch);
}

/* ------------------------------------------------------------ send */

/* Sends without waiting: 0, RT_ECLOSED, RT_EWOULDBLOCK or -ENOMEM. On 0, *receiver is the
 * waiting receiver's waker (to wake after unlocking) when has_receiver. Lock held. */
static int send_locked(struct mpsc *ch, const void *value, rt_waker *receiver, bool *has_receiver)
{
    *has_receiver = false;
    if (!ch->is_receiver_alive)
        return RT_ECLOSED;
    if (ring_is_full(ch))
        return RT_EWOULDBLOCK;
    int rc = ring_push(ch, value);
    if (rc < 0)
        return rc;
    struct sync_waiter *w = ch->receiver_waiting.head;
    if (w) {
        sync_waitq_remove(&ch->receiver_waiting, w);
        *receiver = w->waker;
        *has_receiver = true;
    }
    return 0;
}

static void wake_receiver(const struct mpsc *ch, rt_waker receiver, bool has_receiver)
{
    sync_trace_send(ch, has_receiver ? sync_waker_task_id(receiver) : 0);
    if (has_receiver)
        rt_wake(receiver);
}

int rt_mpsc_try_send(rt_mpsc_sender *tx, const void *value)
{
    struct mpsc *ch = tx->chan;
    rt_waker receiver;
    bool has_receiver;
    sync_lock_acquire(&ch->lock);
    int rc = send_locked(ch, value, &receiver, &has_receiver);
    sync_lock_release(&ch->lock);
    if (rc == 0)
        wake_receiver(ch, receiver, has_receiver);
    return rc;
}

int rt_mpsc_send(rt_mpsc_sender *tx, const void *value)
{
    struct mpsc *ch = tx->chan;
    rt_waker receiver;
    bool has_receiver;
    sync_lock_acquire(&ch->lock);
    int rc = send_locked(ch, value, &receiver, &has_receiver);
    if (rc == RT_EWOULDBLOCK) {
        /* Full: wait until recv copies our value in for us (or the receiver goes). */
        struct sync_waiter w = {.value = value};
        rc = sync_wait_handoff(&ch->lock, &ch->senders_waiting, &w, RT_PARK_SEND, ch);
        sync_lock_release(&ch->lock);
        if (rc == 0 && w.result == 0)
            sync_trace_send(ch, 0);
        return rc == 0 ? w.result : rc;
    }
    sync_lock_release(&ch->lock);
    if (rc == 0)
        wake_receiver(ch, receiver, has_receiver);
    return rc;
}

/* ------------------------------------------------------------ recv */

/* Takes the oldest value into out, then refills the freed slot from the first waiting
 * sender (handoff). Returns 0, RT_ECLOSED or RT_EWOULDBLOCK; on 0 with *has_sender, the
 * sender's waker must be woken after unlocking. Lock held. */
static int recv_locked(struct mpsc *ch, void *out, rt_waker *sender, bool *has_sender)
{
    *has_sender = false;
    if (ch->count == 0)
        return ch->nsenders == 0 ? RT_ECLOSED : RT_EWOULDBLOCK;
    ring_pop(ch, out);
    struct sync_waiter *w = sync_waitq_claim_first(&ch->senders_waiting);
    if (w) {
        int rc = ring_push(ch, w->value); /* cannot grow: we just freed a slot */
        RT_ASSERT(rc == 0, "mpsc refill failed");
        *sender = sync_waiter_finish(w, 0);
        *has_sender = true;
    }
    return 0;
}

static void wake_sender(const struct mpsc *ch, rt_waker sender, bool has_sender)
{
    sync_trace_recv(ch, 0); /* 0: the ring does not remember who sent each value */
    if (has_sender)
        rt_wake(sender);
}

int rt_mpsc_try_recv(rt_mpsc_receiver *rx, void *out)
{
    struct mpsc *ch = rx->chan;
    rt_waker sender;
    bool has_sender;
    sync_lock_acquire(&ch->lock);
    int rc = recv_locked(ch, out, &sender, &has_sender);
    sync_lock_release(&ch->lock);
    if (rc == 0)
        wake_sender(ch, sender, has_sender);
    return rc;
}

int rt_mpsc_recv(rt_mpsc_receiver *rx, void *out)
{
    struct mpsc *ch = rx->chan;
    rt_waker sender;
    bool has_sender;
    sync_lock_acquire(&ch->lock);
    int rc;
    while ((rc = recv_locked(ch, out, &sender, &has_sender)) == RT_EWOULDBLOCK) {
        struct sync_waiter w = {0};
        rc = sync_wait_level(&ch->lock, &ch->receiver_waiting, &w, RT_PARK_RECV, ch);
        if (rc != 0)
            break; /* cancelled or timed out: anything sent meanwhile stays queued */
    }
    sync_lock_release(&ch->lock);
    if (rc == 0)
        wake_sender(ch, sender, has_sender);
    return rc;
}

size_t rt_mpsc_len(rt_mpsc_receiver *rx)
{
    struct mpsc *ch = rx->chan;
    sync_lock_acquire(&ch->lock);
    size_t count = ch->count;
    sync_lock_release(&ch->lock);
    return count;
}

/* ------------------------------------------------------------ select's arms (select.c) */

enum sync_poll mpsc_select_recv(rt_mpsc_receiver *rx, void *out, struct sync_select *sel, int index,
                                struct sync_waiter *w, int *result)
{
    struct mpsc *ch = rx->chan;
    rt_waker sender;
    bool has_sender = false;
    enum sync_poll poll = SELECT_PENDING;
    sync_lock_acquire(&ch->lock);
    if (ch->count > 0 || ch->nsenders == 0) {
        /* Ready: claim first, so that a lost race leaves the value queued. */
        poll = sync_select_claim(sel, index) ? SELECT_DONE : SELECT_LOST;
        if (poll == SELECT_DONE)
            *result = recv_locked(ch, out, &sender, &has_sender);
    } else if (w) {
        sync_waitq_push(&ch->receiver_waiting, w);
    }
    sync_lock_release(&ch->lock);
    if (poll == SELECT_DONE && *result == 0)
        wake_sender(ch, sender, has_sender);
    return poll;
}

enum sync_poll mpsc_select_send(rt_mpsc_sender *tx, const void *value, struct sync_select *sel,
                                int index, struct sync_waiter *w, int *result)
{
    struct mpsc *ch = tx->chan;
    rt_waker receiver;
    bool has_receiver = false;
    enum sync_poll poll = SELECT_PENDING;
    sync_lock_acquire(&ch->lock);
    if (!ch->is_receiver_alive || !ring_is_full(ch)) {
        poll = sync_select_claim(sel, index) ? SELECT_DONE : SELECT_LOST;
        if (poll == SELECT_DONE)
            *result = send_locked(ch, value, &receiver, &has_receiver);
    } else if (w) {
        /* Handoff: recv will claim our select and copy the value in for us. */
        w->value = value;
        w->is_done = false;
        sync_waitq_push(&ch->senders_waiting, w);
    }
    sync_lock_release(&ch->lock);
    if (poll == SELECT_DONE && *result == 0)
        wake_receiver(ch, receiver, has_receiver);
    return poll;
}

/* Takes a select's waiter back out of q if nobody else did, dropping its waker clone. */
static void cancel_waiter(struct mpsc *ch, struct sync_waitq *q, struct sync_waiter *w)
{
    sync_lock_acquire(&ch->lock);
    if (w->is_queued) {
        sync_waitq_remove(q, w);
        rt_waker_drop(w->waker);
    }
    sync_lock_release(&ch->lock);
}

void mpsc_select_cancel_recv(rt_mpsc_receiver *rx, struct sync_waiter *w)
{
    cancel_waiter(rx->chan, &rx->chan->receiver_waiting, w);
}

void mpsc_select_cancel_send(rt_mpsc_sender *tx, struct sync_waiter *w)
{
    cancel_waiter(tx->chan, &tx->chan->senders_waiting, w);
}
