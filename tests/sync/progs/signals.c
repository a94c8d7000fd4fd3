/*
 * signals.c - rt_shutdown_signal_wait in a process of its own (signal handlers belong to
 * the whole process; and a freshly started program is the only kind in which every
 * sanitizer delivers signals normally).
 *
 *   signals sigterm        a task waits; SIGTERM arrives 50 ms later; prints "waited: 15"
 *   signals second-sigint  the first ctrl-c reaches the task; then two more, untaken:
 *                          the program must die by SIGINT before printing "still alive"
 *   signals install        handlers installed first, SIGTERM raised before any wait: the
 *                          first wait gets it; prints "waited: 15"
 *   signals abort          the waiting task is aborted; prints "join: <RT_ECANCELED>"
 */
#include "rt.h"
#include "rt_signal.h"

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void *send_later(void *sig)
{
    usleep(50000);
    kill(getpid(), (int)(intptr_t)sig);
    return NULL;
}

static void *wait_for_sigterm(void *unused)
{
    (void)unused;
    rt_join_handle *sender = rt_spawn_blocking(send_later, (void *)(intptr_t)SIGTERM);
    printf("waited: %d\n", rt_shutdown_signal_wait());
    rt_join(sender, NULL, NULL);
    return NULL;
}

static void *take_one_then_hang(void *unused)
{
    (void)unused;
    /* The handlers are installed by the first wait: the first ctrl-c comes after it. */
    rt_join_handle *sender = rt_spawn_blocking(send_later, (void *)(intptr_t)SIGINT);
    printf("first: %d\n", rt_shutdown_signal_wait());
    fflush(stdout);
    rt_join(sender, NULL, NULL);
    raise(SIGINT); /* taken by nobody: pending ... */
    raise(SIGINT); /* ... so this one ends the program, like a second ctrl-c */
    printf("still alive\n");
    return NULL;
}

/* rt_shutdown_signal_install: a SIGTERM before any wait is kept for the first wait. */
static void *install_then_signal(void *unused)
{
    (void)unused;
    if (rt_shutdown_signal_install() != 0)
        return NULL;
    raise(SIGTERM); /* nobody waits yet: without the handlers this would end the program */
    printf("waited: %d\n", rt_shutdown_signal_wait());
    return NULL;
}

static void *waiter(void *unused)
{
    (void)unused;
    return (void *)(intptr_t)rt_shutdown_signal_wait();
}

static void *abort_the_waiter(void *unused)
{
    (void)unused;
    rt_join_handle *h = rt_spawn_named("waiter", waiter, NULL);
    for (int i = 0; i < 10; i++)
        rt_yield();
    rt_abort(h);
    printf("join: %d\n", rt_join(h, NULL, NULL));
    return NULL;
}

int main(int argc, char **argv)
{
    rt_task_fn scenario = NULL;
    if (argc == 2 && strcmp(argv[1], "sigterm") == 0)
        scenario = wait_for_sigterm;
    else if (argc == 2 && strcmp(argv[1], "second-sigint") == 0)
        scenario = take_one_then_hang;
    else if (argc == 2 && strcmp(argv[1], "install") == 0)
        scenario = install_then_signal;
    else if (argc == 2 && strcmp(argv[1], "abort") == 0)
        scenario = abort_the_waiter;
    if (!scenario) {
        fprintf(stderr, "usage: signals sigterm|second-sigint|install|abort\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    rt_runtime *rt = rt_runtime_new(&(rt_config){.nworkers = 2});
    rt_block_on(rt, scenario, NULL, NULL);
    rt_runtime_free(rt);
    return 0;
}
