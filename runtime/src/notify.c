/*
 * notify.c - wake one or all waiters; a stored permit when nobody waits.
 *
 * Chapter: chapters/05-channels.md#notify
 *
 * Handoff (sync_internal.h): notify_one marks the first waiter notified before waking it,
 * so a waiter that is aborted at the same moment still counts as notified and the
 * notification is not lost. Without the permit, "notify, then the other task waits" would
 * be a lost wake-up: the classic condition-variable mistake.
 */
#include "rt_notify.h"
#include "sync_internal.h"
#include "sync_trace.h"

#include <stdlib.h>

struct rt_notify {
    sync_lock lock;
    const char *name;
    /* guarded by lock */
    bool has_permit;
    struct sync_waitq waiters; /* handoff */
};

rt_notify *rt_notify_new(const char *name)
{
    rt_notify *n = malloc(sizeof *n);
    if (!n)
        return NULL;
    sync_lock_init(&n->lock);
    n->name = name;
    n->has_permit = false;
    n->waiters = (struct sync_waitq){0};
    sync_trace_object(n, "notify", name);
    return n;
}

void rt_notify_free(rt_notify *n)
{
    if (!n)
        return;
    RT_ASSERT(sync_waitq_is_empty(&n->waiters), "notify '%s' freed while tasks wait on it",
              n->name ? n->name : "?");
    sync_lock_destroy(&n->lock);
    free(n);
}

int rt_notify_wait(rt_notify *n)
{
    sync_lock_acquire(&n->lock);
    if (n->has_permit) {
        n->has_permit = false;
        sync_lock_release(&n->lock);
        return 0;
    }
    sync_trace_lock_wait(n);
    struct sync_waiter w = {0};
    int rc = sync_wait_handoff(&n->lock, &n->waiters, &w, RT_PARK_LOCK, n);
    sync_lock_release(&n->lock);
    if (rc == 0)
        sync_trace_lock_acquire(n);
    return rc;
}

void rt_notify_one(rt_notify *n)
{
    sync_lock_acquire(&n->lock);
    struct sync_waiter *w = sync_waitq_claim_first(&n->waiters);
    if (!w) {
        n->has_permit = true;
        sync_lock_release(&n->lock);
        return;
    }
    rt_waker waker = sync_waiter_finish(w, 0);
    sync_lock_release(&n->lock);
    rt_wake(waker); /* after unlocking: w itself may be gone by now, its waker is a copy */
}

void rt_notify_all(rt_notify *n)
{
    sync_lock_acquire(&n->lock);
    struct sync_waiter *w;
    while ((w = sync_waitq_claim_first(&n->waiters)))
        rt_wake(sync_waiter_finish(w, 0));
    sync_lock_release(&n->lock);
}
