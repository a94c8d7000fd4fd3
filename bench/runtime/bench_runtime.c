/*
 * bench_runtime.c - what a task costs, in time and memory, next to what a thread costs.
 *
 * Chapter: chapters/appendix-runtime.md#what-a-task-costs
 *
 * Prints only `metric<TAB>value<TAB>unit` lines on stdout (tools/bench.sh collects them);
 * progress goes to stderr. Each timing is the median of RUNS runs.
 *
 *   spawn_join_ns                 spawn + run + join of an empty task, one worker
 *                                 (tracing compiled in, off: what every program pays)
 *   spawn_join_traced_ns          the same with tracing on (rt_trace_start)
 *   yield_roundtrip_ns            two tasks yielding to each other on one worker
 *   switch_ns                     one raw context switch (rt_context_switch)
 *   parked_task_rss_bytes         100,000 parked tasks: resident memory growth / 100,000
 *   million_tasks_ok              1 if 1,000,000 parked tasks were created, woken and joined
 *   idle_cpu_ms_per_s             CPU time an idle runtime uses per second (4 workers,
 *                                 1,000 parked tasks): idle workers must sleep, not spin
 *   pthread_spawn_join_ns         pthread_create + pthread_join of an empty thread
 *   pthread_condvar_pingpong_ns   a round trip between two threads over a condition variable
 */
#include "../bench.h"
#include "rt.h"
#include "rt_blocking_mutex.h"
#include "rt_context_impl.h"
#include "rt_park.h"
#include "rt_time.h"
#include "rt_trace.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

enum { RUNS = 5 };

static rt_runtime *one_worker_runtime(void)
{
    rt_config config = {.flavor = RT_CURRENT_THREAD};
    rt_runtime *rt = rt_runtime_new(&config);
    if (!rt) {
        fprintf(stderr, "bench: cannot create a runtime\n");
        exit(1);
    }
    return rt;
}

/* ------------------------------------------------------------ spawn + join */

static void *empty_task(void *arg)
{
    return arg;
}

static void *spawn_join_loop(void *arg)
{
    double *ns_per_op = arg;
    enum { N = 200000 };
    for (int i = 0; i < 1000; i++) /* warm the stack cache */
        rt_join(rt_spawn(empty_task, NULL), NULL, NULL);
    double start = bench_now_ns();
    for (int i = 0; i < N; i++)
        rt_join(rt_spawn(empty_task, NULL), NULL, NULL);
    *ns_per_op = (bench_now_ns() - start) / N;
    return NULL;
}

/* trace_path: NULL for tracing off; else each run is traced into that file. */
static double bench_spawn_join(const char *trace_path)
{
    double runs[RUNS];
    rt_runtime *rt = one_worker_runtime();
    for (int r = 0; r < RUNS; r++) {
        if (trace_path)
            rt_trace_start(rt, trace_path);
        rt_block_on(rt, spawn_join_loop, &runs[r], NULL);
        if (trace_path)
            rt_trace_stop(rt); /* writing the file is not part of the measured loop */
    }
    rt_runtime_free(rt);
    if (trace_path)
        unlink(trace_path);
    return bench_median(runs, RUNS);
}

/* ------------------------------------------------------------ yield round trip */

enum { YIELDS = 1000000 };

static void *yield_many(void *unused)
{
    (void)unused;
    for (int i = 0; i < YIELDS; i++)
        rt_yield();
    return NULL;
}

static void *yield_pair(void *arg)
{
    double *ns_per_roundtrip = arg;
    double start = bench_now_ns();
    rt_join_handle *a = rt_spawn(yield_many, NULL);
    rt_join_handle *b = rt_spawn(yield_many, NULL);
    rt_join(a, NULL, NULL);
    rt_join(b, NULL, NULL);
    /* a round trip: a yields to b, b yields back to a */
    *ns_per_roundtrip = (bench_now_ns() - start) / YIELDS;
    return NULL;
}

static double bench_yield_roundtrip(void)
{
    double runs[RUNS];
    rt_runtime *rt = one_worker_runtime();
    for (int r = 0; r < RUNS; r++)
        rt_block_on(rt, yield_pair, &runs[r], NULL);
    rt_runtime_free(rt);
    return bench_median(runs, RUNS);
}

/* ------------------------------------------------------------ raw context switch */

static struct rt_context bench_main_context, bench_coroutine_context;

static void coroutine_ping(void *unused)
{
    (void)unused;
    for (;;)
        rt_context_switch(&bench_coroutine_context, &bench_main_context);
}

static double bench_switch(void)
{
    enum { N = 10000000, STACK = 64 * 1024 };
    void *stack = mmap(NULL, STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    rt_context_make(&bench_coroutine_context, stack, STACK, coroutine_ping, NULL);
    double runs[RUNS];
    for (int r = 0; r < RUNS; r++) {
        double start = bench_now_ns();
        for (int i = 0; i < N; i++)
            rt_context_switch(&bench_main_context, &bench_coroutine_context);
        runs[r] = (bench_now_ns() - start) / (2.0 * N); /* there and back: two switches */
    }
    munmap(stack, STACK);
    return bench_median(runs, RUNS);
}

/* ------------------------------------------------------------ parked tasks */

/* A gate (see tests/runtime/helpers.c): tasks park until it opens. */
struct gate {
    rt_blocking_mutex lock;
    bool is_open;
    rt_waker *waiters;
    size_t nwaiters;
    _Atomic size_t nwaiting;
    rt_join_handle **handles;
    size_t n;
    double rss_per_task;
};

static void *wait_at_gate(void *arg)
{
    struct gate *g = arg;
    rt_blocking_mutex_lock(&g->lock);
    while (!g->is_open) {
        g->waiters[g->nwaiters++] = rt_park_prepare();
        rt_blocking_mutex_unlock(&g->lock);
        atomic_fetch_add(&g->nwaiting, 1);
        rt_park(RT_PARK_OTHER, g);
        rt_blocking_mutex_lock(&g->lock);
    }
    rt_blocking_mutex_unlock(&g->lock);
    return NULL;
}

static long rss_bytes(void)
{
    long pages_total = 0, pages_resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f)
        return 0;
    if (fscanf(f, "%ld %ld", &pages_total, &pages_resident) != 2)
        pages_resident = 0;
    fclose(f);
    return pages_resident * sysconf(_SC_PAGESIZE);
}

static void *park_many(void *arg)
{
    struct gate *g = arg;
    long before = rss_bytes();
    for (size_t i = 0; i < g->n; i++) {
        g->handles[i] = rt_spawn(wait_at_gate, g);
        if (!g->handles[i]) {
            fprintf(stderr, "bench: spawn %zu of %zu failed\n", i, g->n);
            exit(1);
        }
        if (i % 1000 == 999)
            rt_yield();
    }
    while (atomic_load(&g->nwaiting) < g->n)
        rt_yield();
    g->rss_per_task = (double)(rss_bytes() - before) / (double)g->n;
    rt_blocking_mutex_lock(&g->lock);
    g->is_open = true;
    size_t n = g->nwaiters;
    g->nwaiters = 0;
    rt_blocking_mutex_unlock(&g->lock);
    for (size_t i = 0; i < n; i++)
        rt_wake(g->waiters[i]);
    size_t joined = 0;
    for (size_t i = 0; i < g->n; i++)
        joined += rt_join(g->handles[i], NULL, NULL) == 0;
    return (void *)joined;
}

/* Parks n tasks on a fresh runtime; returns how many were joined, *rss_per_task the cost. */
static size_t park_n_tasks(size_t n, double *rss_per_task)
{
    struct gate *g = calloc(1, sizeof *g);
    rt_blocking_mutex_init(&g->lock, "gate");
    g->n = n;
    /* allocated (and touched) before measuring: the benchmark's own bookkeeping */
    g->waiters = calloc(n, sizeof *g->waiters);
    g->handles = calloc(n, sizeof *g->handles);
    memset(g->waiters, 0xff, n * sizeof *g->waiters);
    memset(g->handles, 0xff, n * sizeof *g->handles);
    rt_runtime *rt = one_worker_runtime();
    void *joined = NULL;
    rt_block_on(rt, park_many, g, &joined);
    rt_runtime_free(rt);
    *rss_per_task = g->rss_per_task;
    free(g->waiters);
    free(g->handles);
    rt_blocking_mutex_destroy(&g->lock);
    free(g);
    return (size_t)joined;
}

/* ------------------------------------------------------------ threads, for comparison */

static void *empty_thread(void *arg)
{
    return arg;
}

static double bench_pthread_spawn_join(void)
{
    enum { N = 10000 };
    double runs[RUNS];
    for (int r = 0; r < RUNS; r++) {
        double start = bench_now_ns();
        for (int i = 0; i < N; i++) {
            pthread_t t;
            pthread_create(&t, NULL, empty_thread, NULL);
            pthread_join(t, NULL);
        }
        runs[r] = (bench_now_ns() - start) / N;
    }
    return bench_median(runs, RUNS);
}

struct pingpong {
    pthread_mutex_t mutex;
    pthread_cond_t changed;
    long turn; /* even: ping's turn, odd: pong's */
    long rounds;
};

static void *pong(void *arg)
{
    struct pingpong *p = arg;
    pthread_mutex_lock(&p->mutex);
    for (long i = 0; i < p->rounds; i++) {
        while (p->turn % 2 == 0)
            pthread_cond_wait(&p->changed, &p->mutex);
        p->turn++;
        pthread_cond_signal(&p->changed);
    }
    pthread_mutex_unlock(&p->mutex);
    return NULL;
}

static double bench_condvar_pingpong(void)
{
    double runs[RUNS];
    for (int r = 0; r < RUNS; r++) {
        struct pingpong p = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 50000};
        pthread_t t;
        pthread_create(&t, NULL, pong, &p);
        double start = bench_now_ns();
        pthread_mutex_lock(&p.mutex);
        for (long i = 0; i < p.rounds; i++) {
            p.turn++;
            pthread_cond_signal(&p.changed);
            while (p.turn % 2 == 1)
                pthread_cond_wait(&p.changed, &p.mutex);
        }
        pthread_mutex_unlock(&p.mutex);
        runs[r] = (bench_now_ns() - start) / (double)p.rounds;
        pthread_join(t, NULL);
    }
    return bench_median(runs, RUNS);
}

/* ------------------------------------------------------------ an idle runtime */

static void *park_until_aborted(void *unused)
{
    (void)unused;
    rt_waker w = rt_park_prepare();
    int rc = rt_park(RT_PARK_OTHER, NULL); /* nobody wakes it: the abort ends the wait */
    rt_waker_drop(w);
    return (void *)(intptr_t)rc;
}

static double process_cpu_s(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           (double)(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

/* Parks 1,000 tasks, then measures the process's CPU time over one second of sleep. */
static void *idle_second(void *out)
{
    enum { N = 1000 };
    rt_join_handle *h[N];
    for (int i = 0; i < N; i++)
        h[i] = rt_spawn(park_until_aborted, NULL);
    rt_sleep_ms(100); /* let every worker go idle */
    double before = process_cpu_s();
    rt_sleep_ms(1000);
    *(double *)out = (process_cpu_s() - before) * 1e3;
    for (int i = 0; i < N; i++) {
        rt_abort(h[i]);
        rt_join(h[i], NULL, NULL);
    }
    return NULL;
}

static double bench_idle_cpu(void)
{
    double ms = 0;
    rt_runtime *rt = rt_runtime_new(&(rt_config){.nworkers = 4});
    rt_block_on(rt, idle_second, &ms, NULL);
    rt_runtime_free(rt);
    return ms;
}

/* ------------------------------------------------------------ main */

int main(void)
{
    fprintf(stderr, "bench runtime: spawn + join ...\n");
    bench_report("spawn_join_ns", bench_spawn_join(NULL), "ns");
    fprintf(stderr, "bench runtime: spawn + join, traced ...\n");
    char trace_path[64];
    snprintf(trace_path, sizeof trace_path, "/tmp/spawnlab-bench-%d.trace", (int)getpid());
    bench_report("spawn_join_traced_ns", bench_spawn_join(trace_path), "ns");
    fprintf(stderr, "bench runtime: yield round trip ...\n");
    bench_report("yield_roundtrip_ns", bench_yield_roundtrip(), "ns");
    fprintf(stderr, "bench runtime: context switch ...\n");
    bench_report("switch_ns", bench_switch(), "ns");

    fprintf(stderr, "bench runtime: 100,000 parked tasks ...\n");
    double rss[3];
    for (int r = 0; r < 3; r++)
        park_n_tasks(100000, &rss[r]);
    bench_report("parked_task_rss_bytes", bench_median(rss, 3), "bytes");

    fprintf(stderr, "bench runtime: 1,000,000 parked tasks ...\n");
    double ignored;
    size_t joined = park_n_tasks(1000000, &ignored);
    fprintf(stderr, "bench runtime: %zu of 1,000,000 joined (%.0f bytes each)\n", joined, ignored);
    bench_report("million_tasks_ok", joined == 1000000 ? 1 : 0, "bool");

    fprintf(stderr, "bench runtime: an idle runtime for 1 s ...\n");
    bench_report("idle_cpu_ms_per_s", bench_idle_cpu(), "ms");
    fprintf(stderr, "bench runtime: pthread create + join ...\n");
    bench_report("pthread_spawn_join_ns", bench_pthread_spawn_join(), "ns");
    fprintf(stderr, "bench runtime: pthread condvar ping-pong ...\n");
    bench_report("pthread_condvar_pingpong_ns", bench_condvar_pingpong(), "ns");
    return 0;
}
