#!/usr/bin/env bash
# Tier "cluster": the two-host scenario (seed 004 with the other seeds'
# networking) under a real Corosync + Pacemaker cluster, short form.
#
# `make install DESTDIR=...` into a scratch root, a two-node lab cluster
# (scripts/cluster/cluster, fenced: stonith:fence_hanetlab) whose provider
# "hanet" is that root's agent, and scripts/cluster/scenario: boot-time
# block, bridge clone + vhostnet, a client probing two guests (one silent)
# every 10 ms, three rounds each of standby, move, splitbrain (fencing off on
# purpose, ring cut: the host that opened later must yield within 200 ms,
# and its monitor say so), partition (only the corosync ring cut: the
# promoted host wins the fence race and keeps its guests) and crash
# switchovers (the survivor fences the crashed host, which
# reboots with its guests blocked first, and rejoins), and `nft flush
# ruleset` on the standby with guard and port lock on (0 duplicates) and
# off, in both node orders. Every check must be able to fail: the crash
# outage is the probe's positive control, the guard=false flush its
# negative control (duplicates seen). Then a three-node lab: the promoted
# host's ring is cut while the fence device lies (answers "off", does
# nothing); it loses quorum and must block its guests within 500 ms
# (quorum_block), one control round with quorum_block=false must not.
# Then guest groups (scenario groups): two hosts active/active, each
# group's move and its host's standby, the other group must not lose an
# answer; three hosts, three groups, standby and crash of each group's
# host, only its group moves.
# Ends with "N passed, N failed"; exit status non-zero on any failure.
#
#   HANET_CLUSTER_TIER_ROUNDS   rounds per switchover type (default 3)
#   HANET_CLUSTER_TIER_TIMEOUT  s, hard bound for the two-host run (default 420)
#   HANET_CLUSTER_TIER_QUORUM_TIMEOUT  s, for the three-node run (default 300)
#   HANET_CLUSTER_TIER_GROUPS_ROUNDS   rounds per type of the guest-group runs (default 2)
#   HANET_CLUSTER_TIER_GROUPS_TIMEOUT  s, for each guest-group run (default 240)
set -euo pipefail
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
ROUNDS=${HANET_CLUSTER_TIER_ROUNDS:-3}
LIMIT=${HANET_CLUSTER_TIER_TIMEOUT:-420}
QUORUM_LIMIT=${HANET_CLUSTER_TIER_QUORUM_TIMEOUT:-300}
GROUPS_ROUNDS=${HANET_CLUSTER_TIER_GROUPS_ROUNDS:-2}
GROUPS_LIMIT=${HANET_CLUSTER_TIER_GROUPS_TIMEOUT:-240}
LOGS=${HANET_TEST_LOG:-$ROOT/.build/test-logs}/cluster-scenario
[ -e /proc/$$/fd/0 ] || exec </dev/null

if [ "$(id -u)" != 0 ]; then
  echo "FAIL cluster tier needs root"; echo "0 passed, 1 failed"; exit 1
fi
for t in corosync pacemakerd crm nft arping python3; do
  command -v "$t" >/dev/null || { echo "FAIL missing $t (scripts/install-deps.sh)"; echo "0 passed, 1 failed"; exit 1; }
done
if [ -d "${HANET_CLUSTER_STATE:-/run/hanet-cluster}" ]; then
  echo "FAIL a lab cluster is already up (${HANET_CLUSTER_STATE:-/run/hanet-cluster}): scripts/cluster/cluster down first"
  echo "0 passed, 1 failed"; exit 1
fi

STAGE=$(mktemp -d /tmp/hanet-cluster-tier.XXXXXX)
trap 'rm -rf "$STAGE"' EXIT
# Pacemaker runs meta-data as hacluster: the agent's path must be readable
chmod 0755 "$STAGE"
t0=$(date +%s)
if ! make -s install DESTDIR="$STAGE" >"$STAGE/install.log" 2>&1; then
  tail -30 "$STAGE/install.log"; echo "FAIL make install into $STAGE failed"; echo "0 passed, 1 failed"; exit 1
fi
echo "installed into $STAGE ($(( $(date +%s) - t0 )) s)"

rm -rf "$LOGS"
PASSED=0 FAILED=0 RC=0
# The scenario cleans up (lab, cluster) on every exit path and prints the
# closing "N passed, N failed" itself; the timeout is a last resort (TERM
# runs that cleanup, KILL 30 s later).
run_scenario() {   # NAME LIMIT-S run|groups SCENARIO-ARGS...
  local name=$1 limit=$2 cmd=$3 rc summary; shift 3
  set +e
  timeout -k 30 "$limit" scripts/cluster/scenario "$cmd" --up \
    --agent "$STAGE/usr/lib/hanet/hanet-agent" --keep-logs "$LOGS/$name" "$@" 2>&1 |
    tee "$STAGE/$name.log"
  rc=${PIPESTATUS[0]}
  set -e
  summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$STAGE/$name.log" | tail -1 || true)
  if [ -z "$summary" ]; then
    echo "FAIL $name scenario ended without a summary (exit status $rc)"
    if [ -d "${HANET_CLUSTER_STATE:-/run/hanet-cluster}" ]; then scripts/cluster/cluster down >/dev/null 2>&1 || true; fi
    summary="0 passed, 1 failed"
  elif [ "$rc" != 0 ]; then
    # a summary with 0 failures but a non-zero exit (e.g. killed) must not pass
    case "$summary" in *" 0 failed") summary="${summary%% *} passed, 1 failed" ;; esac
  fi
  echo "$name: $summary"
  PASSED=$((PASSED + ${summary%% passed*}))
  FAILED=$((FAILED + $(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$summary")))
  [ "$rc" = 0 ] || RC=1
}

# two hosts: every switchover type, the flushes
run_scenario two-hosts "$LIMIT" run --rounds "$ROUNDS" --types standby,move,splitbrain,partition,crash
# three hosts: the promoted host cut off from the ring loses quorum while
# the fence device lies; its guests must stop answering within 500 ms of
# corosync's verdict (quorum_block), and the control (quorum_block=false)
# must be seen answering longer
run_scenario three-hosts "$QUORUM_LIMIT" run --nodes hostA,hostB,hostC --types quorum --rounds "$ROUNDS" --quorum-control 1
# guest groups, each its own promotable clone on the same bridge: two
# hosts active/active (move and standby of each group's host: the other
# group must not lose one answer), three hosts with three groups (standby
# and crash of each host: only its group moves)
run_scenario groups-two-hosts "$GROUPS_LIMIT" groups --rounds "$GROUPS_ROUNDS" --types move,standby
run_scenario groups-three-hosts "$GROUPS_LIMIT" groups --nodes hostA,hostB,hostC --rounds "$GROUPS_ROUNDS" --types standby,crash
echo "tier wall time: $(( $(date +%s) - t0 )) s; logs in $LOGS"
echo "$PASSED passed, $FAILED failed"
[ "$RC" = 0 ] && [ "$FAILED" = 0 ]
