#include "resp_tests.h"
const sl_test corpus_tests[] = {
    SL_TEST_END,
};
