#!/usr/bin/env bash
# Every performance figure in one table, with its goal and whether it is met:
#   bash tests/setup.sh && bash tests/bench.sh
# Each bench measures its compared cases side by side in the same run (this machine is
# shared and noisy: ratios count more than absolute times). BENCH_ITERATIONS sets the
# sample count of the adapter bench. Extra arguments name more benches (e.g. jobs).
set -euo pipefail
cd "$(dirname "$0")/.."
benches=(adapter footprint "$@")
args=()
for b in "${benches[@]}"; do args+=(--bench "$b"); done
out=$(mktemp)
trap 'rm -f "$out"' EXIT
# The footprint bench starts the release binary, as a practice runs it.
cargo build --quiet --release -p ehr-host
cargo bench --quiet -p ehr-e2e "${args[@]}" | tee "$out"
echo
echo "## Figures ($(date -u +%Y-%m-%d), $(nproc) cores, allocator: $(sed -n 's/^allocator: //p' "$out" | head -1))"
echo
echo "| figure | value | goal | met |"
echo "|---|---|---|---|"
grep '^| ' "$out"
