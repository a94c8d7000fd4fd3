/*
 * server.h - lab 01's server: an accept loop that serves one connection at a time.
 *
 * Chapter: chapters/01-sequential.md
 *
 * Who calls what (main.c is GIVEN; the TODOs are in server.c):
 *
 *     main.c       listen, print "listening on ...", start the shutdown watcher,
 *                  server_run(listener, shutdown), exit 0
 *     server_run   (GIVEN) runs accept_loop in a task named "acceptor" until the
 *                  shutdown token is cancelled, then aborts it and joins it
 *     accept_loop  (step 1) accept a client, connection_serve it, accept the next
 *     connection_serve  (step 1) read requests, answer each with request_answer
 *     read_next_request (GIVEN) the next request; flushes the replies when none is waiting
 *     request_answer    (step 2) PING, GET, SET against the connection's table
 *
 * Every function here that may yield says so. All of them run in tasks of one runtime.
 */
#ifndef LAB_SERVER_H
#define LAB_SERVER_H

#include "conn.h"
#include "frame.h"
#include "rt_cancel.h"
#include "rt_net.h"
#include "table.h"

#include <stdint.h>

/* Serves clients on listener until shutdown is cancelled (main.c cancels it on SIGINT or
 * SIGTERM), then stops the accept loop and returns 0; a negative errno code when the
 * server could not start. GIVEN. MAY YIELD. From a task. */
int server_run(rt_tcp_listener *listener, rt_cancel_token *shutdown);

/* The accept loop: accepts a client, serves it until it disconnects, accepts the next.
 * Returns 0 when its task is aborted (the accept returns RT_ECANCELED: the shutdown).
 * Step 1. MAY YIELD. In the "acceptor" task. */
int accept_loop(rt_tcp_listener *listener);

/* Serves one connection until the client disconnects, then closes it (the function owns
 * stream). Returns how many commands it answered. Step 1. MAY YIELD. From a task. */
long connection_serve(rt_tcp_stream *stream);

/* The next request of the connection, like conn_read_request (same results). When no
 * request is waiting, it first flushes the replies written so far: pipelined requests
 * are all answered before one flush. GIVEN. MAY YIELD. From the connection's task. */
int read_next_request(conn *c, frame **request);

/* The reply to one request (the caller owns it and frees it), or NULL when the request
 * gets no reply (an empty one). t is the connection's table. Step 2. Never yields. */
frame *request_answer(const frame *request, table *t);

#endif
