/*
 * joinset.c - waiting for whichever of several tasks finishes first; the join set.
 *
 * Chapter: chapters/06-bot.md#fan-out-fan-in
 *
 * A task signals its end through its join state (task.c): whoever waits publishes a waker
 * in the task (join_waker) and flips join_state RUNNING -> WAITING; the finishing task flips
 * it to COMPLETE and, if it saw WAITING, wakes that waker. To wait for *any* of n tasks we
 * publish a clone of one waker in each, park, and then take back every clone the tasks did
 * not use (WAITING -> RUNNING, the same compare-and-swap rt_join uses when it times out).
 *
 * Deliberate simplification: that costs O(n) per wait, so draining a set of n tasks costs
 * O(n^2) compare-and-swaps - fine for the hundreds of tasks a lab spawns. Tokio avoids it
 * by giving each entry its own waker that moves it to a "finished" list; our wakers wake
 * tasks, not entries, so that would need a completion hook in task.c.
 */
#include "rt_joinset.h"
#include "sync_internal.h"

#include <stdlib.h>

/* ------------------------------------------------------------ any-of-n (sync_internal.h) */

bool sync_task_is_finished(rt_join_handle *handle)
{
    return atomic_load_explicit(&handle->join_state, memory_order_acquire) == JOIN_COMPLETE;
}

bool sync_join_register(rt_join_handle *handle, rt_waker waker)
{
    handle->join_waker = waker; /* written before the flip publishes it (release) */
    int expected = JOIN_RUNNING;
    return atomic_compare_exchange_strong_explicit(&handle->join_state, &expected, JOIN_WAITING,
                                                   memory_order_acq_rel, memory_order_acquire);
}

void sync_join_unregister(rt_join_handle *handle)
{
    int expected = JOIN_WAITING;
    if (atomic_compare_exchange_strong_explicit(&handle->join_state, &expected, JOIN_RUNNING,
                                                memory_order_acq_rel, memory_order_acquire))
        rt_waker_drop(handle->join_waker); /* unused: the task had not finished */
}

/* Parks while tolerating aborts (a scope must outlive the children that borrow its stack):
 * the task's cancelled flag and deadline are set aside for the wait and put back after. */
struct shield {
    struct rt_task *task;
    bool was_cancelled;
    int64_t deadline_ns;
};

static void shield_begin(struct shield *s)
{
    s->task = task_current();
    s->was_cancelled = atomic_exchange(&s->task->is_cancelled, false);
    s->deadline_ns = s->task->deadline_ns;
    s->task->deadline_ns = 0;
}

static void shield_park(struct shield *s, const void *object)
{
    if (rt_park(RT_PARK_JOIN, object) == RT_ECANCELED) { /* aborted during the shield */
        s->was_cancelled = true;
        atomic_store(&s->task->is_cancelled, false); /* so that the next park sleeps */
    }
}

static void shield_end(struct shield *s)
{
    s->task->deadline_ns = s->deadline_ns;
    if (s->was_cancelled) /* seq_cst: the same handshake as rt_abort's (park.c) */
        atomic_store_explicit(&s->task->is_cancelled, true, memory_order_seq_cst);
}

/* The first finished handle, or -1. */
static int first_finished(rt_join_handle *const handles[], size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (sync_task_is_finished(handles[i]))
            return (int)i;
    return -1;
}

/* Publishes clones of a fresh waker in handles until one turns out finished; parks; takes
 * the clones back. Returns the park's code. */
static int park_on_all(rt_join_handle *const handles[], size_t n, struct shield *shield)
{
    rt_waker self = rt_park_prepare();
    size_t nregistered = 0;
    bool is_ready = false;
    for (; nregistered < n && !is_ready; nregistered++) {
        rt_waker clone = rt_waker_clone(self);
        if (!sync_join_register(handles[nregistered], clone)) {
            rt_waker_drop(clone); /* finished meanwhile */
            is_ready = true;
        }
    }
    if (is_ready)
        rt_wake(self); /* we changed our mind: rt_park returns at once */
    else
        rt_waker_drop(self); /* the clones are the wakers of this wait */
    int rc = 0;
    if (shield)
        shield_park(shield, handles);
    else
        rc = sync_park(RT_PARK_JOIN, handles);
    for (size_t i = 0; i < nregistered; i++)
        sync_join_unregister(handles[i]);
    return rc;
}

int sync_wait_any_finished(rt_join_handle *const handles[], size_t n, bool is_shielded)
{
    RT_ASSERT(n > 0, "waiting for any of zero tasks");
    struct shield shield;
    if (is_shielded)
        shield_begin(&shield);
    int index;
    while ((index = first_finished(handles, n)) < 0) {
        int rc = park_on_all(handles, n, is_shielded ? &shield : NULL);
        if (rc != 0 && (index = first_finished(handles, n)) < 0)
            return rc; /* not shielded: aborted or timed out, nothing finished */
    }
    if (is_shielded)
        shield_end(&shield);
    return index;
}

/* ------------------------------------------------------------ the join set */

struct rt_joinset {
    rt_join_handle **handles; /* running or finished, not yet joined */
    size_t count, capacity;
};

rt_joinset *rt_joinset_new(void)
{
    return calloc(1, sizeof(rt_joinset));
}

void rt_joinset_free(rt_joinset *set)
{
    if (!set)
        return;
    rt_joinset_abort_all(set);
    for (size_t i = 0; i < set->count; i++)
        rt_detach(set->handles[i]); /* they stop at their next yield point */
    free(set->handles);
    free(set);
}

int64_t rt_joinset_spawn(rt_joinset *set, const char *name, rt_task_fn fn, void *arg)
{
    if (set->count == set->capacity) {
        size_t capacity = set->capacity ? set->capacity * 2 : 8;
        rt_join_handle **handles = realloc(set->handles, capacity * sizeof *handles);
        if (!handles)
            return -ENOMEM;
        set->handles = handles;
        set->capacity = capacity;
    }
    rt_join_handle *h = rt_spawn_named(name, fn, arg);
    if (!h)
        return -ENOMEM;
    set->handles[set->count++] = h;
    return (int64_t)rt_handle_id(h);
}

int rt_joinset_join_next(rt_joinset *set, uint64_t *id, void **result, rt_join_error *error)
{
    if (id)
        *id = 0;
    if (set->count == 0)
        return RT_JOINSET_EMPTY;
    int index = sync_wait_any_finished(set->handles, set->count, false);
    if (index < 0)
        return index; /* we were aborted or timed out; the tasks stay */
    rt_join_handle *h = set->handles[index];
    set->handles[index] = set->handles[--set->count];
    if (id)
        *id = rt_handle_id(h);
    return rt_join(h, result, error); /* finished: returns at once */
}

void rt_joinset_abort_all(rt_joinset *set)
{
    for (size_t i = 0; i < set->count; i++)
        rt_abort(set->handles[i]);
}

size_t rt_joinset_len(const rt_joinset *set)
{
    return set->count;
}
