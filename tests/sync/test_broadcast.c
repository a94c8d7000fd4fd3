/*
 * test_broadcast.c - broadcast (every receiver sees every value; lag is exact; new
 * subscribers see only later values; closing) and watch (latest value only; changed()).
 */
#include "helpers.h"
#include "rt_broadcast.h"
#include "rt_watch.h"

#include <stdlib.h>

static void *lag_is_exact(void *unused)
{
    (void)unused;
    rt_broadcast_sender *tx;
    rt_broadcast_receiver *fast, *slow;
    rt_channel_config config = {.elem_size = sizeof(int), .capacity = 4};
    SL_CHECK_FATAL(rt_broadcast_new(&config, &tx, &slow) == 0, "rt_broadcast_new failed");
    fast = rt_broadcast_subscribe(tx);
    int value, rc;
    uint64_t nmissed = 0;
    for (int i = 0; i < 10; i++) {
        SL_CHECK(rt_broadcast_send(tx, &i) == 0, "send %d failed", i);
        SL_CHECK(rt_broadcast_recv(fast, &value, NULL) == 0 && value == i,
                 "a receiver that keeps up missed value %d", i);
    }
    /* slow read nothing: 10 sent, the ring keeps 6..9, so it missed exactly 0..5. */
    rc = rt_broadcast_recv(slow, &value, &nmissed);
    SL_CHECK(rc == RT_ELAGGED && nmissed == 6,
             "a receiver 10 values behind a ring of 4 got %s, "
             "missed %llu; expected lagged by 6",
             rt_sync_strerror(rc), (unsigned long long)nmissed);
    for (int i = 6; i < 10; i++)
        SL_CHECK(rt_broadcast_recv(slow, &value, NULL) == 0 && value == i,
                 "after the lag, expected %d, got %d", i, value);
    rt_broadcast_receiver *late = rt_broadcast_subscribe(tx);
    SL_CHECK(rt_broadcast_try_recv(late, &value, NULL) == RT_EWOULDBLOCK,
             "a new subscriber saw a value sent before it subscribed");
    int eleven = 11;
    rt_broadcast_send(tx, &eleven);
    SL_CHECK(rt_broadcast_recv(late, &value, NULL) == 0 && value == 11,
             "the new subscriber "
             "missed the value sent after it subscribed");
    rt_broadcast_sender_drop(tx);
    SL_CHECK(rt_broadcast_recv(fast, &value, NULL) == 0 && value == 11, "value 11 not delivered");
    SL_CHECK(rt_broadcast_recv(fast, &value, NULL) == RT_ECLOSED, "not closed after the sender");
    rt_broadcast_receiver_drop(fast);
    rt_broadcast_receiver_drop(slow);
    rt_broadcast_receiver_drop(late);
    return NULL;
}

static void test_broadcast_every_receiver_and_exact_lag(void)
{
    run_main(1, lag_is_exact, NULL);
}

struct fanout {
    rt_broadcast_sender *tx;
    rt_broadcast_receiver *rx[3];
    _Atomic int nready;
    int ngot[3];
};

struct listener {
    struct fanout *f;
    int id;
};

static void *listen_all(void *arg)
{
    struct listener *l = arg;
    int value;
    atomic_fetch_add(&l->f->nready, 1);
    while (rt_broadcast_recv(l->f->rx[l->id], &value, NULL) == 0)
        SL_CHECK(value == l->f->ngot[l->id]++, "receiver %d got %d out of order", l->id, value);
    rt_broadcast_receiver_drop(l->f->rx[l->id]);
    free(l);
    return NULL;
}

static void *fan_out(void *arg)
{
    struct fanout *f = arg;
    rt_join_handle *tasks[3];
    for (int i = 0; i < 3; i++) {
        struct listener *l = malloc(sizeof *l);
        *l = (struct listener){f, i};
        tasks[i] = rt_spawn(listen_all, l);
    }
    yield_until_at_least(&f->nready, 3);
    for (int v = 0; v < 200; v++) {
        rt_broadcast_send(f->tx, &v);
        if (v % 8 == 7)
            rt_yield(); /* within the ring's capacity (16): nobody lags */
    }
    rt_broadcast_sender_drop(f->tx);
    for (int i = 0; i < 3; i++)
        rt_join(tasks[i], NULL, NULL);
    return NULL;
}

static void test_broadcast_wakes_every_waiting_receiver(void)
{
    struct fanout *f = calloc(1, sizeof *f);
    rt_channel_config config = {.elem_size = sizeof(int), .capacity = 16};
    SL_CHECK_FATAL(rt_broadcast_new(&config, &f->tx, &f->rx[0]) == 0, "rt_broadcast_new");
    f->rx[1] = rt_broadcast_subscribe(f->tx);
    f->rx[2] = rt_broadcast_subscribe(f->tx);
    run_main(1, fan_out, f);
    for (int i = 0; i < 3; i++)
        SL_CHECK(f->ngot[i] == 200, "receiver %d got %d of 200 values", i, f->ngot[i]);
    free(f);
}

struct watch_state {
    rt_watch_sender *tx;
    rt_watch_receiver *rx;
    _Atomic int nwaiting;
    int changed_rc, seen;
};

static void *wait_for_change(void *arg)
{
    struct watch_state *s = arg;
    atomic_fetch_add(&s->nwaiting, 1);
    s->changed_rc = rt_watch_changed(s->rx);
    rt_watch_borrow(s->rx, &s->seen);
    return NULL;
}

static void *watch_latest(void *arg)
{
    struct watch_state *s = arg;
    int value = -1;
    rt_watch_borrow(s->rx, &value);
    SL_CHECK(value == 0, "the initial value is %d, expected 0", value);
    rt_join_handle *waiter = rt_spawn(wait_for_change, s);
    yield_until_at_least(&s->nwaiting, 1);
    yield_times(3);
    for (int v = 1; v <= 3; v++)
        rt_watch_send(s->tx, &v); /* only the latest matters */
    rt_join(waiter, NULL, NULL);
    SL_CHECK(s->changed_rc == 0 && s->seen == 3,
             "changed() gave %s and the value %d; "
             "expected a change to the latest value, 3",
             rt_sync_strerror(s->changed_rc), s->seen);
    rt_watch_sender_drop(s->tx);
    SL_CHECK(rt_watch_changed(s->rx) == RT_ECLOSED, "changed() after the sender left");
    rt_watch_receiver_drop(s->rx);
    return NULL;
}

static void test_watch_latest_value_and_changed(void)
{
    for (int i = 0; i < NWORKER_COUNTS; i++) {
        struct watch_state *s = calloc(1, sizeof *s);
        int initial = 0;
        SL_CHECK_FATAL(rt_watch_new(&(rt_channel_config){.elem_size = sizeof(int)}, &initial,
                                    &s->tx, &s->rx) == 0,
                       "rt_watch_new failed");
        run_main(worker_counts[i], watch_latest, s);
        free(s);
    }
}

const sl_test sync_broadcast_tests[] = {
    SL_TEST(test_broadcast_every_receiver_and_exact_lag, 2, "chapters/05-channels.md#pub-sub"),
    SL_TEST(test_broadcast_wakes_every_waiting_receiver, 1, "chapters/05-channels.md#pub-sub"),
    SL_TEST(test_watch_latest_value_and_changed, 1, "chapters/05-channels.md#watch"),
    SL_TEST_END,
};
