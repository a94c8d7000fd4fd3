/*
 * test_conn.c - the buffered connection against a scripted peer.
 *
 * Each test opens a loopback pair inside its runtime: a conn on one end, a bare
 * rt_tcp_stream (the "peer") on the other, through which the test writes exactly the
 * bytes it wants, split exactly as it wants: whole frames, one byte at a time,
 * several frames in one segment, a frame cut short, garbage, a frame over a limit.
 */
#include "client_tests.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define MS RT_NS_PER_MS

/* ------------------------------------------------------------ helpers */

/* A connected pair on 127.0.0.1: *c reads what *peer writes, and the other way. */
static void open_pair(conn **c, rt_tcp_stream **peer)
{
    rt_tcp_listener *listener;
    int rc = rt_tcp_listen("127.0.0.1", 0, 1, &listener);
    SL_CHECK_FATAL(rc == 0, "rt_tcp_listen: %s", rt_strerror(rc));
    rt_tcp_stream *near;
    rc = rt_tcp_connect("127.0.0.1", rt_tcp_listener_port(listener), &near);
    SL_CHECK_FATAL(rc == 0, "rt_tcp_connect: %s", rt_strerror(rc));
    rc = rt_tcp_accept(listener, peer); /* the handshake is done: accept does not wait */
    SL_CHECK_FATAL(rc == 0, "rt_tcp_accept: %s", rt_strerror(rc));
    rt_tcp_listener_close(listener);
    *c = conn_new(near);
}

static void peer_send(rt_tcp_stream *peer, const char *text)
{
    int rc = rt_tcp_write_all(peer, text, strlen(text), NULL);
    SL_CHECK_FATAL(rc == 0, "the peer's write failed: %s", rt_strerror(rc));
}

static const char *code_name(int rc)
{
    switch (rc) {
    case CONN_OK:
        return "a frame";
    case CONN_EOF:
        return "CONN_EOF";
    case CONN_ETRUNCATED:
        return "CONN_ETRUNCATED";
    case CONN_EPROTO:
        return "CONN_EPROTO";
    case CONN_ETOOBIG:
        return "CONN_ETOOBIG";
    default:
        return rt_strerror(rc);
    }
}

/* Reads one frame and checks it equals expected (which it frees). */
static void expect_frame(conn *c, frame *expected)
{
    frame *got = NULL;
    int rc = conn_read_frame(c, &got);
    SL_CHECK(rc == CONN_OK && frame_equals(got, expected), "expected the %s frame, got %s (%s)",
             frame_kind_name(frame_get_kind(expected)), code_name(rc), conn_last_error(c));
    frame_free(got);
    frame_free(expected);
}

static void expect_code(conn *c, int expected)
{
    frame *got = NULL;
    int rc = conn_read_frame(c, &got);
    SL_CHECK(rc == expected && got == NULL, "expected %s, got %s (%s)", code_name(expected),
             code_name(rc), conn_last_error(c));
    frame_free(got);
}

static uint64_t nreads(const conn *c)
{
    conn_stats stats;
    conn_get_stats(c, &stats);
    return stats.nreads;
}

/* The frames every test can use, in wire form and built. */
static const char script[] = "+OK\r\n-ERR no\r\n:-42\r\n$5\r\nhello\r\n$-1\r\n"
                             "*2\r\n*1\r\n$1\r\na\r\n:7\r\n*-1\r\n";

static void expect_script(conn *c)
{
    expect_frame(c, frame_new_simple("OK"));
    expect_frame(c, frame_new_error("ERR no"));
    expect_frame(c, frame_new_integer(-42));
    expect_frame(c, frame_new_bulk_str("hello"));
    expect_frame(c, frame_new_null());
    frame *inner = frame_new_array();
    frame_array_push(inner, frame_new_bulk_str("a"));
    frame *outer = frame_new_array();
    frame_array_push(outer, inner);
    frame_array_push(outer, frame_new_integer(7));
    expect_frame(c, outer);
    expect_frame(c, frame_new_null_array());
}

/* ------------------------------------------------------------ whole frames, pipelining */

static void *whole_frames(void *unused)
{
    (void)unused;
    conn *c;
    rt_tcp_stream *peer;
    open_pair(&c, &peer);
    /* Three segments, each a whole frame (the conn reads each as it comes). */
    peer_send(peer, "+OK\r\n");
    expect_frame(c, frame_new_simple("OK"));
    peer_send(peer, "$5\r\nhello\r\n");
    expect_frame(c, frame_new_bulk_str("hello"));
    peer_send(peer, ":1\r\n");
    expect_frame(c, frame_new_integer(1));
    rt_tcp_close(peer);
    expect_code(c, CONN_EOF);
    expect_code(c, CONN_EOF); /* the end is sticky, and costs no read */
    SL_CHECK(nreads(c) == 4, "3 frames and an end of stream took %llu reads, not 4",
             (unsigned long long)nreads(c));
    conn_close(c);
    return NULL;
}

static void test_conn_reads_whole_frames_then_clean_eof(void)
{
    run_with(1, whole_frames, NULL);
    run_with(2, whole_frames, NULL);
}

static void *pipelined(void *unused)
{
    (void)unused;
    conn *c;
    rt_tcp_stream *peer;
    open_pair(&c, &peer);
    peer_send(peer, script); /* one write: one segment on loopback */
    expect_script(c);
    SL_CHECK(nreads(c) == 1, "7 frames that arrived in one segment took %llu reads, not 1",
             (unsigned long long)nreads(c));
    conn_stats stats;
    conn_get_stats(c, &stats);
    SL_CHECK(stats.frames_read == 7 && stats.bytes_read == strlen(script),
             "stats: %llu frames, %llu bytes read", (unsigned long long)stats.frames_read,
             (unsigned long long)stats.bytes_read);
    rt_tcp_close(peer);
    expect_code(c, CONN_EOF);
    conn_close(c);
    return NULL;
}

static void test_conn_pipelined_frames_take_one_read(void)
{
    run_with(1, pipelined, NULL);
    run_with(2, pipelined, NULL);
}

/* ------------------------------------------------------------ byte by byte */

struct trickle {
    rt_tcp_stream *peer;
    const char *bytes;
};

/* The peer task: one byte per segment, with a pause so that they do not coalesce. */
static void *trickle_task(void *arg)
{
    struct trickle *t = arg;
    for (size_t i = 0; t->bytes[i] != '\0'; i++) {
        if (rt_tcp_write_all(t->peer, &t->bytes[i], 1, NULL) != 0)
            break;
        rt_sleep_ms(1);
    }
    rt_tcp_close(t->peer);
    return NULL;
}

static void *byte_by_byte(void *unused)
{
    (void)unused;
    conn *c;
    struct trickle *t = malloc(sizeof *t);
    open_pair(&c, &t->peer);
    t->bytes = script;
    rt_join_handle *h = rt_spawn_named("trickle", trickle_task, t);
    expect_script(c);
    expect_code(c, CONN_EOF);
    /* How many reads depends on timing; far more than one proves the bytes came apart. */
    SL_CHECK(nreads(c) > 7, "the bytes arrived in only %llu reads", (unsigned long long)nreads(c));
    rt_join(h, NULL, NULL);
    free(t);
    conn_close(c);
    return NULL;
}

static void test_conn_byte_by_byte(void)
{
    run_with(1, byte_by_byte, NULL);
    run_with(2, byte_by_byte, NULL);
}

/* ------------------------------------------------------------ how a connection ends */

static void *eof_mid_frame(void *unused)
{
    (void)unused;
    conn *c;
    rt_tcp_stream *peer;
    open_pair(&c, &peer);
    peer_send(peer, ":1\r\n$5\r\nhel");
    rt_tcp_close(peer);
    expect_frame(c, frame_new_integer(1)); /* the whole frame before the cut is fine */
    expect_code(c, CONN_ETRUNCATED);
    SL_CHECK(strstr(conn_last_error(c), "7 bytes") != NULL,
             "the message should say 7 bytes of the frame arrived: \"%s\"", conn_last_error(c));
    expect_code(c, CONN_ETRUNCATED);
    conn_close(c);
    return NULL;
}

static void test_conn_eof_mid_frame_is_truncated(void)
{
    run_with(1, eof_mid_frame, NULL);
}

/* A peer that resets (SO_LINGER 0) while a frame is half there: the socket's error. */
static void *reset_mid_frame(void *unused)
{
    (void)unused;
    conn *c;
    rt_tcp_stream *peer;
    open_pair(&c, &peer);
    peer_send(peer, "$5\r\nhe");
    struct linger abort_on_close = {.l_onoff = 1, .l_linger = 0};
    setsockopt(rt_tcp_stream_fd(peer), SOL_SOCKET, SO_LINGER, &abort_on_close,
               sizeof abort_on_close);
    rt_tcp_close(peer);
    frame *f = NULL;
    int rc = conn_read_frame(c, &f);
    SL_CHECK(rc == -ECONNRESET, "expected -ECONNRESET, got %s", code_name(rc));
    SL_CHECK(conn_read_frame(c, &f) == rc, "a reset must be sticky");
    conn_close(c);
    return NULL;
}

static void test_conn_reset_is_passed_through(void)
{
    run_with(1, reset_mid_frame, NULL);
}

/* A deadline in the middle of a frame: the partial frame survives for the next call. */
static void *timeout_resumes(void *unused)
{
    (void)unused;
    conn *c;
    rt_tcp_stream *peer;
    open_pair(&c, &peer);
    peer_send(peer, "$5\r\nhe");
    int64_t saved = rt_timeout_begin(20 * MS);
    expect_code(c, RT_ETIMEDOUT);
    rt_timeout_end(saved);
    peer_send(peer, "llo\r\n");
    expect_frame(c, frame_new_bulk_str("hello"));
    rt_tcp_close(peer);
    expect_code(c, CONN_EOF);
    conn_close(c);
    return NULL;
}

static void test_conn_timeout_keeps_the_partial_frame(void)
{
    run_with(1, timeout_resumes, NULL);
}

/* ------------------------------------------------------------ bad and big input */

static void *protocol_error(void *unused)
{
    (void)unused;
    conn *c;
    rt_tcp_stream *peer;
    open_pair(&c, &peer);
    peer_send(peer, "+OK\r\n$abc\r\n+never seen\r\n");
    expect_frame(c, frame_new_simple("OK"));
    expect_code(c, CONN_EPROTO);
    SL_CHECK(strstr(conn_last_error(c), "invalid bulk length") != NULL,
             "the parser's words should be kept: \"%s\"", conn_last_error(c));
    expect_code(c, CONN_EPROTO); /* framing is lost: no later frame is handed out */

    /* The write side still works: a server tells the client why before closing. */
    frame *reply = frame_new_errorf("ERR Protocol error: %s", conn_last_error(c));
    conn_write_frame(c, reply);
    frame_free(reply);
    SL_CHECK(conn_flush(c) == 0, "flush after a protocol error failed");
    char got[128] = {0};
    ssize_t n = rt_tcp_read(peer, got, sizeof got - 1);
    SL_CHECK(n > 0 && strncmp(got, "-ERR Protocol error: invalid bulk length", 40) == 0,
             "the peer got \"%s\"", got);
    rt_tcp_close(peer);
    conn_close(c);
    return NULL;
}

static void test_conn_protocol_error_is_sticky(void)
{
    run_with(1, protocol_error, NULL);
}

/* The peer task for big inputs: writes a header, then an element count times, and
 * stops quietly when the conn closes on it (a conn that refused the frame reads no
 * more, so a write fails). */
struct flood {
    rt_tcp_stream *peer;
    const char *header, *element;
    size_t count;
};

static void *flood_task(void *arg)
{
    struct flood *f = arg;
    char chunk[4096];
    size_t element_len = strlen(f->element), per_chunk = sizeof chunk / element_len;
    for (size_t i = 0; i < per_chunk; i++)
        memcpy(chunk + i * element_len, f->element, element_len);
    int rc = rt_tcp_write_all(f->peer, f->header, strlen(f->header), NULL);
    for (size_t sent = 0; rc == 0 && sent < f->count; sent += per_chunk)
        rc = rt_tcp_write_all(f->peer, chunk, per_chunk * element_len, NULL);
    rt_tcp_close(f->peer);
    return NULL;
}

/* Floods the conn and expects CONN_ETOOBIG with words in its message, having read no
 * more than the frame limit plus one read. */
static void expect_too_big(const struct flood *plan, size_t max_frame_bytes, const char *words)
{
    conn *c;
    struct flood *f = malloc(sizeof *f);
    *f = *plan;
    open_pair(&c, &f->peer);
    conn_set_limits(c, NULL, max_frame_bytes);
    rt_join_handle *h = rt_spawn_named("flood", flood_task, f);
    expect_code(c, CONN_ETOOBIG);
    SL_CHECK(strstr(conn_last_error(c), words) != NULL, "after %.20s...: expected \"%s\" in \"%s\"",
             plan->header, words, conn_last_error(c));
    conn_stats stats;
    conn_get_stats(c, &stats);
    size_t bound = (max_frame_bytes ? max_frame_bytes : 64 * 1024) + CONN_MAX_READ;
    SL_CHECK(stats.bytes_read <= bound, "%llu bytes read before refusing (bound %zu)",
             (unsigned long long)stats.bytes_read, bound);
    conn_close(c); /* the flooder's next write fails: it ends */
    rt_join(h, NULL, NULL);
    free(f);
}

static void *oversized(void *unused)
{
    (void)unused;
    /* A line that never ends: refused at the parser's 64 KiB line limit. */
    expect_too_big(&(struct flood){.header = "+", .element = "a", .count = 1 << 20}, 0,
                   "longer than 65536 bytes");
    /* A bulk declared over 512 MiB: refused as soon as its header arrived. */
    expect_too_big(&(struct flood){.header = "$999999999999\r\n", .element = "b", .count = 0}, 0,
                   "over the limit");
    /* An array whose every element is legal, but that is too big in total. */
    expect_too_big(&(struct flood){.header = "*100000\r\n",
                                   .element = "$10\r\n0123456789\r\n",
                                   .count = 100000},
                   16 * 1024, "frame larger than 16384");
    return NULL;
}

static void test_conn_oversized_frames_are_refused(void)
{
    run_with(2, oversized, NULL);
}

/* ------------------------------------------------------------ requests and writing */

static void *requests(void *unused)
{
    (void)unused;
    conn *c;
    rt_tcp_stream *peer;
    open_pair(&c, &peer);
    peer_send(peer, "SET greeting \"hello world\"\r\n*1\r\n$4\r\nPING\r\n");
    frame *set = frame_new_array();
    frame_array_push(set, frame_new_bulk_str("SET"));
    frame_array_push(set, frame_new_bulk_str("greeting"));
    frame_array_push(set, frame_new_bulk_str("hello world"));
    frame *ping = frame_new_array();
    frame_array_push(ping, frame_new_bulk_str("PING"));
    frame *got[2] = {NULL, NULL};
    int rc0 = conn_read_request(c, &got[0]);
    int rc1 = conn_read_request(c, &got[1]);
    SL_CHECK(rc0 == 0 && frame_equals(got[0], set), "the inline SET: %s", code_name(rc0));
    SL_CHECK(rc1 == 0 && frame_equals(got[1], ping), "the RESP PING: %s", code_name(rc1));
    for (int i = 0; i < 2; i++)
        frame_free(got[i]);
    frame_free(set);
    frame_free(ping);
    rt_tcp_close(peer);
    frame *none = NULL;
    SL_CHECK(conn_read_request(c, &none) == CONN_EOF, "expected CONN_EOF after the requests");
    conn_close(c);
    return NULL;
}

static void test_conn_reads_inline_and_resp_requests(void)
{
    run_with(1, requests, NULL);
}

/* conn_try_read_request serves what is buffered and never reads the socket. */
static void *try_reads(void *unused)
{
    (void)unused;
    conn *c;
    rt_tcp_stream *peer;
    open_pair(&c, &peer);
    frame *f = NULL;
    SL_CHECK(conn_try_read_request(c, &f) == CONN_EMPTY && f == NULL && nreads(c) == 0,
             "nothing buffered: expected CONN_EMPTY and no read, got %llu reads",
             (unsigned long long)nreads(c));
    const char two_and_a_half[] = "PING\r\n*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPI";
    SL_CHECK_FATAL(rt_tcp_write_all(peer, two_and_a_half, strlen(two_and_a_half), NULL) == 0,
                   "the peer could not write");
    SL_CHECK_FATAL(conn_read_request(c, &f) == CONN_OK, "the first request did not come");
    frame_free(f);
    uint64_t reads = nreads(c);
    SL_CHECK(conn_try_read_request(c, &f) == CONN_OK, "the second request is buffered: "
                                                      "try should return it");
    frame_free(f);
    f = NULL;
    SL_CHECK(conn_try_read_request(c, &f) == CONN_EMPTY && f == NULL,
             "half a request is buffered: try should say CONN_EMPTY");
    SL_CHECK(nreads(c) == reads, "try read the socket (%llu reads, was %llu)",
             (unsigned long long)nreads(c), (unsigned long long)reads);
    SL_CHECK_FATAL(rt_tcp_write_all(peer, "NG\r\n", 4, NULL) == 0, "the peer could not write");
    SL_CHECK(conn_read_request(c, &f) == CONN_OK, "the partial request kept by try should "
                                                  "complete with the rest of its bytes");
    frame_free(f);
    rt_tcp_close(peer);
    conn_close(c);
    return NULL;
}

static void test_conn_try_read_never_reads_the_socket(void)
{
    run_with(1, try_reads, NULL);
}

static void *write_then_flush(void *unused)
{
    (void)unused;
    conn *c;
    rt_tcp_stream *peer;
    open_pair(&c, &peer);
    frame *replies[] = {frame_new_simple("OK"), frame_new_integer(1), frame_new_bulk_str("x"),
                        frame_new_null()};
    for (size_t i = 0; i < 4; i++) {
        conn_write_frame(c, replies[i]);
        frame_free(replies[i]);
    }
    const char expected[] = "+OK\r\n:1\r\n$1\r\nx\r\n$-1\r\n";
    SL_CHECK(conn_pending_output(c) == strlen(expected), "%zu bytes pending, expected %zu",
             conn_pending_output(c), strlen(expected));
    char got[64] = {0};
    int64_t saved = rt_timeout_begin(20 * MS);
    ssize_t n = rt_tcp_read(peer, got, sizeof got - 1);
    rt_timeout_end(saved);
    SL_CHECK(n == RT_ETIMEDOUT, "before the flush the peer should get nothing, read gave %zd", n);

    SL_CHECK(conn_flush(c) == 0 && conn_pending_output(c) == 0, "the flush failed");
    n = rt_tcp_read(peer, got, sizeof got - 1);
    SL_CHECK(n == (ssize_t)strlen(expected) && memcmp(got, expected, (size_t)n) == 0,
             "the peer got %zd bytes: \"%s\"", n, got);
    conn_stats stats;
    conn_get_stats(c, &stats);
    SL_CHECK(stats.nflushes == 1 && stats.frames_written == 4, "stats: %llu flushes, %llu frames",
             (unsigned long long)stats.nflushes, (unsigned long long)stats.frames_written);
    SL_CHECK(conn_flush(c) == 0, "flushing an empty buffer must do nothing");
    rt_tcp_close(peer);
    conn_close(c);
    return NULL;
}

static void test_conn_write_buffers_until_flush(void)
{
    run_with(1, write_then_flush, NULL);
    run_with(2, write_then_flush, NULL);
}

const sl_test conn_tests[] = {
    SL_TEST(test_conn_reads_whole_frames_then_clean_eof, 1, NULL),
    SL_TEST(test_conn_pipelined_frames_take_one_read, 1, NULL),
    SL_TEST(test_conn_byte_by_byte, 1, NULL),
    SL_TEST(test_conn_eof_mid_frame_is_truncated, 1, NULL),
    SL_TEST(test_conn_reset_is_passed_through, 1, NULL),
    SL_TEST(test_conn_timeout_keeps_the_partial_frame, 1, NULL),
    SL_TEST(test_conn_protocol_error_is_sticky, 1, NULL),
    SL_TEST(test_conn_oversized_frames_are_refused, 1, NULL),
    SL_TEST(test_conn_reads_inline_and_resp_requests, 1, NULL),
    SL_TEST(test_conn_write_buffers_until_flush, 1, NULL),
    SL_TEST(test_conn_try_read_never_reads_the_socket, 1, NULL),
    SL_TEST_END,
};
