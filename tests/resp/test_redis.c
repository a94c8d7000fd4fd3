#include "resp_tests.h"
const sl_test redis_tests[] = {
    SL_TEST_END,
};
