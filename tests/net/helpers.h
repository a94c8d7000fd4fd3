/*
 * helpers.h - what the net suite's files share.
 *
 * run_on(config, fn, arg) runs fn as the main task of a fresh runtime and frees it,
 * checking that no task is left alive (the harness checks that no descriptor is). An echo
 * server on 127.0.0.1, port 0, runs as tasks of the same runtime.
 */
#ifndef SPAWNLAB_TESTS_NET_HELPERS_H
#define SPAWNLAB_TESTS_NET_HELPERS_H

#include "harness.h"
#include "rt.h"
#include "rt_net.h"
#include "rt_park.h"
#include "rt_time.h"

#include <stdatomic.h>
#include <stdint.h>

int run_on(const rt_config *config, void *(*fn)(void *), void *arg);
/* nworkers: 1 = current_thread, more = multi_thread; 0 = the virtual clock. */
int run_with(int nworkers, void *(*fn)(void *), void *arg);

/* An echo server: an accept loop task that spawns one echo task per connection. */
struct echo_server {
    rt_tcp_listener *listener;
    int port;
    rt_join_handle *acceptor;
    _Atomic int nconnections; /* accepted so far */
    rt_join_handle **tasks;   /* the echo tasks: written by the acceptor, read once it ended */
    size_t ntasks, capacity;
};

/* Starts it (from a task); a fatal failure if it cannot listen. Returns malloc'd state. */
struct echo_server *echo_server_start(void);
/* Aborts the accept loop, waits for it and every echo task, closes, frees. */
void echo_server_stop(struct echo_server *server);

/* Reads exactly len bytes: 0, or the first error / -EPIPE at an early end of stream. */
int read_exactly(rt_tcp_stream *s, void *buf, size_t len);

double wall_ms(void);

extern const sl_test net_tcp_tests[];
extern const sl_test net_fd_tests[];

#endif
