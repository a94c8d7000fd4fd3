/*
 * tcp.c - non-blocking TCP sockets that park the task, not the thread (rt_net.h).
 *
 * Chapters: chapters/01-sequential.md, chapters/appendix-runtime.md#the-reactor
 *
 * Every call here has the same shape, the reactor's loop as seen from a task:
 *
 *     for (;;) {
 *         try the system call;                     // non-blocking: never sleeps
 *         if it did something (or failed for real) -> return that;
 *         it said EAGAIN: io_source_wait(ready?)   // park until the reactor sees an edge
 *     }
 *
 * errno is read right after the call that set it, before io_source_wait: the task may
 * resume on another thread, with another errno.
 *
 * A stream or listener *is* its io_source (the first member), so that the reactor can free
 * it when no event can name it any more (reactor.c "Releasing sources").
 *
 * Deliberate simplifications: no address resolution (rt_net.h), IPv4 and IPv6 only.
 */
#include "internal.h"
#include "rt_net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct rt_tcp_stream {
    struct io_source source; /* first: see the top of the file */
};

struct rt_tcp_listener {
    struct io_source source; /* first */
    int port;
};

/* ------------------------------------------------------------ helpers */

static struct rt_task *calling_task(const char *function)
{
    struct rt_task *t = task_current();
    RT_ASSERT(t, "%s called outside a task: sockets need the runtime's reactor", function);
    return t;
}

static bool is_cancelled(struct rt_task *t)
{
    return atomic_load_explicit(&t->is_cancelled, memory_order_acquire);
}

/* Numeric host (or "localhost", or NULL/"" for any) and port into a socket address. */
static int parse_address(const char *host, int port, struct sockaddr_storage *addr, socklen_t *len)
{
    if (port < 0 || port > 65535)
        return -EINVAL;
    memset(addr, 0, sizeof *addr);
    struct sockaddr_in *v4 = (struct sockaddr_in *)addr;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)addr;
    if (!host || !host[0] || strcmp(host, "localhost") == 0) {
        v4->sin_family = AF_INET;
        v4->sin_addr.s_addr = htonl(host && host[0] ? INADDR_LOOPBACK : INADDR_ANY);
    } else if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
    } else if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
    } else {
        return -EINVAL; /* a name: resolve it first (rt_net.h) */
    }
    if (addr->ss_family == AF_INET) {
        v4->sin_port = htons((uint16_t)port);
        *len = sizeof *v4;
    } else {
        v6->sin6_port = htons((uint16_t)port);
        *len = sizeof *v6;
    }
    return 0;
}

/* Makes a stream of a connected, non-blocking fd (closes fd on failure). */
static int stream_open(struct rt_runtime *rt, int fd, rt_tcp_stream **out)
{
    /* RESP and every request/response protocol want a small write to leave at once, not
     * wait for Nagle's algorithm to batch it with the next. */
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    rt_tcp_stream *s = malloc(sizeof *s);
    int rc = s ? io_source_open(rt, &s->source, fd) : -ENOMEM;
    if (rc < 0) {
        free(s);
        close(fd);
        return rc;
    }
    *out = s;
    return 0;
}

/* ------------------------------------------------------------ listening */

/* socket + bind + listen; returns the fd or a negative code. */
static int listening_socket(const struct sockaddr_storage *addr, socklen_t len, int backlog)
{
    int fd = socket(addr->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    int one = 1; /* restarting a server must not wait for old connections' TIME_WAIT */
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (const struct sockaddr *)addr, len) < 0 ||
        listen(fd, backlog > 0 ? backlog : SOMAXCONN) < 0) {
        int err = -errno;
        close(fd);
        return err;
    }
    return fd;
}

int rt_tcp_listen(const char *host, int port, int backlog, rt_tcp_listener **out)
{
    struct rt_task *t = calling_task("rt_tcp_listen");
    struct sockaddr_storage addr;
    socklen_t len;
    int rc = parse_address(host, port, &addr, &len);
    if (rc < 0)
        return rc;
    int fd = listening_socket(&addr, len, backlog);
    if (fd < 0)
        return fd;
    rt_tcp_listener *l = malloc(sizeof *l);
    rc = l ? io_source_open(t->rt, &l->source, fd) : -ENOMEM;
    if (rc < 0) {
        free(l);
        close(fd);
        return rc;
    }
    getsockname(fd, (struct sockaddr *)&addr, &len); /* port 0: learn the one we got */
    l->port = ntohs(addr.ss_family == AF_INET ? ((struct sockaddr_in *)&addr)->sin_port
                                              : ((struct sockaddr_in6 *)&addr)->sin6_port);
    *out = l;
    return 0;
}

int rt_tcp_listener_port(const rt_tcp_listener *listener)
{
    return listener->port;
}

int rt_tcp_accept(rt_tcp_listener *listener, rt_tcp_stream **out)
{
    struct rt_task *t = calling_task("rt_tcp_accept");
    if (is_cancelled(t))
        return RT_ECANCELED;
    for (;;) {
        int fd = accept4(listener->source.fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0)
            return stream_open(t->rt, fd, out);
        int err = errno;
        /* ECONNABORTED: the client gave up while queued - not our problem, next one. */
        if (err == EINTR || err == ECONNABORTED)
            continue;
        if (err != EAGAIN && err != EWOULDBLOCK)
            return -err;
        int rc = io_source_wait(&listener->source, POLLER_READABLE);
        if (rc < 0)
            return rc;
    }
}

void rt_tcp_listener_close(rt_tcp_listener *listener)
{
    int fd = listener->source.fd;
    io_source_release(&listener->source); /* deregister first: fd numbers are reused */
    close(fd);
}

/* ------------------------------------------------------------ connecting */

/* Waits until the connect started on s finishes: 0 or a negative code. */
static int finish_connect(rt_tcp_stream *s)
{
    for (;;) {
        int rc = io_source_wait(&s->source, POLLER_WRITABLE);
        if (rc < 0)
            return rc;
        int error = 0;
        socklen_t len = sizeof error;
        if (getsockopt(s->source.fd, SOL_SOCKET, SO_ERROR, &error, &len) < 0)
            return -errno;
        if (error != 0)
            return -error;
        struct sockaddr_storage peer;
        len = sizeof peer;
        if (getpeername(s->source.fd, (struct sockaddr *)&peer, &len) == 0)
            return 0; /* connected (not just an early edge) */
    }
}

int rt_tcp_connect(const char *host, int port, rt_tcp_stream **out)
{
    struct rt_task *t = calling_task("rt_tcp_connect");
    if (is_cancelled(t))
        return RT_ECANCELED;
    struct sockaddr_storage addr;
    socklen_t len;
    int rc = parse_address(host, port, &addr, &len);
    if (rc < 0)
        return rc;
    int fd = socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    /* connect first, register after: an unconnected socket reports itself "writable and
     * hung up", an edge that would end our wait before the connection does. */
    if (connect(fd, (struct sockaddr *)&addr, len) < 0 && errno != EINPROGRESS) {
        rc = -errno;
        close(fd);
        return rc;
    }
    rt_tcp_stream *s;
    rc = stream_open(t->rt, fd, &s);
    if (rc < 0)
        return rc;
    rc = finish_connect(s);
    if (rc < 0) {
        rt_tcp_close(s); /* nothing is left half-open */
        return rc;
    }
    *out = s;
    return 0;
}

/* ------------------------------------------------------------ reading and writing */

ssize_t rt_tcp_read(rt_tcp_stream *stream, void *buf, size_t len)
{
    struct rt_task *t = calling_task("rt_tcp_read");
    if (is_cancelled(t))
        return RT_ECANCELED;
    for (;;) {
        ssize_t n = recv(stream->source.fd, buf, len, 0);
        if (n >= 0)
            return n;
        int err = errno;
        if (err == EINTR)
            continue;
        if (err != EAGAIN && err != EWOULDBLOCK)
            return -err;
        int rc = io_source_wait(&stream->source, POLLER_READABLE);
        if (rc < 0)
            return rc;
    }
}

int rt_tcp_write_all(rt_tcp_stream *stream, const void *buf, size_t len, size_t *written)
{
    struct rt_task *t = calling_task("rt_tcp_write_all");
    size_t done = 0;
    int rc = is_cancelled(t) ? RT_ECANCELED : 0;
    while (rc == 0 && done < len) {
        /* MSG_NOSIGNAL: a peer that went away is -EPIPE here, not SIGPIPE for the process */
        ssize_t n = send(stream->source.fd, (const char *)buf + done, len - done, MSG_NOSIGNAL);
        if (n >= 0) {
            done += (size_t)n;
            continue;
        }
        int err = errno;
        if (err == EINTR)
            continue;
        if (err != EAGAIN && err != EWOULDBLOCK)
            rc = -err;
        else
            rc = io_source_wait(&stream->source, POLLER_WRITABLE);
    }
    if (written)
        *written = done;
    return rc;
}

int rt_tcp_shutdown_write(rt_tcp_stream *stream)
{
    return shutdown(stream->source.fd, SHUT_WR) < 0 ? -errno : 0;
}

void rt_tcp_close(rt_tcp_stream *stream)
{
    int fd = stream->source.fd;
    io_source_release(&stream->source); /* deregister first: fd numbers are reused */
    close(fd);
}

int rt_tcp_stream_fd(const rt_tcp_stream *stream)
{
    return stream->source.fd;
}
