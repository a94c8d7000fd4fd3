/*
 * test_channels.c - mpsc and oneshot: order, backpressure, closing from either side,
 * try_ variants, cancelled waits, values dropped when nobody will receive them.
 */
#include "helpers.h"
#include "rt_mpsc.h"
#include "rt_oneshot.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ mpsc */

struct pipe_state {
    rt_mpsc_sender *tx;
    rt_mpsc_receiver *rx;
    _Atomic int nsent;
    int send_rc, recv_rc;
    int received[64];
    int nreceived;
};

static struct pipe_state *pipe_new(size_t capacity)
{
    struct pipe_state *s = calloc(1, sizeof *s);
    rt_channel_config config = {.elem_size = sizeof(int), .capacity = capacity};
    SL_CHECK_FATAL(rt_mpsc_new(&config, &s->tx, &s->rx) == 0, "rt_mpsc_new failed");
    return s;
}

static void *send_ten_then_drop(void *arg)
{
    struct pipe_state *s = arg;
    for (int i = 0; i < 10; i++) {
        s->send_rc = rt_mpsc_send(s->tx, &i);
        if (s->send_rc != 0)
            break;
        atomic_fetch_add(&s->nsent, 1);
    }
    rt_mpsc_sender_drop(s->tx);
    return NULL;
}

static void *receive_all(void *arg)
{
    struct pipe_state *s = arg;
    rt_join_handle *producer = rt_spawn(send_ten_then_drop, s);
    int value, rc;
    while ((rc = rt_mpsc_recv(s->rx, &value)) == 0)
        s->received[s->nreceived++] = value;
    s->recv_rc = rc;
    rt_join(producer, NULL, NULL);
    rt_mpsc_receiver_drop(s->rx);
    return NULL;
}

static void test_mpsc_delivers_in_order_then_closes(void)
{
    size_t capacities[] = {1, 3, 64, RT_UNBOUNDED};
    for (int c = 0; c < 4; c++) {
        for (int i = 0; i < NWORKER_COUNTS; i++) {
            struct pipe_state *s = pipe_new(capacities[c]);
            run_main(worker_counts[i], receive_all, s);
            SL_CHECK(s->nreceived == 10, "capacity %zu, %d workers: received %d of 10 values",
                     capacities[c], worker_counts[i], s->nreceived);
            for (int k = 0; k < s->nreceived; k++)
                SL_CHECK(s->received[k] == k, "value %d arrived as number %d", s->received[k], k);
            SL_CHECK(s->recv_rc == RT_ECLOSED,
                     "after the last sender left, recv returned %s, "
                     "expected closed",
                     rt_sync_strerror(s->recv_rc));
            free(s);
        }
    }
}

static void *fill_then_check_backpressure(void *arg)
{
    struct pipe_state *s = arg;
    rt_join_handle *producer = rt_spawn(send_ten_then_drop, s);
    yield_until_at_least(&s->nsent, 2);
    yield_times(10);
    SL_CHECK(atomic_load(&s->nsent) == 2, "a sender got %d values into a channel of capacity 2",
             atomic_load(&s->nsent));
    SL_CHECK(rt_mpsc_len(s->rx) == 2, "the channel holds %zu values", rt_mpsc_len(s->rx));
    int value, rc, n = 0;
    while ((rc = rt_mpsc_recv(s->rx, &value)) == 0)
        SL_CHECK(value == n++, "got %d, expected %d", value, n - 1);
    SL_CHECK(n == 10 && rc == RT_ECLOSED, "received %d values, then %s", n, rt_sync_strerror(rc));
    rt_join(producer, NULL, NULL);
    rt_mpsc_receiver_drop(s->rx);
    return NULL;
}

/* One worker: "yield ten times" reliably lets the producer run until it blocks. */
static void test_mpsc_bounded_send_waits_when_full(void)
{
    struct pipe_state *s = pipe_new(2);
    run_main(1, fill_then_check_backpressure, s);
    free(s);
}

static void *try_variants(void *arg)
{
    struct pipe_state *s = arg;
    int value = 7, out = 0;
    SL_CHECK(rt_mpsc_try_recv(s->rx, &out) == RT_EWOULDBLOCK, "try_recv on an empty channel");
    SL_CHECK(rt_mpsc_try_send(s->tx, &value) == 0, "try_send into an empty channel failed");
    SL_CHECK(rt_mpsc_try_send(s->tx, &value) == RT_EWOULDBLOCK, "try_send into a full channel");
    SL_CHECK(rt_mpsc_try_recv(s->rx, &out) == 0 && out == 7, "try_recv did not get the value");
    rt_mpsc_sender *tx2 = rt_mpsc_sender_clone(s->tx);
    rt_mpsc_sender_drop(s->tx);
    SL_CHECK(rt_mpsc_try_recv(s->rx, &out) == RT_EWOULDBLOCK, "closed while a clone is alive");
    rt_mpsc_sender_drop(tx2);
    SL_CHECK(rt_mpsc_try_recv(s->rx, &out) == RT_ECLOSED, "not closed after the last sender");
    rt_mpsc_receiver_drop(s->rx);
    return NULL;
}

static void test_mpsc_try_send_try_recv(void)
{
    struct pipe_state *s = pipe_new(1);
    run_main(1, try_variants, s);
    free(s);
}

static void *recv_until_closed(void *arg)
{
    struct pipe_state *s = arg;
    atomic_fetch_add(&s->nsent, 1); /* "I am about to wait" */
    int value;
    s->recv_rc = rt_mpsc_recv(s->rx, &value);
    return NULL;
}

static void *drop_last_sender_while_receiving(void *arg)
{
    struct pipe_state *s = arg;
    rt_join_handle *receiver = rt_spawn(recv_until_closed, s);
    yield_until_at_least(&s->nsent, 1);
    yield_times(5);
    rt_mpsc_sender_drop(s->tx);
    rt_join(receiver, NULL, NULL);
    rt_mpsc_receiver_drop(s->rx);
    return NULL;
}

static void test_mpsc_dropping_last_sender_wakes_receiver(void)
{
    for (int i = 0; i < NWORKER_COUNTS; i++) {
        struct pipe_state *s = pipe_new(4);
        run_main(worker_counts[i], drop_last_sender_while_receiving, s);
        SL_CHECK(s->recv_rc == RT_ECLOSED,
                 "%d workers: the blocked receiver got %s, expected "
                 "closed",
                 worker_counts[i], rt_sync_strerror(s->recv_rc));
        free(s);
    }
}

static void *drop_receiver_while_sender_blocked(void *arg)
{
    struct pipe_state *s = arg;
    rt_join_handle *producer = rt_spawn(send_ten_then_drop, s);
    yield_until_at_least(&s->nsent, 1); /* capacity 1: the second send blocks */
    yield_times(5);
    rt_mpsc_receiver_drop(s->rx);
    rt_join(producer, NULL, NULL);
    return NULL;
}

static void test_mpsc_dropping_receiver_releases_blocked_sender(void)
{
    for (int i = 0; i < NWORKER_COUNTS; i++) {
        struct pipe_state *s = pipe_new(1);
        run_main(worker_counts[i], drop_receiver_while_sender_blocked, s);
        SL_CHECK(s->send_rc == RT_ECLOSED,
                 "%d workers: the blocked sender got %s, expected "
                 "closed",
                 worker_counts[i], rt_sync_strerror(s->send_rc));
        free(s);
    }
}

static void *cancel_blocked_recv_and_send(void *arg)
{
    struct pipe_state *s = arg;
    rt_join_handle *receiver = rt_spawn(recv_until_closed, s);
    yield_until_at_least(&s->nsent, 1);
    yield_times(5);
    rt_abort(receiver);
    rt_join(receiver, NULL, NULL);
    SL_CHECK(s->recv_rc == RT_ECANCELED, "an aborted recv returned %s",
             rt_sync_strerror(s->recv_rc));
    /* Now a blocked sender: capacity 1 holds value 0, the send of 1 waits; abort it. */
    atomic_store(&s->nsent, 0);
    rt_join_handle *producer = rt_spawn(send_ten_then_drop, s);
    yield_until_at_least(&s->nsent, 1);
    yield_times(5);
    rt_abort(producer);
    rt_join(producer, NULL, NULL);
    SL_CHECK(s->send_rc == RT_ECANCELED, "an aborted send returned %s",
             rt_sync_strerror(s->send_rc));
    int value = -1;
    SL_CHECK(rt_mpsc_try_recv(s->rx, &value) == 0 && value == 0, "value 0 is lost");
    SL_CHECK(rt_mpsc_try_recv(s->rx, &value) == RT_ECLOSED,
             "the cancelled send delivered its value anyway (got %d)", value);
    rt_mpsc_receiver_drop(s->rx);
    return NULL;
}

static void test_mpsc_cancelled_recv_and_send(void)
{
    for (int i = 0; i < NWORKER_COUNTS; i++) {
        struct pipe_state *s = pipe_new(1);
        run_main(worker_counts[i], cancel_blocked_recv_and_send, s);
        free(s);
    }
}

static _Atomic int ndropped;

static void count_drop(void *value)
{
    (void)value;
    atomic_fetch_add(&ndropped, 1);
}

static void test_mpsc_receiver_drop_drops_queued_values(void)
{
    atomic_store(&ndropped, 0);
    rt_mpsc_sender *tx;
    rt_mpsc_receiver *rx;
    rt_channel_config config = {
        .elem_size = sizeof(int), .capacity = RT_UNBOUNDED, .drop_value = count_drop};
    SL_CHECK_FATAL(rt_mpsc_new(&config, &tx, &rx) == 0, "rt_mpsc_new failed");
    for (int i = 0; i < 100; i++) /* unbounded send never waits: fine outside a task */
        SL_CHECK(rt_mpsc_send(tx, &i) == 0, "unbounded send %d failed", i);
    rt_mpsc_receiver_drop(rx);
    SL_CHECK(atomic_load(&ndropped) == 100, "%d of 100 queued values were dropped",
             atomic_load(&ndropped));
    int value = 1;
    SL_CHECK(rt_mpsc_send(tx, &value) == RT_ECLOSED, "send without a receiver must say closed");
    rt_mpsc_sender_drop(tx);
    SL_CHECK(rt_mpsc_new(&(rt_channel_config){.elem_size = 4}, &tx, &rx) == -EINVAL,
             "capacity 0 must be rejected (RT_UNBOUNDED is explicit)");
}

/* ------------------------------------------------------------ oneshot */

struct reply_state {
    rt_oneshot_sender *tx;
    rt_oneshot_receiver *rx;
    _Atomic int is_waiting;
    int rc;
    long value;
};

static struct reply_state *reply_new(void)
{
    struct reply_state *s = calloc(1, sizeof *s);
    rt_channel_config config = {.elem_size = sizeof(long), .drop_value = count_drop};
    SL_CHECK_FATAL(rt_oneshot_new(&config, &s->tx, &s->rx) == 0, "rt_oneshot_new failed");
    return s;
}

static void *await_reply(void *arg)
{
    struct reply_state *s = arg;
    atomic_store(&s->is_waiting, 1);
    s->rc = rt_oneshot_recv(s->rx, &s->value);
    return NULL;
}

static void *reply_later(void *arg)
{
    struct reply_state *s = arg;
    rt_join_handle *requester = rt_spawn(await_reply, s);
    yield_until_at_least(&s->is_waiting, 1);
    yield_times(3);
    long answer = 42;
    SL_CHECK(rt_oneshot_send(s->tx, &answer) == 0, "rt_oneshot_send failed");
    rt_join(requester, NULL, NULL);
    long again;
    SL_CHECK(rt_oneshot_try_recv(s->rx, &again) == RT_ECLOSED, "a oneshot delivered twice");
    rt_oneshot_receiver_drop(s->rx);
    return NULL;
}

static void *drop_sender_unsent(void *arg)
{
    struct reply_state *s = arg;
    rt_join_handle *requester = rt_spawn(await_reply, s);
    yield_until_at_least(&s->is_waiting, 1);
    yield_times(3);
    rt_oneshot_sender_drop(s->tx);
    rt_join(requester, NULL, NULL);
    rt_oneshot_receiver_drop(s->rx);
    return NULL;
}

static void *cancel_then_retry(void *arg)
{
    struct reply_state *s = arg;
    rt_join_handle *requester = rt_spawn(await_reply, s);
    yield_until_at_least(&s->is_waiting, 1);
    yield_times(3);
    rt_abort(requester);
    rt_join(requester, NULL, NULL);
    SL_CHECK(s->rc == RT_ECANCELED, "an aborted recv returned %s", rt_sync_strerror(s->rc));
    long answer = 9, out = 0;
    SL_CHECK(rt_oneshot_try_recv(s->rx, &out) == RT_EWOULDBLOCK, "try_recv before the send");
    rt_oneshot_send(s->tx, &answer);
    SL_CHECK(rt_oneshot_recv(s->rx, &out) == 0 && out == 9, "the retried recv lost the value");
    rt_oneshot_receiver_drop(s->rx);
    return NULL;
}

static void test_oneshot_paths(void)
{
    for (int i = 0; i < NWORKER_COUNTS; i++) {
        struct reply_state *s = reply_new();
        run_main(worker_counts[i], reply_later, s);
        SL_CHECK(s->rc == 0 && s->value == 42, "%d workers: recv got %s, value %ld",
                 worker_counts[i], rt_sync_strerror(s->rc), s->value);
        free(s);

        s = reply_new();
        run_main(worker_counts[i], drop_sender_unsent, s);
        SL_CHECK(s->rc == RT_ECLOSED,
                 "%d workers: with the sender dropped, recv got %s, "
                 "expected closed (sender dropped)",
                 worker_counts[i], rt_sync_strerror(s->rc));
        free(s);

        s = reply_new();
        run_main(worker_counts[i], cancel_then_retry, s);
        free(s);
    }
}

static void test_oneshot_receiver_gone(void)
{
    atomic_store(&ndropped, 0);
    struct reply_state *s = reply_new();
    rt_oneshot_receiver_drop(s->rx);
    long value = 5;
    SL_CHECK(rt_oneshot_send(s->tx, &value) == RT_ECLOSED, "send to a dropped receiver");
    SL_CHECK(atomic_load(&ndropped) == 0, "a value the sender kept was dropped");
    free(s);

    s = reply_new(); /* sent but never received: dropped with the receiver */
    rt_oneshot_send(s->tx, &value);
    rt_oneshot_receiver_drop(s->rx);
    SL_CHECK(atomic_load(&ndropped) == 1, "an unreceived value was not dropped");
    free(s);
}

const sl_test sync_channel_tests[] = {
    SL_TEST(test_mpsc_delivers_in_order_then_closes, 2, "chapters/05-channels.md#mpsc"),
    SL_TEST(test_mpsc_bounded_send_waits_when_full, 2, "chapters/05-channels.md#backpressure"),
    SL_TEST(test_mpsc_try_send_try_recv, 1, "chapters/05-channels.md#mpsc"),
    SL_TEST(test_mpsc_dropping_last_sender_wakes_receiver, 1,
            "chapters/05-channels.md#when-a-channel-closes"),
    SL_TEST(test_mpsc_dropping_receiver_releases_blocked_sender, 1,
            "chapters/05-channels.md#when-a-channel-closes"),
    SL_TEST(test_mpsc_cancelled_recv_and_send, 1, "chapters/05-channels.md#mpsc"),
    SL_TEST(test_mpsc_receiver_drop_drops_queued_values, 1, "chapters/05-channels.md#mpsc"),
    SL_TEST(test_oneshot_paths, 2, "chapters/05-channels.md#a-reply-channel"),
    SL_TEST(test_oneshot_receiver_gone, 1, "chapters/05-channels.md#a-reply-channel"),
    SL_TEST_END,
};
