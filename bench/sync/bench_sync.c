/*
 * bench_sync.c - what a message and a lock cost, next to a mutex + condvar queue.
 *
 * Chapter: chapters/05-channels.md#what-a-message-costs
 *
 * Prints only `metric<TAB>value<TAB>unit` lines on stdout (tools/bench.sh collects them);
 * each value is the median of RUNS runs.
 *
 *   mpsc_same_worker_ns    one producer, one consumer, one worker (current_thread), per msg
 *   mpsc_cross_worker_ns   the same on two workers, capacity 16 (wake-ups on most batches).
 *                          A woken task goes to the waker's worker (its LIFO slot), so the
 *                          pair does not stay on two workers all the time: this measures
 *                          what a two-worker runtime does, migrations included.
 *   mpsc_4producers_ns     four producers, one consumer, two workers, per message
 *   oneshot_roundtrip_ns   request over mpsc carrying a oneshot, reply on it, one worker
 *   mutex_uncontended_ns   rt_mutex lock + unlock by one task
 *   mutex_contended_ns     four tasks on two workers taking turns, per lock + unlock
 *   pthread_queue_ns       two threads and a bounded mutex + condvar queue, per message
 */
#include "../bench.h"
#include "rt.h"
#include "rt_mpsc.h"
#include "rt_mutex.h"
#include "rt_oneshot.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

enum { RUNS = 5, NMESSAGES = 1000000, NROUNDTRIPS = 200000, NLOCKS = 1000000 };

/* Runs one measurement RUNS times on fresh runtimes; prints the median. */
static void report_median(const char *metric, double (*measure)(int nworkers), int nworkers)
{
    double values[RUNS];
    for (int i = 0; i < RUNS; i++)
        values[i] = measure(nworkers);
    bench_report(metric, bench_median(values, RUNS), "ns");
}

static rt_runtime *runtime_with(int nworkers)
{
    rt_config config = {.flavor = nworkers == 1 ? RT_CURRENT_THREAD : RT_MULTI_THREAD,
                        .nworkers = nworkers};
    rt_runtime *rt = rt_runtime_new(&config);
    if (!rt) {
        fprintf(stderr, "bench: cannot create a runtime\n");
        exit(1);
    }
    return rt;
}

/* Runs fn on a fresh runtime; fn returns its own ns per operation through *result. */
static double run_on(int nworkers, void *(*fn)(void *), void *arg)
{
    rt_runtime *rt = runtime_with(nworkers);
    double ns = 0;
    void *result;
    rt_block_on(rt, fn, arg, &result);
    ns = *(double *)result;
    free(result);
    rt_runtime_free(rt);
    return ns;
}

static double *ns_result(double ns)
{
    double *p = malloc(sizeof *p);
    *p = ns;
    return p;
}

/* ------------------------------------------------------------ mpsc */

struct producer {
    rt_mpsc_sender *tx;
    int count;
};

static void *produce(void *arg)
{
    struct producer *p = arg;
    for (int i = 0; i < p->count; i++)
        rt_mpsc_send(p->tx, &i);
    rt_mpsc_sender_drop(p->tx);
    free(p);
    return NULL;
}

struct mpsc_setup {
    int nproducers;
    size_t capacity;
};

static void *mpsc_pipeline(void *arg)
{
    const struct mpsc_setup *setup = arg;
    rt_mpsc_sender *tx;
    rt_mpsc_receiver *rx;
    rt_channel_config config = {.elem_size = sizeof(int), .capacity = setup->capacity};
    rt_mpsc_new(&config, &tx, &rx);
    int per_producer = NMESSAGES / setup->nproducers;
    rt_join_handle *producers[8];
    double start = bench_now_ns();
    for (int i = 0; i < setup->nproducers; i++) {
        struct producer *p = malloc(sizeof *p);
        *p = (struct producer){rt_mpsc_sender_clone(tx), per_producer};
        producers[i] = rt_spawn(produce, p);
    }
    rt_mpsc_sender_drop(tx);
    int value;
    long n = 0;
    while (rt_mpsc_recv(rx, &value) == 0)
        n++;
    double elapsed = bench_now_ns() - start;
    for (int i = 0; i < setup->nproducers; i++)
        rt_join(producers[i], NULL, NULL);
    rt_mpsc_receiver_drop(rx);
    return ns_result(elapsed / (double)n);
}

static double measure_same_worker(int nworkers)
{
    static const struct mpsc_setup setup = {1, 128};
    return run_on(nworkers, mpsc_pipeline, (void *)&setup);
}

static double measure_cross_worker(int nworkers)
{
    static const struct mpsc_setup setup = {1, 16};
    return run_on(nworkers, mpsc_pipeline, (void *)&setup);
}

static double measure_4producers(int nworkers)
{
    static const struct mpsc_setup setup = {4, 128};
    return run_on(nworkers, mpsc_pipeline, (void *)&setup);
}

/* ------------------------------------------------------------ oneshot round trip */

struct request {
    int question;
    rt_oneshot_sender *reply;
};

static void *answer_requests(void *arg)
{
    rt_mpsc_receiver *rx = arg;
    struct request request;
    while (rt_mpsc_recv(rx, &request) == 0) {
        int answer = request.question + 1;
        rt_oneshot_send(request.reply, &answer);
    }
    rt_mpsc_receiver_drop(rx);
    return NULL;
}

static void *oneshot_roundtrips(void *unused)
{
    (void)unused;
    rt_mpsc_sender *tx;
    rt_mpsc_receiver *rx;
    rt_mpsc_new(&(rt_channel_config){.elem_size = sizeof(struct request), .capacity = 32}, &tx,
                &rx);
    rt_join_handle *server = rt_spawn(answer_requests, rx);
    rt_channel_config reply_config = {.elem_size = sizeof(int)};
    double start = bench_now_ns();
    for (int i = 0; i < NROUNDTRIPS; i++) {
        struct request request = {.question = i};
        rt_oneshot_receiver *reply;
        rt_oneshot_new(&reply_config, &request.reply, &reply);
        rt_mpsc_send(tx, &request);
        int answer;
        rt_oneshot_recv(reply, &answer);
        rt_oneshot_receiver_drop(reply);
    }
    double elapsed = bench_now_ns() - start;
    rt_mpsc_sender_drop(tx);
    rt_join(server, NULL, NULL);
    return ns_result(elapsed / NROUNDTRIPS);
}

static double measure_oneshot(int nworkers)
{
    return run_on(nworkers, oneshot_roundtrips, NULL);
}

/* ------------------------------------------------------------ mutex */

struct lockers {
    rt_mutex *mutex;
    long counter;
    int nlocks;
};

static void *lock_loop(void *arg)
{
    struct lockers *l = arg;
    for (int i = 0; i < l->nlocks; i++) {
        rt_mutex_lock(l->mutex);
        l->counter++;
        rt_mutex_unlock(l->mutex);
    }
    return NULL;
}

static void *mutex_run(void *arg)
{
    int ntasks = *(const int *)arg;
    struct lockers *l = malloc(sizeof *l);
    *l = (struct lockers){.mutex = rt_mutex_new("bench"), .nlocks = NLOCKS / ntasks};
    rt_join_handle *tasks[8];
    double start = bench_now_ns();
    for (int i = 0; i < ntasks; i++)
        tasks[i] = rt_spawn(lock_loop, l);
    for (int i = 0; i < ntasks; i++)
        rt_join(tasks[i], NULL, NULL);
    double elapsed = bench_now_ns() - start;
    rt_mutex_free(l->mutex);
    free(l);
    return ns_result(elapsed / NLOCKS);
}

static double measure_mutex_uncontended(int nworkers)
{
    static const int one = 1;
    return run_on(nworkers, mutex_run, (void *)&one);
}

static double measure_mutex_contended(int nworkers)
{
    static const int four = 4;
    return run_on(nworkers, mutex_run, (void *)&four);
}

/* ------------------------------------------------------------ pthread queue */

enum { QUEUE_CAPACITY = 128 };

struct pthread_queue {
    pthread_mutex_t mutex;
    pthread_cond_t not_empty, not_full;
    int items[QUEUE_CAPACITY];
    int head, count;
    bool is_closed;
};

static void *pthread_producer(void *arg)
{
    struct pthread_queue *q = arg;
    for (int i = 0; i < NMESSAGES; i++) {
        pthread_mutex_lock(&q->mutex);
        while (q->count == QUEUE_CAPACITY)
            pthread_cond_wait(&q->not_full, &q->mutex);
        q->items[(q->head + q->count++) % QUEUE_CAPACITY] = i;
        pthread_cond_signal(&q->not_empty);
        pthread_mutex_unlock(&q->mutex);
    }
    pthread_mutex_lock(&q->mutex);
    q->is_closed = true;
    pthread_cond_signal(&q->not_empty);
    pthread_mutex_unlock(&q->mutex);
    return NULL;
}

static double measure_pthread_queue(int unused)
{
    (void)unused;
    struct pthread_queue *q = calloc(1, sizeof *q);
    pthread_mutex_init(&q->mutex, NULL);
    pthread_cond_init(&q->not_empty, NULL);
    pthread_cond_init(&q->not_full, NULL);
    double start = bench_now_ns();
    pthread_t thread;
    pthread_create(&thread, NULL, pthread_producer, q);
    long n = 0;
    pthread_mutex_lock(&q->mutex);
    for (;;) {
        while (q->count == 0 && !q->is_closed)
            pthread_cond_wait(&q->not_empty, &q->mutex);
        if (q->count == 0)
            break;
        q->head = (q->head + 1) % QUEUE_CAPACITY;
        q->count--;
        n++;
        pthread_cond_signal(&q->not_full);
    }
    pthread_mutex_unlock(&q->mutex);
    pthread_join(thread, NULL);
    double elapsed = bench_now_ns() - start;
    pthread_mutex_destroy(&q->mutex);
    pthread_cond_destroy(&q->not_empty);
    pthread_cond_destroy(&q->not_full);
    free(q);
    return elapsed / (double)n;
}

int main(void)
{
    fprintf(stderr, "bench_sync: %d runs each, medians\n", RUNS);
    report_median("mpsc_same_worker_ns", measure_same_worker, 1);
    report_median("mpsc_cross_worker_ns", measure_cross_worker, 2);
    report_median("mpsc_4producers_ns", measure_4producers, 2);
    report_median("oneshot_roundtrip_ns", measure_oneshot, 1);
    report_median("mutex_uncontended_ns", measure_mutex_uncontended, 1);
    report_median("mutex_contended_ns", measure_mutex_contended, 2);
    report_median("pthread_queue_ns", measure_pthread_queue, 0);
    return 0;
}
