/*
 * task.c - a task's life: spawn, run, yield, finish; join handles, abort, panic.
 *
 * Chapters: chapters/02-spawn.md (spawn, join handles, the 'static rule),
 *           chapters/appendix-runtime.md#a-task-from-birth-to-death
 *
 * Life of a task:
 *   1. task_create: a control block (malloc) and a stack (stack.c); its context is set up
 *      so that the first switch into it runs task_entry(task) on the new stack.
 *   2. It is made runnable (scheduler.c) and some worker switches into it.
 *   3. It runs until a yield point; there it records what it wants (yield, park, exit) and
 *      switches back to its worker's scheduler, which does it (scheduler step 5).
 *   4. When fn returns (or the task panics), the worker frees the stack, publishes the
 *      outcome and wakes the joiner: task_complete.
 *   5. The control block lives on while anyone holds a reference: the task itself until
 *      it finished, its join handle until joined or detached, and every waker.
 *
 * Cancellation is cooperative: rt_abort sets a flag and interrupts the task's wait; the
 * task learns about it as RT_ECANCELED from its next yield point and returns. Nothing is
 * ever torn out from under a running task - there is no safe way to do that in C.
 */
#include "internal.h"
#include "trace.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *rt_strerror(int code)
{
    switch (code) {
    case 0:
        return "success";
    case RT_ECANCELED:
        return "cancelled";
    case RT_ETIMEDOUT:
        return "timed out";
    case RT_EPANICKED:
        return "panicked";
    default:
        return code < 0 ? strerror(-code) : "not an error code";
    }
}

/* ------------------------------------------------------------ references */

void task_retain(struct rt_task *t)
{
    atomic_fetch_add_explicit(&t->refcount, 1, memory_order_relaxed);
}

void task_release(struct rt_task *t)
{
    /* acq_rel: the thread that frees must see every other holder's last writes */
    uint32_t before = atomic_fetch_sub_explicit(&t->refcount, 1, memory_order_acq_rel);
    RT_ASSERT(before > 0, "task '%s' released more often than retained", t->name);
    if (before == 1) {
        free(t->panic_message);
        free(t);
    }
}

/* ------------------------------------------------------------ birth */

struct rt_task *task_current(void)
{
    struct worker *w = sched_current_worker();
    return w ? w->current : NULL;
}

static _Noreturn void task_exit(struct rt_task *t, enum task_outcome outcome, void *result);

/* Copies a task name, truncated to fit. */
static void copy_name(char name[TASK_NAME_MAX], const char *from)
{
    size_t i = 0;
    for (; i < TASK_NAME_MAX - 1 && from[i]; i++)
        name[i] = from[i];
    name[i] = '\0';
}

/* The first code that runs on a new task's stack. */
static void task_entry(void *arg)
{
    fiber_started();
    struct rt_task *t = arg;
    void *result = NULL;
    /* An abort that came before the first run means: never run at all. */
    if (!atomic_load_explicit(&t->is_cancelled, memory_order_acquire))
        result = t->fn(t->arg);
    task_exit(t, OUTCOME_RETURNED, result);
}

struct rt_task *task_create(struct rt_runtime *rt, const rt_spawn_options *options,
                            enum task_kind kind, rt_task_fn fn, void *arg, bool may_borrow_stack)
{
    struct worker *w = sched_current_worker();
    if (w && w->rt != rt)
        w = NULL; /* a task of another runtime: spawn as from outside */
    struct rt_task *spawner = w ? w->current : NULL;
    struct rt_task *t = malloc(sizeof *t);
    if (!t)
        return NULL;
    *t = (struct rt_task){.fn = fn, .arg = arg, .rt = rt, .kind = kind};
    t->id = atomic_fetch_add_explicit(&rt->next_task_id, 1, memory_order_relaxed);
    const char *name = options && options->name ? options->name : "task";
    copy_name(t->name, name); /* not snprintf: that alone would cost a tenth of a spawn */
    if (rt->is_checking && !may_borrow_stack)
        check_spawn_argument(rt, spawner, t->name, t->id, arg);
    atomic_init(&t->refcount, 2); /* the task's own life + the join handle */
    atomic_init(&t->is_cancelled, atomic_load(&rt->is_shutting_down));
    if (kind == TASK_COROUTINE) {
        size_t size = options && options->stack_size ? options->stack_size : rt->stack_size;
        if (size < RT_MIN_STACK_SIZE)
            size = RT_MIN_STACK_SIZE;
        if (stack_alloc(&rt->stacks, w ? &w->stacks : NULL, size, t, &t->stack) < 0) {
            free(t);
            return NULL;
        }
        fiber_make(&t->fiber, t->stack.low, t->stack.size, task_entry, t);
        /* counted where it is spawned; finishes are counted by workers (sched_live_tasks) */
        if (w)
            counter_bump(&w->stats.nspawned, 1);
        else
            atomic_fetch_add_explicit(&rt->nspawned_elsewhere, 1, memory_order_relaxed);
    }
    trace_spawn(t, spawner);
    return t;
}

static rt_join_handle *spawn(struct rt_runtime *rt, const rt_spawn_options *options,
                             enum task_kind kind, rt_task_fn fn, void *arg)
{
    RT_ASSERT(rt, "rt_spawn called outside the runtime: use rt_runtime_spawn from threads");
    RT_ASSERT(fn, "rt_spawn of a NULL function");
    if (atomic_load_explicit(&rt->is_closed, memory_order_acquire))
        return NULL;
    struct rt_task *t = task_create(rt, options, kind, fn, arg, false);
    if (!t)
        return NULL;
    if (kind == TASK_COROUTINE) {
        sched_make_runnable(t, false);
    } else if (blocking_pool_submit(rt, t) < 0) {
        task_release(t);
        task_release(t);
        return NULL;
    }
    return t;
}

/* The runtime of the calling task or blocking-pool job, or NULL. */
static struct rt_runtime *current_runtime(void)
{
    struct worker *w = sched_current_worker();
    if (w)
        return w->rt;
    struct rt_task *job = blocking_current_job();
    return job ? job->rt : NULL;
}

rt_join_handle *rt_spawn(rt_task_fn fn, void *arg)
{
    return spawn(current_runtime(), NULL, TASK_COROUTINE, fn, arg);
}

rt_join_handle *rt_spawn_named(const char *name, rt_task_fn fn, void *arg)
{
    rt_spawn_options options = {.name = name};
    return spawn(current_runtime(), &options, TASK_COROUTINE, fn, arg);
}

rt_join_handle *rt_spawn_with(const rt_spawn_options *options, rt_task_fn fn, void *arg)
{
    return spawn(current_runtime(), options, TASK_COROUTINE, fn, arg);
}

rt_join_handle *rt_runtime_spawn(rt_runtime *rt, const rt_spawn_options *options, rt_task_fn fn,
                                 void *arg)
{
    return spawn(rt, options, TASK_COROUTINE, fn, arg);
}

rt_join_handle *rt_spawn_blocking(rt_task_fn fn, void *arg)
{
    rt_spawn_options options = {.name = "blocking"};
    return spawn(current_runtime(), &options, TASK_BLOCKING_JOB, fn, arg);
}

/* For rt_scope only (scope.c): like rt_spawn_with, but exempt from the 'static check, because
 * the scope joins the task before the spawner's frame can end. Never yields. From a task. */
rt_join_handle *task_spawn_scoped(const rt_spawn_options *options, rt_task_fn fn, void *arg)
{
    struct rt_runtime *rt = current_runtime();
    RT_ASSERT(rt && fn, "task_spawn_scoped outside a task, or of a NULL function");
    if (atomic_load_explicit(&rt->is_closed, memory_order_acquire))
        return NULL;
    struct rt_task *t = task_create(rt, options, TASK_COROUTINE, fn, arg, true);
    if (t)
        sched_make_runnable(t, false);
    return t;
}

/* ------------------------------------------------------------ running */

void task_switch_to_scheduler(struct worker *w, struct rt_task *t)
{
    fiber_switch(&t->fiber, &w->scheduler, t->request == SWITCH_EXIT);
    /* Resumed - perhaps by another worker: nothing read before the switch about "where
     * we run" (worker, thread-locals, errno) is valid any more. */
}

int rt_yield(void)
{
    struct worker *w = sched_current_worker();
    struct rt_task *t = w ? w->current : NULL;
    RT_ASSERT(t, "rt_yield called outside a task");
    check_no_blocking_lock_held(t, "rt_yield");
    if (atomic_load_explicit(&t->is_cancelled, memory_order_acquire))
        return RT_ECANCELED;
    t->request = SWITCH_YIELD;
    task_switch_to_scheduler(w, t);
    return atomic_load_explicit(&t->is_cancelled, memory_order_acquire) ? RT_ECANCELED : 0;
}

uint64_t rt_task_id(void)
{
    struct rt_task *t = task_current();
    if (!t)
        t = blocking_current_job();
    return t ? t->id : 0;
}

const char *rt_task_name(void)
{
    struct rt_task *t = task_current();
    if (!t)
        t = blocking_current_job();
    return t ? t->name : "";
}

bool rt_is_cancelled(void)
{
    struct rt_task *t = task_current();
    if (!t)
        t = blocking_current_job();
    return t && atomic_load_explicit(&t->is_cancelled, memory_order_acquire);
}

uint64_t rt_handle_id(const rt_join_handle *handle)
{
    return handle->id;
}

const char *task_state_name(const struct rt_task *t)
{
    uint64_t word = atomic_load_explicit(&((struct rt_task *)t)->park_word, memory_order_acquire);
    return (word & 3) == PARK_PARKED ? "parked" : "runnable";
}

/* ------------------------------------------------------------ death */

static _Noreturn void task_exit(struct rt_task *t, enum task_outcome outcome, void *result)
{
    t->outcome = outcome;
    t->result = result;
    t->request = SWITCH_EXIT;
    task_switch_to_scheduler(sched_current_worker(), t);
    RT_ASSERT(false, "task '%s' was resumed after it exited", t->name);
    __builtin_unreachable();
}

void task_complete(struct rt_task *t, enum task_outcome outcome, void *result)
{
    /* Aborted before it finished: the task's result is not wanted (Tokio drops it too). */
    if (outcome == OUTCOME_RETURNED && atomic_load_explicit(&t->is_cancelled, memory_order_acquire))
        outcome = OUTCOME_CANCELLED, result = NULL;
    t->outcome = outcome;
    t->result = result;
    trace_exit(t, outcome);
    /* acq_rel: the joiner (acquire) sees outcome and result; we see its join_waker */
    int before = atomic_exchange_explicit(&t->join_state, JOIN_COMPLETE, memory_order_acq_rel);
    if (before == JOIN_WAITING)
        rt_wake(t->join_waker);
    if (t->is_block_on_main)
        runtime_main_finished(t->rt);
}

_Noreturn void rt_panic(const char *fmt, ...)
{
    char message[sizeof(((rt_join_error *)0)->panic_message)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    struct rt_task *t = task_current();
    if (!t)
        t = blocking_current_job();
    if (!t) {
        fprintf(stderr, "spawnlab: panic outside any task: %s\n", message);
        abort();
    }
    fprintf(stderr, "spawnlab: task '%s' (id %llu) panicked: %s\n", t->name,
            (unsigned long long)t->id, message);
    t->panic_message = strdup(message);
    if (t->kind == TASK_BLOCKING_JOB)
        blocking_panic_current();
    task_exit(t, OUTCOME_PANICKED, NULL);
}

/* ------------------------------------------------------------ join handles */

/* Waits until t has finished. 0, or RT_ECANCELED when the caller was aborted meanwhile. */
static int wait_for_completion(struct rt_task *t)
{
    if (atomic_load_explicit(&t->join_state, memory_order_acquire) == JOIN_COMPLETE)
        return 0;
    rt_waker waker = rt_park_prepare();
    t->join_waker = waker;
    int expected = JOIN_RUNNING;
    if (!atomic_compare_exchange_strong_explicit(&t->join_state, &expected, JOIN_WAITING,
                                                 memory_order_acq_rel, memory_order_acquire))
        rt_wake(waker); /* it finished meanwhile: wake ourselves, so rt_park returns at once */
    return rt_park(RT_PARK_JOIN, t);
}

/* Our deadline passed while we waited: take our waker back, unless the task finished
 * meanwhile (then its end already used the waker, and we report the result after all). */
static bool withdraw_join_waiter(struct rt_task *t)
{
    int expected = JOIN_WAITING;
    if (!atomic_compare_exchange_strong_explicit(&t->join_state, &expected, JOIN_RUNNING,
                                                 memory_order_acq_rel, memory_order_acquire))
        return false;
    rt_waker_drop(t->join_waker);
    return true;
}

int rt_join(rt_join_handle *handle, void **result, rt_join_error *error)
{
    struct rt_task *self = task_current();
    RT_ASSERT(self, "rt_join called outside a task");
    RT_ASSERT(handle != self, "task '%s' tried to join itself: it would wait forever", self->name);
    if (result)
        *result = NULL;
    int wait_rc = wait_for_completion(handle);
    if ((wait_rc == RT_ETIMEDOUT || wait_rc == -ENOMEM) && withdraw_join_waiter(handle)) {
        if (error)
            *error = (rt_join_error){.code = wait_rc};
        return wait_rc; /* the handle is still ours: join again, abort or detach it */
    }
    if (wait_rc == RT_ECANCELED) {
        /* We were aborted: give up the handle. Our waker stays registered in the task and
         * does nothing when it fires (its wait is over); it holds its own reference. */
        rt_detach(handle);
        if (error)
            *error = (rt_join_error){.code = RT_ECANCELED};
        return RT_ECANCELED;
    }
    RT_ASSERT(atomic_load_explicit(&handle->join_state, memory_order_acquire) == JOIN_COMPLETE,
              "join of task '%s' woke before it finished", handle->name);
    int rc = 0;
    if (handle->outcome == OUTCOME_RETURNED && result)
        *result = handle->result;
    if (handle->outcome == OUTCOME_CANCELLED)
        rc = RT_ECANCELED;
    if (handle->outcome == OUTCOME_PANICKED)
        rc = RT_EPANICKED;
    if (error && rc != 0) {
        *error = (rt_join_error){.code = rc};
        if (handle->panic_message)
            snprintf(error->panic_message, sizeof error->panic_message, "%s",
                     handle->panic_message);
    }
    task_release(handle);
    return rc;
}

void rt_detach(rt_join_handle *handle)
{
    task_release(handle);
}

void rt_abort(rt_join_handle *handle)
{
    /* seq_cst: the abort handshake with scheduler step 5, see park.c */
    atomic_store_explicit(&handle->is_cancelled, true, memory_order_seq_cst);
    if (handle->kind == TASK_COROUTINE)
        park_interrupt(handle);
}
