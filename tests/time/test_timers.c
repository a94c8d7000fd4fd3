/*
 * test_timers.c - sleeps, the virtual clock, deadlines on any park, join timeouts,
 * intervals, many timers, and the virtual clock waiting for blocking work.
 */
#include "helpers.h"
#include "rt_mpsc.h"
#include "rt_mutex.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <unistd.h>

#define MS RT_NS_PER_MS

/* ------------------------------------------------------------ the virtual clock */

static void *sleep_ten_seconds(void *arg)
{
    int64_t *slept = arg;
    int64_t before = rt_now();
    int rc = rt_sleep_ms(10000);
    SL_CHECK(rc == 0, "rt_sleep_ms(10000) returned %s", rt_strerror(rc));
    *slept = rt_now() - before;
    return NULL;
}

static void test_time_virtual_ten_second_sleep_is_instant(void)
{
    int64_t slept = 0;
    double start = wall_ms();
    run_virtual(sleep_ten_seconds, &slept);
    double took = wall_ms() - start;
    SL_CHECK(slept == 10000 * MS,
             "the virtual clock moved %lld ns during a 10 s sleep, "
             "expected exactly 10 s",
             (long long)slept);
    SL_CHECK(took < 100, "a 10 s sleep on the virtual clock took %.1f ms of real time", took);
}

enum { NSLEEPERS = 8 };

struct order_log {
    int order[NSLEEPERS];
    int64_t woke_at[NSLEEPERS];
    int n;
};

struct sleeper {
    struct order_log *log;
    int index;
    int64_t deadline;
};

static void *sleep_and_log(void *arg)
{
    struct sleeper *s = arg;
    rt_sleep_until(s->deadline);
    s->log->woke_at[s->log->n] = rt_now();
    s->log->order[s->log->n++] = s->index; /* one worker: no data race */
    return NULL;
}

/* Spawns sleepers in an order unrelated to their deadlines; they must wake by deadline,
 * each exactly at its own. */
static void *sleepers_in_shuffled_order(void *arg)
{
    struct order_log *log = arg;
    static const int delay_ms[NSLEEPERS] = {70, 10, 50, 30, 80, 20, 60, 40};
    struct sleeper *s = malloc(NSLEEPERS * sizeof *s); /* not our stack: the 'static rule */
    rt_join_handle *h[NSLEEPERS];
    int64_t start = rt_now();
    for (int i = 0; i < NSLEEPERS; i++) {
        s[i] = (struct sleeper){log, i, start + delay_ms[i] * MS};
        h[i] = rt_spawn(sleep_and_log, &s[i]);
    }
    for (int i = 0; i < NSLEEPERS; i++)
        rt_join(h[i], NULL, NULL);
    for (int k = 0; k < log->n; k++) {
        int i = log->order[k];
        SL_CHECK(delay_ms[i] == 10 * (k + 1), "wake %d was the sleeper of %d ms", k, delay_ms[i]);
        SL_CHECK(log->woke_at[k] == s[i].deadline, "the %d ms sleeper woke %lld ns late",
                 delay_ms[i], (long long)(log->woke_at[k] - s[i].deadline));
    }
    free(s);
    return NULL;
}

static void test_time_virtual_timers_fire_in_exact_order(void)
{
    struct order_log log = {.n = 0};
    run_virtual(sleepers_in_shuffled_order, &log);
    SL_CHECK(log.n == NSLEEPERS, "%d of %d sleepers woke", log.n, NSLEEPERS);
}

/* ------------------------------------------------------------ the real clock */

static void *sleep_200_ms(void *unused)
{
    (void)unused;
    int rc = rt_sleep_ms(200);
    SL_CHECK(rc == 0, "rt_sleep_ms(200) returned %s", rt_strerror(rc));
    return NULL;
}

static void *two_sleeps_in_parallel(void *unused)
{
    (void)unused;
    rt_join_handle *a = rt_spawn(sleep_200_ms, NULL);
    rt_join_handle *b = rt_spawn(sleep_200_ms, NULL);
    rt_join(a, NULL, NULL);
    rt_join(b, NULL, NULL);
    return NULL;
}

static void test_time_real_sleeps_overlap(void)
{
    const int worker_counts[] = {1, 4};
    for (int i = 0; i < 2; i++) {
        double start = wall_ms();
        run_real(worker_counts[i], two_sleeps_in_parallel, NULL);
        double took = wall_ms() - start;
        SL_CHECK(took >= 199 && took < 350,
                 "with %d workers two parallel 200 ms sleeps took %.1f ms (expected 200-350)",
                 worker_counts[i], took);
    }
}

/* ------------------------------------------------------------ aborting a sleep */

static void *sleep_long(void *unused)
{
    (void)unused;
    return (void *)(intptr_t)rt_sleep_ms(3600 * 1000);
}

static void *abort_a_sleeper(void *arg)
{
    int64_t *virtual_elapsed = arg;
    int64_t start = rt_now();
    rt_join_handle *h = rt_spawn(sleep_long, NULL);
    rt_yield(); /* one worker: the sleeper runs and parks */
    rt_abort(h);
    int rc = rt_join(h, NULL, NULL);
    SL_CHECK(rc == RT_ECANCELED, "join of an aborted sleeper returned %s", rt_strerror(rc));
    *virtual_elapsed = rt_now() - start;
    return NULL;
}

static void test_time_abort_wakes_a_sleeping_task(void)
{
    int64_t elapsed = -1;
    double start = wall_ms();
    run_virtual(abort_a_sleeper, &elapsed);
    SL_CHECK(elapsed == 0, "the clock moved %lld ns while the sleeper was aborted",
             (long long)elapsed);
    start = wall_ms();
    run_real(2, abort_a_sleeper, &elapsed);
    SL_CHECK(wall_ms() - start < 1000, "aborting a real 1 h sleep took %.0f ms", wall_ms() - start);
}

/* ------------------------------------------------------------ deadlines */

/* A wait that nobody ends: only the deadline can. */
static void *park_forever_with_timeout(void *arg)
{
    int64_t *overshoot = arg;
    int64_t saved = rt_timeout_begin(50 * MS);
    int64_t deadline = rt_deadline_get();
    rt_waker w = rt_park_prepare();
    int rc = rt_park(RT_PARK_OTHER, NULL);
    SL_CHECK(rc == RT_ETIMEDOUT, "rt_park past the deadline returned %s", rt_strerror(rc));
    *overshoot = rt_now() - deadline;
    rt_waker_drop(w); /* nobody else has it: ours to drop */
    rt_timeout_end(saved);
    SL_CHECK(rt_deadline_get() == 0, "rt_timeout_end did not restore 'no deadline'");
    /* A deadline already past: a park ends at once, a sleep too. */
    saved = rt_deadline_set(rt_now() - 1);
    rc = rt_sleep_ms(1000);
    SL_CHECK(rc == RT_ETIMEDOUT, "a sleep past the deadline returned %s", rt_strerror(rc));
    rt_deadline_set(saved);
    return NULL;
}

static void test_time_deadline_ends_any_park(void)
{
    int64_t overshoot = -1;
    run_virtual(park_forever_with_timeout, &overshoot);
    SL_CHECK(overshoot == 0, "the deadline fired %lld ns late on the virtual clock",
             (long long)overshoot);
    run_real(2, park_forever_with_timeout, &overshoot);
    SL_CHECK(overshoot >= 0 && overshoot < 200 * MS,
             "the deadline fired %lld ns late on the real clock", (long long)overshoot);
}

static void *inner_timeout_never_extends(void *unused)
{
    (void)unused;
    int64_t outer = rt_timeout_begin(100 * MS);
    int64_t outer_deadline = rt_deadline_get();
    int64_t inner = rt_timeout_begin(500 * MS);
    SL_CHECK(rt_deadline_get() == outer_deadline, "an inner, longer timeout extended the "
                                                  "deadline");
    int64_t start = rt_now();
    int rc = rt_sleep_ms(300);
    SL_CHECK(rc == RT_ETIMEDOUT && rt_now() - start == 100 * MS,
             "a 300 ms sleep under a 100 ms timeout returned %s after %lld ns", rt_strerror(rc),
             (long long)(rt_now() - start));
    rt_timeout_end(inner);
    rt_timeout_end(outer);
    return NULL;
}

static void test_time_nested_timeouts_keep_the_earlier_deadline(void)
{
    run_virtual(inner_timeout_never_extends, NULL);
}

static void *finish_after_1s(void *unused)
{
    (void)unused;
    rt_sleep_ms(1000);
    return (void *)(intptr_t)42;
}

static void *join_with_timeout(void *unused)
{
    (void)unused;
    rt_join_handle *h = rt_spawn(finish_after_1s, NULL);
    int64_t saved = rt_timeout_begin(100 * MS);
    void *result = NULL;
    int rc = rt_join(h, &result, NULL);
    rt_timeout_end(saved);
    SL_CHECK(rc == RT_ETIMEDOUT, "a join under a 100 ms timeout returned %s", rt_strerror(rc));
    /* The handle was not consumed: join again, this time without a deadline. */
    rc = rt_join(h, &result, NULL);
    SL_CHECK(rc == 0 && (intptr_t)result == 42, "the second join returned %s, result %ld",
             rt_strerror(rc), (long)(intptr_t)result);
    return NULL;
}

static void test_time_join_timeout_keeps_the_handle(void)
{
    run_virtual(join_with_timeout, NULL);
}

/* A lock and a channel (rt_mutex.h, rt_mpsc.h) park through rt_park: the deadline ends
 * their waits too, and leaves them usable. */
static void *lock_and_recv_with_timeouts(void *unused)
{
    (void)unused;
    rt_mutex *m = rt_mutex_new("held");
    rt_mpsc_sender *tx;
    rt_mpsc_receiver *rx;
    SL_CHECK_FATAL(
        rt_mpsc_new(&(rt_channel_config){.elem_size = sizeof(int), .capacity = 1}, &tx, &rx) == 0,
        "no channel");
    rt_mutex_lock(m); /* held by us: a second lock would wait forever */
    int64_t saved = rt_timeout_begin(40 * MS);
    int rc_lock = rt_mutex_try_lock(m) ? 0 : rt_mutex_lock(m);
    int value;
    int rc_recv = rt_mpsc_recv(rx, &value);
    rt_timeout_end(saved);
    SL_CHECK(rc_lock == RT_ETIMEDOUT, "a lock wait under a timeout returned %d", rc_lock);
    SL_CHECK(rc_recv == RT_ETIMEDOUT, "a recv under a timeout returned %d", rc_recv);
    int one = 1;
    SL_CHECK(rt_mpsc_send(tx, &one) == 0 && rt_mpsc_recv(rx, &value) == 0 && value == 1,
             "the channel did not work after a timed-out recv");
    rt_mutex_unlock(m);
    rt_mpsc_sender_drop(tx);
    rt_mpsc_receiver_drop(rx);
    rt_mutex_free(m);
    return NULL;
}

static void test_time_deadline_ends_lock_and_channel_waits(void)
{
    run_virtual(lock_and_recv_with_timeouts, NULL);
}

/* ------------------------------------------------------------ intervals */

static void *tick_late(void *unused)
{
    (void)unused;
    int64_t start = rt_now();
    rt_interval iv;
    rt_interval_init(&iv, 100 * MS);
    int64_t at[5];
    for (int i = 0; i < 5; i++) {
        SL_CHECK(rt_interval_tick(&iv) == 0, "tick %d failed", i);
        at[i] = rt_now() - start;
        if (i == 1)
            rt_sleep_ms(350); /* miss the ticks at 200 and 300 ms */
    }
    /* 0, 100; then at 450 one late tick at once; then back on the grid: 500, 600. */
    const int64_t expected[5] = {0, 100 * MS, 450 * MS, 500 * MS, 600 * MS};
    for (int i = 0; i < 5; i++)
        SL_CHECK(at[i] == expected[i], "tick %d came at %lld ms, expected %lld ms", i,
                 (long long)(at[i] / MS), (long long)(expected[i] / MS));
    return NULL;
}

static void test_time_interval_skips_missed_ticks(void)
{
    run_virtual(tick_late, NULL);
}

/* ------------------------------------------------------------ many timers */

struct crowd {
    int64_t start;
    int64_t last_woke; /* one worker: plain fields */
    int nout_of_order, nwoke;
};

struct crowd_member {
    struct crowd *crowd;
    int64_t deadline;
};

static void *crowd_sleep(void *arg)
{
    struct crowd_member *m = arg;
    rt_sleep_until(m->deadline);
    struct crowd *c = m->crowd;
    if (rt_now() < c->last_woke || rt_now() != m->deadline)
        c->nout_of_order++;
    c->last_woke = rt_now();
    c->nwoke++;
    return NULL;
}

static void *hundred_thousand_sleepers(void *arg)
{
    int n = *(int *)arg;
    struct crowd c = {.start = rt_now()};
    struct crowd_member *members = malloc((size_t)n * sizeof *members);
    rt_join_handle **h = malloc((size_t)n * sizeof *h);
    uint32_t random = 12345;
    rt_spawn_options options = {.name = "sleeper"};
    for (int i = 0; i < n; i++) {
        random = random * 1103515245u + 12345u;
        members[i] = (struct crowd_member){&c, c.start + (int64_t)(random % 100000) * MS};
        h[i] = rt_spawn_with(&options, crowd_sleep, &members[i]);
        SL_CHECK_FATAL(h[i] != NULL, "spawn %d failed", i);
        if (i % 1024 == 1023)
            rt_yield(); /* a long loop in a task: let the worker breathe (check "blocking") */
    }
    for (int i = 0; i < n; i++)
        rt_join(h[i], NULL, NULL);
    SL_CHECK(c.nwoke == n && c.nout_of_order == 0,
             "%d of %d sleepers woke, %d of them out of order or not at their deadline", c.nwoke, n,
             c.nout_of_order);
    free(members);
    free(h);
    return NULL;
}

static void test_time_hundred_thousand_pending_timers(void)
{
    int n = SL_UNDER_TSAN ? 4000 : 100000;
    double start = wall_ms();
    run_virtual(hundred_thousand_sleepers, &n);
    double took = wall_ms() - start;
    SL_CHECK(took < 20000, "%d sleepers over 100 virtual seconds took %.0f ms", n, took);
}

/* ------------------------------------------------------------ blocking work holds time */

static void *slow_blocking_job(void *arg)
{
    usleep(50 * 1000); /* real time: the virtual clock must not jump meanwhile */
    *(_Atomic int *)arg = 1;
    return NULL;
}

static void *sleep_while_blocking_work_runs(void *unused)
{
    (void)unused;
    _Atomic int *is_done = malloc(sizeof *is_done);
    atomic_init(is_done, 0);
    rt_join_handle *job = rt_spawn_blocking(slow_blocking_job, is_done);
    rt_sleep_ms(1000);
    SL_CHECK(atomic_load(is_done) == 1, "the virtual clock jumped 1 s while blocking work "
                                        "was still running");
    rt_join(job, NULL, NULL);
    free(is_done);
    return NULL;
}

static void test_time_virtual_clock_waits_for_blocking_work(void)
{
    run_virtual(sleep_while_blocking_work_runs, NULL);
}

const sl_test time_timer_tests[] = {
    SL_TEST(test_time_virtual_ten_second_sleep_is_instant, 2,
            "chapters/appendix-runtime.md#the-virtual-clock"),
    SL_TEST(test_time_virtual_timers_fire_in_exact_order, 2, "chapters/appendix-runtime.md#timers"),
    SL_TEST(test_time_real_sleeps_overlap, 1, "chapters/appendix-runtime.md#timers"),
    SL_TEST(test_time_abort_wakes_a_sleeping_task, 1, "chapters/appendix-runtime.md#timers"),
    SL_TEST(test_time_deadline_ends_any_park, 2, "chapters/appendix-runtime.md#timers"),
    SL_TEST(test_time_nested_timeouts_keep_the_earlier_deadline, 1,
            "chapters/appendix-runtime.md#timers"),
    SL_TEST(test_time_join_timeout_keeps_the_handle, 1, "chapters/appendix-runtime.md#timers"),
    SL_TEST(test_time_deadline_ends_lock_and_channel_waits, 1,
            "chapters/appendix-runtime.md#timers"),
    SL_TEST(test_time_interval_skips_missed_ticks, 1, "chapters/appendix-runtime.md#timers"),
    SL_TEST(test_time_hundred_thousand_pending_timers, 1, "chapters/appendix-runtime.md#timers"),
    SL_TEST(test_time_virtual_clock_waits_for_blocking_work, 1,
            "chapters/appendix-runtime.md#the-virtual-clock"),
    SL_TEST_END,
};
