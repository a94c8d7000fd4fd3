#!/usr/bin/env bash
# run-suites.sh SUITE... - run test suites one after another from the repository's root.
# Each suite prints CUnit's own summary; this script ends with one line
# "suites: N passed, N failed" and exits 1 when any suite failed.
passed=0 failed=0 failures=""
for suite in "$@"; do
    name=${suite#*/tests/}
    echo "==== suite ${name%/suite} ($suite)"
    if "$suite"; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        failures="$failures ${name%/suite}"
    fi
done
[ $# -gt 0 ] || echo "check-suites: no test suites yet"
echo "suites: $passed passed, $failed failed"
[ "$failed" -eq 0 ] || { echo "failing suites:$failures"; exit 1; }
