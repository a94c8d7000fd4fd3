/*
 * resp_tests.h - what the files of the tests/resp suite share: their test tables and
 * the helpers that feed a parser the way a connection would.
 */
#ifndef SPAWNLAB_RESP_TESTS_H
#define SPAWNLAB_RESP_TESTS_H

#include <stdbool.h>
#include <stddef.h>

#include "bytes.h"
#include "cmd.h"
#include "frame.h"
#include "harness.h"

extern const sl_test bytes_tests[];
extern const sl_test frame_tests[];
extern const sl_test request_tests[];
extern const sl_test cmd_tests[];
extern const sl_test redis_tests[];
extern const sl_test corpus_tests[];

/* The seed of every random split and random frame in this run: RESP_SEED from the
 * environment, else the clock. main prints it, so a failure can be replayed. */
unsigned resp_seed(void);

/* A small deterministic generator (xorshift32), so a seed replays exactly. */
unsigned resp_random(unsigned *state);

/* How the bytes of an input arrive: all at once, one at a time, or in chunks of
 * random sizes (from the seed). */
typedef enum split_mode { SPLIT_WHOLE, SPLIT_BYTE_BY_BYTE, SPLIT_RANDOM } split_mode;
#define SPLIT_MODES 3
const char *split_name(split_mode mode);

/* What feeding an input produced. */
typedef struct feed_result {
    frame *frames;     /* an array frame holding every frame parsed, in order */
    int status;        /* FRAME_NEED_MORE when the input ran out, or the error code */
    size_t leftover;   /* bytes the parser had not consumed at the end */
    frame_error error; /* the error's words when status < 0 */
} feed_result;

/* Feeds input[0..len) to frame_parse (or frame_parse_request when is_request) in
 * chunks, as a connection's read loop would: after every chunk it parses frames
 * until NEED_MORE or an error, consuming what each frame used. Every parse call sees
 * an exactly-sized heap copy of the unread bytes, so that AddressSanitizer catches
 * any read past them. limits may be NULL. Free with feed_result_clear. */
void feed_parser(const void *input, size_t len, split_mode mode, unsigned seed, bool is_request,
                 const frame_limits *limits, feed_result *out);
void feed_result_clear(feed_result *r);

/* The wire form of f as a NUL-terminated heap string (free it); *len its length. */
char *wire_of(const frame *f, size_t *len);

/* A request as a client sends it: an array of bulk strings, the words NULL-terminated. */
frame *words_request(const char *first, ...) __attribute__((sentinel));

#endif
