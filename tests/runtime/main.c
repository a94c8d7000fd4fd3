/*
 * main.c - the runtime suite: tasks and scheduling, park and wake, the checks.
 *
 *     build/.../tests/runtime/suite [TEST...]
 */
#include "helpers.h"

static const sl_suite suites[] = {
    {"runtime_tasks", runtime_task_tests, 120},
    {"runtime_park", runtime_park_tests, 120},
    {"runtime_checks", runtime_check_tests, 60},
    SL_SUITE_END,
};

int main(int argc, char **argv)
{
    return sl_main(argc, argv, suites);
}
