/*
 * client_tests.h - what the files of the tests/client suite share.
 *
 * The suite checks the runtime-dependent half of the mini-redis library: the buffered
 * connection (against a scripted peer written in the test), the client and the
 * command-line client (against a real redis-server that the test starts).
 */
#ifndef SPAWNLAB_CLIENT_TESTS_H
#define SPAWNLAB_CLIENT_TESTS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "bytes.h"
#include "conn.h"
#include "frame.h"
#include "harness.h"
#include "rt.h"
#include "rt_net.h"
#include "rt_time.h"

extern const sl_test conn_tests[];
extern const sl_test client_tests[];
extern const sl_test cli_tests[];

/* Runs fn(arg) as the main task of a fresh runtime (nworkers 1: current_thread, more:
 * multi_thread) and frees it, checking that every task spawned has finished. */
void run_with(int nworkers, void *(*fn)(void *), void *arg);

/* ------------------------------------------------------------ a real redis-server */

/* redis-server on 127.0.0.1, on a port found free by binding port 0 and closing
 * (port 0 itself would turn TCP off in Redis), stopped by its pid. */
typedef struct redis_server {
    pid_t pid;
    int port;
} redis_server;

/* Starts it and waits until it accepts connections. false when it cannot: then either
 * redis-server is not installed (a visible "SKIPPED:" line was printed, the test
 * should return) or a failure was recorded. */
bool redis_start(redis_server *r);
/* SIGTERM, then SIGKILL after 5 s; always reaps the child. */
void redis_stop(redis_server *r);

/* A port of 127.0.0.1 that was free a moment ago (bound to port 0, then closed). */
int free_port(void);

#endif
