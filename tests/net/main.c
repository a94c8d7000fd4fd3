/*
 * main.c - the net suite: the reactor, TCP, deadlines and cancellation on sockets.
 *
 *     build/.../tests/net/suite [TEST...]
 */
#include "helpers.h"

#include <stdlib.h>
#include <time.h>

int run_on(const rt_config *config, void *(*fn)(void *), void *arg)
{
    rt_runtime *rt = rt_runtime_new(config);
    SL_CHECK_FATAL(rt != NULL, "could not create a runtime");
    int rc = rt_block_on(rt, fn, arg, NULL);
    rt_stats s;
    rt_runtime_stats(rt, &s);
    SL_CHECK(s.nspawned == s.nfinished,
             "%llu tasks spawned but only %llu finished when main returned",
             (unsigned long long)s.nspawned, (unsigned long long)s.nfinished);
    rt_runtime_free(rt);
    return rc;
}

int run_with(int nworkers, void *(*fn)(void *), void *arg)
{
    rt_config config = {.flavor = nworkers == 1 ? RT_CURRENT_THREAD : RT_MULTI_THREAD,
                        .nworkers = nworkers};
    if (nworkers == 0)
        config.clock = RT_CLOCK_VIRTUAL;
    return run_on(&config, fn, arg);
}

double wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* ------------------------------------------------------------ the echo server */

static void *echo_connection(void *arg)
{
    rt_tcp_stream *s = arg;
    char buf[4096];
    ssize_t n;
    while ((n = rt_tcp_read(s, buf, sizeof buf)) > 0)
        if (rt_tcp_write_all(s, buf, (size_t)n, NULL) < 0)
            break;
    rt_tcp_close(s);
    return NULL;
}

/* Accepts until aborted, one echo task per connection. (It does not join them itself:
 * once aborted, a task's joins return RT_ECANCELED at once - echo_server_stop does.) */
static void *accept_loop(void *arg)
{
    struct echo_server *server = arg;
    rt_tcp_stream *s;
    while (rt_tcp_accept(server->listener, &s) == 0) {
        atomic_fetch_add(&server->nconnections, 1);
        if (server->ntasks == server->capacity) {
            server->capacity = server->capacity ? 2 * server->capacity : 64;
            server->tasks = realloc(server->tasks, server->capacity * sizeof *server->tasks);
        }
        server->tasks[server->ntasks++] = rt_spawn_named("echo", echo_connection, s);
    }
    return NULL;
}

struct echo_server *echo_server_start(void)
{
    struct echo_server *server = calloc(1, sizeof *server);
    int rc = rt_tcp_listen("127.0.0.1", 0, 1024, &server->listener);
    SL_CHECK_FATAL(rc == 0, "rt_tcp_listen(127.0.0.1, 0) failed: %s", rt_strerror(rc));
    server->port = rt_tcp_listener_port(server->listener);
    SL_CHECK(server->port > 0, "the listener's port is %d", server->port);
    server->acceptor = rt_spawn_named("acceptor", accept_loop, server);
    return server;
}

void echo_server_stop(struct echo_server *server)
{
    rt_abort(server->acceptor);
    rt_join(server->acceptor, NULL, NULL);
    for (size_t i = 0; i < server->ntasks; i++)
        rt_abort(server->tasks[i]);
    for (size_t i = 0; i < server->ntasks; i++)
        rt_join(server->tasks[i], NULL, NULL);
    free(server->tasks);
    rt_tcp_listener_close(server->listener);
    free(server);
}

int read_exactly(rt_tcp_stream *s, void *buf, size_t len)
{
    size_t got = 0;
    while (got < len) {
        ssize_t n = rt_tcp_read(s, (char *)buf + got, len - got);
        if (n <= 0)
            return n == 0 ? -EPIPE : (int)n;
        got += (size_t)n;
    }
    return 0;
}

static const sl_suite suites[] = {
    {"net_tcp", net_tcp_tests, 120},
    {"net_fd", net_fd_tests, 60},
    SL_SUITE_END,
};

int main(int argc, char **argv)
{
    return sl_main(argc, argv, suites);
}
