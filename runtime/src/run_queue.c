/*
 * run_queue.c - where runnable tasks wait: per-worker queues and the global injection queue.
 *
 * Chapter: chapters/appendix-runtime.md#run-queues-and-stealing
 *
 * Each worker owns a bounded ring of RUN_QUEUE_CAPACITY task pointers. Only the owner
 * pushes (at tail); the owner pops and the other workers steal (at head). head and tail are
 * free-running 32-bit counters; a task sits in slots[index % capacity]:
 *
 *        head                         tail
 *         v                            v
 *     ... | t5 | t6 | t7 | t8 | t9 |     |  ...     owner pushes here ->
 *         <- consumers (owner pop, thieves steal half) claim from here by CAS on head
 *
 * Why this is safe with one mutex-free writer: the owner writes a slot only when
 * tail - head < capacity, so it never overwrites a slot between head and tail. A consumer
 * reads the task pointer(s) *first* and then claims them with a compare-and-swap on head;
 * if someone else moved head in between, the CAS fails and it retries, throwing away what
 * it read. Nobody ever waits for anybody (the design of Go's and Tokio's run queues).
 * Slots are atomics with relaxed ordering only so that such a discarded read is not a data
 * race in C's eyes; the ordering comes from the release store of tail / the CAS of head.
 *
 * The injection queue is a plain linked list behind a mutex: it is used by threads outside
 * the runtime, for overflow, and for fairness, all rare enough that a lock is fine. Its
 * length is readable without the lock, so that an empty queue costs no lock at all.
 */
#include "internal.h"

#include <stdlib.h>

/* ------------------------------------------------------------ a worker's ring */

bool run_queue_push(struct run_queue *q, struct rt_task *t)
{
    uint32_t head = atomic_load_explicit(&q->head, memory_order_acquire);
    uint32_t tail = atomic_load_explicit(&q->tail, memory_order_relaxed); /* ours */
    if (tail - head >= RUN_QUEUE_CAPACITY)
        return false;
    atomic_store_explicit(&q->slots[tail % RUN_QUEUE_CAPACITY], t, memory_order_relaxed);
    /* release: whoever sees the new tail also sees the slot (and the task's fields) */
    atomic_store_explicit(&q->tail, tail + 1, memory_order_release);
    return true;
}

struct rt_task *run_queue_pop(struct run_queue *q)
{
    if (!q->has_thieves) {
        /* Nobody else ever moves head: no compare-and-swap needed (it costs ~10 ns). */
        uint32_t head = atomic_load_explicit(&q->head, memory_order_relaxed);
        if (head == atomic_load_explicit(&q->tail, memory_order_relaxed))
            return NULL;
        struct rt_task *t =
            atomic_load_explicit(&q->slots[head % RUN_QUEUE_CAPACITY], memory_order_relaxed);
        atomic_store_explicit(&q->head, head + 1, memory_order_release);
        return t;
    }
    for (;;) {
        uint32_t head = atomic_load_explicit(&q->head, memory_order_acquire);
        uint32_t tail = atomic_load_explicit(&q->tail, memory_order_relaxed);
        if (head == tail)
            return NULL;
        struct rt_task *t =
            atomic_load_explicit(&q->slots[head % RUN_QUEUE_CAPACITY], memory_order_relaxed);
        if (atomic_compare_exchange_weak_explicit(&q->head, &head, head + 1, memory_order_acq_rel,
                                                  memory_order_acquire))
            return t;
        /* a thief took it first: look again */
    }
}

uint32_t run_queue_length(struct run_queue *q)
{
    uint32_t head = atomic_load_explicit(&q->head, memory_order_acquire);
    uint32_t tail = atomic_load_explicit(&q->tail, memory_order_acquire);
    return tail - head;
}

bool run_queue_is_empty(struct run_queue *q)
{
    return run_queue_length(q) == 0;
}

/* Claims up to half (rounded up) of q's tasks into batch[]; returns how many. Any thread. */
static uint32_t claim_half(struct run_queue *q, struct rt_task **batch)
{
    for (;;) {
        uint32_t head = atomic_load_explicit(&q->head, memory_order_acquire);
        uint32_t tail = atomic_load_explicit(&q->tail, memory_order_acquire);
        uint32_t n = tail - head;
        n -= n / 2;
        if (n == 0)
            return 0;
        if (n > RUN_QUEUE_CAPACITY / 2)
            continue; /* head and tail read at different moments: inconsistent, retry */
        for (uint32_t i = 0; i < n; i++)
            batch[i] = atomic_load_explicit(&q->slots[(head + i) % RUN_QUEUE_CAPACITY],
                                            memory_order_relaxed);
        if (atomic_compare_exchange_weak_explicit(&q->head, &head, head + n, memory_order_acq_rel,
                                                  memory_order_acquire))
            return n;
    }
}

uint32_t run_queue_steal_half(struct run_queue *victim, struct run_queue *dst)
{
    struct rt_task *batch[RUN_QUEUE_CAPACITY / 2];
    uint32_t n = claim_half(victim, batch);
    /* dst is the thief's own queue, empty when it steals: everything fits. */
    for (uint32_t i = 0; i < n; i++) {
        bool pushed = run_queue_push(dst, batch[i]);
        RT_ASSERT(pushed, "a thief's own run queue was full while it stole");
    }
    return n;
}

void run_queue_overflow(struct run_queue *q, struct injection_queue *inject, struct rt_task *t)
{
    struct rt_task *batch[RUN_QUEUE_CAPACITY / 2 + 1];
    uint32_t n = claim_half(q, batch);
    batch[n++] = t;
    for (uint32_t i = 0; i + 1 < n; i++)
        batch[i]->next = batch[i + 1];
    batch[n - 1]->next = NULL;
    injection_push_batch(inject, batch[0], batch[n - 1], n);
}

/* ------------------------------------------------------------ the injection queue */

void injection_init(struct injection_queue *q)
{
    pthread_mutex_init(&q->mutex, NULL);
    q->head = q->tail = NULL;
    atomic_init(&q->length, 0);
}

void injection_destroy(struct injection_queue *q)
{
    pthread_mutex_destroy(&q->mutex);
}

void injection_push_batch(struct injection_queue *q, struct rt_task *first, struct rt_task *last,
                          size_t n)
{
    last->next = NULL;
    pthread_mutex_lock(&q->mutex);
    if (q->tail)
        q->tail->next = first;
    else
        q->head = first;
    q->tail = last;
    atomic_store_explicit(&q->length, atomic_load_explicit(&q->length, memory_order_relaxed) + n,
                          memory_order_release);
    pthread_mutex_unlock(&q->mutex);
}

void injection_push(struct injection_queue *q, struct rt_task *t)
{
    injection_push_batch(q, t, t, 1);
}

bool injection_is_empty(struct injection_queue *q)
{
    return atomic_load_explicit(&q->length, memory_order_acquire) == 0;
}

struct rt_task *injection_pop(struct injection_queue *q, struct run_queue *dst, uint32_t max_extra)
{
    if (injection_is_empty(q))
        return NULL; /* the common case costs no lock */
    pthread_mutex_lock(&q->mutex);
    struct rt_task *first = q->head;
    size_t taken = 0;
    if (first) {
        q->head = first->next;
        taken = 1;
        /* Take a few more into our own queue while we hold the lock: one lock per batch. */
        while (dst && q->head && taken <= max_extra) {
            /* read next first: once pushed, a thief may take the task and reuse ->next */
            struct rt_task *t = q->head, *next = t->next;
            if (!run_queue_push(dst, t))
                break;
            q->head = next;
            taken++;
        }
        if (!q->head)
            q->tail = NULL;
        atomic_store_explicit(&q->length,
                              atomic_load_explicit(&q->length, memory_order_relaxed) - taken,
                              memory_order_release);
    }
    pthread_mutex_unlock(&q->mutex);
    return first;
}
