/*
 * fixture_suite.c - the fixture lab's suite, linked with the fixture's skeleton
 * (tests/fixtures/lab/labs/99-fixture). On that skeleton it passes one test and fails
 * the others: a wrong answer, a crash and a hang. The self-test runs the grader on it and
 * compares the report and the JSON byte for byte with tests/fixtures/lab/expected-*.
 */
#include "calc.h"
#include "harness.h"

static void test_fixture_double(void)
{
    int got = calc_double(21);
    SL_CHECK(got == 42, "calc_double(21): expected 42, got %d", got);
}

static void test_fixture_add(void)
{
    int got = calc_add(2, 3);
    SL_CHECK(got == 5, "calc_add(2, 3): expected 5, got %d", got);
}

static void test_fixture_negate(void)
{
    int got = calc_negate(7);
    SL_CHECK(got == -7, "calc_negate(7): expected -7, got %d", got);
}

static void test_fixture_countdown(void)
{
    int got = calc_countdown(3);
    SL_CHECK(got == 3, "calc_countdown(3): expected 3 steps, got %d", got);
}

static const sl_test fixture_tests[] = {
    SL_TEST(test_fixture_double, 1, NULL),
    SL_TEST(test_fixture_add, 2, "chapters/99-fixture.md#adding"),
    SL_TEST(test_fixture_negate, 2, NULL),
    SL_TEST(test_fixture_countdown, 3, NULL),
    SL_TEST_END,
};

static const sl_suite suites[] = {
    {"fixture", fixture_tests, 1},
    SL_SUITE_END,
};

int main(int argc, char **argv)
{
    return sl_main(argc, argv, suites);
}
