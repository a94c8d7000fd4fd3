/*
 * server.h - lab 02's server: one task per connection.
 *
 * Chapter: chapters/02-spawn.md
 *
 * Who calls what (main.c is GIVEN, as in lab 01; the TODOs are in server.c):
 *
 *     server_run         (GIVEN) starts two tasks and waits for the shutdown:
 *       "acceptor"         accept_loop: accepts, spawns a "conn-N" task per connection,
 *                          hands its join handle to the collector, accepts again (step 1)
 *       "conn-N"           connection_task: serves one connection (lab 01's
 *                          connection_serve) and returns how many commands it answered
 *       "collector"        joins the conn tasks in order and logs each result (step 2)
 *
 *     acceptor --(join handles, over a channel)--> collector --rt_join--> conn-1, conn-2, ...
 *
 * Why a collector, and a channel: a task's result comes back through its join handle, and
 * whoever holds the handle must join it. The acceptor cannot wait for a connection to end -
 * it would be lab 01 again - so it hands each handle to a task whose only job is waiting.
 * A channel can be shared by two tasks; a join set cannot (it belongs to one task).
 * Channels are chapter 05's subject; here one carries a struct per connection.
 */
#ifndef LAB_SERVER_H
#define LAB_SERVER_H

#include "conn.h"
#include "frame.h"
#include "rt_cancel.h"
#include "rt_mpsc.h"
#include "rt_net.h"
#include "table.h"

#include <stdint.h>

/* What a connection task gets: allocated by the acceptor, owned (and freed) by the task.
 * Not a pointer to the acceptor's stack: see chapters/02-spawn.md#the-static-rule. */
struct connection_arg {
    rt_tcp_stream *stream; /* the task owns it: connection_serve closes it */
    uint64_t number;       /* 1 for the first client, 2 for the next, ... */
};

/* What the acceptor sends the collector for each connection task it spawned. */
struct spawned_connection {
    rt_join_handle *task;
    uint64_t number;
};

/* Serves clients on listener until shutdown is cancelled (main.c cancels it on SIGINT or
 * SIGTERM). Then: stop accepting, abort the connection tasks still running, join every
 * one of them, return 0 - no task is left alive. A negative errno code when the server
 * could not start. GIVEN. MAY YIELD. From a task. */
int server_run(rt_tcp_listener *listener, rt_cancel_token *shutdown);

/* The accept loop: accepts a client, spawns a connection task for it, sends the task's
 * join handle on connections (struct spawned_connection), accepts the next. Returns 0
 * when its task is aborted (the shutdown). Step 1. MAY YIELD. In the "acceptor" task. */
int accept_loop(rt_tcp_listener *listener, rt_mpsc_sender *connections);

/* The body of a connection task: arg is a struct connection_arg that the task now owns.
 * Serves the connection and returns how many commands it answered, as (void *)(intptr_t).
 * Steps 1 and 2. MAY YIELD. The task's function, for rt_spawn. */
void *connection_task(void *arg);

/* Serves one connection until the client disconnects, then closes it (the function owns
 * stream). Returns how many commands it answered. From lab 01. MAY YIELD. From a task. */
long connection_serve(rt_tcp_stream *stream);

/* The next request of the connection; flushes the replies first when none is waiting.
 * GIVEN (lab 01). MAY YIELD. From the connection's task. */
int read_next_request(conn *c, frame **request);

/* The reply to one request, or NULL for no reply. From lab 01. Never yields. */
frame *request_answer(const frame *request, table *t);

#endif
