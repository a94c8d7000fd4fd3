#!/usr/bin/env bash
# viz.sh "MAKE" B O [LAB] - `make viz`: run a scenario with tracing on and draw it.
#
# Writes, for each scenario, under $O/viz/SCENARIO/:
#   SCENARIO.trace    the runtime's trace (text: open it in a pager)
#   timeline.png/svg  which task ran on which worker when, who woke whom
#   graph.png/svg     who spawned whom, who waited on which channel or lock
#   report.txt        the numbers: run time, waits by reason, utilisation, channels
# Without LAB: the runtime's own example (three producers, one consumer, a bounded
# channel). With LAB=NN: that lab's scenario, tests/NN-topic/progs/scenario.c, a program
# that runs the lab's server code and its clients in one traced runtime (so that the
# clients, and the waiting, are in the picture too). It is linked with the lab's code
# from solutions/ (the default) or from labs/ with IMPL=labs: your own server, drawn.
# Output: $O/viz/NN-topic/.
set -u
make=$1 B=$2 O=$3 lab=${4:-}
impl=${IMPL:-solutions} # make exports the command line's IMPL=labs

draw_lab() { # NN-topic
    local out="$O/viz/$1" scenario="$B/$impl/$1/progs/scenario"
    if [ ! -f "tests/$1/progs/scenario.c" ]; then
        echo "viz: lab $1 has no scenario yet (tests/$1/progs/scenario.c)"
        return 0
    fi
    $make IMPL="$impl" "$scenario" "$B/tools/schedviz" >/dev/null ||
        { echo "viz: could not build $impl/$1 and its scenario"; return 1; }
    rm -rf "$out" && mkdir -p "$out"
    "$scenario" "$out/$1.trace" > "$out/scenario.log" 2>&1 ||
        echo "viz: the scenario's clients did not all get their replies (see $out/scenario.log); drawing what happened"
    [ -s "$out/$1.trace" ] || { echo "viz: no trace was written ($out/scenario.log)"; return 1; }
    "$B/tools/schedviz" --png "$out" "$out/$1.trace" >/dev/null &&
        "$B/tools/schedviz" --svg "$out" "$out/$1.trace" >/dev/null &&
        "$B/tools/schedviz" --report "$out/$1.trace" > "$out/report.txt" || return 1
    echo "viz: lab $1 ($impl): $out/timeline.png  $out/graph.png  $out/report.txt"
}

if [ -n "$lab" ]; then
    dirs=$(cd solutions && ls -d "$lab"-* 2>/dev/null)
    [ -n "$dirs" ] || { echo "viz: there is no lab $lab in solutions/"; exit 1; }
    for d in $dirs; do draw_lab "$d" || exit 1; done
    echo "viz: how to read them: chapters/reading-the-pictures.md"
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
