/*
 * timer_heap.c - a binary min-heap of timers, ordered by (deadline, sequence).
 *
 * Chapter: chapters/appendix-runtime.md#timers
 *
 * Why a heap: the scheduler asks one question often - "when is the next timer due?" - and
 * a heap answers it in O(1), with O(log n) to add or remove. A sorted list would make
 * adding O(n); a hashed timing wheel is faster still for huge counts but harder to read,
 * and 100,000 pending timers cost a heap only 17 comparisons per insert.
 */
#include "timer_heap.h"

#include <errno.h>
#include <stdlib.h>

void timer_heap_init(struct timer_heap *heap)
{
    *heap = (struct timer_heap){0};
}

void timer_heap_destroy(struct timer_heap *heap)
{
    free(heap->items);
    *heap = (struct timer_heap){0};
}

static bool is_earlier(const struct timer *a, const struct timer *b)
{
    if (a->deadline_ns != b->deadline_ns)
        return a->deadline_ns < b->deadline_ns;
    return a->sequence < b->sequence;
}

static void place(struct timer_heap *heap, size_t i, struct timer *t)
{
    heap->items[i] = t;
    t->index = i;
}

/* Moves the timer at i up while it is earlier than its parent. */
static void sift_up(struct timer_heap *heap, size_t i)
{
    struct timer *t = heap->items[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!is_earlier(t, heap->items[parent]))
            break;
        place(heap, i, heap->items[parent]);
        i = parent;
    }
    place(heap, i, t);
}

/* Moves the timer at i down while a child is earlier. */
static void sift_down(struct timer_heap *heap, size_t i)
{
    struct timer *t = heap->items[i];
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= heap->count)
            break;
        if (child + 1 < heap->count && is_earlier(heap->items[child + 1], heap->items[child]))
            child++;
        if (!is_earlier(heap->items[child], t))
            break;
        place(heap, i, heap->items[child]);
        i = child;
    }
    place(heap, i, t);
}

int timer_heap_insert(struct timer_heap *heap, struct timer *t, uint64_t deadline_ns)
{
    if (heap->count == heap->capacity) {
        size_t capacity = heap->capacity ? 2 * heap->capacity : 64;
        struct timer **items = realloc(heap->items, capacity * sizeof *items);
        if (!items)
            return -ENOMEM;
        heap->items = items;
        heap->capacity = capacity;
    }
    t->deadline_ns = deadline_ns;
    t->sequence = heap->next_sequence++;
    place(heap, heap->count++, t);
    sift_up(heap, t->index);
    return 0;
}

bool timer_heap_remove(struct timer_heap *heap, struct timer *t)
{
    if (!timer_is_pending(t))
        return false;
    size_t i = t->index;
    struct timer *last = heap->items[--heap->count];
    t->index = TIMER_NOT_PENDING;
    if (last != t) {
        /* The last timer fills the hole; it may belong above or below it. */
        place(heap, i, last);
        sift_up(heap, i);
        sift_down(heap, last->index);
    }
    return true;
}

struct timer *timer_heap_earliest(const struct timer_heap *heap)
{
    return heap->count ? heap->items[0] : NULL;
}

struct timer *timer_heap_pop_due(struct timer_heap *heap, uint64_t now_ns)
{
    struct timer *t = timer_heap_earliest(heap);
    if (!t || t->deadline_ns > now_ns)
        return NULL;
    timer_heap_remove(heap, t);
    return t;
}
