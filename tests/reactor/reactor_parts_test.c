/*
 * reactor_parts_test.c - the runtime's timer heap and poller, tested on their own
 * (they are internal: no runtime is started here).
 */
#include "harness.h"

#include "../../runtime/src/poller.h"
#include "../../runtime/src/timer_heap.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* ------------------------------------------------------------ timer heap */

/* Checks the heap property and that every timer knows its own index. */
static bool heap_is_valid(const struct timer_heap *h)
{
    for (size_t i = 0; i < h->count; i++) {
        const struct timer *t = h->items[i];
        if (t->index != i)
            return false;
        if (i > 0) {
            const struct timer *parent = h->items[(i - 1) / 2];
            if (parent->deadline_ns > t->deadline_ns ||
                (parent->deadline_ns == t->deadline_ns && parent->sequence > t->sequence))
                return false;
        }
    }
    return true;
}

static void test_timer_heap_pops_in_deadline_then_insertion_order(void)
{
    struct timer_heap h;
    timer_heap_init(&h);
    struct timer t[6];
    const uint64_t deadlines[6] = {50, 10, 30, 10, 50, 20};
    for (int i = 0; i < 6; i++)
        SL_CHECK_FATAL(timer_heap_insert(&h, &t[i], deadlines[i]) == 0, "insert failed");
    /* Expected: 10 (t1, set first), 10 (t3), 20 (t5), 30 (t2), 50 (t0), 50 (t4). */
    const int order[6] = {1, 3, 5, 2, 0, 4};
    for (int i = 0; i < 6; i++) {
        struct timer *got = timer_heap_pop_due(&h, 1000);
        SL_CHECK(got == &t[order[i]], "pop %d: expected timer %d, got timer %d", i, order[i],
                 got ? (int)(got - t) : -1);
        SL_CHECK(got && !timer_is_pending(got), "a popped timer must not be pending");
    }
    SL_CHECK(timer_heap_pop_due(&h, 1000) == NULL, "the heap should be empty");
    timer_heap_destroy(&h);
}

static void test_timer_heap_pop_due_respects_now(void)
{
    struct timer_heap h;
    timer_heap_init(&h);
    struct timer a, b;
    timer_heap_insert(&h, &a, 100);
    timer_heap_insert(&h, &b, 200);
    SL_CHECK(timer_heap_pop_due(&h, 99) == NULL, "nothing is due at 99");
    SL_CHECK(timer_heap_pop_due(&h, 100) == &a, "a is due at 100 (deadline inclusive)");
    SL_CHECK(timer_heap_pop_due(&h, 150) == NULL, "b is not due at 150");
    SL_CHECK(timer_heap_earliest(&h) == &b, "b is the earliest left");
    timer_heap_destroy(&h);
}

static void test_timer_heap_remove_anywhere(void)
{
    struct timer_heap h;
    timer_heap_init(&h);
    enum { N = 1000 };
    static struct timer t[N];
    srand(7);
    for (int i = 0; i < N; i++)
        timer_heap_insert(&h, &t[i], (uint64_t)(rand() % 500));
    /* Remove every third timer, then check order and validity. */
    for (int i = 0; i < N; i += 3)
        SL_CHECK(timer_heap_remove(&h, &t[i]), "timer %d should have been pending", i);
    SL_CHECK(!timer_heap_remove(&h, &t[0]), "removing twice must say 'not pending'");
    SL_CHECK(heap_is_valid(&h), "the heap is broken after removals");
    uint64_t last = 0;
    size_t popped = 0;
    for (struct timer *x; (x = timer_heap_pop_due(&h, UINT64_MAX)); popped++) {
        SL_CHECK(x->deadline_ns >= last, "out of order: %lu after %lu",
                 (unsigned long)x->deadline_ns, (unsigned long)last);
        SL_CHECK((x - t) % 3 != 0, "removed timer %d fired", (int)(x - t));
        last = x->deadline_ns;
    }
    SL_CHECK(popped == N - (N + 2) / 3, "expected %d timers, popped %zu", N - (N + 2) / 3, popped);
    timer_heap_destroy(&h);
}

static void test_timer_heap_hundred_thousand(void)
{
    struct timer_heap h;
    timer_heap_init(&h);
    enum { N = 100000 };
    struct timer *t = calloc(N, sizeof *t);
    SL_CHECK_FATAL(t != NULL, "out of memory");
    srand(11);
    for (int i = 0; i < N; i++)
        timer_heap_insert(&h, &t[i], (uint64_t)rand());
    for (int i = 0; i < N; i += 2)
        timer_heap_remove(&h, &t[i]);
    SL_CHECK(h.count == N / 2 && heap_is_valid(&h), "expected %d valid timers, got %zu", N / 2,
             h.count);
    timer_heap_destroy(&h);
    free(t);
}

/* ------------------------------------------------------------ poller */

static void test_poller_reports_readable_once_per_edge(void)
{
    struct poller p;
    SL_CHECK_FATAL(poller_init(&p) == 0, "poller_init failed");
    int sv[2];
    SL_CHECK_FATAL(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == 0, "socketpair");
    int tag;
    SL_CHECK(poller_register(&p, sv[0], &tag) == 0, "register failed");
    struct poller_event ev[4];
    /* A fresh socket is writable: one edge. Then silence until something changes. */
    int n = poller_wait(&p, ev, 4, 0);
    SL_CHECK(n == 1 && ev[0].tag == &tag && (ev[0].readiness & POLLER_WRITABLE) &&
                 !(ev[0].readiness & POLLER_READABLE),
             "expected one 'writable' event, got %d", n);
    SL_CHECK(poller_wait(&p, ev, 4, 0) == 0, "edge-triggered: no second report without change");
    SL_CHECK(write(sv[1], "x", 1) == 1, "write");
    n = poller_wait(&p, ev, 4, 1000000000);
    SL_CHECK(n == 1 && (ev[0].readiness & POLLER_READABLE), "expected 'readable', got %d", n);
    SL_CHECK(poller_wait(&p, ev, 4, 0) == 0, "the same byte must not be announced twice");
    close(sv[1]);
    n = poller_wait(&p, ev, 4, 1000000000);
    SL_CHECK(n == 1 && (ev[0].readiness & POLLER_HANGUP) && (ev[0].readiness & POLLER_READABLE),
             "a closed peer should read as readable + hangup (got %d events)", n);
    close(sv[0]);
    poller_destroy(&p);
}

static void *interrupt_later(void *arg)
{
    usleep(50000);
    poller_interrupt(arg);
    return NULL;
}

static void test_poller_interrupt_wakes_a_wait(void)
{
    struct poller p;
    SL_CHECK_FATAL(poller_init(&p) == 0, "poller_init failed");
    pthread_t thread;
    pthread_create(&thread, NULL, interrupt_later, &p);
    struct poller_event ev[4];
    double start = sl_now();
    int n = poller_wait(&p, ev, 4, -1);
    double waited = sl_now() - start;
    pthread_join(thread, NULL);
    SL_CHECK(n == 0, "an interrupt is not an event; got %d", n);
    SL_CHECK(waited < 5, "the interrupt should end the wait (waited %.1f s)", waited);
    /* Several interrupts before a wait: one wake, then quiet again. */
    poller_interrupt(&p);
    poller_interrupt(&p);
    SL_CHECK(poller_wait(&p, ev, 4, 0) == 0, "interrupt consumed");
    start = sl_now();
    SL_CHECK(poller_wait(&p, ev, 4, 20000000) == 0, "then a plain timeout");
    SL_CHECK(sl_now() - start >= 0.015, "the 20 ms timeout returned after %.3f s",
             sl_now() - start);
    poller_destroy(&p);
}

static const sl_test reactor_tests[] = {
    SL_TEST(test_timer_heap_pops_in_deadline_then_insertion_order, 1, NULL),
    SL_TEST(test_timer_heap_pop_due_respects_now, 1, NULL),
    SL_TEST(test_timer_heap_remove_anywhere, 1, NULL),
    SL_TEST(test_timer_heap_hundred_thousand, 1, NULL),
    SL_TEST(test_poller_reports_readable_once_per_edge, 1, NULL),
    SL_TEST(test_poller_interrupt_wakes_a_wait, 1, NULL),
    SL_TEST_END,
};

static const sl_suite suites[] = {
    {"reactor-parts", reactor_tests, 0},
    SL_SUITE_END,
};

int main(int argc, char **argv)
{
    return sl_main(argc, argv, suites);
}
