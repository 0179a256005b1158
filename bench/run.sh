#!/usr/bin/env bash
# Runs every benchmark in bench/ against an already configured build directory and prints a
# summary of the RESULT lines. Usage: bench/run.sh BUILD_DIR [--quick]
#   make bench                       # builds, then runs bench/run.sh build
#   bench/run.sh build --quick       # smaller runs (about a minute in all)
set -euo pipefail

build="${1:?usage: bench/run.sh BUILD_DIR [--quick]}"
shift
here="$(cd "$(dirname "$0")" && pwd)"
benches=(engine_bench grpc_bench timers_bench)

# `make bench` has built everything already; a bare run.sh builds just what it needs.
cmake --build "$build" --target "${benches[@]}" shequd >/dev/null

log="$(mktemp -t shequ-bench-XXXXXX.log)"
status=0
for b in "${benches[@]}"; do
  echo "=== $b $* ==="
  if ! "$build/bench/$b" "$@" 2>&1 | tee -a "$log"; then
    echo "!!! $b failed" | tee -a "$log"
    status=1
  fi
  echo
done

echo "=== summary (targets: docs/performance.md) ==="
grep -E '^(RESULT|NOTE|WARNING|ERRORS)' "$log" || true
rm -f "$log"
exit "$status"
