/*
 * vizscenario - small programs run with tracing on, for `make viz` to draw.
 *
 *   vizscenario SCENARIO TRACE-FILE
 *
 * Scenarios:
 *   channels   three producers and one consumer over a bounded channel (capacity 2) on two
 *              workers. The consumer's fifth step is slow, so the channel fills and the
 *              producers wait in send: backpressure, visible as producers parked "send"
 *              until the consumer's receive makes room and wakes them.
 *
 * Work is simulated by spinning on the clock (half a millisecond per item), not by
 * sleeping: the point is to see tasks run, wait and wake on the workers.
 */
#include "rt.h"
#include "rt_mpsc.h"
#include "rt_trace.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

enum { PRODUCERS = 3, ITEMS_PER_PRODUCER = 4, CAPACITY = 2 };
/* Milliseconds, not microseconds: waking a sleeping worker thread takes 50-100 us on a
 * busy machine, and the picture should show the program, not the operating system. */
enum { WORK_US = 500, SLOW_STEP_US = 6000, SLOW_STEP = 5 };

static void spin_us(long us)
{
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    do
        clock_gettime(CLOCK_MONOTONIC, &now);
    while ((now.tv_sec - start.tv_sec) * 1000000L + (now.tv_nsec - start.tv_nsec) / 1000 < us);
}

static void *producer(void *arg)
{
    rt_mpsc_sender *tx = arg;
    for (int i = 0; i < ITEMS_PER_PRODUCER; i++) {
        spin_us(WORK_US); /* make the item */
        int item = (int)rt_task_id() * 100 + i;
        if (rt_mpsc_send(tx, &item) != 0)
            break;
    }
    rt_mpsc_sender_drop(tx); /* the last drop closes the channel */
    return NULL;
}

static void *consumer(void *arg)
{
    rt_mpsc_receiver *rx = arg;
    long received = 0;
    for (int item; rt_mpsc_recv(rx, &item) == 0;) {
        received++;
        spin_us(received == SLOW_STEP ? SLOW_STEP_US : WORK_US); /* use the item */
    }
    rt_mpsc_receiver_drop(rx);
    return (void *)received;
}

static void *channels_main(void *unused)
{
    (void)unused;
    rt_mpsc_sender *tx;
    rt_mpsc_receiver *rx;
    rt_channel_config config = {.elem_size = sizeof(int), .capacity = CAPACITY, .name = "items"};
    if (rt_mpsc_new(&config, &tx, &rx) != 0)
        return (void *)-1L;
    rt_join_handle *c = rt_spawn_named("consumer", consumer, rx);
    rt_join_handle *p[PRODUCERS];
    for (int i = 0; i < PRODUCERS; i++) {
        char name[32]; /* "producer-" and any int */
        snprintf(name, sizeof name, "producer-%d", i + 1);
        p[i] = rt_spawn_named(name, producer, rt_mpsc_sender_clone(tx));
    }
    rt_mpsc_sender_drop(tx); /* main sends nothing: only the producers hold senders */
    for (int i = 0; i < PRODUCERS; i++)
        rt_join(p[i], NULL, NULL);
    void *received = NULL;
    rt_join(c, &received, NULL);
    return received;
}

int main(int argc, char **argv)
{
    if (argc != 3 || strcmp(argv[1], "channels") != 0) {
        fprintf(stderr, "usage: vizscenario channels TRACE-FILE\n");
        return 2;
    }
    rt_runtime *rt = rt_runtime_new(&(rt_config){.nworkers = 2});
    if (!rt || rt_trace_start(rt, argv[2]) != 0) {
        fprintf(stderr, "vizscenario: cannot start a traced runtime\n");
        return 1;
    }
    void *received = NULL;
    rt_block_on(rt, channels_main, NULL, &received);
    int rc = rt_trace_stop(rt);
    rt_runtime_free(rt);
    long expected = PRODUCERS * ITEMS_PER_PRODUCER;
    if ((long)received != expected || rc != 0) {
        fprintf(stderr, "vizscenario: received %ld of %ld items, trace %s\n", (long)received,
                expected, rc == 0 ? "written" : "not written");
        return 1;
    }
    return 0;
}
