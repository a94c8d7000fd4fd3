/*
 * conn.h - a buffered RESP connection over a runtime TCP stream (the analog of
 * mini-redis's Connection).
 *
 * Chapter: chapters/01-sequential.md#framing.
 *
 * TCP delivers bytes, not messages. A conn turns the byte stream into frames and back:
 *
 *     conn_read_frame    reads into a read buffer until the parser finds one whole
 *                        frame, and hands it out. One read(2) often brings several
 *                        pipelined frames: the next calls hand them out without
 *                        another system call (conn_stats counts the reads).
 *     conn_write_frame   serializes a frame into a write buffer: no system call.
 *     conn_flush         sends everything buffered, with one rt_tcp_write_all.
 *
 * Why a write buffer with an explicit flush: a server answering ten pipelined requests
 * can send ten replies with one write instead of ten, and a client sends a command's
 * words in one segment. The price is that nothing leaves until someone flushes.
 *
 * How a read ends (conn_read_frame / conn_read_request):
 *
 *     0                  a frame
 *     CONN_EOF           the peer closed the connection between two frames: a clean end,
 *                        as normal as FRAME_NEED_MORE is to the parser, so not an error
 *     CONN_ETRUNCATED    the peer closed it in the middle of a frame: some bytes of a
 *                        frame arrived, the rest never will (a crash, a bug, a kill)
 *     CONN_EPROTO        the bytes are not RESP (the parser's words: conn_last_error)
 *     CONN_ETOOBIG       a frame is over the limits (conn_last_error says which)
 *     RT_ETIMEDOUT       the task's deadline passed (rt_time.h); nothing is lost: the
 *     RT_ECANCELED       bytes of a partial frame stay buffered, the next call resumes
 *     other < 0          the socket's error, e.g. -ECONNRESET (the peer reset it)
 *
 * Every result but a frame, a timeout and a cancellation ends the read side for good,
 * and every later read returns the same code without reading. After a protocol error
 * or an oversized frame, framing is lost (we cannot know where the next frame would
 * start), so the buffered bytes are dropped. Writing still works, so a server can send
 * "-ERR Protocol error: ..." (conn_last_error's words) before conn_close, as Redis does.
 *
 * Bounded memory: a peer decides how many bytes we buffer, so everything is limited:
 *   - a line without CRLF (a simple string, an error, an inline request) stops at the
 *     parser's max_line_len (64 KiB): CONN_ETOOBIG;
 *   - a declared bulk length over max_bulk_len (512 MiB) is refused as soon as its
 *     header arrives, before a byte of it is buffered: CONN_ETOOBIG;
 *   - a frame that is legal piece by piece but huge in total (a million 512 MiB bulks)
 *     is refused once max_frame_bytes of it are buffered (default 1 GiB, Redis's
 *     client-query-buffer-limit): CONN_ETOOBIG.
 * One read adds at most CONN_MAX_READ bytes, so the read buffer never holds more than
 * max_frame_bytes + CONN_MAX_READ. See conn_set_limits to lower them.
 *
 * Threads and tasks: a conn belongs to one task at a time (it may move between tasks
 * and workers with its owner). As with rt_tcp_stream, one task may read while another
 * writes and flushes, because the two directions share no state; two readers or two
 * writers at once are a bug. Nothing is locked.
 */
#ifndef MINIREDIS_CONN_H
#define MINIREDIS_CONN_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "frame.h"
#include "rt_net.h"

typedef struct conn conn;

enum {
    CONN_OK = 0,
    CONN_EOF = 1,                    /* clean end of stream: not an error */
    CONN_ETRUNCATED = -ECONNABORTED, /* end of stream inside a frame */
    CONN_EPROTO = FRAME_EPROTO,      /* not RESP */
    CONN_ETOOBIG = FRAME_ETOOBIG,    /* over a limit */
    CONN_EMPTY = -EWOULDBLOCK,       /* conn_try_read_request: no whole request buffered */
};

/* The most bytes one read asks the socket for (1 MiB). Reads start at 4 KiB and grow
 * with the partial frame, so that a big frame costs few rescans by the (stateless)
 * parser, while what we buffer beyond a limit stays small. */
#define CONN_MAX_READ ((size_t)1 << 20)

/* The default total size of one frame: 1 GiB, Redis's client-query-buffer-limit. */
#define CONN_DEFAULT_MAX_FRAME_BYTES ((size_t)1 << 30)

/* A new connection that owns stream: conn_close closes it. Never fails (allocation
 * failure aborts, the library's policy). Never yields. Any thread. */
conn *conn_new(rt_tcp_stream *stream);

/* Replaces the parser's limits (NULL: frame_default_limits; copied) and the most bytes
 * one frame may occupy in the read buffer (0: CONN_DEFAULT_MAX_FRAME_BYTES). For a
 * server that wants tighter bounds, and for tests. Never yields. The owner's task. */
void conn_set_limits(conn *c, const frame_limits *limits, size_t max_frame_bytes);

/* Reads the next frame (any RESP2 value: what a client reads as a reply). Returns 0
 * and *out (caller owns it, frame_free), or one of the codes in the table above with
 * *out = NULL. Serves buffered frames first: only reads the socket when the buffer
 * holds no whole frame. MAY YIELD (when it must read). The owner's task. */
int conn_read_frame(conn *c, frame **out);

/* The same for a server reading requests: frame_parse_request, so inline commands
 * ("PING\r\n" typed into telnet) become arrays like RESP requests. MAY YIELD. The
 * owner's task. */
int conn_read_request(conn *c, frame **out);

/* The same, but only from what is already buffered: never reads the socket, never
 * waits. CONN_EMPTY when the buffer holds no whole request (anything else as above).
 * A server answering pipelined requests uses it to learn "no more requests have
 * arrived yet": then it flushes the replies it buffered, and only then waits, so a batch
 * of replies leaves in one write. Never yields. The owner's task. */
int conn_try_read_request(conn *c, frame **out);

/* What the last failed read was, in words (the parser's message for CONN_EPROTO and
 * CONN_ETOOBIG, for instance "invalid bulk length '-5' at byte 4"); "" when no read has
 * failed. Valid until the next read. Never yields. The reading task. */
const char *conn_last_error(const conn *c);

/* Appends f's encoding to the write buffer; f stays the caller's. Sends nothing: call
 * conn_flush. Never yields. The writing task. */
void conn_write_frame(conn *c, const frame *f);

/* Sends every buffered byte (rt_tcp_write_all). Returns 0, or RT_ETIMEDOUT,
 * RT_ECANCELED, or the socket's error (-EPIPE, -ECONNRESET). On an error the bytes that
 * went out are dropped from the buffer and the rest stay: flushing again resumes the
 * stream exactly where it stopped. MAY YIELD. The writing task. */
int conn_flush(conn *c);

/* Bytes written but not flushed yet. Never yields. The writing task. */
size_t conn_pending_output(const conn *c);

/* The underlying stream, for rt_tcp_shutdown_write or socket options. The conn still
 * owns it. Never yields. Any thread. */
rt_tcp_stream *conn_stream(conn *c);

/* Counters, for tests and curious readers. */
typedef struct conn_stats {
    uint64_t nreads; /* rt_tcp_read calls: one per refill of the read buffer */
    uint64_t bytes_read;
    uint64_t frames_read;
    uint64_t nflushes; /* rt_tcp_write_all calls */
    uint64_t bytes_written;
    uint64_t frames_written;
} conn_stats;

/* Fills *stats. Exact when no other task uses the conn. Never yields. Any thread. */
void conn_get_stats(const conn *c, conn_stats *stats);

/* Closes the stream and frees the conn; unflushed bytes are dropped (flush first).
 * c may be NULL. Never yields. Any thread, once no task uses the conn. */
void conn_close(conn *c);

#endif
