#!/usr/bin/env bash
# shellcheck disable=SC2034,SC2119 # environment arrays are passed to bench/lib.sh by name
# Benchmark: block (stop), unblock (start) and monitor of the installed
# ocf:hanet:vhostnet, nftables and iptables backends, against seed 004's
# approach (iptables/arptables rule 5 replaced by `-R FORWARD 5`) and the naive
# one-rule-per-guest-port script, with 10, 100 and 1000 guest ports, in one run.
#
#   sudo bash bench/vhostnet.sh [RUNS [ROUNDS]]   (default 100 timed runs per command, in 2 rounds)
#
# Environment: BENCH_GUESTS="10 100 1000" (guest counts), BENCH_NAIVE_MAX=1000
# (largest N for the naive script, 0 to skip it; at N=1000 one naive action
# takes ~10 s, so it gets 2 runs).
#
# Per N, a throwaway namespace (the host) holds bridge xenbr1 with an uplink
# up0, dom0's port vif0.0 (exempt) and guest ports vif1.0 .. vifN.0 (veths
# whose other ends, all up, sit in a second namespace: the guests), created with
# `ip -batch`; each guest's MAC is in the bridge's forwarding table as a
# learned (dynamic) entry, as on a host whose guests talk. hyperfine runs
# inside the host namespace; --prepare puts the state back before every timed
# run (unblock before each timed block, block before each timed unblock).
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$REPO"
BENCH_RUNS=${1:-100}
ROUNDS=${2:-2}
BENCH_WARMUP=5
GUESTS=${BENCH_GUESTS:-10 100 1000}
NAIVE_MAX=${BENCH_NAIVE_MAX:-1000}
bench_require hyperfine strace ip bridge nft iptables-legacy arptables-legacy python3
NS=hanet-bench-$$
GNS=hanet-bench-$$-guests
cleanup() {
  ip netns del "$NS" 2>/dev/null || true
  ip netns del "$GNS" 2>/dev/null || true
  [ -n "${STAGE:-}" ] && rm -rf "$STAGE"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
bench_stage
VHOSTNET=$(bench_link vhostnet)
SEED=(bash "$BENCH_DIR/seed004-unblock-vhosts-network")
NAIVE=(bash "$BENCH_DIR/naive-per-port.sh")
mkdir -p "$STAGE/run"
COMMON=(OCF_ROOT=/usr/lib/ocf HA_RSCTMP="$STAGE/run" OCF_RESOURCE_INSTANCE=vhostnet OCF_RESKEY_CRM_meta_interval=5000
  OCF_RESKEY_bridge=xenbr1 OCF_RESKEY_exempt_ports=vif0.0 OCF_RESKEY_announce=0 OCF_RESKEY_guard=false)
NFT_ENV=("${COMMON[@]}" OCF_RESKEY_backend=nftables)
IPT_ENV=("${COMMON[@]}" OCF_RESKEY_backend=iptables)

# topology N: fresh host and guest namespaces with N guest ports.
topology() {
  local n=$1 i
  ip netns del "$NS" 2>/dev/null || true
  ip netns del "$GNS" 2>/dev/null || true
  ip netns add "$NS"
  ip netns add "$GNS"
  # No IPv6: autoconfiguration traffic from 1000 guests would be flooded to
  # 1000 ports and learned, changing the tables while we time.
  for ns in "$NS" "$GNS"; do
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  done
  # The iptables backend (and any physdev/arptables block) needs br_netfilter on.
  ip netns exec "$NS" sysctl -qw net.bridge.bridge-nf-call-iptables=1 net.bridge.bridge-nf-call-ip6tables=1 \
    net.bridge.bridge-nf-call-arptables=1
  {
    echo "link add xenbr1 type bridge ageing_time 360000"
    echo "link set xenbr1 address fe:ff:ff:ff:ff:ff"
    echo "link add up0 type veth peer name sw0 netns $GNS"
    echo "link set up0 master xenbr1 up"
    for ((i = 0; i <= n; i++)); do echo "link add vif$i.0 type veth peer name g$i netns $GNS"; done
    for ((i = 0; i <= n; i++)); do echo "link set vif$i.0 master xenbr1 up"; done
    echo "link set xenbr1 up"
  } >"$STAGE/host.batch"
  {
    echo "link set sw0 up"
    for ((i = 0; i <= n; i++)); do echo "link set g$i up"; done
  } >"$STAGE/guests.batch"
  for ((i = 1; i <= n; i++)); do
    printf 'fdb add 02:00:00:00:%02x:%02x dev vif%d.0 master dynamic\n' $((i / 256)) $((i % 256)) "$i"
  done >"$STAGE/fdb.batch"
  local t0=$EPOCHREALTIME
  ip -n "$NS" -batch "$STAGE/host.batch"
  ip -n "$GNS" -batch "$STAGE/guests.batch"
  # A port accepts learned entries once it forwards, which the bridge decides
  # when the kernel's link watch processes the carrier change (not at once).
  local tries=0
  until [ "$(bridge -n "$NS" link show | grep -c 'state forwarding')" -ge $((n + 2)) ]; do
    ((++tries < 400)) || bench_die "ports of xenbr1 did not reach forwarding within 20 s"
    sleep 0.05
  done
  ((n == 0)) || bridge -n "$NS" -batch "$STAGE/fdb.batch"
  bench_log "N=$n: $((n + 2)) ports on xenbr1 in $(python3 -c "print(f'{$EPOCHREALTIME - $t0:.2f}')") s"
}

MACHINE_BEFORE=$(bench_machine)
START=$EPOCHREALTIME
TOTAL=$BENCH_RUNS
BENCH_RUNS=$(((TOTAL + ROUNDS - 1) / ROUNDS))
seed_round() {
  # seed 004: five rules at fixed positions; block/unblock = two -R commands.
  local impl="seed 004 (-R FORWARD 5)"
  ip netns exec "$NS" "${SEED[@]}" install
  bench_run --impl "$impl" --action block --n "$n" --ns "$NS" --prepare "${SEED[*]} start" -- "${SEED[@]}" stop
  bench_run --impl "$impl" --action unblock --n "$n" --ns "$NS" --prepare "${SEED[*]} stop" -- "${SEED[@]}" start
  bench_run --impl "$impl" --action "monitor (blocked)" --n "$n" --ns "$NS" --prepare "${SEED[*]} stop" -- "${SEED[@]}" status
  bench_run --impl "$impl" --action "monitor (unblocked)" --n "$n" --ns "$NS" --prepare "${SEED[*]} start" -- "${SEED[@]}" status
  ip netns exec "$NS" "${SEED[@]}" remove
}
hanet_round() { # BACKEND
  local envname impl="ocf:hanet:vhostnet $1"
  if [ "$1" = nftables ]; then envname=NFT_ENV; else envname=IPT_ENV; fi
  bench_in "$NS" "$envname" "$VHOSTNET" validate-all || bench_die "$impl: validate-all failed"
  bench_run --impl "$impl" --action block --n "$n" --ns "$NS" --env "$envname" --prepare "$VHOSTNET start" -- "$VHOSTNET" stop
  bench_run --impl "$impl" --action unblock --n "$n" --ns "$NS" --env "$envname" --prepare "$VHOSTNET stop" -- "$VHOSTNET" start
  bench_run --impl "$impl" --action "monitor (blocked)" --n "$n" --ns "$NS" --env "$envname" --rc 7 --prepare "$VHOSTNET stop" -- "$VHOSTNET" monitor
  bench_run --impl "$impl" --action "monitor (unblocked)" --n "$n" --ns "$NS" --env "$envname" --prepare "$VHOSTNET start" -- "$VHOSTNET" monitor
  # Unblocked again: nftables leaves its table dormant, iptables removes its chains.
  bench_in "$NS" "$envname" "$VHOSTNET" start >/dev/null 2>&1
}
for n in $GUESTS; do
  topology "$n"
  # naive: 4 rules per guest, one command each; timed once (it is slow).
  if ((n <= NAIVE_MAX)); then
    r=$((n >= 1000 ? 2 : n >= 100 ? 5 : 20)) w=$((n >= 100 ? 0 : 2))
    # Above 100 guests, strace of 4N commands would take as long again: the
    # count (4 per guest) is then stated, not measured.
    kids=(); ((n > 100)) && kids=(--children "$((4 * n))")
    bench_run --impl "naive (rules per port)" --action block --n "$n" --ns "$NS" --runs "$r" --warmup "$w" --no-instructions \
      "${kids[@]}" --prepare "${NAIVE[*]} flush" -- "${NAIVE[@]}" block "$n"
    bench_run --impl "naive (rules per port)" --action unblock --n "$n" --ns "$NS" --runs "$r" --warmup "$w" --no-instructions \
      "${kids[@]}" --prepare "${NAIVE[*]} reblock $n" -- "${NAIVE[@]}" unblock "$n"
    ip netns exec "$NS" "${NAIVE[@]}" flush
  fi
  # The seed and both hanet backends in ROUNDS interleaved rounds: load from
  # other work on the machine then hits all of them alike.
  for ((round = 1; round <= ROUNDS; round++)); do
    seed_round
    hanet_round nftables
    hanet_round iptables
  done
done
ip netns del "$NS"; ip netns del "$GNS"

echo "## vhostnet block / unblock / monitor (hyperfine -N inside the host namespace; $((BENCH_RUNS * ROUNDS)) runs per hanet and seed command in $ROUNDS interleaved rounds)"
echo
echo "source: $(bench_source)  "
echo "before: $MACHINE_BEFORE  "
echo "after:  $(bench_machine)  "
echo "wall time of the whole benchmark: $(python3 -c "print(round($EPOCHREALTIME - $START))") s"
echo
echo "### medians by number of guest ports"
echo
bench_table --pivot
echo
echo "### seed 004 / hanet (median wall time ratio; >1: hanet is faster)"
echo
bench_table --ratio "seed 004 (-R FORWARD 5)" "ocf:hanet:vhostnet nftables" "ocf:hanet:vhostnet iptables"
echo
echo "### every timed command"
echo
bench_table
