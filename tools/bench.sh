#!/usr/bin/env bash
# bench.sh O SAN BENCH... - run every benchmark program; each prints
# "metric<TAB>value<TAB>unit" lines. All lines go to $O/bench/results.tsv and a table.
O=$1 san=$2
shift 2
if [ $# -eq 0 ]; then
    echo "bench: no benchmarks yet"
    exit 0
fi
[ -z "$san" ] || echo "bench: WARNING: a SAN=$san build; these numbers say nothing about speed"
mkdir -p "$O/bench"
out="$O/bench/results.tsv"
: > "$out"
status=0
for b in "$@"; do
    echo "running ${b##*/bench/} ..." >&2
    "$b" >> "$out" || { echo "bench: ${b} failed" >&2; status=1; }
done
printf '\n%-32s %14s  %s\n' metric value unit
awk -F'\t' '{ printf "%-32s %14s  %s\n", $1, $2, $3 }' "$out"
echo
echo "(results: $out)"
exit $status
