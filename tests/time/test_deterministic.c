/*
 * test_deterministic.c - deterministic mode: a seed names one interleaving.
 *
 * The "trace" compared here is the order in which tasks ran, by id, as rt_config.run_hook
 * sees it: the same seed must give the same order twice, different seeds different orders.
 */
#include "helpers.h"

#include <stdlib.h>
#include <string.h>

enum { NWORKERS_IN_SCENARIO = 6, NROUNDS = 5, MAX_RUNS = 4096 };

struct run_log {
    uint64_t ids[MAX_RUNS];
    size_t n;
};

static void log_run(uint64_t task_id, void *arg)
{
    struct run_log *log = arg;
    if (log->n < MAX_RUNS)
        log->ids[log->n++] = task_id;
}

/* Tasks that yield and sleep in rounds: plenty of points where the pick matters. */
static void *yield_and_sleep(void *arg)
{
    intptr_t index = (intptr_t)arg;
    for (int round = 0; round < NROUNDS; round++) {
        rt_yield();
        rt_sleep_ms(1 + (index + round) % 3);
    }
    return NULL;
}

static void *scenario(void *unused)
{
    (void)unused;
    rt_join_handle *h[NWORKERS_IN_SCENARIO];
    for (intptr_t i = 0; i < NWORKERS_IN_SCENARIO; i++)
        h[i] = rt_spawn(yield_and_sleep, (void *)i);
    for (int i = 0; i < NWORKERS_IN_SCENARIO; i++)
        rt_join(h[i], NULL, NULL);
    return NULL;
}

static void run_scenario(uint64_t seed, struct run_log *log)
{
    log->n = 0;
    rt_config config = {.seed = seed, .run_hook = log_run, .run_hook_arg = log};
    run_on(&config, scenario, NULL);
}

static bool logs_equal(const struct run_log *a, const struct run_log *b)
{
    return a->n == b->n && memcmp(a->ids, b->ids, a->n * sizeof a->ids[0]) == 0;
}

static void test_time_same_seed_same_interleaving(void)
{
    struct run_log *first = malloc(sizeof *first), *second = malloc(sizeof *second);
    for (uint64_t seed = 1; seed <= 5; seed++) {
        run_scenario(seed, first);
        run_scenario(seed, second);
        SL_CHECK(first->n > 0 && logs_equal(first, second),
                 "seed %llu gave two different run orders (%zu and %zu runs)",
                 (unsigned long long)seed, first->n, second->n);
    }
    free(first);
    free(second);
}

static void test_time_different_seeds_different_interleavings(void)
{
    enum { NSEEDS = 8 };
    struct run_log *logs = malloc(NSEEDS * sizeof *logs);
    for (int i = 0; i < NSEEDS; i++)
        run_scenario((uint64_t)i + 1, &logs[i]);
    int ndistinct = 0;
    for (int i = 0; i < NSEEDS; i++) {
        bool is_new = true;
        for (int j = 0; j < i && is_new; j++)
            is_new = !logs_equal(&logs[i], &logs[j]);
        ndistinct += is_new;
    }
    SL_CHECK(ndistinct >= NSEEDS - 1, "%d seeds gave only %d different run orders", NSEEDS,
             ndistinct);
    free(logs);
}

static void test_time_rt_seed_environment_forces_deterministic_mode(void)
{
    struct run_log *from_env = malloc(sizeof *from_env), *from_config = malloc(sizeof *from_config);
    setenv("RT_SEED", "42", 1);
    rt_config config = {
        .flavor = RT_MULTI_THREAD, .nworkers = 4, .run_hook = log_run, .run_hook_arg = from_env};
    rt_runtime *rt = rt_runtime_new(&config);
    unsetenv("RT_SEED");
    SL_CHECK_FATAL(rt != NULL, "no runtime");
    rt_stats stats;
    rt_runtime_stats(rt, &stats);
    SL_CHECK(rt_runtime_seed(rt) == 42 && stats.nworkers == 1,
             "RT_SEED=42: seed %llu and %d workers, expected 42 and 1",
             (unsigned long long)rt_runtime_seed(rt), stats.nworkers);
    from_env->n = 0;
    rt_block_on(rt, scenario, NULL, NULL);
    rt_runtime_free(rt);
    run_scenario(42, from_config);
    SL_CHECK(logs_equal(from_env, from_config),
             "RT_SEED=42 and rt_config.seed = 42 gave different run orders");
    free(from_env);
    free(from_config);
}

static void *ten_second_sleep(void *unused)
{
    (void)unused;
    return (void *)(intptr_t)rt_sleep_ms(10000);
}

static void test_time_deterministic_mode_uses_the_virtual_clock(void)
{
    rt_config config = {.seed = 3};
    rt_runtime *rt = rt_runtime_new(&config);
    SL_CHECK_FATAL(rt != NULL, "no runtime");
    int64_t before = rt_runtime_now(rt);
    double start = wall_ms();
    void *rc = NULL;
    rt_block_on(rt, ten_second_sleep, NULL, &rc);
    SL_CHECK(rc == NULL && rt_runtime_now(rt) - before == 10 * RT_NS_PER_S &&
                 wall_ms() - start < 100,
             "a 10 s sleep in deterministic mode: %s, clock moved %lld ns, %.1f ms real",
             rt_strerror((int)(intptr_t)rc), (long long)(rt_runtime_now(rt) - before),
             wall_ms() - start);
    rt_runtime_free(rt);
}

const sl_test time_deterministic_tests[] = {
    SL_TEST(test_time_same_seed_same_interleaving, 2,
            "chapters/appendix-runtime.md#deterministic-mode"),
    SL_TEST(test_time_different_seeds_different_interleavings, 1,
            "chapters/appendix-runtime.md#deterministic-mode"),
    SL_TEST(test_time_rt_seed_environment_forces_deterministic_mode, 1,
            "chapters/appendix-runtime.md#deterministic-mode"),
    SL_TEST(test_time_deterministic_mode_uses_the_virtual_clock, 1,
            "chapters/appendix-runtime.md#deterministic-mode"),
    SL_TEST_END,
};
