/*
 * watch.c - one value, a version number, one "seen" version per receiver.
 *
 * Chapter: chapters/05-channels.md#watch
 *
 * send replaces the value and bumps the version; a receiver has "changed" while the version
 * differs from the one it last borrowed. Receivers wait level-triggered: the version stays
 * bumped, so a cancelled wait loses nothing.
 */
#include "rt_watch.h"
#include "sync_internal.h"
#include "sync_trace.h"

#include <stdlib.h>
#include <string.h>

struct rt_watch_sender {
    struct watch *chan;
};
struct rt_watch_receiver {
    struct watch *chan;
    uint64_t seen; /* guarded by chan->lock */
};

struct watch {
    sync_lock lock;
    /* ---- fixed */
    size_t elem_size;
    void (*clone_value)(void *dst, const void *src);
    void (*drop_value)(void *value);
    struct rt_watch_sender tx;
    /* ---- guarded by lock */
    uint64_t version;
    bool is_sender_alive;
    size_t nreceivers;
    struct sync_waitq waiters; /* level */
    unsigned char value[];     /* elem_size bytes */
};

int rt_watch_new(const rt_channel_config *config, const void *initial, rt_watch_sender **tx,
                 rt_watch_receiver **rx)
{
    if (config->elem_size == 0)
        return -EINVAL;
    struct watch *w = calloc(1, sizeof *w + config->elem_size);
    rt_watch_receiver *receiver = malloc(sizeof *receiver);
    if (!w || !receiver) {
        free(receiver), free(w);
        return -ENOMEM;
    }
    sync_lock_init(&w->lock);
    w->elem_size = config->elem_size;
    w->clone_value = config->clone_value;
    w->drop_value = config->drop_value;
    w->tx.chan = w;
    w->is_sender_alive = true;
    w->nreceivers = 1;
    memcpy(w->value, initial, w->elem_size);
    *receiver = (rt_watch_receiver){w, 0};
    sync_trace_object(w, "watch", config->name ? config->name : "watch");
    *tx = &w->tx;
    *rx = receiver;
    return 0;
}

/* A handle left; the last one frees the watch. Lock held; unlocks. */
static void leave_and_unlock(struct watch *w)
{
    bool is_last = !w->is_sender_alive && w->nreceivers == 0;
    sync_lock_release(&w->lock);
    if (!is_last)
        return;
    if (w->drop_value)
        w->drop_value(w->value);
    sync_lock_destroy(&w->lock);
    free(w);
}

rt_watch_receiver *rt_watch_subscribe(rt_watch_sender *tx)
{
    rt_watch_receiver *rx = malloc(sizeof *rx);
    if (!rx)
        return NULL;
    struct watch *w = tx->chan;
    sync_lock_acquire(&w->lock);
    *rx = (rt_watch_receiver){w, w->version};
    w->nreceivers++;
    sync_lock_release(&w->lock);
    return rx;
}

void rt_watch_sender_drop(rt_watch_sender *tx)
{
    struct watch *w = tx->chan;
    sync_lock_acquire(&w->lock);
    RT_ASSERT(w->is_sender_alive, "a watch sender was dropped twice");
    w->is_sender_alive = false;
    sync_waitq_wake_all(&w->waiters); /* they will find it closed */
    leave_and_unlock(w);
}

void rt_watch_receiver_drop(rt_watch_receiver *rx)
{
    struct watch *w = rx->chan;
    free(rx);
    sync_lock_acquire(&w->lock);
    RT_ASSERT(w->nreceivers > 0, "a watch receiver was dropped twice");
    w->nreceivers--;
    leave_and_unlock(w);
}

int rt_watch_send(rt_watch_sender *tx, const void *value)
{
    struct watch *w = tx->chan;
    sync_lock_acquire(&w->lock);
    if (w->nreceivers == 0) {
        sync_lock_release(&w->lock);
        return RT_ECLOSED;
    }
    if (w->drop_value)
        w->drop_value(w->value);
    memcpy(w->value, value, w->elem_size);
    w->version++;
    sync_waitq_wake_all(&w->waiters);
    sync_lock_release(&w->lock);
    sync_trace_send(w, 0);
    return 0;
}

/* Copies the current value out and marks it seen (borrow, and select's arm). Lock held. */
static void borrow_locked(rt_watch_receiver *rx, void *out)
{
    struct watch *w = rx->chan;
    if (w->clone_value)
        w->clone_value(out, w->value);
    else
        memcpy(out, w->value, w->elem_size);
    rx->seen = w->version;
}

void rt_watch_borrow(rt_watch_receiver *rx, void *out)
{
    struct watch *w = rx->chan;
    sync_lock_acquire(&w->lock);
    borrow_locked(rx, out);
    sync_lock_release(&w->lock);
    sync_trace_recv(w, 0);
}

int rt_watch_changed(rt_watch_receiver *rx)
{
    struct watch *w = rx->chan;
    sync_lock_acquire(&w->lock);
    int rc = 0;
    while (rx->seen == w->version && w->is_sender_alive && rc == 0) {
        struct sync_waiter waiter = {0};
        rc = sync_wait_level(&w->lock, &w->waiters, &waiter, RT_PARK_RECV, w);
    }
    if (rx->seen != w->version)
        rc = 0; /* a change came: report it even if the wait was also interrupted */
    else if (rc == 0)
        rc = RT_ECLOSED;
    sync_lock_release(&w->lock);
    return rc;
}

/* ------------------------------------------------------------ select's arm (select.c) */

/* Level, like rt_watch_changed. With out, the arm that won also borrows - under the same lock,
 * so the value it copies is the one whose change made it ready (or a newer one), and marking
 * it seen cannot skip a change nobody read. A losing arm marks nothing: the receiver's next
 * changed still reports the change. */
enum sync_poll watch_select_changed(rt_watch_receiver *rx, void *out, struct sync_select *sel,
                                    int index, struct sync_waiter *w, int *result)
{
    struct watch *wch = rx->chan;
    enum sync_poll poll = SELECT_PENDING;
    sync_lock_acquire(&wch->lock);
    bool is_changed = rx->seen != wch->version;
    if (is_changed || !wch->is_sender_alive) {
        poll = sync_select_claim(sel, index) ? SELECT_DONE : SELECT_LOST;
        if (poll == SELECT_DONE)
            *result = is_changed ? 0 : RT_ECLOSED; /* a change beats closed, as in changed */
        if (poll == SELECT_DONE && is_changed && out)
            borrow_locked(rx, out);
    } else if (w) {
        sync_waitq_push(&wch->waiters, w);
    }
    sync_lock_release(&wch->lock);
    if (poll == SELECT_DONE && *result == 0 && out)
        sync_trace_recv(wch, 0);
    return poll;
}

void watch_select_cancel_changed(rt_watch_receiver *rx, struct sync_waiter *w)
{
    struct watch *wch = rx->chan;
    sync_lock_acquire(&wch->lock);
    if (w->is_queued) {
        sync_waitq_remove(&wch->waiters, w);
        rt_waker_drop(w->waker);
    }
    sync_lock_release(&wch->lock);
}
