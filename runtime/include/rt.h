/*
 * rt.h - spawnlab's task runtime: runtimes, tasks, join handles (the C stand-in for Tokio).
 *
 * Chapters: chapters/02-spawn.md (tasks, join handles, the 'static rule),
 *           chapters/appendix-runtime.md (how it all works inside).
 *
 * A task is a function running on its own small stack (a "stackful coroutine", or green
 * thread). A runtime multiplexes many tasks over a few worker threads: a task runs until it
 * reaches a *yield point* (rt_yield, rt_park, rt_join, and every blocking call built on
 * them), and may resume on a different worker afterwards. Tasks are cheap: one control
 * block and a lazily touched stack, so a million can exist at once.
 *
 * Conventions of every runtime header:
 *   - functions return 0 (or a count) on success and a negative errno-style code on failure;
 *   - each contract says whether the function MAY YIELD (the calling task may be suspended
 *     and may resume on another thread: never keep errno or a __thread value across it) and
 *     from which threads it may be called;
 *   - the runtime's own mistakes-detectors ("checks", see rt_config.checks) print a message
 *     naming the rule, the task and the chapter section that explains it.
 *
 * The other runtime headers: rt_park.h (park and wake: what every blocking call is made
 * of), rt_time.h (the clock, sleeps, deadlines), rt_net.h (TCP on the reactor) and
 * rt_blocking_mutex.h (a thread-blocking mutex for short critical sections).
 */
#ifndef SPAWNLAB_RT_H
#define SPAWNLAB_RT_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------ error codes */

/* The task was aborted (rt_abort) before it finished, or the calling task was aborted
 * while it waited. Blocking calls return it once the calling task has been aborted. */
#define RT_ECANCELED (-ECANCELED)
/* The task's deadline passed while it waited (rt_time.h: rt_deadline_set, rt_timeout_begin). */
#define RT_ETIMEDOUT (-ETIMEDOUT)
/* The task panicked (rt_panic): the owner of the result died, hence EOWNERDEAD. */
#define RT_EPANICKED (-EOWNERDEAD)

/* "cancelled", "panicked", ... or strerror's text for other codes. Any thread. */
const char *rt_strerror(int code);

/* ------------------------------------------------------------ runtimes */

typedef struct rt_runtime rt_runtime;

typedef enum rt_flavor {
    RT_MULTI_THREAD = 0, /* N worker threads that steal work from each other (default) */
    RT_CURRENT_THREAD,   /* one worker: the thread that calls rt_block_on */
} rt_flavor;

enum { RT_CHECKS_DEFAULT = 0, RT_CHECKS_ON = 1, RT_CHECKS_OFF = 2 };

typedef enum rt_clock_kind {
    RT_CLOCK_REAL = 0, /* CLOCK_MONOTONIC */
    RT_CLOCK_VIRTUAL,  /* paused time that jumps to the next timer (rt_time.h); forces
                        * current_thread, like tokio::time::pause */
} rt_clock_kind;

/* Options for rt_runtime_new. Zero means "the default" for every field, so
 * `rt_config config = {.flavor = RT_CURRENT_THREAD};` is a complete configuration. */
typedef struct rt_config {
    rt_flavor flavor;
    int nworkers;             /* multi_thread only; 0 = number of online CPUs */
    size_t stack_size;        /* per-task stack; 0 = RT_DEFAULT_STACK_SIZE */
    int max_blocking_threads; /* rt_spawn_blocking's pool; 0 = 64 */
    int checks;               /* RT_CHECKS_DEFAULT: on, unless the environment has RT_CHECKS=0 */
    int blocking_warn_ms;     /* check "blocking the worker": 0 = 100 ms */
    rt_clock_kind clock;      /* RT_CLOCK_REAL (default) or RT_CLOCK_VIRTUAL */
    /* Deterministic mode when nonzero (0: unless the environment has RT_SEED=n): one
     * worker, the virtual clock, and the next task to run is picked among the runnable
     * ones by a PRNG seeded with it. The same seed replays the same interleaving; run a
     * scenario under many seeds to find the one that breaks it. */
    uint64_t seed;
    /* Called on the worker each time it switches into a task (tests observe the order in
     * which tasks ran; people use RT_TRACE). NULL: nothing. */
    void (*run_hook)(uint64_t task_id, void *arg);
    void *run_hook_arg;
} rt_config;

#define RT_DEFAULT_STACK_SIZE ((size_t)256 * 1024)
#define RT_MIN_STACK_SIZE     ((size_t)16 * 1024)

/* Creates a runtime (config may be NULL: all defaults). multi_thread starts its worker
 * threads now; current_thread runs its one worker inside rt_block_on. Returns NULL when
 * memory or threads run out. Never yields. Any thread that is not running a task. */
rt_runtime *rt_runtime_new(const rt_config *config);

/* Shuts the runtime down and frees it: stops the workers, lists tasks still alive (check
 * "shutdown"), aborts them and runs them until they return (at most 1 s), waits for
 * running rt_spawn_blocking work, then frees everything. Join handles you still hold
 * must not be used afterwards. Blocks the calling thread; call it from outside any task. */
void rt_runtime_free(rt_runtime *rt);

/* Runs fn(arg) as the runtime's main task (named "main") and blocks the calling thread
 * until it returns - the analog of Runtime::block_on. arg may point into the caller's
 * stack: block_on does not return before the task does. On return, *result (if not NULL)
 * holds fn's result. Returns 0, RT_EPANICKED or RT_ECANCELED. Other tasks keep running
 * (multi_thread) or wait for the next rt_block_on (current_thread). Call it from outside
 * any task, one rt_block_on per runtime at a time. */
int rt_block_on(rt_runtime *rt, void *(*fn)(void *arg), void *arg, void **result);

/* RT_MAIN(app_main) defines main(): it creates a multi_thread runtime with the defaults,
 * runs `int app_main(int argc, char **argv)` as its main task, shuts the runtime down and
 * exits with app_main's status (101 if it panicked, like a Rust program) - the analog of
 * #[tokio::main]. */
#define RT_MAIN(app_main)                                                                          \
    int main(int argc, char **argv)                                                                \
    {                                                                                              \
        return rt_main(argc, argv, (app_main), NULL);                                              \
    }
int rt_main(int argc, char **argv, int (*app_main)(int argc, char **argv), const rt_config *config);

/* The seed of a deterministic runtime (from rt_config.seed or RT_SEED), 0 otherwise:
 * print it with a failure, so the run can be replayed. Any thread. */
uint64_t rt_runtime_seed(rt_runtime *rt);

/* Counters summed over the workers (for tests, benchmarks and curious students). */
typedef struct rt_stats {
    int nworkers;
    uint64_t nspawned;      /* tasks created (including the main task) */
    uint64_t nfinished;     /* tasks that returned, panicked or were cancelled */
    uint64_t nruns;         /* times a worker switched into a task */
    uint64_t nsteals;       /* successful steals: a worker took half of another's queue */
    uint64_t nstolen_tasks; /* tasks moved by those steals */
    uint64_t nworker_parks; /* times a worker went to sleep for lack of work */
} rt_stats;

/* Fills *stats. The values are a snapshot, exact only when the runtime is quiet.
 * Never yields. Any thread. */
void rt_runtime_stats(rt_runtime *rt, rt_stats *stats);

/* How task stacks are guarded on this machine: "madvise-guard" (MADV_GUARD_INSTALL, no
 * extra kernel mappings) or "mprotect" (one extra mapping per stack, so at most about
 * vm.max_map_count / 2 tasks). Any thread. */
const char *rt_stack_guard_kind(void);

/* ------------------------------------------------------------ tasks */

typedef void *(*rt_task_fn)(void *arg);

/* A join handle: the spawner's reference to a task. Every handle is consumed exactly
 * once, by rt_join or rt_detach (rt_abort does not consume it). */
typedef struct rt_task rt_join_handle;

typedef struct rt_spawn_options {
    const char *name;  /* shown by checks and traces; copied; NULL = "task" */
    size_t stack_size; /* 0 = the runtime's stack size */
} rt_spawn_options;

/* Spawns fn(arg) as a new task of the current runtime and returns its join handle
 * (NULL when memory runs out or the runtime is shutting down). The new task may start
 * running on another worker before rt_spawn returns. arg must not point into the
 * caller's stack (check "the 'static rule"): the spawner may return first.
 * Never yields. From a task, or from a thread running rt_spawn_blocking work. */
rt_join_handle *rt_spawn(rt_task_fn fn, void *arg);
rt_join_handle *rt_spawn_named(const char *name, rt_task_fn fn, void *arg);
rt_join_handle *rt_spawn_with(const rt_spawn_options *options, rt_task_fn fn, void *arg);

/* Same, onto an explicit runtime: for threads outside it (options may be NULL).
 * Never yields. Any thread. */
rt_join_handle *rt_runtime_spawn(rt_runtime *rt, const rt_spawn_options *options, rt_task_fn fn,
                                 void *arg);

/* Runs fn(arg) on the runtime's blocking thread pool instead of a worker - for blocking
 * system calls and CPU-heavy work, which would otherwise stall every task queued on the
 * worker. The handle joins like a task's. rt_abort only prevents a job that has not
 * started yet. Never yields. From a task, or from blocking-pool work. */
rt_join_handle *rt_spawn_blocking(rt_task_fn fn, void *arg);

/* Error details of rt_join. */
typedef struct rt_join_error {
    int code;                /* RT_EPANICKED, RT_ECANCELED or RT_ETIMEDOUT */
    char panic_message[256]; /* RT_EPANICKED: the panic's message (truncated) */
} rt_join_error;

/* Waits for the task to finish and consumes the handle. Returns 0 and stores the task's
 * result in *result (if not NULL); or RT_EPANICKED (error->panic_message says why) or
 * RT_ECANCELED (the task was aborted, or the calling task was aborted while waiting - the
 * handle is then detached). RT_ETIMEDOUT: the calling task's deadline (rt_time.h) passed
 * first; the handle is *not* consumed (join it again, abort it, or detach it). error may
 * be NULL. MAY YIELD. From a task. */
int rt_join(rt_join_handle *handle, void **result, rt_join_error *error);

/* Gives up the handle: the task runs on, and frees itself when it finishes. A detached
 * task that fails must report its own errors. Never yields. Any thread. */
void rt_detach(rt_join_handle *handle);

/* Asks the task to stop. It is told at its next yield point: rt_yield, rt_park and every
 * blocking call built on them return RT_ECANCELED from then on, and a task that had not
 * started yet never runs. Its join then reports RT_ECANCELED (unless it had already
 * finished). The handle must still be joined or detached. Never yields. Any thread. */
void rt_abort(rt_join_handle *handle);

/* The id of the task behind a handle (ids start at 1 and are never reused). Any thread. */
uint64_t rt_handle_id(const rt_join_handle *handle);

/* Lets the other runnable tasks run, then continues: the cure for a long loop that would
 * otherwise block the worker. Returns 0, or RT_ECANCELED if the task has been aborted.
 * MAY YIELD (that is its job). From a task. */
int rt_yield(void);

/* The running task's id and name; 0 and "" outside any task (in rt_spawn_blocking work:
 * the job's). Never yields. Any thread. */
uint64_t rt_task_id(void);
const char *rt_task_name(void);

/* True once the current task has been aborted. Never yields. From a task. */
bool rt_is_cancelled(void);

/* Ends the current task as "panicked" with a printf-style message: the message is printed
 * (with the task's name) and later returned by rt_join; nothing else of the task runs. Like
 * a Rust panic, it unwinds only this task: the rest of the program carries on. C has no
 * destructors, so whatever the task owned (memory, locks, descriptors) is *not* released.
 * Outside any task it prints the message and aborts the process. Does not return. */
_Noreturn void rt_panic(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
