/* trace_tests.h - the tables of the trace suite's files (see main.c). */
#ifndef SPAWNLAB_TRACE_TESTS_H
#define SPAWNLAB_TRACE_TESTS_H

#include "harness.h"

extern const sl_test trace_file_tests[];          /* trace_file_test.c: the file format */
extern const sl_test tracer_tests[];              /* tracer_test.c: the recorder */
extern const sl_test trace_runtime_tests[];       /* trace_runtime_test.c: a traced runtime */
extern const sl_test trace_deterministic_tests[]; /* trace_deterministic_test.c: golden */

#endif
