#!/usr/bin/env bash
# Runs every benchmark in bench/ against an already configured build directory and prints a
# summary of the RESULT lines. Usage: bench/run.sh BUILD_DIR [--quick]
#   make bench                       # builds, then runs bench/run.sh build
#   bench/run.sh build --quick       # smaller runs (about 20 s in all, plus any build)
set -euo pipefail

build="${1:?usage: bench/run.sh BUILD_DIR [--quick]}"
shift
benches=(engine_bench grpc_bench timers_bench workforce_bench plugins_bench recruitment_bench
         restart_bench definitions_bench reviews_bench)
scripts=(client_workers_bench)  # bench/NAME BUILD_DIR [args]: they drive the clients/

# `make bench` has built everything already; a bare run.sh builds just what it needs.
if ! out="$(cmake --build "$build" --target "${benches[@]}" shequd cpp_job_worker \
              shequ_python_client shequ_node_client 2>&1)"; then
  echo "$out" >&2
  exit 1
fi

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

here="$(cd "$(dirname "$0")" && pwd)"
for b in "${scripts[@]}"; do
  echo "=== $b $* ==="
  if ! "$here/$b" "$build" "$@" 2>&1 | tee -a "$log"; then
    echo "!!! $b failed" | tee -a "$log"
    status=1
  fi
  echo
done

echo "=== summary (targets: docs/performance.md) ==="
grep -E '^(RESULT|DIAG|NOTE|WARNING|ERRORS)' "$log" || true
rm -f "$log"
exit "$status"
