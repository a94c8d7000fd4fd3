#!/bin/sh
# labgen.sh - make the student's skeleton of a lab from its solution.
#
#   tools/labgen.sh SOLUTIONS-ROOT LABS-ROOT [NN-topic ...]     (default: every lab)
#
# A solution marks the student's work with fenced blocks:
#
#     /* BEGIN SOLUTION TODO(lab 01, step 2): answer GET and SET from the table.
#        Checked by test_lab01_set_then_get. */
#     ...the reference code...
#     /* STUB
#     return -ENOSYS;
#     END SOLUTION */
#
# In the skeleton the block becomes its comment without "BEGIN SOLUTION " (so it reads
# "/* TODO(lab 01, step 2): ... */") followed by the stub lines, uncommented. The stub
# part is optional (then "/* END SOLUTION */" closes the block) and must not contain
# "*/". Files without blocks are copied as they are. Hand-written files of the skeleton
# tree (README.md handouts) are left alone; generated files whose solution is gone are
# removed. Exits non-zero, naming file and line, on a malformed block.
set -eu
src=$1 dst=$2
shift 2
[ $# -gt 0 ] || set -- $(cd "$src" 2>/dev/null && ls -d [0-9][0-9]-* 2>/dev/null)
[ $# -gt 0 ] || { echo "labgen: no labs yet ($src has no NN-topic folders)"; exit 0; }

strip_solution() { # $1 input file, $2 output file
    awk -v file="$1" '
    function fail(msg) { printf "labgen: %s:%d: %s\n", file, NR, msg > "/dev/stderr"; bad = 1; exit 1 }
    state == "code" && /BEGIN SOLUTION/ { fail("BEGIN SOLUTION inside another solution block") }
    state == "" && /\/\* BEGIN SOLUTION/ {
        if ($0 !~ /TODO\(lab [0-9][0-9], step [0-9]+\):/)
            fail("a solution block must say what to do: /* BEGIN SOLUTION TODO(lab NN, step K): ... */")
        line = $0; sub(/BEGIN SOLUTION /, "", line); print line
        state = ($0 ~ /\*\//) ? "code" : "comment"; start = NR; next
    }
    state == "comment" { print; if ($0 ~ /\*\//) state = "code"; next }
    state == "code" && /^[ \t]*\/\* STUB[ \t]*$/ { state = "stub"; next }
    state == "code" && /^[ \t]*\/\* END SOLUTION \*\/[ \t]*$/ { state = ""; next }
    state == "code" { next }
    state == "stub" && /^[ \t]*END SOLUTION \*\/[ \t]*$/ { state = ""; next }
    state == "stub" { if ($0 ~ /\*\//) fail("a stub cannot contain */ (it lives inside a comment)"); print; next }
    /END SOLUTION/ { fail("END SOLUTION without BEGIN SOLUTION") }
    { print }
    END { if (!bad && state != "") { NR = start; fail("this solution block is never closed (END SOLUTION)") } }
    ' "$1" > "$2.tmp" && mv "$2.tmp" "$2" || { rm -f "$2.tmp"; return 1; }
}

for lab in "$@"; do
    [ -d "$src/$lab" ] || { echo "labgen: no solution folder $src/$lab" >&2; exit 1; }
    mkdir -p "$dst/$lab"
    # generated files whose solution is gone
    (cd "$dst/$lab" && find . -type f ! -name README.md) | while read -r f; do
        [ -e "$src/$lab/$f" ] || rm -f "$dst/$lab/$f"
    done
    (cd "$src/$lab" && find . -type f) | while read -r f; do
        mkdir -p "$(dirname "$dst/$lab/$f")"
        case "$f" in
            *.c|*.h) strip_solution "$src/$lab/$f" "$dst/$lab/$f" ;;
            *) cp "$src/$lab/$f" "$dst/$lab/$f" ;;
        esac
    done
done
