/*
 * internal.h - what the runtime's files share (not API).
 *
 * Chapter: chapters/appendix-runtime.md
 *
 * Map of runtime/src (one concept per file):
 *   fiber.c          a context switch plus the sanitizers' and Valgrind's fiber bookkeeping
 *   stack.c          task stacks: pooled mmap slabs, guard pages, per-worker caches
 *   run_queue.c      a worker's bounded run queue (steal half) and the global injection queue
 *   scheduler.c      the worker loop, idle workers, where runnable tasks go
 *   task.c           spawn, join, detach, abort, yield, panic, a task's birth and death
 *   park.c           park and wake: the task's wait state machine
 *   runtime.c        runtime creation, rt_block_on, RT_MAIN, shutdown
 *   blocking_pool.c  rt_spawn_blocking's threads
 *   checks.c         the checks that stand in for Rust's compiler, and their messages
 *   blocking_mutex.c the thread-blocking mutex
 *   clock.c          the runtime's clock (real or virtual), timers, sleeps, deadlines
 *   timer_heap.c     the pending timers, a binary min-heap
 *   reactor.c        the I/O driver: where an idle worker sleeps (epoll), socket readiness
 *   poller_epoll.c   the only file that knows epoll
 *   tcp.c            non-blocking TCP on the reactor (rt_net.h)
 *   trace.h          where every scheduling event happens (hooks for tracing)
 *
 * Ownership rule of thumb: a field is either fixed after creation, owned by one thread
 * (said in a comment), guarded by a named lock, or atomic. Structs group fields that way.
 */
#ifndef SPAWNLAB_RT_INTERNAL_H
#define SPAWNLAB_RT_INTERNAL_H

#include "rt.h"
#include "rt_context_impl.h"
#include "rt_park.h"
#include "poller.h"
#include "timer_heap.h"
#include "tracer.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct worker;
struct io_source;

/* ------------------------------------------------------------ always-on assertions */

/* Like assert(), but never compiled out (NDEBUG does not touch it): a broken invariant in
 * a scheduler is a bug we want to see at once, not as corrupted memory later. */
#define RT_ASSERT(cond, ...)                                                                       \
    do {                                                                                           \
        if (__builtin_expect(!(cond), 0))                                                          \
            rt_assert_failed(__FILE__, __LINE__, #cond, __VA_ARGS__);                              \
    } while (0)
_Noreturn void rt_assert_failed(const char *file, int line, const char *cond, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Which sanitizer this file is compiled for (gcc and clang spell it differently). */
#if defined(__SANITIZE_ADDRESS__)
#define RT_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define RT_ASAN 1
#endif
#endif
#if defined(__SANITIZE_THREAD__)
#define RT_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define RT_TSAN 1
#endif
#endif
#ifndef RT_ASAN
#define RT_ASAN 0
#endif
#ifndef RT_TSAN
#define RT_TSAN 0
#endif

/* ------------------------------------------------------------ fibers (fiber.c) */

/* A context plus what sanitizers need to know about the stack it runs on. A task has
 * one; each worker has one for its own thread stack (where the scheduler loop runs). */
struct fiber {
    struct rt_context context;
    const void *stack_low; /* lowest address of the stack (ASan wants it) */
    size_t stack_size;
    void *tsan_fiber; /* ThreadSanitizer's handle, in SAN=thread builds */
};

/* Switches from the running fiber to `to`. is_exiting: `from` never runs again (its
 * sanitizer state can be dropped). Returns when something switches back into `from`. */
void fiber_switch(struct fiber *from, struct fiber *to, bool is_exiting);
/* The first thing a fresh fiber does (finishes the switch that started it). */
void fiber_started(void);
/* Sets up a task fiber on [stack_low, +size) that will call entry(arg) / tears it down. */
void fiber_make(struct fiber *f, void *stack_low, size_t size, void (*entry)(void *), void *arg);
void fiber_destroy(struct fiber *f);
/* The calling thread's own stack as a fiber (for the scheduler loop). */
void fiber_init_for_thread(struct fiber *f);

/* ------------------------------------------------------------ stacks (stack.c) */

struct stack_slab;
struct free_stack;

struct stack {
    char *low; /* lowest usable byte; the guard region lies just below */
    size_t size;
    struct stack_slab *slab; /* the mapping it was carved from */
    int slot;                /* its index there */
};

/* Free stacks a worker keeps for itself, so spawn and exit take no lock. */
enum { STACK_CACHE_CAPACITY = 64 };
struct stack_cache {
    int count;
    char *lows[STACK_CACHE_CAPACITY];
    struct stack_slab *slabs[STACK_CACHE_CAPACITY];
    int slots[STACK_CACHE_CAPACITY];
};

struct stack_pool {
    size_t stack_size; /* the runtime's default size: the only size the pool recycles */
    pthread_mutex_t mutex;
    /* guarded by mutex */
    struct stack_slab *slabs;     /* every mapping, for the shutdown check's walk */
    struct stack_slab *carving;   /* the newest default-size slab, with uncarved slots */
    struct free_stack *free_list; /* free default-size stacks beyond the workers' caches */
};

enum { STACK_GUARD_SIZE = 16 * 1024 };

int stack_pool_init(struct stack_pool *pool, size_t stack_size);
void stack_pool_destroy(struct stack_pool *pool);
/* Gets a stack of `size` bytes for `owner` (cache may be NULL off the workers). 0 or -ENOMEM. */
int stack_alloc(struct stack_pool *pool, struct stack_cache *cache, size_t size,
                struct rt_task *owner, struct stack *out);
void stack_free(struct stack_pool *pool, struct stack_cache *cache, struct stack *stack);
/* Calls fn for every task that owns a stack (= every task alive). Workers must be stopped. */
void stack_pool_for_each_owner(struct stack_pool *pool, void (*fn)(struct rt_task *, void *),
                               void *arg);
/* Does addr lie in the guard region below the stack? (signal-safe) */
bool stack_is_guard_address(const struct stack *stack, uintptr_t addr);
/* Does [addr, addr+1) lie inside the usable stack? */
bool stack_contains(const struct stack *stack, const void *addr);

/* ------------------------------------------------------------ tasks (task.c, park.c) */

enum task_kind {
    TASK_COROUTINE,    /* an ordinary task: own stack, runs on workers */
    TASK_BLOCKING_JOB, /* rt_spawn_blocking work: runs on a pool thread, no stack of its own */
};

/* What a task asks its worker to do once the task's registers are saved (scheduler step 5). */
enum switch_request { SWITCH_YIELD, SWITCH_PARK, SWITCH_EXIT };

enum task_outcome { OUTCOME_RETURNED, OUTCOME_CANCELLED, OUTCOME_PANICKED };

/* join_state: has the task finished, and is someone waiting for that? */
enum { JOIN_RUNNING = 0, JOIN_WAITING = 1, JOIN_COMPLETE = 2 };

/* The park word (park.c): epoch << 2 | status. */
enum { PARK_IDLE = 0, PARK_PREPARED = 1, PARK_PARKED = 2, PARK_WOKEN = 3 };

enum { TASK_NAME_MAX = 32 };

struct rt_task {
    /* ---- fixed at spawn */
    uint64_t id;
    char name[TASK_NAME_MAX];
    rt_task_fn fn;
    void *arg;
    struct rt_runtime *rt;
    enum task_kind kind;
    bool is_block_on_main; /* rt_block_on's task: its end wakes the blocked thread */

    /* ---- owned by whichever thread runs the task (only the task and its worker) */
    struct stack stack;
    struct fiber fiber;
    enum switch_request request;
    rt_park_reason park_reason;
    const void *wait_object;
    int nblocking_locks;            /* rt_blocking_mutex locks held (check: lock across yield) */
    const char *blocking_lock_name; /* the most recent one, for the message */
    bool has_warned_blocking;       /* check "blocking the worker" said so once */
    unsigned select_rotation;       /* rt_select's first arm to try next (select.c) */
    int64_t deadline_ns;            /* 0 = none; blocking calls will honour it (timers, part 2) */

    /* ---- owned by the run queue that holds the task */
    struct rt_task *next;

    /* ---- shared between threads: atomic */
    _Atomic uint64_t park_word; /* park.c's state machine */
    _Atomic bool is_cancelled;
    _Atomic uint32_t refcount; /* the task's life + its handle + each outstanding waker */
    _Atomic int join_state;
    rt_waker join_waker; /* written before join_state becomes JOIN_WAITING */

    /* ---- written by the finishing thread before join_state becomes JOIN_COMPLETE */
    enum task_outcome outcome;
    void *result;
    char *panic_message; /* malloc'd */
};

/* The current task on this thread (NULL outside tasks). */
struct rt_task *task_current(void);
void task_retain(struct rt_task *t);
void task_release(struct rt_task *t);
/* A task has ended (any kind, any thread): publish its outcome and wake its joiner. */
void task_complete(struct rt_task *t, enum task_outcome outcome, void *result);
/* The current coroutine task hands control to its worker's scheduler (request is set).
 * w is the worker it runs on now (sched_current_worker()). */
void task_switch_to_scheduler(struct worker *w, struct rt_task *t);
/* Scheduler step 5 for a park: the task's registers are saved, now it may be woken. */
void park_finish_in_scheduler(struct rt_task *t);
/* rt_wake for the runtime's own wakers, naming the cause for traces: a timer or the
 * reactor ends waits of every kind (a deadline on a lock wait is still a timer). */
void park_wake_because(rt_waker waker, const char *cause);
/* Wakes the task out of whatever wait it is in (rt_abort). */
void park_interrupt(struct rt_task *t);
/* Creates a task (not yet runnable); NULL on failure. may_borrow_stack exempts the
 * 'static check (rt_block_on, and scopes later). */
struct rt_task *task_create(struct rt_runtime *rt, const rt_spawn_options *options,
                            enum task_kind kind, rt_task_fn fn, void *arg, bool may_borrow_stack);
/* rt_scope's spawn (scope.c): exempt from the 'static check, for the scope joins it. */
rt_join_handle *task_spawn_scoped(const rt_spawn_options *options, rt_task_fn fn, void *arg);
const char *task_state_name(const struct rt_task *t);

/* ------------------------------------------------------------ run queues (run_queue.c) */

enum { RUN_QUEUE_CAPACITY = 256 };

/* A worker's bounded queue: the owner pushes at tail and pops at head, other workers
 * steal half from head. Head and tail only grow (indices wrap through % capacity). */
struct run_queue {
    bool has_thieves; /* fixed: false on a one-worker runtime, where nobody steals */
    _Atomic uint32_t head;
    _Atomic uint32_t tail; /* written only by the owner */
    _Atomic(struct rt_task *) slots[RUN_QUEUE_CAPACITY];
};

/* The runtime's global queue, for tasks made runnable off the workers (and overflow). */
struct injection_queue {
    pthread_mutex_t mutex;
    struct rt_task *head, *tail; /* guarded by mutex */
    _Atomic size_t length;       /* written under mutex; read without it as a hint */
};

bool run_queue_push(struct run_queue *q, struct rt_task *t); /* owner; false when full */
struct rt_task *run_queue_pop(struct run_queue *q);          /* owner */
bool run_queue_is_empty(struct run_queue *q);                /* anyone (a hint) */
uint32_t run_queue_length(struct run_queue *q);              /* anyone (a hint) */
/* Moves half of victim's tasks into dst (dst's owner calls); returns how many. */
uint32_t run_queue_steal_half(struct run_queue *victim, struct run_queue *dst);
/* Owner: the queue is full; move half of it plus t to the injection queue. */
void run_queue_overflow(struct run_queue *q, struct injection_queue *inject, struct rt_task *t);

void injection_init(struct injection_queue *q);
void injection_destroy(struct injection_queue *q);
void injection_push(struct injection_queue *q, struct rt_task *t);
void injection_push_batch(struct injection_queue *q, struct rt_task *first, struct rt_task *last,
                          size_t n);
/* Takes one task; also moves up to `max_extra` more into dst (may be NULL). */
struct rt_task *injection_pop(struct injection_queue *q, struct run_queue *dst, uint32_t max_extra);
bool injection_is_empty(struct injection_queue *q);

/* ------------------------------------------------------------ workers (scheduler.c) */

struct worker_stats {
    /* written only by the worker (relaxed atomics so others may read a snapshot) */
    _Atomic uint64_t nspawned, nfinished, nruns, nsteals, nstolen_tasks, nparks;
};

struct worker {
    /* ---- fixed */
    struct rt_runtime *rt;
    int index;
    pthread_t thread;
    bool has_thread;

    /* ---- owned by the worker's thread */
    struct fiber scheduler;    /* the thread's own stack, where the scheduler loop runs */
    struct rt_task *current;   /* the task running now, or NULL */
    struct rt_task *lifo_slot; /* the task to run next (most recently woken or spawned) */
    int lifo_streak;           /* LIFO-slot runs in a row (capped for fairness) */
    uint32_t tick;             /* loop iterations (every 61st checks the global queue) */
    uint32_t random_state;     /* picks the first steal victim */
    bool is_searching;         /* counted in idle.nsearching */
    struct stack_cache stacks;
    void *signal_stack; /* sigaltstack for the stack-overflow check */
    size_t signal_stack_size;
    stack_t previous_signal_stack;

    /* ---- shared */
    struct run_queue queue;
    struct worker_stats stats;

    /* ---- for the "blocking the worker" monitor (checks.c): relaxed atomics */
    _Atomic bool is_in_task;            /* the worker is inside a task's run right now */
    _Atomic uint64_t long_run_index;    /* the monitor's verdict: run number N is too long */
    _Atomic uint64_t long_run_since_ns; /* ... and it was first seen running at this time */

    /* ---- deterministic mode only (scheduler.c "Seeded picks"): owned by the worker */
    struct rt_task **seeded; /* every runnable task, in the order they were gathered */
    size_t nseeded, seeded_capacity;

    /* ---- the idle worker's bed: a condvar, or the poller when it holds the I/O driver */
    pthread_mutex_t park_mutex;
    pthread_cond_t park_cond;
    bool is_notified; /* guarded by park_mutex */
    bool is_polling;  /* guarded by park_mutex: asleep in the poller (unpark interrupts it) */
    bool is_sleeping; /* guarded by rt->idle.mutex: listed in idle.sleepers */
};

/* How an idle worker sleeps and is woken. condvar_driver is a condition variable;
 * reactor_driver (reactor.c, what runtimes use) lets one idle worker at a time sleep in
 * epoll_wait instead, and the others on their condition variables. */
struct driver_ops {
    /* Sleep until unpark (or timeout_ns > 0 elapses, or spuriously). Worker's thread. */
    void (*park)(struct worker *w, int64_t timeout_ns);
    /* Wake a parked (or about to park) worker. Any thread. */
    void (*unpark)(struct worker *w);
};
extern const struct driver_ops condvar_driver;
extern const struct driver_ops reactor_driver;

/* Makes a task runnable: to the current worker's LIFO slot or queue (is_yield: to the back),
 * or to the injection queue from other threads. Never yields. Any thread. */
void sched_make_runnable(struct rt_task *t, bool is_yield);
/* The worker this thread is (NULL off the workers). */
struct worker *sched_current_worker(void);
/* Runs the scheduler loop on the calling thread as w until should_stop(rt) says so
 * (checked between tasks and after every wake-up); deadline_ns > 0 bounds idle sleeps. */
void sched_run_worker(struct worker *w, bool (*should_stop)(struct rt_runtime *),
                      int64_t wake_every_ns);
void *sched_worker_thread(void *arg);
/* Wakes every worker (shutdown, block_on's end). */
void sched_unpark_all(struct rt_runtime *rt);
/* Tasks spawned minus tasks finished, over all workers: never an underestimate. */
int64_t sched_live_tasks(struct rt_runtime *rt);

/* ------------------------------------------------------------ the blocking pool */

struct blocking_pool {
    pthread_mutex_t mutex;
    pthread_cond_t has_work;
    /* guarded by mutex */
    struct rt_task *head, *tail; /* queued jobs */
    int nthreads, nidle, max_threads;
    pthread_t *threads;
    bool is_shutdown;
    /* jobs submitted and not yet finished: while > 0 a virtual clock must not jump ahead
     * (a job is work in progress, even though no worker runs it) */
    _Atomic int nbusy;
};

int blocking_pool_init(struct blocking_pool *pool, int max_threads);
/* Queues a job; -EAGAIN when a thread could not be started and none is idle. */
int blocking_pool_submit(struct rt_runtime *rt, struct rt_task *job);
void blocking_pool_shutdown(struct blocking_pool *pool);
/* Is any job queued or running? Any thread. */
bool blocking_pool_is_busy(struct blocking_pool *pool);
/* Inside blocking-pool work: its job, else NULL. */
struct rt_task *blocking_current_job(void);
_Noreturn void blocking_panic_current(void);

/* ------------------------------------------------------------ the runtime */

struct rt_runtime {
    /* ---- fixed at creation */
    rt_flavor flavor;
    int nworkers;
    struct worker *workers;
    size_t stack_size;
    bool is_checking;
    uint64_t blocking_warn_ns;
    const struct driver_ops *driver;
    uint64_t seed; /* deterministic mode (scheduler.c "Seeded picks") when nonzero */
    void (*run_hook)(uint64_t task_id, void *arg); /* rt_config.run_hook, or NULL */
    void *run_hook_arg;

    /* ---- shared */
    struct injection_queue injection;
    struct stack_pool stacks;
    struct blocking_pool blocking;
    _Atomic uint64_t next_task_id;
    _Atomic uint64_t nspawned_elsewhere; /* tasks spawned off the workers */
    _Atomic bool is_stopping;            /* worker threads: leave the loop */
    _Atomic bool is_closed;              /* no new tasks (after the shutdown drain) */
    _Atomic bool is_shutting_down;       /* new tasks are born cancelled */
    int64_t drain_deadline_ns;           /* owned by rt_runtime_free */

    /* ---- idle workers (see scheduler.c "Idle workers") */
    struct {
        pthread_mutex_t mutex;
        int *sleepers; /* guarded by mutex: indexes of sleeping workers */
        int nsleepers; /* guarded by mutex */
        /* nsleeping << 16 | nsearching, in one word so that one atomic read-modify-write
         * orders both (scheduler.c explains why that matters) */
        _Atomic uint32_t counts;
    } idle;

    /* ---- tracing (trace.h, tracer.c): RT_TRACE=path or rt_trace_start */
    struct tracer tracer;
    uint64_t trace_origin_ns; /* clock_monotonic_ns() when the trace began */
    char trace_path[4096];    /* where the trace will be written */

    /* ---- the checks' monitor thread (checks.c), when is_checking */
    struct {
        pthread_t thread;
        bool has_thread;
        pthread_mutex_t mutex;
        pthread_cond_t stop;
        bool is_stopping; /* guarded by mutex */
    } monitor;

    /* ---- the clock and the timers (clock.c) */
    struct {
        bool is_virtual;                /* fixed */
        _Atomic int64_t virtual_now_ns; /* advanced only by the worker holding the driver */
        pthread_mutex_t mutex;
        struct timer_heap heap;         /* guarded by mutex */
        _Atomic size_t npending;        /* heap.count, written under mutex, read without */
        int64_t driver_sleeps_until_ns; /* guarded by mutex: 0 = nobody sleeps on timers */
    } clock;

    /* ---- the reactor (reactor.c) */
    struct {
        struct poller poller;
        _Atomic bool is_driver_taken; /* one worker at a time polls */
        _Atomic int nsources;         /* descriptors registered now (io_source_open/release) */
        pthread_mutex_t released_mutex;
        struct io_source *released; /* guarded by released_mutex: see reactor.c */
    } reactor;

    /* ---- deterministic mode: owned by the one worker */
    uint64_t random_state;

    /* ---- rt_block_on */
    pthread_mutex_t main_mutex;
    pthread_cond_t main_done;
    _Atomic bool is_main_done; /* written under main_mutex */
};

/* Called when the block_on task has finished (task.c -> runtime.c). */
void runtime_main_finished(struct rt_runtime *rt);

/* ------------------------------------------------------------ checks (checks.c) */

void checks_install_signal_handler(void);
void checks_enter_worker_thread(struct worker *w);
void checks_leave_worker_thread(struct worker *w);
void check_spawn_argument(struct rt_runtime *rt, struct rt_task *spawner, const char *name,
                          uint64_t new_id, const void *arg);
void check_lock_held_across_yield(struct rt_task *t, const char *yield_point);
/* Check (b) at every yield point; the common case is one comparison. */
static inline void check_no_blocking_lock_held(struct rt_task *t, const char *yield_point)
{
    if (__builtin_expect(t->nblocking_locks != 0, 0))
        check_lock_held_across_yield(t, yield_point);
}
/* Check (c): a monitor thread watches the workers' run counters; a run it sees twice,
 * blocking_warn_ns apart, is too long, and the worker reports it when it ends. */
void checks_monitor_start(struct rt_runtime *rt);
void checks_monitor_stop(struct rt_runtime *rt);
/* After a run ended: did the monitor find it too long? (run_index: stats.nruns at its start) */
static inline bool check_run_was_too_long(struct worker *w, uint64_t run_index)
{
    return atomic_load_explicit(&w->long_run_index, memory_order_relaxed) == run_index;
}
void check_ran_too_long(struct worker *w, struct rt_task *t);
void check_list_live_tasks(struct rt_runtime *rt);
bool checks_default_enabled(void);

/* ------------------------------------------------------------ time (clock.c) */

/* A timer that wakes a task: lives on the waiting task's stack while it is armed. */
struct timer_entry {
    struct timer timer;
    rt_waker waker; /* owned by the heap while armed; the firing thread wakes it */
};

void clock_init(struct rt_runtime *rt, bool is_virtual);
void clock_destroy(struct rt_runtime *rt);
/* rt's clock: CLOCK_MONOTONIC, or the virtual time. Any thread. */
int64_t clock_now(struct rt_runtime *rt);
/* Arms e to wake e->waker at deadline_ns; 0 or -ENOMEM. If the worker sleeping in the
 * poller would sleep past it, interrupts it. Any thread. */
int timer_arm(struct rt_runtime *rt, struct timer_entry *e, int64_t deadline_ns);
/* Disarms e. true: it had not fired, and the caller owns e->waker again (drop it);
 * false: it fired (its waker was or is being woken). Any thread. */
bool timer_disarm(struct rt_runtime *rt, struct timer_entry *e);
/* Wakes every timer due at or before now_ns; returns how many. Any thread. */
int timers_fire_due(struct rt_runtime *rt, int64_t now_ns);
/* The driver's sleep (reactor.c): how long it may sleep for the timers (< 0: forever),
 * announced under the timer lock so that timer_arm knows whether to interrupt it. */
int64_t timers_begin_driver_sleep(struct rt_runtime *rt, int64_t now_ns);
void timers_end_driver_sleep(struct rt_runtime *rt);
/* Virtual clock: jumps to the earliest pending timer; false if there is none. The caller
 * holds the driver and has seen every task idle. */
bool clock_advance_to_next_timer(struct rt_runtime *rt);
/* The task's deadline, honoured by rt_park (park.c): arm / disarm its timer. */
int deadline_arm(struct rt_task *t, struct timer_entry *e, uint64_t epoch);

/* ------------------------------------------------------------ the reactor (reactor.c) */

/* One registered descriptor: its readiness memory and the (at most) one reader and one
 * writer waiting on it. Freed only by the driver (reactor.c "Releasing sources"). */
struct io_source {
    int fd;
    struct rt_runtime *rt;
    pthread_mutex_t mutex;
    /* guarded by mutex */
    unsigned readiness; /* POLLER_* edges seen and not yet consumed by a failed attempt */
    bool has_reader, has_writer;
    rt_waker reader, writer;
    /* owned by reactor.released_mutex once released */
    struct io_source *next_released;
};

int reactor_init(struct rt_runtime *rt);
void reactor_destroy(struct rt_runtime *rt);
/* Registers fd (already non-blocking) with rt's poller, into src. 0 or a negative code. */
int io_source_open(struct rt_runtime *rt, struct io_source *src, int fd);
/* Deregisters and hands src to the driver, which frees it (free(src)) when no event can
 * still refer to it. src must be the start of a malloc'd block. Does not close the fd. */
void io_source_release(struct io_source *src);
/* Parks until src shows `interest` (POLLER_READABLE or POLLER_WRITABLE) after the caller's
 * last attempt failed with EAGAIN. 0, RT_ECANCELED, RT_ETIMEDOUT. MAY YIELD. From a task. */
int io_source_wait(struct io_source *src, unsigned interest);
/* Scheduler step 2a: a worker polls without sleeping (if no one else holds the driver). */
void reactor_poll_now(struct worker *w);

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t clock_monotonic_ns(void);

/* Bumps a counter that only one thread writes (others read snapshots). */
static inline void counter_bump(_Atomic uint64_t *counter, uint64_t n)
{
    atomic_store_explicit(counter, atomic_load_explicit(counter, memory_order_relaxed) + n,
                          memory_order_relaxed);
}

#endif
