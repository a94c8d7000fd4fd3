/*
 * test_timeouts.c - every blocking call's timed-out and cancelled paths, and what they
 * leave behind: nothing half-done.
 *
 * One scenario per blocking API, run twice: the waiting task T is interrupted by its own
 * deadline (rt_timeout_begin, 10 s - on the virtual clock that costs nothing: when every
 * task waits, time jumps to the next timer) and by rt_abort. Then the scenario checks that
 *   - T got RT_ETIMEDOUT after exactly its timeout (RT_ECANCELED when aborted);
 *   - T's operation did not happen: a timed-out sender's value was not sent, a timed-out
 *     recv took nothing, a lock was not left held;
 *   - T is gone from the wait queue: a task N that queued *behind* T still gets the wake-up,
 *     the lock or the room that T would have had. N waits with a 60 s timeout, so a waiter
 *     left behind shows up as N timing out (a failed check), not as a hang;
 *   - the object still works for the next call.
 * Each scenario also runs under a few deterministic seeds (the scheduler's choices differ).
 *
 * How T is known to be queued: on one worker, T runs from setting is_waiting until the
 * blocking call parks it (nothing in between yields), so once the main task sees the flag,
 * T is parked - and queued ahead of anyone spawned later.
 */
#include "helpers.h"
#include "rt_broadcast.h"
#include "rt_cancel.h"
#include "rt_joinset.h"
#include "rt_mpsc.h"
#include "rt_mutex.h"
#include "rt_notify.h"
#include "rt_oneshot.h"
#include "rt_rwlock.h"
#include "rt_select.h"
#include "rt_semaphore.h"
#include "rt_time.h"
#include "rt_watch.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#define T_TIMEOUT_NS (10 * RT_NS_PER_S)
#define N_TIMEOUT_NS (60 * RT_NS_PER_S)

enum interruption { BY_TIMEOUT, BY_ABORT };

static const char *interruption_name(enum interruption how)
{
    return how == BY_TIMEOUT ? "timed out" : "aborted";
}

/* One waiting task: what it calls, and what came of it. */
struct waiting {
    int (*wait)(struct waiting *w); /* the blocking call; returns its code */
    void *object;
    int value;          /* what a send sends / where a recv puts what it got */
    int64_t timeout_ns; /* 0: none */
    _Atomic int is_waiting;
    int rc;
    int64_t waited_ns;
};

static void *wait_task(void *arg)
{
    struct waiting *w = arg;
    int64_t saved = rt_deadline_get();
    if (w->timeout_ns)
        saved = rt_timeout_begin(w->timeout_ns);
    int64_t start = rt_now();
    atomic_store(&w->is_waiting, 1);
    w->rc = w->wait(w); /* parks at once: see the file comment */
    w->waited_ns = rt_now() - start;
    rt_timeout_end(saved);
    return NULL;
}

/* Spawns a task that runs w->wait, and returns once it is parked in it. */
static rt_join_handle *start_waiting(struct waiting *w)
{
    rt_join_handle *h = rt_spawn(wait_task, w);
    SL_CHECK_FATAL(h != NULL, "rt_spawn failed");
    yield_until_at_least(&w->is_waiting, 1);
    return h;
}

/* On the heap: a task's argument must not point into its spawner's stack (the 'static
 * rule), even though the scenario joins every task before it returns. */
static struct waiting *waiting_new(int (*wait)(struct waiting *), void *object, int64_t timeout_ns)
{
    struct waiting *w = calloc(1, sizeof *w);
    SL_CHECK_FATAL(w != NULL, "out of memory");
    w->wait = wait;
    w->object = object;
    w->timeout_ns = timeout_ns;
    return w;
}

/* T as the scenario wants it: a 10 s timeout, or none (it will be aborted). */
static struct waiting *waiting_t(enum interruption how, int (*wait)(struct waiting *), void *object)
{
    return waiting_new(wait, object, how == BY_TIMEOUT ? T_TIMEOUT_NS : 0);
}

/* N, queued behind T: must succeed, long before its 60 s. */
static struct waiting *waiting_n(int (*wait)(struct waiting *), void *object)
{
    return waiting_new(wait, object, N_TIMEOUT_NS);
}

/* Ends T's wait the scenario's way - lets the virtual clock run past T's deadline, or
 * aborts T - joins T and checks what its call returned. */
static void interrupt(struct waiting *t, rt_join_handle *h, enum interruption how, const char *what)
{
    if (how == BY_TIMEOUT)
        rt_sleep_until(rt_now() + T_TIMEOUT_NS + RT_NS_PER_S);
    else
        rt_abort(h);
    rt_join(h, NULL, NULL);
    int want = how == BY_TIMEOUT ? RT_ETIMEDOUT : RT_ECANCELED;
    SL_CHECK(t->rc == want, "%s, %s: returned %s, expected %s", what, interruption_name(how),
             rt_sync_strerror(t->rc), rt_sync_strerror(want));
    if (how == BY_TIMEOUT)
        SL_CHECK(t->waited_ns == T_TIMEOUT_NS,
                 "%s: a 10 s timeout ended after %lld ns of virtual time", what,
                 (long long)t->waited_ns);
}

/* Joins N and checks that it got what T would have had. */
static void finish_n(struct waiting *n, rt_join_handle *h, enum interruption how, const char *what)
{
    rt_join(h, NULL, NULL);
    SL_CHECK(n->rc == 0,
             "%s, T %s: the task queued behind T got %s - T's place in the queue kept what "
             "was meant for it",
             what, interruption_name(how), rt_sync_strerror(n->rc));
}

/* Every scenario on a virtual-clock runtime, then under deterministic seeds. */
static void run_scenario(void *(*scenario)(void *))
{
    static const uint64_t seeds[] = {1, 2, 3};
    for (int how = BY_TIMEOUT; how <= BY_ABORT; how++) {
        enum interruption h = (enum interruption)how;
        run_main_virtual(scenario, &h);
        for (size_t i = 0; i < sizeof seeds / sizeof seeds[0]; i++)
            run_main_seeded(seeds[i], scenario, &h);
    }
}

/* ------------------------------------------------------------ locks */

static int rwlock_read_then_unlock(struct waiting *w)
{
    int rc = rt_rwlock_read(w->object);
    if (rc == 0)
        rt_rwlock_read_unlock(w->object);
    return rc;
}

static int rwlock_write_then_unlock(struct waiting *w)
{
    int rc = rt_rwlock_write(w->object);
    if (rc == 0)
        rt_rwlock_write_unlock(w->object);
    return rc;
}

/* We hold the write lock; T wants to read, N (behind it) to write. */
static void *rwlock_read_scenario(void *arg)
{
    enum interruption how = *(enum interruption *)arg;
    rt_rwlock *l = rt_rwlock_new("timeouts");
    SL_CHECK_FATAL(rt_rwlock_write(l) == 0, "write lock failed");
    struct waiting *t = waiting_t(how, rwlock_read_then_unlock, l);
    struct waiting *n = waiting_n(rwlock_write_then_unlock, l);
    rt_join_handle *th = start_waiting(t), *nh = start_waiting(n);
    interrupt(t, th, how, "rt_rwlock_read");
    rt_rwlock_write_unlock(l);
    finish_n(n, nh, how, "rt_rwlock_read");
    SL_CHECK(rt_rwlock_try_write(l), "the rwlock is still held after a %s read",
             interruption_name(how));
    rt_rwlock_write_unlock(l);
    rt_rwlock_free(l);
    free(t);
    free(n);
    return NULL;
}

/* We hold a read lock; T wants to write; N, a reader behind T, waits only because a writer
 * is queued (FIFO). When T leaves, N must get in at once, with our read lock still held. */
static void *rwlock_write_scenario(void *arg)
{
    enum interruption how = *(enum interruption *)arg;
    rt_rwlock *l = rt_rwlock_new("timeouts");
    SL_CHECK_FATAL(rt_rwlock_read(l) == 0, "read lock failed");
    struct waiting *t = waiting_t(how, rwlock_write_then_unlock, l);
    struct waiting *n = waiting_n(rwlock_read_then_unlock, l);
    rt_join_handle *th = start_waiting(t), *nh = start_waiting(n);
    interrupt(t, th, how, "rt_rwlock_write");
    finish_n(n, nh, how, "rt_rwlock_write");
    rt_rwlock_read_unlock(l);
    SL_CHECK(rt_rwlock_try_write(l), "the rwlock is still held after a %s write",
             interruption_name(how));
    rt_rwlock_write_unlock(l);
    rt_rwlock_free(l);
    free(t);
    free(n);
    return NULL;
}

static void test_rwlock_timed_out_and_cancelled(void)
{
    run_scenario(rwlock_read_scenario);
    run_scenario(rwlock_write_scenario);
}

static int mutex_lock_then_unlock(struct waiting *w)
{
    int rc = rt_mutex_lock(w->object);
    if (rc == 0)
        rt_mutex_unlock(w->object);
    return rc;
}

static void *mutex_scenario(void *arg)
{
    enum interruption how = *(enum interruption *)arg;
    rt_mutex *m = rt_mutex_new("timeouts");
    SL_CHECK_FATAL(rt_mutex_lock(m) == 0, "lock failed");
    struct waiting *t = waiting_t(how, mutex_lock_then_unlock, m);
    struct waiting *n = waiting_n(mutex_lock_then_unlock, m);
    rt_join_handle *th = start_waiting(t), *nh = start_waiting(n);
    interrupt(t, th, how, "rt_mutex_lock");
    rt_mutex_unlock(m);
    finish_n(n, nh, how, "rt_mutex_lock");
    SL_CHECK(rt_mutex_try_lock(m), "the mutex is still held after a %s lock",
             interruption_name(how));
    rt_mutex_unlock(m);
    rt_mutex_free(m);
    free(t);
    free(n);
    return NULL;
}

static void test_mutex_timed_out_and_cancelled(void)
{
    run_scenario(mutex_scenario);
}

static int acquire_two(struct waiting *w)
{
    int rc = rt_semaphore_acquire(w->object, 2);
    if (rc == 0)
        rt_semaphore_release(w->object, 2);
    return rc;
}

static int acquire_one(struct waiting *w)
{
    int rc = rt_semaphore_acquire(w->object, 1);
    if (rc == 0)
        rt_semaphore_release(w->object, 1);
    return rc;
}

/* 2 permits, we hold 1. T wants 2 and heads the FIFO; N wants 1, which is free, but waits
 * behind T. When T leaves, N must get its permit without anyone releasing. */
static void *semaphore_scenario(void *arg)
{
    enum interruption how = *(enum interruption *)arg;
    rt_semaphore *s = rt_semaphore_new(2, "timeouts");
    SL_CHECK_FATAL(rt_semaphore_acquire(s, 1) == 0, "acquire failed");
    struct waiting *t = waiting_t(how, acquire_two, s);
    struct waiting *n = waiting_n(acquire_one, s);
    rt_join_handle *th = start_waiting(t), *nh = start_waiting(n);
    interrupt(t, th, how, "rt_semaphore_acquire");
    finish_n(n, nh, how, "rt_semaphore_acquire");
    rt_semaphore_release(s, 1);
    SL_CHECK(rt_semaphore_available(s) == 2, "%zu permits of 2 after a %s acquire",
             rt_semaphore_available(s), interruption_name(how));
    rt_semaphore_free(s);
    free(t);
    free(n);
    return NULL;
}

static void test_semaphore_timed_out_and_cancelled(void)
{
    run_scenario(semaphore_scenario);
}

static int notify_wait(struct waiting *w)
{
    return rt_notify_wait(w->object);
}

/* T and N wait; one notify_one after T left must go to N (not to T's stale place, and not
 * into a stored permit). */
static void *notify_scenario(void *arg)
{
    enum interruption how = *(enum interruption *)arg;
    rt_notify *no = rt_notify_new("timeouts");
    struct waiting *t = waiting_t(how, notify_wait, no);
    struct waiting *n = waiting_n(notify_wait, no);
    rt_join_handle *th = start_waiting(t), *nh = start_waiting(n);
    interrupt(t, th, how, "rt_notify_wait");
    rt_notify_one(no);
    finish_n(n, nh, how, "rt_notify_wait");
    /* Still works: a permit stored now is taken by the next wait. */
    rt_notify_one(no);
    int64_t saved = rt_timeout_begin(RT_NS_PER_S);
    SL_CHECK(rt_notify_wait(no) == 0, "a stored permit was not taken after a %s wait",
             interruption_name(how));
    rt_timeout_end(saved);
    rt_notify_free(no);
    free(t);
    free(n);
    return NULL;
}

static void test_notify_timed_out_and_cancelled(void)
{
    run_scenario(notify_scenario);
}

/* ------------------------------------------------------------ channels */

static int oneshot_recv(struct waiting *w)
{
    return rt_oneshot_recv(w->object, &w->value);
}

/* The one receiver times out (or is aborted), then receives the value sent afterwards. */
static void *oneshot_scenario(void *arg)
{
    enum interruption how = *(enum interruption *)arg;
    rt_oneshot_sender *tx;
    rt_oneshot_receiver *rx;
    rt_channel_config config = {.elem_size = sizeof(int)};
    SL_CHECK_FATAL(rt_oneshot_new(&config, &tx, &rx) == 0, "rt_oneshot_new failed");
    struct waiting *t = waiting_t(how, oneshot_recv, rx);
    t->value = -1;
    interrupt(t, start_waiting(t), how, "rt_oneshot_recv");
    SL_CHECK(t->value == -1, "a %s oneshot recv wrote %d", interruption_name(how), t->value);
    int five = 5, out = 0;
    SL_CHECK(rt_oneshot_send(tx, &five) == 0, "send after a %s recv failed",
             interruption_name(how));
    SL_CHECK(rt_oneshot_recv(rx, &out) == 0 && out == 5, "the value sent after a %s recv: %d",
             interruption_name(how), out);
    rt_oneshot_receiver_drop(rx);
    free(t);
    return NULL;
}

static void test_oneshot_timed_out_and_cancelled(void)
{
    run_scenario(oneshot_scenario);
}

static int broadcast_recv(struct waiting *w)
{
    return rt_broadcast_recv(w->object, &w->value, NULL);
}

/* T (one receiver) is interrupted while N (another) waits; the next value reaches N, and
 * T's receiver, still at its position, gets it too. */
static void *broadcast_scenario(void *arg)
{
    enum interruption how = *(enum interruption *)arg;
    rt_broadcast_sender *tx;
    rt_broadcast_receiver *rx;
    rt_channel_config config = {.elem_size = sizeof(int), .capacity = 4};
    SL_CHECK_FATAL(rt_broadcast_new(&config, &tx, &rx) == 0, "rt_broadcast_new failed");
    rt_broadcast_receiver *other = rt_broadcast_subscribe(tx);
    struct waiting *t = waiting_t(how, broadcast_recv, rx);
    struct waiting *n = waiting_n(broadcast_recv, other);
    t->value = -1;
    rt_join_handle *th = start_waiting(t), *nh = start_waiting(n);
    interrupt(t, th, how, "rt_broadcast_recv");
    int five = 5, out = 0;
    rt_broadcast_send(tx, &five);
    finish_n(n, nh, how, "rt_broadcast_recv");
    SL_CHECK(n->value == 5 && t->value == -1, "N got %d, the %s T wrote %d", n->value,
             interruption_name(how), t->value);
    SL_CHECK(rt_broadcast_try_recv(rx, &out, NULL) == 0 && out == 5,
             "the receiver of a %s recv lost its place (got %d)", interruption_name(how), out);
    rt_broadcast_sender_drop(tx);
    rt_broadcast_receiver_drop(rx);
    rt_broadcast_receiver_drop(other);
    free(t);
    free(n);
    return NULL;
}

static void test_broadcast_timed_out_and_cancelled(void)
{
    run_scenario(broadcast_scenario);
}

static int watch_changed(struct waiting *w)
{
    return rt_watch_changed(w->object);
}

static void *watch_scenario(void *arg)
{
    enum interruption how = *(enum interruption *)arg;
    rt_watch_sender *tx;
    rt_watch_receiver *rx;
    int zero = 0, five = 5, out = 0;
    rt_channel_config config = {.elem_size = sizeof(int)};
    SL_CHECK_FATAL(rt_watch_new(&config, &zero, &tx, &rx) == 0, "rt_watch_new failed");
    rt_watch_receiver *other = rt_watch_subscribe(tx);
    struct waiting *t = waiting_t(how, watch_changed, rx);
    struct waiting *n = waiting_n(watch_changed, other);
    rt_join_handle *th = start_waiting(t), *nh = start_waiting(n);
    interrupt(t, th, how, "rt_watch_changed");
    rt_watch_send(tx, &five);
    finish_n(n, nh, how, "rt_watch_changed");
    int64_t saved = rt_timeout_begin(RT_NS_PER_S);
    SL_CHECK(rt_watch_changed(rx) == 0, "after a %s changed, a new value did not count",
             interruption_name(how));
    rt_timeout_end(saved);
    rt_watch_borrow(rx, &out);
    SL_CHECK(out == 5, "borrow after a %s changed: %d", interruption_name(how), out);
    rt_watch_sender_drop(tx);
    rt_watch_receiver_drop(rx);
    rt_watch_receiver_drop(other);
    free(t);
    free(n);
    return NULL;
}

static void test_watch_timed_out_and_cancelled(void)
{
    run_scenario(watch_scenario);
}

static int mpsc_send(struct waiting *w)
{
    return rt_mpsc_send(w->object, &w->value);
}

static int mpsc_recv(struct waiting *w)
{
    return rt_mpsc_recv(w->object, &w->value);
}

/* A full channel (capacity 1, holding 1). T sends 2, N sends 3 behind it. After T gave up,
 * the channel must deliver 1, then 3 - never 2 - and be empty. */
static void *mpsc_send_scenario(void *arg)
{
    enum interruption how = *(enum interruption *)arg;
    rt_mpsc_sender *tx;
    rt_mpsc_receiver *rx;
    rt_channel_config config = {.elem_size = sizeof(int), .capacity = 1};
    SL_CHECK_FATAL(rt_mpsc_new(&config, &tx, &rx) == 0, "rt_mpsc_new failed");
    int one = 1, out = 0;
    rt_mpsc_send(tx, &one);
    struct waiting *t = waiting_t(how, mpsc_send, tx);
    struct waiting *n = waiting_n(mpsc_send, tx);
    t->value = 2;
    n->value = 3;
    rt_join_handle *th = start_waiting(t), *nh = start_waiting(n);
    interrupt(t, th, how, "rt_mpsc_send on a full channel");
    SL_CHECK(rt_mpsc_recv(rx, &out) == 0 && out == 1, "first value: %d", out);
    finish_n(n, nh, how, "rt_mpsc_send on a full channel");
    SL_CHECK(rt_mpsc_recv(rx, &out) == 0 && out == 3,
             "after a %s send, the channel delivered %d (expected N's 3; 2 was never sent)",
             interruption_name(how), out);
    SL_CHECK(rt_mpsc_try_recv(rx, &out) == RT_EWOULDBLOCK,
             "the %s sender's value arrived after all (%d)", interruption_name(how), out);
    rt_mpsc_sender_drop(tx);
    rt_mpsc_receiver_drop(rx);
    free(t);
    free(n);
    return NULL;
}

/* An empty channel: T's recv gives up; the next value is there for the next recv. */
static void *mpsc_recv_scenario(void *arg)
{
    enum interruption how = *(enum interruption *)arg;
    rt_mpsc_sender *tx;
    rt_mpsc_receiver *rx;
    rt_channel_config config = {.elem_size = sizeof(int), .capacity = 1};
    SL_CHECK_FATAL(rt_mpsc_new(&config, &tx, &rx) == 0, "rt_mpsc_new failed");
    struct waiting *t = waiting_t(how, mpsc_recv, rx);
    t->value = -1;
    interrupt(t, start_waiting(t), how, "rt_mpsc_recv");
    int four = 4, out = 0;
    rt_mpsc_send(tx, &four);
    SL_CHECK(rt_mpsc_recv(rx, &out) == 0 && out == 4 && t->value == -1,
             "after a %s recv: got %d (T wrote %d)", interruption_name(how), out, t->value);
    rt_mpsc_sender_drop(tx);
    rt_mpsc_receiver_drop(rx);
    free(t);
    return NULL;
}

static void test_mpsc_timed_out_and_cancelled(void)
{
    run_scenario(mpsc_send_scenario);
    run_scenario(mpsc_recv_scenario);
}

/* ------------------------------------------------------------ select */

struct select_objects {
    rt_mpsc_sender *tx[2];
    rt_mpsc_receiver *rx[2];
    rt_broadcast_sender *btx;
    rt_broadcast_receiver *brx;
    int sock[2]; /* a quiet socket pair */
};

/* recv on an empty channel, send on a full one, a broadcast with nothing new, a socket
 * nobody writes to, and no deadline arm: only the task's own deadline (or an abort) ends
 * it. */
static int select_without_deadline_arm(struct waiting *w)
{
    struct select_objects *o = w->object;
    int out = -1, bout = -1, two = 2;
    rt_select_arm arms[] = {rt_select_recv(o->rx[0], &out), rt_select_send(o->tx[1], &two),
                            rt_select_broadcast(o->brx, &bout, NULL),
                            rt_select_readable(o->sock[0])};
    int rc = rt_select(arms, 4);
    w->value = out != -1 ? out : bout;
    return rc;
}

static struct select_objects *select_objects_new(void)
{
    struct select_objects *o = calloc(1, sizeof *o);
    SL_CHECK_FATAL(o != NULL, "out of memory");
    rt_channel_config config = {.elem_size = sizeof(int), .capacity = 1};
    for (int i = 0; i < 2; i++)
        SL_CHECK_FATAL(rt_mpsc_new(&config, &o->tx[i], &o->rx[i]) == 0, "rt_mpsc_new failed");
    SL_CHECK_FATAL(rt_broadcast_new(&config, &o->btx, &o->brx) == 0, "rt_broadcast_new failed");
    SL_CHECK_FATAL(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, o->sock) == 0,
                   "socketpair failed");
    return o;
}

static void select_objects_free(struct select_objects *o)
{
    for (int i = 0; i < 2; i++) {
        rt_mpsc_sender_drop(o->tx[i]);
        rt_mpsc_receiver_drop(o->rx[i]);
        close(o->sock[i]);
    }
    rt_broadcast_sender_drop(o->btx);
    rt_broadcast_receiver_drop(o->brx);
    free(o);
}

static void *select_scenario(void *arg)
{
    enum interruption how = *(enum interruption *)arg;
    struct select_objects *o = select_objects_new();
    int one = 1, three = 3, four = 4, out = 0;
    rt_mpsc_send(o->tx[1], &one); /* channel 1 is full */
    struct waiting *t = waiting_t(how, select_without_deadline_arm, o);
    interrupt(t, start_waiting(t), how, "rt_select");
    SL_CHECK(t->value == -1, "the %s select's recv arm wrote %d", interruption_name(how), t->value);
    SL_CHECK(rt_mpsc_recv(o->rx[1], &out) == 0 && out == 1 &&
                 rt_mpsc_try_recv(o->rx[1], &out) == RT_EWOULDBLOCK,
             "the %s select's send arm sent its value", interruption_name(how));
    rt_mpsc_send(o->tx[0], &three);
    SL_CHECK(rt_mpsc_recv(o->rx[0], &out) == 0 && out == 3,
             "a value sent after the %s select went missing", interruption_name(how));
    rt_broadcast_send(o->btx, &four);
    SL_CHECK(rt_broadcast_try_recv(o->brx, &out, NULL) == 0 && out == 4,
             "a broadcast sent after the %s select went missing", interruption_name(how));
    /* The select's descriptor watch is stopped (the harness counts descriptors after the
     * test); the socket itself still works. */
    char byte = 0;
    SL_CHECK(write(o->sock[1], "z", 1) == 1 && read(o->sock[0], &byte, 1) == 1 && byte == 'z',
             "the socket does not work after the %s select", interruption_name(how));
    select_objects_free(o);
    free(t);
    return NULL;
}

static void test_select_timed_out_and_cancelled(void)
{
    run_scenario(select_scenario);
}

/* ------------------------------------------------------------ structured concurrency */

static int token_wait(struct waiting *w)
{
    return rt_cancel_token_wait(w->object);
}

static void *cancel_token_scenario(void *arg)
{
    enum interruption how = *(enum interruption *)arg;
    rt_cancel_token *token = rt_cancel_token_new();
    struct waiting *t = waiting_t(how, token_wait, token);
    struct waiting *n = waiting_n(token_wait, token);
    rt_join_handle *th = start_waiting(t), *nh = start_waiting(n);
    interrupt(t, th, how, "rt_cancel_token_wait");
    SL_CHECK(!rt_cancel_token_is_cancelled(token), "a %s wait cancelled the token",
             interruption_name(how));
    rt_cancel_token_cancel(token);
    finish_n(n, nh, how, "rt_cancel_token_wait");
    SL_CHECK(rt_cancel_token_wait(token) == 0, "wait on a cancelled token after a %s wait",
             interruption_name(how));
    rt_cancel_token_drop(token);
    free(t);
    free(n);
    return NULL;
}

static void test_cancel_token_timed_out_and_cancelled(void)
{
    run_scenario(cancel_token_scenario);
}

/* A child that finishes when told (it never times out itself), and says so. */
struct child {
    rt_notify *go;
    _Atomic int ndone;
};

static void *child_until_notified(void *arg)
{
    struct child *c = arg;
    rt_notify_wait(c->go); /* returns early only when the child is aborted */
    atomic_fetch_add(&c->ndone, 1);
    return (void *)(intptr_t)7;
}

static struct child *child_new(void)
{
    struct child *c = calloc(1, sizeof *c);
    SL_CHECK_FATAL(c != NULL, "out of memory");
    c->go = rt_notify_new("child");
    return c;
}

/* Lets the child finish (if it has not: it may have been aborted) and frees it. */
static void child_free(struct child *c)
{
    rt_notify_one(c->go);
    yield_until_at_least(&c->ndone, 1);
    rt_notify_free(c->go);
    free(c);
}

/* rt_join's own: T joins a child. Timed out: the handle is not consumed - T joins again
 * once the child is told to finish. Aborted: the handle is detached, the child runs on. */
static int join_child(struct waiting *w)
{
    struct child *c = w->object;
    rt_join_handle *child = rt_spawn(child_until_notified, c);
    void *result = NULL;
    int rc = rt_join(child, &result, NULL);
    if (rc != RT_ETIMEDOUT)
        return rc;
    int64_t saved = rt_deadline_set(0); /* the outer timeout is over: no deadline now */
    rt_notify_one(c->go);
    int again = rt_join(child, &result, NULL);
    rt_deadline_set(saved);
    w->value = again == 0 ? (int)(intptr_t)result : again;
    return rc;
}

static void *join_scenario(void *arg)
{
    enum interruption how = *(enum interruption *)arg;
    struct child *c = child_new();
    struct waiting *t = waiting_t(how, join_child, c);
    interrupt(t, start_waiting(t), how, "rt_join");
    if (how == BY_TIMEOUT)
        SL_CHECK(t->value == 7, "joining again after RT_ETIMEDOUT: %d (expected the result 7)",
                 t->value);
    child_free(c); /* aborted T: the detached child runs on until told */
    free(t);
    return NULL;
}

static void test_join_timed_out_and_cancelled(void)
{
    run_scenario(join_scenario);
}

/* A set belongs to one task, so T owns it: join_next gives up with *id = 0 and the task
 * stays in the set; timed out, T then takes it normally. */
static int joinset_join_next(struct waiting *w)
{
    struct child *c = w->object;
    rt_joinset *set = rt_joinset_new();
    int64_t id = rt_joinset_spawn(set, "child", child_until_notified, c);
    uint64_t got = 99;
    int rc = rt_joinset_join_next(set, &got, NULL, NULL);
    if (got != 0 || rt_joinset_len(set) != 1)
        w->value = -1; /* checked by the scenario */
    if (rc == RT_ETIMEDOUT) {
        int64_t saved = rt_deadline_set(0);
        rt_notify_one(c->go);
        void *result = NULL;
        int again = rt_joinset_join_next(set, &got, &result, NULL);
        rt_deadline_set(saved);
        if (again != 0 || (int64_t)got != id || result != (void *)(intptr_t)7)
            w->value = -2;
    }
    rt_joinset_free(set); /* aborts what is left (the aborted case) */
    return rc;
}

static void *joinset_scenario(void *arg)
{
    enum interruption how = *(enum interruption *)arg;
    struct child *c = child_new();
    struct waiting *t = waiting_t(how, joinset_join_next, c);
    interrupt(t, start_waiting(t), how, "rt_joinset_join_next");
    SL_CHECK(t->value != -1, "a %s join_next did not leave *id = 0 and the task in the set",
             interruption_name(how));
    SL_CHECK(t->value != -2, "after a timed-out join_next, the next one did not get the child");
    child_free(c);
    free(t);
    return NULL;
}

static void test_joinset_timed_out_and_cancelled(void)
{
    run_scenario(joinset_scenario);
}

const sl_test sync_timeout_tests[] = {
    SL_TEST(test_rwlock_timed_out_and_cancelled, 1, "chapters/03-shared-state.md"),
    SL_TEST(test_mutex_timed_out_and_cancelled, 1, "chapters/03-shared-state.md"),
    SL_TEST(test_semaphore_timed_out_and_cancelled, 1, "chapters/03-shared-state.md"),
    SL_TEST(test_notify_timed_out_and_cancelled, 1, "chapters/05-channels.md#notify"),
    SL_TEST(test_oneshot_timed_out_and_cancelled, 1, "chapters/05-channels.md"),
    SL_TEST(test_broadcast_timed_out_and_cancelled, 1, "chapters/05-channels.md#pub-sub"),
    SL_TEST(test_watch_timed_out_and_cancelled, 1, "chapters/05-channels.md#watch"),
    SL_TEST(test_mpsc_timed_out_and_cancelled, 1, "chapters/05-channels.md#mpsc"),
    SL_TEST(test_select_timed_out_and_cancelled, 1, "chapters/05-channels.md#select"),
    SL_TEST(test_cancel_token_timed_out_and_cancelled, 1, "chapters/06-bot.md"),
    SL_TEST(test_join_timed_out_and_cancelled, 1, "chapters/02-spawn.md"),
    SL_TEST(test_joinset_timed_out_and_cancelled, 1, "chapters/06-bot.md#fan-out-fan-in"),
    SL_TEST_END,
};
