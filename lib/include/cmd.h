/*
 * cmd.h - turning a request frame into a command the server can execute.
 *
 * A client sends every command as an array of bulk strings ("SET", "k", "v", "EX",
 * "10"). cmd_parse checks the words the way Redis does (the name case-insensitively,
 * the number of arguments, the options and their integers) and fills a cmd, a plain
 * record whose fields the labs read; or it builds the error reply, with the very
 * text Redis sends, so that redis-cli and client libraries see a real Redis. Parsing
 * is all this module does: executing a command is the labs' work.
 * Chapter: chapters/01-sequential.md#commands.
 *
 * Supported: PING [message], ECHO message, GET key,
 *            SET key value [EX seconds | PX milliseconds] [NX | XX],
 *            DEL key [key ...], INCR key, PUBLISH channel message,
 *            SUBSCRIBE channel [channel ...], UNSUBSCRIBE [channel ...],
 *            CONFIG GET parameter [parameter ...], COMMAND [anything]
 * CONFIG GET and COMMAND exist so that redis-cli and redis-benchmark, which send them
 * when they start, are content: the server answers both with an empty array.
 * Simplification: SET's other options (GET, KEEPTTL, EXAT, PXAT) are a syntax error
 * here, although a real Redis accepts them.
 *
 * The arguments a cmd holds are bytes shared with the request frame (bytes_clone,
 * no copy): the cmd stays valid after the frame is freed, and a value may go on to be
 * stored in the database with one more bytes_clone.
 *
 * Threads: any thread; a cmd has one owner at a time. Nothing here ever yields.
 */
#ifndef MINIREDIS_CMD_H
#define MINIREDIS_CMD_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>

#include "bytes.h"
#include "frame.h"

typedef enum cmd_kind {
    CMD_EMPTY, /* an empty request: Redis sends no reply */
    CMD_PING,
    CMD_ECHO,
    CMD_GET,
    CMD_SET,
    CMD_DEL,
    CMD_INCR,
    CMD_PUBLISH,
    CMD_SUBSCRIBE,
    CMD_UNSUBSCRIBE,
    CMD_CONFIG_GET,
    CMD_COMMAND,
} cmd_kind;

typedef enum cmd_set_condition {
    CMD_SET_ALWAYS,     /* no NX or XX */
    CMD_SET_IF_ABSENT,  /* NX: only when the key does not exist */
    CMD_SET_IF_PRESENT, /* XX: only when the key exists */
} cmd_set_condition;

/* A parsed command. Which member of the union is valid depends on kind; the union is
 * anonymous, so you write c.set.key. Every bytes pointer is a reference the cmd
 * holds; cmd_clear releases them all. */
typedef struct cmd {
    cmd_kind kind;
    union {
        struct {
            bytes *message;
        } ping; /* NULL for a plain PING */
        struct {
            bytes *message;
        } echo;
        struct {
            bytes *key;
        } get;
        struct {
            bytes *key;
            bytes *value;
            int64_t expire_ms; /* EX/PX as milliseconds, > 0; 0: no expiry */
            cmd_set_condition condition;
        } set;
        struct {
            bytes **keys;
            size_t nkeys;
        } del; /* nkeys >= 1 */
        struct {
            bytes *key;
        } incr;
        struct {
            bytes *channel;
            bytes *message;
        } publish;
        struct {
            bytes **channels;
            size_t nchannels;
        } subscribe; /* nchannels >= 1 */
        struct {
            bytes **channels;
            size_t nchannels;
        } unsubscribe; /* 0: all of them */
        struct {
            bytes **parameters;
            size_t nparameters;
        } config_get;
    };
} cmd;

/* Parses request (what frame_parse_request returned) into *out.
 *   0        *out is the command (release with cmd_clear); *error_reply = NULL.
 *   -EINVAL  the request is not a valid command: *error_reply is the error frame to
 *            send back (caller owns it), for instance
 *            "ERR wrong number of arguments for 'get' command"; *out is CMD_EMPTY.
 * An empty or null array gives CMD_EMPTY (send nothing). A request that is not an
 * array of bulk strings is -EINVAL with a protocol error reply. */
int cmd_parse(const frame *request, cmd *out, frame **error_reply);

/* Releases every reference the command holds and leaves it CMD_EMPTY. */
void cmd_clear(cmd *c);

/* The command's name as Redis spells it in messages: "get", "config|get". */
const char *cmd_name(cmd_kind kind);

/* ------------------------------------------------------------ for executing commands */

/* Parses text as a 64-bit integer with Redis's rules (what INCR accepts as a stored
 * value, and EX/PX as an argument): optional '-', digits, no '+', no spaces, no
 * leading zeros, no overflow. Returns 0, or -EINVAL (then *value is untouched). */
int cmd_parse_integer(const bytes *text, int64_t *value);

/* Error replies a command's execution may need, with Redis's exact text:
 *   "ERR value is not an integer or out of range"  (INCR on "abc")
 *   "ERR increment or decrement would overflow"    (INCR on 9223372036854775807)
 *   "ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT /
 *    RESET are allowed in this context"            (most commands in subscribe mode) */
frame *cmd_error_not_integer(void);
frame *cmd_error_overflow(void);
frame *cmd_error_subscribe_context(cmd_kind kind);

#endif
