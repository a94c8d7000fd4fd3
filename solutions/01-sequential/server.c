/*
 * server.c - lab 01: a Redis server that serves one connection at a time.
 *
 * Chapter: chapters/01-sequential.md
 *
 * This file is yours: the TODO(lab 01, step K) markers say what to write and which test
 * checks it (make grade LAB=01). The accept loop is sequential on purpose: while it
 * serves one client it is not accepting, so a second client waits - its connection sits
 * in the kernel's backlog, accepted by nobody, until the first one leaves. That is the
 * lesson of this lab (chapters/01-sequential.md#why-one-client-blocks-the-rest), and lab 02
 * fixes it with a task per connection.
 *
 * Simplifications, on purpose: each connection has its own table (a SET on one connection
 * is invisible to the others); SET's EX and PX are accepted but values never expire.
 */
#include "server.h"

#include "cmd.h"

#include <errno.h>
#include <stdio.h>

/* ================================================================ running the server */

static void *acceptor_task(void *listener)
{
    return (void *)(intptr_t)accept_loop(listener);
}

int server_run(rt_tcp_listener *listener, rt_cancel_token *shutdown)
{
    /* The accept loop runs in a task of its own, so that this task can wait for the
     * shutdown meanwhile. The listener lives in main.c until after we return, so the
     * acceptor may borrow it (no 'static problem: main joins before it closes it). */
    rt_join_handle *acceptor = rt_spawn_named("acceptor", acceptor_task, listener);
    if (!acceptor)
        return -ENOMEM;
    rt_cancel_token_wait(shutdown);
    /* Stopping the loop: rt_abort makes the acceptor's next (or current) yield point -
     * an accept, a read, a flush - return RT_ECANCELED, wherever it is. */
    rt_abort(acceptor);
    rt_join(acceptor, NULL, NULL);
    return 0;
}

/* ================================================================ step 1: the accept loop */

int accept_loop(rt_tcp_listener *listener)
{
    /* BEGIN SOLUTION TODO(lab 01, step 1): the accept loop. Accept a client (rt_tcp_accept),
       serve it with connection_serve until it disconnects, then accept the next one. Stop
       (return 0) when the accept returns RT_ECANCELED: that is the shutdown. Any other error
       concerns one client only (-EMFILE, ...): report it and keep accepting.
       Checked by test_lab01_every_command_answered and, for "one at a time",
       test_lab01_second_client_waits. */
    for (uint64_t number = 1;; number++) {
        rt_tcp_stream *stream;
        int rc = rt_tcp_accept(listener, &stream);
        if (rc == RT_ECANCELED)
            return 0;
        if (rc < 0) {
            fprintf(stderr, "accept: %s\n", rt_strerror(rc));
            continue;
        }
        long served = connection_serve(stream);
        printf("connection %llu served %ld commands\n", (unsigned long long)number, served);
        fflush(stdout);
    }
    /* STUB
    for (;;) {
        rt_tcp_stream *stream;
        int rc = rt_tcp_accept(listener, &stream);
        if (rc == RT_ECANCELED)
            return 0;
        if (rc == 0) {
            fprintf(stderr, "accept_loop: TODO(lab 01, step 1): hanging up on the client\n");
            rt_tcp_close(stream);
        }
    }
    END SOLUTION */
}

/* ================================================================ step 1: one connection */

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
    /* BEGIN SOLUTION TODO(lab 01, step 1): serve one connection. Wrap the stream in a conn
       (conn_new), create the connection's own table (table_new), and loop: the next request
       (read_next_request), its reply (request_answer; NULL means no reply), written with
       conn_write_frame, counted. When the read ends: on CONN_EPROTO or CONN_ETOOBIG send
       "-ERR Protocol error: " followed by conn_last_error, as Redis does; then flush what
       is still buffered, free the table, close the conn. Return the count.
       Checked by test_lab01_every_command_answered, test_lab01_pipelined_commands and
       test_lab01_protocol_error_closes. */
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
    /* STUB
    rt_tcp_close(stream);
    return -ENOSYS;
    END SOLUTION */
}

/* ================================================================ step 2: the commands */

frame *request_answer(const frame *request, table *t)
{
    /* BEGIN SOLUTION TODO(lab 01, step 2): answer PING, GET and SET. Parse the request
       with cmd_parse: when it fails, the error reply it made is the answer (Redis's own
       words). Then, by the command's kind:
         CMD_EMPTY  no reply (return NULL)
         CMD_PING   +PONG, or the message as a bulk string when there is one
         CMD_GET    the value from t as a bulk string, or the null bulk ($-1) when absent
         CMD_SET    store the value in t (EX/PX: accept them, never expire), reply +OK
         others     -ERR unimplemented
       Release the parsed command with cmd_clear. Checked by test_lab01_ping,
       test_lab01_set_then_get, test_lab01_get_missing_key, test_lab01_wrong_arguments. */
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
    /* STUB
    (void)request;
    (void)t;
    return frame_new_error("ERR unimplemented");
    END SOLUTION */
}
