/*
 * test_select.c - select: the winner is the ready arm, losers do not happen, no message is
 * lost or delivered twice (100 seeds, each on one worker, on two or three, and on a
 * deterministic runtime), and the mpsc, oneshot, token, join and deadline arms
 * (test_select_arms.c has the broadcast, watch and descriptor arms).
 */
#include "helpers.h"
#include "rt_broadcast.h"
#include "rt_cancel.h"
#include "rt_mpsc.h"
#include "rt_select.h"
#include "rt_time.h"

#include <stdlib.h>

struct two_channels {
    rt_mpsc_sender *tx[2];
    rt_mpsc_receiver *rx[2];
    rt_cancel_token *token;
    _Atomic int nready;
    int rc;
};

static struct two_channels *two_new(size_t capacity)
{
    struct two_channels *s = calloc(1, sizeof *s);
    rt_channel_config config = {.elem_size = sizeof(int), .capacity = capacity};
    for (int i = 0; i < 2; i++)
        SL_CHECK_FATAL(rt_mpsc_new(&config, &s->tx[i], &s->rx[i]) == 0, "rt_mpsc_new failed");
    s->token = rt_cancel_token_new();
    return s;
}

static void two_free(struct two_channels *s)
{
    for (int i = 0; i < 2; i++) {
        if (s->tx[i])
            rt_mpsc_sender_drop(s->tx[i]);
        rt_mpsc_receiver_drop(s->rx[i]);
    }
    rt_cancel_token_drop(s->token);
    free(s);
}

static void *losers_do_not_happen(void *arg)
{
    struct two_channels *s = arg;
    int one = 1, two = 2, out = 0;
    rt_mpsc_send(s->tx[0], &one); /* channel 0 is now full (capacity 1) */
    rt_mpsc_send(s->tx[1], &two);
    for (int round = 0; round < 4; round++) { /* the rotation tries each arm first in turn */
        int in = 0;
        rt_mpsc_try_recv(s->rx[1], &in); /* empty channel 1 again */
        rt_mpsc_send(s->tx[1], &two);
        rt_select_arm arms[] = {rt_select_send(s->tx[0], &two), rt_select_recv(s->rx[1], &out),
                                rt_select_cancelled(s->token)};
        int winner = rt_select(arms, 3);
        SL_CHECK(winner == 1 && arms[1].result == 0 && out == 2,
                 "round %d: select returned %d "
                 "(result %s, value %d); only the recv arm was ready",
                 round, winner, rt_sync_strerror(arms[1].result), out);
        SL_CHECK(rt_mpsc_len(s->rx[0]) == 1, "the losing send arm sent a value");
        rt_mpsc_send(s->tx[1], &two);
    }
    int in;
    SL_CHECK(rt_mpsc_try_recv(s->rx[0], &in) == 0 && in == 1, "channel 0 lost its value");
    return NULL;
}

static void test_select_ready_arm_wins_losers_do_not_happen(void)
{
    struct two_channels *s = two_new(1);
    run_main(1, losers_do_not_happen, s);
    two_free(s);
}

static void *cancel_later(void *arg)
{
    struct two_channels *s = arg;
    yield_until_at_least(&s->nready, 1);
    yield_times(3);
    rt_cancel_token_cancel(s->token);
    return NULL;
}

static void *wait_for_token_or_value(void *arg)
{
    struct two_channels *s = arg;
    rt_join_handle *canceller = rt_spawn(cancel_later, s);
    int out = -1;
    rt_select_arm arms[] = {rt_select_recv(s->rx[0], &out), rt_select_cancelled(s->token),
                            rt_select_join(canceller)};
    atomic_store(&s->nready, 1);
    int winner = rt_select(arms, 3);
    /* The canceller finishes right after cancelling; either of arms 1 and 2 may win. */
    SL_CHECK(winner == 1 || winner == 2, "select returned %d, expected the token or the join",
             winner);
    SL_CHECK(out == -1, "the recv arm wrote a value although nothing was sent");
    rt_select_arm join_arm[] = {rt_select_join(canceller)};
    SL_CHECK(rt_select(join_arm, 1) == 0, "a join arm of a finished task did not win");
    SL_CHECK(rt_join(canceller, NULL, NULL) == 0, "rt_join after a join arm failed");
    SL_CHECK(rt_cancel_token_wait(s->token) == 0, "wait on a cancelled token");
    return NULL;
}

static void test_select_cancel_token_and_join_arms(void)
{
    for (int i = 0; i < NWORKER_COUNTS; i++) {
        struct two_channels *s = two_new(4);
        run_main(worker_counts[i], wait_for_token_or_value, s);
        two_free(s);
    }
}

static void *select_until_aborted(void *arg)
{
    struct two_channels *s = arg;
    int out = -1;
    rt_select_arm arms[] = {rt_select_recv(s->rx[0], &out), rt_select_recv(s->rx[1], &out)};
    atomic_store(&s->nready, 1);
    s->rc = rt_select(arms, 2);
    return NULL;
}

static void *abort_a_select(void *arg)
{
    struct two_channels *s = arg;
    rt_join_handle *selector = rt_spawn(select_until_aborted, s);
    yield_until_at_least(&s->nready, 1);
    yield_times(5);
    rt_abort(selector);
    rt_join(selector, NULL, NULL);
    int value = 5, out = 0;
    rt_mpsc_send(s->tx[0], &value);
    SL_CHECK(rt_mpsc_try_recv(s->rx[0], &out) == 0 && out == 5,
             "a value sent after the select was cancelled went missing");
    return NULL;
}

static void test_select_cancelled_and_closed(void)
{
    for (int i = 0; i < NWORKER_COUNTS; i++) {
        struct two_channels *s = two_new(2);
        run_main(worker_counts[i], abort_a_select, s);
        SL_CHECK(s->rc == RT_ECANCELED, "%d workers: an aborted select returned %d",
                 worker_counts[i], s->rc);
        two_free(s);
    }
    /* A closed channel is ready: its arm wins with RT_ECLOSED. */
    struct two_channels *s = two_new(2);
    rt_mpsc_sender_drop(s->tx[1]);
    s->tx[1] = NULL;
    int out;
    rt_select_arm arms[] = {rt_select_recv(s->rx[0], &out), rt_select_recv(s->rx[1], &out)};
    int winner = rt_select(arms, 2);
    SL_CHECK(winner == 1 && arms[1].result == RT_ECLOSED,
             "select over a closed channel "
             "returned %d with %s",
             winner, rt_sync_strerror(arms[winner < 0 ? 0 : winner].result));
    two_free(s);
}

static void *deadlines(void *unused)
{
    (void)unused;
    rt_cancel_token *never = rt_cancel_token_new();
    rt_select_arm past[] = {rt_select_cancelled(never), rt_select_deadline(1)};
    SL_CHECK(rt_select(past, 2) == 1, "a deadline already passed did not win at once");
    int64_t deadline = rt_now() + 30 * RT_NS_PER_MS;
    rt_select_arm future[] = {rt_select_cancelled(never), rt_select_deadline(deadline)};
    int rc = rt_select(future, 2);
    SL_CHECK(rc == 1 && rt_now() >= deadline,
             "a select on a deadline 30 ms away returned %d after %lld ms", rc,
             (long long)((rt_now() - deadline) / RT_NS_PER_MS + 30));
    rt_cancel_token_drop(never);
    return NULL;
}

static void test_select_deadline_arm(void)
{
    run_main(1, deadlines, NULL);
}

/* ------------------------------------------------------------ no loss, no duplicates
 * Producers send each value through a select over two mpsc send arms (whichever channel has
 * room) *and* a broadcast recv arm on their own subscription: a broadcast arm next to send
 * arms is the one that can lose a race it was polled in - a receiver claims the select
 * through a send waiter while we are still registering the broadcast arm. When the
 * broadcast arm wins, the producer retries the same send. The consumer selects over both
 * mpsc channels and a broadcast subscription of its own. Everyone checks that it saw every
 * value exactly once, and the broadcast values in order. */

enum { NSELECT_PRODUCERS = 3, NPER_PRODUCER = 60, NBROADCAST = 30 };

struct select_stress {
    struct two_channels *c;
    rt_broadcast_sender *btx;
    rt_broadcast_receiver *brx[NSELECT_PRODUCERS + 1]; /* one per producer, the consumer's */
    uint32_t seed;
    _Atomic int nerrors;
    int seen[NSELECT_PRODUCERS][NPER_PRODUCER];
};

struct select_producer {
    struct select_stress *s;
    int id;
    rt_mpsc_sender *tx[2];
};

/* A broadcast value, as one reader sees it: the next in order, or an error. */
static void check_broadcast(struct select_stress *s, int *next, int value, int result)
{
    if (result != 0 || value != (*next)++)
        atomic_fetch_add(&s->nerrors, 1);
}

static void *produce_with_select(void *arg)
{
    struct select_producer *p = arg;
    struct select_stress *s = p->s;
    rt_broadcast_receiver *brx = s->brx[p->id];
    chaos c = chaos_seed(s->seed, (uint32_t)p->id);
    int next_broadcast = 0, b, rc;
    for (int k = 0; k < NPER_PRODUCER;) {
        int value = p->id << 16 | k;
        rt_select_arm arms[] = {rt_select_send(p->tx[0], &value), rt_select_send(p->tx[1], &value),
                                rt_select_broadcast(brx, &b, NULL)};
        int winner = rt_select(arms, next_broadcast < NBROADCAST ? 3 : 2);
        if (winner == 2) {
            check_broadcast(s, &next_broadcast, b, arms[2].result); /* and send again */
        } else {
            if (winner < 0 || arms[winner].result != 0)
                atomic_fetch_add(&s->nerrors, 1);
            k++;
        }
        chaos_yield(&c);
    }
    rt_mpsc_sender_drop(p->tx[0]);
    rt_mpsc_sender_drop(p->tx[1]);
    while ((rc = rt_broadcast_recv(brx, &b, NULL)) == 0) /* what the arm did not take */
        check_broadcast(s, &next_broadcast, b, rc);
    if (rc != RT_ECLOSED || next_broadcast != NBROADCAST)
        atomic_fetch_add(&s->nerrors, 1);
    free(p);
    return NULL;
}

static void *consume_with_select(void *arg)
{
    struct select_stress *s = arg;
    chaos c = chaos_seed(s->seed, 99);
    bool is_open[3] = {true, true, true}; /* mpsc 0, mpsc 1, broadcast */
    int value, next_broadcast = 0;
    while (is_open[0] || is_open[1] || is_open[2]) {
        rt_select_arm arms[3];
        int map[3], n = 0;
        for (int j = 0; j < 3; j++)
            if (is_open[j]) {
                map[n] = j;
                arms[n++] = j < 2 ? rt_select_recv(s->c->rx[j], &value)
                                  : rt_select_broadcast(s->brx[NSELECT_PRODUCERS], &value, NULL);
            }
        int winner = rt_select(arms, n);
        SL_CHECK_FATAL(winner >= 0, "select failed: %d", winner);
        int j = map[winner];
        if (arms[winner].result == RT_ECLOSED) {
            is_open[j] = false;
        } else if (j == 2) {
            check_broadcast(s, &next_broadcast, value, arms[winner].result);
        } else {
            int producer = value >> 16, k = value & 0xffff;
            if (producer < NSELECT_PRODUCERS && k < NPER_PRODUCER)
                s->seen[producer][k]++;
        }
        chaos_yield(&c);
    }
    if (next_broadcast != NBROADCAST)
        atomic_fetch_add(&s->nerrors, 1);
    return NULL;
}

static void *broadcast_with_yields(void *arg)
{
    struct select_stress *s = arg;
    chaos c = chaos_seed(s->seed, 77);
    for (int i = 0; i < NBROADCAST; i++) {
        rt_broadcast_send(s->btx, &i);
        chaos_yield(&c);
    }
    rt_broadcast_sender_drop(s->btx);
    return NULL;
}

static void *run_select_stress(void *arg)
{
    struct select_stress *s = arg;
    rt_join_handle *consumer = rt_spawn(consume_with_select, s);
    rt_join_handle *producers[NSELECT_PRODUCERS];
    for (int i = 0; i < NSELECT_PRODUCERS; i++) {
        struct select_producer *p = malloc(sizeof *p);
        *p = (struct select_producer){.s = s, .id = i};
        for (int j = 0; j < 2; j++)
            p->tx[j] = rt_mpsc_sender_clone(s->c->tx[j]);
        producers[i] = rt_spawn(produce_with_select, p);
    }
    rt_join_handle *broadcaster = rt_spawn(broadcast_with_yields, s);
    for (int j = 0; j < 2; j++) {
        rt_mpsc_sender_drop(s->c->tx[j]);
        s->c->tx[j] = NULL;
    }
    for (int i = 0; i < NSELECT_PRODUCERS; i++)
        rt_join(producers[i], NULL, NULL);
    rt_join(broadcaster, NULL, NULL);
    rt_join(consumer, NULL, NULL);
    return NULL;
}

enum stress_runtime { ON_ONE_WORKER, ON_TWO_OR_THREE, DETERMINISTIC };

static void select_stress_once(uint32_t seed, enum stress_runtime kind)
{
    struct select_stress *s = calloc(1, sizeof *s);
    s->c = two_new(1 + seed % 2);
    s->seed = seed;
    /* The ring holds every value: a lag here would be a real loss. */
    rt_channel_config config = {.elem_size = sizeof(int), .capacity = NBROADCAST};
    SL_CHECK_FATAL(rt_broadcast_new(&config, &s->btx, &s->brx[0]) == 0, "rt_broadcast_new");
    for (int i = 1; i <= NSELECT_PRODUCERS; i++)
        s->brx[i] = rt_broadcast_subscribe(s->btx);
    int nworkers = kind == ON_TWO_OR_THREE ? 2 + (int)(seed % 2) : 1;
    if (kind == DETERMINISTIC)
        run_main_seeded(seed + 1, run_select_stress, s);
    else
        run_main(nworkers, run_select_stress, s);
    int nbad = atomic_load(&s->nerrors);
    for (int i = 0; i < NSELECT_PRODUCERS; i++)
        for (int k = 0; k < NPER_PRODUCER; k++)
            nbad += s->seen[i][k] != 1;
    SL_CHECK(nbad == 0, "seed %u, %d workers%s: %d messages lost, duplicated or failed", seed,
             nworkers, kind == DETERMINISTIC ? " (deterministic)" : "", nbad);
    for (int i = 0; i <= NSELECT_PRODUCERS; i++)
        rt_broadcast_receiver_drop(s->brx[i]);
    two_free(s->c);
    free(s);
}

static void test_select_never_loses_or_duplicates(void)
{
    for (uint32_t seed = 0; seed < 100; seed++) {
        select_stress_once(seed, ON_ONE_WORKER);
        select_stress_once(seed, ON_TWO_OR_THREE);
        select_stress_once(seed, DETERMINISTIC);
    }
}

const sl_test sync_select_tests[] = {
    SL_TEST(test_select_ready_arm_wins_losers_do_not_happen, 2, "chapters/05-channels.md#select"),
    SL_TEST(test_select_cancel_token_and_join_arms, 1, "chapters/05-channels.md#select"),
    SL_TEST(test_select_cancelled_and_closed, 1, "chapters/05-channels.md#select"),
    SL_TEST(test_select_deadline_arm, 1, "chapters/06-bot.md#racing-a-timer"),
    SL_TEST(test_select_never_loses_or_duplicates, 3, "chapters/05-channels.md#select"),
    SL_TEST_END,
};
