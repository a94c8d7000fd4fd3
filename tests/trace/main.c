/*
 * main.c - the trace suite: the trace file format and the runtime's recorder.
 */
#include "trace_tests.h"

static const sl_suite suites[] = {
    {"trace-file", trace_file_tests, 0},
    {"tracer", tracer_tests, 0},
    SL_SUITE_END,
};

int main(int argc, char **argv)
{
    return sl_main(argc, argv, suites);
}
