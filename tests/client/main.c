/*
 * main.c - the tests/client suite: the buffered connection, the client and
 * spawnlab-cli (lib/include/conn.h, lib/include/client.h, tools/spawnlab-cli).
 *
 *     build/.../tests/client/suite [TEST...]
 */
#include "client_tests.h"

void run_with(int nworkers, void *(*fn)(void *), void *arg)
{
    rt_config config = {.flavor = nworkers == 1 ? RT_CURRENT_THREAD : RT_MULTI_THREAD,
                        .nworkers = nworkers};
    rt_runtime *rt = rt_runtime_new(&config);
    SL_CHECK_FATAL(rt != NULL, "could not create a runtime");
    int rc = rt_block_on(rt, fn, arg, NULL);
    SL_CHECK(rc == 0, "the test's main task ended with %s", rt_strerror(rc));
    rt_stats s;
    rt_runtime_stats(rt, &s);
    SL_CHECK(s.nspawned == s.nfinished,
             "%llu tasks spawned but only %llu finished when main returned",
             (unsigned long long)s.nspawned, (unsigned long long)s.nfinished);
    rt_runtime_free(rt);
}

static const sl_suite suites[] = {
    {"conn", conn_tests, 60},
    {"client", client_tests, 60},
    {"cli", cli_tests, 60},
    SL_SUITE_END,
};

int main(int argc, char **argv)
{
    return sl_main(argc, argv, suites);
}
