/*
 * rt_net.h - non-blocking TCP on the runtime's reactor, and waiting for any descriptor.
 *
 * Chapters: chapters/01-sequential.md (accept, read, write),
 *           chapters/appendix-runtime.md#the-reactor (how a socket wakes a task).
 *
 * Every socket here is non-blocking underneath: a call that would block parks the calling
 * task (not its worker thread) until the reactor sees the socket ready, then retries. To
 * the task it looks like an ordinary blocking call - the C analog of `.await` on a Tokio
 * TcpStream.
 *
 * Every call that may wait honours the task's deadline (rt_time.h) and cancellation: it
 * returns RT_ETIMEDOUT or RT_ECANCELED (and, once the task is aborted, returns RT_ECANCELED
 * at once). What happened before is stated per call: nothing is half-done silently.
 *
 * Sharing: a stream may be read by one task and written by another at the same time (like
 * Tokio's split halves), but two tasks must not read (or write) the same stream at once -
 * the runtime stops with a message if they wait together. Close a stream or listener only
 * when no task uses it any more.
 *
 * Addresses are numeric (IPv4 "127.0.0.1" or IPv6 "::1"), or "localhost" (127.0.0.1), or
 * NULL / "" (every local address). Names are not resolved here: getaddrinfo blocks - call
 * it in rt_spawn_blocking work if you need it.
 */
#ifndef SPAWNLAB_RT_NET_H
#define SPAWNLAB_RT_NET_H

#include "rt.h"
#include "rt_park.h"

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct rt_tcp_listener rt_tcp_listener;
typedef struct rt_tcp_stream rt_tcp_stream;

/* ------------------------------------------------------------ listening */

/* Binds host:port (port 0: the kernel picks a free one, see rt_tcp_listener_port) and
 * listens with the given backlog (<= 0: SOMAXCONN). Returns 0 and *out, or a negative
 * errno code (-EINVAL for an address that is not numeric, -EADDRINUSE, ...).
 * Never yields. From a task. */
int rt_tcp_listen(const char *host, int port, int backlog, rt_tcp_listener **out);

/* The port the listener is bound to. Never yields. Any thread. */
int rt_tcp_listener_port(const rt_tcp_listener *listener);

/* Waits for a connection and returns it in *out: 0, RT_ECANCELED, RT_ETIMEDOUT, or a
 * negative errno code (-EMFILE: out of descriptors - the listener is still fine, try later).
 * A client that gave up before we accepted it is skipped. MAY YIELD. From a task. */
int rt_tcp_accept(rt_tcp_listener *listener, rt_tcp_stream **out);

/* Stops listening and frees the listener. Never yields. Any thread. */
void rt_tcp_listener_close(rt_tcp_listener *listener);

/* ------------------------------------------------------------ streams */

/* Connects to host:port and returns the stream in *out: 0, RT_ECANCELED, RT_ETIMEDOUT
 * (the task's deadline: there is no other connect timeout), or a negative errno code
 * (-ECONNREFUSED, ...). On failure no socket is left open. MAY YIELD. From a task. */
int rt_tcp_connect(const char *host, int port, rt_tcp_stream **out);

/* Reads what has arrived, up to len bytes (waits until at least one byte has). Returns the
 * number of bytes (> 0), 0 at the end of the stream (the peer shut down its side), or
 * RT_ECANCELED, RT_ETIMEDOUT, or a negative errno code (-ECONNRESET: the peer reset the
 * connection). On an error nothing was read. MAY YIELD. From a task. */
ssize_t rt_tcp_read(rt_tcp_stream *stream, void *buf, size_t len);

/* Writes all len bytes, waiting for room as often as needed. Returns 0 when every byte has
 * been handed to the kernel, or RT_ECANCELED, RT_ETIMEDOUT, or a negative errno code
 * (-EPIPE, -ECONNRESET). *written (if not NULL) is always set to how many bytes were handed
 * to the kernel: on an error exactly buf[0..*written) went out (the peer may or may not
 * receive them) and nothing after. The stream is then usually in the middle of a message:
 * resume from buf + *written, or close it. MAY YIELD. From a task. */
int rt_tcp_write_all(rt_tcp_stream *stream, const void *buf, size_t len, size_t *written);

/* Shuts down our sending side: the peer reads the end of the stream after what we wrote.
 * We can still read. 0 or a negative errno code. Never yields. From a task. */
int rt_tcp_shutdown_write(rt_tcp_stream *stream);

/* Closes the stream and frees it. Never yields. Any thread. */
void rt_tcp_close(rt_tcp_stream *stream);

/* The stream's descriptor: for rt_fd_watch_start and socket options; do not close it.
 * Any thread. */
int rt_tcp_stream_fd(const rt_tcp_stream *stream);

/* ------------------------------------------------------------ any descriptor */

enum { RT_READABLE = 1, RT_WRITABLE = 2 };

/* Waits until fd (non-blocking; a pipe, a socket, an eventfd, ...) is readable / writable.
 * 0, RT_ECANCELED, RT_ETIMEDOUT, or a negative errno code (-EPERM: a regular file, which is
 * always ready). Costs a few system calls per wait: meant for descriptors the runtime does
 * not own. MAY YIELD. From a task. */
int rt_fd_wait_readable(int fd);
int rt_fd_wait_writable(int fd);

/* The same without parking, for waiting on several things at once (select): starts
 * watching fd for one interest (RT_READABLE or RT_WRITABLE); when fd is ready, waker is
 * woken. The watch owns the waker from a successful start: it is consumed by that wake, or
 * dropped by rt_fd_watch_stop. On failure (a negative errno code) the caller still owns
 * it. Readiness is edge-triggered underneath but a descriptor that is already ready when
 * the watch starts counts too. Never yields. From a task. */
typedef struct rt_fd_watch rt_fd_watch;
int rt_fd_watch_start(int fd, unsigned interest, rt_waker waker, rt_fd_watch **out);

/* Stops and frees the watch. Returns true if fd became ready (the waker was woken).
 * Never yields. Any thread. */
bool rt_fd_watch_stop(rt_fd_watch *watch);

#endif
