/*
 * helpers.c - run_main and the gate (see helpers.h).
 */
#include "helpers.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

int run_main(int nworkers, void *(*fn)(void *), void *arg, rt_stats *stats)
{
    rt_config config = {.flavor = nworkers == 1 ? RT_CURRENT_THREAD : RT_MULTI_THREAD,
                        .nworkers = nworkers};
    rt_runtime *rt = rt_runtime_new(&config);
    SL_CHECK_FATAL(rt != NULL, "could not create a runtime with %d workers", nworkers);
    int rc = rt_block_on(rt, fn, arg, NULL);
    /* A detached task may still be finishing on another worker the instant main returns
     * (it did its work, then it ends): the counters are exact only once the runtime is
     * quiet. Give such stragglers a second; a task that never ends still fails. */
    rt_stats s;
    rt_runtime_stats(rt, &s);
    for (int waited_ms = 0; s.nspawned != s.nfinished && waited_ms < 1000; waited_ms++) {
        nanosleep(&(struct timespec){0, 1000000}, NULL);
        rt_runtime_stats(rt, &s);
    }
    SL_CHECK(s.nspawned == s.nfinished,
             "with %d workers: %llu tasks spawned but only %llu finished, 1 s after main "
             "returned",
             nworkers, (unsigned long long)s.nspawned, (unsigned long long)s.nfinished);
    rt_runtime_free(rt);
    if (stats)
        *stats = s;
    return rc;
}

bool is_under_qemu(void)
{
    const char *value = getenv("SPAWNLAB_UNDER_QEMU");
    return value && strcmp(value, "1") == 0;
}

void gate_init(struct gate *g, size_t capacity)
{
    rt_blocking_mutex_init(&g->lock, "gate");
    g->is_open = false;
    g->waiters = calloc(capacity, sizeof *g->waiters);
    g->nwaiters = 0;
    g->capacity = capacity;
    atomic_init(&g->nwaiting, 0);
}

void gate_destroy(struct gate *g)
{
    rt_blocking_mutex_destroy(&g->lock);
    free(g->waiters);
}

/* Takes our waker back out after an abort; false when the opener already took it. */
static bool remove_waiter(struct gate *g, rt_waker w)
{
    for (size_t i = 0; i < g->nwaiters; i++) {
        if (g->waiters[i].task == w.task && g->waiters[i].epoch == w.epoch) {
            g->waiters[i] = g->waiters[--g->nwaiters];
            return true;
        }
    }
    return false;
}

int gate_wait(struct gate *g)
{
    rt_blocking_mutex_lock(&g->lock);
    while (!g->is_open) {
        rt_waker w = rt_park_prepare();
        g->waiters[g->nwaiters++] = w;
        rt_blocking_mutex_unlock(&g->lock); /* never across the park: check (b) */
        atomic_fetch_add(&g->nwaiting, 1);
        int rc = rt_park(RT_PARK_OTHER, g);
        rt_blocking_mutex_lock(&g->lock);
        if (rc != 0) {
            if (remove_waiter(g, w))
                rt_waker_drop(w);
            rt_blocking_mutex_unlock(&g->lock);
            return rc;
        }
    }
    rt_blocking_mutex_unlock(&g->lock);
    return 0;
}

void gate_open(struct gate *g)
{
    rt_blocking_mutex_lock(&g->lock);
    g->is_open = true;
    size_t n = g->nwaiters;
    rt_waker *woken = malloc(n * sizeof *woken + 1);
    memcpy(woken, g->waiters, n * sizeof *woken);
    g->nwaiters = 0;
    rt_blocking_mutex_unlock(&g->lock);
    for (size_t i = 0; i < n; i++) /* wake outside the lock: short critical sections */
        rt_wake(woken[i]);
    free(woken);
}

void gate_await_waiters(struct gate *g, size_t n)
{
    while (atomic_load(&g->nwaiting) < n)
        rt_yield();
}
