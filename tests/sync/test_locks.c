/*
 * test_locks.c - the task-aware mutex, semaphore, rwlock and notify: normal, fair, closed
 * and cancelled paths. (Timed-out paths: test_time.c, once timers exist.)
 */
#include "helpers.h"
#include "rt_mutex.h"
#include "rt_notify.h"
#include "rt_rwlock.h"
#include "rt_semaphore.h"

#include <stdlib.h>

/* ------------------------------------------------------------ mutex */

struct counter_state {
    rt_mutex *mutex;
    int value;           /* guarded by mutex */
    _Atomic int ninside; /* tasks inside the critical section right now */
    _Atomic int max_inside;
    uint32_t seed;
};

static void note_inside(_Atomic int *ninside, _Atomic int *max_inside)
{
    int now = atomic_fetch_add(ninside, 1) + 1;
    int max = atomic_load(max_inside);
    while (now > max && !atomic_compare_exchange_weak(max_inside, &max, now)) {
    }
}

static void *increment_with_yields(void *arg)
{
    struct counter_state *s = arg;
    chaos c = chaos_seed(s->seed, (uint32_t)rt_task_id());
    for (int i = 0; i < 50; i++) {
        SL_CHECK_FATAL(rt_mutex_lock(s->mutex) == 0, "rt_mutex_lock failed");
        note_inside(&s->ninside, &s->max_inside);
        int seen = s->value;
        chaos_yield(&c); /* held across yields: the point of a task-aware mutex */
        s->value = seen + 1;
        atomic_fetch_sub(&s->ninside, 1);
        rt_mutex_unlock(s->mutex);
        chaos_yield(&c);
    }
    return NULL;
}

static void *run_incrementers(void *arg)
{
    struct counter_state *s = arg;
    rt_join_handle *tasks[8];
    for (int i = 0; i < 8; i++)
        tasks[i] = rt_spawn(increment_with_yields, s);
    for (int i = 0; i < 8; i++)
        rt_join(tasks[i], NULL, NULL);
    return NULL;
}

static void test_mutex_excludes_across_yields(void)
{
    for (int i = 0; i < NWORKER_COUNTS; i++) {
        struct counter_state *s = calloc(1, sizeof *s);
        s->mutex = rt_mutex_new("counter");
        s->seed = (uint32_t)i + 7;
        run_main(worker_counts[i], run_incrementers, s);
        SL_CHECK(s->value == 8 * 50, "%d workers: 8 tasks x 50 increments gave %d, not 400",
                 worker_counts[i], s->value);
        SL_CHECK(atomic_load(&s->max_inside) == 1,
                 "%d workers: %d tasks were inside the critical section at once", worker_counts[i],
                 atomic_load(&s->max_inside));
        rt_mutex_free(s->mutex);
        free(s);
    }
}

struct fifo_state {
    rt_mutex *mutex;
    _Atomic int nwaiting;
    int order[5];
    int norder; /* guarded by mutex */
};

struct fifo_arg {
    struct fifo_state *state;
    int index;
};

static void *lock_and_record(void *arg)
{
    struct fifo_arg *a = arg;
    atomic_fetch_add(&a->state->nwaiting, 1);
    SL_CHECK(rt_mutex_lock(a->state->mutex) == 0, "rt_mutex_lock failed");
    a->state->order[a->state->norder++] = a->index;
    rt_mutex_unlock(a->state->mutex);
    return NULL;
}

static void *queue_five_then_unlock(void *arg)
{
    struct fifo_state *s = arg;
    struct fifo_arg *args = calloc(5, sizeof *args);
    rt_join_handle *tasks[5];
    SL_CHECK_FATAL(rt_mutex_lock(s->mutex) == 0, "rt_mutex_lock failed");
    SL_CHECK(!rt_mutex_try_lock(s->mutex), "rt_mutex_try_lock succeeded on a locked mutex");
    for (int i = 0; i < 5; i++) {
        args[i] = (struct fifo_arg){s, i};
        tasks[i] = rt_spawn(lock_and_record, &args[i]);
        yield_until_at_least(&s->nwaiting, i + 1);
        yield_times(3); /* one worker: it runs until it parks in rt_mutex_lock */
    }
    rt_mutex_unlock(s->mutex);
    for (int i = 0; i < 5; i++)
        rt_join(tasks[i], NULL, NULL);
    free(args);
    return NULL;
}

static void test_mutex_is_fifo_fair(void)
{
    struct fifo_state *s = calloc(1, sizeof *s);
    s->mutex = rt_mutex_new("fifo");
    run_main(1, queue_five_then_unlock, s);
    for (int i = 0; i < 5; i++)
        SL_CHECK(s->order[i] == i,
                 "the lock went to waiter %d in turn %d: waiters must get it "
                 "in the order they asked",
                 s->order[i], i);
    SL_CHECK(rt_mutex_try_lock(s->mutex), "the mutex is not free after every waiter left");
    rt_mutex_unlock(s->mutex);
    rt_mutex_free(s->mutex);
    free(s);
}

struct cancel_state {
    rt_mutex *mutex;
    _Atomic int nwaiting;
    int rc;
};

static void *lock_until_cancelled(void *arg)
{
    struct cancel_state *s = arg;
    atomic_fetch_add(&s->nwaiting, 1);
    s->rc = rt_mutex_lock(s->mutex);
    if (s->rc == 0)
        rt_mutex_unlock(s->mutex);
    return NULL;
}

static void *abort_a_lock_waiter(void *arg)
{
    struct cancel_state *s = arg;
    rt_mutex_lock(s->mutex);
    rt_join_handle *waiter = rt_spawn(lock_until_cancelled, s);
    yield_until_at_least(&s->nwaiting, 1);
    yield_times(5);
    rt_abort(waiter);
    rt_join(waiter, NULL, NULL);
    rt_mutex_unlock(s->mutex);
    /* The cancelled waiter left the queue: the lock is free, with nobody waiting. */
    SL_CHECK(rt_mutex_try_lock(s->mutex), "the mutex is stuck after a waiter was cancelled");
    rt_mutex_unlock(s->mutex);
    return NULL;
}

static void test_mutex_lock_cancelled(void)
{
    for (int i = 0; i < NWORKER_COUNTS; i++) {
        struct cancel_state *s = calloc(1, sizeof *s);
        s->mutex = rt_mutex_new("cancel");
        run_main(worker_counts[i], abort_a_lock_waiter, s);
        SL_CHECK(s->rc == RT_ECANCELED,
                 "%d workers: an aborted rt_mutex_lock returned %s, "
                 "expected cancelled",
                 worker_counts[i], rt_strerror(s->rc));
        rt_mutex_free(s->mutex); /* asserts that nobody is queued any more */
        free(s);
    }
}

/* ------------------------------------------------------------ semaphore */

struct limit_state {
    rt_semaphore *semaphore;
    _Atomic int ninside, max_inside;
    uint32_t seed;
};

static void *acquire_work_release(void *arg)
{
    struct limit_state *s = arg;
    chaos c = chaos_seed(s->seed, (uint32_t)rt_task_id());
    for (int i = 0; i < 20; i++) {
        SL_CHECK_FATAL(rt_semaphore_acquire(s->semaphore, 1) == 0, "acquire failed");
        note_inside(&s->ninside, &s->max_inside);
        chaos_yield(&c);
        atomic_fetch_sub(&s->ninside, 1);
        rt_semaphore_release(s->semaphore, 1);
    }
    return NULL;
}

static void *run_limited(void *arg)
{
    rt_join_handle *tasks[20];
    for (int i = 0; i < 20; i++)
        tasks[i] = rt_spawn(acquire_work_release, arg);
    for (int i = 0; i < 20; i++)
        rt_join(tasks[i], NULL, NULL);
    return NULL;
}

static void test_semaphore_never_more_than_n(void)
{
    for (int i = 0; i < NWORKER_COUNTS; i++) {
        struct limit_state *s = calloc(1, sizeof *s);
        s->semaphore = rt_semaphore_new(3, "limit");
        s->seed = (uint32_t)i + 1;
        run_main(worker_counts[i], run_limited, s);
        int max = atomic_load(&s->max_inside);
        SL_CHECK(max <= 3, "%d workers: a semaphore of 3 let %d tasks in at once", worker_counts[i],
                 max);
        SL_CHECK(max >= 2,
                 "%d workers: at most %d task was ever inside: the semaphore "
                 "serialized what it should only limit",
                 worker_counts[i], max);
        SL_CHECK(rt_semaphore_available(s->semaphore) == 3, "permits leaked: %zu of 3 left",
                 rt_semaphore_available(s->semaphore));
        rt_semaphore_free(s->semaphore);
        free(s);
    }
}

struct many_state {
    rt_semaphore *semaphore;
    _Atomic int nwaiting;
    _Atomic int got_three, got_one;
    int rc_three;
};

static void *take_three(void *arg)
{
    struct many_state *s = arg;
    atomic_fetch_add(&s->nwaiting, 1);
    s->rc_three = rt_semaphore_acquire(s->semaphore, 3);
    atomic_store(&s->got_three, s->rc_three == 0);
    return NULL;
}

static void *take_one(void *arg)
{
    struct many_state *s = arg;
    atomic_fetch_add(&s->nwaiting, 1);
    atomic_store(&s->got_one, rt_semaphore_acquire(s->semaphore, 1) == 0);
    return NULL;
}

static void *fifo_permits(void *arg)
{
    struct many_state *s = arg;
    rt_join_handle *three = rt_spawn(take_three, s);
    yield_until_at_least(&s->nwaiting, 1);
    rt_join_handle *one = rt_spawn(take_one, s);
    yield_until_at_least(&s->nwaiting, 2);
    yield_times(5);
    rt_semaphore_release(s->semaphore, 1);
    yield_times(5);
    SL_CHECK(!atomic_load(&s->got_one), "a request for 1 permit overtook the request for 3 "
                                        "ahead of it (FIFO order)");
    SL_CHECK(rt_semaphore_try_acquire(s->semaphore, 1) == RT_EWOULDBLOCK,
             "try_acquire took a permit past waiting tasks");
    rt_semaphore_release(s->semaphore, 2);
    rt_join(three, NULL, NULL);
    SL_CHECK(atomic_load(&s->got_three), "3 released permits did not reach the waiter for 3");
    rt_semaphore_release(s->semaphore, 1);
    rt_join(one, NULL, NULL);
    SL_CHECK(atomic_load(&s->got_one), "the waiter for 1 never got its permit");
    return NULL;
}

/* One worker: there "yield a few times" reliably means "the other task is now queued". */
static void test_semaphore_acquire_many_in_order(void)
{
    struct many_state *s = calloc(1, sizeof *s);
    s->semaphore = rt_semaphore_new(0, "fifo");
    run_main(1, fifo_permits, s);
    rt_semaphore_free(s->semaphore);
    free(s);
}

static void *abort_the_head_waiter(void *arg)
{
    struct many_state *s = arg;
    rt_semaphore_release(s->semaphore, 1);
    rt_join_handle *three = rt_spawn(take_three, s);
    yield_until_at_least(&s->nwaiting, 1);
    rt_join_handle *one = rt_spawn(take_one, s);
    yield_until_at_least(&s->nwaiting, 2);
    yield_times(5);
    rt_abort(three); /* the head leaves: the request for 1 behind it now fits */
    rt_join(three, NULL, NULL);
    rt_join(one, NULL, NULL);
    SL_CHECK(s->rc_three == RT_ECANCELED, "the aborted acquire returned %s",
             rt_strerror(s->rc_three));
    SL_CHECK(atomic_load(&s->got_one), "the waiter behind a cancelled head never ran");
    return NULL;
}

static void test_semaphore_cancelled_head_lets_others_through(void)
{
    for (int i = 0; i < NWORKER_COUNTS; i++) {
        struct many_state *s = calloc(1, sizeof *s);
        s->semaphore = rt_semaphore_new(0, "head");
        run_main(worker_counts[i], abort_the_head_waiter, s);
        rt_semaphore_free(s->semaphore);
        free(s);
    }
}

static void *close_while_waiting(void *arg)
{
    struct many_state *s = arg;
    rt_join_handle *three = rt_spawn(take_three, s);
    yield_until_at_least(&s->nwaiting, 1);
    yield_times(5);
    rt_semaphore_close(s->semaphore);
    rt_join(three, NULL, NULL);
    SL_CHECK(s->rc_three == RT_ECLOSED, "a waiter of a closed semaphore got %s, expected closed",
             rt_sync_strerror(s->rc_three));
    SL_CHECK(rt_semaphore_acquire(s->semaphore, 1) == RT_ECLOSED, "acquire after close");
    SL_CHECK(rt_semaphore_try_acquire(s->semaphore, 1) == RT_ECLOSED, "try_acquire after close");
    return NULL;
}

static void test_semaphore_close_fails_waiters(void)
{
    for (int i = 0; i < NWORKER_COUNTS; i++) {
        struct many_state *s = calloc(1, sizeof *s);
        s->semaphore = rt_semaphore_new(1, "close");
        run_main(worker_counts[i], close_while_waiting, s);
        rt_semaphore_free(s->semaphore);
        free(s);
    }
}

/* ------------------------------------------------------------ rwlock */

struct rw_state {
    rt_rwlock *lock;
    _Atomic int nreaders_inside, max_readers, nstarted, is_checked;
    _Atomic bool has_writer_run;
};

static void *read_a_while(void *arg)
{
    struct rw_state *s = arg;
    atomic_fetch_add(&s->nstarted, 1);
    SL_CHECK_FATAL(rt_rwlock_read(s->lock) == 0, "rt_rwlock_read failed");
    note_inside(&s->nreaders_inside, &s->max_readers);
    yield_until_at_least(&s->is_checked, 1); /* both readers stay in until main has looked */
    atomic_fetch_sub(&s->nreaders_inside, 1);
    rt_rwlock_read_unlock(s->lock);
    return NULL;
}

static void *write_once(void *arg)
{
    struct rw_state *s = arg;
    atomic_fetch_add(&s->nstarted, 1);
    SL_CHECK_FATAL(rt_rwlock_write(s->lock) == 0, "rt_rwlock_write failed");
    SL_CHECK(atomic_load(&s->nreaders_inside) == 0, "a writer got in while readers were inside");
    atomic_store(&s->has_writer_run, true);
    rt_rwlock_write_unlock(s->lock);
    return NULL;
}

static void *readers_then_writer(void *arg)
{
    struct rw_state *s = arg;
    rt_join_handle *r1 = rt_spawn(read_a_while, s);
    rt_join_handle *r2 = rt_spawn(read_a_while, s);
    yield_until_at_least(&s->nreaders_inside, 2); /* two readers at once */
    rt_join_handle *w = rt_spawn(write_once, s);
    /* Once the writer waits, a newcomer reader must queue behind it (no writer starvation):
     * try until the writer has queued (at once on one worker; soon on several). */
    bool is_blocked = false;
    for (int i = 0; i < 100000 && !is_blocked; i++) {
        is_blocked = !rt_rwlock_try_read(s->lock);
        if (!is_blocked) {
            rt_rwlock_read_unlock(s->lock);
            rt_yield();
        }
    }
    SL_CHECK(is_blocked, "readers kept overtaking a waiting writer");
    atomic_store(&s->is_checked, 1);
    rt_join(r1, NULL, NULL);
    rt_join(r2, NULL, NULL);
    rt_join(w, NULL, NULL);
    SL_CHECK(atomic_load(&s->has_writer_run), "the writer never ran");
    SL_CHECK(rt_rwlock_try_write(s->lock), "the rwlock is not free at the end");
    rt_rwlock_write_unlock(s->lock);
    return NULL;
}

static void test_rwlock_readers_share_writer_excludes(void)
{
    for (int i = 0; i < NWORKER_COUNTS; i++) {
        struct rw_state *s = calloc(1, sizeof *s);
        s->lock = rt_rwlock_new("subscriptions");
        run_main(worker_counts[i], readers_then_writer, s);
        SL_CHECK(atomic_load(&s->max_readers) == 2,
                 "%d workers: %d readers were inside at once, "
                 "expected 2",
                 worker_counts[i], atomic_load(&s->max_readers));
        rt_rwlock_free(s->lock);
        free(s);
    }
}

/* ------------------------------------------------------------ notify */

struct notify_state {
    rt_notify *notify;
    _Atomic int nwaiting, nwoken;
    int rc;
};

static void *wait_for_notify(void *arg)
{
    struct notify_state *s = arg;
    atomic_fetch_add(&s->nwaiting, 1);
    int rc = rt_notify_wait(s->notify);
    if (rc == 0)
        atomic_fetch_add(&s->nwoken, 1);
    else
        s->rc = rc;
    return NULL;
}

static void *notify_patterns(void *arg)
{
    struct notify_state *s = arg;
    /* A permit stored while nobody waits: the next wait returns at once (once). */
    rt_notify_one(s->notify);
    rt_notify_one(s->notify);
    SL_CHECK(rt_notify_wait(s->notify) == 0, "wait did not take the stored permit");

    rt_join_handle *tasks[3];
    for (int i = 0; i < 3; i++)
        tasks[i] = rt_spawn(wait_for_notify, s);
    yield_until_at_least(&s->nwaiting, 3);
    yield_times(5);
    SL_CHECK(atomic_load(&s->nwoken) == 0, "a waiter woke from a second permit: only one is "
                                           "ever stored");
    rt_notify_one(s->notify);
    yield_until_at_least(&s->nwoken, 1);
    yield_times(5);
    SL_CHECK(atomic_load(&s->nwoken) == 1, "notify_one woke %d waiters", atomic_load(&s->nwoken));
    rt_notify_all(s->notify);
    for (int i = 0; i < 3; i++)
        rt_join(tasks[i], NULL, NULL);
    SL_CHECK(atomic_load(&s->nwoken) == 3, "notify_all left waiters asleep");

    /* notify_all stores no permit: a later waiter waits (we abort it). */
    rt_join_handle *late = rt_spawn(wait_for_notify, s);
    yield_until_at_least(&s->nwaiting, 4);
    yield_times(5);
    rt_abort(late);
    rt_join(late, NULL, NULL);
    SL_CHECK(s->rc == RT_ECANCELED,
             "a waiter after notify_all got %s, expected to wait "
             "until cancelled",
             rt_strerror(s->rc));
    return NULL;
}

/* One worker, for the same reason as above (the stress suite covers several). */
static void test_notify_one_all_and_permit(void)
{
    struct notify_state *s = calloc(1, sizeof *s);
    s->notify = rt_notify_new("changed");
    run_main(1, notify_patterns, s);
    rt_notify_free(s->notify);
    free(s);
}

const sl_test sync_lock_tests[] = {
    SL_TEST(test_mutex_excludes_across_yields, 2, "chapters/03-shared-state.md#task-aware-locks"),
    SL_TEST(test_mutex_is_fifo_fair, 1, "chapters/03-shared-state.md#task-aware-locks"),
    SL_TEST(test_mutex_lock_cancelled, 1, "chapters/03-shared-state.md#task-aware-locks"),
    SL_TEST(test_semaphore_never_more_than_n, 2, "chapters/05-channels.md#limiting-connections"),
    SL_TEST(test_semaphore_acquire_many_in_order, 1, NULL),
    SL_TEST(test_semaphore_cancelled_head_lets_others_through, 1, NULL),
    SL_TEST(test_semaphore_close_fails_waiters, 1, NULL),
    SL_TEST(test_rwlock_readers_share_writer_excludes, 1, "chapters/06-bot.md#read-mostly-state"),
    SL_TEST(test_notify_one_all_and_permit, 1, "chapters/05-channels.md#notify"),
    SL_TEST_END,
};
