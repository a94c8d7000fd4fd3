/*
 * timer_heap.h - the runtime's pending timers: a binary min-heap (not API).
 *
 * Chapter: chapters/appendix-runtime.md#timers
 *
 * A sleeping task keeps its struct timer on its own stack (it cannot return while it
 * sleeps), so the heap only holds pointers: no allocation per timer, only the array of
 * pointers grows. Each timer remembers its index in that array, which is what makes
 * removing a cancelled timer O(log n) instead of a search.
 *
 * Order: earliest deadline first; equal deadlines in insertion order (sequence), so
 * timers that are due together fire in the order they were set, every time.
 *
 * Locking: none here; the owner (the runtime's timer lock) serializes every call.
 */
#ifndef SPAWNLAB_RT_TIMER_HEAP_H
#define SPAWNLAB_RT_TIMER_HEAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TIMER_NOT_PENDING ((size_t)-1)

struct timer {
    uint64_t deadline_ns;
    uint64_t sequence; /* insertion order, the tie-breaker */
    size_t index;      /* where it sits in the heap, or TIMER_NOT_PENDING */
};

struct timer_heap {
    struct timer **items; /* items[0] is the earliest; children of i: 2i+1, 2i+2 */
    size_t count, capacity;
    uint64_t next_sequence;
};

void timer_heap_init(struct timer_heap *heap);
void timer_heap_destroy(struct timer_heap *heap);
/* Adds t, due at deadline_ns. 0, or -ENOMEM. t must not be pending already. */
int timer_heap_insert(struct timer_heap *heap, struct timer *t, uint64_t deadline_ns);
/* Takes t out; false when it was not pending (it fired or was never set). */
bool timer_heap_remove(struct timer_heap *heap, struct timer *t);
/* The earliest pending timer, or NULL. */
struct timer *timer_heap_earliest(const struct timer_heap *heap);
/* Takes out and returns the earliest timer if it is due at or before now_ns, else NULL. */
struct timer *timer_heap_pop_due(struct timer_heap *heap, uint64_t now_ns);
static inline bool timer_is_pending(const struct timer *t)
{
    return t->index != TIMER_NOT_PENDING;
}

#endif
