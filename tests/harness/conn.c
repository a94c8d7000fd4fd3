/*
 * conn.c - a test's client connection: send raw RESP, compare exact reply bytes.
 *
 * Plain blocking sockets with poll() for timeouts: the harness must not depend on the
 * runtime it tests. Bytes that arrive beyond the reply being checked stay in the
 * connection's buffer for the next check (pipelined replies may arrive in one read).
 */
#include "harness.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

enum { CONN_BUFFER = 1 << 16, SENT_TEXT = 1024 };

struct sl_conn {
    int fd;
    bool eof;   /* the server closed its side */
    size_t len; /* bytes waiting in buf */
    char buf[CONN_BUFFER];
    char sent[SENT_TEXT]; /* the last request, in words, for failure messages */
};

sl_conn *sl_conn_open(int port)
{
    sl_conn *c = calloc(1, sizeof *c);
    SL_CHECK_FATAL(c != NULL, "out of memory");
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
        int err = errno;
        if (c->fd >= 0)
            close(c->fd);
        free(c);
        sl_fail_at(__FILE__, __LINE__, true, "could not connect to 127.0.0.1:%d: %s", port,
                   strerror(err));
        return NULL;
    }
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return c;
}

void sl_conn_close(sl_conn *c)
{
    if (!c)
        return;
    close(c->fd);
    free(c);
}

void sl_conn_abort(sl_conn *c)
{
    if (!c)
        return;
    /* SO_LINGER with a zero timeout makes close() send RST: the peer "vanishes". */
    struct linger hard = {.l_onoff = 1, .l_linger = 0};
    setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
    sl_conn_close(c);
}

int sl_conn_fd(const sl_conn *c)
{
    return c->fd;
}

bool sl_conn_send_raw(sl_conn *c, const void *bytes, size_t n)
{
    sl_resp_words(bytes, n, c->sent, sizeof c->sent);
    const char *p = bytes;
    while (n > 0) {
        ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            SL_FAIL("could not send %s: %s (did the server close the connection?)", c->sent,
                    strerror(errno));
            return false;
        }
        p += w;
        n -= (size_t)w;
    }
    return true;
}

bool sl_conn_send_words(sl_conn *c, ...)
{
    char out[CONN_BUFFER];
    const char *word;
    size_t count = 0, len = 0;
    va_list ap;
    va_start(ap, c);
    while (va_arg(ap, const char *))
        count++;
    va_end(ap);
    len += (size_t)snprintf(out, sizeof out, "*%zu\r\n", count);
    va_start(ap, c);
    while ((word = va_arg(ap, const char *)) && len < sizeof out)
        len += (size_t)snprintf(out + len, sizeof out - len, "$%zu\r\n%s\r\n", strlen(word), word);
    va_end(ap);
    SL_CHECK_FATAL(len < sizeof out, "command too long for the harness buffer");
    return sl_conn_send_raw(c, out, len);
}

/* Reads more bytes into the buffer; waits up to seconds. Returns bytes read, 0 on
 * timeout, -1 on EOF or error. */
static ssize_t fill(sl_conn *c, double seconds)
{
    if (c->eof || c->len == sizeof c->buf)
        return -1;
    struct pollfd p = {.fd = c->fd, .events = POLLIN};
    int ms = seconds <= 0 ? 0 : (int)(seconds * 1000);
    int ready;
    do
        ready = poll(&p, 1, ms);
    while (ready < 0 && errno == EINTR);
    if (ready == 0)
        return 0;
    ssize_t n = recv(c->fd, c->buf + c->len, sizeof c->buf - c->len, 0);
    if (n <= 0) {
        c->eof = true;
        return -1;
    }
    c->len += (size_t)n;
    return n;
}

static void consume(sl_conn *c, size_t n)
{
    memmove(c->buf, c->buf + n, c->len - n);
    c->len -= n;
}

static void escape(const char *bytes, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o + 5 < cap; i++) {
        unsigned char ch = (unsigned char)bytes[i];
        if (ch == '\r')
            o += (size_t)snprintf(out + o, cap - o, "\\r");
        else if (ch == '\n')
            o += (size_t)snprintf(out + o, cap - o, "\\n");
        else if (ch < 32 || ch > 126)
            o += (size_t)snprintf(out + o, cap - o, "\\x%02x", ch);
        else
            out[o++] = (char)ch;
    }
    out[o] = '\0';
}

bool sl_conn_check_reply(sl_conn *c, const char *expected, size_t n, double timeout_seconds,
                         char *msg, size_t msgcap)
{
    double deadline = sl_now() + timeout_seconds;
    while (c->len < n && fill(c, deadline - sl_now()) > 0)
        ;
    size_t got = c->len < n ? c->len : n;
    if (got == n && memcmp(c->buf, expected, n) == 0) {
        consume(c, n);
        return true;
    }
    /* Show the whole reply that came back, not just the first n bytes of it. */
    fill(c, 0.05);
    char want[2048], have[2048], want_raw[2048], have_raw[2048];
    sl_resp_words(expected, n, want, sizeof want);
    sl_resp_words(c->buf, c->len, have, sizeof have);
    const char *why = "";
    if (c->len == 0)
        why = c->eof ? "(nothing: the server closed the connection)" : "(nothing)";
    /* A reply cut short (a prefix of the expected one) gets a note on how it ended. */
    bool cut_short = c->len && c->len < n && memcmp(c->buf, expected, c->len) == 0;
    int m = snprintf(
        msg, msgcap, "\n      sent:     %s\n      expected: %s\n      got:      %s%s", c->sent,
        want, c->len ? have : why,
        cut_short ? (c->eof ? "  (then the server closed the connection)" : "  (then nothing more)")
                  : "");
    if (c->len == 0 && !c->eof && m > 0 && (size_t)m < msgcap)
        m += snprintf(msg + m, msgcap - (size_t)m, " within %.1f s", timeout_seconds);
    if (c->len && strcmp(want, have) == 0 && m > 0 && (size_t)m < msgcap) {
        /* Same words, different bytes (a missing \r, say): show the bytes. */
        escape(expected, n, want_raw, sizeof want_raw);
        escape(c->buf, c->len, have_raw, sizeof have_raw);
        snprintf(msg + m, msgcap - (size_t)m,
                 "\n      bytes expected: %s\n      bytes got:      %s", want_raw, have_raw);
    }
    consume(c, c->len);
    return false;
}

bool sl_expect_reply_at(const char *file, int line, sl_conn *c, const char *expected, size_t n)
{
    char msg[8192];
    if (sl_conn_check_reply(c, expected, n, SL_REPLY_TIMEOUT, msg, sizeof msg)) {
        CU_PASS("reply matched");
        return true;
    }
    sl_fail_at(file, line, false, "%s", msg);
    return false;
}

bool sl_conn_is_silent(sl_conn *c, double seconds)
{
    return c->len == 0 && fill(c, seconds) == 0;
}

ssize_t sl_conn_read_some(sl_conn *c, char *buf, size_t cap, double seconds)
{
    if (c->len == 0 && fill(c, seconds) < 0 && c->len == 0)
        return -1;
    size_t n = c->len < cap - 1 ? c->len : cap - 1;
    memcpy(buf, c->buf, n);
    buf[n] = '\0';
    consume(c, n);
    return (ssize_t)n;
}
