/*
 * rt_scope.h - structured concurrency: children that may borrow from the parent's stack.
 *
 * Chapters: chapters/06-bot.md#fan-out-fan-in, chapters/02-spawn.md#the-static-rule
 *
 * rt_spawn's 'static rule forbids handing a task a pointer into the spawner's stack, because
 * the spawner may return first. A *scope* removes the reason: rt_scope_run calls body, and
 * does not return until every task spawned into the scope has finished - even if the
 * calling task is aborted meanwhile (then the children are aborted and still waited for).
 * So scope children may read and write the caller's local variables, like the futures of
 * Rust's FuturesUnordered, or the threads of std::thread::scope. The runtime's check knows
 * scope children and lets them borrow; everywhere else it still fires.
 *
 * On top of scopes, the usual combinators - their operations may borrow too:
 *   rt_join_all        run n operations at once, wait for all;
 *   rt_try_join_all    the same, but the first failure aborts the rest (try_join!);
 *   rt_for_each_concurrent  run an operation per item, at most `limit` at once, and see
 *                      the results in completion order (StreamExt::buffer_unordered).
 * With tasks, in-flight operations keep running while the caller handles a result (unlike
 * futures nobody polls, chapter 06's "buffered concurrency trap"); what a slow on_done
 * delays is only the start of the next items.
 */
#ifndef SPAWNLAB_RT_SCOPE_H
#define SPAWNLAB_RT_SCOPE_H

#include "rt_sync.h"

#include <stddef.h>

typedef struct rt_scope rt_scope;

/* Runs body(scope, arg) in the calling task, then waits for every task it spawned into the
 * scope. If body returns nonzero or the calling task is aborted, the children are aborted
 * first (and still waited for). Returns body's result if nonzero; else RT_ECANCELED if the
 * calling task was aborted; else the first child failure (RT_EPANICKED, RT_ECANCELED); else
 * 0. MAY YIELD. From a task. */
int rt_scope_run(int (*body)(rt_scope *scope, void *arg), void *arg);

/* Spawns fn(arg) into the scope; arg may point into the stack of the task running the scope.
 * 0 or -ENOMEM. Never yields. Only from the task that runs rt_scope_run (a child that wants
 * children of its own opens its own scope). */
int rt_scope_spawn(rt_scope *scope, rt_task_fn fn, void *arg);

/* One operation of a combinator: fn(arg) returns 0 or a negative error, kept in result. */
typedef struct rt_op {
    int (*fn)(void *arg);
    void *arg;
    int result; /* out; RT_ECANCELED for an operation that was aborted or never started */
} rt_op;

/* Runs ops[0..n) concurrently and waits for all. Returns 0, or RT_ECANCELED if the calling
 * task was aborted (the ops were aborted and waited for). MAY YIELD. From a task. */
int rt_join_all(rt_op *ops, size_t n);
/* Same, but the first op to fail aborts the others; returns its result (0 if none failed).
 * MAY YIELD. From a task. */
int rt_try_join_all(rt_op *ops, size_t n);

/* Runs fn(i, arg) for every i in [0, nitems), at most limit (>= 1) at a time. As each one
 * finishes, on_done(i, result, arg) runs in the calling task (in completion order; on_done
 * may be NULL); if it returns nonzero, no more items start, those running are aborted, and
 * that value is returned. Returns 0, that value, -ENOMEM, or RT_ECANCELED (the calling task
 * was aborted). MAY YIELD. From a task. */
int rt_for_each_concurrent(size_t nitems, size_t limit, int (*fn)(size_t index, void *arg),
                           int (*on_done)(size_t index, int result, void *arg), void *arg);

#endif
