/*
 * frame.h - RESP2 frames: build them, parse them incrementally, serialize them.
 *
 * A frame is one RESP2 value, a tree when it is an array:
 *
 *     kind               wire form                      built by
 *     FRAME_SIMPLE       +OK\r\n                        frame_new_simple
 *     FRAME_ERROR        -ERR no such key\r\n           frame_new_error(f)
 *     FRAME_INTEGER      :42\r\n                        frame_new_integer
 *     FRAME_BULK         $5\r\nhello\r\n                frame_new_bulk(_copy, _str)
 *     FRAME_NULL         $-1\r\n     (null bulk)        frame_new_null
 *     FRAME_ARRAY        *2\r\n<frame><frame>           frame_new_array + frame_array_push
 *     FRAME_NULL_ARRAY   *-1\r\n                        frame_new_null_array
 *
 * Parsing (chapters/01-sequential.md#framing). frame_parse looks at the bytes a
 * connection has buffered and answers one of three things:
 *
 *     FRAME_OK          a whole frame was there: here it is, and it took *consumed bytes
 *     FRAME_NEED_MORE   the bytes end inside a frame: read more and call again
 *                       (normal flow, not an error: TCP delivers bytes, not messages)
 *     < 0               the bytes can never become a valid frame: a protocol error,
 *                       described in words and with its byte offset in *error
 *
 * The parser keeps no state between calls and never modifies or keeps the input, so
 * a connection drives it straight on its read buffer (a buf, see bytes.h):
 *
 *     for (;;) {
 *         rc = frame_parse(buf_data(in), buf_len(in), limits, &f, &used, &err);
 *         if (rc == FRAME_OK)        { buf_consume(in, used); return f; }
 *         if (rc < 0)                   reply "-ERR Protocol error: <err.message>", close
 *         space = buf_reserve(in, 4096, &room);
 *         n = read(fd, space, room);    (may yield)
 *         if (n == 0)                   buf_len(in) == 0 ? clean EOF : peer vanished mid-frame
 *         buf_commit(in, n);
 *     }
 *
 * One read(2) often brings several pipelined frames: the loop hands them out one by
 * one, each call starting at the bytes the previous one left, without another read.
 * Because the parser is stateless it starts over at the frame's first byte after
 * FRAME_NEED_MORE. That costs one rescan of the partial frame per read, which is why
 * the connection should read everything the socket has before parsing again. (Redis
 * keeps a per-client parse state instead; mini-redis rescans as we do.)
 *
 * Parsing checks first and allocates second: nothing is allocated until the whole
 * frame has arrived and is known to be valid, so a hostile length field ("$999999999")
 * makes us allocate nothing; it only makes us wait for bytes that the limits bound.
 *
 * Ownership: a frame owns its children and its bytes. frame_new_* return a frame the
 * caller owns and must frame_free (or hand to a function that takes it). Accessors
 * return borrowed pointers, valid while the frame lives.
 *
 * Threads: a frame has one owner at a time and no lock (it may be handed to another
 * thread, for instance through a channel). Nothing in this header ever yields.
 * Allocation failure aborts (the library's policy, lib/src/util.h).
 */
#ifndef MINIREDIS_FRAME_H
#define MINIREDIS_FRAME_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bytes.h"

typedef struct frame frame;

typedef enum frame_kind {
    FRAME_SIMPLE,
    FRAME_ERROR,
    FRAME_INTEGER,
    FRAME_BULK,
    FRAME_NULL, /* the null bulk string, $-1: "no such key" */
    FRAME_ARRAY,
    FRAME_NULL_ARRAY, /* the null array, *-1 */
} frame_kind;

/* Results of frame_parse and frame_parse_request. */
enum {
    FRAME_OK = 0,
    FRAME_NEED_MORE = 1,       /* not an error: the frame is not complete yet */
    FRAME_EPROTO = -EPROTO,    /* malformed: not RESP */
    FRAME_ETOOBIG = -EMSGSIZE, /* RESP, but over one of the limits below */
};

/* What the parser accepts. Every limit exists so that hostile input cannot exhaust
 * memory (a read buffer that must hold a huge frame) or the stack (the parser
 * recurses once per nesting level). Start from frame_default_limits and change what
 * you need. */
typedef struct frame_limits {
    size_t max_bulk_len;  /* bytes in one bulk string; Redis's proto-max-bulk-len: 512 MiB */
    size_t max_array_len; /* elements in one array; default 1 Mi (1048576) */
    size_t max_depth;     /* arrays nested in arrays: 1 allows a command; default 32 */
    size_t max_line_len;  /* a simple string, an error or an inline command without its
                             CRLF; Redis's inline limit: 64 KiB */
} frame_limits;

extern const frame_limits frame_default_limits;

/* Where and why parsing failed: message is one line, for instance
 * "invalid bulk length '-5' at byte 4", ready to follow "-ERR Protocol error: ".
 * offset is the byte (from the start of the input) where the problem was seen. */
typedef struct frame_error {
    size_t offset;
    char message[160];
} frame_error;

/* ------------------------------------------------------------ parsing */

/* Parses one RESP2 frame (any kind) from the start of data[0..len).
 *   FRAME_OK:         *out is the frame (caller owns it), *consumed its length in bytes;
 *   FRAME_NEED_MORE:  *out = NULL, *consumed = 0; call again when more bytes arrived;
 *   FRAME_EPROTO / FRAME_ETOOBIG: *out = NULL, *consumed = 0, *error describes it
 *                     (error may be NULL when the caller does not want the words).
 * limits may be NULL for frame_default_limits. Never reads outside data[0..len).
 * Any thread; never yields. */
int frame_parse(const uint8_t *data, size_t len, const frame_limits *limits, frame **out,
                size_t *consumed, frame_error *error);

/* The server's side of frame_parse: parses one request as Redis does.
 *   - A request that starts with '*' must be an array of bulk strings (that is what
 *     clients send); anything else inside it is a protocol error
 *     ("expected '$', got '+'").
 *   - Anything else is an inline command, one line as typed into telnet or
 *     `redis-cli` inline: `SET greeting "hello world"\r\n`, split at blanks, with
 *     Redis's double quotes (escapes \n \r \t \b \a \\ \" \xHH) and single quotes
 *     (escape \'). The line may end in "\n" alone. It becomes the same array of bulk
 *     strings a RESP client would have sent.
 * A blank line and "*0\r\n" give an empty array, "*-1\r\n" a null array: Redis
 * answers neither, and cmd_parse reports them as CMD_EMPTY. Results as frame_parse. */
int frame_parse_request(const uint8_t *data, size_t len, const frame_limits *limits, frame **out,
                        size_t *consumed, frame_error *error);

/* ------------------------------------------------------------ serializing */

/* Appends the RESP2 encoding of f to out (usually a connection's write buffer). */
void frame_serialize(const frame *f, buf *out);

/* ------------------------------------------------------------ building */

/* Simple strings and errors are one line on the wire: CR and LF in text become
 * spaces (as Redis does for error replies), so that text echoed from a client, a key
 * name for instance, can never break the reply stream. */
frame *frame_new_simple(const char *text);
frame *frame_new_error(const char *text);
frame *frame_new_errorf(const char *format, ...) __attribute__((format(printf, 1, 2)));
frame *frame_new_integer(int64_t value);
/* Takes over the caller's reference to payload (bytes_clone first to keep one). */
frame *frame_new_bulk(bytes *payload);
frame *frame_new_bulk_copy(const void *data, size_t len);
frame *frame_new_bulk_str(const char *text);
frame *frame_new_null(void);
frame *frame_new_array(void);
frame *frame_new_null_array(void);

/* Appends item to array (a FRAME_ARRAY) and takes ownership of item. */
void frame_array_push(frame *array, frame *item);

/* Frees f and everything it owns (recursively). f may be NULL. */
void frame_free(frame *f);

/* ------------------------------------------------------------ inspecting */

frame_kind frame_get_kind(const frame *f);
/* The name of a kind, "bulk" for FRAME_BULK: for messages. */
const char *frame_kind_name(frame_kind kind);

/* The text of a FRAME_SIMPLE or FRAME_ERROR, the payload of a FRAME_BULK; borrowed
 * (bytes_clone it to keep it beyond the frame). Other kinds: a programming error
 * (aborts). */
bytes *frame_get_bytes(const frame *f);
/* The value of a FRAME_INTEGER (other kinds abort). */
int64_t frame_get_integer(const frame *f);
/* Elements of a FRAME_ARRAY (other kinds abort); index < frame_array_len (checked). */
size_t frame_array_len(const frame *f);
frame *frame_array_get(const frame *f, size_t index);

/* true when a and b are the same value: same kind, same bytes, same elements. */
bool frame_equals(const frame *a, const frame *b);

#endif
