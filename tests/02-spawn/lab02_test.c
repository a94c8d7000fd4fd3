/*
 * lab02_test.c - grades lab 02: a task per connection.
 *
 * Chapter: chapters/02-spawn.md. As in lab 01, every test starts the lab's server program
 * on a free port and compares reply bytes exactly. The lesson tests weigh most: two clients
 * served at once, a thousand at once, a clean shutdown with no task left alive. Run one
 * test alone:  build/default/labs/02-spawn/suite test_lab02_two_clients_at_once
 */
#include "harness.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define STOP_SECONDS 5.0

/* Sends a command and compares the reply; on a mismatch the test stops there (at its
 * `out:` label, which cleans up), so one wrong reply is reported once. */
#define REPLY(c, expected, ...)                                                                    \
    do {                                                                                           \
        if (!SL_COMMAND((c), expected, __VA_ARGS__))                                               \
            goto out;                                                                              \
    } while (0)

/* ---------------------------------------------------------------- the server's output */

/* A second descriptor on the server's output, to read it after the server has exited
 * (sl_server_stop frees the server): its stdout is a memory file, and /proc/PID/fd/1
 * opens that same file again. -1 if that fails (the check then says so). */
static int keep_output(sl_server *s)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/fd/1", (int)sl_server_pid(s));
    return open(path, O_RDONLY | O_CLOEXEC);
}

/* Everything in the kept output (NUL-terminated, truncated to cap - 1). */
static const char *read_kept(int fd, char *buf, size_t cap)
{
    ssize_t n = fd < 0 ? -1 : pread(fd, buf, cap - 1, 0);
    buf[n > 0 ? n : 0] = '\0';
    return buf;
}

/* Waits up to seconds for text to appear in the server's output. */
static bool output_shows(sl_server *s, const char *text, double seconds)
{
    for (double deadline = sl_now() + seconds;; usleep(10000)) {
        if (strstr(sl_server_output(s), text))
            return true;
        if (sl_now() > deadline)
            return false;
    }
}

/* ---------------------------------------------------------------- lab 01 still works */

static void test_lab02_commands_still_work(void)
{
    sl_server *s = sl_server_start("server", NULL);
    sl_conn *c = sl_conn_open(sl_server_port(s));
    REPLY(c, "+PONG\r\n", "PING");
    REPLY(c, "+OK\r\n", "SET", "a", "1");
    REPLY(c, "$1\r\n1\r\n", "GET", "a");
    REPLY(c, "$-1\r\n", "GET", "b");
    REPLY(c, "-ERR unimplemented\r\n", "ECHO", "x");
out:
    sl_conn_close(c);
    sl_server_stop(s, STOP_SECONDS);
}

/* ---------------------------------------------------------------- step 1: a task each */

static void test_lab02_two_clients_at_once(void)
{
    sl_server *s = sl_server_start("server", NULL);
    sl_conn *first = sl_conn_open(sl_server_port(s)), *second = NULL;
    REPLY(first, "+PONG\r\n", "PING");
    /* Client 1 stays connected, idle. In lab 01 client 2 would now wait for it to leave. */
    second = sl_conn_open(sl_server_port(s));
    char msg[4096];
    sl_conn_send_words(second, "PING", NULL);
    if (!sl_conn_check_reply(second, "+PONG\r\n", 7, SL_REPLY_TIMEOUT, msg, sizeof msg)) {
        SL_FAIL("client 2 connected while client 1 stayed connected, and its PING was not "
                "answered: the accept loop is still busy serving client 1. Spawn a task per "
                "connection and go straight back to accepting (step 1).%s",
                msg);
        goto out;
    }
    REPLY(first, "$4\r\nboth\r\n", "PING", "both"); /* and client 1 is still served */
    REPLY(second, "+OK\r\n", "SET", "k", "2");
out:
    sl_conn_close(first);
    if (second)
        sl_conn_close(second);
    sl_server_stop(s, STOP_SECONDS);
}

enum { NCLIENTS = 1000 };

/* Reads from fd until exactly expected arrived (true), something else did, the peer
 * closed, or the deadline passed. got receives what arrived, in words. */
static bool read_exact(int fd, const char *expected, double deadline, char *got, size_t cap)
{
    char buf[256];
    size_t n = 0, want = strlen(expected);
    while (n < want) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        int ms = (int)((deadline - sl_now()) * 1000);
        if (ms <= 0 || poll(&p, 1, ms) <= 0)
            break;
        ssize_t r = recv(fd, buf + n, sizeof buf - n, 0);
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    if (n == want && memcmp(buf, expected, want) == 0)
        return true;
    if (n == 0)
        snprintf(got, cap, "(nothing)");
    else
        sl_resp_words(buf, n, got, cap);
    return false;
}

static void test_lab02_thousand_clients(void)
{
    static int fds[NCLIENTS];
    int nopen = 0, nanswered = 0;
    sl_server *s = sl_server_start("server", NULL);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(sl_server_port(s))};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    /* 1. A thousand clients connect, and all stay connected. */
    for (; nopen < NCLIENTS; nopen++) {
        fds[nopen] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fds[nopen] < 0 || connect(fds[nopen], (struct sockaddr *)&addr, sizeof addr) < 0) {
            SL_FAIL("client %d of %d could not connect: %s", nopen + 1, NCLIENTS, strerror(errno));
            if (fds[nopen] >= 0)
                close(fds[nopen]);
            goto out;
        }
    }
    /* 2. Each sends SET key-i value-i and GET key-i in one write, before any reads. */
    for (int i = 0; i < NCLIENTS; i++) {
        char request[128], key[16], value[16];
        int klen = snprintf(key, sizeof key, "key-%d", i);
        int vlen = snprintf(value, sizeof value, "value-%d", i);
        int n = snprintf(
            request, sizeof request,
            "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n*2\r\n$3\r\nGET\r\n$%d\r\n%s\r\n", klen,
            key, vlen, value, klen, key);
        if (send(fds[i], request, (size_t)n, MSG_NOSIGNAL) != n) {
            SL_FAIL("client %d could not send its SET and GET: %s", i + 1, strerror(errno));
            goto out;
        }
    }
    /* 3. Every client gets +OK and its own value back. A server that serves one
     *    connection at a time answers client 1 and then nobody: we give up on a client
     *    after 5 s without its reply. */
    for (int i = 0; i < NCLIENTS; i++, nanswered++) {
        char expected[64], got[512];
        snprintf(expected, sizeof expected, "+OK\r\n$%d\r\nvalue-%d\r\n",
                 (int)strlen("value-") + snprintf(NULL, 0, "%d", i), i);
        if (!read_exact(fds[i], expected, sl_now() + SL_REPLY_TIMEOUT, got, sizeof got)) {
            char want[128];
            sl_resp_words(expected, strlen(expected), want, sizeof want);
            SL_FAIL("%d clients connected at once, each sent SET key-i value-i and GET key-i. "
                    "Client %d expected %s and got %s within %.0f s (the %d client(s) before it "
                    "were answered). Every connection needs its own task (step 1).",
                    NCLIENTS, i + 1, want, got, SL_REPLY_TIMEOUT, nanswered);
            goto out;
        }
    }
out:
    for (int i = 0; i < nopen; i++)
        close(fds[i]);
    sl_server_stop(s, STOP_SECONDS + 5);
}

static void test_lab02_state_not_shared(void)
{
    /* Each connection still owns its table: lab 03 fixes that, not this lab. */
    sl_server *s = sl_server_start("server", NULL);
    sl_conn *first = sl_conn_open(sl_server_port(s));
    sl_conn *second = sl_conn_open(sl_server_port(s));
    REPLY(first, "+OK\r\n", "SET", "shared?", "yes");
    char msg[4096];
    sl_conn_send_words(second, "GET", "shared?", NULL);
    if (!sl_conn_check_reply(second, "$-1\r\n", 5, SL_REPLY_TIMEOUT, msg, sizeof msg))
        SL_FAIL("client 1 SET shared? while client 2 was connected; client 2's GET should "
                "find nothing, because each connection owns its table in this lab (sharing "
                "one is lab 03):%s",
                msg);
out:
    sl_conn_close(first);
    sl_conn_close(second);
    sl_server_stop(s, STOP_SECONDS);
}

static void test_lab02_vanishing_client(void)
{
    sl_server *s = sl_server_start("server", NULL);
    sl_conn *steady = sl_conn_open(sl_server_port(s)), *late = NULL;
    REPLY(steady, "+PONG\r\n", "PING");
    /* A client sends half a SET and vanishes (a reset, as when its machine crashes). */
    sl_conn *vanishing = sl_conn_open(sl_server_port(s));
    static const char half[] = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nval";
    sl_conn_send_raw(vanishing, half, sizeof half - 1);
    sl_conn_abort(vanishing);
    /* Nobody else notices: the steady client goes on, and a new one is served. */
    REPLY(steady, "$5\r\nstill\r\n", "PING", "still");
    late = sl_conn_open(sl_server_port(s));
    REPLY(late, "+PONG\r\n", "PING");
out:
    sl_conn_close(steady);
    if (late)
        sl_conn_close(late);
    sl_server_stop(s, STOP_SECONDS);
}

/* ---------------------------------------------------------------- step 2: join handles */

static void test_lab02_join_results_logged(void)
{
    sl_server *s = sl_server_start("server", NULL);
    sl_conn *c = sl_conn_open(sl_server_port(s));
    REPLY(c, "+OK\r\n", "SET", "a", "1");
    REPLY(c, "$1\r\n1\r\n", "GET", "a");
    REPLY(c, "+PONG\r\n", "PING");
    sl_conn_close(c);
    c = NULL;
    /* The task returned 3; the collector joined it and logged what rt_join gave it. */
    SL_CHECK(output_shows(s, "connection 1 served 3 commands\n", SL_REPLY_TIMEOUT),
             "client 1 sent 3 commands and disconnected; within %.0f s the server should "
             "log \"connection 1 served 3 commands\" (the task returns the count, the "
             "collector joins it and prints it: step 2). The server printed:\n%s",
             SL_REPLY_TIMEOUT, sl_server_output(s));
out:
    if (c)
        sl_conn_close(c);
    sl_server_stop(s, STOP_SECONDS);
}

static void test_lab02_shutdown_leaves_no_task(void)
{
    enum { NIDLE = 3 };
    sl_server *s = sl_server_start("server", NULL);
    int kept = keep_output(s);
    sl_conn *idle[NIDLE] = {0};
    bool is_all_served = false;
    /* One client comes and goes; three stay connected, idle, when the server is stopped. */
    sl_conn *c = sl_conn_open(sl_server_port(s));
    REPLY(c, "+PONG\r\n", "PING");
    sl_conn_close(c);
    for (int i = 0; i < NIDLE; i++) {
        idle[i] = sl_conn_open(sl_server_port(s));
        REPLY(idle[i], "+PONG\r\n", "PING");
    }
    is_all_served = true;
out:;
    bool clean = sl_server_stop(s, STOP_SECONDS); /* SIGTERM; fails unless exit status 0 */
    static char output[65536];
    read_kept(kept, output, sizeof output);
    if (kept >= 0)
        close(kept);
    SL_CHECK(kept >= 0, "could not keep the server's output to read it after it exited");
    SL_CHECK(!strstr(output, "shutdown with tasks still alive"),
             "the server was stopped with %d clients connected: it should abort their "
             "tasks and join every one before it returns, so that no task is alive when the "
             "runtime shuts down. The runtime found some:\n%s",
             NIDLE, output);
    if (clean && is_all_served) {
        for (int i = 1; i <= 1 + NIDLE; i++) {
            char line[64];
            snprintf(line, sizeof line, "connection %d", i);
            SL_CHECK(strstr(output, line) != NULL,
                     "every connection task should be joined and its result logged, the ones "
                     "aborted at shutdown too (\"connection %d: cancelled\"); nothing about "
                     "connection %d in the server's output:\n%s",
                     i, i, output);
        }
    }
    for (int i = 0; i < NIDLE; i++)
        if (idle[i])
            sl_conn_close(idle[i]);
}

/* ---------------------------------------------------------------- the 'static rule */

static void test_lab02_static_rule_check(void)
{
    /* progs/static_mistake spawns connection_task with a pointer to its own stack. */
    const char *argv[] = {"progs/static_mistake", NULL};
    static sl_exit e;
    SL_CHECK_FATAL(sl_run_program(argv, 10, &e) == 0, "could not run progs/static_mistake");
    SL_CHECK(!e.exited && e.status == SIGABRT,
             "a task spawned with a pointer into its spawner's stack should stop the program "
             "(SIGABRT); it %s. Output:\n%s",
             sl_exit_describe(&e), e.output);
    SL_CHECK(strstr(e.output, "the 'static rule") &&
                 strstr(e.output, "chapters/02-spawn.md#the-static-rule"),
             "the runtime's check should name the 'static rule and its chapter section; the "
             "program printed:\n%s",
             e.output);
}

/* ---------------------------------------------------------------- compatibility */

static void test_lab02_redis_cli(void)
{
    if (access("/usr/bin/redis-cli", X_OK) != 0 && access("/usr/local/bin/redis-cli", X_OK) != 0) {
        printf("\n    SKIPPED: redis-cli not found (tools/deps.sh installs redis-tools)\n");
        return;
    }
    sl_server *s = sl_server_start("server", NULL);
    /* An idle client stays connected meanwhile: redis-cli must not wait for it. */
    sl_conn *idle = sl_conn_open(sl_server_port(s));
    char script[256];
    snprintf(script, sizeof script, "printf 'SET a 1\\nGET a\\n' | redis-cli -p %d 2>&1",
             sl_server_port(s));
    const char *argv[] = {"/bin/sh", "-c", script, NULL};
    static sl_exit e;
    sl_run_program(argv, 10, &e);
    SL_CHECK(e.exited && e.status == 0 && strcmp(e.output, "OK\n1\n") == 0,
             "\n      ran:      %s   (while another client stayed connected)\n"
             "      expected: OK / 1\n      got:      %s (%s)",
             script, e.output, sl_exit_describe(&e));
    sl_conn_close(idle);
    sl_server_stop(s, STOP_SECONDS);
}

/* ---------------------------------------------------------------- the table */

static const sl_test lab02_tests[] = {
    SL_TEST(test_lab02_commands_still_work, 1, "chapters/01-sequential.md#step-2-get-and-set"),
    SL_TEST(test_lab02_two_clients_at_once, 4, "chapters/02-spawn.md#a-task-per-connection"),
    SL_TEST(test_lab02_thousand_clients, 3, "chapters/02-spawn.md#what-a-task-costs"),
    SL_TEST(test_lab02_state_not_shared, 1, "chapters/02-spawn.md#state-is-not-shared-yet"),
    SL_TEST(test_lab02_vanishing_client, 2, "chapters/02-spawn.md#a-task-per-connection"),
    SL_TEST(test_lab02_join_results_logged, 2, "chapters/02-spawn.md#join-handles"),
    SL_TEST(test_lab02_shutdown_leaves_no_task, 3, "chapters/02-spawn.md#shutting-down-cleanly"),
    SL_TEST(test_lab02_static_rule_check, 2, "chapters/02-spawn.md#the-static-rule"),
    SL_TEST(test_lab02_redis_cli, 1, "chapters/02-spawn.md#a-task-per-connection"),
    SL_TEST_END,
};

static const sl_suite suites[] = {
    {"lab02", lab02_tests, 60},
    SL_SUITE_END,
};

int main(int argc, char **argv)
{
    return sl_main(argc, argv, suites);
}
