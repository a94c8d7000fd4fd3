/*
 * test_stress.c - no lost wake-ups: many producers and consumers, 100 seeded interleavings
 * on current_thread, on multi_thread and on a deterministic runtime (see helpers.h for how
 * the seeds are used).
 *
 * Every value carries (producer, sequence number); each consumer checks that it gets every
 * producer's values exactly once and in order. A lost wake-up shows up as a hang (the
 * harness's watchdog names the test), a lost or duplicated message as a failed check.
 */
#include "helpers.h"
#include "rt_mpsc.h"

#include <stdio.h>
#include <stdlib.h>

enum { NPRODUCERS = 4, NCONSUMERS = 3, NPER_PAIR = 40, NSEEDS = 100 };

struct stress {
    uint32_t seed;
    rt_mpsc_sender *tx[NCONSUMERS]; /* the originals; each producer gets clones */
    rt_mpsc_receiver *rx[NCONSUMERS];
    _Atomic int nerrors;
};

struct producer_arg {
    struct stress *s;
    int id;
    rt_mpsc_sender *tx[NCONSUMERS];
};

struct consumer_arg {
    struct stress *s;
    int id;
};

static void *produce(void *arg)
{
    struct producer_arg *p = arg;
    chaos c = chaos_seed(p->s->seed, (uint32_t)p->id);
    for (int k = 0; k < NPER_PAIR; k++) {
        for (int j = 0; j < NCONSUMERS; j++) {
            int value = p->id << 16 | k;
            if (rt_mpsc_send(p->tx[j], &value) != 0)
                atomic_fetch_add(&p->s->nerrors, 1);
            chaos_yield(&c);
        }
    }
    for (int j = 0; j < NCONSUMERS; j++)
        rt_mpsc_sender_drop(p->tx[j]);
    free(p);
    return NULL;
}

static void *consume(void *arg)
{
    struct consumer_arg *a = arg;
    chaos c = chaos_seed(a->s->seed, 100u + (uint32_t)a->id);
    int next[NPRODUCERS] = {0};
    int value, rc, n = 0;
    while ((rc = rt_mpsc_recv(a->s->rx[a->id], &value)) == 0) {
        int producer = value >> 16, seq = value & 0xffff;
        if (producer >= NPRODUCERS || seq != next[producer]++)
            atomic_fetch_add(&a->s->nerrors, 1); /* lost, duplicated or reordered */
        n++;
        chaos_yield(&c);
    }
    if (rc != RT_ECLOSED || n != NPRODUCERS * NPER_PAIR)
        atomic_fetch_add(&a->s->nerrors, 1);
    rt_mpsc_receiver_drop(a->s->rx[a->id]);
    free(a);
    return NULL;
}

static void *run_stress(void *arg)
{
    struct stress *s = arg;
    rt_join_handle *tasks[NPRODUCERS + NCONSUMERS];
    for (int j = 0; j < NCONSUMERS; j++) {
        struct consumer_arg *a = malloc(sizeof *a);
        *a = (struct consumer_arg){s, j};
        tasks[NPRODUCERS + j] = rt_spawn(consume, a);
    }
    for (int i = 0; i < NPRODUCERS; i++) {
        struct producer_arg *p = malloc(sizeof *p);
        p->s = s;
        p->id = i;
        for (int j = 0; j < NCONSUMERS; j++)
            p->tx[j] = rt_mpsc_sender_clone(s->tx[j]);
        tasks[i] = rt_spawn(produce, p);
    }
    for (int j = 0; j < NCONSUMERS; j++)
        rt_mpsc_sender_drop(s->tx[j]); /* only the producers' clones keep them open now */
    for (int i = 0; i < NPRODUCERS + NCONSUMERS; i++)
        rt_join(tasks[i], NULL, NULL);
    return NULL;
}

/* nworkers 0: a deterministic runtime (one worker, the scheduler seeded with seed + 1). */
static void stress_once(int nworkers, uint32_t seed, size_t capacity)
{
    struct stress *s = calloc(1, sizeof *s);
    s->seed = seed;
    rt_channel_config config = {.elem_size = sizeof(int), .capacity = capacity};
    for (int j = 0; j < NCONSUMERS; j++)
        SL_CHECK_FATAL(rt_mpsc_new(&config, &s->tx[j], &s->rx[j]) == 0, "rt_mpsc_new failed");
    if (nworkers == 0)
        run_main_seeded(seed + 1, run_stress, s);
    else
        run_main(nworkers, run_stress, s);
    SL_CHECK(atomic_load(&s->nerrors) == 0,
             "seed %u, %d workers%s, capacity %zu: %d messages "
             "lost, duplicated or out of order",
             seed, nworkers ? nworkers : 1, nworkers ? "" : " (deterministic)", capacity,
             atomic_load(&s->nerrors));
    free(s);
}

static void test_stress_mpsc_many_producers_consumers(void)
{
    for (uint32_t seed = 0; seed < NSEEDS; seed++) {
        stress_once(1, seed, 1 + seed % 3); /* tiny bounds: constant backpressure */
        stress_once(2 + (int)(seed % 2), seed, seed % 5 == 0 ? RT_UNBOUNDED : 2);
        stress_once(0, seed, 1 + seed % 3);
    }
}

const sl_test sync_stress_tests[] = {
    SL_TEST(test_stress_mpsc_many_producers_consumers, 3, "chapters/05-channels.md#mpsc"),
    SL_TEST_END,
};
