/*
 * poller_epoll.c - poller.h on Linux's epoll (edge-triggered) and an eventfd.
 *
 * Chapter: chapters/appendix-runtime.md#the-reactor
 */
#include "poller.h"

#include <errno.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

enum { EVENTS_PER_WAIT = 256 };

int poller_init(struct poller *p)
{
    int err;
    p->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    if (p->epoll_fd < 0)
        return -errno;
    p->interrupt_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (p->interrupt_fd < 0) {
        err = -errno;
        goto close_epoll;
    }
    atomic_init(&p->is_interrupt_pending, false);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    if (epoll_ctl(p->epoll_fd, EPOLL_CTL_ADD, p->interrupt_fd, &ev) < 0) {
        err = -errno;
        goto close_eventfd;
    }
    return 0;

close_eventfd:
    close(p->interrupt_fd);
close_epoll:
    close(p->epoll_fd);
    return err;
}

void poller_destroy(struct poller *p)
{
    close(p->interrupt_fd);
    close(p->epoll_fd);
}

int poller_register(struct poller *p, int fd, void *tag)
{
    struct epoll_event ev = {
        .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
        .data.ptr = tag,
    };
    return epoll_ctl(p->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

int poller_deregister(struct poller *p, int fd)
{
    return epoll_ctl(p->epoll_fd, EPOLL_CTL_DEL, fd, NULL) < 0 ? -errno : 0;
}

static unsigned readiness_of(uint32_t events)
{
    unsigned r = 0;
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP))
        r |= POLLER_READABLE; /* end of stream is "readable": read returns 0 at once */
    if (events & (EPOLLOUT | EPOLLHUP))
        r |= POLLER_WRITABLE; /* a reset peer: write fails at once instead of blocking */
    if (events & (EPOLLRDHUP | EPOLLHUP))
        r |= POLLER_HANGUP;
    if (events & EPOLLERR)
        r |= POLLER_ERROR | POLLER_READABLE | POLLER_WRITABLE;
    return r;
}

/* epoll_wait counts milliseconds; round up so a 0.5 ms timer does not spin at 0 ms. */
static int timeout_ms(int64_t timeout_ns)
{
    if (timeout_ns < 0)
        return -1;
    int64_t ms = (timeout_ns + 999999) / 1000000;
    return ms > INT32_MAX ? INT32_MAX : (int)ms;
}

int poller_wait(struct poller *p, struct poller_event *events, int max, int64_t timeout_ns)
{
    struct epoll_event ready[EVENTS_PER_WAIT];
    if (max > EVENTS_PER_WAIT)
        max = EVENTS_PER_WAIT;
    int n = epoll_wait(p->epoll_fd, ready, max, timeout_ms(timeout_ns));
    if (n < 0)
        return errno == EINTR ? 0 : -errno;
    int count = 0;
    for (int i = 0; i < n; i++) {
        if (ready[i].data.ptr == NULL) {
            /* Drain, *then* clear the flag. The other order loses wake-ups: an interrupt
             * that set the flag between the two would have its write drained here and
             * leave the flag set with nothing pending - every later interrupt would skip
             * its write. In this order, an interrupt that still sees the flag set skips a
             * write for a poller that is awake already and re-checks its state anyway. */
            uint64_t drained;
            if (read(p->interrupt_fd, &drained, sizeof drained) < 0 && errno != EAGAIN)
                return -errno;
            atomic_store(&p->is_interrupt_pending, false);
            continue;
        }
        events[count].tag = ready[i].data.ptr;
        events[count].readiness = readiness_of(ready[i].events);
        count++;
    }
    return count;
}

void poller_interrupt(struct poller *p)
{
    if (atomic_exchange(&p->is_interrupt_pending, true))
        return; /* one is already on its way */
    uint64_t one = 1;
    ssize_t unused = write(p->interrupt_fd, &one, sizeof one);
    (void)unused; /* can only fail if the counter overflows, which the flag prevents */
}
