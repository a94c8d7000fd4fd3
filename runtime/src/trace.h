/*
 * trace.h - the scheduling events, each called from exactly one place (not API).
 *
 * Chapter: chapters/appendix-runtime.md#tracing
 *
 * Every event the scheduler visualizer draws happens in one obvious spot, which calls one
 * of these hooks. Each hook starts with the same test - is this runtime tracing? - so with
 * tracing off an event costs one load and one well-predicted branch; with tracing on, the
 * event is filled in and handed to the recorder (tracer.c), which appends it to the
 * calling worker's own buffer.
 *
 *   event          called from                          carries
 *   spawn          task.c  task_create                  new task, spawner, name
 *   run start/stop scheduler.c  run_task                worker, task, why it stopped
 *   park           scheduler.c  run_task (step 5)       task, reason, wait object
 *   wake           park.c  wake_epoch                   task, waker (0: not a task), cause
 *   steal          scheduler.c  steal_work              from worker, to worker, count
 *   sleep/wakeup   scheduler.c  worker_idle             worker
 *   exit           task.c  task_complete                task, final outcome
 *   lock/send/recv the task-aware locks and channels    object, peer
 *
 * Order within one run: "run T", then "stop T WHY" and, for a park or a yield, "park T
 * REASON OBJECT" at the same instant; a task that ends has "stop T exit" then "exit T HOW".
 * A wake is recorded only when it makes a parked task runnable (a wake that arrives before
 * the task finished parking just cancels the park: no event).
 */
#ifndef SPAWNLAB_RT_INTERNAL_TRACE_H
#define SPAWNLAB_RT_INTERNAL_TRACE_H

#include "internal.h"
#include "rt_trace_file.h"
#include "tracer.h"

/* The time of an event: nanoseconds of the runtime's clock (clock.c) since the trace
 * began - virtual time in deterministic mode, so that one seed gives one trace. */
static inline uint64_t trace_now(struct rt_runtime *rt)
{
    return (uint64_t)clock_now(rt) - rt->trace_origin_ns;
}

static inline bool trace_is_on(struct rt_runtime *rt)
{
    return __builtin_expect(atomic_load_explicit(&rt->tracer.is_on, memory_order_relaxed), 0);
}

/* The worker index of the calling thread in rt, or RT_TRACE_NO_WORKER. */
static inline int trace_worker_index(struct rt_runtime *rt)
{
    struct worker *w = sched_current_worker();
    return w && w->rt == rt ? w->index : RT_TRACE_NO_WORKER;
}

/* Fills in time and worker, and records. */
static inline void trace_emit(struct rt_runtime *rt, int worker, rt_trace_record r)
{
    r.time_ns = trace_now(rt);
    r.worker = worker;
    tracer_record(&rt->tracer, worker, &r);
}

static inline void trace_spawn(struct rt_task *t, const struct rt_task *spawner)
{
    if (trace_is_on(t->rt))
        trace_emit(t->rt, trace_worker_index(t->rt),
                   (rt_trace_record){.event = RT_TRACE_SPAWN,
                                     .task = t->id,
                                     .a = spawner ? spawner->id : 0,
                                     .text = t->name});
}

static inline void trace_run_start(struct worker *w, const struct rt_task *t)
{
    if (trace_is_on(w->rt))
        trace_emit(w->rt, w->index, (rt_trace_record){.event = RT_TRACE_RUN, .task = t->id});
}

static inline void trace_run_stop(struct worker *w, const struct rt_task *t)
{
    static const char *const why[] = {
        [SWITCH_YIELD] = "yield", [SWITCH_PARK] = "park", [SWITCH_EXIT] = "exit"};
    if (trace_is_on(w->rt))
        trace_emit(
            w->rt, w->index,
            (rt_trace_record){.event = RT_TRACE_STOP, .task = t->id, .word = why[t->request]});
}

static inline void trace_park(struct rt_task *t, rt_park_reason reason, const void *object)
{
    if (trace_is_on(t->rt))
        trace_emit(t->rt, trace_worker_index(t->rt),
                   (rt_trace_record){.event = RT_TRACE_PARK,
                                     .task = t->id,
                                     .word = rt_park_reason_name(reason),
                                     .object = (uint64_t)(uintptr_t)object});
}

/* Why a parked task was woken, as the trace format names it: from what it waited on. */
static inline const char *trace_wake_cause(const struct rt_task *t)
{
    static const char *const causes[] = {
        [RT_PARK_YIELD] = "yield",  [RT_PARK_JOIN] = "exit", [RT_PARK_LOCK] = "unlock",
        [RT_PARK_CHANNEL] = "send", [RT_PARK_SEND] = "recv", /* room made by a receive */
        [RT_PARK_RECV] = "send",    [RT_PARK_IO] = "io",     [RT_PARK_TIMER] = "timer",
        [RT_PARK_OTHER] = "other",
    };
    if (atomic_load_explicit(&t->is_cancelled, memory_order_relaxed))
        return "abort";
    return (unsigned)t->park_reason < sizeof causes / sizeof causes[0] ? causes[t->park_reason]
                                                                       : "other";
}

/* The waker is whoever calls: rt_task_id() (0 off the runtime: a thread, the reactor).
 * cause: given by the timers and the reactor (park_wake_because); NULL: from the wait. */
static inline void trace_wake(struct rt_task *t, const char *cause)
{
    if (trace_is_on(t->rt))
        trace_emit(t->rt, trace_worker_index(t->rt),
                   (rt_trace_record){.event = RT_TRACE_WAKE,
                                     .task = t->id,
                                     .a = rt_task_id(),
                                     .word = cause ? cause : trace_wake_cause(t)});
}

static inline void trace_steal(const struct worker *from, struct worker *to, uint32_t n)
{
    if (trace_is_on(to->rt))
        trace_emit(to->rt, to->index,
                   (rt_trace_record){.event = RT_TRACE_STEAL, .a = (uint64_t)from->index, .b = n});
}

static inline void trace_worker_sleep(struct worker *w)
{
    if (trace_is_on(w->rt))
        trace_emit(w->rt, w->index, (rt_trace_record){.event = RT_TRACE_SLEEP});
}

static inline void trace_worker_wakeup(struct worker *w)
{
    if (trace_is_on(w->rt))
        trace_emit(w->rt, w->index, (rt_trace_record){.event = RT_TRACE_WAKEUP});
}

static inline void trace_exit(struct rt_task *t, enum task_outcome outcome)
{
    static const char *const how[] = {[OUTCOME_RETURNED] = "returned",
                                      [OUTCOME_CANCELLED] = "cancelled",
                                      [OUTCOME_PANICKED] = "panicked"};
    if (trace_is_on(t->rt))
        trace_emit(t->rt, trace_worker_index(t->rt),
                   (rt_trace_record){.event = RT_TRACE_EXIT, .task = t->id, .word = how[outcome]});
}

/* ---- for the task-aware locks and channels (the current task is the actor) */

/* Names an object once (kind: "mutex", "mpsc", ... as the trace format lists). */
static inline void trace_object(struct rt_runtime *rt, const void *object, const char *kind,
                                const char *name)
{
    if (rt && trace_is_on(rt))
        trace_emit(rt, trace_worker_index(rt),
                   (rt_trace_record){.event = RT_TRACE_OBJECT,
                                     .object = (uint64_t)(uintptr_t)object,
                                     .word = kind,
                                     .text = name && name[0] ? name : kind});
}

/* lock-wait, lock-acquire, lock-release, send or recv by the current task; peer: the task
 * on the other side of a channel operation when known, else 0. */
static inline void trace_object_event(rt_trace_event event, const void *object, uint64_t peer)
{
    struct rt_task *t = task_current();
    if (t && trace_is_on(t->rt))
        trace_emit(
            t->rt, trace_worker_index(t->rt),
            (rt_trace_record){
                .event = event, .task = t->id, .object = (uint64_t)(uintptr_t)object, .a = peer});
}

#endif
