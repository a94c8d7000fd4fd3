/*
 * scenario.c - lab 01's picture for `make viz LAB=01`: the lab's server and two clients,
 * all tasks of one traced runtime (two workers), so the trace shows the clients too.
 *
 *   scenario TRACE-FILE
 *
 * client-1 connects and keeps the connection busy: four rounds of SET and GET of a 256 KiB
 * value, a pause between rounds. After its first round, client-2 connects and sends PING
 * (with a 256 KiB message, so that its work shows).
 * A sequential server (lab 01) answers client-2 only after client-1 has left: in the
 * timeline, client-2 runs once, then nothing until client-1's last box. Linked with the
 * lab's code from solutions/ or labs/ (IMPL), so `make viz LAB=01 IMPL=labs` draws yours.
 * Exit status 0 when both clients got their replies.
 */
#include "server.h"

#include "client.h"
#include "rt.h"
#include "rt_time.h"
#include "rt_trace.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { ROUNDS = 5, PAUSE_MS = 3, VALUE_BYTES = 256 * 1024 };

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

/* Connects while client-1 is served, and sends one PING with a 256 KiB message (big enough
 * for its run boxes to be seen: writing it, and reading it back). */
static void *waiting_client(void *unused)
{
    (void)unused;
    client *c;
    if (client_connect("127.0.0.1", port, &c) < 0)
        return (void *)1;
    char *message = malloc(VALUE_BYTES + 1);
    if (!message) {
        client_close(c);
        return (void *)1;
    }
    memset(message, 'y', VALUE_BYTES);
    message[VALUE_BYTES] = '\0';
    rt_trace_mark("client-2 sends PING");
    bytes *pong = NULL;
    int failed = client_ping(c, message, &pong) < 0 || !pong || bytes_len(pong) != VALUE_BYTES;
    rt_trace_mark("client-2 got its reply");
    bytes_release(pong);
    free(message);
    client_close(c);
    return (void *)(intptr_t)failed;
}

static void *scenario(void *unused)
{
    (void)unused;
    if (rt_tcp_listen("127.0.0.1", 0, 0, &listener) < 0)
        return (void *)1;
    port = rt_tcp_listener_port(listener);
    shutdown_token = rt_cancel_token_new();
    rt_join_handle *server = rt_spawn_named("server", server_task, NULL);
    rt_join_handle *first = rt_spawn_named("client-1", busy_client, NULL);
    rt_sleep_ms(PAUSE_MS); /* client-1 connects first */
    rt_join_handle *second = rt_spawn_named("client-2", waiting_client, NULL);
    void *failed1 = NULL, *failed2 = NULL;
    rt_join(first, &failed1, NULL);
    rt_join(second, &failed2, NULL);
    rt_cancel_token_cancel(shutdown_token);
    rt_join(server, NULL, NULL);
    rt_cancel_token_drop(shutdown_token);
    rt_tcp_listener_close(listener);
    return (void *)(intptr_t)(failed1 || failed2);
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
