/*
 * main.c - the server program: options, runtime, listener, shutdown. GIVEN: nothing to do
 * here; your work is in server.c.
 *
 * Chapter: chapters/01-sequential.md#the-accept-loop
 *
 *     server [-p PORT]     default 6380, one above a system Redis's 6379; 0: any free port
 *
 * It listens on 127.0.0.1 only (a teaching server should not be reachable from the
 * network), prints "listening on 127.0.0.1:PORT" once clients can connect (the tests and
 * `make demo` wait for that line), serves until SIGINT (ctrl-c) or SIGTERM, and exits 0
 * after a clean shutdown.
 *
 * The runtime is multi_thread (RT_MAIN), as in every lab, although this server does one
 * thing at a time: the lesson is that one client blocks the rest *because of how the accept
 * loop is written*, not for lack of threads - every worker but one sits idle meanwhile.
 *
 * Shutdown: a watcher task waits for the signal (rt_shutdown_signal_wait) and cancels a
 * token; server_run sees it and stops the accept loop. That works whatever state server.c
 * is in, so even an unfinished or stuck server stops when the tests ask it to.
 */
#include "server.h"

#include "rt.h"
#include "rt_cancel.h"
#include "rt_net.h"
#include "rt_signal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { DEFAULT_PORT = 6380 };

static void *watch_for_shutdown(void *shutdown)
{
    if (rt_shutdown_signal_wait() > 0)
        rt_cancel_token_cancel(shutdown);
    return NULL;
}

/* The port of "-p PORT", DEFAULT_PORT without it, or -1 on bad usage. */
static int parse_port(int argc, char **argv)
{
    int port = DEFAULT_PORT;
    int option;
    while ((option = getopt(argc, argv, "p:")) != -1) {
        char *end;
        long value = option == 'p' ? strtol(optarg, &end, 10) : -1;
        if (option != 'p' || *optarg == '\0' || *end != '\0' || value < 0 || value > 65535)
            return -1;
        port = (int)value;
    }
    return optind == argc ? port : -1;
}

static int app_main(int argc, char **argv)
{
    int port = parse_port(argc, argv);
    if (port < 0) {
        fprintf(stderr, "usage: %s [-p PORT]   (default %d; 0: any free port)\n", argv[0],
                DEFAULT_PORT);
        return 2;
    }
    rt_tcp_listener *listener;
    int rc = rt_tcp_listen("127.0.0.1", port, 0, &listener);
    if (rc < 0) {
        fprintf(stderr, "listen on 127.0.0.1:%d: %s\n", port, rt_strerror(rc));
        return 1;
    }
    rt_cancel_token *shutdown = rt_cancel_token_new();
    /* main outlives the watcher (it joins it below), and the token is heap memory anyway */
    rt_join_handle *watcher =
        shutdown ? rt_spawn_named("shutdown", watch_for_shutdown, shutdown) : NULL;
    if (!watcher) {
        fprintf(stderr, "out of memory\n");
        rt_cancel_token_drop(shutdown);
        rt_tcp_listener_close(listener);
        return 1;
    }
    /* Handlers now, before we say we listen: a SIGTERM sent right after "listening on
     * ..." must reach the watcher, not end the program (status 143 instead of 0). */
    rt_shutdown_signal_install();
    printf("listening on 127.0.0.1:%d\n", rt_tcp_listener_port(listener));
    fflush(stdout); /* stdout is a pipe under the tests: without this they never see it */

    rc = server_run(listener, shutdown);
    if (rc < 0)
        fprintf(stderr, "server: %s\n", rt_strerror(rc));
    rt_abort(watcher); /* still waiting for a signal if the server stopped on its own */
    rt_join(watcher, NULL, NULL);
    rt_cancel_token_drop(shutdown);
    rt_tcp_listener_close(listener);
    return rc < 0 ? 1 : 0;
}

RT_MAIN(app_main)
