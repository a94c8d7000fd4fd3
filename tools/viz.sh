#!/usr/bin/env bash
# viz.sh - `make viz`. It grows as the labs land (issue 8 adds labs 01 and 02).
if [ ! -d solutions/01-sequential ]; then
    echo "viz: nothing to show yet: it runs the lab servers, and no lab has landed (solutions/ is empty)"
    exit 0
fi
echo "viz: not written yet for the labs that exist"
exit 1
