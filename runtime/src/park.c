/*
 * park.c - park and wake: one small state machine per task.
 *
 * Chapter: chapters/appendix-runtime.md#park-and-wake
 *
 * Every task has a park word: an epoch (which wait this is, counting up) and a status.
 *
 *                  rt_park_prepare            worker, after the switch (step 5)
 *        IDLE(e) ----------------> PREPARED(e+1) -------------------------> PARKED(e+1)
 *          ^                           |                                        |
 *          |                   rt_wake | rt_abort                 rt_wake | rt_abort
 *          |                           v                                        v
 *          +---------- rt_park ---- WOKEN(e+1) <----------------------------- + (and the
 *               returns (same epoch:    (rt_park does not sleep)          task is queued)
 *               old wakers now do nothing)
 *
 * The two rules that make it correct:
 *   1. A waker acts only if the word still carries *its* epoch, and only one CAS can move
 *      PREPARED or PARKED to WOKEN: so of a wake and an abort (or two clones), exactly one
 *      wins, and a waker kept past its wait never wakes a later one.
 *   2. PARKED is set by the worker *after* the task's registers are saved (scheduler step
 *      5), never by the task itself. If the task said "parked" while still running on its
 *      stack, a waker on another thread could queue it, and a second worker could resume it
 *      on the same stack at the same time. (xv6 holds p->lock across swtch for this reason;
 *      Go sets a goroutine's waiting status on the scheduler's stack for the same reason.)
 * A wake that lands between prepare and the switch finds PREPARED and turns it into WOKEN;
 * rt_park (or step 5) sees WOKEN and does not sleep: no wake is lost.
 *
 * A deadline is a wake on a timer: when the task has one (rt_deadline_set), rt_park gives
 * a second waker of the same wait to a timer (clock.c), and whichever fires first ends the
 * park. Afterwards rt_park disarms the timer; if it could not (it had fired), the park
 * timed out. So every blocking call built on rt_park honours deadlines without a line of
 * its own, exactly as it honours aborts.
 *
 * An abort is a wake plus a flag, and must not be lost either: rt_abort sets is_cancelled,
 * then reads the park word; the task, in rt_park_prepare, publishes PREPARED, then, in
 * rt_park, reads is_cancelled before it switches. All four are seq_cst, so at least one side
 * sees the other (Dekker's argument): either the abort finds PREPARED or PARKED and wakes
 * the task, or the task finds the flag and does not sleep at all.
 *
 * Why the task does this, and not step 5 after it has set PARKED: from the instant the word
 * says PARKED, a waker on another thread may queue the task, another worker may run it to
 * its end, and its joiner may free it - step 5 must not touch the task after that
 * compare-and-swap. (It once read is_cancelled there; ThreadSanitizer caught the read of
 * freed memory under the channel stress tests.)
 */
#include "internal.h"
#include "trace.h"

static uint64_t park_word(uint64_t epoch, unsigned status)
{
    return epoch << 2 | status;
}
static uint64_t word_epoch(uint64_t word)
{
    return word >> 2;
}
static unsigned word_status(uint64_t word)
{
    return (unsigned)(word & 3);
}

const char *rt_park_reason_name(rt_park_reason reason)
{
    static const char *const names[] = {"yield", "join", "lock",  "channel", "send",
                                        "recv",  "io",   "timer", "other"};
    return (unsigned)reason < sizeof names / sizeof names[0] ? names[reason] : "?";
}

rt_waker rt_park_prepare(void)
{
    struct rt_task *t = task_current();
    RT_ASSERT(t, "rt_park_prepare called outside a task");
    uint64_t word = atomic_load_explicit(&t->park_word, memory_order_relaxed);
    RT_ASSERT(word_status(word) == PARK_IDLE,
              "task '%s' prepared a second wait before parking on the first", t->name);
    uint64_t epoch = word_epoch(word) + 1;
    task_retain(t); /* the waker's reference */
    /* seq_cst: one half of the abort handshake (see the top of this file). Nobody else
     * writes the word while it is IDLE (old wakers only read it, see an old epoch, and do
     * nothing), so a store is enough; it is the ordering that matters. */
    atomic_store_explicit(&t->park_word, park_word(epoch, PARK_PREPARED), memory_order_seq_cst);
    return (rt_waker){.task = t, .epoch = epoch};
}

/* Switches to the scheduler until a waker (or an abort) ends the wait. */
static void park_switch(struct worker *w, struct rt_task *t, rt_park_reason reason,
                        const void *object)
{
    /* Already aborted: do not sleep. seq_cst: the other half of the abort handshake. */
    if (atomic_load_explicit(&t->is_cancelled, memory_order_seq_cst))
        return;
    t->park_reason = reason;
    t->wait_object = object;
    t->request = SWITCH_PARK;
    task_switch_to_scheduler(w, t); /* returns once woken; maybe on another worker */
}

/* The task has a deadline (rt_time.h): a timer holds a second waker of this wait, so the
 * park ends at the deadline at the latest. 0, RT_ETIMEDOUT, or -ENOMEM. */
static int park_until_deadline(struct worker *w, struct rt_task *t, uint64_t epoch,
                               rt_park_reason reason, const void *object)
{
    if (t->deadline_ns <= clock_now(t->rt))
        return RT_ETIMEDOUT;     /* passed already: the wait ends before it began */
    struct timer_entry deadline; /* on our stack: we return only once it is disarmed */
    int rc = deadline_arm(t, &deadline, epoch);
    if (rc < 0)
        return rc;
    park_switch(w, t, reason, object);
    if (timer_disarm(t->rt, &deadline)) {
        rt_waker_drop(deadline.waker); /* woken before the deadline */
        return 0;
    }
    return RT_ETIMEDOUT; /* the timer fired (perhaps together with the object's waker) */
}

int rt_park(rt_park_reason reason, const void *object)
{
    struct worker *w = sched_current_worker();
    struct rt_task *t = w ? w->current : NULL;
    RT_ASSERT(t, "rt_park called outside a task");
    check_no_blocking_lock_held(t, "rt_park");
    uint64_t word = atomic_load_explicit(&t->park_word, memory_order_acquire);
    RT_ASSERT(word_status(word) == PARK_PREPARED || word_status(word) == PARK_WOKEN,
              "task '%s' called rt_park without rt_park_prepare", t->name);
    uint64_t epoch = word_epoch(word);
    int rc = 0;
    if (word_status(word) == PARK_PREPARED) { /* not woken yet: sleep */
        if (t->deadline_ns != 0)
            rc = park_until_deadline(w, t, epoch, reason, object);
        else
            park_switch(w, t, reason, object);
    }
    /* The wait is over: its wakers (same epoch) now find IDLE and do nothing. */
    atomic_store_explicit(&t->park_word, park_word(epoch, PARK_IDLE), memory_order_release);
    return atomic_load_explicit(&t->is_cancelled, memory_order_acquire) ? RT_ECANCELED : rc;
}

void park_finish_in_scheduler(struct rt_task *t)
{
    uint64_t word = atomic_load_explicit(&t->park_word, memory_order_relaxed);
    uint64_t parked = park_word(word_epoch(word), PARK_PARKED);
    if (word_status(word) == PARK_PREPARED &&
        atomic_compare_exchange_strong_explicit(&t->park_word, &word, parked, memory_order_acq_rel,
                                                memory_order_acquire)) {
        /* Parked: from now on only a waker (or an abort) queues it, and t may already be
         * running elsewhere, or even be freed: do not touch it again. */
        return;
    }
    /* Woken between its prepare and this point: it does not sleep. */
    RT_ASSERT(word_status(word) == PARK_WOKEN, "park word of task '%s' is corrupt", t->name);
    sched_make_runnable(t, false);
}

/* Moves the task's wait `epoch` to WOKEN if it is still in it; queues it if it slept. */
/* cause: what to call this wake in a trace ("timer", "io"); NULL: tell from the wait. */
static void wake_epoch(struct rt_task *t, uint64_t epoch, const char *cause)
{
    uint64_t word = atomic_load_explicit(&t->park_word, memory_order_acquire);
    for (;;) {
        unsigned status = word_status(word);
        if (word_epoch(word) != epoch || (status != PARK_PREPARED && status != PARK_PARKED))
            return; /* that wait is over, or someone else already woke it */
        if (atomic_compare_exchange_weak_explicit(&t->park_word, &word,
                                                  park_word(epoch, PARK_WOKEN),
                                                  memory_order_acq_rel, memory_order_acquire)) {
            if (status == PARK_PARKED) {
                trace_wake(t, cause);
                sched_make_runnable(t, false);
            }
            return;
        }
    }
}

void rt_wake(rt_waker waker)
{
    RT_ASSERT(waker.task, "rt_wake of an empty waker");
    wake_epoch(waker.task, waker.epoch, NULL);
    task_release(waker.task);
}

void park_wake_because(rt_waker waker, const char *cause)
{
    RT_ASSERT(waker.task, "park_wake_because of an empty waker");
    wake_epoch(waker.task, waker.epoch, cause);
    task_release(waker.task);
}

void rt_waker_drop(rt_waker waker)
{
    RT_ASSERT(waker.task, "rt_waker_drop of an empty waker");
    task_release(waker.task);
}

rt_waker rt_waker_clone(rt_waker waker)
{
    RT_ASSERT(waker.task, "rt_waker_clone of an empty waker");
    task_retain(waker.task);
    return waker;
}

void park_interrupt(struct rt_task *t)
{
    /* seq_cst: the abort handshake, see the top of this file. */
    uint64_t word = atomic_load_explicit(&t->park_word, memory_order_seq_cst);
    wake_epoch(t, word_epoch(word), NULL);
}
