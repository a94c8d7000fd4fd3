/*
 * runtime.c - a runtime's life: creation, rt_block_on, RT_MAIN, shutdown.
 *
 * Chapter: chapters/appendix-runtime.md#runtimes-and-shutdown
 *
 * Two flavors, as in Tokio. multi_thread starts N worker threads at creation; they run
 * tasks until the runtime is freed, and rt_block_on just waits for its main task.
 * current_thread has one worker and no thread of its own: the worker loop runs on the
 * thread that calls rt_block_on, for as long as the main task runs (so spawned tasks only
 * make progress during rt_block_on - exactly like Tokio's current_thread runtime).
 *
 * Shutdown (rt_runtime_free), in order:
 *   1. stop the worker threads;
 *   2. check "shutdown": list the tasks still alive (every alive task owns a stack, so the
 *      stack pool knows them all);
 *   3. abort them all, and run them on this thread until they have returned (at most
 *      SHUTDOWN_GRACE_NS): their blocking calls return RT_ECANCELED, and a well-written task
 *      then cleans up and returns - the C analog of Tokio dropping the futures;
 *   4. refuse new tasks, and wait for the blocking pool's running work;
 *   5. free everything. Tasks that ignored the abort are abandoned (their memory leaks).
 */
#include "internal.h"
#include "rt_trace.h"
#include "trace.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum {
    DEFAULT_MAX_BLOCKING_THREADS = 64,
    DEFAULT_BLOCKING_WARN_MS = 100,
};
#define SHUTDOWN_GRACE_NS ((int64_t)1000000000)
#define SHUTDOWN_POLL_NS  ((int64_t)10000000)

_Noreturn void rt_assert_failed(const char *file, int line, const char *cond, const char *fmt, ...)
{
    char message[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(message, sizeof message, fmt, ap);
    va_end(ap);
    fprintf(stderr, "spawnlab runtime: %s (%s:%d: %s)\n", message, file, line, cond);
    abort();
}

uint64_t clock_monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ------------------------------------------------------------ creation */

static int worker_init(struct rt_runtime *rt, struct worker *w, int index)
{
    memset(w, 0, sizeof *w);
    w->rt = rt;
    w->index = index;
    w->random_state = 0x9e3779b9u * (uint32_t)(index + 1);
    w->queue.has_thieves = rt->nworkers > 1;
    pthread_mutex_init(&w->park_mutex, NULL);
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&w->park_cond, &attr);
    pthread_condattr_destroy(&attr);
    return 0;
}

static void worker_destroy(struct worker *w)
{
    free(w->seeded);
    pthread_mutex_destroy(&w->park_mutex);
    pthread_cond_destroy(&w->park_cond);
}

/* RT_SEED=n (n > 0) in the environment: deterministic mode for runtimes whose config
 * does not set a seed - replay a failing test without recompiling it. */
static uint64_t seed_from_environment(void)
{
    const char *value = getenv("RT_SEED");
    return value && value[0] ? strtoull(value, NULL, 0) : 0;
}

static void config_resolve(const rt_config *config, struct rt_runtime *rt)
{
    rt_config defaults = {0};
    if (!config)
        config = &defaults;
    rt->flavor = config->flavor;
    /* The virtual clock, and so deterministic mode, need one worker (clock.c). */
    rt->seed = config->seed ? config->seed : seed_from_environment();
    rt->random_state = rt->seed;
    bool is_virtual = config->clock == RT_CLOCK_VIRTUAL || rt->seed != 0;
    if (is_virtual)
        rt->flavor = RT_CURRENT_THREAD;
    clock_init(rt, is_virtual);
    rt->run_hook = config->run_hook;
    rt->run_hook_arg = config->run_hook_arg;
    rt->nworkers = config->nworkers;
    if (rt->flavor == RT_CURRENT_THREAD)
        rt->nworkers = 1;
    else if (rt->nworkers <= 0)
        rt->nworkers = (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (rt->nworkers <= 0)
        rt->nworkers = 1;
    if (rt->nworkers > 1024)
        rt->nworkers = 1024; /* idle.counts has 16 bits per count */
    rt->stack_size = config->stack_size ? config->stack_size : RT_DEFAULT_STACK_SIZE;
    if (rt->stack_size < RT_MIN_STACK_SIZE)
        rt->stack_size = RT_MIN_STACK_SIZE;
    rt->is_checking = config->checks == RT_CHECKS_ON ||
                      (config->checks == RT_CHECKS_DEFAULT && checks_default_enabled());
    int warn_ms =
        config->blocking_warn_ms > 0 ? config->blocking_warn_ms : DEFAULT_BLOCKING_WARN_MS;
    rt->blocking_warn_ns = (uint64_t)warn_ms * 1000000u;
    int max_blocking = config->max_blocking_threads > 0 ? config->max_blocking_threads
                                                        : DEFAULT_MAX_BLOCKING_THREADS;
    blocking_pool_init(&rt->blocking, max_blocking);
}

/* ------------------------------------------------------------ tracing */

int rt_trace_start(rt_runtime *rt, const char *path)
{
    if (atomic_load(&rt->tracer.is_on))
        return -EBUSY;
    if (path != rt->trace_path)
        snprintf(rt->trace_path, sizeof rt->trace_path, "%s", path);
    rt->trace_origin_ns = (uint64_t)clock_now(rt); /* trace.h's trace_now counts from here */
    return tracer_start(&rt->tracer, path, rt->nworkers,
                        rt->clock.is_virtual ? RT_TRACE_CLOCK_VIRTUAL : RT_TRACE_CLOCK_REAL);
}

int rt_trace_stop(rt_runtime *rt)
{
    return tracer_stop(&rt->tracer);
}

void rt_trace_mark(const char *label)
{
    struct rt_task *t = task_current();
    if (t && label && label[0] && !strpbrk(label, "\r\n") && trace_is_on(t->rt))
        trace_emit(t->rt, trace_worker_index(t->rt),
                   (rt_trace_record){.event = RT_TRACE_MARK, .task = t->id, .text = label});
}

static void report_trace_written(struct rt_runtime *rt, int rc)
{
    if (rc == 0)
        fprintf(stderr, "spawnlab: trace written to %s (draw it: tools/schedviz --png DIR %s)\n",
                rt->trace_path, rt->trace_path);
    else
        fprintf(stderr, "spawnlab: could not write the trace to %s: %s\n", rt->trace_path,
                strerror(-rc));
}

/* RT_TRACE=path: trace every runtime of the program. When one program creates several
 * runtimes, the second and later ones write to path.2, path.3, ... so none overwrites
 * another's trace. */
static void start_tracing_from_environment(struct rt_runtime *rt)
{
    static _Atomic int nruntimes_traced;
    const char *path = getenv("RT_TRACE");
    if (!path || !path[0])
        return;
    int n = atomic_fetch_add(&nruntimes_traced, 1) + 1;
    if (n == 1)
        snprintf(rt->trace_path, sizeof rt->trace_path, "%s", path);
    else
        snprintf(rt->trace_path, sizeof rt->trace_path, "%s.%d", path, n);
    int rc = rt_trace_start(rt, rt->trace_path);
    if (rc < 0)
        fprintf(stderr, "spawnlab: RT_TRACE=%s: cannot trace: %s\n", path, strerror(-rc));
}

rt_runtime *rt_runtime_new(const rt_config *config)
{
    struct rt_runtime *rt = calloc(1, sizeof *rt);
    if (!rt)
        return NULL;
    config_resolve(config, rt);
    /* Before any worker starts: their first events may already be traced. */
    tracer_init(&rt->tracer);
    start_tracing_from_environment(rt);
    rt->driver = &reactor_driver;
    atomic_init(&rt->next_task_id, 1);
    injection_init(&rt->injection);
    stack_pool_init(&rt->stacks, rt->stack_size);
    pthread_mutex_init(&rt->idle.mutex, NULL);
    pthread_mutex_init(&rt->main_mutex, NULL);
    pthread_cond_init(&rt->main_done, NULL);
    rt->workers = calloc((size_t)rt->nworkers, sizeof *rt->workers);
    rt->idle.sleepers = calloc((size_t)rt->nworkers, sizeof *rt->idle.sleepers);
    if (!rt->workers || !rt->idle.sleepers || reactor_init(rt) < 0)
        goto fail_free_arrays;
    for (int i = 0; i < rt->nworkers; i++)
        worker_init(rt, &rt->workers[i], i);
    if (rt->is_checking)
        checks_install_signal_handler();
    if (rt->flavor == RT_MULTI_THREAD) {
        for (int i = 0; i < rt->nworkers; i++) {
            struct worker *w = &rt->workers[i];
            if (pthread_create(&w->thread, NULL, sched_worker_thread, w) != 0)
                goto fail_stop_threads;
            w->has_thread = true;
        }
    }
    if (rt->is_checking)
        checks_monitor_start(rt);
    return rt;

fail_stop_threads:
    atomic_store(&rt->is_stopping, true);
    sched_unpark_all(rt);
    for (int i = 0; i < rt->nworkers; i++)
        if (rt->workers[i].has_thread)
            pthread_join(rt->workers[i].thread, NULL);
    for (int i = 0; i < rt->nworkers; i++)
        worker_destroy(&rt->workers[i]);
    reactor_destroy(rt);
fail_free_arrays:
    clock_destroy(rt);
    tracer_destroy(&rt->tracer); /* writes what RT_TRACE recorded, if anything */
    free(rt->workers);
    free(rt->idle.sleepers);
    stack_pool_destroy(&rt->stacks);
    injection_destroy(&rt->injection);
    blocking_pool_shutdown(&rt->blocking);
    free(rt);
    return NULL;
}

/* ------------------------------------------------------------ block_on */

void runtime_main_finished(struct rt_runtime *rt)
{
    pthread_mutex_lock(&rt->main_mutex);
    atomic_store_explicit(&rt->is_main_done, true, memory_order_release);
    pthread_cond_broadcast(&rt->main_done);
    pthread_mutex_unlock(&rt->main_mutex);
}

static bool is_main_done(struct rt_runtime *rt)
{
    return atomic_load_explicit(&rt->is_main_done, memory_order_acquire);
}

int rt_block_on(rt_runtime *rt, void *(*fn)(void *arg), void *arg, void **result)
{
    RT_ASSERT(!sched_current_worker(), "rt_block_on called from inside a task or a worker");
    rt_spawn_options options = {.name = "main"};
    /* may borrow our stack: we do not return before the task does */
    struct rt_task *t = task_create(rt, &options, TASK_COROUTINE, fn, arg, true);
    if (!t)
        return -ENOMEM;
    t->is_block_on_main = true;
    atomic_store(&rt->is_main_done, false);
    sched_make_runnable(t, false);
    if (rt->flavor == RT_CURRENT_THREAD) {
        sched_run_worker(&rt->workers[0], is_main_done, 0);
    } else {
        pthread_mutex_lock(&rt->main_mutex);
        while (!is_main_done(rt))
            pthread_cond_wait(&rt->main_done, &rt->main_mutex);
        pthread_mutex_unlock(&rt->main_mutex);
    }
    int rc = t->outcome == OUTCOME_PANICKED    ? RT_EPANICKED
             : t->outcome == OUTCOME_CANCELLED ? RT_ECANCELED
                                               : 0;
    if (result)
        *result = rc == 0 ? t->result : NULL;
    task_release(t); /* our handle */
    return rc;
}

struct main_args {
    int argc;
    char **argv;
    int (*app_main)(int, char **);
};

static void *main_task(void *arg)
{
    struct main_args *m = arg;
    return (void *)(intptr_t)m->app_main(m->argc, m->argv);
}

int rt_main(int argc, char **argv, int (*app_main)(int argc, char **argv), const rt_config *config)
{
    rt_runtime *rt = rt_runtime_new(config);
    if (!rt) {
        fprintf(stderr, "spawnlab: cannot create the runtime (out of memory or threads)\n");
        return 1;
    }
    struct main_args m = {argc, argv, app_main};
    void *status = NULL;
    int rc = rt_block_on(rt, main_task, &m, &status);
    rt_runtime_free(rt);
    if (rc == RT_EPANICKED)
        return 101; /* what a Rust program exits with when main panics */
    return rc == 0 ? (int)(intptr_t)status : 1;
}

/* ------------------------------------------------------------ shutdown */

static void abort_task(struct rt_task *t, void *unused)
{
    (void)unused;
    rt_abort(t);
}

static bool drain_is_over(struct rt_runtime *rt)
{
    return sched_live_tasks(rt) <= 0 || (int64_t)clock_monotonic_ns() > rt->drain_deadline_ns;
}

/* Step 3: aborts every task alive and runs them on this thread as worker 0 (the worker
 * threads are stopped) until none is alive or the grace period is over. */
static void abort_and_drain_tasks(struct rt_runtime *rt)
{
    stack_pool_for_each_owner(&rt->stacks, abort_task, NULL);
    rt->drain_deadline_ns = (int64_t)clock_monotonic_ns() + SHUTDOWN_GRACE_NS;
    sched_run_worker(&rt->workers[0], drain_is_over, SHUTDOWN_POLL_NS);
}

static void stop_worker_threads(struct rt_runtime *rt)
{
    atomic_store(&rt->is_stopping, true);
    sched_unpark_all(rt);
    for (int i = 0; i < rt->nworkers; i++) {
        if (rt->workers[i].has_thread)
            pthread_join(rt->workers[i].thread, NULL);
        rt->workers[i].has_thread = false;
    }
}

void rt_runtime_free(rt_runtime *rt)
{
    if (!rt)
        return;
    RT_ASSERT(!sched_current_worker(), "rt_runtime_free called from inside the runtime");
    /* 1 */
    checks_monitor_stop(rt);
    stop_worker_threads(rt);
    atomic_store(&rt->is_shutting_down, true);
    if (sched_live_tasks(rt) > 0) {
        /* 2, 3 */
        if (rt->is_checking)
            check_list_live_tasks(rt);
        abort_and_drain_tasks(rt);
    }
    /* 4 */
    atomic_store(&rt->is_closed, true);
    blocking_pool_shutdown(&rt->blocking);
    if (sched_live_tasks(rt) > 0)
        abort_and_drain_tasks(rt); /* tasks the blocking pool's last work woke up */
    int64_t abandoned = sched_live_tasks(rt);
    if (abandoned > 0)
        fprintf(stderr,
                "spawnlab: shutdown: %lld task(s) did not return after being aborted "
                "and are abandoned (their memory leaks). See "
                "chapters/appendix-runtime.md#shutdown\n",
                (long long)abandoned);
    /* 5 */
    if (atomic_load(&rt->tracer.is_on))
        report_trace_written(rt, rt_trace_stop(rt));
    tracer_destroy(&rt->tracer);
    for (int i = 0; i < rt->nworkers; i++)
        worker_destroy(&rt->workers[i]);
    reactor_destroy(rt);
    clock_destroy(rt);
    stack_pool_destroy(&rt->stacks);
    injection_destroy(&rt->injection);
    pthread_mutex_destroy(&rt->idle.mutex);
    pthread_mutex_destroy(&rt->main_mutex);
    pthread_cond_destroy(&rt->main_done);
    free(rt->workers);
    free(rt->idle.sleepers);
    free(rt);
}

/* ------------------------------------------------------------ statistics */

uint64_t rt_runtime_seed(rt_runtime *rt)
{
    return rt->seed;
}

void rt_runtime_stats(rt_runtime *rt, rt_stats *stats)
{
    memset(stats, 0, sizeof *stats);
    stats->nworkers = rt->nworkers;
    stats->nspawned = atomic_load(&rt->nspawned_elsewhere);
    for (int i = 0; i < rt->nworkers; i++) {
        struct worker_stats *s = &rt->workers[i].stats;
        stats->nspawned += atomic_load_explicit(&s->nspawned, memory_order_relaxed);
        stats->nfinished += atomic_load_explicit(&s->nfinished, memory_order_relaxed);
        stats->nruns += atomic_load_explicit(&s->nruns, memory_order_relaxed);
        stats->nsteals += atomic_load_explicit(&s->nsteals, memory_order_relaxed);
        stats->nstolen_tasks += atomic_load_explicit(&s->nstolen_tasks, memory_order_relaxed);
        stats->nworker_parks += atomic_load_explicit(&s->nparks, memory_order_relaxed);
    }
}
