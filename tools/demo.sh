#!/usr/bin/env bash
# demo.sh - `make demo`. It grows as the labs land (issue 8 adds labs 01 and 02).
if [ ! -d solutions/01-sequential ]; then
    echo "demo: nothing to show yet: it runs the lab servers, and no lab has landed (solutions/ is empty)"
    exit 0
fi
echo "demo: not written yet for the labs that exist"
exit 1
