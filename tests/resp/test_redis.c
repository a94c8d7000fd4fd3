/*
 * test_redis.c - the real Redis is the specification: we start redis-server on a
 * free port, send it the same requests, and check that our parser reaches the same
 * verdict with the same error text, byte for byte.
 *
 * redis-server is started as
 *     redis-server --port P --bind 127.0.0.1 --save "" --appendonly no --daemonize no
 * on a port P found by binding 127.0.0.1:0 and closing (port 0 would turn TCP off in
 * Redis), and stopped by its pid at the end of each test. Without redis-server the
 * tests print "SKIPPED:" and pass.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "resp_tests.h"

/* The server itself comes from the harness (sl_redis_start): tests/harness/redis.c. */

/* ------------------------------------------------------------ talking to it */

/* Reads one whole reply frame (parsed with our own parser); NULL on timeout or EOF. */
static frame *read_reply(sl_conn *c)
{
    buf *in = buf_new();
    frame *reply = NULL;
    double deadline = sl_now() + SL_REPLY_TIMEOUT;
    while (reply == NULL && sl_now() < deadline) {
        size_t used;
        if (buf_len(in) > 0 &&
            frame_parse(buf_data(in), buf_len(in), NULL, &reply, &used, NULL) == FRAME_OK)
            break;
        char chunk[4096];
        ssize_t n = sl_conn_read_some(c, chunk, sizeof chunk, deadline - sl_now());
        if (n < 0)
            break;
        buf_append(in, chunk, (size_t)n);
    }
    buf_free(in);
    return reply;
}

static char *words(const void *raw, size_t len)
{
    static char text[3][1024];
    static int next;
    char *out = text[next++ % 3];
    sl_resp_words(raw, len, out, sizeof text[0]);
    return out;
}

static char *wire_words(const frame *f)
{
    if (f == NULL)
        return "(nothing)";
    size_t len;
    char *raw = wire_of(f, &len);
    char *shown = words(raw, len);
    free(raw);
    return shown;
}

/* Sends request to Redis and to cmd_parse; both must accept it, or both refuse it
 * with the same error frame. */
static void compare_command(sl_conn *c, frame *request)
{
    size_t len;
    char *raw = wire_of(request, &len);
    sl_conn_send_raw(c, raw, len);
    free(raw);
    frame *theirs = read_reply(c);

    cmd parsed;
    frame *ours = NULL;
    int rc = cmd_parse(request, &parsed, &ours);
    cmd_clear(&parsed);
    const char *sent = wire_words(request);
    if (theirs == NULL) {
        SL_FAIL("sent %s: redis-server sent no reply", sent);
    } else if (frame_get_kind(theirs) == FRAME_ERROR) {
        SL_CHECK(rc == -EINVAL && ours != NULL && frame_equals(ours, theirs),
                 "sent:     %s\n    redis:    %s\n    ours:     %s", sent, wire_words(theirs),
                 rc == 0 ? "(accepted the command)" : wire_words(ours));
    } else {
        SL_CHECK(rc == 0, "sent:     %s\n    redis:    accepted (%s)\n    ours:     %s", sent,
                 wire_words(theirs), wire_words(ours));
    }
    frame_free(theirs);
    frame_free(ours);
    frame_free(request);
}

/* ------------------------------------------------------------ the tests */

#define W(...) words_request(__VA_ARGS__, (const char *)NULL)

static void test_redis_command_errors_match(void)
{
    sl_redis r;
    if (!sl_redis_start(&r))
        return;
    sl_conn *c = sl_conn_open(r.port);
    char long_arg[201];
    memset(long_arg, 'a', 200);
    long_arg[200] = '\0';

    frame *requests[] = {
        /* wrong number of arguments */
        W("GET"),
        W("get", "a", "b"),
        W("SET", "a"),
        W("PING", "a", "b"),
        W("ECHO"),
        W("DEL"),
        W("INCR"),
        W("INCR", "a", "b"),
        W("PUBLISH", "ch"),
        W("SUBSCRIBE"),
        W("CONFIG"),
        W("CONFIG", "GET"),
        W("CONFIG", "FOO"),
        W("config", "foo", "a", "b"),
        /* unknown commands, their echoed arguments cut near 128 characters */
        W("FOO"),
        W("fOo", "a", "b c"),
        W("x\r\ny", "1\n"),
        W("FOO", long_arg, "more"),
        W("FOO", "b", long_arg, "c"),
        W("FOO", "0123456789", "0123456789", "0123456789", "0123456789", "0123456789", "0123456789",
          "0123456789", "0123456789", "0123456789", "0123456789", "0123456789", "0123456789"),
        /* SET's options and integers */
        W("SET", "k", "v", "NX", "XX"),
        W("SET", "k", "v", "XX", "NX"),
        W("SET", "k", "v", "EX", "10", "PX", "10"),
        W("SET", "k", "v", "EX"),
        W("SET", "k", "v", "FOO"),
        W("SET", "k", "v", "EX", "abc"),
        W("SET", "k", "v", "EX", "abc", "NX", "XX"),
        W("SET", "k", "v", "EX", "1.5"),
        W("SET", "k", "v", "EX", "0"),
        W("SET", "k", "v", "PX", "-5"),
        W("SET", "k", "v", "EX", "+5"),
        W("SET", "k", "v", "EX", "05"),
        W("SET", "k", "v", "EX", "9223372036854775807"),
        W("SET", "k", "v", "PX", "9223372036854775807"),
        W("SET", "k", "v", "PX", "9223372036854775808"),
        /* accepted by both, whatever the case */
        W("PING"),
        W("ping", "hi"),
        W("Echo", "x"),
        W("SET", "k", "v"),
        W("set", "k", "v", "ex", "10", "nX"),
        W("SET", "k", "v", "xx", "Px", "1500"),
        W("SET", "k", "v", "EX", "1", "EX", "2", "NX", "NX"),
        W("GET", "k"),
        W("DEL", "a", "b"),
        W("INCR", "counter"),
        W("PUBLISH", "ch", "m"),
        W("CONFIG", "GET", "save"),
        W("COMMAND", "COUNT"),
        W("UNSUBSCRIBE"),
    };
    for (size_t i = 0; i < sizeof requests / sizeof requests[0]; i++)
        compare_command(c, requests[i]);

    /* Redis's texts are C strings: a NUL byte ends the name and arguments it echoes. */
    frame *with_nul = frame_new_array();
    frame_array_push(with_nul, frame_new_bulk_copy("a\0b", 3));
    frame_array_push(with_nul, frame_new_bulk_copy("c\0d", 3));
    compare_command(c, with_nul);

    sl_conn_close(c);
    sl_redis_stop(&r);
}

/* Sends words and checks that the reply is exactly expected (a frame we own). */
static void expect_reply(sl_conn *c, frame *request, frame *expected)
{
    size_t len;
    char *raw = wire_of(request, &len);
    sl_conn_send_raw(c, raw, len);
    free(raw);
    frame *theirs = read_reply(c);
    SL_CHECK(theirs != NULL && frame_equals(theirs, expected),
             "sent:     %s\n    redis:    %s\n    ours:     %s", wire_words(request),
             wire_words(theirs), wire_words(expected));
    frame_free(theirs);
    frame_free(expected);
    frame_free(request);
}

static void test_redis_execution_errors_match(void)
{
    sl_redis r;
    if (!sl_redis_start(&r))
        return;
    sl_conn *c = sl_conn_open(r.port);
    expect_reply(c, W("SET", "n", "abc"), frame_new_simple("OK"));
    expect_reply(c, W("INCR", "n"), cmd_error_not_integer());
    expect_reply(c, W("SET", "n", "9223372036854775807"), frame_new_simple("OK"));
    expect_reply(c, W("INCR", "n"), cmd_error_overflow());

    /* Empty requests get no reply at all: the PING's answer comes first. */
    sl_conn_send_raw(c, "*0\r\n\r\n*-1\r\n", 11);
    expect_reply(c, W("PING"), frame_new_simple("PONG"));
    static const char *const empties[] = {"*0\r\n", "\r\n", "*-1\r\n", "   \r\n"};
    for (size_t i = 0; i < sizeof empties / sizeof empties[0]; i++) {
        frame *request = NULL, *error = NULL;
        size_t used;
        cmd parsed;
        int rc = frame_parse_request((const uint8_t *)empties[i], strlen(empties[i]), NULL,
                                     &request, &used, NULL);
        SL_CHECK(rc == FRAME_OK && cmd_parse(request, &parsed, &error) == 0 &&
                     parsed.kind == CMD_EMPTY,
                 "expected %s to be an empty request (CMD_EMPTY)",
                 words(empties[i], strlen(empties[i])));
        frame_free(request);
    }

    /* In subscribe mode most commands are refused, naming the command. */
    size_t len;
    frame *subscribe = W("SUBSCRIBE", "ch");
    char *raw = wire_of(subscribe, &len);
    sl_conn_send_raw(c, raw, len);
    free(raw);
    frame_free(subscribe);
    frame_free(read_reply(c)); /* the subscribe confirmation */
    expect_reply(c, W("GET", "k"), cmd_error_subscribe_context(CMD_GET));
    expect_reply(c, W("set", "k", "v"), cmd_error_subscribe_context(CMD_SET));
    expect_reply(c, W("CONFIG", "GET", "x"), cmd_error_subscribe_context(CMD_CONFIG_GET));
    sl_conn_close(c);
    sl_redis_stop(&r);
}

/* Malformed requests: Redis answers "-ERR Protocol error: <what>" and closes; our
 * message must start with the same <what> (ours adds details and the byte offset).
 * Inline commands: Redis and we must split the line into the same words. */
static void test_redis_protocol_errors_and_inline_match(void)
{
    sl_redis r;
    if (!sl_redis_start(&r))
        return;
    static const char *const bad[] = {
        "*1\r\n$-5\r\n",       "*abc\r\n",      "*1\r\n+x\r\n", "*1\r\n$abc\r\n", "ECHO \"abc\r\n",
        "ECHO \"abc\"def\r\n", "ECHO 'abc\r\n",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sl_conn *c = sl_conn_open(r.port);
        sl_conn_send_raw(c, bad[i], strlen(bad[i]));
        frame *theirs = read_reply(c);
        frame *request = NULL;
        size_t used;
        frame_error error = {0};
        int rc = frame_parse_request((const uint8_t *)bad[i], strlen(bad[i]), NULL, &request, &used,
                                     &error);
        const char *prefix = "ERR Protocol error: ";
        bool is_match = theirs != NULL && frame_get_kind(theirs) == FRAME_ERROR && rc < 0;
        if (is_match) {
            const char *text = (const char *)bytes_data(frame_get_bytes(theirs));
            is_match =
                strncmp(text, prefix, strlen(prefix)) == 0 &&
                strncmp(error.message, text + strlen(prefix), strlen(text + strlen(prefix))) == 0;
        }
        SL_CHECK(is_match, "sent:     %s\n    redis:    %s\n    ours:     status %d \"%s\"",
                 words(bad[i], strlen(bad[i])), wire_words(theirs), rc, error.message);
        frame_free(theirs);
        frame_free(request);
        sl_conn_close(c);
    }

    static const char *const lines[] = {
        "ECHO a\"b c\"\r\n", "ECHO \"a\\tb\\x41\\\"\"\r\n", "ECHO 'it\\'s'\r\n",
        "ECHO \"\"\r\n",     "  ECHO \t spaced  \n",        "ECHO \"\\xZZ\\q\"\r\n",
    };
    sl_conn *c = sl_conn_open(r.port);
    for (size_t i = 0; i < sizeof lines / sizeof lines[0]; i++) {
        sl_conn_send_raw(c, lines[i], strlen(lines[i]));
        frame *theirs = read_reply(c);
        frame *request = NULL, *error = NULL;
        size_t used;
        cmd parsed = {.kind = CMD_EMPTY};
        bool is_match = frame_parse_request((const uint8_t *)lines[i], strlen(lines[i]), NULL,
                                            &request, &used, NULL) == FRAME_OK &&
                        cmd_parse(request, &parsed, &error) == 0 && parsed.kind == CMD_ECHO &&
                        theirs != NULL && frame_get_kind(theirs) == FRAME_BULK &&
                        bytes_equals(parsed.echo.message, frame_get_bytes(theirs));
        SL_CHECK(is_match, "inline %s\n    redis:    %s\n    ours:     %s",
                 words(lines[i], strlen(lines[i])), wire_words(theirs),
                 request ? wire_words(request) : "(no request)");
        cmd_clear(&parsed);
        frame_free(error);
        frame_free(request);
        frame_free(theirs);
    }
    sl_conn_close(c);
    sl_redis_stop(&r);
}

const sl_test redis_tests[] = {
    SL_TEST(test_redis_command_errors_match, 1, NULL),
    SL_TEST(test_redis_execution_errors_match, 1, NULL),
    SL_TEST(test_redis_protocol_errors_and_inline_match, 1, NULL),
    SL_TEST_END,
};
