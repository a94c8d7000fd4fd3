/*
 * cancel.c - cancellation tokens: a flag, its waiters, and a tree of children.
 *
 * Chapter: chapters/05-channels.md#graceful-shutdown
 *
 * Tree and references: a child holds a reference to its parent (so the parent outlives its
 * children); a parent lists its children without holding references (so dropping a child
 * does not wait for the parent). A child unlinks itself from its parent, under the
 * parent's lock, before it is freed - which is why cancelling, which walks the children
 * under the parent's lock, never meets a freed child.
 * Lock order: parent before child (cancel holds the parent's lock while it cancels each
 * child). Waiters are level (sync_internal.h): the flag stays set, so a woken waiter that
 * was aborted meanwhile has lost nothing.
 */
#include "rt_cancel.h"
#include "sync_internal.h"

#include <stdlib.h>

struct rt_cancel_token {
    sync_lock lock;
    _Atomic uint32_t refcount;
    _Atomic bool is_cancelled;      /* written under lock; read without it */
    struct rt_cancel_token *parent; /* fixed; holds a reference */
    /* guarded by parent->lock: our place in the parent's list of children */
    struct rt_cancel_token *prev_sibling, *next_sibling;
    /* guarded by lock */
    struct rt_cancel_token *first_child;
    struct sync_waitq waiters; /* level */
};

static rt_cancel_token *token_alloc(void)
{
    rt_cancel_token *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    sync_lock_init(&t->lock);
    atomic_init(&t->refcount, 1);
    atomic_init(&t->is_cancelled, false);
    return t;
}

rt_cancel_token *rt_cancel_token_new(void)
{
    return token_alloc();
}

rt_cancel_token *rt_cancel_token_child(rt_cancel_token *parent)
{
    rt_cancel_token *child = token_alloc();
    if (!child)
        return NULL;
    child->parent = rt_cancel_token_clone(parent);
    sync_lock_acquire(&parent->lock);
    if (atomic_load(&parent->is_cancelled)) {
        atomic_store(&child->is_cancelled, true); /* born cancelled: nothing to link */
    } else {
        child->next_sibling = parent->first_child;
        if (parent->first_child)
            parent->first_child->prev_sibling = child;
        parent->first_child = child;
    }
    sync_lock_release(&parent->lock);
    return child;
}

rt_cancel_token *rt_cancel_token_clone(rt_cancel_token *token)
{
    atomic_fetch_add_explicit(&token->refcount, 1, memory_order_relaxed);
    return token;
}

/* Takes child out of its parent's list (if it is in it). */
static void unlink_from_parent(rt_cancel_token *child)
{
    rt_cancel_token *parent = child->parent;
    sync_lock_acquire(&parent->lock);
    if (child->prev_sibling)
        child->prev_sibling->next_sibling = child->next_sibling;
    else if (parent->first_child == child)
        parent->first_child = child->next_sibling;
    if (child->next_sibling)
        child->next_sibling->prev_sibling = child->prev_sibling;
    sync_lock_release(&parent->lock);
}

void rt_cancel_token_drop(rt_cancel_token *token)
{
    if (atomic_fetch_sub_explicit(&token->refcount, 1, memory_order_acq_rel) != 1)
        return;
    RT_ASSERT(sync_waitq_is_empty(&token->waiters), "a cancel token was freed while waited on");
    RT_ASSERT(!token->first_child, "a cancel token was freed while it has children");
    if (token->parent) {
        unlink_from_parent(token);
        rt_cancel_token_drop(token->parent);
    }
    sync_lock_destroy(&token->lock);
    free(token);
}

void rt_cancel_token_cancel(rt_cancel_token *token)
{
    sync_lock_acquire(&token->lock);
    if (!atomic_load(&token->is_cancelled)) {
        atomic_store(&token->is_cancelled, true);
        sync_waitq_wake_all(&token->waiters);
        for (rt_cancel_token *c = token->first_child; c; c = c->next_sibling)
            rt_cancel_token_cancel(c); /* parent's lock held: c cannot be freed meanwhile */
    }
    sync_lock_release(&token->lock);
}

bool rt_cancel_token_is_cancelled(const rt_cancel_token *token)
{
    return atomic_load(&((rt_cancel_token *)token)->is_cancelled);
}

int rt_cancel_token_wait(rt_cancel_token *token)
{
    sync_lock_acquire(&token->lock);
    int rc = 0;
    while (rc == 0 && !atomic_load(&token->is_cancelled)) {
        struct sync_waiter w = {0};
        rc = sync_wait_level(&token->lock, &token->waiters, &w, RT_PARK_OTHER, token);
    }
    sync_lock_release(&token->lock);
    return atomic_load(&token->is_cancelled) ? 0 : rc;
}

/* ------------------------------------------------------------ select's arm (select.c) */

enum sync_poll cancel_select_wait(rt_cancel_token *token, struct sync_select *sel, int index,
                                  struct sync_waiter *w)
{
    enum sync_poll poll = SELECT_PENDING;
    sync_lock_acquire(&token->lock);
    if (atomic_load(&token->is_cancelled))
        poll = sync_select_claim(sel, index) ? SELECT_DONE : SELECT_LOST;
    else if (w)
        sync_waitq_push(&token->waiters, w);
    sync_lock_release(&token->lock);
    return poll;
}

void cancel_select_cancel(rt_cancel_token *token, struct sync_waiter *w)
{
    sync_lock_acquire(&token->lock);
    if (w->is_queued) {
        sync_waitq_remove(&token->waiters, w);
        rt_waker_drop(w->waker);
    }
    sync_lock_release(&token->lock);
}
