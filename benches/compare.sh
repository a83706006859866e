#!/usr/bin/env bash
# One command: runs the criterion benchmarks, times the same calls through
# Python's ctypes on the same fixture library in the same run, and prints one
# table with the ratios (rctypes/libffi, rctypes/direct, ctypes/rctypes).
#   bash benches/compare.sh
set -euo pipefail
cd "$(dirname "$0")/.."
command -v python3 >/dev/null || { echo "python3 is needed for the ctypes side" >&2; exit 1; }
cargo bench --bench calls
lib=$(ls -t target/release/build/rctypes-*/out/libfixtures.so | head -1)
python3 benches/compare.py "$lib" target/criterion
