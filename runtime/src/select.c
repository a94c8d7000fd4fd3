/*
 * select.c - the first of several operations wins; the others do not happen.
 *
 * Chapter: chapters/05-channels.md#select
 *
 * The algorithm (Go's selectgo has the same shape):
 *   1. poll: try each arm once, in a rotating order. Under the arm's own lock, a ready arm
 *      claims the select (compare-and-swap winner: -1 -> its index) and then completes.
 *   2. register: get a waker (rt_park_prepare) and give a clone to each arm, which queues a
 *      waiter on its object - unless, under the same lock, it is ready by now: then it claims
 *      and completes right there, and we stop registering.
 *   3. park.
 *   4. unregister: take every waiter back out (under each object's lock). After that nobody
 *      can claim this select any more, so the winner, if any, is final - return it.
 *      Nobody won: we were woken by a "level" arm (a value arrived, a token was cancelled),
 *      so go to 1, where it will claim; or the park failed (aborted, timed out): return that.
 * Who completes a lost race? Nobody: an arm completes only after winning the claim. A send
 * arm is the one "handoff" arm (sync_internal.h): the receiver completes it on our behalf,
 * and it too claims first - if the claim fails it leaves our value alone and moves on to
 * the next waiting sender. So no message is taken by a losing arm, and none is sent twice.
 */
#include "rt_cancel.h"
#include "rt_mpsc.h"
#include "rt_oneshot.h"
#include "rt_select.h"
#include "sync_internal.h"

/* Per-arm state that lives on the selecting task's stack during one wait. */
struct arm_wait {
    struct sync_waiter waiter;
    struct sync_timer timer;
    bool is_registered;
};

/* An arm's readiness check; with `wait` it also queues on the object (see enum sync_poll). */
static enum sync_poll arm_poll(rt_select_arm *arm, struct sync_select *sel, int index,
                               struct arm_wait *wait)
{
    struct sync_waiter *w = wait ? &wait->waiter : NULL;
    switch (arm->kind) {
    case RT_SELECT_RECV:
        return mpsc_select_recv(arm->object, arm->value, sel, index, w, &arm->result);
    case RT_SELECT_SEND:
        return mpsc_select_send(arm->object, arm->value, sel, index, w, &arm->result);
    case RT_SELECT_ONESHOT:
        return oneshot_select_recv(arm->object, arm->value, sel, index, w, &arm->result);
    case RT_SELECT_CANCELLED:
        arm->result = 0;
        return cancel_select_wait(arm->object, sel, index, w);
    case RT_SELECT_JOIN:
        arm->result = 0;
        if (!sync_task_is_finished(arm->object) &&
            (!w || sync_join_register(arm->object, w->waker)))
            return SELECT_PENDING;
        return sync_select_claim(sel, index) ? SELECT_DONE : SELECT_LOST;
    case RT_SELECT_DEADLINE:
        arm->result = 0;
        if (sync_now_ns() >= arm->deadline_ns)
            return sync_select_claim(sel, index) ? SELECT_DONE : SELECT_LOST;
        if (!w)
            return SELECT_PENDING;
        arm->result = sync_timer_arm(&wait->timer, arm->deadline_ns, w->waker);
        return arm->result == 0 ? SELECT_PENDING : SELECT_FAILED;
    }
    RT_ASSERT(false, "select arm %d has an unknown kind %d", index, (int)arm->kind);
    return SELECT_FAILED;
}

/* Takes a registered arm's waiter back out; drops its waker if nobody used it. */
static void arm_cancel(rt_select_arm *arm, struct arm_wait *wait)
{
    switch (arm->kind) {
    case RT_SELECT_RECV:
        mpsc_select_cancel_recv(arm->object, &wait->waiter);
        break;
    case RT_SELECT_SEND:
        mpsc_select_cancel_send(arm->object, &wait->waiter);
        break;
    case RT_SELECT_ONESHOT:
        oneshot_select_cancel_recv(arm->object, &wait->waiter);
        break;
    case RT_SELECT_CANCELLED:
        cancel_select_cancel(arm->object, &wait->waiter);
        break;
    case RT_SELECT_JOIN:
        sync_join_unregister(arm->object);
        break;
    case RT_SELECT_DEADLINE:
        sync_timer_disarm(&wait->timer);
        break;
    }
}

/* The first arm to try: rotates, so that ready arms take turns winning. A per-thread
 * counter, read before any yield (never carried across one). */
static int first_arm(int narms)
{
    static __thread unsigned rotation;
    return (int)(rotation++ % (unsigned)narms);
}

/* Step 1: one try of every arm. The winning index, -1 if none is ready, or a failure. */
static int poll_all(rt_select_arm *arms, int narms, int start, struct sync_select *sel)
{
    for (int k = 0; k < narms; k++) {
        int i = (start + k) % narms;
        enum sync_poll poll = arm_poll(&arms[i], sel, i, NULL);
        RT_ASSERT(poll != SELECT_LOST, "a select was won before it waited");
        if (poll == SELECT_DONE)
            return i;
    }
    return -1;
}

/* Step 2: registers every arm (stopping at one that completes or fails); returns a
 * failure code, or 0. */
static int register_all(rt_select_arm *arms, int narms, int start, struct sync_select *sel,
                        struct arm_wait waits[])
{
    rt_waker self = rt_park_prepare();
    int failure = 0;
    for (int k = 0; k < narms && atomic_load(&sel->winner) < 0 && !failure; k++) {
        int i = (start + k) % narms;
        waits[i] = (struct arm_wait){.waiter = {.select = sel, .arm = i}};
        waits[i].waiter.waker = rt_waker_clone(self);
        enum sync_poll poll = arm_poll(&arms[i], sel, i, &waits[i]);
        waits[i].is_registered = poll == SELECT_PENDING;
        if (!waits[i].is_registered)
            rt_waker_drop(waits[i].waiter.waker); /* the arm did not keep it */
        if (poll == SELECT_FAILED)
            failure = arms[i].result;
    }
    if (atomic_load(&sel->winner) >= 0 || failure)
        rt_wake(self); /* done (or failed) already: the park below returns at once */
    else
        rt_waker_drop(self); /* the arms' clones are the wakers of this wait */
    return failure;
}

int rt_select(rt_select_arm *arms, int narms)
{
    if (narms < 1 || narms > RT_SELECT_MAX_ARMS)
        return -EINVAL;
    int start = first_arm(narms);
    for (;;) {
        struct sync_select sel = {.winner = -1};
        int winner = poll_all(arms, narms, start, &sel); /* 1 */
        if (winner >= 0)
            return winner;
        struct arm_wait waits[RT_SELECT_MAX_ARMS];
        for (int i = 0; i < narms; i++)
            waits[i].is_registered = false;
        int failure = register_all(arms, narms, start, &sel, waits); /* 2 */
        int rc = sync_park(RT_PARK_CHANNEL, &sel);                   /* 3 */
        for (int i = 0; i < narms; i++)                              /* 4 */
            if (waits[i].is_registered)
                arm_cancel(&arms[i], &waits[i]);
        winner = atomic_load(&sel.winner);
        if (winner >= 0) {
            struct sync_waiter *w = &waits[winner].waiter;
            if (waits[winner].is_registered && w->is_done) /* a handoff completed for us */
                arms[winner].result = w->result;
            return winner; /* it happened: that beats a cancellation that came with it */
        }
        if (failure)
            return failure;
        if (rc != 0)
            return rc;
    }
}
