#!/usr/bin/env bash
# Instructions per call, counted by valgrind's callgrind (deterministic on a
# noisy machine), for every row of the benchmark table and every variant:
# direct call, raw libffi, rctypes with Values (call plan on and off),
# typed, prepared; plus Python's ctypes on add(int, int). Prints a markdown
# table with the ratios to raw libffi and to the direct call.
#
#   bash benches/instructions.sh            # the whole table
#   ROWS="add noop" bash benches/instructions.sh
#
# Each (row, variant) runs in its own process with
# --toggle-collect=*bench_measure*, so only the measured loop counts.
set -euo pipefail
cd "$(dirname "$0")/.."

N=${N:-20000}
ROWS=${ROWS:-"noop add long8 double16 point s24 s64 strlen callback field array"}

bench=(cargo bench -p rctypes-benches --bench instructions --no-run)
"${bench[@]}" --quiet 2>/dev/null || "${bench[@]}"
bin=$("${bench[@]}" --message-format=json 2>/dev/null \
    | sed -n 's/.*"executable":"\([^"]*instructions[^"]*\)".*/\1/p' | tail -1)
[ -x "$bin" ] || { echo "cannot find the benchmark binary" >&2; exit 1; }
lib=$(dirname "$(find target/release/build -name libfixtures.so -path '*rctypes*' | head -1)")

# instructions per iteration of ROW VARIANT (empty when the pair does not exist)
measure() {
    local row=$1 variant=$2 env_plan=${3:-on} n=$N out
    # a callback row makes n calls inside one C loop
    out=$(RCTYPES_CALL_PLAN=$env_plan valgrind --tool=callgrind --toggle-collect='*bench_measure*' \
        --callgrind-out-file=/dev/null "$bin" "$row" "$variant" "$n" 2>&1) || return 0
    local total
    total=$(echo "$out" | sed -n 's/.*Collected : \([0-9]*\).*/\1/p' | tail -1)
    [ -n "$total" ] && echo $((total / n))
}

python_add() {
    local code="import ctypes,sys
lib=ctypes.CDLL('$lib/libfixtures.so'); f=lib.add
f.argtypes=[ctypes.c_int,ctypes.c_int]; f.restype=ctypes.c_int
for _ in range(int(sys.argv[1])): f(5,3)"
    local a b py
    # the interpreter itself (python3 may be a wrapper script, e.g. pyenv's)
    py=$(python3 -c 'import sys; print(sys.executable)')
    a=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$py" -c "$code" 2000 2>&1 \
        | sed -n 's/.*Collected : \([0-9]*\).*/\1/p')
    b=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "$py" -c "$code" 12000 2>&1 \
        | sed -n 's/.*Collected : \([0-9]*\).*/\1/p')
    echo $(((b - a) / 10000))
}

ratio() { # a / b with two decimals, or -
    if [ -n "$1" ] && [ -n "$2" ] && [ "$2" != 0 ]; then
        awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'
    else
        echo "-"
    fi
}

echo "| row | direct | raw libffi | Values | Values/libffi | plan off | off/libffi | typed | typed/direct | prepared | prepared/direct | other |"
echo "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|"
for row in $ROWS; do
    d=$(measure "$row" direct)
    l=$(measure "$row" libffi)
    v=$(measure "$row" values)
    o=$(measure "$row" values off)
    t=$(measure "$row" typed)
    p=$(measure "$row" prepared)
    other=""
    for extra in into handle numbers slice; do
        x=$(measure "$row" "$extra")
        [ -n "$x" ] && other="$other $extra $x ($(ratio "$x" "$d")× direct)"
    done
    echo "| $row | ${d:--} | ${l:--} | ${v:--} | $(ratio "$v" "$l") | ${o:--} | $(ratio "$o" "$l") | ${t:--} | $(ratio "$t" "$d") | ${p:--} | $(ratio "$p" "$d") |${other:- -} |"
done
if command -v python3 >/dev/null && [ -z "${NO_PYTHON:-}" ]; then
    py=$(python_add)
    v=$(measure add values)
    t=$(measure add typed)
    echo
    echo "Python ctypes add(int, int): $py instructions per call; rctypes Values $(ratio "$py" "$v")× fewer, typed $(ratio "$py" "$t")× fewer."
fi
