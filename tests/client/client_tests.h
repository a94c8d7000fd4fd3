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

/* A real redis-server: the harness's sl_redis_start / sl_redis_stop / sl_free_port. */

#endif
