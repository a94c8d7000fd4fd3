/*
 * checks.c - a program that makes one of the mistakes the runtime's checks catch.
 *
 *     checks static | lock-yield | blocking | overflow | shutdown
 *
 * Each scenario is the smallest program a student could write that breaks the rule. It
 * runs under RT_MAIN (the analog of #[tokio::main]); the suite (test_checks.c) runs it in a
 * child process and reads the message.
 */
#include "rt.h"
#include "rt_blocking_mutex.h"
#include "rt_park.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* ------------------------------------------------------------ (a) the 'static rule */

static void *read_borrowed(void *arg)
{
    return (void *)(intptr_t)((int *)arg)[0];
}

static int borrow_from_stack(void)
{
    int numbers[4] = {1, 2, 3, 4}; /* lives in main's stack frame */
    rt_join(rt_spawn_named("borrower", read_borrowed, numbers), NULL, NULL);
    return 0;
}

/* ------------------------------------------------------------ (b) lock across a yield */

static rt_blocking_mutex db_lock = RT_BLOCKING_MUTEX_INIT("db");

static void *hold_lock_across_yield(void *unused)
{
    (void)unused;
    rt_blocking_mutex_lock(&db_lock);
    rt_yield(); /* the mistake: the guard is held across a yield point */
    rt_blocking_mutex_unlock(&db_lock);
    return NULL;
}

static int lock_across_yield(void)
{
    rt_join(rt_spawn_named("db-writer", hold_lock_across_yield, NULL), NULL, NULL);
    return 0;
}

/* ------------------------------------------------------------ (c) blocking the worker */

static void *spin_300ms(void *unused)
{
    (void)unused;
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    do /* the mistake: 300 ms of work without a yield point */
        clock_gettime(CLOCK_MONOTONIC, &now);
    while ((now.tv_sec - start.tv_sec) * 1000000000L + (now.tv_nsec - start.tv_nsec) < 300000000L);
    return NULL;
}

static int block_the_worker(void)
{
    rt_join(rt_spawn_named("spinner", spin_300ms, NULL), NULL, NULL);
    return 0;
}

/* ------------------------------------------------------------ (d) stack overflow */

static int recurse(int depth)
{
    volatile char frame[1024]; /* the mistake: deep recursion with big frames */
    frame[0] = (char)depth;
    frame[sizeof frame - 1] = (char)depth;
    if (depth == 1 << 30)
        return 0; /* never reached: 16 KiB hold about 15 of these frames */
    return recurse(depth + 1) + frame[0] + frame[sizeof frame - 1];
}

static void *overflow(void *unused)
{
    (void)unused;
    return (void *)(intptr_t)recurse(0);
}

static int overflow_the_stack(void)
{
    rt_spawn_options options = {.name = "recurse", .stack_size = 16 * 1024};
    rt_join(rt_spawn_with(&options, overflow, NULL), NULL, NULL);
    return 0;
}

/* ------------------------------------------------------------ (e) shutdown */

static void *wait_until_cancelled(void *unused)
{
    (void)unused;
    rt_waker w = rt_park_prepare(); /* nobody will use it: the abort at shutdown wakes us */
    int rc = rt_park(RT_PARK_CHANNEL, NULL);
    rt_waker_drop(w);
    printf("ticker: rt_park returned %s\n", rt_strerror(rc));
    return NULL;
}

static void *yield_until_cancelled(void *unused)
{
    (void)unused;
    while (rt_yield() == 0)
        ;
    printf("looper: rt_yield returned cancelled\n");
    return NULL;
}

static int forget_tasks(void)
{
    rt_detach(rt_spawn_named("ticker", wait_until_cancelled, NULL));
    rt_detach(rt_spawn_named("looper", yield_until_cancelled, NULL));
    rt_yield();
    return 0; /* the mistake: main returns while its tasks still run */
}

/* ------------------------------------------------------------ main */

static int app_main(int argc, char **argv)
{
    const char *scenario = argc > 1 ? argv[1] : "";
    int rc = 2;
    if (strcmp(scenario, "static") == 0)
        rc = borrow_from_stack();
    else if (strcmp(scenario, "lock-yield") == 0)
        rc = lock_across_yield();
    else if (strcmp(scenario, "blocking") == 0)
        rc = block_the_worker();
    else if (strcmp(scenario, "overflow") == 0)
        rc = overflow_the_stack();
    else if (strcmp(scenario, "shutdown") == 0)
        rc = forget_tasks();
    else
        fprintf(stderr, "usage: checks static|lock-yield|blocking|overflow|shutdown\n");
    fflush(stdout);
    return rc;
}

RT_MAIN(app_main)
