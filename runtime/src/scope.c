/*
 * scope.c - scopes, join-all, try-join-all, for-each-concurrent (buffer_unordered).
 *
 * Chapter: chapters/06-bot.md#fan-out-fan-in
 *
 * Why children may borrow the parent's stack here: every function of this file returns only
 * after each task it spawned has finished. The hard case is the parent being aborted: its
 * waits would then fail at once, so the final wait is *shielded* (joinset.c): the children
 * are aborted, and the parent keeps waiting until they are gone, then learns it was aborted.
 * The spawns go through task_spawn_scoped (task.c), the one door past the 'static check.
 */
#include "rt_scope.h"
#include "sync_internal.h"

#include <stdlib.h>

static void abort_all(rt_join_handle *const handles[], size_t n)
{
    for (size_t i = 0; i < n; i++)
        rt_abort(handles[i]);
}

/* Joins handles[k] (finished), removes it by moving the last one into its place, and
 * returns its join code. */
static int take_finished(rt_join_handle *handles[], size_t *count, size_t k)
{
    int rc = rt_join(handles[k], NULL, NULL); /* finished: does not wait */
    handles[k] = handles[--*count];
    return rc;
}

/* ------------------------------------------------------------ scopes */

struct rt_scope {
    struct rt_task *owner;
    rt_join_handle **children;
    size_t count, capacity;
};

int rt_scope_spawn(rt_scope *scope, rt_task_fn fn, void *arg)
{
    RT_ASSERT(task_current() == scope->owner,
              "rt_scope_spawn from task '%s', which does not "
              "run the scope: a child that wants children opens its own scope",
              rt_task_name());
    if (scope->count == scope->capacity) {
        size_t capacity = scope->capacity ? scope->capacity * 2 : 8;
        rt_join_handle **children = realloc(scope->children, capacity * sizeof *children);
        if (!children)
            return -ENOMEM;
        scope->children = children;
        scope->capacity = capacity;
    }
    rt_join_handle *h = task_spawn_scoped(&(rt_spawn_options){.name = "scoped"}, fn, arg);
    if (!h)
        return -ENOMEM;
    scope->children[scope->count++] = h;
    return 0;
}

int rt_scope_run(int (*body)(rt_scope *scope, void *arg), void *arg)
{
    rt_scope scope = {.owner = task_current()};
    RT_ASSERT(scope.owner, "rt_scope_run called outside a task");
    int rc = body(&scope, arg);
    bool is_aborting = rc != 0 || rt_is_cancelled();
    if (is_aborting)
        abort_all(scope.children, scope.count);
    int first_failure = 0;
    while (scope.count > 0) {
        int k = sync_wait_any_finished(scope.children, scope.count, is_aborting);
        if (k < 0) { /* aborted while waiting: abort the children, then wait shielded */
            is_aborting = true;
            abort_all(scope.children, scope.count);
            continue;
        }
        int child_rc = take_finished(scope.children, &scope.count, (size_t)k);
        if (child_rc != 0 && first_failure == 0)
            first_failure = child_rc;
    }
    free(scope.children);
    if (rc != 0)
        return rc;
    return rt_is_cancelled() ? RT_ECANCELED : first_failure;
}

/* ------------------------------------------------------------ for each, at most N at once */

struct item_run {
    int (*fn)(size_t index, void *arg);
    void *arg;
    size_t index;
    int result;
};

static void *run_item(void *p)
{
    struct item_run *r = p;
    r->result = r->fn(r->index, r->arg);
    return NULL;
}

/* The items in flight: handles[k] runs runs[k] (each run is malloc'd: it must not move). */
struct in_flight {
    rt_join_handle **handles;
    struct item_run **runs;
    size_t count;
};

static int start_item(struct in_flight *f, int (*fn)(size_t, void *), void *arg, size_t index)
{
    struct item_run *r = malloc(sizeof *r);
    if (!r)
        return -ENOMEM;
    *r = (struct item_run){.fn = fn, .arg = arg, .index = index};
    rt_join_handle *h = task_spawn_scoped(&(rt_spawn_options){.name = "item"}, run_item, r);
    if (!h) {
        free(r);
        return -ENOMEM;
    }
    f->handles[f->count] = h;
    f->runs[f->count++] = r;
    return 0;
}

/* Waits for one item to finish (shielded once stopping); its index and result, or the
 * wait's failure (we were aborted). */
static int finish_one(struct in_flight *f, bool is_stopping, size_t *index, int *result)
{
    int k = sync_wait_any_finished(f->handles, f->count, is_stopping);
    if (k < 0)
        return k;
    struct item_run *r = f->runs[k];
    f->runs[k] = f->runs[f->count - 1];
    int join_rc = take_finished(f->handles, &f->count, (size_t)k);
    *index = r->index;
    *result = join_rc != 0 ? join_rc : r->result; /* panicked or aborted: the join says */
    free(r);
    return 0;
}

int rt_for_each_concurrent(size_t nitems, size_t limit, int (*fn)(size_t index, void *arg),
                           int (*on_done)(size_t index, int result, void *arg), void *arg)
{
    if (limit == 0)
        return -EINVAL;
    limit = limit < nitems ? limit : nitems;
    struct in_flight f = {.handles = malloc((limit + 1) * sizeof *f.handles),
                          .runs = malloc((limit + 1) * sizeof *f.runs)};
    int stop = f.handles && f.runs ? 0 : -ENOMEM;
    size_t next = 0;
    for (;;) {
        while (stop == 0 && f.count < limit && next < nitems)
            stop = start_item(&f, fn, arg, next++);
        if (f.count == 0)
            break;
        if (stop != 0)
            abort_all(f.handles, f.count); /* idempotent; cheap next to a task's life */
        size_t index;
        int result, rc = finish_one(&f, stop != 0, &index, &result);
        if (rc != 0)
            stop = rc; /* we were aborted: abort the rest, then wait for them shielded */
        else if (stop == 0 && on_done)
            stop = on_done(index, result, arg);
    }
    free(f.handles);
    free(f.runs);
    return stop == 0 && rt_is_cancelled() ? RT_ECANCELED : stop;
}

/* ------------------------------------------------------------ join-all, try-join-all */

static int run_op(size_t index, void *arg)
{
    rt_op *ops = arg;
    return ops[index].fn(ops[index].arg);
}

static int record_op(size_t index, int result, void *arg)
{
    ((rt_op *)arg)[index].result = result;
    return 0;
}

static int record_op_or_stop(size_t index, int result, void *arg)
{
    record_op(index, result, arg);
    return result < 0 ? result : 0;
}

static int join_ops(rt_op *ops, size_t n, int (*on_done)(size_t, int, void *))
{
    for (size_t i = 0; i < n; i++)
        ops[i].result = RT_ECANCELED; /* until it reports */
    return n == 0 ? 0 : rt_for_each_concurrent(n, n, run_op, on_done, ops);
}

int rt_join_all(rt_op *ops, size_t n)
{
    return join_ops(ops, n, record_op);
}

int rt_try_join_all(rt_op *ops, size_t n)
{
    return join_ops(ops, n, record_op_or_stop);
}
