#!/bin/sh
# render-diagram.sh DOT OUT - renders one concept diagram with Graphviz.
#
# OUT's extension picks the format: .svg or .png. `make diagrams` renders every
# diagrams/*.dot into the build directory with this script; the PNGs the chapters show
# (diagrams/generated/*.png, committed so that GitHub readers see them) are made by the
# very same command, e.g.
#     tools/render-diagram.sh diagrams/park-wake.dot diagrams/generated/park-wake.png
set -eu

if [ $# -ne 2 ]; then
    echo "usage: $0 DIAGRAM.dot OUT.svg|OUT.png" >&2
    exit 2
fi
if ! command -v dot >/dev/null 2>&1; then
    echo "diagrams: Graphviz's dot is not installed (apt-get install graphviz, or run tools/deps.sh)" >&2
    exit 1
fi
case "$2" in
*.svg) format=svg ;;
*.png) format=png ;;
*)
    echo "$0: $2: the output must end in .svg or .png" >&2
    exit 2
    ;;
esac
mkdir -p "$(dirname "$2")"
# 110 dpi: sharp on a laptop screen, and each PNG stays well under 150 KB.
dot -T"$format" -Gdpi=110 -o "$2" "$1"
