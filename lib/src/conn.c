/*
 * conn.c - a buffered RESP connection: the read loop of frame.h, made real.
 *
 * Chapter: chapters/01-sequential.md#framing. The contract and the limits are in
 * conn.h; this file is the loop that frame.h's header sketches:
 *
 *     1. parse what is buffered: a whole frame ends the call (no system call at all
 *        when a previous read brought it along with an earlier frame);
 *     2. a protocol error or an oversized frame breaks the read side for good;
 *     3. otherwise read more bytes (MAY YIELD) and go back to 1;
 *     4. the end of the stream is clean only when nothing of a frame was buffered.
 *
 * Invariants:
 *   - After step 1 says "need more", every buffered byte belongs to the one partial
 *     frame at the front (a whole frame would have been handed out), so buf_len(in)
 *     is that frame's size so far: that is what max_frame_bytes is compared with.
 *   - read_error != 0 means the read side is finished (end of stream, broken
 *     framing, a failed socket) and in is empty; reads return read_error at once.
 *     Only a timeout and a cancellation leave it usable.
 *   - The read side (in, read_error, error_text, the read counters) and the write
 *     side (out, the write counters) share nothing, so one task may read while another
 *     writes (conn.h).
 *
 * Simplification: every read after "need more" makes the stateless parser start over
 * at the frame's first byte. Reads grow with the partial frame (up to CONN_MAX_READ),
 * which keeps the number of rescans of a big frame logarithmic, not linear, in its size.
 */
#include "conn.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

enum { MIN_READ = 4096 };

struct conn {
    rt_tcp_stream *stream;
    frame_limits limits;
    size_t max_frame_bytes;

    /* the read side: the reading task's */
    buf *in;
    int read_error;       /* sticky: CONN_EOF, CONN_ETRUNCATED, CONN_EPROTO, CONN_ETOOBIG,
                             a socket error */
    char error_text[192]; /* conn_last_error */
    uint64_t nreads, bytes_read, frames_read;

    /* the write side: the writing task's */
    buf *out;
    uint64_t nflushes, bytes_written, frames_written;
};

typedef int (*parse_fn)(const uint8_t *data, size_t len, const frame_limits *limits, frame **out,
                        size_t *consumed, frame_error *error);

conn *conn_new(rt_tcp_stream *stream)
{
    LIB_ASSERT(stream != NULL);
    conn *c = util_calloc(1, sizeof *c);
    c->stream = stream;
    c->in = buf_new();
    c->out = buf_new();
    conn_set_limits(c, NULL, 0);
    return c;
}

void conn_set_limits(conn *c, const frame_limits *limits, size_t max_frame_bytes)
{
    c->limits = limits != NULL ? *limits : frame_default_limits;
    c->max_frame_bytes = max_frame_bytes != 0 ? max_frame_bytes : CONN_DEFAULT_MAX_FRAME_BYTES;
}

/* ================================================================ reading */

/* Ends the read side with code: the buffered bytes are useless (the end of the stream
 * came, or framing is lost), so we free their memory now rather than at conn_close. */
static int fail_read(conn *c, int code, const char *format, ...)
    __attribute__((format(printf, 3, 4)));
static int fail_read(conn *c, int code, const char *format, ...)
{
    va_list args;
    va_start(args, format);
    vsnprintf(c->error_text, sizeof c->error_text, format, args);
    va_end(args);
    c->read_error = code;
    buf_free(c->in);
    c->in = buf_new();
    return code;
}

/* Step 3: one read into the buffer, sized after the partial frame (see the file's
 * simplification). Returns what rt_tcp_read returned. */
static ssize_t read_more(conn *c)
{
    size_t want = buf_len(c->in) < MIN_READ ? MIN_READ : buf_len(c->in);
    if (want > CONN_MAX_READ)
        want = CONN_MAX_READ;
    uint8_t *space = buf_reserve(c->in, want, NULL);
    c->nreads++;
    ssize_t n = rt_tcp_read(c->stream, space, want); /* MAY YIELD */
    if (n > 0) {
        buf_commit(c->in, (size_t)n);
        c->bytes_read += (uint64_t)n;
    }
    return n;
}

/* Step 4: what an end of stream means depends on whether a frame had begun. */
static int end_of_stream(conn *c)
{
    if (buf_len(c->in) == 0)
        return fail_read(c, CONN_EOF, "the peer closed the connection");
    return fail_read(c, CONN_ETRUNCATED,
                     "the peer closed the connection in the middle of a frame "
                     "(%zu bytes of it had arrived)",
                     buf_len(c->in));
}

/* may_read: false to parse only what is buffered (CONN_EMPTY instead of step 3). */
static int read_with(conn *c, parse_fn parse, bool may_read, frame **out)
{
    *out = NULL;
    if (c->read_error != 0)
        return c->read_error;
    c->error_text[0] = '\0';
    for (;;) {
        size_t used = 0;
        frame_error error = {0};
        int rc = buf_len(c->in) == 0
                     ? FRAME_NEED_MORE /* nothing to parse yet */
                     : parse(buf_data(c->in), buf_len(c->in), &c->limits, out, &used, &error);
        if (rc == FRAME_OK) { /* 1 */
            buf_consume(c->in, used);
            c->frames_read++;
            return CONN_OK;
        }
        if (rc < 0) /* 2 */
            return fail_read(c, rc, "%s", error.message);
        if (buf_len(c->in) > c->max_frame_bytes)
            return fail_read(c, CONN_ETOOBIG, "frame larger than %zu bytes", c->max_frame_bytes);
        if (!may_read)
            return CONN_EMPTY;
        ssize_t n = read_more(c); /* 3: MAY YIELD */
        if (n == 0)
            return end_of_stream(c); /* 4 */
        if (n == RT_ETIMEDOUT || n == RT_ECANCELED) {
            /* Not the connection's fault: the partial frame stays buffered, so a
             * later call (with a new deadline) resumes where this one stopped. */
            snprintf(c->error_text, sizeof c->error_text, "read: %s", rt_strerror((int)n));
            return (int)n;
        }
        if (n < 0) /* the socket failed (a reset): nothing more will come */
            return fail_read(c, (int)n, "read: %s", rt_strerror((int)n));
    }
}

int conn_read_frame(conn *c, frame **out)
{
    return read_with(c, frame_parse, true, out);
}

int conn_read_request(conn *c, frame **out)
{
    return read_with(c, frame_parse_request, true, out);
}

int conn_try_read_request(conn *c, frame **out)
{
    return read_with(c, frame_parse_request, false, out);
}

const char *conn_last_error(const conn *c)
{
    return c->error_text;
}

/* ================================================================ writing */

void conn_write_frame(conn *c, const frame *f)
{
    frame_serialize(f, c->out);
    c->frames_written++;
}

int conn_flush(conn *c)
{
    if (buf_len(c->out) == 0)
        return 0;
    size_t written = 0;
    c->nflushes++;
    int rc = rt_tcp_write_all(c->stream, buf_data(c->out), buf_len(c->out), &written);
    /* On an error exactly `written` bytes went out: keep the rest, so that a flush
     * after a timeout resumes the byte stream instead of tearing a frame apart. */
    buf_consume(c->out, written);
    c->bytes_written += written;
    return rc;
}

size_t conn_pending_output(const conn *c)
{
    return buf_len(c->out);
}

/* ================================================================ the rest */

rt_tcp_stream *conn_stream(conn *c)
{
    return c->stream;
}

void conn_get_stats(const conn *c, conn_stats *stats)
{
    *stats = (conn_stats){
        .nreads = c->nreads,
        .bytes_read = c->bytes_read,
        .frames_read = c->frames_read,
        .nflushes = c->nflushes,
        .bytes_written = c->bytes_written,
        .frames_written = c->frames_written,
    };
}

void conn_close(conn *c)
{
    if (c == NULL)
        return;
    rt_tcp_close(c->stream);
    buf_free(c->in);
    buf_free(c->out);
    free(c);
}
