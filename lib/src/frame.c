/*
 * frame.c - RESP2 frames: building, parsing (RESP and inline), serializing.
 *
 * Chapter: chapters/01-sequential.md#framing. The file has four sections:
 *
 *   building     constructors; the frame tree owns its children and bytes
 *   parsing      one recursive descent, run twice: a check pass that allocates
 *                nothing and decides OK / NEED_MORE / error, then, only when the
 *                whole frame is there and valid, a build pass over the same bytes
 *   inline       the server's telnet-style requests ("PING\r\n")
 *   serializing  the wire form, appended to a buf
 *
 * Invariants of the parser:
 *   - It reads only data[0..len): every access is preceded by a check against
 *     sc->len, and running out of bytes is FRAME_NEED_MORE, never an error.
 *   - It allocates nothing in the check pass, so the number and size of allocations
 *     is bounded by bytes that have actually arrived, not by length fields.
 *   - Its recursion depth is bounded by limits->max_depth.
 *
 * Simplification: a bulk string's payload is copied out of the read buffer into its
 * own bytes (as mini-redis does with Bytes::copy_from_slice). Pointing into the read
 * buffer instead would need that buffer to be shared and immutable, which a buffer
 * that read(2) keeps appending to is not.
 */
#include "frame.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

struct frame {
    frame_kind kind;
    union {
        bytes *text;     /* FRAME_SIMPLE, FRAME_ERROR, FRAME_BULK */
        int64_t integer; /* FRAME_INTEGER */
        struct {
            frame **items;
            size_t len;
            size_t cap;
        } array; /* FRAME_ARRAY */
    } as;
};

const frame_limits frame_default_limits = {
    .max_bulk_len = 512u * 1024 * 1024,
    .max_array_len = 1024u * 1024,
    .max_depth = 32,
    .max_line_len = 64u * 1024,
};

/* The longest number line: "-9223372036854775808" has 20 characters. */
enum { MAX_NUMBER_LINE = 20 };

/* ================================================================ building */

static frame *frame_alloc(frame_kind kind)
{
    frame *f = util_calloc(1, sizeof *f);
    f->kind = kind;
    return f;
}

/* A copy of text[0..len) with CR and LF turned into spaces: see frame.h. */
static bytes *one_line(const char *text, size_t len)
{
    if (memchr(text, '\r', len) == NULL && memchr(text, '\n', len) == NULL)
        return bytes_copy(text, len);
    char *copy = util_malloc(len);
    for (size_t i = 0; i < len; i++)
        copy[i] = (text[i] == '\r' || text[i] == '\n') ? ' ' : text[i];
    bytes *b = bytes_copy(copy, len);
    free(copy);
    return b;
}

frame *frame_new_simple(const char *text)
{
    frame *f = frame_alloc(FRAME_SIMPLE);
    f->as.text = one_line(text, strlen(text));
    return f;
}

frame *frame_new_error(const char *text)
{
    frame *f = frame_alloc(FRAME_ERROR);
    f->as.text = one_line(text, strlen(text));
    return f;
}

frame *frame_new_errorf(const char *format, ...)
{
    va_list args;
    va_start(args, format);
    int len = vsnprintf(NULL, 0, format, args);
    va_end(args);
    LIB_ASSERT(len >= 0);

    char *text = util_malloc((size_t)len + 1);
    va_start(args, format);
    vsnprintf(text, (size_t)len + 1, format, args);
    va_end(args);

    frame *f = frame_new_error(text);
    free(text);
    return f;
}

frame *frame_new_integer(int64_t value)
{
    frame *f = frame_alloc(FRAME_INTEGER);
    f->as.integer = value;
    return f;
}

frame *frame_new_bulk(bytes *payload)
{
    LIB_ASSERT(payload != NULL);
    frame *f = frame_alloc(FRAME_BULK);
    f->as.text = payload;
    return f;
}

frame *frame_new_bulk_copy(const void *data, size_t len)
{
    return frame_new_bulk(bytes_copy(data, len));
}

frame *frame_new_bulk_str(const char *text)
{
    return frame_new_bulk(bytes_from_str(text));
}

frame *frame_new_null(void)
{
    return frame_alloc(FRAME_NULL);
}

frame *frame_new_array(void)
{
    return frame_alloc(FRAME_ARRAY);
}

frame *frame_new_null_array(void)
{
    return frame_alloc(FRAME_NULL_ARRAY);
}

static void array_reserve(frame *array, size_t cap)
{
    if (cap <= array->as.array.cap)
        return;
    LIB_ASSERT(cap <= SIZE_MAX / sizeof(frame *));
    array->as.array.items = util_realloc(array->as.array.items, cap * sizeof(frame *));
    array->as.array.cap = cap;
}

void frame_array_push(frame *array, frame *item)
{
    LIB_ASSERT(array->kind == FRAME_ARRAY && item != NULL);
    if (array->as.array.len == array->as.array.cap)
        array_reserve(array, array->as.array.cap ? 2 * array->as.array.cap : 4);
    array->as.array.items[array->as.array.len++] = item;
}

void frame_free(frame *f)
{
    if (f == NULL)
        return;
    switch (f->kind) {
    case FRAME_SIMPLE:
    case FRAME_ERROR:
    case FRAME_BULK:
        bytes_release(f->as.text);
        break;
    case FRAME_ARRAY:
        for (size_t i = 0; i < f->as.array.len; i++)
            frame_free(f->as.array.items[i]);
        free(f->as.array.items);
        break;
    case FRAME_INTEGER:
    case FRAME_NULL:
    case FRAME_NULL_ARRAY:
        break;
    }
    free(f);
}

/* ================================================================ parsing */

typedef struct scanner {
    const uint8_t *data;
    size_t len;
    size_t pos; /* next byte to look at */
    const frame_limits *limits;
    bool is_request;    /* array elements must be bulk strings */
    frame_error *error; /* never NULL here (a local when the caller passed NULL) */
} scanner;

/* Records the error (what, and where: byte offset) and returns code. */
__attribute__((format(printf, 4, 5))) static int fail(scanner *sc, size_t offset, int code,
                                                      const char *format, ...)
{
    /* Room for " at byte " and 20 digits after the text, so the offset always shows. */
    char what[sizeof sc->error->message - 32];
    va_list args;
    va_start(args, format);
    vsnprintf(what, sizeof what, format, args);
    va_end(args);
    sc->error->offset = offset;
    snprintf(sc->error->message, sizeof sc->error->message, "%s at byte %zu", what, offset);
    return code;
}

/* The byte at offset, quoted for a message: 'x' or \xHH. */
static const char *shown_byte(uint8_t c, char out[8])
{
    if (c >= 0x20 && c < 0x7f)
        snprintf(out, 8, "'%c'", c);
    else
        util_escape(&c, 1, 1, out, 8);
    return out;
}

/* Finds the CRLF that ends the line at sc->pos. On FRAME_OK, *line and *line_len
 * give the line without its CRLF, and sc->pos moves past the CRLF. A line longer
 * than max_len is an error as soon as max_len + 1 bytes are there without a CR:
 * without this, a peer that never sends CR would make us buffer forever. */
static int scan_line(scanner *sc, size_t max_len, const char *what, const uint8_t **line,
                     size_t *line_len)
{
    const uint8_t *start = sc->data + sc->pos;
    size_t available = sc->len - sc->pos;
    size_t look = available <= max_len ? available : max_len + 1;
    const uint8_t *cr = memchr(start, '\r', look);
    size_t text_len = cr != NULL ? (size_t)(cr - start) : look;
    char seen[8];

    /* A lone LF inside a line is never valid RESP: report it before waiting. */
    const uint8_t *lf = memchr(start, '\n', text_len);
    if (lf != NULL)
        return fail(sc, (size_t)(lf - sc->data), FRAME_EPROTO,
                    "expected CRLF after %s, got LF without CR", what);
    if (cr == NULL) {
        if (available > max_len)
            return fail(sc, sc->pos, FRAME_ETOOBIG, "%s longer than %zu bytes", what, max_len);
        return FRAME_NEED_MORE;
    }
    if (text_len + 1 == available)
        return FRAME_NEED_MORE; /* the CR is the last byte we have */
    if (cr[1] != '\n')
        return fail(sc, (size_t)(cr + 1 - sc->data), FRAME_EPROTO,
                    "expected CRLF after %s, got CR followed by %s", what, shown_byte(cr[1], seen));
    *line = start;
    *line_len = text_len;
    sc->pos += text_len + 2;
    return FRAME_OK;
}

/* Reads the line after a type byte that must hold a decimal number. */
static int scan_number(scanner *sc, const char *what, int64_t *value)
{
    size_t at = sc->pos;
    const uint8_t *line;
    size_t line_len;
    int rc = scan_line(sc, MAX_NUMBER_LINE, what, &line, &line_len);
    if (rc != FRAME_OK)
        return rc;
    if (!util_parse_int64(line, line_len, value)) {
        char shown[64];
        util_escape(line, line_len, MAX_NUMBER_LINE, shown, sizeof shown);
        return fail(sc, at, FRAME_EPROTO, "invalid %s '%s'", what, shown);
    }
    return FRAME_OK;
}

static int parse_value(scanner *sc, size_t depth, frame **out);

/* "+OK\r\n", "-ERR oops\r\n": the type byte is behind us. */
static int parse_line_frame(scanner *sc, frame_kind kind, frame **out)
{
    const uint8_t *line;
    size_t line_len;
    const char *what = kind == FRAME_SIMPLE ? "simple string" : "error";
    int rc = scan_line(sc, sc->limits->max_line_len, what, &line, &line_len);
    if (rc == FRAME_OK && out != NULL) {
        *out = frame_alloc(kind);
        (*out)->as.text = bytes_copy(line, line_len);
    }
    return rc;
}

/* ":42\r\n". */
static int parse_integer(scanner *sc, frame **out)
{
    int64_t value;
    int rc = scan_number(sc, "integer", &value);
    if (rc == FRAME_OK && out != NULL)
        *out = frame_new_integer(value);
    return rc;
}

/* "$5\r\nhello\r\n" or "$-1\r\n"; at is the offset of the '$'. */
static int parse_bulk(scanner *sc, size_t at, frame **out)
{
    int64_t declared;
    int rc = scan_number(sc, "bulk length", &declared);
    if (rc != FRAME_OK)
        return rc;
    if (declared == -1) {
        if (out != NULL)
            *out = frame_new_null();
        return FRAME_OK;
    }
    if (declared < 0)
        return fail(sc, at, FRAME_EPROTO, "invalid bulk length '%lld'", (long long)declared);
    if ((uint64_t)declared > sc->limits->max_bulk_len)
        return fail(sc, at, FRAME_ETOOBIG, "invalid bulk length %lld: over the limit of %zu bytes",
                    (long long)declared, sc->limits->max_bulk_len);

    /* Check the CRLF bytes that have arrived before waiting for the rest: a length
     * that does not match the payload ("$3\r\nabcd\r\n") fails as early as we can tell. */
    size_t size = (size_t)declared;
    size_t available = sc->len - sc->pos; /* payload bytes and beyond */
    size_t end = sc->pos + size;          /* where the CRLF must be */
    size_t crlf_arrived = available > size ? available - size : 0;
    for (size_t k = 0; k < 2 && k < crlf_arrived; k++)
        if (sc->data[end + k] != "\r\n"[k])
            return fail(sc, end + k, FRAME_EPROTO,
                        "bulk string of declared length %zu is not followed by CRLF", size);
    if (available < 2 || available - 2 < size)
        return FRAME_NEED_MORE;
    if (out != NULL)
        *out = frame_new_bulk_copy(sc->data + sc->pos, size);
    sc->pos += size + 2;
    return FRAME_OK;
}

/* "*2\r\n<frame><frame>" or "*-1\r\n"; at is the offset of the '*', depth the number
 * of arrays around this one. */
static int parse_array(scanner *sc, size_t at, size_t depth, frame **out)
{
    const frame_limits *limits = sc->limits;
    int64_t declared;
    int rc = scan_number(sc, "multibulk length", &declared);
    if (rc != FRAME_OK)
        return rc;
    if (declared == -1) {
        if (out != NULL)
            *out = frame_new_null_array();
        return FRAME_OK;
    }
    if (declared < 0)
        return fail(sc, at, FRAME_EPROTO, "invalid multibulk length '%lld'", (long long)declared);
    if ((uint64_t)declared > limits->max_array_len)
        return fail(sc, at, FRAME_ETOOBIG,
                    "invalid multibulk length %lld: over the limit of %zu elements",
                    (long long)declared, limits->max_array_len);
    if (depth + 1 > limits->max_depth)
        return fail(sc, at, FRAME_ETOOBIG, "arrays nested deeper than %zu levels",
                    limits->max_depth);

    size_t count = (size_t)declared;
    frame *array = NULL;
    if (out != NULL) {
        /* Safe to size up front: the check pass saw all count elements arrive. */
        array = frame_new_array();
        array_reserve(array, count);
    }
    for (size_t i = 0; i < count; i++) {
        if (sc->is_request && sc->pos < sc->len && sc->data[sc->pos] != '$') {
            char seen[8];
            return fail(sc, sc->pos, FRAME_EPROTO, "expected '$', got %s",
                        shown_byte(sc->data[sc->pos], seen));
        }
        frame *item = NULL;
        rc = parse_value(sc, depth + 1, array != NULL ? &item : NULL);
        if (rc != FRAME_OK) {
            LIB_ASSERT(array == NULL); /* the build pass cannot fail: the check passed */
            return rc;
        }
        if (array != NULL)
            array->as.array.items[array->as.array.len++] = item;
    }
    if (out != NULL)
        *out = array;
    return FRAME_OK;
}

/* One frame at sc->pos. out == NULL: the check pass (allocate nothing). */
static int parse_value(scanner *sc, size_t depth, frame **out)
{
    if (sc->pos == sc->len)
        return FRAME_NEED_MORE;
    size_t at = sc->pos;
    uint8_t type = sc->data[sc->pos++];
    char seen[8];
    switch (type) {
    case '+':
        return parse_line_frame(sc, FRAME_SIMPLE, out);
    case '-':
        return parse_line_frame(sc, FRAME_ERROR, out);
    case ':':
        return parse_integer(sc, out);
    case '$':
        return parse_bulk(sc, at, out);
    case '*':
        return parse_array(sc, at, depth, out);
    default:
        return fail(sc, at, FRAME_EPROTO, "invalid frame type byte %s (expected one of + - : $ *)",
                    shown_byte(type, seen));
    }
}

/* Both passes over one frame at the start of the input; see frame.h for results. */
static int parse_twice(scanner *sc, frame **out, size_t *consumed)
{
    int rc = parse_value(sc, 0, NULL);
    if (rc != FRAME_OK)
        return rc;
    size_t frame_len = sc->pos;
    sc->pos = 0;
    rc = parse_value(sc, 0, out);
    LIB_ASSERT(rc == FRAME_OK && sc->pos == frame_len);
    *consumed = frame_len;
    return FRAME_OK;
}

static void scanner_init(scanner *sc, const uint8_t *data, size_t len, const frame_limits *limits,
                         frame_error *error, frame_error *local)
{
    LIB_ASSERT(data != NULL || len == 0);
    sc->data = data;
    sc->len = len;
    sc->pos = 0;
    sc->limits = limits != NULL ? limits : &frame_default_limits;
    sc->is_request = false;
    sc->error = error != NULL ? error : local;
}

int frame_parse(const uint8_t *data, size_t len, const frame_limits *limits, frame **out,
                size_t *consumed, frame_error *error)
{
    scanner sc;
    frame_error local;
    scanner_init(&sc, data, len, limits, error, &local);
    *out = NULL;
    *consumed = 0;
    return parse_twice(&sc, out, consumed);
}

/* ================================================================ inline */

static bool is_blank(uint8_t c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static int hex_value(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* The byte a backslash escape inside double quotes stands for. */
static uint8_t unescape(uint8_t c)
{
    switch (c) {
    case 'n':
        return '\n';
    case 'r':
        return '\r';
    case 't':
        return '\t';
    case 'b':
        return '\b';
    case 'a':
        return '\a';
    default:
        return c; /* \\ and \" and anything else: the character itself */
    }
}

/* Reads one argument of an inline line starting at line[*i] (not a blank) into
 * token, which has room for the whole line. As in Redis, a quote may open inside a
 * word (a"b c" is the one argument "ab c"), but a closing quote must be followed by
 * a blank or the end of the line ("a"b is an error). Returns the token's length, or -1 for
 * unbalanced quotes. */
static long inline_token(const uint8_t *line, size_t len, size_t *i, uint8_t *token)
{
    enum { PLAIN, IN_DOUBLE, IN_SINGLE } state = PLAIN;
    size_t n = 0;
    size_t at = *i;
    for (;;) {
        if (at == len) {
            *i = at;
            return state == PLAIN ? (long)n : -1;
        }
        uint8_t c = line[at];
        bool has_next = at + 1 < len;
        if (state == PLAIN) {
            if (is_blank(c))
                break;
            if (c == '"')
                state = IN_DOUBLE;
            else if (c == '\'')
                state = IN_SINGLE;
            else
                token[n++] = c;
            at++;
        } else if (c == '\\' && state == IN_DOUBLE && at + 3 < len && line[at + 1] == 'x' &&
                   hex_value(line[at + 2]) >= 0 && hex_value(line[at + 3]) >= 0) {
            token[n++] = (uint8_t)(hex_value(line[at + 2]) * 16 + hex_value(line[at + 3]));
            at += 4;
        } else if (c == '\\' && state == IN_DOUBLE && has_next) {
            token[n++] = unescape(line[at + 1]);
            at += 2;
        } else if (c == '\\' && state == IN_SINGLE && has_next && line[at + 1] == '\'') {
            token[n++] = '\'';
            at += 2;
        } else if ((c == '"' && state == IN_DOUBLE) || (c == '\'' && state == IN_SINGLE)) {
            if (has_next && !is_blank(line[at + 1]))
                return -1; /* "foo"bar: Redis calls this unbalanced too */
            at++;
            break;
        } else {
            token[n++] = c;
            at++;
        }
    }
    *i = at;
    return (long)n;
}

/* Splits line[0..len) into an array of bulk strings; NULL for unbalanced quotes. */
static frame *split_inline(const uint8_t *line, size_t len)
{
    frame *array = frame_new_array();
    uint8_t *token = util_malloc(len); /* an argument is never longer than its line */
    size_t i = 0;
    for (;;) {
        while (i < len && is_blank(line[i]))
            i++;
        if (i == len)
            break;
        long n = inline_token(line, len, &i, token);
        if (n < 0) {
            frame_free(array);
            array = NULL;
            break;
        }
        frame_array_push(array, frame_new_bulk_copy(token, (size_t)n));
    }
    free(token);
    return array;
}

/* "SET a 1\r\n": a request that does not start with '*'. */
static int parse_inline(scanner *sc, frame **out, size_t *consumed)
{
    /* The line may hold max_line_len bytes, then "\r\n": look no further than that. */
    size_t max_len = sc->limits->max_line_len;
    size_t room = max_len <= SIZE_MAX - 2 ? max_len + 2 : SIZE_MAX;
    size_t look = sc->len < room ? sc->len : room;
    const uint8_t *newline = memchr(sc->data, '\n', look);
    if (newline == NULL) {
        if (sc->len >= room)
            return fail(sc, 0, FRAME_ETOOBIG, "too big inline request: no newline after %zu bytes",
                        max_len);
        return FRAME_NEED_MORE;
    }
    size_t line_len = (size_t)(newline - sc->data);
    size_t text_len = line_len > 0 && sc->data[line_len - 1] == '\r' ? line_len - 1 : line_len;
    frame *array = split_inline(sc->data, text_len);
    if (array == NULL)
        return fail(sc, 0, FRAME_EPROTO, "unbalanced quotes in request");
    *out = array;
    *consumed = line_len + 1;
    return FRAME_OK;
}

int frame_parse_request(const uint8_t *data, size_t len, const frame_limits *limits, frame **out,
                        size_t *consumed, frame_error *error)
{
    scanner sc;
    frame_error local;
    scanner_init(&sc, data, len, limits, error, &local);
    *out = NULL;
    *consumed = 0;
    if (len == 0)
        return FRAME_NEED_MORE;
    if (data[0] != '*')
        return parse_inline(&sc, out, consumed);
    sc.is_request = true;
    return parse_twice(&sc, out, consumed);
}

/* ================================================================ serializing */

/* Appends "<type><number>\r\n", the header of integers, bulks and arrays. */
static void put_header(buf *out, char type, int64_t number)
{
    char header[1 + 20 + 2];
    size_t n = 0;
    header[n++] = type;
    n += util_format_int64(header + n, number);
    header[n++] = '\r';
    header[n++] = '\n';
    buf_append(out, header, n);
}

/* Appends "<type><text>\r\n" (simple string, error) or "<text>\r\n" (bulk payload),
 * reserving once so that one frame costs one bounds check, not three. */
static void put_line(buf *out, char type, const bytes *text)
{
    size_t len = bytes_len(text);
    size_t prefix = type != 0 ? 1 : 0;
    uint8_t *p = buf_reserve(out, prefix + len + 2, NULL);
    if (prefix)
        *p++ = (uint8_t)type;
    if (len > 0)
        memcpy(p, bytes_data(text), len);
    p[len] = '\r';
    p[len + 1] = '\n';
    buf_commit(out, prefix + len + 2);
}

void frame_serialize(const frame *f, buf *out)
{
    switch (f->kind) {
    case FRAME_SIMPLE:
        put_line(out, '+', f->as.text);
        break;
    case FRAME_ERROR:
        put_line(out, '-', f->as.text);
        break;
    case FRAME_INTEGER:
        put_header(out, ':', f->as.integer);
        break;
    case FRAME_BULK:
        put_header(out, '$', (int64_t)bytes_len(f->as.text));
        put_line(out, 0, f->as.text);
        break;
    case FRAME_NULL:
        buf_append(out, "$-1\r\n", 5);
        break;
    case FRAME_ARRAY:
        put_header(out, '*', (int64_t)f->as.array.len);
        for (size_t i = 0; i < f->as.array.len; i++)
            frame_serialize(f->as.array.items[i], out);
        break;
    case FRAME_NULL_ARRAY:
        buf_append(out, "*-1\r\n", 5);
        break;
    }
}

/* ================================================================ inspecting */

frame_kind frame_get_kind(const frame *f)
{
    return f->kind;
}

const char *frame_kind_name(frame_kind kind)
{
    switch (kind) {
    case FRAME_SIMPLE:
        return "simple string";
    case FRAME_ERROR:
        return "error";
    case FRAME_INTEGER:
        return "integer";
    case FRAME_BULK:
        return "bulk string";
    case FRAME_NULL:
        return "null bulk string";
    case FRAME_ARRAY:
        return "array";
    case FRAME_NULL_ARRAY:
        return "null array";
    }
    return "unknown frame kind";
}

bytes *frame_get_bytes(const frame *f)
{
    LIB_ASSERT(f->kind == FRAME_SIMPLE || f->kind == FRAME_ERROR || f->kind == FRAME_BULK);
    return f->as.text;
}

int64_t frame_get_integer(const frame *f)
{
    LIB_ASSERT(f->kind == FRAME_INTEGER);
    return f->as.integer;
}

size_t frame_array_len(const frame *f)
{
    LIB_ASSERT(f->kind == FRAME_ARRAY);
    return f->as.array.len;
}

frame *frame_array_get(const frame *f, size_t index)
{
    LIB_ASSERT(f->kind == FRAME_ARRAY && index < f->as.array.len);
    return f->as.array.items[index];
}

bool frame_equals(const frame *a, const frame *b)
{
    if (a->kind != b->kind)
        return false;
    switch (a->kind) {
    case FRAME_SIMPLE:
    case FRAME_ERROR:
    case FRAME_BULK:
        return bytes_equals(a->as.text, b->as.text);
    case FRAME_INTEGER:
        return a->as.integer == b->as.integer;
    case FRAME_ARRAY:
        if (a->as.array.len != b->as.array.len)
            return false;
        for (size_t i = 0; i < a->as.array.len; i++)
            if (!frame_equals(a->as.array.items[i], b->as.array.items[i]))
                return false;
        return true;
    case FRAME_NULL:
    case FRAME_NULL_ARRAY:
        return true;
    }
    return false;
}
