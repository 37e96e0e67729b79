#!/usr/bin/env bash
# shellcheck disable=SC2034,SC2119 # environment arrays are passed to bench/lib.sh by name
# Benchmark: `monitor` of the installed ocf:hanet:bridge against resource-agents'
# ocf:heartbeat:iface-bridge, on the same bridge, in one run.
#
#   sudo bash bench/bridge-monitor.sh [RUNS [ROUNDS]]   (default 300 runs per command, in 3 rounds)
#
# Installs hanet into a scratch root (make install DESTDIR=...), builds a
# throwaway namespace with xenbr1 + uplink, starts the bridge once, then times
# `monitor` of both agents with hyperfine (no shell, -N, run inside the
# namespace so only the agent is timed), counts child processes (execve)
# with strace and user-space instructions with callgrind. Prints markdown tables.
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$REPO"
BENCH_RUNS=${1:-300}
ROUNDS=${2:-3}
BENCH_WARMUP=20
bench_require hyperfine strace ip python3 brctl
IFB=/usr/lib/ocf/resource.d/heartbeat/iface-bridge
[ -x "$IFB" ] || bench_die "$IFB is missing (resource-agents)"
NS=hanet-bench-$$
cleanup() { ip netns del "$NS" 2>/dev/null || true; [ -n "${STAGE:-}" ] && rm -rf "$STAGE"; }
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
bench_stage
BRIDGE=$(bench_link bridge)
ip netns add "$NS"
ip netns exec "$NS" sh -ec 'ip link add bond0 type veth peer name sw0; ip link set sw0 up'
COMMON=(OCF_ROOT=/usr/lib/ocf HA_RSCTMP="$STAGE/run" OCF_RESOURCE_INSTANCE=xenbr1 OCF_RESKEY_CRM_meta_interval=10000)
HANET_ENV=("${COMMON[@]}" OCF_RESKEY_bridge=xenbr1 OCF_RESKEY_uplink=bond0)
IFB_ENV=("${COMMON[@]}" OCF_RESKEY_bridge_name=xenbr1 OCF_RESKEY_bridge_slaves=bond0)
mkdir -p "$STAGE/run"
# iface-bridge first (it cannot adopt a bridge); hanet adopts it.
bench_in "$NS" IFB_ENV "$IFB" start >/dev/null 2>&1
bench_in "$NS" HANET_ENV "$BRIDGE" start
# Both must agree that the bridge is running before we time them.
if ! bench_in "$NS" HANET_ENV "$BRIDGE" monitor || ! bench_in "$NS" IFB_ENV "$IFB" monitor; then
  bench_die "an agent does not report the bridge as running"
fi

MACHINE_BEFORE=$(bench_machine)
# ROUNDS rounds, the three commands interleaved: load from other work on the
# machine then hits all three alike.
TOTAL=$BENCH_RUNS
BENCH_RUNS=$(((TOTAL + ROUNDS - 1) / ROUNDS))
for ((round = 1; round <= ROUNDS; round++)); do
  bench_run --impl "/bin/true (process start floor)" --action "-" --ns "$NS" -- /bin/true
  bench_run --impl "ocf:hanet:bridge" --action monitor --ns "$NS" --env HANET_ENV -- "$BRIDGE" monitor
  bench_run --impl "ocf:heartbeat:iface-bridge" --action monitor --ns "$NS" --env IFB_ENV -- "$IFB" monitor
done
echo "## bridge monitor ($((BENCH_RUNS * ROUNDS)) runs per command in $ROUNDS interleaved rounds, hyperfine -N inside the namespace)"
echo
echo "source: $(bench_source)  "
echo "before: $MACHINE_BEFORE  "
echo "after:  $(bench_machine)"
echo
bench_table --floor "/bin/true (process start floor)"
echo
bench_table --ratio "ocf:heartbeat:iface-bridge" "ocf:hanet:bridge"
