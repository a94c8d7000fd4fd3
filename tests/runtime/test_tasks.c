/*
 * test_tasks.c - spawn, join, join errors, abort, yield, stealing, spawn_blocking, idle CPU.
 *
 * Most tests run with 1 worker (current_thread), 2 and 4 (multi_thread): a scheduler bug
 * often shows with one flavor only.
 */
#include "helpers.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const int worker_counts[] = {1, 2, 4};
#define FOR_EACH_WORKER_COUNT(n)                                                                   \
    for (size_t i_ = 0; i_ < sizeof worker_counts / sizeof worker_counts[0]; i_++)                 \
        for (int n = worker_counts[i_], once_ = 1; once_; once_ = 0)

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ------------------------------------------------------------ spawn and join */

static void *square(void *arg)
{
    intptr_t *n = arg; /* owned by us: the spawner malloc'd it ('static rule) */
    intptr_t result = *n * *n;
    free(n);
    return (void *)result;
}

static void *spawn_many_and_join(void *unused)
{
    (void)unused;
    enum { N = 1000 };
    rt_join_handle **handles = malloc(N * sizeof *handles);
    for (intptr_t i = 0; i < N; i++) {
        intptr_t *arg = malloc(sizeof *arg);
        *arg = i;
        handles[i] = rt_spawn(square, arg);
        SL_CHECK_FATAL(handles[i] != NULL, "rt_spawn returned NULL for task %ld", (long)i);
        if (i % 100 == 99)
            rt_yield(); /* a long loop yields now and then: never block the worker */
    }
    int wrong = 0;
    for (intptr_t i = 0; i < N; i++) {
        void *result = NULL;
        int rc = rt_join(handles[i], &result, NULL);
        if (rc != 0 || (intptr_t)result != i * i)
            wrong++;
    }
    free(handles);
    SL_CHECK(wrong == 0, "%d of %d joins returned a wrong result or an error", wrong, N);
    return (void *)42;
}

static void test_rt_spawn_join_returns_results(void)
{
    FOR_EACH_WORKER_COUNT(n)
    {
        rt_stats stats;
        int rc = run_main(n, spawn_many_and_join, NULL, &stats);
        SL_CHECK(rc == 0, "with %d workers, rt_block_on returned %s", n, rt_strerror(rc));
        SL_CHECK(stats.nspawned == 1001, "with %d workers: expected 1001 tasks, counted %llu", n,
                 (unsigned long long)stats.nspawned);
    }
}

static void *block_on_result(void *arg)
{
    return arg;
}

static void test_rt_block_on_returns_main_result(void)
{
    rt_runtime *rt = rt_runtime_new(NULL);
    SL_CHECK_FATAL(rt != NULL, "rt_runtime_new(NULL) failed");
    int local = 7; /* block_on's main task may borrow the caller's stack */
    void *result = NULL;
    int rc = rt_block_on(rt, block_on_result, &local, &result);
    SL_CHECK(rc == 0 && result == &local, "rt_block_on returned %s and %p (expected %p)",
             rt_strerror(rc), result, (void *)&local);
    rt_runtime_free(rt);
}

struct identity {
    uint64_t id;
    char name[64];
};

static void *record_identity(void *arg)
{
    struct identity *out = arg;
    out->id = rt_task_id();
    snprintf(out->name, sizeof out->name, "%s", rt_task_name());
    return NULL;
}

static void *check_identity(void *unused)
{
    (void)unused;
    struct identity *seen = calloc(1, sizeof *seen);
    rt_join_handle *h = rt_spawn_named("conn-handler", record_identity, seen);
    uint64_t expected_id = rt_handle_id(h);
    rt_join(h, NULL, NULL);
    SL_CHECK(seen->id == expected_id, "the task saw id %llu, its handle says %llu",
             (unsigned long long)seen->id, (unsigned long long)expected_id);
    SL_CHECK(strcmp(seen->name, "conn-handler") == 0, "the task saw its name as '%s'", seen->name);
    SL_CHECK(strcmp(rt_task_name(), "main") == 0, "main task's name is '%s'", rt_task_name());
    free(seen);
    return NULL;
}

static void test_rt_task_id_and_name(void)
{
    SL_CHECK(rt_task_id() == 0 && strcmp(rt_task_name(), "") == 0,
             "outside a task: id %llu, name '%s' (expected 0 and \"\")",
             (unsigned long long)rt_task_id(), rt_task_name());
    run_main(2, check_identity, NULL, NULL);
}

/* ------------------------------------------------------------ 100,000 tasks at once */

struct crowd {
    struct gate gate;
    size_t n;
    _Atomic size_t nreturned;
};

static void *wait_at_gate(void *arg)
{
    struct crowd *c = arg;
    int rc = gate_wait(&c->gate);
    atomic_fetch_add(&c->nreturned, 1);
    return (void *)(intptr_t)rc;
}

static void *hundred_thousand(void *arg)
{
    struct crowd *c = arg;
    rt_join_handle **handles = malloc(c->n * sizeof *handles);
    for (size_t i = 0; i < c->n; i++) {
        handles[i] = rt_spawn(wait_at_gate, c);
        SL_CHECK_FATAL(handles[i] != NULL, "rt_spawn failed at task %zu of %zu", i, c->n);
        if (i % 1000 == 999)
            rt_yield(); /* a long loop yields now and then: never block the worker */
    }
    gate_await_waiters(&c->gate, c->n); /* all of them alive and waiting at once */
    SL_CHECK(atomic_load(&c->nreturned) == 0, "tasks returned before the gate opened");
    gate_open(&c->gate);
    size_t failed = 0;
    for (size_t i = 0; i < c->n; i++) {
        void *rc = NULL;
        if (rt_join(handles[i], &rc, NULL) != 0 || rc != NULL)
            failed++;
    }
    free(handles);
    SL_CHECK(failed == 0, "%zu of %zu tasks failed", failed, c->n);
    return NULL;
}

static void test_rt_hundred_thousand_concurrent_tasks(void)
{
    size_t n = 100000;
    if (SL_UNDER_TSAN) {
        n = 4000;
        printf("\n    note: ThreadSanitizer allows at most 8128 threads and fibers: %zu tasks "
               "instead of 100,000 ",
               n);
    } else if (strcmp(rt_stack_guard_kind(), "mprotect") == 0) {
        /* Each mprotect'd guard is an extra kernel mapping: 100,000 would exceed
         * vm.max_map_count. */
        n = 20000;
        printf("\n    note: stack guards use mprotect here (no MADV_GUARD_INSTALL): "
               "%zu tasks instead of 100,000 ",
               n);
    }
    FOR_EACH_WORKER_COUNT(w)
    {
        struct crowd *c = calloc(1, sizeof *c);
        gate_init(&c->gate, n);
        c->n = n;
        rt_stats stats;
        run_main(w, hundred_thousand, c, &stats);
        SL_CHECK(atomic_load(&c->nreturned) == n, "with %d workers: %zu of %zu tasks returned", w,
                 atomic_load(&c->nreturned), n);
        SL_CHECK(stats.nspawned == n + 1, "with %d workers: counted %llu spawns, expected %zu", w,
                 (unsigned long long)stats.nspawned, n + 1);
        gate_destroy(&c->gate);
        free(c);
    }
}

/* ------------------------------------------------------------ join errors */

static void *panics(void *unused)
{
    (void)unused;
    rt_panic("the answer was %d", 41);
}

static void *join_a_panic(void *unused)
{
    (void)unused;
    rt_join_error error;
    void *result = (void *)1;
    int rc = rt_join(rt_spawn_named("doomed", panics, NULL), &result, &error);
    SL_CHECK(rc == RT_EPANICKED, "join returned %s, expected panicked", rt_strerror(rc));
    SL_CHECK(error.code == RT_EPANICKED, "error.code is %d", error.code);
    SL_CHECK(strcmp(error.panic_message, "the answer was 41") == 0,
             "panic message: '%s', expected 'the answer was 41'", error.panic_message);
    SL_CHECK(result == NULL, "a panicked task's result should be NULL");
    /* The panic ended only that task: the runtime carries on. */
    intptr_t *arg = malloc(sizeof *arg);
    *arg = 3;
    void *nine = NULL;
    rt_join(rt_spawn(square, arg), &nine, NULL);
    SL_CHECK((intptr_t)nine == 9, "after a panic, a new task returned %ld", (long)(intptr_t)nine);
    return NULL;
}

static void test_rt_join_reports_panic_with_message(void)
{
    FOR_EACH_WORKER_COUNT(n)
    run_main(n, join_a_panic, NULL, NULL);
}

static void *yield_until_cancelled(void *arg)
{
    _Atomic int *state = arg; /* 1: started, 2: saw the cancellation */
    atomic_store(state, 1);
    while (rt_yield() == 0)
        ;
    atomic_store(state, 2);
    return (void *)7; /* not delivered: an aborted task's join says "cancelled" */
}

static void *never_runs(void *arg)
{
    atomic_store((_Atomic int *)arg, 1);
    return NULL;
}

static void *join_an_abort(void *unused)
{
    (void)unused;
    _Atomic int *state = calloc(2, sizeof *state);
    rt_join_handle *h = rt_spawn_named("spinner", yield_until_cancelled, &state[0]);
    while (atomic_load(&state[0]) == 0)
        rt_yield();
    rt_abort(h);
    void *result = NULL;
    rt_join_error error;
    int rc = rt_join(h, &result, &error);
    SL_CHECK(rc == RT_ECANCELED && error.code == RT_ECANCELED,
             "join of an aborted task returned %s", rt_strerror(rc));
    SL_CHECK(atomic_load(&state[0]) == 2, "the task did not see RT_ECANCELED from rt_yield");
    SL_CHECK(result == NULL, "an aborted task's result should be NULL");
    /* Aborted before its first run: it never runs. (No yield between spawn and abort.) */
    h = rt_spawn(never_runs, &state[1]);
    rt_abort(h);
    rc = rt_join(h, NULL, NULL);
    SL_CHECK(rc == RT_ECANCELED, "join of a task aborted before it ran: %s", rt_strerror(rc));
    /* (It sat in our LIFO slot, which no other worker can take, until we parked in join.) */
    SL_CHECK(atomic_load(&state[1]) == 0, "a task aborted before its first run ran anyway");
    free(state);
    return NULL;
}

static void test_rt_join_reports_abort(void)
{
    FOR_EACH_WORKER_COUNT(n)
    run_main(n, join_an_abort, NULL, NULL);
}

static void *detached_worker(void *arg)
{
    atomic_fetch_add((_Atomic int *)arg, 1);
    return NULL;
}

static void *detach_and_wait(void *arg)
{
    _Atomic int *count = arg;
    for (int i = 0; i < 100; i++)
        rt_detach(rt_spawn(detached_worker, count));
    while (atomic_load(count) < 100)
        rt_yield();
    return NULL;
}

static void test_rt_detached_tasks_run_and_free_themselves(void)
{
    FOR_EACH_WORKER_COUNT(n)
    {
        _Atomic int *count = calloc(1, sizeof *count);
        run_main(n, detach_and_wait, count, NULL);
        SL_CHECK(atomic_load(count) == 100, "%d of 100 detached tasks ran", atomic_load(count));
        free(count);
    }
}

/* ------------------------------------------------------------ yield and fairness */

struct fairness {
    _Atomic int nothers_ran;
    _Atomic long nyields;
};

static void *busy_yielder(void *arg)
{
    struct fairness *f = arg;
    /* Busy, but polite: it yields every iteration. Bounded so a bug fails, not hangs. */
    while (atomic_load(&f->nothers_ran) < 10 && atomic_load(&f->nyields) < 10000000) {
        atomic_fetch_add(&f->nyields, 1);
        rt_yield();
    }
    return NULL;
}

static void *other(void *arg)
{
    atomic_fetch_add(&((struct fairness *)arg)->nothers_ran, 1);
    return NULL;
}

static void *yield_lets_others_run(void *arg)
{
    rt_join_handle *busy = rt_spawn_named("busy", busy_yielder, arg);
    rt_yield(); /* let the busy task get going first */
    rt_join_handle *others[10];
    for (int i = 0; i < 10; i++)
        others[i] = rt_spawn(other, arg);
    for (int i = 0; i < 10; i++)
        rt_join(others[i], NULL, NULL);
    rt_join(busy, NULL, NULL);
    return NULL;
}

static void test_rt_yielding_busy_task_does_not_starve_others(void)
{
    FOR_EACH_WORKER_COUNT(n)
    {
        struct fairness *f = calloc(1, sizeof *f);
        run_main(n, yield_lets_others_run, f, NULL);
        SL_CHECK(atomic_load(&f->nothers_ran) == 10,
                 "with %d workers, only %d of 10 other tasks ran while a task kept yielding", n,
                 atomic_load(&f->nothers_ran));
        SL_CHECK(atomic_load(&f->nyields) < 10000000,
                 "with %d workers the busy task yielded 10 million times before the others ran", n);
        free(f);
    }
}

/* ------------------------------------------------------------ stealing */

static void *spin_200us(void *unused)
{
    (void)unused;
    double until = now_seconds() + 200e-6;
    while (now_seconds() < until)
        ; /* short enough not to count as blocking the worker */
    return NULL;
}

static void *spawn_spinners(void *unused)
{
    (void)unused;
    enum { N = 200 }; /* fewer than a run queue holds: none overflows to the global queue */
    rt_join_handle *handles[N];
    for (int i = 0; i < N; i++)
        handles[i] = rt_spawn(spin_200us, NULL);
    for (int i = 0; i < N; i++)
        rt_join(handles[i], NULL, NULL);
    return NULL;
}

static void test_rt_multi_thread_steals_work(void)
{
    int counts[] = {2, 4};
    for (int i = 0; i < 2; i++) {
        rt_stats stats;
        run_main(counts[i], spawn_spinners, NULL, &stats);
        /* Every task was spawned on the main task's worker and none overflowed to the global
         * queue: the other workers can only get work by stealing it. */
        SL_CHECK(stats.nsteals > 0 && stats.nstolen_tasks > 0,
                 "with %d workers: %llu steals moved %llu tasks (expected some)", counts[i],
                 (unsigned long long)stats.nsteals, (unsigned long long)stats.nstolen_tasks);
    }
}

/* ------------------------------------------------------------ spawn_blocking */

struct blocking_probe {
    pthread_t worker_thread, blocking_thread;
};

static void *on_blocking_thread(void *arg)
{
    struct blocking_probe *p = arg;
    p->blocking_thread = pthread_self();
    usleep(20 * 1000); /* a real blocking call: it would stall a worker */
    return (void *)5;
}

static void *blocking_panics(void *unused)
{
    (void)unused;
    rt_panic("disk on fire");
}

static void *use_spawn_blocking(void *arg)
{
    struct blocking_probe *p = arg;
    p->worker_thread = pthread_self();
    void *result = NULL;
    int rc = rt_join(rt_spawn_blocking(on_blocking_thread, p), &result, NULL);
    SL_CHECK(rc == 0 && (intptr_t)result == 5, "blocking job: %s, result %ld", rt_strerror(rc),
             (long)(intptr_t)result);
    rt_join_error error;
    rc = rt_join(rt_spawn_blocking(blocking_panics, NULL), NULL, &error);
    SL_CHECK(rc == RT_EPANICKED && strcmp(error.panic_message, "disk on fire") == 0,
             "a panicking blocking job: %s, '%s'", rt_strerror(rc), error.panic_message);
    return NULL;
}

static void test_rt_spawn_blocking_runs_on_its_own_threads(void)
{
    FOR_EACH_WORKER_COUNT(n)
    {
        struct blocking_probe *p = calloc(1, sizeof *p);
        run_main(n, use_spawn_blocking, p, NULL);
        SL_CHECK(!pthread_equal(p->worker_thread, p->blocking_thread),
                 "with %d workers the blocking job ran on a worker thread", n);
        free(p);
    }
}

/* ------------------------------------------------------------ the blocking mutex */

struct counter {
    rt_blocking_mutex lock;
    long value;
};

static void *increment_many(void *arg)
{
    struct counter *c = arg;
    for (int i = 0; i < 1000; i++) {
        rt_blocking_mutex_lock(&c->lock);
        c->value++; /* a short critical section: nothing in here yields */
        rt_blocking_mutex_unlock(&c->lock);
        if (i % 100 == 0)
            rt_yield();
    }
    return NULL;
}

static void *hundred_incrementers(void *arg)
{
    rt_join_handle *handles[100];
    for (int i = 0; i < 100; i++)
        handles[i] = rt_spawn(increment_many, arg);
    for (int i = 0; i < 100; i++)
        rt_join(handles[i], NULL, NULL);
    return NULL;
}

static void test_rt_blocking_mutex_protects_shared_state(void)
{
    FOR_EACH_WORKER_COUNT(n)
    {
        struct counter *c = calloc(1, sizeof *c);
        rt_blocking_mutex_init(&c->lock, "counter");
        run_main(n, hundred_incrementers, c, NULL);
        SL_CHECK(c->value == 100000, "with %d workers the counter is %ld, expected 100000", n,
                 c->value);
        rt_blocking_mutex_destroy(&c->lock);
        free(c);
    }
}

/* ------------------------------------------------------------ idle CPU */

static double process_cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *measure_idle_cpu(void *arg)
{
    double *cpu = arg;
    double before = process_cpu_seconds();
    sleep(1); /* meanwhile every task is parked and every worker idle */
    *cpu = process_cpu_seconds() - before;
    return NULL;
}

static void *idle_with_parked_tasks(void *arg)
{
    struct crowd *c = malloc(sizeof *c);
    gate_init(&c->gate, 1000);
    c->n = 1000;
    atomic_init(&c->nreturned, 0);
    rt_join_handle *handles[1000];
    for (int i = 0; i < 1000; i++)
        handles[i] = rt_spawn(wait_at_gate, c);
    gate_await_waiters(&c->gate, 1000);
    rt_join(rt_spawn_blocking(measure_idle_cpu, arg), NULL, NULL);
    gate_open(&c->gate);
    for (int i = 0; i < 1000; i++)
        rt_join(handles[i], NULL, NULL);
    gate_destroy(&c->gate);
    free(c);
    return NULL;
}

static void test_rt_idle_runtime_uses_under_one_percent_cpu(void)
{
    double cpu = 0;
    run_main(4, idle_with_parked_tasks, &cpu, NULL);
    SL_CHECK(cpu < 0.010,
             "an idle runtime (4 workers, 1000 parked tasks) used %.1f ms of CPU "
             "in 1 s (more than 1%% of a core)",
             cpu * 1e3);
}

const sl_test runtime_task_tests[] = {
    SL_TEST(test_rt_spawn_join_returns_results, 2, "chapters/02-spawn.md"),
    SL_TEST(test_rt_block_on_returns_main_result, 1, "chapters/02-spawn.md"),
    SL_TEST(test_rt_task_id_and_name, 1, "chapters/02-spawn.md"),
    SL_TEST(test_rt_hundred_thousand_concurrent_tasks, 2, "chapters/appendix-runtime.md"),
    SL_TEST(test_rt_join_reports_panic_with_message, 1, "chapters/02-spawn.md"),
    SL_TEST(test_rt_join_reports_abort, 1, "chapters/02-spawn.md"),
    SL_TEST(test_rt_detached_tasks_run_and_free_themselves, 1, "chapters/02-spawn.md"),
    SL_TEST(test_rt_yielding_busy_task_does_not_starve_others, 1,
            "chapters/appendix-runtime.md#the-scheduler"),
    SL_TEST(test_rt_multi_thread_steals_work, 1,
            "chapters/appendix-runtime.md#run-queues-and-stealing"),
    SL_TEST(test_rt_spawn_blocking_runs_on_its_own_threads, 1,
            "chapters/appendix-runtime.md#spawn-blocking"),
    SL_TEST(test_rt_blocking_mutex_protects_shared_state, 1, "chapters/03-shared-state.md"),
    SL_TEST(test_rt_idle_runtime_uses_under_one_percent_cpu, 1,
            "chapters/appendix-runtime.md#the-scheduler"),
    SL_TEST_END,
};
