/*
 * test_park.c - park and wake: foreign threads, lost wake-ups, stale wakers, aborts.
 */
#include "helpers.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

static const int worker_counts[] = {1, 2, 4};
enum { NWORKER_COUNTS = sizeof worker_counts / sizeof worker_counts[0] };

/* ------------------------------------------------------------ wake before park */

struct stale_probe {
    rt_waker second;
    _Atomic bool is_second_published, has_helper_woken;
};

static void *wake_second_later(void *arg)
{
    struct stale_probe *p = arg;
    while (!atomic_load(&p->is_second_published))
        rt_yield();
    atomic_store(&p->has_helper_woken, true);
    rt_wake(p->second);
    return NULL;
}

static void *self_wake_then_park(void *unused)
{
    (void)unused;
    /* A wake that arrives before rt_park is not lost: rt_park returns at once. */
    rt_waker w = rt_park_prepare();
    rt_wake(w);
    int rc = rt_park(RT_PARK_OTHER, NULL);
    SL_CHECK(rc == 0, "rt_park after an early wake returned %s", rt_strerror(rc));

    /* A stale waker (its wait is over) does nothing to a later wait. */
    struct stale_probe *p = calloc(1, sizeof *p);
    rt_join_handle *helper = rt_spawn_named("helper", wake_second_later, p);
    rt_waker first = rt_park_prepare();
    rt_waker stale = rt_waker_clone(first);
    rt_wake(first);
    rt_park(RT_PARK_OTHER, NULL);
    p->second = rt_park_prepare();
    atomic_store(&p->is_second_published, true);
    rt_wake(stale); /* belongs to the finished wait: must not end this one */
    rc = rt_park(RT_PARK_OTHER, NULL);
    SL_CHECK(rc == 0 && atomic_load(&p->has_helper_woken),
             "a stale waker ended a later wait (rt_park returned before its own waker fired)");
    rt_join(helper, NULL, NULL);
    free(p);
    return NULL;
}

static void test_rt_wake_before_park_is_not_lost(void)
{
    for (int i = 0; i < NWORKER_COUNTS; i++)
        run_main(worker_counts[i], self_wake_then_park, NULL, NULL);
}

/* ------------------------------------------------------------ wakes from a plain pthread */

struct mailbox {
    pthread_mutex_t mutex;
    pthread_cond_t changed;
    rt_waker waker;
    bool has_waker, is_done;
    int nrounds;
};

/* A thread outside the runtime: waits for wakers and fires them. */
static void *foreign_waker(void *arg)
{
    struct mailbox *m = arg;
    pthread_mutex_lock(&m->mutex);
    for (;;) {
        while (!m->has_waker && !m->is_done)
            pthread_cond_wait(&m->changed, &m->mutex);
        if (!m->has_waker)
            break;
        rt_waker w = m->waker;
        m->has_waker = false;
        pthread_mutex_unlock(&m->mutex);
        rt_wake(w); /* from a thread the runtime has never seen */
        pthread_mutex_lock(&m->mutex);
    }
    pthread_mutex_unlock(&m->mutex);
    return NULL;
}

static void *park_for_foreign_wakes(void *arg)
{
    struct mailbox *m = arg;
    for (int i = 0; i < m->nrounds; i++) {
        rt_waker w = rt_park_prepare();
        pthread_mutex_lock(&m->mutex); /* held briefly, never across the park */
        m->waker = w;
        m->has_waker = true;
        pthread_cond_signal(&m->changed);
        pthread_mutex_unlock(&m->mutex);
        int rc = rt_park(RT_PARK_OTHER, m);
        SL_CHECK_FATAL(rc == 0, "round %d: rt_park returned %s", i, rt_strerror(rc));
    }
    return NULL;
}

static void test_rt_wake_from_foreign_pthread(void)
{
    for (int i = 0; i < NWORKER_COUNTS; i++) {
        struct mailbox *m = calloc(1, sizeof *m);
        pthread_mutex_init(&m->mutex, NULL);
        pthread_cond_init(&m->changed, NULL);
        m->nrounds = 2000;
        pthread_t thread;
        pthread_create(&thread, NULL, foreign_waker, m);
        run_main(worker_counts[i], park_for_foreign_wakes, m, NULL);
        pthread_mutex_lock(&m->mutex);
        m->is_done = true;
        pthread_cond_signal(&m->changed);
        pthread_mutex_unlock(&m->mutex);
        pthread_join(thread, NULL);
        pthread_cond_destroy(&m->changed);
        pthread_mutex_destroy(&m->mutex);
        free(m);
    }
}

/* ------------------------------------------------------------ abort of a parked task */

struct parked_probe {
    struct gate gate;
    _Atomic int park_result; /* what gate_wait returned, +1000 when set */
};

static void *wait_forever(void *arg)
{
    struct parked_probe *p = arg;
    int rc = gate_wait(&p->gate); /* nobody opens it */
    atomic_store(&p->park_result, 1000 + rc);
    return NULL;
}

static void *abort_a_parked_task(void *arg)
{
    struct parked_probe *p = arg;
    rt_join_handle *h = rt_spawn_named("sleeper", wait_forever, p);
    gate_await_waiters(&p->gate, 1);
    for (int i = 0; i < 10; i++)
        rt_yield(); /* give it time to really switch out */
    rt_abort(h);
    int rc = rt_join(h, NULL, NULL);
    SL_CHECK(rc == RT_ECANCELED, "join of an aborted parked task: %s", rt_strerror(rc));
    SL_CHECK(atomic_load(&p->park_result) == 1000 + RT_ECANCELED,
             "the parked task's wait returned %d, expected RT_ECANCELED (%d)",
             atomic_load(&p->park_result) - 1000, RT_ECANCELED);
    return NULL;
}

static void test_rt_abort_wakes_a_parked_task(void)
{
    for (int i = 0; i < NWORKER_COUNTS; i++) {
        struct parked_probe *p = calloc(1, sizeof *p);
        gate_init(&p->gate, 4);
        run_main(worker_counts[i], abort_a_parked_task, p, NULL);
        SL_CHECK(p->gate.nwaiters == 0, "the aborted task left its waker in the gate");
        gate_destroy(&p->gate);
        free(p);
    }
}

/* ------------------------------------------------------------ wake racing with abort */

struct race {
    _Atomic(rt_waker *) published;
    rt_waker waker;
    _Atomic int nwoken, ncancelled;
};

static void *park_once(void *arg)
{
    struct race *r = arg;
    r->waker = rt_park_prepare();
    rt_waker extra = rt_waker_clone(r->waker);
    atomic_store(&r->published, &r->waker);
    int rc = rt_park(RT_PARK_OTHER, r);
    rt_waker_drop(extra); /* a clone we never used: consumed all the same */
    atomic_fetch_add(rc == 0 ? &r->nwoken : &r->ncancelled, 1);
    return NULL;
}

static void *wake_from_blocking_thread(void *arg)
{
    rt_wake(*(rt_waker *)arg);
    return NULL;
}

static void *race_wakes_and_aborts(void *arg)
{
    struct race *r = arg;
    for (int i = 0; i < 500; i++) {
        atomic_store(&r->published, NULL);
        rt_join_handle *parker = rt_spawn(park_once, r);
        while (!atomic_load(&r->published))
            rt_yield();
        /* The wake comes from a blocking-pool thread while we abort from here. */
        rt_join_handle *waker = rt_spawn_blocking(wake_from_blocking_thread, &r->waker);
        if (i % 2)
            rt_yield();
        rt_abort(parker);
        int rc = rt_join(parker, NULL, NULL);
        SL_CHECK_FATAL(rc == 0 || rc == RT_ECANCELED, "round %d: join returned %s", i,
                       rt_strerror(rc));
        rt_join(waker, NULL, NULL);
    }
    return NULL;
}

static void test_rt_wake_racing_abort_is_safe(void)
{
    for (int i = 0; i < NWORKER_COUNTS; i++) {
        struct race *r = calloc(1, sizeof *r);
        run_main(worker_counts[i], race_wakes_and_aborts, r, NULL);
        SL_CHECK(atomic_load(&r->nwoken) + atomic_load(&r->ncancelled) == 500,
                 "with %d workers: %d woken + %d cancelled, expected 500 in all", worker_counts[i],
                 atomic_load(&r->nwoken), atomic_load(&r->ncancelled));
        free(r);
    }
}

const sl_test runtime_park_tests[] = {
    SL_TEST(test_rt_wake_before_park_is_not_lost, 1, "chapters/appendix-runtime.md#park-and-wake"),
    SL_TEST(test_rt_wake_from_foreign_pthread, 1, "chapters/appendix-runtime.md#park-and-wake"),
    SL_TEST(test_rt_abort_wakes_a_parked_task, 1, "chapters/appendix-runtime.md#park-and-wake"),
    SL_TEST(test_rt_wake_racing_abort_is_safe, 1, "chapters/appendix-runtime.md#park-and-wake"),
    SL_TEST_END,
};
