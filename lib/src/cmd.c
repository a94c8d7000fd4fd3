/*
 * cmd.c - request frames to commands, with Redis's own error replies.
 *
 * Chapter: chapters/01-sequential.md#commands. Parsing is table-driven, like Redis's
 * command table: each entry has the name, the arity in Redis's convention (N: exactly
 * N words counting the name; -N: at least N) and a function that reads the rest.
 * cmd_parse does the work common to all commands in three steps:
 *
 *   1. the request must be an array of bulk strings (an empty one is CMD_EMPTY);
 *   2. the first word names a command in the table, compared case-insensitively
 *      ("unknown command" otherwise);
 *   3. the number of words matches the arity ("wrong number of arguments"); then the
 *      command's own function reads its arguments and options.
 *
 * Every error text below is checked against a real redis-server by tests/resp.
 */
#include "cmd.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "util.h"

/* The words of the request being parsed: words[0] is the command's name. */
typedef struct request_words {
    const frame *array;
    size_t count;
} request_words;

static bytes *word(const request_words *w, size_t index)
{
    return frame_get_bytes(frame_array_get(w->array, index));
}

/* true when the word is keyword, ignoring case ("nx", "NX", "Nx"). */
static bool word_is(const bytes *b, const char *keyword)
{
    size_t len = strlen(keyword);
    return bytes_len(b) == len && strncasecmp((const char *)bytes_data(b), keyword, len) == 0;
}

/* References to words[from..count), for DEL keys and SUBSCRIBE channels. */
static bytes **clone_words(const request_words *w, size_t from, size_t *count)
{
    *count = w->count - from;
    if (*count == 0)
        return NULL;
    bytes **list = util_malloc(*count * sizeof(bytes *));
    for (size_t i = 0; i < *count; i++)
        list[i] = bytes_clone(word(w, from + i));
    return list;
}

static int reply_error(frame **error_reply, frame *error)
{
    *error_reply = error;
    return -EINVAL;
}

static int wrong_arity(const char *name, frame **error_reply)
{
    return reply_error(error_reply,
                       frame_new_errorf("ERR wrong number of arguments for '%s' command", name));
}

/* ================================================================ each command */

static int parse_ping(const request_words *w, cmd *out, frame **error_reply)
{
    if (w->count > 2) /* Redis's table says -1 for PING and checks the maximum here */
        return wrong_arity("ping", error_reply);
    out->ping.message = w->count == 2 ? bytes_clone(word(w, 1)) : NULL;
    return 0;
}

static int parse_echo(const request_words *w, cmd *out, frame **error_reply)
{
    (void)error_reply;
    out->echo.message = bytes_clone(word(w, 1));
    return 0;
}

static int parse_get(const request_words *w, cmd *out, frame **error_reply)
{
    (void)error_reply;
    out->get.key = bytes_clone(word(w, 1));
    return 0;
}

/* EX/PX's argument as milliseconds, checked as Redis checks it: an integer, > 0, and
 * such that "now + it" does not overflow (Redis turns it into an absolute time). */
static int parse_expire(const bytes *text, bool is_seconds, int64_t *ms, frame **error_reply)
{
    int64_t value;
    if (cmd_parse_integer(text, &value) != 0)
        return reply_error(error_reply, cmd_error_not_integer());
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    int64_t now_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
    if (value <= 0 || (is_seconds && value > INT64_MAX / 1000) ||
        (is_seconds ? value * 1000 : value) > INT64_MAX - now_ms)
        return reply_error(error_reply,
                           frame_new_error("ERR invalid expire time in 'set' command"));
    *ms = is_seconds ? value * 1000 : value;
    return 0;
}

/* SET key value [EX s | PX ms] [NX | XX]. Options come in any order; a repeated EX
 * (or PX) replaces the earlier one, EX with PX or NX with XX is a syntax error. All
 * syntax is checked before the expiry's value, so that is what Redis reports first. */
static int parse_set(const request_words *w, cmd *out, frame **error_reply)
{
    cmd_set_condition condition = CMD_SET_ALWAYS;
    const bytes *expire = NULL;
    bool is_seconds = false;
    for (size_t i = 3; i < w->count; i++) {
        const bytes *option = word(w, i);
        bool has_argument = i + 1 < w->count;
        if (word_is(option, "nx") && condition != CMD_SET_IF_PRESENT) {
            condition = CMD_SET_IF_ABSENT;
        } else if (word_is(option, "xx") && condition != CMD_SET_IF_ABSENT) {
            condition = CMD_SET_IF_PRESENT;
        } else if (word_is(option, "ex") && (expire == NULL || is_seconds) && has_argument) {
            expire = word(w, ++i);
            is_seconds = true;
        } else if (word_is(option, "px") && (expire == NULL || !is_seconds) && has_argument) {
            expire = word(w, ++i);
            is_seconds = false;
        } else {
            return reply_error(error_reply, frame_new_error("ERR syntax error"));
        }
    }
    int64_t expire_ms = 0;
    if (expire != NULL && parse_expire(expire, is_seconds, &expire_ms, error_reply) != 0)
        return -EINVAL;
    out->set.key = bytes_clone(word(w, 1));
    out->set.value = bytes_clone(word(w, 2));
    out->set.expire_ms = expire_ms;
    out->set.condition = condition;
    return 0;
}

static int parse_del(const request_words *w, cmd *out, frame **error_reply)
{
    (void)error_reply;
    out->del.keys = clone_words(w, 1, &out->del.nkeys);
    return 0;
}

static int parse_incr(const request_words *w, cmd *out, frame **error_reply)
{
    (void)error_reply;
    out->incr.key = bytes_clone(word(w, 1));
    return 0;
}

static int parse_publish(const request_words *w, cmd *out, frame **error_reply)
{
    (void)error_reply;
    out->publish.channel = bytes_clone(word(w, 1));
    out->publish.message = bytes_clone(word(w, 2));
    return 0;
}

static int parse_subscribe(const request_words *w, cmd *out, frame **error_reply)
{
    (void)error_reply;
    out->subscribe.channels = clone_words(w, 1, &out->subscribe.nchannels);
    return 0;
}

static int parse_unsubscribe(const request_words *w, cmd *out, frame **error_reply)
{
    (void)error_reply;
    out->unsubscribe.channels = clone_words(w, 1, &out->unsubscribe.nchannels);
    return 0;
}

/* CONFIG is a container command in Redis 7: its arity counts the subcommand, and the
 * subcommand has an arity of its own ("config|get": -3). We know only GET. */
static int parse_config(const request_words *w, cmd *out, frame **error_reply)
{
    const bytes *sub = word(w, 1);
    if (!word_is(sub, "get")) {
        int len = bytes_len(sub) < 128 ? (int)bytes_len(sub) : 128;
        return reply_error(error_reply,
                           frame_new_errorf("ERR unknown subcommand '%.*s'. Try CONFIG HELP.", len,
                                            (const char *)bytes_data(sub)));
    }
    if (w->count < 3)
        return wrong_arity("config|get", error_reply);
    out->kind = CMD_CONFIG_GET;
    out->config_get.parameters = clone_words(w, 2, &out->config_get.nparameters);
    return 0;
}

static int parse_command(const request_words *w, cmd *out, frame **error_reply)
{
    (void)w, (void)out, (void)error_reply;
    return 0; /* any subcommand: the server answers an empty array to all of them */
}

/* ================================================================ the table */

typedef struct command_spec {
    const char *name; /* lowercase, as Redis writes it in "wrong number of arguments" */
    cmd_kind kind;
    int arity;
    int (*parse)(const request_words *w, cmd *out, frame **error_reply);
} command_spec;

static const command_spec commands[] = {
    {"ping", CMD_PING, -1, parse_ping},
    {"echo", CMD_ECHO, 2, parse_echo},
    {"get", CMD_GET, 2, parse_get},
    {"set", CMD_SET, -3, parse_set},
    {"del", CMD_DEL, -2, parse_del},
    {"incr", CMD_INCR, 2, parse_incr},
    {"publish", CMD_PUBLISH, 3, parse_publish},
    {"subscribe", CMD_SUBSCRIBE, -2, parse_subscribe},
    {"unsubscribe", CMD_UNSUBSCRIBE, -1, parse_unsubscribe},
    {"config", CMD_CONFIG_GET, -2, parse_config},
    {"command", CMD_COMMAND, -1, parse_command},
};

static const command_spec *find_command(const bytes *name)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (word_is(name, commands[i].name))
            return &commands[i];
    return NULL;
}

/* "ERR unknown command 'FOO', with args beginning with: 'a' 'b' ": the name as the
 * client spelled it, then the arguments quoted, each cut so the list stays near 128
 * characters. %.*s stops at a NUL byte, as Redis's C strings do. */
static frame *unknown_command(const request_words *w)
{
    char args[128 + 128 + 8];
    size_t used = 0;
    args[0] = '\0';
    for (size_t i = 1; i < w->count && used < 128; i++) {
        const bytes *arg = word(w, i);
        size_t room = 128 - used;
        int shown = (int)(bytes_len(arg) < room ? bytes_len(arg) : room);
        used += (size_t)snprintf(args + used, sizeof args - used, "'%.*s' ", shown,
                                 (const char *)bytes_data(arg));
    }
    const bytes *name = word(w, 0);
    int name_len = bytes_len(name) < 128 ? (int)bytes_len(name) : 128;
    return frame_new_errorf("ERR unknown command '%.*s', with args beginning with: %s", name_len,
                            (const char *)bytes_data(name), args);
}

/* Step 1: an array of bulk strings, or nothing to do. */
static int check_shape(const frame *request, frame **error_reply)
{
    frame_kind kind = frame_get_kind(request);
    if (kind == FRAME_NULL_ARRAY || (kind == FRAME_ARRAY && frame_array_len(request) == 0))
        return 1;
    bool is_valid = kind == FRAME_ARRAY;
    for (size_t i = 0; is_valid && i < frame_array_len(request); i++)
        is_valid = frame_get_kind(frame_array_get(request, i)) == FRAME_BULK;
    if (!is_valid)
        return reply_error(
            error_reply, frame_new_error("ERR Protocol error: expected an array of bulk strings"));
    return 0;
}

int cmd_parse(const frame *request, cmd *out, frame **error_reply)
{
    *out = (cmd){.kind = CMD_EMPTY};
    *error_reply = NULL;
    int shape = check_shape(request, error_reply);
    if (shape != 0)
        return shape < 0 ? shape : 0;

    request_words w = {request, frame_array_len(request)};
    const command_spec *spec = find_command(word(&w, 0)); /* step 2 */
    if (spec == NULL)
        return reply_error(error_reply, unknown_command(&w));
    if ((spec->arity > 0 && w.count != (size_t)spec->arity) || /* step 3 */
        (spec->arity < 0 && w.count < (size_t)-spec->arity))
        return wrong_arity(spec->name, error_reply);

    cmd parsed = {.kind = spec->kind};
    int rc = spec->parse(&w, &parsed, error_reply);
    if (rc != 0) {
        cmd_clear(&parsed);
        return rc;
    }
    *out = parsed;
    return 0;
}

static void release_list(bytes **list, size_t count)
{
    for (size_t i = 0; i < count; i++)
        bytes_release(list[i]);
    free(list);
}

void cmd_clear(cmd *c)
{
    switch (c->kind) {
    case CMD_EMPTY:
    case CMD_COMMAND:
        break;
    case CMD_PING:
        bytes_release(c->ping.message);
        break;
    case CMD_ECHO:
        bytes_release(c->echo.message);
        break;
    case CMD_GET:
        bytes_release(c->get.key);
        break;
    case CMD_SET:
        bytes_release(c->set.key);
        bytes_release(c->set.value);
        break;
    case CMD_DEL:
        release_list(c->del.keys, c->del.nkeys);
        break;
    case CMD_INCR:
        bytes_release(c->incr.key);
        break;
    case CMD_PUBLISH:
        bytes_release(c->publish.channel);
        bytes_release(c->publish.message);
        break;
    case CMD_SUBSCRIBE:
        release_list(c->subscribe.channels, c->subscribe.nchannels);
        break;
    case CMD_UNSUBSCRIBE:
        release_list(c->unsubscribe.channels, c->unsubscribe.nchannels);
        break;
    case CMD_CONFIG_GET:
        release_list(c->config_get.parameters, c->config_get.nparameters);
        break;
    }
    *c = (cmd){.kind = CMD_EMPTY};
}

const char *cmd_name(cmd_kind kind)
{
    if (kind == CMD_CONFIG_GET)
        return "config|get";
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (commands[i].kind == kind)
            return commands[i].name;
    return "";
}

/* ================================================================ for executing */

int cmd_parse_integer(const bytes *text, int64_t *value)
{
    return util_parse_int64(bytes_data(text), bytes_len(text), value) ? 0 : -EINVAL;
}

frame *cmd_error_not_integer(void)
{
    return frame_new_error("ERR value is not an integer or out of range");
}

frame *cmd_error_overflow(void)
{
    return frame_new_error("ERR increment or decrement would overflow");
}

frame *cmd_error_subscribe_context(cmd_kind kind)
{
    return frame_new_errorf("ERR Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / "
                            "PING / QUIT / RESET are allowed in this context",
                            cmd_name(kind));
}
