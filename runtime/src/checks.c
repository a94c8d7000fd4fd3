/*
 * checks.c - the checks that stand in for Rust's compiler, and their messages.
 *
 * Chapters: each message names its own section; the overview is
 *           chapters/appendix-runtime.md#checks
 *
 * Rust rejects some concurrency mistakes at compile time. C cannot, so the runtime catches
 * the same mistakes while the program runs, and explains them:
 *   (a) the 'static rule: a task's argument points into its spawner's stack   -> stops
 *   (b) a blocking mutex held across a yield point                            -> stops
 *   (c) a task ran too long without a yield point ("blocking the worker")     -> warns
 *   (d) a task overflowed its stack into the guard region                     -> stops
 *   (e) tasks still alive when the runtime shuts down                        -> warns
 * They are on by default and cost a few comparisons; RT_CHECKS=0 in the environment (or
 * rt_config.checks = RT_CHECKS_OFF) turns them off. Each message names the rule, the task
 * (name and id) and the chapter section that explains it.
 */
#include "internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <unistd.h>

bool checks_default_enabled(void)
{
    const char *value = getenv("RT_CHECKS");
    return !(value && strcmp(value, "0") == 0);
}

static const char *task_name_or_thread(const struct rt_task *t)
{
    return t ? t->name : "(a thread outside the runtime)";
}

/* ------------------------------------------------------------ (a) the 'static rule */

/* The calling thread's stack, found once per thread. */
static __thread uintptr_t thread_stack_low, thread_stack_high;

static bool is_on_this_threads_stack(const void *p)
{
    if (!thread_stack_high) {
        pthread_attr_t attr;
        void *low;
        size_t size;
        if (pthread_getattr_np(pthread_self(), &attr) != 0)
            return false;
        pthread_attr_getstack(&attr, &low, &size);
        pthread_attr_destroy(&attr);
        thread_stack_low = (uintptr_t)low;
        thread_stack_high = (uintptr_t)low + size;
    }
    return (uintptr_t)p >= thread_stack_low && (uintptr_t)p < thread_stack_high;
}

void check_spawn_argument(struct rt_runtime *rt, struct rt_task *spawner, const char *name,
                          uint64_t new_id, const void *arg)
{
    (void)rt;
    bool is_borrowed =
        spawner ? stack_contains(&spawner->stack, arg) : is_on_this_threads_stack(arg);
    if (!is_borrowed)
        return;
    fprintf(stderr,
            "spawnlab check failed: the 'static rule: task '%s' (id %llu) was spawned by %s%s%s "
            "(id %llu) with an argument (%p) that points into the spawner's stack.\n"
            "  The spawner may return, or reuse that stack memory, while the new task still "
            "reads it. Give the task memory it owns: allocate it (malloc) in the spawner, hand "
            "it over, and free it in the task - the C analog of a `move` closure.\n"
            "  See chapters/02-spawn.md#the-static-rule\n",
            name, (unsigned long long)new_id, spawner ? "task '" : "", task_name_or_thread(spawner),
            spawner ? "'" : "", (unsigned long long)(spawner ? spawner->id : 0), arg);
    abort();
}

/* ------------------------------------------------------------ (b) lock across a yield */

void check_lock_held_across_yield(struct rt_task *t, const char *yield_point)
{
    if (!t->rt->is_checking)
        return;
    fprintf(stderr,
            "spawnlab check failed: holding a lock across a yield: task '%s' (id %llu) reached "
            "a yield point (%s) while holding the blocking mutex '%s'.\n"
            "  The task may resume on another worker thread, which cannot unlock it; and a task "
            "that wants the lock meanwhile blocks its whole worker (with one worker: deadlock). "
            "Unlock before the yield point - keep the critical section in a function that does "
            "not yield - or use a task-aware mutex.\n"
            "  See chapters/03-shared-state.md#holding-a-lock-across-a-yield\n",
            t->name, (unsigned long long)t->id, yield_point,
            t->blocking_lock_name ? t->blocking_lock_name : "(unnamed)");
    abort();
}

/* ------------------------------------------------------------ (c) blocking the worker */
/*
 * A monitor thread (Go calls its own "sysmon") looks at every worker a few times per
 * threshold. A worker that is inside a task and has not started another run since the
 * monitor looked a threshold ago is running one task for too long: the monitor records
 * which run (its number) and since when. The worker, when that run ends, sees its own run
 * number there and prints the warning with the task's name - only the worker may touch the
 * task, which could otherwise finish and be freed while the monitor reads it.
 *
 * Why not read the clock at every switch instead: that costs the scheduler's hot path a few
 * nanoseconds per run, on every run, to catch a mistake that is rare. The monitor costs a
 * few wake-ups per threshold, and nothing per run but two relaxed stores and one load.
 */

enum { MONITOR_LOOKS_PER_THRESHOLD = 4 };

struct worker_sighting {
    uint64_t run_index; /* stats.nruns when the monitor looked */
    bool was_in_task;
    uint64_t since_ns; /* when the monitor first saw this run */
};

static void look_at_worker(struct worker *w, struct worker_sighting *last, uint64_t now)
{
    uint64_t run_index = atomic_load_explicit(&w->stats.nruns, memory_order_relaxed);
    bool is_in_task = atomic_load_explicit(&w->is_in_task, memory_order_relaxed);
    if (!is_in_task || !last->was_in_task || run_index != last->run_index) {
        /* A new run (or none): it started no later than now. */
        *last = (struct worker_sighting){run_index, is_in_task, now};
        return;
    }
    if (now - last->since_ns >= w->rt->blocking_warn_ns) {
        atomic_store_explicit(&w->long_run_since_ns, last->since_ns, memory_order_relaxed);
        atomic_store_explicit(&w->long_run_index, run_index, memory_order_relaxed);
    }
}

static void *monitor_main(void *arg)
{
    struct rt_runtime *rt = arg;
    struct worker_sighting *last = calloc((size_t)rt->nworkers, sizeof *last);
    uint64_t period_ns = rt->blocking_warn_ns / MONITOR_LOOKS_PER_THRESHOLD;
    pthread_mutex_lock(&rt->monitor.mutex);
    while (last && !rt->monitor.is_stopping) {
        struct timespec until;
        clock_gettime(CLOCK_MONOTONIC, &until);
        uint64_t ns = (uint64_t)until.tv_nsec + period_ns;
        until.tv_sec += (time_t)(ns / 1000000000u);
        until.tv_nsec = (long)(ns % 1000000000u);
        pthread_cond_timedwait(&rt->monitor.stop, &rt->monitor.mutex, &until);
        uint64_t now = clock_monotonic_ns();
        for (int i = 0; i < rt->nworkers; i++)
            look_at_worker(&rt->workers[i], &last[i], now);
    }
    pthread_mutex_unlock(&rt->monitor.mutex);
    free(last);
    return NULL;
}

void checks_monitor_start(struct rt_runtime *rt)
{
    pthread_condattr_t attr;
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&rt->monitor.stop, &attr);
    pthread_condattr_destroy(&attr);
    pthread_mutex_init(&rt->monitor.mutex, NULL);
    rt->monitor.is_stopping = false;
    /* Without the thread the check is off; the runtime works the same. */
    rt->monitor.has_thread = pthread_create(&rt->monitor.thread, NULL, monitor_main, rt) == 0;
}

void checks_monitor_stop(struct rt_runtime *rt)
{
    if (!rt->monitor.has_thread)
        return;
    pthread_mutex_lock(&rt->monitor.mutex);
    rt->monitor.is_stopping = true;
    pthread_cond_signal(&rt->monitor.stop);
    pthread_mutex_unlock(&rt->monitor.mutex);
    pthread_join(rt->monitor.thread, NULL);
    rt->monitor.has_thread = false;
    pthread_cond_destroy(&rt->monitor.stop);
    pthread_mutex_destroy(&rt->monitor.mutex);
}

void check_ran_too_long(struct worker *w, struct rt_task *t)
{
    if (t->has_warned_blocking)
        return; /* once per task is enough to make the point */
    t->has_warned_blocking = true;
    uint64_t since = atomic_load_explicit(&w->long_run_since_ns, memory_order_relaxed);
    uint64_t ran_ns = clock_monotonic_ns() - since;
    fprintf(stderr,
            "spawnlab warning: blocking the worker: task '%s' (id %llu) ran for at least %llu ms "
            "on worker %d without reaching a yield point (the limit is %llu ms).\n"
            "  Meanwhile every other task queued on that worker waited. Move blocking calls and "
            "long computations to rt_spawn_blocking, or call rt_yield() inside long loops.\n"
            "  See chapters/appendix-runtime.md#blocking-the-worker\n",
            t->name, (unsigned long long)t->id, (unsigned long long)(ran_ns / 1000000), w->index,
            (unsigned long long)(w->rt->blocking_warn_ns / 1000000));
}

/* ------------------------------------------------------------ (d) stack overflow */
/*
 * An overflow touches the guard region below the stack, and the kernel sends SIGSEGV. The
 * handler must run on another stack (the task's has no room left: sigaltstack, one per
 * worker thread) and may only use async-signal-safe calls, hence the hand-made formatting
 * and write(2). It recognises an overflow by the faulting address: inside the guard of the
 * task running on this thread. Anything else goes to the handler that was there before us
 * (a sanitizer's, or the default: a plain crash).
 */

static struct sigaction previous_segv_action;
static pthread_once_t handler_once = PTHREAD_ONCE_INIT;

struct signal_message {
    char text[1024];
    size_t length;
};

static void append(struct signal_message *m, const char *s)
{
    while (*s && m->length < sizeof m->text - 1)
        m->text[m->length++] = *s++;
}

static void append_number(struct signal_message *m, uint64_t value)
{
    char digits[24];
    int n = 0;
    do
        digits[n++] = (char)('0' + value % 10);
    while ((value /= 10) != 0);
    while (n > 0 && m->length < sizeof m->text - 1)
        m->text[m->length++] = digits[--n];
}

static void report_overflow(const struct rt_task *t)
{
    struct signal_message m = {.length = 0};
    append(&m, "spawnlab check failed: stack overflow: task '");
    append(&m, t->name);
    append(&m, "' (id ");
    append_number(&m, t->id);
    append(&m, ") used up its ");
    append_number(&m, t->stack.size);
    append(&m, "-byte stack and touched the guard region below it.\n"
               "  Deep recursion or large local arrays do this. Give the task a bigger stack "
               "(rt_spawn_options.stack_size, rt_config.stack_size), move big buffers to the "
               "heap, or turn the recursion into a loop.\n"
               "  See chapters/appendix-runtime.md#task-stacks\n");
    ssize_t ignored = write(STDERR_FILENO, m.text, m.length);
    (void)ignored;
}

static void on_segv(int sig, siginfo_t *info, void *context)
{
    struct worker *w = sched_current_worker();
    struct rt_task *t = w ? w->current : NULL;
    if (t && stack_is_guard_address(&t->stack, (uintptr_t)info->si_addr)) {
        report_overflow(t);
        /* Die of the SIGSEGV as usual: with the default action back, the faulting
         * instruction runs again and the kernel ends the process. */
        signal(SIGSEGV, SIG_DFL);
        return;
    }
    if (previous_segv_action.sa_flags & SA_SIGINFO) {
        previous_segv_action.sa_sigaction(sig, info, context);
    } else if (previous_segv_action.sa_handler == SIG_DFL ||
               previous_segv_action.sa_handler == SIG_IGN) {
        signal(SIGSEGV, SIG_DFL); /* refault, and crash as if we had never been here */
    } else {
        previous_segv_action.sa_handler(sig);
    }
}

static void install_handler_once(void)
{
    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_sigaction = on_segv;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&action.sa_mask);
    sigaction(SIGSEGV, &action, &previous_segv_action);
}

void checks_install_signal_handler(void)
{
    pthread_once(&handler_once, install_handler_once);
}

void checks_enter_worker_thread(struct worker *w)
{
    if (!w->rt->is_checking)
        return;
    w->signal_stack_size = 128 * 1024; /* room for a sanitizer's handler too */
    w->signal_stack = mmap(NULL, w->signal_stack_size, PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (w->signal_stack == MAP_FAILED) {
        w->signal_stack = NULL;
        return; /* overflows are then reported as plain crashes */
    }
    stack_t ss = {.ss_sp = w->signal_stack, .ss_size = w->signal_stack_size, .ss_flags = 0};
    sigaltstack(&ss, &w->previous_signal_stack);
}

void checks_leave_worker_thread(struct worker *w)
{
    if (!w->signal_stack)
        return;
    sigaltstack(&w->previous_signal_stack, NULL);
    munmap(w->signal_stack, w->signal_stack_size);
    w->signal_stack = NULL;
}

/* ------------------------------------------------------------ (e) shutdown */

enum { LIVE_TASKS_LISTED = 20 };

struct live_listing {
    int64_t count;
};

static void list_one(struct rt_task *t, void *arg)
{
    struct live_listing *listing = arg;
    if (listing->count++ >= LIVE_TASKS_LISTED)
        return;
    bool is_parked = strcmp(task_state_name(t), "parked") == 0;
    fprintf(stderr, "    '%s' (id %llu): %s%s%s\n", t->name, (unsigned long long)t->id,
            task_state_name(t), is_parked ? ", waiting on " : "",
            is_parked ? rt_park_reason_name(t->park_reason) : "");
}

void check_list_live_tasks(struct rt_runtime *rt)
{
    fprintf(stderr, "spawnlab warning: shutdown with tasks still alive: these tasks had not "
                    "finished when the runtime shut down:\n");
    struct live_listing listing = {0};
    stack_pool_for_each_owner(&rt->stacks, list_one, &listing);
    if (listing.count > LIVE_TASKS_LISTED)
        fprintf(stderr, "    ... and %lld more\n", (long long)(listing.count - LIVE_TASKS_LISTED));
    fprintf(stderr, "  They are aborted now: their yield points return RT_ECANCELED, and they "
                    "should return. Join every task you spawn before main returns (to stop one, "
                    "rt_abort it, then join it).\n"
                    "  See chapters/appendix-runtime.md#shutdown\n");
}
