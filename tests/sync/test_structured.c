/*
 * test_structured.c - cancel tokens, join sets, scopes (children borrowing the parent's
 * stack; the 'static check still firing outside a scope), join-all, try-join-all,
 * for-each-concurrent.
 */
#include "helpers.h"
#include "rt_cancel.h"
#include "rt_joinset.h"
#include "rt_notify.h"
#include "rt_scope.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ cancel tokens */

static void *token_tree(void *unused)
{
    (void)unused;
    rt_cancel_token *root = rt_cancel_token_new();
    rt_cancel_token *conn = rt_cancel_token_child(root);
    rt_cancel_token *request = rt_cancel_token_child(conn);
    rt_cancel_token *other = rt_cancel_token_child(root);
    rt_cancel_token_cancel(conn);
    SL_CHECK(rt_cancel_token_is_cancelled(request), "a grandchild missed its parent's cancel");
    SL_CHECK(!rt_cancel_token_is_cancelled(root) && !rt_cancel_token_is_cancelled(other),
             "cancelling a child cancelled its parent or a sibling");
    rt_cancel_token_cancel(root);
    SL_CHECK(rt_cancel_token_is_cancelled(other), "the root's cancel missed a child");
    rt_cancel_token *late = rt_cancel_token_child(root);
    SL_CHECK(rt_cancel_token_is_cancelled(late), "a child of a cancelled token is born running");
    SL_CHECK(rt_cancel_token_wait(late) == 0, "wait on a cancelled token did not return 0");
    rt_cancel_token_drop(late);
    rt_cancel_token_drop(request);
    rt_cancel_token_drop(conn);
    rt_cancel_token_drop(other);
    rt_cancel_token_drop(root);
    return NULL;
}

static void test_cancel_token_children(void)
{
    run_main(1, token_tree, NULL);
}

/* ------------------------------------------------------------ join sets */

static void *yield_n_times(void *arg)
{
    intptr_t n = (intptr_t)arg;
    yield_times((int)n);
    return arg;
}

static void *panic_after_yields(void *unused)
{
    (void)unused;
    yield_times(15);
    rt_panic("on purpose (test_joinset)");
}

static void *join_in_completion_order(void *unused)
{
    (void)unused;
    rt_joinset *set = rt_joinset_new();
    intptr_t yields[] = {30, 5, 20, 10};
    for (int i = 0; i < 4; i++)
        rt_joinset_spawn(set, "sleeper", yield_n_times, (void *)yields[i]);
    rt_joinset_spawn(set, "panicker", panic_after_yields, NULL);
    intptr_t expected[] = {5, 10, 15, 20, 30}; /* 15: the panic */
    for (int k = 0; k < 5; k++) {
        void *result = NULL;
        uint64_t id;
        rt_join_error error;
        int rc = rt_joinset_join_next(set, &id, &result, &error);
        if (expected[k] == 15)
            SL_CHECK(rc == RT_EPANICKED && strstr(error.panic_message, "on purpose"),
                     "join %d: expected the panic, got %s", k, rt_strerror(rc));
        else
            SL_CHECK(rc == 0 && (intptr_t)result == expected[k],
                     "join %d: expected the task "
                     "that yields %ld times, got %ld (%s)",
                     k, (long)expected[k], (long)(intptr_t)result, rt_strerror(rc));
        SL_CHECK(id > 0, "join_next did not say which task finished");
    }
    SL_CHECK(rt_joinset_join_next(set, NULL, NULL, NULL) == RT_JOINSET_EMPTY, "an empty set");
    rt_joinset_free(set);
    return NULL;
}

/* One worker: "yields n times" then orders the tasks' ends exactly. */
static void test_joinset_joins_in_completion_order(void)
{
    run_main(1, join_in_completion_order, NULL);
}

static rt_notify *never_notified;

static void *wait_forever(void *counter)
{
    if (rt_notify_wait(never_notified) == RT_ECANCELED)
        atomic_fetch_add((_Atomic int *)counter, 1);
    return NULL;
}

static void *free_set_with_tasks_left(void *arg)
{
    rt_joinset *set = rt_joinset_new();
    for (int i = 0; i < 10; i++)
        rt_joinset_spawn(set, "waiter", wait_forever, arg);
    yield_times(5);
    rt_joinset_free(set); /* aborts the ten waiters */
    yield_until_at_least(arg, 10);
    return NULL;
}

static void test_joinset_free_aborts_what_is_left(void)
{
    never_notified = rt_notify_new("never");
    _Atomic int *ncancelled = calloc(1, sizeof *ncancelled);
    run_main(1, free_set_with_tasks_left, ncancelled);
    SL_CHECK(atomic_load(ncancelled) == 10, "%d of 10 tasks were aborted with the set",
             atomic_load(ncancelled));
    free(ncancelled);
    rt_notify_free(never_notified);
}

/* ------------------------------------------------------------ scopes */

struct slot_arg {
    int *slots; /* points into the parent's stack */
    int index;
};

static void *fill_slot(void *arg)
{
    struct slot_arg *a = arg; /* also on the parent's stack */
    yield_times(a->index % 3);
    a->slots[a->index] = a->index * a->index;
    return NULL;
}

struct borrow_frame {
    int slots[32];
    struct slot_arg args[32];
};

static int spawn_borrowers(rt_scope *scope, void *arg)
{
    struct borrow_frame *frame = arg;
    for (int i = 0; i < 32; i++) {
        frame->args[i] = (struct slot_arg){frame->slots, i};
        if (rt_scope_spawn(scope, fill_slot, &frame->args[i]) != 0)
            return -ENOMEM;
    }
    return 0;
}

static void *borrow_from_stack(void *unused)
{
    (void)unused;
    struct borrow_frame frame; /* on this task's stack: only a scope may lend it */
    memset(&frame, 0xff, sizeof frame);
    int rc = rt_scope_run(spawn_borrowers, &frame);
    SL_CHECK(rc == 0, "rt_scope_run returned %s", rt_strerror(rc));
    for (int i = 0; i < 32; i++)
        SL_CHECK(frame.slots[i] == i * i, "slot %d holds %d after the scope", i, frame.slots[i]);
    return NULL;
}

static void test_scope_children_borrow_parent_stack(void)
{
    for (int i = 0; i < NWORKER_COUNTS; i++)
        run_main(worker_counts[i], borrow_from_stack, NULL);
}

struct aborted_scope {
    _Atomic int nchildren_done;
    _Atomic int nstarted;
    int scope_rc;
    int children_done_at_return;
};

static void *child_waits(void *arg)
{
    struct aborted_scope *s = arg;
    atomic_fetch_add(&s->nstarted, 1);
    rt_notify_wait(never_notified); /* until aborted */
    yield_times(3);                 /* aborted: returns at once, still touches parent memory */
    atomic_fetch_add(&s->nchildren_done, 1);
    return NULL;
}

static int spawn_waiters(rt_scope *scope, void *arg)
{
    for (int i = 0; i < 5; i++)
        rt_scope_spawn(scope, child_waits, arg);
    return 0;
}

static void *scope_owner(void *arg)
{
    struct aborted_scope *s = arg;
    s->scope_rc = rt_scope_run(spawn_waiters, s);
    s->children_done_at_return = atomic_load(&s->nchildren_done);
    return NULL;
}

static void *abort_scope_owner(void *arg)
{
    struct aborted_scope *s = arg;
    rt_join_handle *owner = rt_spawn(scope_owner, s);
    yield_until_at_least(&s->nstarted, 5);
    yield_times(5);
    rt_abort(owner);
    rt_join(owner, NULL, NULL);
    return NULL;
}

static void test_scope_aborted_parent_still_waits_for_children(void)
{
    never_notified = rt_notify_new("never");
    for (int i = 0; i < NWORKER_COUNTS; i++) {
        struct aborted_scope *s = calloc(1, sizeof *s);
        run_main(worker_counts[i], abort_scope_owner, s);
        SL_CHECK(s->scope_rc == RT_ECANCELED, "an aborted scope returned %s",
                 rt_strerror(s->scope_rc));
        SL_CHECK(s->children_done_at_return == 5,
                 "%d workers: the scope returned while %d of 5 "
                 "children still ran (they borrow its stack)",
                 worker_counts[i], 5 - s->children_done_at_return);
        free(s);
    }
    rt_notify_free(never_notified);
}

static sl_exit child_result; /* 64 KiB: too big for a test's stack */

static void test_static_check_fires_outside_a_scope(void)
{
    const char *outside[] = {"progs/borrow", "spawn", NULL};
    SL_CHECK_FATAL(sl_run_program(outside, 20.0, &child_result) == 0, "cannot run progs/borrow");
    SL_CHECK(!child_result.exited && child_result.status == SIGABRT &&
                 strstr(child_result.output, "the 'static rule"),
             "rt_spawn with a stack pointer outside a scope must stop the program with the "
             "'static rule; it ended with %s and printed:\n%s",
             sl_exit_describe(&child_result), child_result.output);
    const char *inside[] = {"progs/borrow", "scope", NULL};
    SL_CHECK_FATAL(sl_run_program(inside, 20.0, &child_result) == 0, "cannot run progs/borrow");
    SL_CHECK(child_result.exited && child_result.status == 0,
             "the same borrow inside a scope "
             "must be allowed; it ended with %s and printed:\n%s",
             sl_exit_describe(&child_result), child_result.output);
}

/* ------------------------------------------------------------ combinators */

static int succeed_after_yields(void *arg)
{
    yield_times((int)(intptr_t)arg);
    return (int)(intptr_t)arg;
}

static int fail_after_yields(void *arg)
{
    (void)arg;
    yield_times(3);
    return -EIO;
}

static int wait_until_aborted(void *arg)
{
    (void)arg;
    return rt_notify_wait(never_notified);
}

static void *combinators(void *arg)
{
    bool is_one_worker = arg != NULL;
    rt_op ops[4];
    for (int i = 0; i < 4; i++)
        ops[i] = (rt_op){succeed_after_yields, (void *)(intptr_t)i, -1};
    SL_CHECK(rt_join_all(ops, 4) == 0, "rt_join_all failed");
    for (int i = 0; i < 4; i++)
        SL_CHECK(ops[i].result == i, "op %d reported %d", i, ops[i].result);

    rt_op risky[] = {{wait_until_aborted, NULL, 0},
                     {fail_after_yields, NULL, 0},
                     {wait_until_aborted, NULL, 0},
                     {succeed_after_yields, (void *)1, 0}};
    int rc = rt_try_join_all(risky, 4);
    SL_CHECK(rc == -EIO, "rt_try_join_all returned %s, expected the failing op's -EIO",
             rt_strerror(rc));
    SL_CHECK(risky[0].result == RT_ECANCELED && risky[2].result == RT_ECANCELED,
             "the ops still waiting were not cancelled (%d, %d)", risky[0].result, risky[2].result);
    /* One worker: the quick op (1 yield) ends before the failing one (3 yields). On more
     * workers it may still be running when the failure aborts it. */
    SL_CHECK(risky[3].result == 1 || (!is_one_worker && risky[3].result == RT_ECANCELED),
             "a quick op reported %d", risky[3].result);
    return NULL;
}

static void test_join_all_and_try_join_all(void)
{
    never_notified = rt_notify_new("never");
    for (int i = 0; i < NWORKER_COUNTS; i++)
        run_main(worker_counts[i], combinators, worker_counts[i] == 1 ? (void *)1 : NULL);
    rt_notify_free(never_notified);
}

struct limited {
    _Atomic int ninside, max_inside;
    int ndone;
    bool seen[50];
};

static int limited_item(size_t index, void *arg)
{
    struct limited *l = arg;
    int now = atomic_fetch_add(&l->ninside, 1) + 1;
    int max = atomic_load(&l->max_inside);
    while (now > max && !atomic_compare_exchange_weak(&l->max_inside, &max, now)) {
    }
    yield_times((int)(index % 4) + 1);
    atomic_fetch_sub(&l->ninside, 1);
    return (int)index;
}

static int count_done(size_t index, int result, void *arg)
{
    struct limited *l = arg; /* runs in the calling task: no lock needed */
    SL_CHECK(result == (int)index, "item %zu reported %d", index, result);
    l->seen[index] = true;
    l->ndone++;
    return 0;
}

static void *at_most_four(void *arg)
{
    bool is_one_worker = arg != NULL;
    struct limited l = {0}; /* borrowed by the items */
    int rc = rt_for_each_concurrent(50, 4, limited_item, count_done, &l);
    SL_CHECK(rc == 0, "rt_for_each_concurrent returned %s", rt_strerror(rc));
    SL_CHECK(l.ndone == 50, "on_done ran %d times for 50 items", l.ndone);
    SL_CHECK(atomic_load(&l.max_inside) <= 4, "%d items ran at once with a limit of 4",
             atomic_load(&l.max_inside));
    /* One worker: items yield, so all four slots fill up (timing decides on more). */
    SL_CHECK(!is_one_worker || atomic_load(&l.max_inside) == 4,
             "at most %d items ran at once "
             "with a limit of 4",
             atomic_load(&l.max_inside));
    for (int i = 0; i < 50; i++)
        SL_CHECK(l.seen[i], "item %d never reported", i);
    return NULL;
}

static void test_for_each_concurrent_runs_at_most_n(void)
{
    for (int i = 0; i < NWORKER_COUNTS; i++)
        run_main(worker_counts[i], at_most_four, worker_counts[i] == 1 ? (void *)1 : NULL);
}

const sl_test sync_structured_tests[] = {
    SL_TEST(test_cancel_token_children, 1, "chapters/05-channels.md#graceful-shutdown"),
    SL_TEST(test_joinset_joins_in_completion_order, 2, "chapters/06-bot.md#fan-out-fan-in"),
    SL_TEST(test_joinset_free_aborts_what_is_left, 1, "chapters/06-bot.md#fan-out-fan-in"),
    SL_TEST(test_scope_children_borrow_parent_stack, 2, "chapters/06-bot.md#fan-out-fan-in"),
    SL_TEST(test_scope_aborted_parent_still_waits_for_children, 2,
            "chapters/06-bot.md#fan-out-fan-in"),
    SL_TEST(test_static_check_fires_outside_a_scope, 1, "chapters/02-spawn.md#the-static-rule"),
    SL_TEST(test_join_all_and_try_join_all, 1, "chapters/06-bot.md#fan-out-fan-in"),
    SL_TEST(test_for_each_concurrent_runs_at_most_n, 1, "chapters/06-bot.md#fan-out-fan-in"),
    SL_TEST_END,
};
