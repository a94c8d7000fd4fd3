/*
 * lab01_test.c - grades lab 01: a Redis server that serves one connection at a time.
 *
 * Chapter: chapters/01-sequential.md. Every test starts the lab's server program (built
 * from solutions/ by make check, from labs/ by make grade) on a free port, talks raw RESP
 * to it and compares reply bytes exactly; a failure says what was sent, what was expected,
 * what came back and which section to re-read. Run one test alone:
 *     build/default/labs/01-sequential/suite test_lab01_set_then_get
 */
#include "harness.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define STOP_SECONDS 5.0

/* Sends a command and compares the reply; on a mismatch the test stops there (at its
 * `out:` label, which cleans up), so that one wrong reply is reported once instead of
 * every later command failing after it. */
#define REPLY(c, expected, ...)                                                                    \
    do {                                                                                           \
        if (!SL_COMMAND((c), expected, __VA_ARGS__))                                               \
            goto out;                                                                              \
    } while (0)

/* ---------------------------------------------------------------- step 1 */

static void test_lab01_every_command_answered(void)
{
    sl_server *s = sl_server_start("server", NULL);
    sl_conn *c = sl_conn_open(sl_server_port(s));
    /* None of these is part of the lab: after step 1, and still after step 2, each gets
     * "-ERR unimplemented" - and the connection stays open for the next one. */
    REPLY(c, "-ERR unimplemented\r\n", "ECHO", "hello");
    REPLY(c, "-ERR unimplemented\r\n", "DEL", "a");
    REPLY(c, "-ERR unimplemented\r\n", "INCR", "counter");
out:
    sl_conn_close(c);
    sl_server_stop(s, STOP_SECONDS);
}

static void test_lab01_serves_client_after_client(void)
{
    /* Sequential, but not single-use: the loop accepts the next client after each one. */
    sl_server *s = sl_server_start("server", NULL);
    for (int i = 1; i <= 3; i++) {
        sl_conn *c = sl_conn_open(sl_server_port(s));
        bool ok = SL_COMMAND(c, "-ERR unimplemented\r\n", "ECHO", "again");
        sl_conn_close(c);
        if (!ok) {
            if (i > 1)
                SL_FAIL("client %d, who connected after client %d had left, was not answered: "
                        "after a client disconnects, the loop must accept the next one",
                        i, i - 1);
            break;
        }
    }
    sl_server_stop(s, STOP_SECONDS);
}

static void test_lab01_protocol_error_closes(void)
{
    sl_server *s = sl_server_start("server", NULL);
    sl_conn *c = sl_conn_open(sl_server_port(s));
    /* A bulk length that is not a number: no frame can ever start here. */
    sl_conn_send_raw(c, "*1\r\n$x\r\n", 8);
    char got[512];
    ssize_t n = sl_conn_read_some(c, got, sizeof got, SL_REPLY_TIMEOUT);
    bool ok = n > 0 && strncmp(got, "-ERR Protocol error: ", 21) == 0;
    SL_CHECK(ok,
             "\n      sent:     *1\\r\\n$x\\r\\n (not RESP)\n"
             "      expected: -ERR Protocol error: ... (conn_last_error's words), then the "
             "connection closed\n"
             "      got:      %s",
             n > 0    ? got
             : n == 0 ? "(nothing)"
                      : "(nothing: the server closed the connection)");
    if (ok)
        SL_CHECK(sl_conn_read_some(c, got, sizeof got, SL_REPLY_TIMEOUT) < 0,
                 "after a protocol error the server should close the connection (framing is "
                 "lost: nobody knows where the next request would start); it kept it open");
    sl_conn_close(c);
    if (!ok)
        goto stop;
    /* ...and the server itself carries on with the next client. */
    c = sl_conn_open(sl_server_port(s));
    REPLY(c, "-ERR unimplemented\r\n", "ECHO", "still there?");
out:
    sl_conn_close(c);
stop:
    sl_server_stop(s, STOP_SECONDS);
}

/* ---------------------------------------------------------------- step 2 */

static void test_lab01_ping(void)
{
    sl_server *s = sl_server_start("server", NULL);
    sl_conn *c = sl_conn_open(sl_server_port(s));
    REPLY(c, "+PONG\r\n", "PING");
    REPLY(c, "$5\r\nhello\r\n", "PING", "hello");
out:
    sl_conn_close(c);
    sl_server_stop(s, STOP_SECONDS);
}

static void test_lab01_set_then_get(void)
{
    sl_server *s = sl_server_start("server", NULL);
    sl_conn *c = sl_conn_open(sl_server_port(s));
    REPLY(c, "+OK\r\n", "SET", "greeting", "hello world");
    REPLY(c, "$11\r\nhello world\r\n", "GET", "greeting");
    REPLY(c, "+OK\r\n", "SET", "greeting", "bye"); /* a second SET replaces the value */
    REPLY(c, "$3\r\nbye\r\n", "GET", "greeting");
    REPLY(c, "+OK\r\n", "SET", "empty", "");
    REPLY(c, "$0\r\n\r\n", "GET", "empty");
    REPLY(c, "+OK\r\n", "SET", "session", "42", "EX", "100"); /* accepted; never expires */
    REPLY(c, "$2\r\n42\r\n", "GET", "session");
out:
    sl_conn_close(c);
    sl_server_stop(s, STOP_SECONDS);
}

static void test_lab01_get_missing_key(void)
{
    sl_server *s = sl_server_start("server", NULL);
    sl_conn *c = sl_conn_open(sl_server_port(s));
    REPLY(c, "$-1\r\n", "GET", "nobody-set-this");
    REPLY(c, "+OK\r\n", "SET", "a", "1");
    REPLY(c, "$-1\r\n", "GET", "A"); /* keys are case-sensitive; command names are not */
    REPLY(c, "$1\r\n1\r\n", "get", "a");
out:
    sl_conn_close(c);
    sl_server_stop(s, STOP_SECONDS);
}

static void test_lab01_wrong_arguments(void)
{
    /* cmd_parse makes these replies, with Redis's words: pass them on unchanged. */
    sl_server *s = sl_server_start("server", NULL);
    sl_conn *c = sl_conn_open(sl_server_port(s));
    REPLY(c, "-ERR wrong number of arguments for 'get' command\r\n", "GET");
    REPLY(c, "-ERR wrong number of arguments for 'set' command\r\n", "SET", "a");
    REPLY(c, "-ERR syntax error\r\n", "SET", "a", "1", "BOGUS");
    REPLY(c, "-ERR unknown command 'FLY', with args beginning with: 'away' \r\n", "FLY", "away");
    REPLY(c, "+PONG\r\n", "PING"); /* an error reply does not end the connection */
out:
    sl_conn_close(c);
    sl_server_stop(s, STOP_SECONDS);
}

static void test_lab01_pipelined_commands(void)
{
    sl_server *s = sl_server_start("server", NULL);
    sl_conn *c = sl_conn_open(sl_server_port(s));
    /* Four requests in one write, before reading any reply; the last one inline, as typed
     * into telnet. The replies must all come back, in order. */
    static const char requests[] = "*1\r\n$4\r\nPING\r\n"
                                   "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nvalue\r\n"
                                   "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"
                                   "GET nothing\r\n";
    sl_conn_send_raw(c, requests, sizeof requests - 1);
    SL_EXPECT_REPLY(c, "+PONG\r\n+OK\r\n$5\r\nvalue\r\n$-1\r\n");
    sl_conn_close(c);
    sl_server_stop(s, STOP_SECONDS);
}

static void test_lab01_state_per_connection(void)
{
    /* Each connection owns its table (lab 03 shares one): a new client sees none of it. */
    sl_server *s = sl_server_start("server", NULL);
    sl_conn *c = sl_conn_open(sl_server_port(s));
    REPLY(c, "+OK\r\n", "SET", "mine", "1");
    sl_conn_close(c);
    c = sl_conn_open(sl_server_port(s));
    REPLY(c, "$-1\r\n", "GET", "mine");
out:
    sl_conn_close(c);
    sl_server_stop(s, STOP_SECONDS);
}

/* ---------------------------------------------------------------- the lesson */

/* Waits for any reply on c (the lesson does not depend on step 2: "-ERR unimplemented"
 * is an answer too); returns true when one came within seconds, with its words in words. */
static bool got_an_answer(sl_conn *c, double seconds, char *words, size_t cap)
{
    char raw[1024];
    ssize_t n = sl_conn_read_some(c, raw, sizeof raw, seconds);
    if (n <= 0) {
        snprintf(words, cap, "%s",
                 n == 0 ? "(nothing)" : "(nothing: the server closed the connection)");
        return false;
    }
    sl_resp_words(raw, (size_t)n, words, cap);
    return true;
}

static void test_lab01_second_client_waits(void)
{
    char got[1024];
    sl_server *s = sl_server_start("server", NULL);
    sl_conn *first = sl_conn_open(sl_server_port(s)), *second = NULL;
    sl_conn_send_words(first, "PING", NULL);
    if (!got_an_answer(first, SL_REPLY_TIMEOUT, got, sizeof got)) {
        SL_FAIL("client 1 sent PING and got %s within %.0f s, so the lesson cannot be checked "
                "yet: do step 1 first",
                got, SL_REPLY_TIMEOUT);
        goto out;
    }
    /* Client 1 stays connected. Client 2 connects (the kernel completes the handshake and
     * queues it in the listener's backlog) and sends PING - but the loop is busy with
     * client 1, and nobody accepts client 2. */
    second = sl_conn_open(sl_server_port(s));
    sl_conn_send_words(second, "PING", NULL);
    SL_CHECK(sl_conn_is_silent(second, 0.3),
             "client 2's PING was answered while client 1 was still connected: a sequential "
             "server serves one connection at a time, so client 2 should wait until client 1 "
             "leaves (a task per connection is lab 02, not this one)");
    sl_conn_send_words(first, "PING", NULL); /* client 1 is still served meanwhile */
    SL_CHECK(got_an_answer(first, SL_REPLY_TIMEOUT, got, sizeof got),
             "client 1 sent a second PING while client 2 waited, and got %s", got);
    sl_conn_close(first);
    first = NULL;
    /* Now the loop goes back to accepting: client 2's PING is answered at last. */
    SL_CHECK(got_an_answer(second, SL_REPLY_TIMEOUT, got, sizeof got),
             "client 1 disconnected, so the loop should accept client 2 and answer the PING it "
             "sent while it waited; within %.0f s client 2 got %s",
             SL_REPLY_TIMEOUT, got);
out:
    if (first)
        sl_conn_close(first);
    if (second)
        sl_conn_close(second);
    sl_server_stop(s, STOP_SECONDS);
}

/* ---------------------------------------------------------------- compatibility */

static void test_lab01_redis_cli(void)
{
    if (access("/usr/bin/redis-cli", X_OK) != 0 && access("/usr/local/bin/redis-cli", X_OK) != 0) {
        printf("\n    SKIPPED: redis-cli not found (tools/deps.sh installs redis-tools)\n");
        return;
    }
    sl_server *s = sl_server_start("server", NULL);
    char script[256];
    /* One redis-cli process, one connection: state is per connection in this lab. */
    snprintf(script, sizeof script,
             "printf 'SET a 1\\nGET a\\nGET b\\nPING\\n' | redis-cli -p %d 2>&1",
             sl_server_port(s));
    const char *argv[] = {"/bin/sh", "-c", script, NULL};
    static sl_exit e;
    sl_run_program(argv, 10, &e);
    /* What redis-cli prints for +OK, $1 1, $-1 (an empty line when not on a terminal), +PONG */
    static const char expected[] = "OK\n1\n\nPONG\n";
    SL_CHECK(e.exited && e.status == 0 && strcmp(e.output, expected) == 0,
             "\n      ran:      %s\n      expected: OK / 1 / (empty line for nil) / PONG\n"
             "      got:      %s (%s)",
             script, e.output, sl_exit_describe(&e));
    sl_server_stop(s, STOP_SECONDS);
}

/* ---------------------------------------------------------------- the table */

static const sl_test lab01_tests[] = {
    SL_TEST(test_lab01_every_command_answered, 2,
            "chapters/01-sequential.md#step-1-answer-every-command"),
    SL_TEST(test_lab01_serves_client_after_client, 1, "chapters/01-sequential.md#the-accept-loop"),
    SL_TEST(test_lab01_protocol_error_closes, 1, "chapters/01-sequential.md#framing"),
    SL_TEST(test_lab01_ping, 1, "chapters/01-sequential.md#commands"),
    SL_TEST(test_lab01_set_then_get, 2, "chapters/01-sequential.md#step-2-get-and-set"),
    SL_TEST(test_lab01_get_missing_key, 1, "chapters/01-sequential.md#step-2-get-and-set"),
    SL_TEST(test_lab01_wrong_arguments, 1, "chapters/01-sequential.md#commands"),
    SL_TEST(test_lab01_pipelined_commands, 2, "chapters/01-sequential.md#pipelining"),
    SL_TEST(test_lab01_state_per_connection, 1, "chapters/01-sequential.md#step-2-get-and-set"),
    SL_TEST(test_lab01_second_client_waits, 4,
            "chapters/01-sequential.md#why-one-client-blocks-the-rest"),
    SL_TEST(test_lab01_redis_cli, 2, "chapters/01-sequential.md#commands"),
    SL_TEST_END,
};

static const sl_suite suites[] = {
    {"lab01", lab01_tests, 30},
    SL_SUITE_END,
};

int main(int argc, char **argv)
{
    return sl_main(argc, argv, suites);
}
