/*
 * rt_joinset.h - a set of spawned tasks, joined in the order they finish (tokio's JoinSet).
 *
 * Chapter: chapters/06-bot.md#fan-out-fan-in
 *
 * Spawn many tasks into a set, then take their results as they finish - whichever is
 * first - with rt_joinset_join_next. rt_joinset_abort_all asks all of them to stop; freeing
 * the set aborts what is left, so tasks never outlive the set by accident (structured
 * concurrency). The tasks follow the 'static rule like any other (see rt_scope.h for
 * children that borrow from the caller's stack).
 *
 * A set belongs to one task: only that task may use it (it is not locked).
 */
#ifndef SPAWNLAB_RT_JOINSET_H
#define SPAWNLAB_RT_JOINSET_H

#include "rt_sync.h"

#include <stddef.h>
#include <stdint.h>

/* join_next on a set with no tasks left. */
#define RT_JOINSET_EMPTY (-ECHILD)

typedef struct rt_joinset rt_joinset;

/* An empty set; NULL when memory runs out. Never yields. From a task. */
rt_joinset *rt_joinset_new(void);
/* Aborts and detaches every task still in the set, and frees it. Never yields. */
void rt_joinset_free(rt_joinset *set);

/* Spawns fn(arg) (named, for traces and checks; NULL = "task") into the set. Returns the
 * task's id (> 0), or -ENOMEM. Never yields. From the set's task. */
int64_t rt_joinset_spawn(rt_joinset *set, const char *name, rt_task_fn fn, void *arg);

/* Waits for the next task of the set to finish, removes it and reports like rt_join:
 * 0 with *result (NULL is fine), RT_EPANICKED or RT_ECANCELED (error, if not NULL, says
 * more); *id (if not NULL) is the finished task's id. RT_JOINSET_EMPTY when the set is
 * empty. If the *calling* task is aborted (or times out) while waiting: RT_ECANCELED
 * (RT_ETIMEDOUT) with *id = 0, and the tasks stay in the set. MAY YIELD. From the set's task. */
int rt_joinset_join_next(rt_joinset *set, uint64_t *id, void **result, rt_join_error *error);

/* Aborts every task in the set (they stay in it until joined). Never yields. */
void rt_joinset_abort_all(rt_joinset *set);
/* Tasks in the set (running, or finished and not yet joined). Never yields. */
size_t rt_joinset_len(const rt_joinset *set);

#endif
