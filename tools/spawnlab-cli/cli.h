/*
 * cli.h - what the files of spawnlab-cli share (not API: a tool's internals).
 *
 *   main.c       options, connecting, one-shot and interactive modes
 *   commands.c   a request's words -> a typed client call (client.h), or any other
 *                command sent as it is
 *   print.c      replies printed the way redis-cli prints them to a terminal
 */
#ifndef SPAWNLAB_CLI_H
#define SPAWNLAB_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "bytes.h"
#include "client.h"
#include "frame.h"
#include "rt.h"

typedef struct cli_session {
    const char *host;
    int port;
    client *client; /* NULL once a subscription took it over */
} cli_session;

/* What running one command ended with. */
enum {
    CLI_OK = 0,           /* the reply was printed */
    CLI_SERVER_ERROR = 1, /* an error reply was printed: "(error) ..." */
    CLI_FATAL = -1,       /* the connection failed (a message went to stderr): stop */
};

/* Runs request (an array of bulk strings: the words typed) and prints its reply.
 * MAY YIELD. From the cli's task. */
int cli_run(cli_session *cli, const frame *request);

/* Prints the message of a failed connection, naming host:port, on stderr. */
void cli_print_failure(const cli_session *cli, const char *what);

/* ------------------------------------------------------------ printing (print.c) */

/* "text" with redis-cli's escapes (\n, \", \xHH ...). */
void print_quoted(const uint8_t *data, size_t len);
/* A reply as redis-cli shows it: OK, (error) ..., (integer) 3, "value", (nil),
 * 1) "a" / 2) "b" for arrays (nested ones indented). Ends with a newline. */
void print_reply(const frame *reply);
/* The lines of a push: 1) "message" 2) "ch" 3) "payload". */
void print_push(const char *kind, const bytes *channel, const frame *third);

#endif
