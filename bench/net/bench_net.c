/*
 * bench_net.c - the reactor and the timers, measured. Prints metric<TAB>value<TAB>unit lines
 * (make bench collects them into $(O)/bench/results.tsv):
 *
 *   cross_worker_wake_ns      rt_wake by a task on one worker thread -> the woken task runs on
 *                             another, idle worker (median)
 *   timer_insert_ns           arming one timer while 100,000 others are pending
 *   timer_cancel_ns           disarming one of them
 *   tcp_echo_rtt_us           one loopback connection, 64-byte request and echo (median),
 *                             multi_thread (all cores)
 *   tcp_echo_rtt_current_thread_us   the same on a current_thread runtime
 *
 * Why the waker is a task of a *second* runtime: within one runtime, a task that another
 * task wakes runs next on the waker's own worker (the LIFO slot, as in Tokio: its data is
 * in that CPU's cache), so it never crosses workers. A wake from another thread - here the
 * worker of a second runtime, as a client library's callback thread would be - goes through
 * the injection queue and unparks an idle worker: the cost this metric is about.
 */
#include "rt.h"
#include "rt_net.h"
#include "rt_park.h"
#include "rt_time.h"

#include "../../runtime/src/internal.h" /* timer_arm / timer_disarm, for timer_insert_ns */

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * RT_NS_PER_S + ts.tv_nsec;
}

static int compare_int64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

static int64_t median(int64_t *samples, int n)
{
    qsort(samples, (size_t)n, sizeof *samples, compare_int64);
    return samples[n / 2];
}

/* ------------------------------------------------------------ cross-worker wake */

enum { NWAKES = 2000 };

struct wake_bench {
    _Atomic int round;           /* the round whose waker is published (-1: none) */
    rt_waker waker;              /* written before round */
    _Atomic int64_t woken_at_ns; /* written by the waker just before rt_wake */
    int64_t samples[NWAKES];
};

static void *sleeper(void *arg)
{
    struct wake_bench *b = arg;
    for (int i = 0; i < NWAKES; i++) {
        b->waker = rt_park_prepare();
        atomic_store(&b->round, i);
        rt_park(RT_PARK_OTHER, b);
        b->samples[i] = now_ns() - atomic_load(&b->woken_at_ns);
    }
    return NULL;
}

static void *waker(void *arg)
{
    struct wake_bench *b = arg;
    for (int i = 0; i < NWAKES; i++) {
        while (atomic_load(&b->round) != i)
            rt_yield(); /* nothing else runs on this runtime: returns at once */
        /* Let the sleeper's worker go idle (park in epoll or on its condvar) first. */
        for (int64_t until = now_ns() + 20 * RT_NS_PER_US; now_ns() < until;)
            ;
        atomic_store(&b->woken_at_ns, now_ns());
        rt_wake(b->waker);
    }
    return NULL;
}

static void *spawn_waker(void *arg)
{
    rt_join(rt_spawn(waker, arg), NULL, NULL);
    return NULL;
}

static void bench_cross_worker_wake(void)
{
    struct wake_bench *b = calloc(1, sizeof *b);
    atomic_init(&b->round, -1);
    rt_config two = {.nworkers = 2, .checks = RT_CHECKS_OFF};
    rt_config one = {.nworkers = 1, .checks = RT_CHECKS_OFF};
    rt_runtime *sleepers = rt_runtime_new(&two), *wakers = rt_runtime_new(&one);
    rt_join_handle *h = rt_runtime_spawn(sleepers, NULL, sleeper, b);
    rt_block_on(wakers, spawn_waker, b, NULL);
    rt_runtime_free(wakers);
    rt_detach(h); /* it has finished, or finishes now */
    rt_runtime_free(sleepers);
    printf("cross_worker_wake_ns\t%lld\tns\n", (long long)median(b->samples, NWAKES));
    free(b);
}

/* ------------------------------------------------------------ timers */

enum { NPENDING = 100000, NMEASURED = 100000 };

static void *insert_timers(void *unused)
{
    (void)unused;
    struct rt_task *t = task_current();
    struct timer_entry *pending = calloc(NPENDING, sizeof *pending);
    struct timer_entry *measured = calloc(NMEASURED, sizeof *measured);
    uint32_t random = 1;
    int64_t base = rt_now() + 3600 * RT_NS_PER_S; /* never due while we measure */
    for (int i = 0; i < NPENDING; i++) {
        random = random * 1103515245u + 12345u;
        timer_arm(t->rt, &pending[i], base + (int64_t)(random % 1000000) * RT_NS_PER_US);
    }
    int64_t start = now_ns();
    for (int i = 0; i < NMEASURED; i++) {
        random = random * 1103515245u + 12345u;
        timer_arm(t->rt, &measured[i], base + (int64_t)(random % 1000000) * RT_NS_PER_US);
    }
    int64_t inserted = now_ns();
    for (int i = 0; i < NMEASURED; i++)
        timer_disarm(t->rt, &measured[i]);
    int64_t cancelled = now_ns();
    for (int i = 0; i < NPENDING; i++)
        timer_disarm(t->rt, &pending[i]);
    printf("timer_insert_ns\t%.1f\tns\n", (double)(inserted - start) / NMEASURED);
    printf("timer_cancel_ns\t%.1f\tns\n", (double)(cancelled - inserted) / NMEASURED);
    free(pending);
    free(measured);
    return NULL;
}

static void bench_timers(void)
{
    /* The entries carry no wakers: they are disarmed, never fired. */
    rt_config config = {.flavor = RT_CURRENT_THREAD, .checks = RT_CHECKS_OFF};
    rt_runtime *rt = rt_runtime_new(&config);
    rt_block_on(rt, insert_timers, NULL, NULL);
    rt_runtime_free(rt);
}

/* ------------------------------------------------------------ TCP echo */

enum { NROUND_TRIPS = 20000, MESSAGE_SIZE = 64 };

static void *echo_one(void *arg)
{
    rt_tcp_listener *l = arg;
    rt_tcp_stream *s;
    if (rt_tcp_accept(l, &s) != 0)
        return NULL;
    char buf[4096];
    ssize_t n;
    while ((n = rt_tcp_read(s, buf, sizeof buf)) > 0)
        if (rt_tcp_write_all(s, buf, (size_t)n, NULL) != 0)
            break;
    rt_tcp_close(s);
    return NULL;
}

static void *echo_client(void *arg)
{
    int64_t *samples = arg;
    rt_tcp_listener *l;
    if (rt_tcp_listen("127.0.0.1", 0, 8, &l) != 0)
        return (void *)1;
    rt_join_handle *server = rt_spawn(echo_one, l);
    rt_tcp_stream *s;
    if (rt_tcp_connect("127.0.0.1", rt_tcp_listener_port(l), &s) != 0)
        return (void *)1;
    char message[MESSAGE_SIZE], reply[MESSAGE_SIZE];
    memset(message, 'x', sizeof message);
    for (int i = 0; i < NROUND_TRIPS; i++) {
        int64_t start = now_ns();
        rt_tcp_write_all(s, message, sizeof message, NULL);
        for (size_t got = 0; got < sizeof reply;) {
            ssize_t n = rt_tcp_read(s, reply + got, sizeof reply - got);
            if (n <= 0)
                return (void *)1;
            got += (size_t)n;
        }
        samples[i] = now_ns() - start;
    }
    rt_tcp_close(s);
    rt_join(server, NULL, NULL);
    rt_tcp_listener_close(l);
    return NULL;
}

static void bench_tcp_echo(const char *metric, rt_flavor flavor)
{
    int64_t *samples = calloc(NROUND_TRIPS, sizeof *samples);
    rt_config config = {.flavor = flavor, .checks = RT_CHECKS_OFF};
    rt_runtime *rt = rt_runtime_new(&config);
    void *failed = NULL;
    rt_block_on(rt, echo_client, samples, &failed);
    rt_runtime_free(rt);
    if (failed)
        fprintf(stderr, "bench_net: the echo benchmark could not run\n");
    else
        printf("%s\t%.1f\tus\n", metric, (double)median(samples, NROUND_TRIPS) / 1e3);
    free(samples);
}

int main(void)
{
    bench_cross_worker_wake();
    bench_timers();
    bench_tcp_echo("tcp_echo_rtt_us", RT_MULTI_THREAD);
    bench_tcp_echo("tcp_echo_rtt_current_thread_us", RT_CURRENT_THREAD);
    return 0;
}
