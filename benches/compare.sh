#!/usr/bin/env bash
# One command: runs the criterion benchmarks, times the same calls through
# Python's ctypes on the same fixture library in the same run, and prints one
# table with the ratios (rctypes/libffi, rctypes/direct, ctypes/rctypes).
#   bash benches/compare.sh          (RUNS=1 for a quick single run)
set -euo pipefail
cd "$(dirname "$0")/.."
command -v python3 >/dev/null || { echo "python3 is needed for the ctypes side" >&2; exit 1; }
# This kind of machine is noisy (shared cores): the benchmarks run RUNS times
# (3 unless set) and the table reports the median of the runs' medians.
runs=${RUNS:-3}
rm -rf target/compare
for r in $(seq 1 "$runs"); do
    cargo bench -p rctypes-benches --bench calls
    mkdir -p target/compare
    cp -r target/criterion "target/compare/run$r"
done
lib=$(ls -t target/release/build/rctypes-benches-*/out/libfixtures.so | head -1)
python3 benches/compare.py "$lib" target/compare "$runs"
