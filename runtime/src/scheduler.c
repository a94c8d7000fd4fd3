/*
 * scheduler.c - the worker loop: which task runs next, where woken tasks go, idle workers.
 *
 * Chapter: chapters/appendix-runtime.md#the-scheduler
 *
 * Each worker is a thread running sched_run_worker. Its algorithm:
 *
 *   1. If the runtime asks us to stop (shutdown, or rt_block_on's main task finished on a
 *      current_thread runtime), return.
 *   2. Find a task (find_task), in this order:
 *        a. every 61st time, poll the reactor without sleeping (ready sockets and due
 *           timers wake their tasks) and look at the global injection queue first -
 *           otherwise a worker whose own queue never empties would starve sockets, timers
 *           and the tasks queued there;
 *        b. the LIFO slot: the task most recently woken or spawned by the task that ran
 *           here last (its data is still in this CPU's cache) - at most 3 times in a row,
 *           or two tasks waking each other would starve our queue;
 *        c. our own run queue, oldest first;
 *        d. the injection queue, taking a batch into our queue;
 *        e. steal half of another worker's queue (at most half the workers search at once).
 *   3. If there is none, sleep until someone makes a task runnable (worker_idle). One
 *      idle worker at a time sleeps in the reactor (epoll: woken by sockets, timers and
 *      unparks, see reactor.c); the others sleep on a condition variable.
 *   4. Switch to the task. It runs until it yields, parks or exits, and switches back.
 *   5. Now that its registers are saved, do what it asked: a yield queues it again at the
 *      back; a park marks it parked, so a waker may queue it from now on; an exit frees its
 *      stack, publishes its result and wakes its joiner. (Done here, on the worker's own
 *      stack, and not by the task: until the switch is over the task is still running on
 *      its stack, and nobody else may resume it.)
 *   6. Check "blocking the worker": did the checks' monitor thread see this run go on
 *      too long without a yield point? (The monitor watches; the worker only asks.)
 *
 * Where a runnable task goes (sched_make_runnable): from a task or the loop of a worker,
 * into that worker's LIFO slot (a yield: the back of its queue); from any other thread, into
 * the injection queue. Then, if some worker sleeps and none is searching, wake one.
 *
 * Deterministic mode (rt_config.seed, one worker) replaces step 2 by a seeded pick among
 * every runnable task (find_task_seeded, "Seeded picks" below); the rest is unchanged.
 *
 * Deliberate simplifications: the LIFO slot cannot be stolen (a task there waits for its
 * worker, like in Tokio); a task that never reaches a yield point at all is never
 * reported by the "blocking the worker" check (it reports when the run ends).
 */
#include "internal.h"
#include "trace.h"

#include <stdlib.h>
#include <time.h>

enum {
    GLOBAL_QUEUE_INTERVAL = 61, /* step 2a: a prime, as in Go and Tokio */
    LIFO_STREAK_MAX = 3,        /* step 2b */
};

/* ------------------------------------------------------------ which worker am I? */

static __thread struct worker *this_thread_worker;

/* noinline, and never cached by callers across a switch: a task that yields may resume on
 * another thread, and a compiler that kept the address of this thread-local variable in a
 * register across the switch would read the old thread's. A call is re-done every time. */
__attribute__((noinline)) struct worker *sched_current_worker(void)
{
    return this_thread_worker;
}

/* ------------------------------------------------------------ idle workers */
/*
 * A worker with nothing to do must sleep (an idle runtime must not burn CPU), and must be
 * woken when work appears - without the producer paying for a wake-up on every push. The
 * rules, after Tokio's:
 *   - a producer that pushed work wakes one sleeping worker, unless some worker is already
 *     *searching* (it will find the work);
 *   - the woken worker counts as searching; when it finds a task it stops searching and, if
 *     it was the last searcher and more work is visible, wakes another;
 *   - no lost wake-ups: a worker going to sleep first counts itself as sleeping, then looks
 *     at every queue once more; a producer first pushes, then reads the counts. Both the
 *     count update and the producer's read are read-modify-writes of the same atomic word
 *     (idle.counts), so one of them comes first in that word's history: if the sleeper's
 *     came first, the producer sees it sleeping and wakes it; if the producer's came first,
 *     the sleeper's update synchronizes with it and its last look sees the pushed work. A
 *     searcher that stops searching does the same dance with its own count.
 *     (A plain load by the producer would not do: the CPU may perform it before the push
 *     becomes visible. A fence would, but ThreadSanitizer cannot check fences.)
 */

enum { SEARCHING_ONE = 1, SLEEPING_ONE = 1 << 16 };

static uint32_t nsearching(uint32_t counts)
{
    return counts & 0xFFFF;
}

static uint32_t nsleeping(uint32_t counts)
{
    return counts >> 16;
}

/* Is there work that any worker could take? (Not LIFO slots: their owners are awake.) */
static bool work_is_visible(struct rt_runtime *rt)
{
    if (!injection_is_empty(&rt->injection))
        return true;
    for (int i = 0; i < rt->nworkers; i++)
        if (!run_queue_is_empty(&rt->workers[i].queue))
            return true;
    return false;
}

static void notify_idle_worker(struct rt_runtime *rt)
{
    /* The producer's read-modify-write that changes nothing: see above. */
    uint32_t counts = atomic_fetch_add(&rt->idle.counts, 0);
    if (nsearching(counts) > 0 || nsleeping(counts) == 0)
        return;
    struct worker *sleeper = NULL;
    pthread_mutex_lock(&rt->idle.mutex);
    if (rt->idle.nsleepers > 0 && nsearching(atomic_load(&rt->idle.counts)) == 0) {
        sleeper = &rt->workers[rt->idle.sleepers[--rt->idle.nsleepers]];
        sleeper->is_sleeping = false;
        /* one sleeper fewer, one searcher more: it wakes up searching */
        atomic_fetch_sub(&rt->idle.counts, SLEEPING_ONE - SEARCHING_ONE);
    }
    pthread_mutex_unlock(&rt->idle.mutex);
    if (sleeper)
        rt->driver->unpark(sleeper);
}

/* A searching worker found a task. */
static void stop_searching(struct worker *w)
{
    w->is_searching = false;
    uint32_t before = atomic_fetch_sub(&w->rt->idle.counts, SEARCHING_ONE);
    if (nsearching(before) == 1 && work_is_visible(w->rt))
        notify_idle_worker(w->rt);
}

/* Step 3: nothing to run. Sleep until woken, a timeout, or should_stop. */
static void worker_idle(struct worker *w, bool (*should_stop)(struct rt_runtime *),
                        int64_t timeout_ns)
{
    struct rt_runtime *rt = w->rt;
    if (w->is_searching) {
        w->is_searching = false;
        /* The last searcher looks once more: a producer may have relied on it. */
        uint32_t before = atomic_fetch_sub(&rt->idle.counts, SEARCHING_ONE);
        if (nsearching(before) == 1 && work_is_visible(rt))
            return;
    }
    pthread_mutex_lock(&rt->idle.mutex);
    rt->idle.sleepers[rt->idle.nsleepers++] = w->index;
    w->is_sleeping = true;
    atomic_fetch_add(&rt->idle.counts, SLEEPING_ONE); /* the sleeper's update: see above */
    pthread_mutex_unlock(&rt->idle.mutex);
    if (!work_is_visible(rt) && !should_stop(rt)) {
        counter_bump(&w->stats.nparks, 1);
        trace_worker_sleep(w);
        rt->driver->park(w, timeout_ns);
        trace_worker_wakeup(w);
    }
    pthread_mutex_lock(&rt->idle.mutex);
    if (w->is_sleeping) { /* nobody woke us (timeout, work seen, stop): unregister */
        for (int i = 0; i < rt->idle.nsleepers; i++) {
            if (rt->idle.sleepers[i] == w->index) {
                rt->idle.sleepers[i] = rt->idle.sleepers[--rt->idle.nsleepers];
                break;
            }
        }
        w->is_sleeping = false;
        atomic_fetch_sub(&rt->idle.counts, SLEEPING_ONE);
    } else {
        w->is_searching = true; /* a producer woke us, and counted us as searching */
    }
    pthread_mutex_unlock(&rt->idle.mutex);
}

void sched_unpark_all(struct rt_runtime *rt)
{
    for (int i = 0; i < rt->nworkers; i++)
        rt->driver->unpark(&rt->workers[i]);
}

/* ------------------------------------------------------------ the condvar driver */

static void condvar_park(struct worker *w, int64_t timeout_ns)
{
    pthread_mutex_lock(&w->park_mutex);
    if (!w->is_notified) {
        if (timeout_ns > 0) {
            struct timespec until;
            clock_gettime(CLOCK_MONOTONIC, &until); /* the condvar uses this clock */
            int64_t ns = until.tv_nsec + timeout_ns;
            until.tv_sec += ns / 1000000000;
            until.tv_nsec = ns % 1000000000;
            pthread_cond_timedwait(&w->park_cond, &w->park_mutex, &until);
        } else {
            pthread_cond_wait(&w->park_cond, &w->park_mutex);
        }
    }
    w->is_notified = false;
    pthread_mutex_unlock(&w->park_mutex);
}

static void condvar_unpark(struct worker *w)
{
    pthread_mutex_lock(&w->park_mutex);
    w->is_notified = true;
    pthread_cond_signal(&w->park_cond);
    pthread_mutex_unlock(&w->park_mutex);
}

const struct driver_ops condvar_driver = {.park = condvar_park, .unpark = condvar_unpark};

/* ------------------------------------------------------------ making tasks runnable */

static void push_local(struct worker *w, struct rt_task *t)
{
    if (!run_queue_push(&w->queue, t))
        run_queue_overflow(&w->queue, &w->rt->injection, t);
}

void sched_make_runnable(struct rt_task *t, bool is_yield)
{
    struct rt_runtime *rt = t->rt;
    struct worker *w = sched_current_worker();
    if (w && w->rt == rt) {
        if (is_yield) {
            push_local(w, t);
        } else {
            if (w->lifo_slot)
                push_local(w, w->lifo_slot);
            w->lifo_slot = t;
        }
        /* Another worker could take work off our queue; with one worker nobody can. */
        if (rt->nworkers > 1)
            notify_idle_worker(rt);
    } else {
        injection_push(&rt->injection, t);
        notify_idle_worker(rt);
    }
}

/* ------------------------------------------------------------ step 2: find a task */

static struct rt_task *steal_work(struct worker *w)
{
    struct rt_runtime *rt = w->rt;
    if (rt->nworkers == 1)
        return NULL;
    if (!w->is_searching) {
        /* More searchers than half the workers would only fight over the same queues. */
        if (2 * (int)nsearching(atomic_load(&rt->idle.counts)) >= rt->nworkers)
            return NULL;
        atomic_fetch_add(&rt->idle.counts, SEARCHING_ONE);
        w->is_searching = true;
    }
    w->random_state = w->random_state * 1103515245u + 12345u;
    int start = (int)((w->random_state >> 16) % (uint32_t)rt->nworkers);
    for (int i = 0; i < rt->nworkers; i++) {
        struct worker *victim = &rt->workers[(start + i) % rt->nworkers];
        if (victim == w)
            continue;
        uint32_t n = run_queue_steal_half(&victim->queue, &w->queue);
        if (n > 0) {
            counter_bump(&w->stats.nsteals, 1);
            counter_bump(&w->stats.nstolen_tasks, n);
            trace_steal(victim, w, n);
            return run_queue_pop(&w->queue);
        }
    }
    /* It may have filled while we looked around. */
    return injection_pop(&rt->injection, &w->queue, RUN_QUEUE_CAPACITY / 2);
}

/* ------------------------------------------------------------ seeded picks */
/*
 * In deterministic mode the one worker gathers every runnable task - its LIFO slot, its
 * queue, the injection queue, in that order - into one array, and runs the one at a
 * position drawn from a PRNG seeded with rt->seed. The draw depends only on the seed and
 * on the order in which tasks became runnable, which depends only on earlier draws (one
 * worker, a virtual clock): so a seed names one interleaving, and replaying it replays the
 * run. Different seeds explore different interleavings, as a test of a race needs.
 * The normal path pays one branch on rt->seed for it.
 */

/* splitmix64: tiny, and every seed (even 1, 2, 3) gives a well-mixed sequence. */
static uint64_t next_random(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15u);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* Appends t to the worker's seeded array; false when it cannot grow. */
static bool seeded_append(struct worker *w, struct rt_task *t)
{
    if (w->nseeded == w->seeded_capacity) {
        size_t capacity = w->seeded_capacity ? 2 * w->seeded_capacity : 64;
        struct rt_task **grown = realloc(w->seeded, capacity * sizeof *grown);
        if (!grown)
            return false;
        w->seeded = grown;
        w->seeded_capacity = capacity;
    }
    w->seeded[w->nseeded++] = t;
    return true;
}

static struct rt_task *find_task_seeded(struct worker *w)
{
    struct rt_runtime *rt = w->rt;
    struct rt_task *t;
    if (++w->tick % GLOBAL_QUEUE_INTERVAL == 0)
        reactor_poll_now(w);
    if ((t = w->lifo_slot)) {
        w->lifo_slot = NULL;
        if (!seeded_append(w, t))
            return t; /* out of memory: run it now - less shuffling, never a lost task */
    }
    while ((t = run_queue_pop(&w->queue)) || (t = injection_pop(&rt->injection, NULL, 0)))
        if (!seeded_append(w, t))
            return t;
    if (w->nseeded == 0)
        return NULL;
    size_t pick = (size_t)(next_random(&rt->random_state) % w->nseeded);
    t = w->seeded[pick];
    w->seeded[pick] = w->seeded[--w->nseeded];
    return t;
}

/* ------------------------------------------------------------ step 2 */

static struct rt_task *find_task(struct worker *w)
{
    struct rt_runtime *rt = w->rt;
    struct rt_task *t;
    if (__builtin_expect(rt->seed != 0, 0))
        return find_task_seeded(w);
    w->tick++;
    /* a. sockets and timers, then fairness for the global queue */
    if (w->tick % GLOBAL_QUEUE_INTERVAL == 0) {
        reactor_poll_now(w);
        if ((t = injection_pop(&rt->injection, NULL, 0)))
            return t;
    }
    /* b. the LIFO slot */
    if (w->lifo_slot) {
        t = w->lifo_slot;
        w->lifo_slot = NULL;
        if (w->lifo_streak < LIFO_STREAK_MAX) {
            w->lifo_streak++;
            return t;
        }
        push_local(w, t); /* streak over: to the back of the queue like everyone else */
    }
    w->lifo_streak = 0;
    /* c. our queue */
    if ((t = run_queue_pop(&w->queue)))
        return t;
    /* d. the global queue: a batch, our fair share of it */
    uint32_t share = (uint32_t)(atomic_load_explicit(&rt->injection.length, memory_order_relaxed) /
                                (size_t)rt->nworkers);
    if (share > RUN_QUEUE_CAPACITY / 2)
        share = RUN_QUEUE_CAPACITY / 2;
    if ((t = injection_pop(&rt->injection, &w->queue, share)))
        return t;
    /* e. steal */
    return steal_work(w);
}

/* ------------------------------------------------------------ steps 4-6: run a task */

static void task_finish_on_worker(struct worker *w, struct rt_task *t)
{
    counter_bump(&w->stats.nfinished, 1);
    fiber_destroy(&t->fiber);
    stack_free(&w->rt->stacks, &w->stacks, &t->stack);
    task_complete(t, t->outcome, t->result);
    task_release(t); /* the task's own reference */
}

static void run_task(struct worker *w, struct rt_task *t)
{
    w->current = t;
    uint64_t run_index = atomic_load_explicit(&w->stats.nruns, memory_order_relaxed) + 1;
    counter_bump(&w->stats.nruns, 1);
    trace_run_start(w, t);
    if (w->rt->run_hook)
        w->rt->run_hook(t->id, w->rt->run_hook_arg);
    /* 4. run it until its next yield point */
    atomic_store_explicit(&w->is_in_task, true, memory_order_relaxed);
    fiber_switch(&w->scheduler, &t->fiber, false);
    atomic_store_explicit(&w->is_in_task, false, memory_order_relaxed);
    trace_run_stop(w, t);
    w->current = NULL;
    /* 6 (before 5, while nobody else can touch t): did the monitor see it block the
     * worker? One relaxed load; the clock is read only when the answer is yes. */
    if (check_run_was_too_long(w, run_index))
        check_ran_too_long(w, t);
    /* 5. what it asked for */
    switch (t->request) {
    case SWITCH_YIELD:
        trace_park(t, RT_PARK_YIELD, NULL);
        sched_make_runnable(t, true);
        break;
    case SWITCH_PARK:
        trace_park(t, t->park_reason, t->wait_object);
        park_finish_in_scheduler(t); /* t may be running elsewhere once this returns */
        break;
    case SWITCH_EXIT:
        task_finish_on_worker(w, t);
        break;
    }
}

/* ------------------------------------------------------------ the loop */

void sched_run_worker(struct worker *w, bool (*should_stop)(struct rt_runtime *),
                      int64_t wake_every_ns)
{
    this_thread_worker = w;
    fiber_init_for_thread(&w->scheduler);
    checks_enter_worker_thread(w);
    for (;;) {
        /* 1 */
        if (should_stop(w->rt))
            break;
        /* 2 */
        struct rt_task *t = find_task(w);
        if (!t) {
            /* 3 */
            worker_idle(w, should_stop, wake_every_ns);
            continue;
        }
        if (w->is_searching)
            stop_searching(w);
        /* 4, 5, 6 */
        run_task(w, t);
    }
    if (w->is_searching) { /* woken as a searcher just as we were told to stop */
        w->is_searching = false;
        atomic_fetch_sub(&w->rt->idle.counts, SEARCHING_ONE);
    }
    checks_leave_worker_thread(w);
    this_thread_worker = NULL;
}

static bool is_stopping(struct rt_runtime *rt)
{
    return atomic_load_explicit(&rt->is_stopping, memory_order_acquire);
}

void *sched_worker_thread(void *arg)
{
    sched_run_worker(arg, is_stopping, 0);
    return NULL;
}

int64_t sched_live_tasks(struct rt_runtime *rt)
{
    /* Finishes first, then spawns: every finish we count had its spawn counted before it,
     * so the difference never underestimates (exact when the other workers are stopped). */
    uint64_t finished = 0, spawned = 0;
    for (int i = 0; i < rt->nworkers; i++)
        finished += atomic_load_explicit(&rt->workers[i].stats.nfinished, memory_order_acquire);
    for (int i = 0; i < rt->nworkers; i++)
        spawned += atomic_load_explicit(&rt->workers[i].stats.nspawned, memory_order_acquire);
    spawned += atomic_load_explicit(&rt->nspawned_elsewhere, memory_order_acquire);
    return (int64_t)(spawned - finished);
}
