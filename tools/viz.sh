#!/usr/bin/env bash
# viz.sh "MAKE" B O [LAB] - `make viz`: run a scenario with tracing on and draw it.
#
# Writes, for each scenario, under $O/viz/SCENARIO/:
#   SCENARIO.trace    the runtime's trace (text: open it in a pager)
#   timeline.png/svg  which task ran on which worker when, who woke whom
#   graph.png/svg     who spawned whom, who waited on which channel or lock
#   report.txt        the numbers: run time, waits by reason, utilisation, channels
# Without LAB: the runtime's own example (three producers, one consumer, a bounded
# channel). With LAB=NN: that lab's scenario (each lab adds one as it lands).
set -u
make=$1 B=$2 O=$3 lab=${4:-}
if [ -n "$lab" ]; then
    echo "viz: lab $lab has no scenario yet (each lab adds its own as it lands)"
    exit 0
fi
$make "$B/tools/vizscenario" "$B/tools/schedviz" >/dev/null || exit 1

draw() { # scenario
    local out="$O/viz/$1"
    rm -rf "$out" && mkdir -p "$out"
    "$B/tools/vizscenario" "$1" "$out/$1.trace" || { echo "viz: the $1 scenario failed"; return 1; }
    "$B/tools/schedviz" --png "$out" "$out/$1.trace" >/dev/null &&
        "$B/tools/schedviz" --svg "$out" "$out/$1.trace" >/dev/null &&
        "$B/tools/schedviz" --report "$out/$1.trace" > "$out/report.txt" || return 1
    echo "viz: $1: $out/timeline.png  $out/graph.png  $out/report.txt"
}

draw channels || exit 1
echo "viz: how to read them: chapters/reading-the-pictures.md"
