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
 *      Nobody won: we were woken by a "level" arm (a value arrived, a token was cancelled,
 *      a descriptor became ready), so go to 1, where it will claim - or find it was not
 *      ready after all (another reader drained the descriptor) and wait again; or the park
 *      failed (aborted, timed out): return that.
 * Who completes a lost race? Nobody: an arm completes only after winning the claim. A send
 * arm is the one "handoff" arm (sync_internal.h): the receiver completes it on our behalf,
 * and it too claims first - if the claim fails it leaves our value alone and moves on to
 * the next waiting sender. So no message is taken by a losing arm, and none is sent twice.
 *
 * Every other arm is level: mpsc recv, oneshot, broadcast and watch (their files hold the
 * poll under their lock), cancel token, join, deadline, and readable / writable descriptors
 * (here). The arm kinds form a table below - one poll and one cancel function each - so a
 * new kind is two functions and a row, and rt_select itself never looks at what an arm is.
 */
#include "rt_broadcast.h"
#include "rt_cancel.h"
#include "rt_mpsc.h"
#include "rt_net.h"
#include "rt_oneshot.h"
#include "rt_select.h"
#include "rt_watch.h"
#include "sync_internal.h"

#include <poll.h>

/* Per-arm state that lives on the selecting task's stack during one wait. Each kind uses
 * what it needs: a channel arm its waiter, a deadline arm its timer, a descriptor arm its
 * watch (select.c's own waiter.waker is the waker clone of every kind). */
struct arm_wait {
    struct sync_waiter waiter;
    struct sync_timer timer;
    rt_fd_watch *watch;
    bool is_registered;
};

/* The waiter to queue, or NULL when the poll must not register (step 1). */
static struct sync_waiter *waiter_of(struct arm_wait *wait)
{
    return wait ? &wait->waiter : NULL;
}

/* ---------------------------------------------------------------- the arm kinds
 * One poll and one cancel per kind. poll: is the arm ready? If so claim the select and
 * complete the operation (SELECT_DONE), or report SELECT_LOST; if not and wait is given,
 * register wait->waiter.waker so that the arm's readiness wakes us (SELECT_PENDING) - or
 * SELECT_FAILED with arm->result saying why it could not. cancel: undo the registration of
 * an arm whose poll returned SELECT_PENDING, dropping the waker clone if nobody used it. */

static enum sync_poll recv_poll(rt_select_arm *arm, struct sync_select *sel, int index,
                                struct arm_wait *wait)
{
    return mpsc_select_recv(arm->object, arm->value, sel, index, waiter_of(wait), &arm->result);
}
static void recv_cancel(rt_select_arm *arm, struct arm_wait *wait)
{
    mpsc_select_cancel_recv(arm->object, &wait->waiter);
}

static enum sync_poll send_poll(rt_select_arm *arm, struct sync_select *sel, int index,
                                struct arm_wait *wait)
{
    return mpsc_select_send(arm->object, arm->value, sel, index, waiter_of(wait), &arm->result);
}
static void send_cancel(rt_select_arm *arm, struct arm_wait *wait)
{
    mpsc_select_cancel_send(arm->object, &wait->waiter);
}

static enum sync_poll oneshot_poll(rt_select_arm *arm, struct sync_select *sel, int index,
                                   struct arm_wait *wait)
{
    return oneshot_select_recv(arm->object, arm->value, sel, index, waiter_of(wait), &arm->result);
}
static void oneshot_cancel(rt_select_arm *arm, struct arm_wait *wait)
{
    oneshot_select_cancel_recv(arm->object, &wait->waiter);
}

static enum sync_poll cancelled_poll(rt_select_arm *arm, struct sync_select *sel, int index,
                                     struct arm_wait *wait)
{
    arm->result = 0;
    return cancel_select_wait(arm->object, sel, index, waiter_of(wait));
}
static void cancelled_cancel(rt_select_arm *arm, struct arm_wait *wait)
{
    cancel_select_cancel(arm->object, &wait->waiter);
}

/* The task's end is published through its join slot (joinset.c), not a wait queue. */
static enum sync_poll join_poll(rt_select_arm *arm, struct sync_select *sel, int index,
                                struct arm_wait *wait)
{
    arm->result = 0;
    if (!sync_task_is_finished(arm->object) &&
        (!wait || sync_join_register(arm->object, wait->waiter.waker)))
        return SELECT_PENDING;
    return sync_select_claim(sel, index) ? SELECT_DONE : SELECT_LOST;
}
static void join_cancel(rt_select_arm *arm, struct arm_wait *wait)
{
    (void)wait;
    sync_join_unregister(arm->object);
}

static enum sync_poll deadline_poll(rt_select_arm *arm, struct sync_select *sel, int index,
                                    struct arm_wait *wait)
{
    arm->result = 0;
    if (sync_now_ns() >= arm->deadline_ns)
        return sync_select_claim(sel, index) ? SELECT_DONE : SELECT_LOST;
    if (!wait)
        return SELECT_PENDING;
    arm->result = sync_timer_arm(&wait->timer, arm->deadline_ns, wait->waiter.waker);
    return arm->result == 0 ? SELECT_PENDING : SELECT_FAILED;
}
static void deadline_cancel(rt_select_arm *arm, struct arm_wait *wait)
{
    (void)arm;
    sync_timer_disarm(&wait->timer);
}

static enum sync_poll broadcast_poll(rt_select_arm *arm, struct sync_select *sel, int index,
                                     struct arm_wait *wait)
{
    return broadcast_select_recv(arm->object, arm->value, arm->nmissed, sel, index, waiter_of(wait),
                                 &arm->result);
}
static void broadcast_cancel(rt_select_arm *arm, struct arm_wait *wait)
{
    broadcast_select_cancel_recv(arm->object, &wait->waiter);
}

static enum sync_poll watch_poll(rt_select_arm *arm, struct sync_select *sel, int index,
                                 struct arm_wait *wait)
{
    return watch_select_changed(arm->object, arm->value, sel, index, waiter_of(wait), &arm->result);
}
static void watch_cancel(rt_select_arm *arm, struct arm_wait *wait)
{
    watch_select_cancel_changed(arm->object, &wait->waiter);
}

/* Would a read (a write) of fd not wait now? Asked of the kernel directly: the watch below
 * only wakes us, it is not a readiness state we could consult, and a descriptor is shared
 * with the world (another reader may drain it between a wake and our look). Hang-up and
 * error count as ready: the read or write returns at once to report them. An invalid fd is
 * not ready here; starting its watch then fails with -EBADF. */
static bool fd_is_ready(int fd, unsigned interest)
{
    struct pollfd p = {.fd = fd, .events = interest == RT_READABLE ? POLLIN : POLLOUT};
    return poll(&p, 1, 0) == 1 && (p.revents & (p.events | POLLHUP | POLLERR)) != 0;
}

/* A level arm whose "object" is the kernel's: poll(2) checks; an rt_fd_watch (the reactor)
 * holds the waker while we wait. A watch that finds fd ready at once wakes us at once, so
 * readiness that arrives between the check and the watch is not missed: we come back to
 * step 1 and the check claims. */
static enum sync_poll fd_poll(rt_select_arm *arm, struct sync_select *sel, int index,
                              struct arm_wait *wait)
{
    arm->result = (int)arm->interest;
    if (fd_is_ready(arm->fd, arm->interest))
        return sync_select_claim(sel, index) ? SELECT_DONE : SELECT_LOST;
    if (!wait)
        return SELECT_PENDING;
    int rc = rt_fd_watch_start(arm->fd, arm->interest, wait->waiter.waker, &wait->watch);
    if (rc < 0) {
        arm->result = rc; /* the waker is still ours: register_all drops it */
        return SELECT_FAILED;
    }
    return SELECT_PENDING;
}
static void fd_cancel(rt_select_arm *arm, struct arm_wait *wait)
{
    (void)arm;
    rt_fd_watch_stop(wait->watch); /* drops the waker if the descriptor never woke us */
}

struct arm_kind {
    enum sync_poll (*poll)(rt_select_arm *arm, struct sync_select *sel, int index,
                           struct arm_wait *wait);
    void (*cancel)(rt_select_arm *arm, struct arm_wait *wait);
};

static const struct arm_kind arm_kinds[] = {
    [RT_SELECT_RECV] = {recv_poll, recv_cancel},
    [RT_SELECT_SEND] = {send_poll, send_cancel},
    [RT_SELECT_ONESHOT] = {oneshot_poll, oneshot_cancel},
    [RT_SELECT_CANCELLED] = {cancelled_poll, cancelled_cancel},
    [RT_SELECT_JOIN] = {join_poll, join_cancel},
    [RT_SELECT_DEADLINE] = {deadline_poll, deadline_cancel},
    [RT_SELECT_BROADCAST] = {broadcast_poll, broadcast_cancel},
    [RT_SELECT_WATCH] = {watch_poll, watch_cancel},
    [RT_SELECT_FD] = {fd_poll, fd_cancel},
};

enum { NARM_KINDS = sizeof arm_kinds / sizeof arm_kinds[0] };

/* An arm's kind, checked: an arm built by hand (not by rt_select_*) must not index past
 * the table. */
static const struct arm_kind *kind_of(const rt_select_arm *arm, int index)
{
    RT_ASSERT((unsigned)arm->kind < NARM_KINDS && arm_kinds[arm->kind].poll,
              "select arm %d has an unknown kind %d", index, (int)arm->kind);
    return &arm_kinds[arm->kind];
}

/* ---------------------------------------------------------------- the select itself */

/* The first arm to try: rotates, so that ready arms take turns winning. The counter is the
 * task's own, not the thread's: a task's selects then rotate the same way on every run,
 * which deterministic mode needs to replay a seed exactly. */
static int first_arm(int narms)
{
    struct rt_task *self = task_current();
    if (!self)
        return 0; /* outside a task (a select that cannot wait): no turns to take */
    return (int)(self->select_rotation++ % (unsigned)narms);
}

/* Step 1: one try of every arm. The winning index, -1 if none is ready, or a failure. */
static int poll_all(rt_select_arm *arms, int narms, int start, struct sync_select *sel)
{
    for (int k = 0; k < narms; k++) {
        int i = (start + k) % narms;
        enum sync_poll poll = kind_of(&arms[i], i)->poll(&arms[i], sel, i, NULL);
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
        enum sync_poll poll = kind_of(&arms[i], i)->poll(&arms[i], sel, i, &waits[i]);
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
                kind_of(&arms[i], i)->cancel(&arms[i], &waits[i]);
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
