/*
 * clock.c - the runtime's clock (real or virtual), its timers, sleeps, deadlines, intervals.
 *
 * Chapters: chapters/appendix-runtime.md#timers, #the-virtual-clock
 *
 * A timer is a struct timer_entry on the stack of the task that waits for it: a place in
 * the runtime's timer heap (timer_heap.c) and the waker to use when it is due. Arming puts
 * it in the heap, disarming takes it out; firing takes it out and wakes the waker. All
 * three happen under clock.mutex, which is what decides the one race that matters: a timer
 * that fires while its task disarms it. Whoever takes it out of the heap owns the waker:
 *
 *     firing thread (timers_fire_due)          waiting task (timer_disarm)
 *     lock; pop e; copy e->waker; unlock       lock; removed = take e out; unlock
 *     rt_wake(copy)  -- never touches e again  removed ? drop the waker : it fired
 *
 * so the entry may vanish with the task's stack as soon as its task returns.
 *
 * Who fires timers: the worker that holds the I/O driver (reactor.c) sleeps in the poller
 * at most until the earliest timer and fires the due ones when it wakes; busy workers also
 * look every 61st scheduling round (scheduler step 2a). A timer set earlier than the one
 * the sleeping driver waits for interrupts that sleep (driver_sleeps_until_ns says when
 * that is; it is read and written under clock.mutex, so no interruption is missed).
 *
 * The virtual clock (rt_config.clock = RT_CLOCK_VIRTUAL) is a number that only the worker
 * holding the driver moves, and only when it finds nothing else to do (reactor.c says
 * exactly when). It requires the current_thread flavor, as tokio::time::pause does: with
 * one worker, "every task is idle" is one thread's observation, not an agreement between
 * threads. Deliberate simplification: threads outside the runtime are not watched - a
 * thread that will call rt_wake later cannot stop the clock from jumping meanwhile.
 *
 * The task's deadline (rt_deadline_set) is honoured by rt_park itself (park.c), through
 * deadline_arm below: every blocking call of the runtime gets timeouts for free.
 */
#include "internal.h"
#include "rt_time.h"

#include <errno.h>

enum { FIRE_BATCH = 64 }; /* wakers collected under the lock, woken after it */

/* ------------------------------------------------------------ the clock */

void clock_init(struct rt_runtime *rt, bool is_virtual)
{
    rt->clock.is_virtual = is_virtual;
    atomic_init(&rt->clock.virtual_now_ns, RT_VIRTUAL_EPOCH_NS);
    pthread_mutex_init(&rt->clock.mutex, NULL);
    timer_heap_init(&rt->clock.heap);
    atomic_init(&rt->clock.npending, 0);
    rt->clock.driver_sleeps_until_ns = 0;
}

void clock_destroy(struct rt_runtime *rt)
{
    /* Tasks that still had timers armed were abandoned by the shutdown: their entries
     * and wakers leak with them. */
    timer_heap_destroy(&rt->clock.heap);
    pthread_mutex_destroy(&rt->clock.mutex);
}

int64_t clock_now(struct rt_runtime *rt)
{
    if (rt->clock.is_virtual)
        return atomic_load_explicit(&rt->clock.virtual_now_ns, memory_order_acquire);
    return (int64_t)clock_monotonic_ns();
}

/* The runtime of the calling task or blocking-pool job, or NULL. */
static struct rt_runtime *current_runtime(void)
{
    struct rt_task *t = task_current();
    if (!t)
        t = blocking_current_job();
    return t ? t->rt : NULL;
}

int64_t rt_now(void)
{
    struct rt_runtime *rt = current_runtime();
    return rt ? clock_now(rt) : (int64_t)clock_monotonic_ns();
}

int64_t rt_runtime_now(rt_runtime *rt)
{
    return clock_now(rt);
}

/* ------------------------------------------------------------ timers */

/* The heap stores uint64_t deadlines; ours are positive int64_t (see rt_time.h). */
int timer_arm(struct rt_runtime *rt, struct timer_entry *e, int64_t deadline_ns)
{
    e->timer.index = TIMER_NOT_PENDING;
    pthread_mutex_lock(&rt->clock.mutex);
    int rc = timer_heap_insert(&rt->clock.heap, &e->timer, (uint64_t)deadline_ns);
    atomic_store_explicit(&rt->clock.npending, rt->clock.heap.count, memory_order_relaxed);
    int64_t sleeps_until = rt->clock.driver_sleeps_until_ns;
    bool must_interrupt = rc == 0 && sleeps_until != 0 && deadline_ns < sleeps_until;
    if (must_interrupt)
        rt->clock.driver_sleeps_until_ns = deadline_ns; /* one interruption is enough */
    pthread_mutex_unlock(&rt->clock.mutex);
    if (must_interrupt)
        poller_interrupt(&rt->reactor.poller);
    return rc;
}

bool timer_disarm(struct rt_runtime *rt, struct timer_entry *e)
{
    pthread_mutex_lock(&rt->clock.mutex);
    bool was_pending = timer_heap_remove(&rt->clock.heap, &e->timer);
    atomic_store_explicit(&rt->clock.npending, rt->clock.heap.count, memory_order_relaxed);
    pthread_mutex_unlock(&rt->clock.mutex);
    return was_pending;
}

int timers_fire_due(struct rt_runtime *rt, int64_t now_ns)
{
    int nfired = 0, n;
    do {
        rt_waker due[FIRE_BATCH];
        n = 0;
        pthread_mutex_lock(&rt->clock.mutex);
        struct timer *t;
        while (n < FIRE_BATCH && (t = timer_heap_pop_due(&rt->clock.heap, (uint64_t)now_ns))) {
            struct timer_entry *e =
                (struct timer_entry *)((char *)t - offsetof(struct timer_entry, timer));
            due[n++] = e->waker; /* after the unlock, e may be gone: copy what we need */
        }
        atomic_store_explicit(&rt->clock.npending, rt->clock.heap.count, memory_order_relaxed);
        pthread_mutex_unlock(&rt->clock.mutex);
        for (int i = 0; i < n; i++)
            park_wake_because(due[i], "timer");
        nfired += n;
    } while (n == FIRE_BATCH);
    return nfired;
}

int64_t timers_begin_driver_sleep(struct rt_runtime *rt, int64_t now_ns)
{
    /* A virtual clock never sleeps on timers: virtual time does not pass by itself. */
    if (rt->clock.is_virtual)
        return -1;
    pthread_mutex_lock(&rt->clock.mutex);
    struct timer *earliest = timer_heap_earliest(&rt->clock.heap);
    int64_t timeout_ns = -1;
    if (earliest) {
        int64_t due = (int64_t)earliest->deadline_ns;
        timeout_ns = due > now_ns ? due - now_ns : 0;
    }
    /* INT64_MAX: "until woken": any timer armed meanwhile is earlier, and interrupts. */
    rt->clock.driver_sleeps_until_ns = timeout_ns < 0 ? INT64_MAX : now_ns + timeout_ns;
    pthread_mutex_unlock(&rt->clock.mutex);
    return timeout_ns;
}

void timers_end_driver_sleep(struct rt_runtime *rt)
{
    pthread_mutex_lock(&rt->clock.mutex);
    rt->clock.driver_sleeps_until_ns = 0;
    pthread_mutex_unlock(&rt->clock.mutex);
}

bool clock_advance_to_next_timer(struct rt_runtime *rt)
{
    pthread_mutex_lock(&rt->clock.mutex);
    struct timer *earliest = timer_heap_earliest(&rt->clock.heap);
    int64_t due = earliest ? (int64_t)earliest->deadline_ns : 0;
    pthread_mutex_unlock(&rt->clock.mutex);
    if (!earliest)
        return false;
    /* Only the driver's holder writes the virtual time: a plain "max" is enough. */
    if (due > atomic_load_explicit(&rt->clock.virtual_now_ns, memory_order_relaxed))
        atomic_store_explicit(&rt->clock.virtual_now_ns, due, memory_order_release);
    return true;
}

/* ------------------------------------------------------------ deadlines */

int deadline_arm(struct rt_task *t, struct timer_entry *e, uint64_t epoch)
{
    /* A second waker for the wait being prepared: whichever of it and the object's waker
     * fires first ends the park, the other finds the wait over and does nothing. */
    task_retain(t);
    e->waker = (rt_waker){.task = t, .epoch = epoch};
    int rc = timer_arm(t->rt, e, t->deadline_ns);
    if (rc < 0)
        rt_waker_drop(e->waker);
    return rc;
}

static struct rt_task *calling_task(const char *function)
{
    struct rt_task *t = task_current();
    RT_ASSERT(t, "%s called outside a task", function);
    return t;
}

int64_t rt_deadline_get(void)
{
    return calling_task("rt_deadline_get")->deadline_ns;
}

int64_t rt_deadline_set(int64_t deadline_ns)
{
    struct rt_task *t = calling_task("rt_deadline_set");
    int64_t previous = t->deadline_ns;
    t->deadline_ns = deadline_ns > 0 ? deadline_ns : 0;
    return previous;
}

int64_t rt_timeout_begin(int64_t timeout_ns)
{
    struct rt_task *t = calling_task("rt_timeout_begin");
    int64_t previous = t->deadline_ns;
    int64_t deadline = clock_now(t->rt) + (timeout_ns > 0 ? timeout_ns : 0);
    if (previous == 0 || deadline < previous)
        t->deadline_ns = deadline;
    return previous;
}

void rt_timeout_end(int64_t saved_deadline)
{
    calling_task("rt_timeout_end")->deadline_ns = saved_deadline;
}

/* ------------------------------------------------------------ sleeping */

int rt_sleep_until(int64_t deadline_ns)
{
    struct rt_task *t = calling_task("rt_sleep_until");
    struct rt_runtime *rt = t->rt; /* fixed for the task's life: safe across the park */
    if (deadline_ns <= clock_now(rt))
        return rt_yield();
    struct timer_entry e;
    e.waker = rt_park_prepare();
    int rc = timer_arm(rt, &e, deadline_ns);
    if (rc < 0) {
        rt_wake(e.waker); /* end the prepared wait: rt_park returns at once */
        rt_park(RT_PARK_TIMER, &e);
        return rc;
    }
    rc = rt_park(RT_PARK_TIMER, &e);
    /* 0: our timer fired (nobody else has its waker). Otherwise take it back out. */
    if (rc != 0 && timer_disarm(rt, &e))
        rt_waker_drop(e.waker);
    return rc;
}

int rt_sleep_ns(int64_t ns)
{
    return rt_sleep_until(rt_now() + (ns > 0 ? ns : 0));
}

int rt_sleep_ms(int64_t ms)
{
    return rt_sleep_ns(ms > 0 ? ms * RT_NS_PER_MS : 0);
}

/* ------------------------------------------------------------ intervals */

void rt_interval_init(rt_interval *interval, int64_t period_ns)
{
    RT_ASSERT(period_ns > 0, "rt_interval_init with a period of %lld ns", (long long)period_ns);
    interval->period_ns = period_ns;
    interval->next_ns = rt_now();
}

int rt_interval_tick(rt_interval *interval)
{
    int rc = rt_sleep_until(interval->next_ns);
    if (rc != 0)
        return rc; /* the tick did not happen: the next call waits for the same one */
    /* Skip: the next tick is the first grid point after now, however late we are. */
    int64_t now = rt_now();
    int64_t next = interval->next_ns + interval->period_ns;
    if (next <= now)
        next += ((now - next) / interval->period_ns + 1) * interval->period_ns;
    interval->next_ns = next;
    return 0;
}
