/*
 * blocking_pool.c - rt_spawn_blocking: plain threads for work that would block a worker.
 *
 * Chapter: chapters/appendix-runtime.md#spawn-blocking
 *
 * A task that calls a blocking system call (a slow disk read, getaddrinfo) or computes for
 * long stops its whole worker: every task queued there waits. Such work belongs on a
 * thread of its own. The pool starts threads on demand, up to max_threads, and keeps them
 * until the runtime is freed; when all are busy, jobs queue.
 *
 * A job is a struct rt_task without a stack (kind TASK_BLOCKING_JOB), so its join handle,
 * rt_join and rt_abort work as for any task: when the job ends, task_complete wakes the
 * joiner - from this foreign thread, through the injection queue.
 *
 * Deliberate simplifications: idle threads are not retired after a while (Tokio retires
 * them after 10 s); rt_abort cannot stop a job that has started (neither can Tokio).
 */
#include "internal.h"

#include <errno.h>
#include <setjmp.h>
#include <stdlib.h>

static __thread struct rt_task *this_thread_job;
static __thread jmp_buf *this_thread_panic_exit;

struct rt_task *blocking_current_job(void)
{
    return this_thread_job;
}

_Noreturn void blocking_panic_current(void)
{
    /* Back to run_job, abandoning the job's frames, as a task's panic abandons its stack. */
    longjmp(*this_thread_panic_exit, 1);
}

int blocking_pool_init(struct blocking_pool *pool, int max_threads)
{
    pthread_mutex_init(&pool->mutex, NULL);
    pthread_cond_init(&pool->has_work, NULL);
    pool->head = pool->tail = NULL;
    pool->nthreads = pool->nidle = 0;
    pool->max_threads = max_threads;
    pool->is_shutdown = false;
    atomic_init(&pool->nbusy, 0);
    pool->threads = calloc((size_t)max_threads, sizeof *pool->threads);
    return pool->threads ? 0 : -ENOMEM;
}

/* Runs fn; a panic inside (rt_panic) comes back here through longjmp. */
static enum task_outcome run_catching_panic(struct rt_task *job, void **result)
{
    jmp_buf panic_exit;
    this_thread_panic_exit = &panic_exit;
    if (setjmp(panic_exit) != 0)
        return OUTCOME_PANICKED;
    *result = job->fn(job->arg);
    return OUTCOME_RETURNED;
}

static void run_job(struct rt_task *job)
{
    void *result = NULL;
    enum task_outcome outcome = OUTCOME_CANCELLED; /* aborted before it started: skip it */
    if (!atomic_load_explicit(&job->is_cancelled, memory_order_acquire)) {
        this_thread_job = job;
        outcome = run_catching_panic(job, &result);
        this_thread_job = NULL;
    }
    task_complete(job, outcome, result);
    task_release(job); /* the job's own reference */
}

bool blocking_pool_is_busy(struct blocking_pool *pool)
{
    return atomic_load_explicit(&pool->nbusy, memory_order_acquire) > 0;
}

/* A job is over. The last one lets a virtual clock move again: the worker may be asleep
 * in the reactor only because this job was still running (reactor.c). */
static void job_done(struct rt_runtime *rt)
{
    if (atomic_fetch_sub_explicit(&rt->blocking.nbusy, 1, memory_order_acq_rel) == 1 &&
        rt->clock.is_virtual)
        sched_unpark_all(rt);
}

static void *blocking_thread(void *arg)
{
    struct rt_runtime *rt = arg;
    struct blocking_pool *pool = &rt->blocking;
    pthread_mutex_lock(&pool->mutex);
    for (;;) {
        while (!pool->head && !pool->is_shutdown) {
            pool->nidle++;
            pthread_cond_wait(&pool->has_work, &pool->mutex);
            pool->nidle--;
        }
        struct rt_task *job = pool->head;
        if (!job)
            break; /* shut down, and nothing left to do */
        pool->head = job->next;
        if (!pool->head)
            pool->tail = NULL;
        pthread_mutex_unlock(&pool->mutex);
        run_job(job);
        job_done(rt);
        pthread_mutex_lock(&pool->mutex);
    }
    pthread_mutex_unlock(&pool->mutex);
    return NULL;
}

int blocking_pool_submit(struct rt_runtime *rt, struct rt_task *job)
{
    struct blocking_pool *pool = &rt->blocking;
    int rc = 0;
    job->next = NULL;
    pthread_mutex_lock(&pool->mutex);
    if (pool->is_shutdown) {
        rc = -ECANCELED;
        goto unlock;
    }
    if (pool->nidle == 0 && pool->nthreads < pool->max_threads) {
        if (pthread_create(&pool->threads[pool->nthreads], NULL, blocking_thread, rt) == 0)
            pool->nthreads++;
        else if (pool->nthreads == 0) {
            rc = -EAGAIN; /* no thread at all would ever run it */
            goto unlock;
        }
    }
    if (pool->tail)
        pool->tail->next = job;
    else
        pool->head = job;
    pool->tail = job;
    atomic_fetch_add_explicit(&pool->nbusy, 1, memory_order_relaxed);
    pthread_cond_signal(&pool->has_work);
unlock:
    pthread_mutex_unlock(&pool->mutex);
    return rc;
}

void blocking_pool_shutdown(struct blocking_pool *pool)
{
    pthread_mutex_lock(&pool->mutex);
    pool->is_shutdown = true;
    pthread_cond_broadcast(&pool->has_work);
    pthread_mutex_unlock(&pool->mutex);
    /* Threads finish the queued jobs first. Nobody starts threads any more: nthreads is
     * stable once is_shutdown is set. */
    for (int i = 0; i < pool->nthreads; i++)
        pthread_join(pool->threads[i], NULL);
    free(pool->threads);
    pool->threads = NULL;
    pool->nthreads = 0;
    pthread_cond_destroy(&pool->has_work);
    pthread_mutex_destroy(&pool->mutex);
}
