/*
 * test_frame.c - RESP2 frames: every kind parsed whole, one byte at a time and split
 * at random points; every prefix is "need more"; pipelines; malformed input and each
 * limit give a protocol error that says what and where; exact serialized bytes;
 * serialize -> parse round trips of random frames.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resp_tests.h"

/* A literal with its exact length, embedded NULs included. */
#define WIRE(text)                                                                                 \
    {                                                                                              \
        text, sizeof(text) - 1                                                                     \
    }

typedef struct wire {
    const char *raw;
    size_t len;
} wire;

/* Valid frames in canonical form: serializing what we parse gives the same bytes. */
static const wire valid_frames[] = {
    WIRE("+OK\r\n"),
    WIRE("+\r\n"),
    WIRE("-ERR unknown command 'FOO'\r\n"),
    WIRE(":0\r\n"),
    WIRE(":-42\r\n"),
    WIRE(":9223372036854775807\r\n"),
    WIRE(":-9223372036854775808\r\n"),
    WIRE("$5\r\nhello\r\n"),
    WIRE("$0\r\n\r\n"),
    WIRE("$-1\r\n"),
    WIRE("$4\r\na\r\nb\r\n"),     /* CRLF inside a bulk string is just data */
    WIRE("$3\r\n\0\x01\xff\r\n"), /* so are NUL and any byte */
    WIRE("*0\r\n"),
    WIRE("*-1\r\n"),
    WIRE("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n"),
    WIRE("*2\r\n*1\r\n:1\r\n*3\r\n+a\r\n$-1\r\n-E\r\n"),
    WIRE("*1\r\n*-1\r\n"),
};
#define NVALID (sizeof valid_frames / sizeof valid_frames[0])

static char *words(const void *raw, size_t len)
{
    static char text[4][512];
    static int next;
    char *out = text[next++ % 4];
    sl_resp_words(raw, len, out, sizeof text[0]);
    return out;
}

/* ------------------------------------------------------------ valid frames */

static void test_frame_parse_each_kind(void)
{
    static const struct {
        wire in;
        frame_kind kind;
    } cases[] = {
        {WIRE("+OK\r\n"), FRAME_SIMPLE},     {WIRE("-ERR x\r\n"), FRAME_ERROR},
        {WIRE(":-7\r\n"), FRAME_INTEGER},    {WIRE("$2\r\nhi\r\n"), FRAME_BULK},
        {WIRE("$-1\r\n"), FRAME_NULL},       {WIRE("*1\r\n:1\r\n"), FRAME_ARRAY},
        {WIRE("*-1\r\n"), FRAME_NULL_ARRAY},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        frame *f = NULL;
        size_t used = 0;
        int rc =
            frame_parse((const uint8_t *)cases[i].in.raw, cases[i].in.len, NULL, &f, &used, NULL);
        SL_CHECK_FATAL(rc == FRAME_OK && f != NULL, "%s: expected a frame, got status %d",
                       words(cases[i].in.raw, cases[i].in.len), rc);
        SL_CHECK(frame_get_kind(f) == cases[i].kind, "%s: expected a %s, got a %s",
                 words(cases[i].in.raw, cases[i].in.len), frame_kind_name(cases[i].kind),
                 frame_kind_name(frame_get_kind(f)));
        SL_CHECK(used == cases[i].in.len, "expected all %zu bytes consumed, got %zu",
                 cases[i].in.len, used);
        frame_free(f);
    }

    frame *f = NULL;
    size_t used = 0;
    const char *in = "*3\r\n+OK\r\n:-7\r\n$2\r\nhi\r\n";
    SL_CHECK_FATAL(frame_parse((const uint8_t *)in, strlen(in), NULL, &f, &used, NULL) == FRAME_OK,
                   "expected an array");
    SL_CHECK_FATAL(frame_array_len(f) == 3, "expected 3 elements, got %zu", frame_array_len(f));
    SL_CHECK(bytes_equals_str(frame_get_bytes(frame_array_get(f, 0)), "OK"), "expected OK first");
    SL_CHECK(frame_get_integer(frame_array_get(f, 1)) == -7, "expected -7 second");
    SL_CHECK(bytes_equals_str(frame_get_bytes(frame_array_get(f, 2)), "hi"), "expected hi third");
    frame_free(f);
}

/* Every valid frame, fed whole, one byte at a time and at random split points, gives
 * exactly one frame that serializes back to the input. */
static void test_frame_parse_valid_in_every_split(void)
{
    for (size_t i = 0; i < NVALID; i++) {
        for (int mode = 0; mode < SPLIT_MODES; mode++) {
            for (unsigned round = 0; round < (mode == SPLIT_RANDOM ? 20u : 1u); round++) {
                unsigned seed = resp_seed() + round;
                feed_result r;
                feed_parser(valid_frames[i].raw, valid_frames[i].len, mode, seed, false, NULL, &r);
                bool is_one = frame_array_len(r.frames) == 1 && r.leftover == 0 &&
                              r.status == FRAME_NEED_MORE;
                SL_CHECK(
                    is_one,
                    "%s fed %s (seed %u): expected one frame, got %zu, status %d (%s), %zu left",
                    words(valid_frames[i].raw, valid_frames[i].len), split_name(mode), seed,
                    frame_array_len(r.frames), r.status, r.error.message, r.leftover);
                if (is_one) {
                    size_t len;
                    char *back = wire_of(frame_array_get(r.frames, 0), &len);
                    SL_CHECK(len == valid_frames[i].len &&
                                 memcmp(back, valid_frames[i].raw, len) == 0,
                             "expected %s to serialize back to itself, got %s",
                             words(valid_frames[i].raw, valid_frames[i].len), words(back, len));
                    free(back);
                }
                feed_result_clear(&r);
            }
        }
    }
}

/* Any proper prefix of a frame is "need more", never an error and never a frame. */
static void test_frame_every_prefix_needs_more(void)
{
    for (size_t i = 0; i < NVALID; i++) {
        for (size_t n = 0; n < valid_frames[i].len; n++) {
            uint8_t *exact = malloc(n ? n : 1); /* exact size: ASan sees any overread */
            memcpy(exact, valid_frames[i].raw, n);
            frame *f = (frame *)1;
            size_t used = 99;
            int rc = frame_parse(exact, n, NULL, &f, &used, NULL);
            SL_CHECK(rc == FRAME_NEED_MORE && f == NULL && used == 0,
                     "the first %zu bytes of %s: expected need-more, no frame, 0 consumed; got %d",
                     n, words(valid_frames[i].raw, valid_frames[i].len), rc);
            free(exact);
        }
    }
}

/* All valid frames back to back, three times over: a client pipelining requests. */
static void test_frame_parse_pipelined(void)
{
    buf *stream = buf_new();
    for (int repeat = 0; repeat < 3; repeat++)
        for (size_t i = 0; i < NVALID; i++)
            buf_append(stream, valid_frames[i].raw, valid_frames[i].len);
    for (int mode = 0; mode < SPLIT_MODES; mode++) {
        feed_result r;
        feed_parser(buf_data(stream), buf_len(stream), mode, resp_seed(), false, NULL, &r);
        SL_CHECK_FATAL(frame_array_len(r.frames) == 3 * NVALID && r.leftover == 0,
                       "fed %s (seed %u): expected %zu frames, got %zu (status %d: %s)",
                       split_name(mode), resp_seed(), 3 * NVALID, frame_array_len(r.frames),
                       r.status, r.error.message);
        for (size_t k = 0; k < 3 * NVALID; k++) {
            size_t len;
            char *back = wire_of(frame_array_get(r.frames, k), &len);
            const wire *want = &valid_frames[k % NVALID];
            SL_CHECK(len == want->len && memcmp(back, want->raw, len) == 0,
                     "frame %zu fed %s: expected %s, got %s", k, split_name(mode),
                     words(want->raw, want->len), words(back, len));
            free(back);
        }
        feed_result_clear(&r);
    }
    buf_free(stream);
}

/* One parse call hands out the first of several frames already buffered; the rest
 * wait in the buffer for the next call, with no new read in between. */
static void test_frame_parse_leaves_the_rest_for_the_next_call(void)
{
    const char *in = "+first\r\n:2\r\n$5\r\nthi";
    size_t len = strlen(in), used = 0, offset = 0;
    frame *f = NULL;
    SL_CHECK_FATAL(frame_parse((const uint8_t *)in, len, NULL, &f, &used, NULL) == FRAME_OK,
                   "expected the first frame");
    SL_CHECK(used == 8, "expected 8 bytes for +first, got %zu", used);
    frame_free(f);
    offset += used;
    SL_CHECK_FATAL(frame_parse((const uint8_t *)in + offset, len - offset, NULL, &f, &used, NULL) ==
                       FRAME_OK,
                   "expected the second frame");
    SL_CHECK(frame_get_integer(f) == 2 && used == 4, "expected :2 in 4 bytes");
    frame_free(f);
    offset += used;
    int rc = frame_parse((const uint8_t *)in + offset, len - offset, NULL, &f, &used, NULL);
    SL_CHECK(rc == FRAME_NEED_MORE, "expected the cut bulk string to need more, got %d", rc);
}

/* ------------------------------------------------------------ malformed input */

typedef struct bad_case {
    wire in;
    int code;
    size_t offset;
    const char *message; /* the start of the expected message */
} bad_case;

static const bad_case malformed[] = {
    {WIRE("?abc\r\n"), FRAME_EPROTO, 0, "invalid frame type byte '?'"},
    {WIRE("\x00"), FRAME_EPROTO, 0, "invalid frame type byte \\x00"},
    {WIRE("$-2\r\n"), FRAME_EPROTO, 0, "invalid bulk length '-2'"},
    {WIRE("$abc\r\n"), FRAME_EPROTO, 1, "invalid bulk length 'abc'"},
    {WIRE("$\r\n"), FRAME_EPROTO, 1, "invalid bulk length ''"},
    {WIRE("$+5\r\nhello\r\n"), FRAME_EPROTO, 1, "invalid bulk length '+5'"},
    {WIRE("$05\r\nhello\r\n"), FRAME_EPROTO, 1, "invalid bulk length '05'"},
    {WIRE("$ 5\r\nhello\r\n"), FRAME_EPROTO, 1, "invalid bulk length ' 5'"},
    {WIRE("*-2\r\n"), FRAME_EPROTO, 0, "invalid multibulk length '-2'"},
    {WIRE("*x\r\n"), FRAME_EPROTO, 1, "invalid multibulk length 'x'"},
    {WIRE(":12a\r\n"), FRAME_EPROTO, 1, "invalid integer '12a'"},
    {WIRE(":-0\r\n"), FRAME_EPROTO, 1, "invalid integer '-0'"},
    {WIRE(":9223372036854775808\r\n"), FRAME_EPROTO, 1, "invalid integer '9223372036854775808'"},
    {WIRE(":-9223372036854775809\r\n"), FRAME_EPROTO, 1, "invalid integer"},
    {WIRE("$3\r\nabcd\r\n"), FRAME_EPROTO, 7,
     "bulk string of declared length 3 is not followed by CRLF"},
    {WIRE("$3\r\nab\r\n\r\n"), FRAME_EPROTO, 7,
     "bulk string of declared length 3 is not followed by CRLF"},
    {WIRE("$3\r\nabc\rX"), FRAME_EPROTO, 8,
     "bulk string of declared length 3 is not followed by CRLF"},
    {WIRE("+OK\n"), FRAME_EPROTO, 3, "expected CRLF after simple string, got LF without CR"},
    {WIRE("+OK\rX"), FRAME_EPROTO, 4, "expected CRLF after simple string, got CR followed by 'X'"},
    {WIRE("-E\r\r\n"), FRAME_EPROTO, 3, "expected CRLF after error, got CR followed by \\r"},
    {WIRE("$2\nhi\r\n"), FRAME_EPROTO, 2, "expected CRLF after bulk length, got LF without CR"},
    {WIRE("*2\r\n:1\r\n?\r\n"), FRAME_EPROTO, 8, "invalid frame type byte '?'"},
    {WIRE("*1\r\n*1\r\n$-3\r\n"), FRAME_EPROTO, 8, "invalid bulk length '-3'"},
    {WIRE("$123456789012345678901\r\n"), FRAME_ETOOBIG, 1, "bulk length longer than 20 bytes"},
    {WIRE("*99999999999999999999\r\n"), FRAME_EPROTO, 1,
     "invalid multibulk length '99999999999999999999'"},
};

static void check_bad(const bad_case *c, const frame_limits *limits, bool is_request)
{
    for (int mode = 0; mode < SPLIT_MODES; mode++) {
        feed_result r;
        feed_parser(c->in.raw, c->in.len, mode, resp_seed(), is_request, limits, &r);
        bool is_match = r.status == c->code && r.error.offset == c->offset &&
                        strncmp(r.error.message, c->message, strlen(c->message)) == 0;
        SL_CHECK(is_match,
                 "%s fed %s (seed %u): expected status %d \"%s...\" at byte %zu; got status %d "
                 "\"%s\" at byte %zu",
                 words(c->in.raw, c->in.len), split_name(mode), resp_seed(), c->code, c->message,
                 c->offset, r.status, r.status < 0 ? r.error.message : "", r.error.offset);
        SL_CHECK(frame_array_len(r.frames) == 0, "%s: expected no frame before the error, got %zu",
                 words(c->in.raw, c->in.len), frame_array_len(r.frames));
        if (r.status < 0) {
            char where[32];
            snprintf(where, sizeof where, " at byte %zu", c->offset);
            SL_CHECK(strstr(r.error.message, where) != NULL,
                     "expected the message to say where: '%s'", r.error.message);
        }
        feed_result_clear(&r);
    }
}

static void test_frame_malformed_is_a_protocol_error(void)
{
    for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++)
        check_bad(&malformed[i], NULL, false);
}

/* An error after good frames: the good ones come out first, then the error. */
static void test_frame_error_after_pipelined_frames(void)
{
    const char in[] = "+OK\r\n:1\r\n!oops\r\n";
    for (int mode = 0; mode < SPLIT_MODES; mode++) {
        feed_result r;
        feed_parser(in, sizeof in - 1, mode, resp_seed(), false, NULL, &r);
        /* The error comes as soon as the bad byte arrives, at offset 0 of what is left. */
        size_t left = mode == SPLIT_WHOLE ? 7 : r.leftover;
        SL_CHECK(frame_array_len(r.frames) == 2 && r.status == FRAME_EPROTO && r.leftover == left &&
                     left >= 1 && r.error.offset == 0,
                 "fed %s: expected 2 frames then a protocol error at the '!'; got %zu frames, "
                 "status %d, %zu left",
                 split_name(mode), frame_array_len(r.frames), r.status, r.leftover);
        feed_result_clear(&r);
    }
}

/* ------------------------------------------------------------ limits */

static const frame_limits small_limits = {
    .max_bulk_len = 10,
    .max_array_len = 3,
    .max_depth = 2,
    .max_line_len = 8,
};

static void test_frame_limits_allow_exactly_the_limit(void)
{
    static const wire at_limit[] = {
        WIRE("$10\r\n0123456789\r\n"), WIRE("*3\r\n:1\r\n:2\r\n:3\r\n"),
        WIRE("*1\r\n*1\r\n:1\r\n"),    WIRE("+12345678\r\n"),
        WIRE("-12345678\r\n"),
    };
    for (size_t i = 0; i < sizeof at_limit / sizeof at_limit[0]; i++) {
        feed_result r;
        feed_parser(at_limit[i].raw, at_limit[i].len, SPLIT_BYTE_BY_BYTE, 0, false, &small_limits,
                    &r);
        SL_CHECK(frame_array_len(r.frames) == 1 && r.status == FRAME_NEED_MORE,
                 "%s at the limit: expected a frame, got status %d (%s)",
                 words(at_limit[i].raw, at_limit[i].len), r.status, r.error.message);
        feed_result_clear(&r);
    }
}

static void test_frame_limits_reject_one_more(void)
{
    /* The declared sizes are refused before any payload arrives: a client cannot
     * make us wait for (and buffer) 11 bytes when 10 is the limit. */
    static const bad_case over[] = {
        {WIRE("$11\r\n"), FRAME_ETOOBIG, 0, "invalid bulk length 11: over the limit of 10 bytes"},
        {WIRE("*4\r\n"), FRAME_ETOOBIG, 0,
         "invalid multibulk length 4: over the limit of 3 elements"},
        {WIRE("*1\r\n*1\r\n*1\r\n"), FRAME_ETOOBIG, 8, "arrays nested deeper than 2 levels"},
        {WIRE("+123456789"), FRAME_ETOOBIG, 1, "simple string longer than 8 bytes"},
        {WIRE("+123456789\r\n"), FRAME_ETOOBIG, 1, "simple string longer than 8 bytes"},
        {WIRE("-123456789\r\n"), FRAME_ETOOBIG, 1, "error longer than 8 bytes"},
    };
    for (size_t i = 0; i < sizeof over / sizeof over[0]; i++)
        check_bad(&over[i], &small_limits, false);
}

/* With the default limits, nesting stops at 32 levels even when the input is a
 * million levels deep: the parser's stack stays small. */
static void test_frame_default_depth_limit_protects_the_stack(void)
{
    size_t levels = 1000000;
    char *deep = malloc(4 * levels);
    for (size_t i = 0; i < levels; i++)
        memcpy(deep + 4 * i, "*1\r\n", 4);
    frame *f = NULL;
    size_t used = 0;
    frame_error error;
    int rc = frame_parse((const uint8_t *)deep, 4 * levels, NULL, &f, &used, &error);
    SL_CHECK(rc == FRAME_ETOOBIG && error.offset == 4 * 32,
             "expected the 33rd level (byte %d) to be refused, got status %d (%s)", 4 * 32, rc,
             error.message);
    rc = frame_parse((const uint8_t *)deep, 4 * 32, NULL, &f, &used, &error);
    SL_CHECK(rc == FRAME_NEED_MORE, "expected 32 levels to be fine (need more), got %d (%s)", rc,
             error.message);
    free(deep);

    const char *huge = "*1048577\r\n";
    rc = frame_parse((const uint8_t *)huge, strlen(huge), NULL, &f, &used, &error);
    SL_CHECK(rc == FRAME_ETOOBIG, "expected a 1 Mi + 1 element array to be refused, got %d", rc);
    const char *big_bulk = "$536870913\r\n";
    rc = frame_parse((const uint8_t *)big_bulk, strlen(big_bulk), NULL, &f, &used, &error);
    SL_CHECK(rc == FRAME_ETOOBIG, "expected a 512 MiB + 1 bulk string to be refused, got %d", rc);
}

/* ------------------------------------------------------------ serializing */

static void check_wire(frame *f, const char *expected, size_t expected_len)
{
    size_t len;
    char *got = wire_of(f, &len);
    SL_CHECK(len == expected_len && memcmp(got, expected, len) == 0, "expected %s, got %s",
             words(expected, expected_len), words(got, len));
    free(got);
    frame_free(f);
}
#define CHECK_WIRE(f, literal) check_wire((f), literal, sizeof(literal) - 1)

static void test_frame_serialize_exact_bytes(void)
{
    CHECK_WIRE(frame_new_simple("OK"), "+OK\r\n");
    CHECK_WIRE(frame_new_simple("two\r\nlines\n"), "+two  lines \r\n");
    CHECK_WIRE(frame_new_error("ERR no"), "-ERR no\r\n");
    CHECK_WIRE(frame_new_errorf("ERR %s '%d'", "bad", 7), "-ERR bad '7'\r\n");
    CHECK_WIRE(frame_new_errorf("ERR key '%s'", "a\r\nb"), "-ERR key 'a  b'\r\n");
    CHECK_WIRE(frame_new_integer(0), ":0\r\n");
    CHECK_WIRE(frame_new_integer(INT64_MIN), ":-9223372036854775808\r\n");
    CHECK_WIRE(frame_new_integer(INT64_MAX), ":9223372036854775807\r\n");
    CHECK_WIRE(frame_new_bulk_str("hello"), "$5\r\nhello\r\n");
    CHECK_WIRE(frame_new_bulk_copy("a\0\r\n", 4), "$4\r\na\0\r\n\r\n");
    CHECK_WIRE(frame_new_bulk_copy(NULL, 0), "$0\r\n\r\n");
    CHECK_WIRE(frame_new_null(), "$-1\r\n");
    CHECK_WIRE(frame_new_null_array(), "*-1\r\n");
    CHECK_WIRE(frame_new_array(), "*0\r\n");

    frame *nested = frame_new_array();
    frame *inner = frame_new_array();
    frame_array_push(inner, frame_new_integer(1));
    frame_array_push(nested, frame_new_bulk_str("message"));
    frame_array_push(nested, inner);
    frame_array_push(nested, frame_new_null());
    CHECK_WIRE(nested, "*3\r\n$7\r\nmessage\r\n*1\r\n:1\r\n$-1\r\n");

    bytes *value = bytes_from_str("shared");
    frame *reply = frame_new_bulk(bytes_clone(value)); /* the frame takes the clone */
    SL_CHECK(frame_get_bytes(reply) == value,
             "expected the frame to hold the very bytes, not a copy");
    CHECK_WIRE(reply, "$6\r\nshared\r\n");
    SL_CHECK(bytes_refcount(value) == 1, "expected frame_free to release its reference");
    bytes_release(value);
}

/* A random frame: simple strings from a safe alphabet (they cannot hold CR or LF),
 * bulk strings of any bytes. */
static frame *random_frame(unsigned *state, int depth)
{
    unsigned pick = resp_random(state) % (depth < 4 ? 7 : 5);
    char text[24];
    size_t len = resp_random(state) % sizeof text;
    switch (pick) {
    case 0:
    case 1:
        for (size_t i = 0; i < len; i++)
            text[i] = (char)(' ' + resp_random(state) % 95);
        text[len] = '\0';
        return pick == 0 ? frame_new_simple(text) : frame_new_error(text);
    case 2:
        return frame_new_integer(
            (int64_t)(((uint64_t)resp_random(state) << 32) | resp_random(state)));
    case 3:
        for (size_t i = 0; i < len; i++)
            text[i] = (char)resp_random(state);
        return frame_new_bulk_copy(text, len);
    case 4:
        return resp_random(state) % 2 ? frame_new_null() : frame_new_null_array();
    default: {
        frame *array = frame_new_array();
        for (unsigned n = resp_random(state) % 5; n > 0; n--)
            frame_array_push(array, random_frame(state, depth + 1));
        return array;
    }
    }
}

static void test_frame_serialize_parse_round_trip(void)
{
    unsigned state = resp_seed();
    for (int i = 0; i < 300; i++) {
        frame *original = random_frame(&state, 0);
        size_t len;
        char *wire_bytes = wire_of(original, &len);
        split_mode mode = (split_mode)(i % SPLIT_MODES);
        feed_result r;
        feed_parser(wire_bytes, len, mode, state, false, NULL, &r);
        bool is_same = frame_array_len(r.frames) == 1 && r.leftover == 0 &&
                       frame_equals(frame_array_get(r.frames, 0), original);
        SL_CHECK(is_same,
                 "round trip %d (seed %u, fed %s): %s did not parse back to itself (status %d: %s)",
                 i, resp_seed(), split_name(mode), words(wire_bytes, len), r.status,
                 r.error.message);
        feed_result_clear(&r);
        free(wire_bytes);
        frame_free(original);
    }
}

const sl_test frame_tests[] = {
    SL_TEST(test_frame_parse_each_kind, 1, NULL),
    SL_TEST(test_frame_parse_valid_in_every_split, 1, NULL),
    SL_TEST(test_frame_every_prefix_needs_more, 1, NULL),
    SL_TEST(test_frame_parse_pipelined, 1, NULL),
    SL_TEST(test_frame_parse_leaves_the_rest_for_the_next_call, 1, NULL),
    SL_TEST(test_frame_malformed_is_a_protocol_error, 1, NULL),
    SL_TEST(test_frame_error_after_pipelined_frames, 1, NULL),
    SL_TEST(test_frame_limits_allow_exactly_the_limit, 1, NULL),
    SL_TEST(test_frame_limits_reject_one_more, 1, NULL),
    SL_TEST(test_frame_default_depth_limit_protects_the_stack, 1, NULL),
    SL_TEST(test_frame_serialize_exact_bytes, 1, NULL),
    SL_TEST(test_frame_serialize_parse_round_trip, 1, NULL),
    SL_TEST_END,
};
