/*
 * static_mistake.c - lab 02's tempting mistake, made on purpose (test_lab02_static_rule_check).
 *
 * Chapter: chapters/02-spawn.md#the-static-rule
 *
 * The accept loop has a stream and a number to give the new connection task, and a local
 * struct is right there:
 *
 *     struct connection_arg arg = {.stream = stream, .number = number};
 *     rt_spawn_named("conn-1", connection_task, &arg);        // the mistake
 *
 * It compiles, and it may even work for a while. But arg lives in the spawner's stack
 * frame: the spawner goes on (accepts the next client, overwrites arg) or returns while the
 * new task - maybe already running on another worker - still reads it. Rust refuses this at
 * compile time (a spawned future must be 'static); our runtime refuses it when rt_spawn is
 * called: check (a) prints the rule, the tasks and the chapter, and aborts the program.
 *
 * This program makes the mistake with the lab's own connection_task on a real connection.
 * The test expects the check's message and SIGABRT. (Run with RT_CHECKS=0 and the mistake
 * goes unnoticed - until connection_task frees memory that malloc never gave out.)
 */
#include "server.h"

#include "rt.h"
#include "rt_net.h"

#include <stdio.h>

static void *accept_one_and_spawn_wrongly(void *unused)
{
    (void)unused;
    rt_tcp_listener *listener;
    rt_tcp_stream *client, *stream;
    if (rt_tcp_listen("127.0.0.1", 0, 0, &listener) < 0)
        return (void *)1;
    if (rt_tcp_connect("127.0.0.1", rt_tcp_listener_port(listener), &client) < 0 ||
        rt_tcp_accept(listener, &stream) < 0)
        return (void *)1;

    struct connection_arg arg = {.stream = stream, .number = 1};
    rt_join_handle *task = rt_spawn_named("conn-1", connection_task, &arg); /* the mistake */

    /* Only reached when the check did not stop us. */
    fprintf(stderr, "static_mistake: the 'static check did not fire\n");
    rt_tcp_close(client);
    if (task)
        rt_join(task, NULL, NULL);
    rt_tcp_listener_close(listener);
    return NULL;
}

int main(void)
{
    rt_runtime *rt = rt_runtime_new(NULL);
    if (!rt)
        return 1;
    void *failed = NULL;
    rt_block_on(rt, accept_one_and_spawn_wrongly, NULL, &failed);
    rt_runtime_free(rt);
    return failed ? 1 : 0;
}
