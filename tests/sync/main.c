/*
 * main.c - the sync suite: task-aware locks, channels, select, structured concurrency.
 *
 *     build/.../tests/sync/suite [TEST...]
 */
#include "helpers.h"

static const sl_suite suites[] = {
    {"sync_locks", sync_lock_tests, 60},
    {"sync_channels", sync_channel_tests, 60},
    {"sync_broadcast", sync_broadcast_tests, 60},
    {"sync_select", sync_select_tests, 300},
    {"sync_select_arms", sync_select_arm_tests, 60},
    {"sync_structured", sync_structured_tests, 120},
    {"sync_stress", sync_stress_tests, 300},
    {"sync_timeouts", sync_timeout_tests, 60},
    {"sync_signal", sync_signal_tests, 60},
    SL_SUITE_END,
};

int main(int argc, char **argv)
{
    return sl_main(argc, argv, suites);
}
