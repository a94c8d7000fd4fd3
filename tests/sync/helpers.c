/*
 * helpers.c - run_main, seeded yields, skips (see helpers.h).
 */
#include "helpers.h"

#include <stdio.h>

const int worker_counts[NWORKER_COUNTS] = {1, 2, 4};

int run_main_with(const rt_config *config, void *(*fn)(void *), void *arg)
{
    int nworkers = config->flavor == RT_CURRENT_THREAD ? 1 : config->nworkers;
    rt_runtime *rt = rt_runtime_new(config);
    SL_CHECK_FATAL(rt != NULL, "could not create a runtime with %d workers", nworkers);
    int rc = rt_block_on(rt, fn, arg, NULL);
    rt_stats s;
    rt_runtime_stats(rt, &s);
    SL_CHECK(s.nspawned == s.nfinished,
             "with %d workers (seed %llu): %llu tasks spawned but only %llu finished when main "
             "returned",
             nworkers, (unsigned long long)rt_runtime_seed(rt), (unsigned long long)s.nspawned,
             (unsigned long long)s.nfinished);
    rt_runtime_free(rt);
    return rc;
}

int run_main(int nworkers, void *(*fn)(void *), void *arg)
{
    rt_config config = {.flavor = nworkers == 1 ? RT_CURRENT_THREAD : RT_MULTI_THREAD,
                        .nworkers = nworkers};
    return run_main_with(&config, fn, arg);
}

int run_main_virtual(void *(*fn)(void *), void *arg)
{
    rt_config config = {.flavor = RT_CURRENT_THREAD, .clock = RT_CLOCK_VIRTUAL};
    return run_main_with(&config, fn, arg);
}

int run_main_seeded(uint64_t seed, void *(*fn)(void *), void *arg)
{
    SL_CHECK_FATAL(seed != 0, "seed 0 means 'not deterministic'");
    rt_config config = {.flavor = RT_CURRENT_THREAD, .seed = seed};
    return run_main_with(&config, fn, arg);
}

chaos chaos_seed(uint32_t seed, uint32_t stream)
{
    chaos c = {.state = seed * 2654435761u + stream * 40503u + 1u};
    if (c.state == 0)
        c.state = 1;
    return c;
}

uint32_t chaos_next(chaos *c)
{
    uint32_t x = c->state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return c->state = x;
}

int chaos_yield(chaos *c)
{
    int n = (int)(chaos_next(c) % 4);
    for (int i = 0; i < n; i++) {
        int rc = rt_yield();
        if (rc != 0)
            return rc;
    }
    return 0;
}

void yield_until_at_least(_Atomic int *counter, int n)
{
    for (long i = 0; i < 10000000 && atomic_load(counter) < n; i++)
        rt_yield();
}

void yield_times(int k)
{
    for (int i = 0; i < k; i++)
        rt_yield();
}

void sl_skip(const char *test, const char *why)
{
    printf("\n    %s: SKIPPED: %s\n", test, why);
    fflush(stdout);
}
