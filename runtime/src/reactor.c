/*
 * reactor.c - the I/O driver: where an idle worker sleeps, and how a ready socket wakes
 * exactly the task that waits for it.
 *
 * Chapter: chapters/appendix-runtime.md#the-reactor
 *
 * The driver. An idle worker must sleep somewhere; with sockets and timers around, the
 * right place is epoll_wait, which returns when a socket becomes ready, when the next timer
 * is due (its timeout), or when poller_interrupt is called. Only one worker at a time may
 * sleep there (epoll would wake them all for one event, and two threads dispatching the same
 * events would need more locking): the first idle worker to take `is_driver_taken` holds
 * the driver; other idle workers sleep on their condition variables, as before. This is
 * Tokio's choice too. A worker that holds the driver:
 *
 *     1. frees the sources released since the last hold (see "Releasing sources");
 *     2. sleeps in the poller until a socket is ready, the next timer is due, or it is
 *        unparked (reactor_unpark interrupts the poller instead of signalling the condvar);
 *     3. for each ready source, wakes its waiting reader and/or writer;
 *     4. fires the due timers, and lets go of the driver.
 * The tasks it wakes go to its own queue (it is a worker), and the scheduler's usual rule
 * wakes another worker if there is more than one task to share. Busy workers also poll
 * without sleeping every 61st round (scheduler step 2a), so sockets and timers are served
 * even when no worker is ever idle.
 *
 * With a virtual clock (one worker, see clock.c) step 2 becomes: look without sleeping; if
 * nothing is ready and no timer is due, and no rt_spawn_blocking work is in progress, every
 * task is idle: jump the clock to the next timer and fire it. Only when there is no timer
 * either (or blocking work runs) does the worker really sleep.
 *
 * Readiness, edge-triggered (poller.h): an edge is either handed to the task waiting for it
 * (which then retries its read or write) or, when nobody waits, remembered in
 * src->readiness, so that a task whose attempt fails with EAGAIN right after the edge does
 * not park and miss it. Both happen under src->mutex, the lost-wake-up rule once more.
 *
 * Releasing sources. A closed socket's io_source may still be named by events that the
 * driver has taken from epoll but not dispatched yet. So a released source is not freed at
 * once: it goes on a list that the driver frees at the *start* of its next hold, when every
 * earlier hold is over and epoll (the source deregistered) will never name it again.
 * (Epoch-based reclamation with the driver hold as the epoch.)
 */
#include "internal.h"
#include "rt_net.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

enum { EVENTS_PER_POLL = 256 };

_Static_assert((int)RT_READABLE == (int)POLLER_READABLE && (int)RT_WRITABLE == (int)POLLER_WRITABLE,
               "rt_net.h's interest bits are the poller's");

/* ------------------------------------------------------------ setup */

int reactor_init(struct rt_runtime *rt)
{
    atomic_init(&rt->reactor.is_driver_taken, false);
    atomic_init(&rt->reactor.nsources, 0);
    pthread_mutex_init(&rt->reactor.released_mutex, NULL);
    rt->reactor.released = NULL;
    int rc = poller_init(&rt->reactor.poller);
    if (rc < 0)
        pthread_mutex_destroy(&rt->reactor.released_mutex);
    return rc;
}

static void free_sources(struct io_source *list)
{
    for (struct io_source *src = list, *next; src; src = next) {
        next = src->next_released;
        pthread_mutex_destroy(&src->mutex);
        free(src);
    }
}

void reactor_destroy(struct rt_runtime *rt)
{
    free_sources(rt->reactor.released);
    pthread_mutex_destroy(&rt->reactor.released_mutex);
    poller_destroy(&rt->reactor.poller);
}

/* ------------------------------------------------------------ sources */

int io_source_open(struct rt_runtime *rt, struct io_source *src, int fd)
{
    *src = (struct io_source){.fd = fd, .rt = rt};
    pthread_mutex_init(&src->mutex, NULL);
    int rc = poller_register(&rt->reactor.poller, fd, src);
    if (rc < 0)
        pthread_mutex_destroy(&src->mutex);
    else
        atomic_fetch_add_explicit(&rt->reactor.nsources, 1, memory_order_relaxed);
    return rc;
}

void io_source_release(struct io_source *src)
{
    struct rt_runtime *rt = src->rt;
    poller_deregister(&rt->reactor.poller, src->fd);
    atomic_fetch_sub_explicit(&rt->reactor.nsources, 1, memory_order_relaxed);
    /* Nobody may wait any more (the owner's contract); drop a waker left by a watch. */
    pthread_mutex_lock(&src->mutex);
    if (src->has_reader)
        rt_waker_drop(src->reader);
    if (src->has_writer)
        rt_waker_drop(src->writer);
    src->has_reader = src->has_writer = false;
    pthread_mutex_unlock(&src->mutex);
    pthread_mutex_lock(&rt->reactor.released_mutex);
    src->next_released = rt->reactor.released;
    rt->reactor.released = src;
    pthread_mutex_unlock(&rt->reactor.released_mutex);
}

/* Driver step 1: called at the start of a hold. */
static void free_released_sources(struct rt_runtime *rt)
{
    pthread_mutex_lock(&rt->reactor.released_mutex);
    struct io_source *list = rt->reactor.released;
    rt->reactor.released = NULL;
    pthread_mutex_unlock(&rt->reactor.released_mutex);
    free_sources(list);
}

/* Takes our waker back out after a failed park; false when the driver already took it. */
static void withdraw_waker(struct io_source *src, bool *has, rt_waker *slot, rt_waker w)
{
    pthread_mutex_lock(&src->mutex);
    bool is_ours = *has && slot->task == w.task && slot->epoch == w.epoch;
    if (is_ours)
        *has = false;
    pthread_mutex_unlock(&src->mutex);
    if (is_ours)
        rt_waker_drop(w);
}

int io_source_wait(struct io_source *src, unsigned interest)
{
    bool is_read = interest == POLLER_READABLE;
    bool *has = is_read ? &src->has_reader : &src->has_writer;
    rt_waker *slot = is_read ? &src->reader : &src->writer;
    pthread_mutex_lock(&src->mutex);
    if (src->readiness & interest) { /* an edge came after the caller's attempt: retry */
        src->readiness &= ~interest;
        pthread_mutex_unlock(&src->mutex);
        return 0;
    }
    RT_ASSERT(!*has,
              "two tasks wait to %s the same socket (fd %d): give each direction of "
              "a socket to one task at a time",
              is_read ? "read" : "write", src->fd);
    rt_waker w = rt_park_prepare();
    *slot = w;
    *has = true;
    pthread_mutex_unlock(&src->mutex);
    int rc = rt_park(RT_PARK_IO, src);
    if (rc != 0)
        withdraw_waker(src, has, slot, w);
    return rc;
}

/* Driver step 3 for one source: hand each edge to its waiter, or remember it. */
static void source_ready(struct io_source *src, unsigned readiness)
{
    rt_waker woken[2];
    int n = 0;
    pthread_mutex_lock(&src->mutex);
    if ((readiness & POLLER_READABLE) && src->has_reader) {
        woken[n++] = src->reader;
        src->has_reader = false;
        readiness &= ~POLLER_READABLE; /* delivered: the reader retries */
    }
    if ((readiness & POLLER_WRITABLE) && src->has_writer) {
        woken[n++] = src->writer;
        src->has_writer = false;
        readiness &= ~POLLER_WRITABLE;
    }
    src->readiness |= readiness & (POLLER_READABLE | POLLER_WRITABLE);
    pthread_mutex_unlock(&src->mutex);
    for (int i = 0; i < n; i++)
        park_wake_because(woken[i], "io");
}

/* ------------------------------------------------------------ the driver */

static bool driver_take(struct rt_runtime *rt)
{
    /* A plain load first: idle workers that find it taken do not bounce the cache line. */
    return !atomic_load_explicit(&rt->reactor.is_driver_taken, memory_order_relaxed) &&
           !atomic_exchange_explicit(&rt->reactor.is_driver_taken, true, memory_order_acquire);
}

static void driver_release(struct rt_runtime *rt)
{
    atomic_store_explicit(&rt->reactor.is_driver_taken, false, memory_order_release);
}

/* Driver steps 2-3: waits up to timeout_ns (< 0: until interrupted), dispatches.
 * Returns how many sources were ready. */
static int poll_and_dispatch(struct rt_runtime *rt, int64_t timeout_ns)
{
    struct poller_event events[EVENTS_PER_POLL];
    int n = poller_wait(&rt->reactor.poller, events, EVENTS_PER_POLL, timeout_ns);
    RT_ASSERT(n >= 0, "epoll_wait failed: %s", rt_strerror(n));
    for (int i = 0; i < n; i++)
        source_ready(events[i].tag, events[i].readiness);
    return n;
}

/* The earlier of two timeouts, where < 0 means "none". */
static int64_t earlier_timeout(int64_t a, int64_t b)
{
    if (a < 0)
        return b;
    return b < 0 || a < b ? a : b;
}

static void drive_real_clock(struct rt_runtime *rt, int64_t timeout_ns)
{
    int64_t for_timers = timers_begin_driver_sleep(rt, clock_now(rt));
    poll_and_dispatch(rt, earlier_timeout(timeout_ns > 0 ? timeout_ns : -1, for_timers));
    timers_end_driver_sleep(rt);
    timers_fire_due(rt, clock_now(rt));
}

/* The virtual clock's step 2 (see the top of this file). */
static void drive_virtual_clock(struct rt_runtime *rt, int64_t timeout_ns)
{
    if (poll_and_dispatch(rt, 0) > 0 || timers_fire_due(rt, clock_now(rt)) > 0)
        return;
    if (!blocking_pool_is_busy(&rt->blocking) && clock_advance_to_next_timer(rt)) {
        timers_fire_due(rt, clock_now(rt));
        return;
    }
    poll_and_dispatch(rt, timeout_ns > 0 ? timeout_ns : -1);
}

/* Announces that w sleeps in the poller; false if it was unparked already. */
static bool begin_polling(struct worker *w)
{
    pthread_mutex_lock(&w->park_mutex);
    bool was_notified = w->is_notified;
    w->is_notified = false;
    w->is_polling = !was_notified;
    pthread_mutex_unlock(&w->park_mutex);
    return !was_notified;
}

static void end_polling(struct worker *w)
{
    pthread_mutex_lock(&w->park_mutex);
    w->is_polling = false;
    w->is_notified = false; /* an unpark during the poll interrupted it: consumed */
    pthread_mutex_unlock(&w->park_mutex);
}

static void reactor_park(struct worker *w, int64_t timeout_ns)
{
    struct rt_runtime *rt = w->rt;
    if (!driver_take(rt)) {
        condvar_driver.park(w, timeout_ns); /* another worker holds the driver */
        return;
    }
    free_released_sources(rt);
    if (begin_polling(w)) {
        if (rt->clock.is_virtual)
            drive_virtual_clock(rt, timeout_ns);
        else
            drive_real_clock(rt, timeout_ns);
        end_polling(w);
    }
    driver_release(rt);
}

static void reactor_unpark(struct worker *w)
{
    pthread_mutex_lock(&w->park_mutex);
    w->is_notified = true;
    if (w->is_polling)
        poller_interrupt(&w->rt->reactor.poller);
    else
        pthread_cond_signal(&w->park_cond);
    pthread_mutex_unlock(&w->park_mutex);
}

const struct driver_ops reactor_driver = {.park = reactor_park, .unpark = reactor_unpark};

void reactor_poll_now(struct worker *w)
{
    struct rt_runtime *rt = w->rt;
    /* A runtime with no descriptor and no timer (pure computation, or the benchmarks) has
     * nothing to look at: skip the system call and the locks. Relaxed reads suffice: a
     * source or timer added this instant is seen at the next look, or by an idle driver. */
    bool has_sources = atomic_load_explicit(&rt->reactor.nsources, memory_order_relaxed) > 0;
    bool has_timers = atomic_load_explicit(&rt->clock.npending, memory_order_relaxed) > 0;
    if ((!has_sources && !has_timers) || !driver_take(rt))
        return;
    free_released_sources(rt);
    if (has_sources)
        poll_and_dispatch(rt, 0);
    if (has_timers)
        timers_fire_due(rt, clock_now(rt));
    driver_release(rt);
}

/* ------------------------------------------------------------ watching any descriptor */

struct rt_fd_watch {
    struct io_source source; /* first: io_source_release frees the whole watch */
};

/* We watch a duplicate of fd: epoll keys registrations by descriptor, so this works even
 * for a socket that the runtime already watches for its own reads and writes. */
int rt_fd_watch_start(int fd, unsigned interest, rt_waker waker, rt_fd_watch **out)
{
    struct rt_task *t = task_current();
    RT_ASSERT(t, "rt_fd_watch_start called outside a task");
    RT_ASSERT(interest == RT_READABLE || interest == RT_WRITABLE,
              "rt_fd_watch_start: interest must be RT_READABLE or RT_WRITABLE");
    struct rt_fd_watch *watch = malloc(sizeof *watch);
    if (!watch)
        return -ENOMEM;
    int copy = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (copy < 0) {
        int err = -errno;
        free(watch);
        return err;
    }
    int rc = io_source_open(t->rt, &watch->source, copy);
    if (rc < 0) {
        close(copy);
        free(watch);
        return rc;
    }
    /* Its first event may already have been dispatched: then readiness remembers it. */
    pthread_mutex_lock(&watch->source.mutex);
    bool is_read = interest == RT_READABLE;
    bool is_ready = watch->source.readiness & interest;
    if (!is_ready) {
        *(is_read ? &watch->source.reader : &watch->source.writer) = waker;
        *(is_read ? &watch->source.has_reader : &watch->source.has_writer) = true;
    }
    pthread_mutex_unlock(&watch->source.mutex);
    if (is_ready)
        rt_wake(waker);
    *out = watch;
    return 0;
}

bool rt_fd_watch_stop(rt_fd_watch *watch)
{
    struct io_source *src = &watch->source;
    pthread_mutex_lock(&src->mutex);
    bool is_waiting = src->has_reader || src->has_writer; /* its waker not used yet */
    pthread_mutex_unlock(&src->mutex);
    int copy = src->fd;
    io_source_release(src); /* drops a waker still in place */
    close(copy);
    return !is_waiting;
}

static int fd_wait(int fd, unsigned interest)
{
    rt_waker waker = rt_park_prepare();
    rt_fd_watch *watch;
    int rc = rt_fd_watch_start(fd, interest, waker, &watch);
    if (rc < 0) {
        rt_wake(waker); /* end the prepared wait */
        rt_park(RT_PARK_IO, NULL);
        return rc;
    }
    rc = rt_park(RT_PARK_IO, watch);
    rt_fd_watch_stop(watch);
    return rc;
}

int rt_fd_wait_readable(int fd)
{
    return fd_wait(fd, RT_READABLE);
}

int rt_fd_wait_writable(int fd)
{
    return fd_wait(fd, RT_WRITABLE);
}
