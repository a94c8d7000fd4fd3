/*
 * main.c - the trace suite: the trace file format, the recorder, and a traced runtime.
 */
#include "trace_tests.h"

static const sl_suite suites[] = {
    {"trace-file", trace_file_tests, 0},
    {"tracer", tracer_tests, 0},
    {"traced-runtime", trace_runtime_tests, 60},
    {"deterministic", trace_deterministic_tests, 60},
    SL_SUITE_END,
};

int main(int argc, char **argv)
{
    return sl_main(argc, argv, suites);
}
