#!/usr/bin/env bash
# grade.sh "MAKE" B O LAB... - `make grade`: build each lab from labs/ and run its suite
# test by test through the grader (tools/grade/grade.c); report on stdout and in
# $O/grade.json. A lab that does not build scores 0 (its tests are listed by the suite
# built against solutions/) and makes the exit status 1; failing tests do not.
make=$1 B=$2 O=$3
shift 3
mkdir -p "$O/grade"
args=()
for lab in "$@"; do
    log="$O/grade/$lab.build.log"
    rm -f "$B/labs/$lab/suite" # never grade a stale build
    echo "building lab $lab from labs/$lab ..."
    if $make IMPL=labs WERROR=1 "$B/labs/$lab/all" > "$log" 2>&1; then
        list="$B/labs/$lab/suite"
    else
        $make IMPL=solutions "$B/solutions/$lab/suite" >> "$log" 2>&1
        list="$B/solutions/$lab/suite"
    fi
    args+=(--lab "$lab" "$B/labs/$lab/suite" "$list" "$log")
done
echo
"$B/tools/grade" --json "$O/grade.json" "${args[@]}"
status=$?
echo "(machine-readable results: $O/grade.json)"
exit $status
