/*
 * scenario.c - lab 02's picture for `make viz LAB=02`: the lab's server and four clients,
 * all tasks of one traced runtime (two workers), so the trace shows the clients too.
 *
 *   scenario TRACE-FILE
 *
 * Four clients connect at once, and each keeps its connection busy: five rounds of SET and
 * GET of a 256 KiB value, a short pause between rounds. With a task per connection
 * (conn-1 .. conn-4), the connection tasks and the clients interleave on both workers: no
 * client waits for another to leave. Linked with the lab's code from solutions/ or labs/
 * (IMPL), so `make viz LAB=02 IMPL=labs` draws yours. Exit status 0 when every client got
 * its replies.
 */
#include "server.h"

#include "client.h"
#include "rt.h"
#include "rt_time.h"
#include "rt_trace.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { ROUNDS = 5, PAUSE_MS = 1, VALUE_BYTES = 256 * 1024 };

static int port;
static rt_cancel_token *shutdown_token;
static rt_tcp_listener *listener;

static void *server_task(void *unused)
{
    (void)unused;
    return (void *)(intptr_t)server_run(listener, shutdown_token);
}

/* Keeps its connection busy for ROUNDS rounds of SET and GET of a big value. */
static void *busy_client(void *unused)
{
    (void)unused;
    client *c;
    if (client_connect("127.0.0.1", port, &c) < 0)
        return (void *)1;
    char *value = malloc(VALUE_BYTES);
    if (!value) {
        client_close(c);
        return (void *)1;
    }
    memset(value, 'x', VALUE_BYTES);
    int failed = 0;
    for (int i = 0; i < ROUNDS && !failed; i++) {
        bytes *got = NULL;
        failed = client_set(c, "big", value, VALUE_BYTES, 0) < 0 ||
                 client_get(c, "big", &got) < 0 || !got;
        bytes_release(got);
        rt_sleep_ms(PAUSE_MS);
    }
    free(value);
    client_close(c);
    return (void *)(intptr_t)failed;
}

enum { NCLIENTS = 4 };

static void *scenario(void *unused)
{
    (void)unused;
    if (rt_tcp_listen("127.0.0.1", 0, 0, &listener) < 0)
        return (void *)1;
    port = rt_tcp_listener_port(listener);
    shutdown_token = rt_cancel_token_new();
    rt_join_handle *server = rt_spawn_named("server", server_task, NULL);
    rt_join_handle *clients[NCLIENTS];
    for (int i = 0; i < NCLIENTS; i++) {
        char name[32];
        snprintf(name, sizeof name, "client-%d", i + 1);
        clients[i] = rt_spawn_named(name, busy_client, NULL);
    }
    intptr_t failed = 0;
    for (int i = 0; i < NCLIENTS; i++) {
        void *result = (void *)1;
        rt_join(clients[i], &result, NULL);
        failed |= (intptr_t)result;
    }
    rt_cancel_token_cancel(shutdown_token);
    rt_join(server, NULL, NULL);
    rt_cancel_token_drop(shutdown_token);
    rt_tcp_listener_close(listener);
    return (void *)failed;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: scenario TRACE-FILE\n");
        return 2;
    }
    rt_runtime *rt = rt_runtime_new(&(rt_config){.nworkers = 2});
    if (!rt || rt_trace_start(rt, argv[1]) != 0) {
        fprintf(stderr, "scenario: cannot start a traced runtime\n");
        return 1;
    }
    void *failed = NULL;
    rt_block_on(rt, scenario, NULL, &failed);
    int rc = rt_trace_stop(rt);
    rt_runtime_free(rt);
    if (failed || rc != 0)
        fprintf(stderr, "scenario: %s\n", failed ? "a client failed" : "trace not written");
    return failed || rc != 0;
}
