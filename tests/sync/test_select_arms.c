/*
 * test_select_arms.c - select's broadcast, watch and descriptor arms: each wins when its
 * object is ready, reports what the plain call would have, and takes nothing when it loses
 * (a broadcast receiver stays at its position, a watch change stays unseen, a descriptor's
 * bytes stay unread). A select that ends stops its descriptor watches: the harness's check
 * for leaked descriptors after every test would see a watch's duplicate.
 */
#include "helpers.h"
#include "rt_broadcast.h"
#include "rt_mpsc.h"
#include "rt_net.h"
#include "rt_select.h"
#include "rt_time.h"
#include "rt_watch.h"

#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

/* ------------------------------------------------------------ broadcast */

enum { BCAST_CAPACITY = 8 };

struct bcast {
    rt_broadcast_sender *tx;
    rt_broadcast_receiver *rx;
    rt_mpsc_sender *mtx;
    rt_mpsc_receiver *mrx;
    _Atomic int nready;
    int nworkers;
};

static void bcast_open(struct bcast *s, size_t capacity)
{
    rt_channel_config config = {.elem_size = sizeof(int), .capacity = capacity};
    SL_CHECK_FATAL(rt_broadcast_new(&config, &s->tx, &s->rx) == 0, "rt_broadcast_new failed");
    SL_CHECK_FATAL(rt_mpsc_new(&config, &s->mtx, &s->mrx) == 0, "rt_mpsc_new failed");
}

static void bcast_close(struct bcast *s)
{
    if (s->tx)
        rt_broadcast_sender_drop(s->tx);
    rt_broadcast_receiver_drop(s->rx);
    rt_mpsc_sender_drop(s->mtx);
    rt_mpsc_receiver_drop(s->mrx);
}

/* Both channels hold values; every select takes exactly one, from the arm that won. */
static void losing_broadcast_arm_takes_nothing(struct bcast *s)
{
    enum { N = BCAST_CAPACITY - 2 };
    for (int i = 0; i < N; i++) {
        int b = 100 + i, m = 200 + i;
        rt_broadcast_send(s->tx, &b);
        rt_mpsc_send(s->mtx, &m);
    }
    int next_b = 100, next_m = 200, nwins[2] = {0, 0};
    for (int round = 0; round < 2 * N; round++) {
        int b = -1, m = -1;
        rt_select_arm arms[] = {rt_select_broadcast(s->rx, &b, NULL), rt_select_recv(s->mrx, &m)};
        int winner = rt_select(arms, 2);
        SL_CHECK_FATAL(winner == 0 || winner == 1, "round %d: select returned %d", round, winner);
        nwins[winner == 1]++;
        SL_CHECK(arms[winner].result == 0, "round %d: the winner reported %s", round,
                 rt_sync_strerror(arms[winner].result));
        if (winner == 0)
            SL_CHECK(b == next_b++ && m == -1, "round %d: broadcast won with %d (mpsc arm: %d)",
                     round, b, m);
        else
            SL_CHECK(m == next_m++ && b == -1, "round %d: mpsc won with %d (broadcast arm: %d)",
                     round, m, b);
    }
    SL_CHECK(next_b == 100 + N && next_m == 200 + N,
             "after %d selects: broadcast at %d, mpsc at %d - a losing arm took a value", 2 * N,
             next_b, next_m);
    if (s->nworkers == 1) /* the rotation lets each arm go first in turn */
        SL_CHECK(nwins[0] > 0 && nwins[1] > 0, "one arm never won: %d / %d", nwins[0], nwins[1]);
}

static void *send_broadcast_later(void *arg)
{
    struct bcast *s = arg;
    yield_until_at_least(&s->nready, 1);
    yield_times(3);
    int value = 42;
    rt_broadcast_send(s->tx, &value);
    return NULL;
}

static void *broadcast_arm_paths(void *arg)
{
    struct bcast *s = arg;
    losing_broadcast_arm_takes_nothing(s);

    /* A waiting arm is woken by a send. */
    rt_join_handle *sender = rt_spawn(send_broadcast_later, s);
    int b = -1, m = -1;
    rt_select_arm arms[] = {rt_select_recv(s->mrx, &m), rt_select_broadcast(s->rx, &b, NULL)};
    atomic_store(&s->nready, 1);
    int winner = rt_select(arms, 2);
    SL_CHECK(winner == 1 && arms[1].result == 0 && b == 42 && m == -1,
             "a select waiting on a broadcast returned %d (%s, value %d)", winner,
             rt_sync_strerror(arms[winner < 0 ? 0 : winner].result), b);
    rt_join(sender, NULL, NULL);

    /* Lag, exactly as rt_broadcast_recv reports it, then the oldest value kept. */
    for (int i = 0; i < BCAST_CAPACITY + 2; i++)
        rt_broadcast_send(s->tx, &i);
    uint64_t nmissed = 0;
    rt_select_arm lag[] = {rt_select_broadcast(s->rx, &b, &nmissed)};
    SL_CHECK(rt_select(lag, 1) == 0 && lag[0].result == RT_ELAGGED && nmissed == 2,
             "2 values more than the ring holds: the arm reported %s, missed %llu (expected "
             "lagged by 2)",
             rt_sync_strerror(lag[0].result), (unsigned long long)nmissed);
    SL_CHECK(rt_select(lag, 1) == 0 && lag[0].result == 0 && b == 2,
             "after the lag the arm got %s, value %d; expected the oldest kept, 2",
             rt_sync_strerror(lag[0].result), b);
    for (int i = 3; i < BCAST_CAPACITY + 2; i++)
        SL_CHECK(rt_broadcast_recv(s->rx, &b, NULL) == 0 && b == i, "expected %d, got %d", i, b);

    /* Closed: every sender gone and nothing left. */
    rt_broadcast_sender_drop(s->tx);
    s->tx = NULL;
    rt_select_arm closed[] = {rt_select_recv(s->mrx, &m), rt_select_broadcast(s->rx, &b, NULL)};
    winner = rt_select(closed, 2);
    SL_CHECK(winner == 1 && closed[1].result == RT_ECLOSED,
             "a broadcast whose senders are gone: select returned %d (%s)", winner,
             rt_sync_strerror(closed[winner < 0 ? 0 : winner].result));
    return NULL;
}

static void test_select_broadcast_arm(void)
{
    for (int i = 0; i < NWORKER_COUNTS; i++) {
        struct bcast s = {.nworkers = worker_counts[i]};
        bcast_open(&s, BCAST_CAPACITY);
        run_main(worker_counts[i], broadcast_arm_paths, &s);
        bcast_close(&s);
    }
}

/* ------------------------------------------------------------ watch */

struct wtch {
    rt_watch_sender *tx;
    rt_watch_receiver *rx;
    rt_mpsc_sender *mtx;
    rt_mpsc_receiver *mrx;
    _Atomic int nready;
    int nworkers;
};

/* Does rt_watch_changed say "changed" at once? It never marks anything seen. A 1 ms
 * timeout: on the real clock that is the whole cost of a "no". */
static bool watch_has_news(rt_watch_receiver *rx)
{
    int64_t saved = rt_timeout_begin(RT_NS_PER_MS);
    int rc = rt_watch_changed(rx);
    rt_timeout_end(saved);
    return rc == 0;
}

static void *send_watch_later(void *arg)
{
    struct wtch *s = arg;
    yield_until_at_least(&s->nready, 1);
    yield_times(3);
    int value = 7;
    rt_watch_send(s->tx, &value);
    return NULL;
}

/* A watch arm and a ready mpsc arm: the mpsc arm winning leaves the change unseen. */
static void losing_watch_arm_marks_nothing(struct wtch *s)
{
    int nwins[2] = {0, 0};
    int latest = 10, m = 0;
    rt_watch_send(s->tx, &latest);
    rt_mpsc_send(s->mtx, &m);
    for (int round = 0; round < 6; round++) {
        int v = -1;
        rt_select_arm arms[] = {rt_select_watch_changed(s->rx, &v), rt_select_recv(s->mrx, &m)};
        int winner = rt_select(arms, 2);
        SL_CHECK_FATAL(winner == 0 || winner == 1, "round %d: select returned %d", round, winner);
        nwins[winner == 1]++;
        if (winner == 0) {
            SL_CHECK(arms[0].result == 0 && v == latest && !watch_has_news(s->rx),
                     "round %d: the watch arm won with %s, value %d (latest %d), and left the "
                     "value %s",
                     round, rt_sync_strerror(arms[0].result), v, latest,
                     watch_has_news(s->rx) ? "unseen" : "seen");
            latest++;
            rt_watch_send(s->tx, &latest);
        } else {
            SL_CHECK(v == -1 && watch_has_news(s->rx),
                     "round %d: the watch arm lost but marked the change seen (or wrote %d)", round,
                     v);
            rt_mpsc_send(s->mtx, &m);
        }
    }
    if (s->nworkers == 1)
        SL_CHECK(nwins[0] > 0 && nwins[1] > 0, "one arm never won: %d / %d", nwins[0], nwins[1]);
    int v;
    rt_watch_borrow(s->rx, &v); /* leave it seen, the mpsc empty */
    rt_mpsc_try_recv(s->mrx, &m);
}

static void *watch_arm_paths(void *arg)
{
    struct wtch *s = arg;
    losing_watch_arm_marks_nothing(s);

    /* A waiting arm is woken by a send; with out, it borrows (marks seen). */
    rt_join_handle *sender = rt_spawn(send_watch_later, s);
    int v = -1, m = -1;
    rt_select_arm arms[] = {rt_select_recv(s->mrx, &m), rt_select_watch_changed(s->rx, &v)};
    atomic_store(&s->nready, 1);
    int winner = rt_select(arms, 2);
    SL_CHECK(winner == 1 && arms[1].result == 0 && v == 7 && !watch_has_news(s->rx),
             "a select waiting on a watch returned %d (%s, value %d)", winner,
             rt_sync_strerror(arms[winner < 0 ? 0 : winner].result), v);
    rt_join(sender, NULL, NULL);

    /* Without out: like rt_watch_changed, the change stays unseen. */
    int eight = 8;
    rt_watch_send(s->tx, &eight);
    rt_select_arm peek[] = {rt_select_watch_changed(s->rx, NULL)};
    SL_CHECK(rt_select(peek, 1) == 0 && peek[0].result == 0 && watch_has_news(s->rx),
             "a watch arm without out marked the change seen (or did not win: %s)",
             rt_sync_strerror(peek[0].result));

    /* Sender gone: a change not yet seen still wins with 0, then RT_ECLOSED. */
    rt_watch_sender_drop(s->tx);
    s->tx = NULL;
    rt_select_arm last[] = {rt_select_recv(s->mrx, &m), rt_select_watch_changed(s->rx, &v)};
    winner = rt_select(last, 2);
    SL_CHECK(winner == 1 && last[1].result == 0 && v == 8,
             "the last change before the sender left: select returned %d (%s, value %d)", winner,
             rt_sync_strerror(last[winner < 0 ? 0 : winner].result), v);
    winner = rt_select(last, 2);
    SL_CHECK(winner == 1 && last[1].result == RT_ECLOSED,
             "a watch whose sender is gone: select returned %d (%s)", winner,
             rt_sync_strerror(last[winner < 0 ? 0 : winner].result));
    return NULL;
}

static void test_select_watch_arm(void)
{
    for (int i = 0; i < NWORKER_COUNTS; i++) {
        struct wtch s = {.nworkers = worker_counts[i]};
        int zero = 0;
        rt_channel_config config = {.elem_size = sizeof(int), .capacity = 4};
        SL_CHECK_FATAL(rt_watch_new(&config, &zero, &s.tx, &s.rx) == 0, "rt_watch_new failed");
        SL_CHECK_FATAL(rt_mpsc_new(&config, &s.mtx, &s.mrx) == 0, "rt_mpsc_new failed");
        run_main(worker_counts[i], watch_arm_paths, &s);
        if (s.tx)
            rt_watch_sender_drop(s.tx);
        rt_watch_receiver_drop(s.rx);
        rt_mpsc_sender_drop(s.mtx);
        rt_mpsc_receiver_drop(s.mrx);
    }
}

/* ------------------------------------------------------------ descriptors */

struct fds {
    int sock[2]; /* a connected pair of non-blocking stream sockets */
    rt_mpsc_sender *mtx;
    rt_mpsc_receiver *mrx;
    _Atomic int nready;
    int rc;
};

static void fds_open(struct fds *s)
{
    SL_CHECK_FATAL(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, s->sock) == 0,
                   "socketpair failed");
    rt_channel_config config = {.elem_size = sizeof(int), .capacity = 1};
    SL_CHECK_FATAL(rt_mpsc_new(&config, &s->mtx, &s->mrx) == 0, "rt_mpsc_new failed");
}

static void fds_close(struct fds *s)
{
    for (int i = 0; i < 2; i++)
        if (s->sock[i] >= 0)
            close(s->sock[i]);
    rt_mpsc_sender_drop(s->mtx);
    rt_mpsc_receiver_drop(s->mrx);
}

static void *write_later(void *arg)
{
    struct fds *s = arg;
    yield_until_at_least(&s->nready, 1);
    rt_sleep_ms(2); /* long enough for the select to be parked in the reactor */
    SL_CHECK(write(s->sock[1], "x", 1) == 1, "write to the socket pair failed");
    return NULL;
}

static void *drain_later(void *arg)
{
    struct fds *s = arg;
    yield_until_at_least(&s->nready, 2);
    rt_sleep_ms(2);
    char buf[4096];
    while (read(s->sock[0], buf, sizeof buf) > 0)
        continue;
    return NULL;
}

/* Fills sock[1]'s send buffer (and sock[0]'s receive buffer): sock[1] is not writable. */
static void fill(int fd)
{
    static const char block[4096];
    while (write(fd, block, sizeof block) > 0)
        continue;
}

static void *fd_arm_paths(void *arg)
{
    struct fds *s = arg;
    char byte;
    /* Readable: a socket becomes readable while the select waits; nothing is read for us. */
    rt_join_handle *writer = rt_spawn(write_later, s);
    int m = -1;
    rt_select_arm arms[] = {rt_select_recv(s->mrx, &m), rt_select_readable(s->sock[0])};
    atomic_store(&s->nready, 1);
    int winner = rt_select(arms, 2);
    SL_CHECK(winner == 1 && arms[1].result == RT_READABLE,
             "a select waiting for a readable socket returned %d (result %d)", winner,
             arms[winner < 0 ? 0 : winner].result);
    SL_CHECK(read(s->sock[0], &byte, 1) == 1 && byte == 'x', "the readable arm consumed the byte");
    rt_join(writer, NULL, NULL);

    /* Writable at once; then not writable (full) until a reader drains it. */
    rt_select_arm writable[] = {rt_select_writable(s->sock[1])};
    SL_CHECK(rt_select(writable, 1) == 0 && writable[0].result == RT_WRITABLE,
             "an empty socket was not writable");
    fill(s->sock[1]);
    rt_select_arm soon[] = {rt_select_writable(s->sock[1]),
                            rt_select_deadline(rt_now() + 5 * RT_NS_PER_MS)};
    SL_CHECK(rt_select(soon, 2) == 1, "a full socket counted as writable");
    rt_join_handle *drainer = rt_spawn(drain_later, s);
    atomic_store(&s->nready, 2);
    winner = rt_select(writable, 1);
    SL_CHECK(winner == 0 && writable[0].result == RT_WRITABLE,
             "a drained socket did not become writable: %d", winner);
    rt_join(drainer, NULL, NULL);

    /* The peer hangs up: readable (the read says end of stream). */
    close(s->sock[1]);
    s->sock[1] = -1;
    rt_select_arm hangup[] = {rt_select_recv(s->mrx, &m), rt_select_readable(s->sock[0])};
    SL_CHECK(rt_select(hangup, 2) == 1 && read(s->sock[0], &byte, 1) == 0,
             "a hung-up socket was not readable (or the read did not say end of stream)");

    /* A descriptor that is not open fails the select; the other arm's waiter is gone. */
    int fd = dup(s->sock[0]);
    close(fd);
    rt_select_arm bad[] = {rt_select_recv(s->mrx, &m), rt_select_readable(fd)};
    int rc = rt_select(bad, 2);
    SL_CHECK(rc == -EBADF, "a select on a closed descriptor returned %d, expected -EBADF", rc);
    int one = 1;
    SL_CHECK(rt_mpsc_send(s->mtx, &one) == 0 && rt_mpsc_recv(s->mrx, &m) == 0 && m == 1,
             "the mpsc channel does not work after the failed select");
    return NULL;
}

static void test_select_fd_arms(void)
{
    for (int i = 0; i < NWORKER_COUNTS; i++) {
        struct fds s = {.rc = 0};
        fds_open(&s);
        run_main(worker_counts[i], fd_arm_paths, &s);
        fds_close(&s);
    }
}

static void *select_on_quiet_socket(void *arg)
{
    struct fds *s = arg;
    int m;
    rt_select_arm arms[] = {rt_select_readable(s->sock[0]), rt_select_recv(s->mrx, &m)};
    atomic_store(&s->nready, 1);
    s->rc = rt_select(arms, 2);
    return NULL;
}

static void *abort_fd_select(void *arg)
{
    struct fds *s = arg;
    rt_join_handle *selector = rt_spawn(select_on_quiet_socket, s);
    yield_until_at_least(&s->nready, 1);
    rt_sleep_ms(2);
    rt_abort(selector);
    rt_join(selector, NULL, NULL);
    SL_CHECK(s->rc == RT_ECANCELED, "an aborted select on a socket returned %d", s->rc);
    /* Its watch is gone: readiness now wakes nobody, and the descriptor count is back
     * (checked by the harness after the test). */
    SL_CHECK(write(s->sock[1], "y", 1) == 1, "write failed");
    char byte;
    SL_CHECK(read(s->sock[0], &byte, 1) == 1 && byte == 'y', "the byte did not arrive");
    return NULL;
}

static void test_select_fd_arm_cancelled(void)
{
    for (int i = 0; i < NWORKER_COUNTS; i++) {
        struct fds s = {.rc = 0};
        fds_open(&s);
        run_main(worker_counts[i], abort_fd_select, &s);
        fds_close(&s);
    }
}

const sl_test sync_select_arm_tests[] = {
    SL_TEST(test_select_broadcast_arm, 1, "chapters/05-channels.md#select"),
    SL_TEST(test_select_watch_arm, 1, "chapters/05-channels.md#select"),
    SL_TEST(test_select_fd_arms, 1, "chapters/05-channels.md#select"),
    SL_TEST(test_select_fd_arm_cancelled, 1, "chapters/05-channels.md#select"),
    SL_TEST_END,
};
