#!/usr/bin/env bash
# demo.sh "MAKE" B - `make demo`: the labs' servers at work, side by side. It grows as the
# labs land.
#
# Labs 01 and 02: the same scripted load (tools/demoload: 3 clients at once, each holding
# its connection busy for 1 s) against the lab 01 solution (one connection at a time) and
# the lab 02 solution (a task per connection), and the wall times side by side. Every
# server it starts is stopped by its pid; it writes only under $B.
set -u
make=$1 B=$2
if [ ! -d solutions/01-sequential ]; then
    echo "demo: nothing to show yet: it runs the lab servers, and no lab has landed (solutions/ is empty)"
    exit 0
fi
labs=(01-sequential 02-spawn)
clients=3 hold_ms=1000
targets=("$B/tools/demoload")
for lab in "${labs[@]}"; do targets+=("$B/solutions/$lab/server"); done
echo "demo: building ${labs[*]} and the load ..."
$make IMPL=solutions "${targets[@]}" >/dev/null || { echo "demo: build failed"; exit 1; }

out="$B/demo" && mkdir -p "$out"
server_pid=
stop_server() {
    if [ -n "$server_pid" ]; then
        kill -TERM "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
        server_pid=
    fi
}
trap stop_server EXIT

# run_lab NN-topic: starts its server on a free port, runs the load, prints the load's
# lines; the wall time goes into $wall.
run_lab() {
    local lab=$1 log="$out/$1.server.log" port=
    "$B/solutions/$lab/server" -p 0 > "$log" 2>&1 &
    server_pid=$!
    for _ in $(seq 100); do
        port=$(sed -n 's/^listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$log")
        [ -n "$port" ] && break
        sleep 0.05
    done
    if [ -z "$port" ]; then
        echo "demo: the $lab server did not start (see $log)"
        stop_server
        return 1
    fi
    "$B/tools/demoload" -p "$port" -c "$clients" -m "$hold_ms" > "$out/$lab.load.txt" 2>&1
    local status=$?
    stop_server
    sed 's/^/    /' "$out/$lab.load.txt"
    wall=$(sed -n 's/^wall \(.*\) s$/\1/p' "$out/$lab.load.txt")
    return $status
}

declare -A walls
failed=0
for lab in "${labs[@]}"; do
    echo
    echo "== $lab: $clients clients at once, each holding its connection busy for $((hold_ms / 1000)) s"
    run_lab "$lab" || failed=1
    walls[$lab]=${wall:-?}
done

echo
printf '%-34s %s\n' "server" "wall time for $clients clients"
printf '%-34s %s\n' "lab 01: one connection at a time" "${walls[01-sequential]} s   (the clients wait in line)"
printf '%-34s %s\n' "lab 02: a task per connection" "${walls[02-spawn]} s   (served at once)"
echo
echo "See why: make viz LAB=01 -> build/viz/01-sequential/timeline.png (client 2 waits)"
echo "         make viz LAB=02 -> build/viz/02-spawn/timeline.png (tasks interleave on the workers)"
echo "Server logs: $out/"
exit $failed
