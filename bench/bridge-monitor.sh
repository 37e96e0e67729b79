#!/usr/bin/env bash
# Benchmark: `monitor` of the installed ocf:hanet:bridge against resource-agents'
# ocf:heartbeat:iface-bridge, on the same bridge, in one run.
#
#   sudo bash bench/bridge-monitor.sh [RUNS]
#
# Installs hanet into a scratch root (make install DESTDIR=...), builds a
# throwaway namespace with xenbr1 + uplink, starts the bridge once, then times
# `monitor` of both agents with hyperfine (no shell, -N, run inside the
# namespace so only the agent is timed) and counts child
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
COMMON=(OCF_ROOT=/usr/lib/ocf HA_RSCTMP="$STAGE/run" OCF_RESOURCE_INSTANCE=xenbr1 OCF_RESKEY_CRM_meta_interval=10000)
HANET_ENV=("${COMMON[@]}" OCF_RESKEY_bridge=xenbr1 OCF_RESKEY_uplink=bond0)
IFB_ENV=("${COMMON[@]}" OCF_RESKEY_bridge_name=xenbr1 OCF_RESKEY_bridge_slaves=bond0)
# Both must agree that the bridge is running before we time them.
env "${HANET_ENV[@]}" ip netns exec "$NS" "$HANET" monitor && env "${IFB_ENV[@]}" ip netns exec "$NS" "$IFB" monitor ||
  { echo "an agent does not report the bridge as running"; exit 1; }

# Successful execve calls, minus `ip netns exec` itself: the agent's own
# exec plus every child it starts.
execs() { # env-array-name, command...
  local -n vars=$1; shift
  env "${vars[@]}" strace -f -qq -e trace=execve -o "$STAGE/st" ip netns exec "$NS" "$@" >/dev/null 2>&1 || true
  echo $(( $(grep -E 'execve\(' "$STAGE/st" | grep -c '= 0$') - 1 ))
}
time_it() { # name, env-array-name, json, command...
  local name=$1 vars=$2 json=$3; shift 3
  local -n v=$vars
  # hyperfine itself runs inside the namespace: only the agent is timed.
  env "${v[@]}" ip netns exec "$NS" hyperfine -N --warmup 20 --runs "$RUNS" --export-json "$json" -n "$name" "$*" >/dev/null 2>&1
}
NONE=()
time_it "/bin/true (process start floor)" NONE "$STAGE/0.json" /bin/true
time_it "ocf:hanet:bridge monitor" HANET_ENV "$STAGE/1.json" "$HANET" monitor
time_it "ocf:heartbeat:iface-bridge monitor" IFB_ENV "$STAGE/2.json" "$IFB" monitor
K0=$(execs NONE /bin/true); K1=$(execs HANET_ENV "$HANET" monitor); K2=$(execs IFB_ENV "$IFB" monitor)
python3 - "$STAGE" "$K0" "$K1" "$K2" "$RUNS" <<'PY'
import json, sys
data = [json.load(open(f"{sys.argv[1]}/{i}.json"))["results"][0] for i in range(3)]
kids = [int(sys.argv[2]) - 1, int(sys.argv[3]) - 1, int(sys.argv[4]) - 1]  # minus the agent's own exec
base = sorted(data[0]["times"])[len(data[0]["times"]) // 2] * 1000
print("| command | median wall (ms) | median minus /bin/true (ms) | min (ms) | child processes |")
print("|---|---:|---:|---:|---:|")
meds = []
for r, k in zip(data, kids):
    t = sorted(r["times"]); med = t[len(t) // 2] * 1000; meds.append(med)
    print(f"| {r['command']} | {med:.2f} | {med - base:.2f} | {t[0]*1000:.2f} | {k if r is not data[0] else '-'} |")
print()
print(f"iface-bridge / hanet: {meds[2]/meds[1]:.1f}x (median wall); runs per command: {sys.argv[5]}")
PY
