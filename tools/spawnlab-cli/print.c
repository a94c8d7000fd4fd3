/*
 * print.c - replies printed as redis-cli prints them to a terminal, so that a session
 * with spawnlab-cli reads exactly like one with redis-cli:
 *
 *     127.0.0.1:6379> set greeting "hello world"
 *     OK
 *     127.0.0.1:6379> get greeting
 *     "hello world"
 *     127.0.0.1:6379> incr greeting
 *     (error) ERR value is not an integer or out of range
 *
 * Every reply is flushed at once: stdout may be a pipe (tests, scripts), where stdio
 * would otherwise hold it back until exit.
 */
#include "cli.h"

#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

void print_quoted(const uint8_t *data, size_t len)
{
    putchar('"');
    for (size_t i = 0; i < len; i++) {
        uint8_t c = data[i];
        const char *escape = c == '\\'   ? "\\\\"
                             : c == '"'  ? "\\\""
                             : c == '\n' ? "\\n"
                             : c == '\r' ? "\\r"
                             : c == '\t' ? "\\t"
                             : c == '\a' ? "\\a"
                             : c == '\b' ? "\\b"
                                         : NULL;
        if (escape != NULL)
            fputs(escape, stdout);
        else if (isprint(c))
            putchar(c);
        else
            printf("\\x%02x", c);
    }
    putchar('"');
}

static void print_bytes(const bytes *b)
{
    fwrite(bytes_data(b), 1, bytes_len(b), stdout);
}

/* One value; indent is where nested array items start (redis-cli aligns them). */
static void print_value(const frame *f, int indent)
{
    switch (frame_get_kind(f)) {
    case FRAME_SIMPLE:
        print_bytes(frame_get_bytes(f));
        break;
    case FRAME_ERROR:
        fputs("(error) ", stdout);
        print_bytes(frame_get_bytes(f));
        break;
    case FRAME_INTEGER:
        printf("(integer) %" PRId64, frame_get_integer(f));
        break;
    case FRAME_BULK:
        print_quoted(bytes_data(frame_get_bytes(f)), bytes_len(frame_get_bytes(f)));
        break;
    case FRAME_NULL:
    case FRAME_NULL_ARRAY:
        fputs("(nil)", stdout);
        break;
    case FRAME_ARRAY:
        if (frame_array_len(f) == 0)
            fputs("(empty array)", stdout);
        for (size_t i = 0; i < frame_array_len(f); i++) {
            if (i > 0)
                printf("\n%*s", indent, "");
            int width = printf("%zu) ", i + 1);
            print_value(frame_array_get(f, i), indent + width);
        }
        break;
    }
}

void print_reply(const frame *reply)
{
    print_value(reply, 0);
    putchar('\n');
    fflush(stdout);
}

void print_push(const char *kind, const bytes *channel, const frame *third)
{
    printf("1) ");
    print_quoted((const uint8_t *)kind, strlen(kind));
    printf("\n2) ");
    print_quoted(bytes_data(channel), bytes_len(channel));
    printf("\n3) ");
    print_value(third, 3);
    putchar('\n');
    fflush(stdout);
}
