#!/usr/bin/env bash
# shellcheck disable=SC2034,SC2119 # environment arrays are passed to bench/lib.sh by name
# The part of bench/bond-monitor.sh that runs INSIDE the VM (scripts/vm/run:
# Debian's stock kernel, which has the bonding driver; TCG, ~20x slower than
# the host). Not meant to be run by hand: bench/bond-monitor.sh builds the
# stage on the host and passes BENCH_STAGE, BENCH_RUNS, BENCH_FAILOVERS.
#
# 1. monitor: an active-backup bond (miimon 100) over two veth pairs, started
#    by ocf:hanet:bond; `monitor` of the agent and of our shell re-creation
#    (bench/bond-monitor-shell) timed with hyperfine inside the namespace.
# 2. failover-to-report latency of `hanet watch --netns NS`: the active slave's
#    peer is set down BENCH_FAILOVERS times; for each, the time from just
#    before `ip link set PEER down` to the watch line "active slave ...
#    (failover)", and the kernel's own failover time from the same event (the
#    bonding driver's "making interface the new active one" in the kernel log,
#    placed on the same clock by a marker written to /dev/kmsg just before).
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
[ "${HANET_VM:-}" = 1 ] || bench_die "this runs inside the VM: use bench/bond-monitor.sh"
STAGE=${BENCH_STAGE:?}
AGENT=$STAGE/usr/lib/hanet/hanet-agent
HANET=$STAGE/usr/sbin/hanet
BENCH_ROWS=$STAGE/rows.tsv
: >"$BENCH_ROWS"
BENCH_RUNS=${BENCH_RUNS:-60}
BENCH_WARMUP=3
FAILOVERS=${BENCH_FAILOVERS:-12}
NS=hanet-bench
BOND=$(bench_link bond)
SHELL_BOND=$BENCH_DIR/bond-monitor-shell
mkdir -p "$STAGE/run"
WATCH_PID=
cleanup() {
  [ -n "$WATCH_PID" ] && kill "$WATCH_PID" 2>/dev/null
  ip netns del "$NS" 2>/dev/null || true
}
trap cleanup EXIT

BOND_ENV=(OCF_ROOT=/usr/lib/ocf HA_RSCTMP="$STAGE/run" OCF_RESOURCE_INSTANCE=bond0 OCF_RESKEY_CRM_meta_interval=10000
  OCF_RESKEY_bond=bond0 "OCF_RESKEY_slaves=veth0a veth1a" OCF_RESKEY_mode=active-backup OCF_RESKEY_miimon=100)
ip netns add "$NS"
ip -n "$NS" link add veth0a type veth peer name veth0b
ip -n "$NS" link add veth1a type veth peer name veth1b
ip -n "$NS" link set veth0b up
ip -n "$NS" link set veth1b up
bench_in "$NS" BOND_ENV "$BOND" start || bench_die "ocf:hanet:bond start failed"
# Both slaves up (monitor 0, not 190 degraded) before anything is timed.
for ((i = 0; ; i++)); do
  rc=0
  bench_in "$NS" BOND_ENV "$BOND" monitor >/dev/null 2>&1 || rc=$?
  [ $rc = 0 ] && break
  ((i < 50)) || bench_die "bond0 not fully up (monitor $rc)"
  sleep 0.1
done
rc=0
bench_in "$NS" BOND_ENV "$SHELL_BOND" monitor || rc=$?
[ $rc = 0 ] || bench_die "the shell monitor says $rc for a healthy bond"
MACHINE=$(bench_machine)

bench_run --impl "/bin/true (process start floor)" --action "-" --ns "$NS" --no-instructions -- /bin/true
bench_run --impl "ocf:hanet:bond" --action monitor --ns "$NS" --env BOND_ENV -- "$BOND" monitor
bench_run --impl "shell re-creation (bench/bond-monitor-shell)" --action monitor --ns "$NS" --env BOND_ENV \
  --runs $((BENCH_RUNS / 2)) --no-instructions -- "$SHELL_BOND" monitor

# ---- failover-to-report latency of `hanet watch`
bench_log "failover: $FAILOVERS times"
"$HANET" watch --netns "$NS" >"$STAGE/watch.log" 2>&1 &
WATCH_PID=$!
for ((i = 0; i < 100; i++)); do grep -q watching "$STAGE/watch.log" && break; sleep 0.05; done
: >"$STAGE/failovers.tsv"
nap() { # sleep without a fork (a fork+exec costs ~10 ms under TCG)
  [[ -n ${nap_fd:-} ]] || exec {nap_fd}<> <(:)
  read -r -t "$1" -u "$nap_fd" || true
}
slave_mii() { ip netns exec "$NS" cat "/sys/class/net/$1/bonding_slave/mii_status"; }
# Failover 0 is a warm-up, reported but not counted: under TCG the first
# pass through the watch's event code is translated first (tens of ms).
for ((k = 0; k <= FAILOVERS; k++)); do
  active=$(ip netns exec "$NS" cat /sys/class/net/bond0/bonding/active_slave)
  case $active in
    veth0a) peer=veth0b other=veth1a ;;
    veth1a) peer=veth1b other=veth0a ;;
    *) bench_die "no active slave (got '$active')" ;;
  esac
  lines=$(wc -l <"$STAGE/watch.log")
  echo "hanet-bench: failover $k" >/dev/kmsg
  t0=$EPOCHREALTIME
  ip -n "$NS" link set "$peer" down
  t1=$EPOCHREALTIME
  # No polling while the failover happens: the VM has one vCPU, and a poll
  # loop's forks would delay the watch process we are measuring.
  nap 1.5
  tail -n +"$((lines + 1))" "$STAGE/watch.log" | grep -q "(failover)" ||
    bench_die "failover $k: no '(failover)' line from hanet watch within 1.5 s"
  printf '%s\t%s\t%s\t%s\t%s\n' "$k" "$active" "$other" "$t0" "$t1" >>"$STAGE/failovers.tsv"
  ip -n "$NS" link set "$peer" up
  for ((w = 0; w < 100; w++)); do [ "$(slave_mii "$active")" = up ] && break; nap 0.05; done
  nap 0.3
done
kill "$WATCH_PID" 2>/dev/null; wait "$WATCH_PID" 2>/dev/null || true; WATCH_PID=
dmesg >"$STAGE/dmesg.txt"

echo "## bond monitor (inside the VM: Debian kernel $(uname -r) under qemu TCG, 1 vCPU)"
echo
echo "source: ${BENCH_SOURCE:-unknown}  "
echo "VM: $MACHINE  "
echo "host: ${BENCH_HOST:-unknown}"
echo
bench_table --floor "/bin/true (process start floor)"
echo
bench_table --ratio "shell re-creation (bench/bond-monitor-shell)" "ocf:hanet:bond"
echo
echo "## hanet watch: failover-to-report latency ($FAILOVERS failovers, active-backup, miimon 100)"
echo
python3 - "$STAGE" <<'PY'
import re, sys, time
stage = sys.argv[1]
runs = [l.rstrip("\n").split("\t") for l in open(f"{stage}/failovers.tsv")]
watch = []
for line in open(f"{stage}/watch.log"):
    m = re.match(r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)\.(\d{3}) (.*)", line)
    if m:
        t = time.mktime(time.strptime(m.group(1), "%Y-%m-%d %H:%M:%S")) + int(m.group(2)) / 1000
        watch.append((t, m.group(3)))
kern = []
for line in open(f"{stage}/dmesg.txt"):
    m = re.match(r"\[\s*(\d+\.\d+)\] (.*)", line)
    if m:
        kern.append((float(m.group(1)), m.group(2)))
cols = {"ip link set down (command itself)": [], "kernel failover, from the down command": [],
        "hanet watch line, from the down command": [], "hanet watch line, after the kernel's failover": []}
warm = None
for k, old, new, t0, t1 in runs:
    t0, t1 = float(t0), float(t1)
    marker = next(t for t, m in kern if m == f"hanet-bench: failover {k}")
    tk = next(t for t, m in kern if t >= marker and "making interface the new active one" in m and new in m)
    # The kernel log and the marker share one clock; the marker was written
    # just before t0 was read (two shell builtins, microseconds apart).
    kernel = tk - marker
    tw = next(t for t, m in watch if t >= t0 - 0.001 and "(failover)" in m)
    if k == "0":
        warm = ((t1 - t0) * 1000, kernel * 1000, (tw - t0) * 1000)
        continue
    cols["ip link set down (command itself)"].append((t1 - t0) * 1000)
    cols["kernel failover, from the down command"].append(kernel * 1000)
    cols["hanet watch line, from the down command"].append((tw - t0) * 1000)
    cols["hanet watch line, after the kernel's failover"].append((tw - t0 - kernel) * 1000)
def q(v, p):
    v = sorted(v); return v[max(0, min(len(v) - 1, round(p / 100 * (len(v) - 1))))]
print("| interval (ms) | min | median | max |")
print("|---|---:|---:|---:|")
for name, v in cols.items():
    print(f"| {name} | {min(v):.1f} | {q(v, 50):.1f} | {max(v):.1f} |")
print()
counted = [r for r in runs if r[0] != "0"]
print(f"failovers: {len(counted)} (after one warm-up failover: ip {warm[0]:.0f} ms, kernel {warm[1]:.0f} ms, "
      f"watch {warm[2]:.0f} ms); watch timestamps have 1 ms resolution (truncated): the last row is biased by up to -1 ms.")
print()
print("per failover (ms): " + "; ".join(
    f"{k}: {old}->{new} ip {a:.0f}, kernel {b:.0f}, watch {c:.0f}" for (k, old, new, *_), a, b, c in
    zip(counted, *[cols[n] for n in list(cols)[:3]])))
PY
