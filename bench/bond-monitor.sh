#!/usr/bin/env bash
# shellcheck disable=SC2034,SC2119,SC2317 # environment arrays are passed to bench/lib.sh by name
# Benchmark: `monitor` of the installed ocf:hanet:bond against a shell monitor
# written the way resource-agents would (our re-creation, bench/bond-monitor-shell),
# and the failover-to-report latency of `hanet watch`, in one VM run.
#
#   sudo bash bench/bond-monitor.sh [RUNS] [FAILOVERS]    (defaults: 60 runs, 12 failovers)
#
# This host's kernel has no bonding driver, so the measurement runs inside
# the qemu VM of scripts/vm (Debian's stock kernel, software emulation, ~20x
# slower than the host: compare ratios, not milliseconds, with the host
# benchmarks). The stage is built here, under .build/ (the VM sees the host's
# root read-only at the same paths, but has its own /tmp), and the VM part is
# bench/bond-monitor-in-vm.sh.
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$REPO"
RUNS=${1:-60}
FAILOVERS=${2:-12}
bench_require hyperfine strace ip python3 qemu-system-x86_64
STAGE=
cleanup() { [ -n "$STAGE" ] && rm -rf "$STAGE"; }
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
bench_stage # under .build/: the VM sees the host's root, but has its own /tmp
bench_log "running the VM part (boot ~3 s, then ~1-3 min of TCG)"
HOST_LINE=$(bench_machine)
rc=0
scripts/vm/run --mem 512 --timeout 290 --env BENCH_STAGE="$STAGE" --env BENCH_RUNS="$RUNS" \
  --env BENCH_FAILOVERS="$FAILOVERS" --env BENCH_HOST="$HOST_LINE" --env BENCH_SOURCE="$(bench_source)" -- bash bench/bond-monitor-in-vm.sh >"$STAGE/vm.out" 2>&1 || rc=$?
# The VM merges stdout and stderr: progress lines start with "bench:".
grep '^bench: ' "$STAGE/vm.out" >&2 || true
grep -v '^bench: ' "$STAGE/vm.out"
exit $rc
