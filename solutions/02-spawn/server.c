/*
 * server.c - lab 02: a Redis server with one task per connection.
 *
 * Chapter: chapters/02-spawn.md
 *
 * This file starts as lab 01's solution; the TODO(lab 02, step K) markers say what changes
 * and which test checks it (make grade LAB=02). The accept loop no longer serves the client
 * itself: it spawns a task for it and goes straight back to accepting, so a client never
 * waits for another one to leave (chapters/02-spawn.md#a-task-per-connection). Tasks are
 * cheap - one allocation and a lazily touched stack - so a thousand connections are a
 * thousand tasks on a few worker threads (chapters/02-spawn.md#what-a-task-costs).
 *
 * Still a simplification: each connection owns its table, so a SET on one connection is
 * invisible to the others (chapters/02-spawn.md#state-is-not-shared-yet). Lab 03 shares one.
 *
 * Shutdown (chapters/02-spawn.md#shutting-down-cleanly): the acceptor stops, the connection
 * tasks still running are *aborted* - not waited for, because a client may stay connected
 * for hours (an idle redis-cli) and "stop" must mean stop - and every task is joined before
 * server_run returns, so none is left alive when the runtime shuts down. Aborting is safe
 * here: a connection task is told at its next yield point (a read, a flush), its read loop
 * ends with RT_ECANCELED like any other ending, and it cleans up as it returns. Letting the
 * requests in flight finish first - a graceful drain - is chapter 05's subject.
 */
#include "server.h"

#include "cmd.h"
#include "rt_select.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

/* ================================================================ running the server */

struct acceptor_arg {
    rt_tcp_listener *listener; /* borrowed: main.c closes it after server_run returns */
    rt_mpsc_sender *connections;
};

struct collector_arg {
    rt_mpsc_receiver *connections;
    rt_cancel_token *shutdown; /* a reference of the collector's own */
};

static void *acceptor_task(void *arg)
{
    struct acceptor_arg *acceptor = arg;
    int rc = accept_loop(acceptor->listener, acceptor->connections);
    /* The only sender goes: the channel closes, and the collector, once it has joined
     * every connection already queued, learns that no more will come. */
    rt_mpsc_sender_drop(acceptor->connections);
    free(acceptor);
    return (void *)(intptr_t)rc;
}

/* Waits for one connection task to end and logs what it returned. */
static void collect(struct spawned_connection spawned)
{
    /* BEGIN SOLUTION TODO(lab 02, step 2): join the connection task (rt_join) and log its
       result: "connection N served K commands" (N = spawned.number, K = what the task
       returned), or, when the join reports an error, "connection N: " and rt_strerror's
       words (a task aborted at shutdown says "cancelled"). printf, then fflush(stdout).
       Every handle must be joined exactly once: that is what frees the task.
       Checked by test_lab02_join_results_logged and test_lab02_shutdown_leaves_no_task. */
    void *result = NULL;
    rt_join_error error;
    int rc = rt_join(spawned.task, &result, &error);
    if (rc == 0)
        printf("connection %llu served %ld commands\n", (unsigned long long)spawned.number,
               (long)(intptr_t)result);
    else
        printf("connection %llu: %s\n", (unsigned long long)spawned.number, rt_strerror(rc));
    fflush(stdout);
    /* STUB
    rt_detach(spawned.task);
    END SOLUTION */
}

static void *collector_task(void *arg)
{
    struct collector_arg *collector = arg;
    struct spawned_connection spawned;
    /* In the order they were spawned. The simplification: a task that ends early waits,
     * finished, until the ones before it are joined (a join set, chapter 06, takes them as
     * they finish). */
    while (rt_mpsc_recv(collector->connections, &spawned) == 0) {
        /* The task's end or the shutdown, whichever comes first (rt_select: chapter 05).
         * At shutdown, abort it: it stops at its next yield point, and the join below
         * returns as soon as it has cleaned up. */
        rt_select_arm arms[] = {rt_select_join(spawned.task),
                                rt_select_cancelled(collector->shutdown)};
        if (rt_select(arms, 2) != 0)
            rt_abort(spawned.task);
        collect(spawned);
    }
    rt_mpsc_receiver_drop(collector->connections);
    rt_cancel_token_drop(collector->shutdown);
    free(collector);
    return NULL;
}

int server_run(rt_tcp_listener *listener, rt_cancel_token *shutdown)
{
    rt_mpsc_sender *tx;
    rt_mpsc_receiver *rx;
    rt_channel_config config = {.elem_size = sizeof(struct spawned_connection),
                                .capacity = RT_UNBOUNDED, /* the acceptor never waits */
                                .name = "connections"};
    int rc = rt_mpsc_new(&config, &tx, &rx);
    if (rc < 0)
        return rc;
    /* Heap arguments, owned by the tasks that free them: the 'static rule. */
    struct collector_arg *collector_arg = malloc(sizeof *collector_arg);
    struct acceptor_arg *acceptor_arg = malloc(sizeof *acceptor_arg);
    rt_cancel_token *collector_token = rt_cancel_token_clone(shutdown);
    if (!collector_arg || !acceptor_arg || !collector_token) {
        free(collector_arg);
        free(acceptor_arg);
        rt_cancel_token_drop(collector_token);
        rt_mpsc_sender_drop(tx);
        rt_mpsc_receiver_drop(rx);
        return -ENOMEM;
    }
    *collector_arg = (struct collector_arg){.connections = rx, .shutdown = collector_token};
    *acceptor_arg = (struct acceptor_arg){.listener = listener, .connections = tx};
    rt_join_handle *collector = rt_spawn_named("collector", collector_task, collector_arg);
    rt_join_handle *acceptor =
        collector ? rt_spawn_named("acceptor", acceptor_task, acceptor_arg) : NULL;
    if (!acceptor) { /* out of memory: no task got its argument except, maybe, the collector */
        rt_mpsc_sender_drop(tx);
        free(acceptor_arg);
        if (collector)
            rt_join(collector, NULL, NULL); /* the channel is closed: it returns */
        else {
            free(collector_arg);
            rt_cancel_token_drop(collector_token);
            rt_mpsc_receiver_drop(rx);
        }
        return -ENOMEM;
    }

    rt_cancel_token_wait(shutdown);
    /* 1. Stop accepting: the acceptor is parked in rt_tcp_accept (or, on a lab 01 style
     *    loop, anywhere); aborted, that returns RT_ECANCELED and the loop returns. */
    rt_abort(acceptor);
    rt_join(acceptor, NULL, NULL);
    /* 2. The collector aborts the connection tasks still running, joins every one, and
     *    ends when the channel (closed by the acceptor) is empty. */
    rt_join(collector, NULL, NULL);
    return 0;
}

/* ================================================================ step 1: the accept loop */

int accept_loop(rt_tcp_listener *listener, rt_mpsc_sender *connections)
{
    for (uint64_t number = 1;; number++) {
        rt_tcp_stream *stream;
        int rc = rt_tcp_accept(listener, &stream);
        if (rc == RT_ECANCELED)
            return 0;
        if (rc < 0) {
            fprintf(stderr, "accept: %s\n", rt_strerror(rc));
            continue;
        }
        /* BEGIN SOLUTION TODO(lab 02, step 1): instead of serving the client here, spawn a
           task for it and go straight back to accepting. The task needs the stream and the
           number, in a struct connection_arg it owns: allocate it (malloc), never point
           at this function's stack (the 'static rule). Name the task "conn-N"
           (rt_spawn_named; the name is copied), and send its join handle to the collector:
           rt_mpsc_send(connections, &(struct spawned_connection){...}) - an unbounded send
           never waits. If anything fails (out of memory), close the stream and carry on.
           Checked by test_lab02_two_clients_at_once and test_lab02_thousand_clients. */
        struct connection_arg *arg = malloc(sizeof *arg);
        rt_join_handle *task = NULL;
        if (arg) {
            *arg = (struct connection_arg){.stream = stream, .number = number};
            char name[32]; /* "conn-" and a 64-bit number */
            snprintf(name, sizeof name, "conn-%llu", (unsigned long long)number);
            task = rt_spawn_named(name, connection_task, arg);
        }
        if (!task) {
            fprintf(stderr, "connection %llu: out of memory, hanging up\n",
                    (unsigned long long)number);
            free(arg);
            rt_tcp_close(stream);
            continue;
        }
        rt_mpsc_send(connections, &(struct spawned_connection){.task = task, .number = number});
        /* STUB
        (void)connections;
        connection_serve(stream);
        END SOLUTION */
    }
}

void *connection_task(void *arg)
{
    /* BEGIN SOLUTION TODO(lab 02, step 1): the task owns arg: take the stream out of it,
       free it, and serve the connection (connection_serve). */
    struct connection_arg *connection = arg;
    rt_tcp_stream *stream = connection->stream;
    free(connection);
    long served = connection_serve(stream);
    /* STUB
    (void)arg;
    long served = -ENOSYS;
    END SOLUTION */
    /* BEGIN SOLUTION TODO(lab 02, step 2): return how many commands the connection
       served as the task's result, the value rt_join hands to the collector. A task returns
       a void *: carry the number in it with (void *)(intptr_t)served.
       Checked by test_lab02_join_results_logged. */
    return (void *)(intptr_t)served;
    /* STUB
    (void)served;
    return NULL;
    END SOLUTION */
}

/* ================================================================ one connection (lab 01) */

int read_next_request(conn *c, frame **request)
{
    /* Pipelining (chapters/01-sequential.md#pipelining): a client may send many requests
     * before it reads a reply. We answer every request that has already arrived, buffering
     * the replies, and flush once when none is left - one write(2) for the whole batch
     * instead of one per reply. conn_try_read_request answers "has another one arrived?"
     * from the connection's buffer alone, without waiting. */
    int rc = conn_try_read_request(c, request);
    if (rc != CONN_EMPTY)
        return rc;
    rc = conn_flush(c); /* nothing more is waiting: send the replies, then wait */
    if (rc < 0)
        return rc;
    return conn_read_request(c, request);
}

long connection_serve(rt_tcp_stream *stream)
{
    conn *c = conn_new(stream);
    table *t = table_new();
    long served = 0;
    frame *request;
    int rc;
    while ((rc = read_next_request(c, &request)) == CONN_OK) {
        frame *reply = request_answer(request, t);
        frame_free(request);
        if (reply) {
            conn_write_frame(c, reply);
            frame_free(reply);
            served++;
        }
    }
    if (rc == CONN_EPROTO || rc == CONN_ETOOBIG) {
        /* Framing is lost: say why, then hang up (the conn refuses further reads). */
        frame *error = frame_new_errorf("ERR Protocol error: %s", conn_last_error(c));
        conn_write_frame(c, error);
        frame_free(error);
    }
    conn_flush(c); /* replies to the last requests, if the client is still there to read */
    table_free(t);
    conn_close(c);
    return served;
}

/* ================================================================ the commands (lab 01) */

frame *request_answer(const frame *request, table *t)
{
    cmd command;
    frame *error_reply = NULL;
    if (cmd_parse(request, &command, &error_reply) != 0)
        return error_reply;
    frame *reply;
    switch (command.kind) {
    case CMD_EMPTY:
        reply = NULL;
        break;
    case CMD_PING:
        reply = command.ping.message ? frame_new_bulk(bytes_clone(command.ping.message))
                                     : frame_new_simple("PONG");
        break;
    case CMD_GET: {
        bytes *value = table_get(t, command.get.key);
        reply = value ? frame_new_bulk(value) : frame_new_null();
        break;
    }
    case CMD_SET:
        if (command.set.condition != CMD_SET_ALWAYS) { /* NX and XX: not in this lab */
            reply = frame_new_error("ERR unimplemented");
            break;
        }
        table_set(t, command.set.key, command.set.value);
        reply = frame_new_simple("OK");
        break;
    default:
        reply = frame_new_error("ERR unimplemented");
        break;
    }
    cmd_clear(&command);
    return reply;
}
