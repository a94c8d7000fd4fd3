#!/usr/bin/env bash
# check-labs.sh "MAKE" B O LAB... - the invariants that keep labs/ and solutions/ honest:
#   1. labs/ is exactly the skeleton tools/labgen.sh makes from solutions/;
#   2. every lab has its handout (labs/NN/README.md) and its suite (tests/NN/);
#   3. every lab suite passes on its solution;
#   4. every skeleton compiles (with the same warnings as grading);
#   5. every lab suite fails on its skeleton: a suite the skeleton passes grades nothing.
make=$1 B=$2 O=$3
shift 3
if [ $# -eq 0 ]; then
    echo "check-labs: no labs yet (solutions/ has no NN-topic folders)"
    exit 0
fi
status=0
fail() { echo "check-labs: FAIL: $*"; status=1; }

rm -rf "$O/labgen" && mkdir -p "$O/labgen"
tools/labgen.sh solutions "$O/labgen" "$@" || fail "tools/labgen.sh could not process solutions/"
for lab in "$@"; do
    if ! diff -r -x README.md "$O/labgen/$lab" "labs/$lab" > "$O/labgen/$lab.diff" 2>&1; then
        fail "labs/$lab is not the skeleton generated from solutions/$lab; run 'make labs' and commit (diff: $O/labgen/$lab.diff)"
    fi
    [ -f "labs/$lab/README.md" ] || fail "labs/$lab has no README.md handout"
    [ -d "tests/$lab" ] || fail "lab $lab has no suite in tests/$lab"
done

for lab in "$@"; do
    echo "==== lab $lab: suite against solutions/$lab"
    "$B/solutions/$lab/suite" || fail "the lab $lab suite does not pass on solutions/$lab"
done

mkdir -p "$O/check-labs"
for lab in "$@"; do
    log="$O/check-labs/$lab.skeleton.log"
    if ! $make IMPL=labs WERROR=1 "$B/labs/$lab/all" > "$log" 2>&1; then
        fail "the skeleton labs/$lab does not compile (see $log)"
        continue
    fi
    out="$O/check-labs/$lab.skeleton-run.log"
    if "$B/labs/$lab/suite" > "$out" 2>&1; then
        fail "the lab $lab suite PASSES on its skeleton: it would grade nothing (output: $out)"
    else
        total=$("$B/labs/$lab/suite" --list | wc -l)
        failed=$(grep -c '\.\.\.FAILED' "$out")
        echo "==== lab $lab: the skeleton fails its suite, as it must ($failed of $total tests fail)"
    fi
done
[ $status -eq 0 ] && echo "check-labs: $# labs: 1 passed, 0 failed" | sed "s/1 passed/$# passed/"
exit $status
