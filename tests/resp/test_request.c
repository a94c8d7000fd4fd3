/*
 * test_request.c - the server's side of parsing: arrays of bulk strings as clients
 * send them, and inline commands as typed into telnet.
 */
#include <stdlib.h>
#include <string.h>

#include "resp_tests.h"

static char *words(const void *raw, size_t len)
{
    static char text[2][512];
    static int next;
    char *out = text[next++ % 2];
    sl_resp_words(raw, len, out, sizeof text[0]);
    return out;
}

/* Parses input as requests in every split mode; each request must equal the
 * corresponding expected array (given as its RESP encoding, for readable tables). */
static void check_requests(const char *input, size_t len, const char *expected_wire,
                           const frame_limits *limits)
{
    for (int mode = 0; mode < SPLIT_MODES; mode++) {
        feed_result r;
        feed_parser(input, len, mode, resp_seed(), true, limits, &r);
        size_t got_len;
        char *got = wire_of(r.frames, &got_len);
        /* r.frames is an array of the requests: compare its elements' wire forms. */
        size_t header = (size_t)(strchr(got, '\n') - got) + 1;
        SL_CHECK(r.status == FRAME_NEED_MORE && r.leftover == 0 &&
                     strcmp(got + header, expected_wire) == 0,
                 "%s fed %s (seed %u): expected %s, got %s (status %d %s, %zu left)",
                 words(input, len), split_name(mode), resp_seed(),
                 words(expected_wire, strlen(expected_wire)), words(got + header, got_len - header),
                 r.status, r.error.message, r.leftover);
        free(got);
        feed_result_clear(&r);
    }
}
#define CHECK_REQUESTS(input, expected) check_requests(input, sizeof(input) - 1, expected, NULL)

static void test_request_resp_array_of_bulks(void)
{
    CHECK_REQUESTS("*1\r\n$4\r\nPING\r\n", "*1\r\n$4\r\nPING\r\n");
    CHECK_REQUESTS("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\na\r\n\r\n",
                   "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\na\r\n\r\n");
    /* Redis ignores empty requests; they reach cmd_parse as CMD_EMPTY. */
    CHECK_REQUESTS("*0\r\n", "*0\r\n");
    CHECK_REQUESTS("*-1\r\n", "*-1\r\n");
}

static void test_request_inline_commands(void)
{
    CHECK_REQUESTS("PING\r\n", "*1\r\n$4\r\nPING\r\n");
    CHECK_REQUESTS("PING\n", "*1\r\n$4\r\nPING\r\n");
    CHECK_REQUESTS("  set \t a   b  \r\n", "*3\r\n$3\r\nset\r\n$1\r\na\r\n$1\r\nb\r\n");
    CHECK_REQUESTS("SET k \"hello world\"\r\n",
                   "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$11\r\nhello world\r\n");
    CHECK_REQUESTS("ECHO \"a\\tb\\x41\\\"\\\\\\n\"\r\n",
                   "*2\r\n$4\r\nECHO\r\n$7\r\na\tbA\"\\\n\r\n");
    CHECK_REQUESTS("ECHO 'it\\'s \"x\"'\r\n", "*2\r\n$4\r\nECHO\r\n$8\r\nit's \"x\"\r\n");
    CHECK_REQUESTS("ECHO a\"b c\"\r\n", "*2\r\n$4\r\nECHO\r\n$4\r\nab c\r\n");
    CHECK_REQUESTS("ECHO \"\"\r\n", "*2\r\n$4\r\nECHO\r\n$0\r\n\r\n");
    CHECK_REQUESTS("ECHO \"\\xZZ\"\r\n", "*2\r\n$4\r\nECHO\r\n$3\r\nxZZ\r\n");
    CHECK_REQUESTS("\r\n", "*0\r\n"); /* a blank line: an empty request */
    CHECK_REQUESTS("PING\r\n*1\r\n$4\r\nPING\r\nECHO x\n",
                   "*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$1\r\nx\r\n");
}

static void check_request_error(const char *input, size_t len, int code, size_t offset,
                                const char *message, const frame_limits *limits)
{
    for (int mode = 0; mode < SPLIT_MODES; mode++) {
        feed_result r;
        feed_parser(input, len, mode, resp_seed(), true, limits, &r);
        SL_CHECK(r.status == code && r.error.offset == offset &&
                     strncmp(r.error.message, message, strlen(message)) == 0,
                 "%s fed %s: expected status %d \"%s...\" at byte %zu; got %d \"%s\" at byte %zu",
                 words(input, len), split_name(mode), code, message, offset, r.status,
                 r.status < 0 ? r.error.message : "", r.error.offset);
        feed_result_clear(&r);
    }
}
#define CHECK_REQUEST_ERROR(input, code, offset, message, limits)                                  \
    check_request_error(input, sizeof(input) - 1, code, offset, message, limits)

static void test_request_errors(void)
{
    /* A request array holds bulk strings only; Redis's words for it. */
    CHECK_REQUEST_ERROR("*2\r\n$4\r\nECHO\r\n:1\r\n", FRAME_EPROTO, 14, "expected '$', got ':'",
                        NULL);
    CHECK_REQUEST_ERROR("*1\r\n*1\r\n$1\r\na\r\n", FRAME_EPROTO, 4, "expected '$', got '*'", NULL);
    CHECK_REQUEST_ERROR("*1\r\n$-5\r\n", FRAME_EPROTO, 4, "invalid bulk length '-5'", NULL);
    CHECK_REQUEST_ERROR("ECHO \"abc\r\n", FRAME_EPROTO, 0, "unbalanced quotes in request", NULL);
    CHECK_REQUEST_ERROR("ECHO \"abc\"def\r\n", FRAME_EPROTO, 0, "unbalanced quotes in request",
                        NULL);
    CHECK_REQUEST_ERROR("ECHO 'abc\r\n", FRAME_EPROTO, 0, "unbalanced quotes in request", NULL);

    static const frame_limits short_lines = {
        .max_bulk_len = 100,
        .max_array_len = 10,
        .max_depth = 1,
        .max_line_len = 8,
    };
    CHECK_REQUEST_ERROR("PING 12345", FRAME_ETOOBIG, 0, "too big inline request", &short_lines);
    CHECK_REQUEST_ERROR("*1\r\n$101\r\n", FRAME_ETOOBIG, 4, "invalid bulk length 101",
                        &short_lines);
    check_requests("PING 123\r\n", 10, "*2\r\n$4\r\nPING\r\n$3\r\n123\r\n", &short_lines);
}

const sl_test request_tests[] = {
    SL_TEST(test_request_resp_array_of_bulks, 1, NULL),
    SL_TEST(test_request_inline_commands, 1, NULL),
    SL_TEST(test_request_errors, 1, NULL),
    SL_TEST_END,
};
