#!/usr/bin/env bash
# Benchmark: `monitor` of the installed ocf:hanet:bridge against resource-agents'
# ocf:heartbeat:iface-bridge, on the same bridge, in one run.
#
#   sudo bash bench/bridge-monitor.sh [RUNS]
#
# Installs hanet into a scratch root (make install DESTDIR=...), builds a
# throwaway namespace with xenbr1 + uplink, starts the bridge once, then times
# `monitor` of both agents with hyperfine (no shell, -N) and counts child
# processes (execve) with strace. Prints a markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-300}
STAGE=$(mktemp -d /tmp/hanet-bench.XXXXXX)
NS=hanet-bench-$$
cleanup() { ip netns del "$NS" 2>/dev/null || true; rm -rf "$STAGE"; }
trap cleanup EXIT
make -s install DESTDIR="$STAGE" >/dev/null
# The installed links point at /usr/lib/hanet/hanet-agent; link the staged copy the same way.
mkdir -p "$STAGE/ra" && ln -s "$STAGE/usr/lib/hanet/hanet-agent" "$STAGE/ra/bridge"
HANET="$STAGE/ra/bridge"
IFB=/usr/lib/ocf/resource.d/heartbeat/iface-bridge
ip netns add "$NS"
ip netns exec "$NS" sh -ec 'ip link add bond0 type veth peer name sw0; ip link set sw0 up'
ENV=(env OCF_ROOT=/usr/lib/ocf HA_RSCTMP="$STAGE/run" OCF_RESOURCE_INSTANCE=xenbr1 OCF_RESKEY_CRM_meta_interval=10000)
# iface-bridge first (it cannot adopt a bridge); hanet adopts it.
ip netns exec "$NS" "${ENV[@]}" OCF_RESKEY_bridge_name=xenbr1 OCF_RESKEY_bridge_slaves=bond0 "$IFB" start >/dev/null 2>&1
ip netns exec "$NS" "${ENV[@]}" OCF_RESKEY_bridge=xenbr1 OCF_RESKEY_uplink=bond0 "$HANET" start
HANET_CMD="ip netns exec $NS ${ENV[*]} OCF_RESKEY_bridge=xenbr1 OCF_RESKEY_uplink=bond0 $HANET monitor"
IFB_CMD="ip netns exec $NS ${ENV[*]} OCF_RESKEY_bridge_name=xenbr1 OCF_RESKEY_bridge_slaves=bond0 $IFB monitor"
# Both must agree that the bridge is running before we time them.
$HANET_CMD && $IFB_CMD || { echo "an agent does not report the bridge as running"; exit 1; }
BASE_CMD="ip netns exec $NS /bin/true"

children() { # command -> execve count minus the agent's own exec and ip netns exec's
  strace -f -qq -e trace=execve -o "$STAGE/st" $1 >/dev/null 2>&1 || true
  echo $(( $(grep -c 'execve(' "$STAGE/st") - 2 ))
}
hyperfine -N --warmup 20 --runs "$RUNS" --export-json "$STAGE/h.json" \
  -n "ip netns exec true (baseline)" "$BASE_CMD" \
  -n "ocf:hanet:bridge monitor" "$HANET_CMD" \
  -n "ocf:heartbeat:iface-bridge monitor" "$IFB_CMD" >/dev/null
python3 - "$STAGE/h.json" "$(children "$BASE_CMD")" "$(children "$HANET_CMD")" "$(children "$IFB_CMD")" "$RUNS" <<'PY'
import json, sys
data = json.load(open(sys.argv[1]))["results"]
kids = [int(sys.argv[2]) + 1, int(sys.argv[3]), int(sys.argv[4])]  # baseline: true itself is the exec
base = sorted(data[0]["times"])[len(data[0]["times"]) // 2] * 1000
print("| agent | median wall (ms) | median minus `ip netns exec` (ms) | min (ms) | child processes |")
print("|---|---:|---:|---:|---:|")
meds = []
for r, k in zip(data, kids):
    t = sorted(r["times"]); med = t[len(t) // 2] * 1000; meds.append(med)
    print(f"| {r['command']} | {med:.2f} | {med - base:.2f} | {t[0]*1000:.2f} | {k if r is not data[0] else '-'} |")
print()
print(f"iface-bridge / hanet (net of the netns exec baseline): {(meds[2]-base)/max(meds[1]-base,1e-6):.1f}x; runs per command: {sys.argv[5]}")
PY
