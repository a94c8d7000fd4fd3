/*
 * poller.h - the operating system's readiness notifications, behind four calls (not API).
 *
 * Chapter: chapters/appendix-runtime.md#the-reactor
 *
 * The reactor asks the kernel "tell me when any of these sockets can be read or written"
 * and sleeps until it answers. On Linux that is epoll; poller_epoll.c is the only file
 * that knows it, the way Redis keeps epoll in ae_epoll.c.
 *
 * Edge-triggered: a socket is reported when it *becomes* ready, not while it stays ready.
 * So a task reads until EAGAIN before it parks again - otherwise bytes that are already
 * there would never be announced a second time. Each socket is registered once, for both
 * directions, and stays registered until it is closed: no epoll_ctl per read or write.
 *
 * poller_interrupt wakes a poller_wait from another thread (a task became runnable, a
 * timer was set earlier, the runtime shuts down). It is cheap when already pending.
 */
#ifndef SPAWNLAB_RT_POLLER_H
#define SPAWNLAB_RT_POLLER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

enum {
    POLLER_READABLE = 1 << 0, /* data, a pending connection, or end of stream */
    POLLER_WRITABLE = 1 << 1, /* room in the send buffer, or a connect finished */
    POLLER_HANGUP = 1 << 2,   /* the peer closed or reset: reads will not block */
    POLLER_ERROR = 1 << 3,    /* an error is pending on the socket (SO_ERROR) */
};

struct poller_event {
    void *tag;          /* what poller_register was given for the descriptor */
    unsigned readiness; /* POLLER_* bits */
};

struct poller {
    int epoll_fd;
    int interrupt_fd;                  /* an eventfd, registered with a NULL tag */
    _Atomic bool is_interrupt_pending; /* skips the write when one is already on its way */
};

/* 0, or a negative errno code. */
int poller_init(struct poller *p);
void poller_destroy(struct poller *p);
/* Watches fd for readability and writability (edge-triggered); tag comes back in events.
 * 0 or a negative errno code. Any thread. */
int poller_register(struct poller *p, int fd, void *tag);
/* Stops watching fd (closing fd does it too). Any thread. */
int poller_deregister(struct poller *p, int fd);
/* Waits up to timeout_ns (< 0: forever; 0: just look) and fills up to max events.
 * Returns how many (0 on timeout or interrupt) or a negative errno code. One thread at a
 * time. */
int poller_wait(struct poller *p, struct poller_event *events, int max, int64_t timeout_ns);
/* Makes the current or next poller_wait return. Any thread; async-signal-safe. */
void poller_interrupt(struct poller *p);

#endif
