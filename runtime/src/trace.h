/*
 * trace.h - the scheduling events, each called from exactly one place (not API).
 *
 * Chapter: chapters/appendix-runtime.md#tracing
 *
 * Every event the scheduler visualizer will draw happens in one obvious spot, which calls
 * one of these hooks. They are empty for now: the tracer (RT_TRACE=file, per-worker
 * buffers) fills them in without touching the scheduler's logic. Being static inline and
 * empty, they cost nothing until then.
 *
 *   event          called from                          carries
 *   spawn          task.c  task_create                  new task, spawner
 *   run start/stop scheduler.c  run_task                worker, task
 *   park           scheduler.c  run_task (step 5)       task, reason, wait object
 *   wake           park.c  wake_epoch                   task, waker (rt_task_id(), 0 = thread)
 *   steal          scheduler.c  steal_work              from worker, to worker, count
 *   exit           scheduler.c  run_task (step 5)       task, outcome
 */
#ifndef SPAWNLAB_RT_TRACE_H
#define SPAWNLAB_RT_TRACE_H

#include "internal.h"

static inline void trace_spawn(const struct rt_task *t, const struct rt_task *spawner)
{
    (void)t, (void)spawner;
}
static inline void trace_run_start(const struct worker *w, const struct rt_task *t)
{
    (void)w, (void)t;
}
static inline void trace_run_stop(const struct worker *w, const struct rt_task *t)
{
    (void)w, (void)t;
}
static inline void trace_park(const struct rt_task *t, rt_park_reason reason,
                              const void *object)
{
    (void)t, (void)reason, (void)object;
}
/* The waker is whoever calls it: rt_task_id() (0 off the runtime), read only when tracing. */
static inline void trace_wake(const struct rt_task *t)
{
    (void)t;
}
static inline void trace_steal(const struct worker *from, const struct worker *to, uint32_t n)
{
    (void)from, (void)to, (void)n;
}
static inline void trace_exit(const struct rt_task *t, enum task_outcome outcome)
{
    (void)t, (void)outcome;
}

#endif
