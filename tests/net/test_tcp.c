/*
 * test_tcp.c - TCP on the reactor: echo (one connection, then a thousand at once), end of
 * stream, a peer that resets, refused connections, deadlines and aborts of blocked calls,
 * write_all's count when it is interrupted, and an idle runtime with open sockets.
 */
#include "helpers.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MS RT_NS_PER_MS

/* ------------------------------------------------------------ echo */

static void *echo_once(void *unused)
{
    (void)unused;
    struct echo_server *server = echo_server_start();
    rt_tcp_stream *s;
    int rc = rt_tcp_connect("127.0.0.1", server->port, &s);
    SL_CHECK_FATAL(rc == 0, "connect to the echo server: %s", rt_strerror(rc));
    const char message[] = "hello, reactor";
    char reply[sizeof message] = {0};
    rc = rt_tcp_write_all(s, message, sizeof message, NULL);
    SL_CHECK(rc == 0, "write_all: %s", rt_strerror(rc));
    rc = read_exactly(s, reply, sizeof reply);
    SL_CHECK(rc == 0 && memcmp(reply, message, sizeof message) == 0, "echo: %s, got '%s'",
             rt_strerror(rc), reply);
    /* Our end of stream reaches the echo task, which closes: we read the end too. */
    SL_CHECK(rt_tcp_shutdown_write(s) == 0, "shutdown(write) failed");
    ssize_t n = rt_tcp_read(s, reply, sizeof reply);
    SL_CHECK(n == 0, "after shutdown the echo server should close: read returned %zd", n);
    rt_tcp_close(s);
    echo_server_stop(server);
    return NULL;
}

static void test_net_echo_one_connection(void)
{
    run_with(1, echo_once, NULL);
    run_with(4, echo_once, NULL);
    run_with(0, echo_once, NULL); /* the virtual clock: loopback I/O still flows */
}

struct client_job {
    int port, index;
    _Atomic int *nok;
};

static void *echo_client(void *arg)
{
    struct client_job *job = arg;
    rt_tcp_stream *s;
    if (rt_tcp_connect("127.0.0.1", job->port, &s) != 0)
        return NULL;
    char message[64], reply[64];
    int len = snprintf(message, sizeof message, "client %d says hello", job->index);
    bool ok = true;
    for (int round = 0; round < 3 && ok; round++) {
        ok = rt_tcp_write_all(s, message, (size_t)len, NULL) == 0 &&
             read_exactly(s, reply, (size_t)len) == 0 && memcmp(reply, message, (size_t)len) == 0;
        rt_yield();
    }
    if (ok)
        atomic_fetch_add(job->nok, 1);
    rt_tcp_close(s);
    return NULL;
}

enum { NCLIENTS = 1000 };

static void *thousand_clients(void *unused)
{
    (void)unused;
    struct echo_server *server = echo_server_start();
    _Atomic int *nok = malloc(sizeof *nok);
    atomic_init(nok, 0);
    struct client_job *jobs = malloc(NCLIENTS * sizeof *jobs);
    rt_join_handle **h = malloc(NCLIENTS * sizeof *h);
    for (int i = 0; i < NCLIENTS; i++) {
        jobs[i] = (struct client_job){server->port, i, nok};
        h[i] = rt_spawn_named("client", echo_client, &jobs[i]);
    }
    for (int i = 0; i < NCLIENTS; i++)
        rt_join(h[i], NULL, NULL);
    SL_CHECK(atomic_load(nok) == NCLIENTS, "%d of %d concurrent echo clients succeeded",
             atomic_load(nok), NCLIENTS);
    SL_CHECK(atomic_load(&server->nconnections) == NCLIENTS, "the server accepted %d of %d",
             atomic_load(&server->nconnections), NCLIENTS);
    echo_server_stop(server);
    free(jobs);
    free(h);
    free(nok);
    return NULL;
}

static void test_net_thousand_concurrent_echo_connections(void)
{
    double start = wall_ms();
    run_with(4, thousand_clients, NULL);
    SL_CHECK(wall_ms() - start < 20000, "1000 echo connections took %.0f ms", wall_ms() - start);
}

/* ------------------------------------------------------------ errors */

/* Accepts one connection, sends a greeting, waits for the client to be reading, resets. */
static void *greet_then_reset(void *arg)
{
    rt_tcp_listener *l = arg;
    rt_tcp_stream *s;
    if (rt_tcp_accept(l, &s) != 0)
        return NULL;
    rt_tcp_write_all(s, "hi", 2, NULL);
    rt_sleep_ms(50); /* the client reads "hi" and blocks in its next read */
    struct linger abortive = {.l_onoff = 1, .l_linger = 0}; /* close sends RST, not FIN */
    setsockopt(rt_tcp_stream_fd(s), SOL_SOCKET, SO_LINGER, &abortive, sizeof abortive);
    rt_tcp_close(s);
    return NULL;
}

static void *read_until_reset(void *unused)
{
    (void)unused;
    rt_tcp_listener *l;
    SL_CHECK_FATAL(rt_tcp_listen("127.0.0.1", 0, 8, &l) == 0, "listen failed");
    rt_join_handle *server = rt_spawn(greet_then_reset, l);
    rt_tcp_stream *s;
    int rc = rt_tcp_connect("127.0.0.1", rt_tcp_listener_port(l), &s);
    SL_CHECK_FATAL(rc == 0, "connect: %s", rt_strerror(rc));
    char buf[16];
    SL_CHECK(read_exactly(s, buf, 2) == 0, "the greeting did not arrive");
    ssize_t n = rt_tcp_read(s, buf, sizeof buf);
    SL_CHECK(n == -ECONNRESET,
             "a read when the peer resets returned %zd (%s), expected "
             "-ECONNRESET",
             n, n < 0 ? rt_strerror((int)n) : "bytes");
    rt_tcp_close(s);
    rt_join(server, NULL, NULL);
    rt_tcp_listener_close(l);
    return NULL;
}

static void test_net_peer_reset_mid_read_is_an_error(void)
{
    run_with(1, read_until_reset, NULL);
    run_with(2, read_until_reset, NULL);
}

static void *connect_to_nobody(void *unused)
{
    (void)unused;
    rt_tcp_listener *l;
    SL_CHECK_FATAL(rt_tcp_listen("127.0.0.1", 0, 8, &l) == 0, "listen failed");
    int port = rt_tcp_listener_port(l);
    rt_tcp_listener_close(l); /* nobody listens there now */
    rt_tcp_stream *s = NULL;
    int rc = rt_tcp_connect("127.0.0.1", port, &s);
    SL_CHECK(rc == -ECONNREFUSED && s == NULL, "connect to a closed port returned %s",
             rt_strerror(rc));
    rc = rt_tcp_connect("no.such.host", 80, &s);
    SL_CHECK(rc == -EINVAL, "connect to a name returned %s, expected -EINVAL", rt_strerror(rc));
    rc = rt_tcp_listen("127.0.0.1", 70000, 8, &l);
    SL_CHECK(rc == -EINVAL, "listen on port 70000 returned %s", rt_strerror(rc));
    return NULL;
}

static void test_net_connect_refused_and_bad_addresses(void)
{
    run_with(2, connect_to_nobody, NULL);
}

/* ------------------------------------------------------------ deadlines */

struct silent_pair {
    rt_tcp_listener *listener;
    rt_tcp_stream *client, *server;
};

/* A connected pair of which neither side writes. */
static void silent_pair_open(struct silent_pair *p)
{
    SL_CHECK_FATAL(rt_tcp_listen("127.0.0.1", 0, 8, &p->listener) == 0, "listen failed");
    int rc = rt_tcp_connect("127.0.0.1", rt_tcp_listener_port(p->listener), &p->client);
    SL_CHECK_FATAL(rc == 0, "connect: %s", rt_strerror(rc));
    rc = rt_tcp_accept(p->listener, &p->server);
    SL_CHECK_FATAL(rc == 0, "accept: %s", rt_strerror(rc));
}

static void silent_pair_close(struct silent_pair *p)
{
    rt_tcp_close(p->client);
    rt_tcp_close(p->server);
    rt_tcp_listener_close(p->listener);
}

static void *read_with_timeout(void *arg)
{
    int64_t timeout_ns = *(int64_t *)arg;
    struct silent_pair p;
    silent_pair_open(&p);
    char buf[8];
    int64_t start = rt_now();
    int64_t saved = rt_timeout_begin(timeout_ns);
    ssize_t n = rt_tcp_read(p.client, buf, sizeof buf);
    rt_timeout_end(saved);
    int64_t took = rt_now() - start;
    SL_CHECK(n == RT_ETIMEDOUT, "a read nobody answers, under a timeout, returned %zd", n);
    SL_CHECK(took >= timeout_ns && took < timeout_ns + 500 * MS,
             "the read timed out after %lld ms, the timeout was %lld ms", (long long)(took / MS),
             (long long)(timeout_ns / MS));
    /* The stream is still usable after a timeout. */
    SL_CHECK(rt_tcp_write_all(p.server, "x", 1, NULL) == 0 &&
                 rt_tcp_read(p.client, buf, sizeof buf) == 1,
             "the stream did not work after a read timed out");
    silent_pair_close(&p);
    return NULL;
}

static void test_net_read_deadline_fires(void)
{
    int64_t timeout = 100 * MS;
    run_with(2, read_with_timeout, &timeout);
    timeout = 30 * RT_NS_PER_S; /* on the virtual clock: instant */
    double start = wall_ms();
    run_with(0, read_with_timeout, &timeout);
    SL_CHECK(wall_ms() - start < 1000, "a 30 s read timeout on the virtual clock took %.0f ms",
             wall_ms() - start);
}

static void *write_into_a_full_pipe(void *unused)
{
    (void)unused;
    struct silent_pair p;
    silent_pair_open(&p);
    size_t len = 64u << 20; /* far more than the socket buffers hold */
    char *big = calloc(1, len);
    size_t written = 0;
    int64_t saved = rt_timeout_begin(200 * MS);
    int rc = rt_tcp_write_all(p.client, big, len, &written);
    rt_timeout_end(saved);
    SL_CHECK(rc == RT_ETIMEDOUT, "write_all into a peer that never reads returned %s",
             rt_strerror(rc));
    SL_CHECK(written > 0 && written < len, "write_all reported %zu of %zu bytes written", written,
             len);
    free(big);
    silent_pair_close(&p);
    return NULL;
}

static void test_net_write_all_reports_what_was_written(void)
{
    run_with(0, write_into_a_full_pipe, NULL);
}

/* Fills the listen queue so that further connects hang in SYN_SENT. */
static void *connect_into_a_full_backlog(void *unused)
{
    (void)unused;
    rt_tcp_listener *l;
    SL_CHECK_FATAL(rt_tcp_listen("127.0.0.1", 0, 1, &l) == 0, "listen failed");
    enum { NTRIES = 8 };
    rt_tcp_stream *s[NTRIES];
    int ntimed_out = 0, nother = 0;
    for (int i = 0; i < NTRIES; i++) {
        int64_t saved = rt_timeout_begin(100 * MS);
        int rc = rt_tcp_connect("127.0.0.1", rt_tcp_listener_port(l), &s[i]);
        rt_timeout_end(saved);
        ntimed_out += rc == RT_ETIMEDOUT;
        nother += rc != 0 && rc != RT_ETIMEDOUT;
        if (rc != 0)
            s[i] = NULL;
    }
    SL_CHECK(ntimed_out > 0 && nother == 0,
             "connects into a full backlog: %d timed out, %d failed otherwise", ntimed_out, nother);
    for (int i = 0; i < NTRIES; i++)
        if (s[i])
            rt_tcp_close(s[i]);
    rt_tcp_listener_close(l);
    return NULL;
}

static void test_net_connect_deadline_fires(void)
{
    run_with(2, connect_into_a_full_backlog, NULL);
}

/* ------------------------------------------------------------ aborts */

static void *blocked_read(void *arg)
{
    char buf[8];
    return (void *)(intptr_t)rt_tcp_read(arg, buf, sizeof buf);
}

static void *blocked_accept(void *arg)
{
    rt_tcp_stream *s = NULL;
    return (void *)(intptr_t)rt_tcp_accept(arg, &s);
}

static void *abort_blocked_calls(void *unused)
{
    (void)unused;
    struct silent_pair p;
    silent_pair_open(&p);
    rt_join_handle *reader = rt_spawn(blocked_read, p.client);
    rt_join_handle *acceptor = rt_spawn(blocked_accept, p.listener);
    rt_sleep_ms(20); /* both park (on the virtual clock: as soon as all are idle) */
    rt_abort(reader);
    rt_abort(acceptor);
    void *result;
    int rc = rt_join(reader, &result, NULL);
    SL_CHECK(rc == RT_ECANCELED, "join of a reader aborted in rt_tcp_read: %s", rt_strerror(rc));
    rc = rt_join(acceptor, &result, NULL);
    SL_CHECK(rc == RT_ECANCELED, "join of a task aborted in rt_tcp_accept: %s", rt_strerror(rc));
    /* Nothing half-done: the stream still works. */
    char buf[4];
    SL_CHECK(rt_tcp_write_all(p.server, "ok", 2, NULL) == 0 && read_exactly(p.client, buf, 2) == 0,
             "the stream did not work after a reader was aborted");
    silent_pair_close(&p);
    return NULL;
}

static void test_net_abort_tasks_blocked_in_read_and_accept(void)
{
    run_with(0, abort_blocked_calls, NULL);
    run_with(4, abort_blocked_calls, NULL);
}

/* ------------------------------------------------------------ idle CPU */

static double process_cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void *measure_cpu_for_a_second(void *arg)
{
    double before = process_cpu_ms();
    sleep(1);
    *(double *)arg = process_cpu_ms() - before;
    return NULL;
}

static void *sleep_an_hour(void *unused)
{
    (void)unused;
    return (void *)(intptr_t)rt_sleep_ms(3600 * 1000);
}

static void *idle_with_sockets_and_timers(void *arg)
{
    struct silent_pair p;
    silent_pair_open(&p);
    rt_join_handle *reader = rt_spawn(blocked_read, p.client);
    rt_join_handle *acceptor = rt_spawn(blocked_accept, p.listener);
    rt_join_handle *sleeper = rt_spawn(sleep_an_hour, NULL); /* a pending timer */
    rt_join(rt_spawn_blocking(measure_cpu_for_a_second, arg), NULL, NULL);
    rt_abort(reader);
    rt_abort(acceptor);
    rt_abort(sleeper);
    rt_join(reader, NULL, NULL);
    rt_join(acceptor, NULL, NULL);
    rt_join(sleeper, NULL, NULL);
    silent_pair_close(&p);
    return NULL;
}

static void test_net_idle_runtime_with_sockets_uses_under_one_percent_cpu(void)
{
    double cpu_ms = 0;
    run_with(4, idle_with_sockets_and_timers, &cpu_ms);
    SL_CHECK(cpu_ms < 10,
             "an idle runtime with blocked socket calls used %.1f ms of CPU in "
             "1 s (more than 1%% of a core)",
             cpu_ms);
    printf(" [idle CPU: %.2f ms in 1 s] ", cpu_ms);
}

const sl_test net_tcp_tests[] = {
    SL_TEST(test_net_echo_one_connection, 2, "chapters/appendix-runtime.md#the-reactor"),
    SL_TEST(test_net_thousand_concurrent_echo_connections, 2,
            "chapters/appendix-runtime.md#the-reactor"),
    SL_TEST(test_net_peer_reset_mid_read_is_an_error, 1,
            "chapters/appendix-runtime.md#the-reactor"),
    SL_TEST(test_net_connect_refused_and_bad_addresses, 1,
            "chapters/appendix-runtime.md#the-reactor"),
    SL_TEST(test_net_read_deadline_fires, 2, "chapters/appendix-runtime.md#timers"),
    SL_TEST(test_net_write_all_reports_what_was_written, 1,
            "chapters/appendix-runtime.md#the-reactor"),
    SL_TEST(test_net_connect_deadline_fires, 1, "chapters/appendix-runtime.md#timers"),
    SL_TEST(test_net_abort_tasks_blocked_in_read_and_accept, 2,
            "chapters/appendix-runtime.md#the-reactor"),
    SL_TEST(test_net_idle_runtime_with_sockets_uses_under_one_percent_cpu, 1,
            "chapters/appendix-runtime.md#the-reactor"),
    SL_TEST_END,
};
