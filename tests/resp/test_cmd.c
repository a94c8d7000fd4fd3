#include "resp_tests.h"
const sl_test cmd_tests[] = {
    SL_TEST_END,
};
