#!/usr/bin/env bash
# Tier "reliability": the installed agents killed at random moments and run
# side by side with outside firewall writers (RELIABILITY.md has the figures
# and what is not covered).
#
# `make install DESTDIR=...` into a scratch root under .build (the VM sees
# it there), then three phases, each in a throwaway network + mount + PID
# namespace (nothing here touches the host's links, rules or processes; the
# PID namespace takes every guard with it):
#
#   kills (host)   scripts/tests/reliability/kills.sh --lab host: SIGKILL at
#                  random points of start and stop of ocf:hanet:bridge (a
#                  created and an adopted bridge) and ocf:hanet:vhostnet with
#                  the nftables and the iptables backend, among foreign links,
#                  FDB entries, nft tables and iptables/ip6tables/arptables rules
#   concurrency    scripts/tests/reliability/concurrency.sh: ten agents in
#                  start/stop loops at once while outside programs add and
#                  delete their own nft and iptables-legacy rules
#   kills (bond)   kills.sh --lab bond inside scripts/vm/run: this kernel has
#                  no bonding driver; the VM runs ~20x slower, so fewer kills
#
# Ends with "N passed, N failed". Counts are environment variables, for
# longer local runs:
#
#   HANET_RELIABILITY_KILLS     landed kills per resource and action on this host (default 25: 10 pairs, 250)
#   HANET_RELIABILITY_VM_KILLS  landed kills per bond action in the VM (default 15: 30; 0 skips the VM)
#   HANET_RELIABILITY_ROUNDS    stop/monitor/start/monitor rounds per concurrent agent (default 40)
#   HANET_RELIABILITY_SEED      seed of the random delays (default: random, printed)
set -uo pipefail
HANET_PROG=reliability HANET_PLAIN=1
# shellcheck source=scripts/lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh" # ok, bad, summary
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
KILLS=${HANET_RELIABILITY_KILLS:-25}
VM_KILLS=${HANET_RELIABILITY_VM_KILLS:-15}
ROUNDS=${HANET_RELIABILITY_ROUNDS:-40}
SEED=${HANET_RELIABILITY_SEED:-$((RANDOM * 32768 + RANDOM))}
LOGS=${HANET_TEST_LOG:-$ROOT/.build/test-logs}/reliability
HERE=scripts/tests/reliability
[ -e /proc/$$/fd/0 ] || exec </dev/null

if [ "$(id -u)" != 0 ]; then echo "reliability tier needs root"; echo "0 passed, 1 failed"; exit 1; fi
for t in unshare nft iptables-legacy-save ip6tables-legacy-save arptables-legacy bridge flock awk; do
  command -v "$t" >/dev/null || { echo "missing $t (scripts/install-deps.sh)"; echo "0 passed, 1 failed"; exit 1; }
done

t0=$(date +%s)
mkdir -p "$ROOT/.build" "$LOGS"
STAGE=$(mktemp -d "$ROOT/.build/reliability.XXXXXX")
trap 'rm -rf "$STAGE"' EXIT
if ! make -s install DESTDIR="$STAGE/root" >"$STAGE/install.log" 2>&1; then
  tail -30 "$STAGE/install.log"; echo "0 passed, 1 failed"; exit 1
fi
echo "installed into $STAGE/root ($(($(date +%s) - t0)) s); seed $SEED; logs in $LOGS"

# A phase's checks count in this tier's: its "N passed, N failed" is added
# to ours; a phase that ended without one (or non-zero with 0 failed) fails.
FIGURES=()
phase() { # name timeout command...
  local name=$1 limit=$2 started rc line p f
  shift 2
  started=$(date +%s)
  echo
  echo "=== $name"
  timeout -k 10 "$limit" "$@" >"$LOGS/$name.log" 2>&1
  rc=$?
  grep -vE '^FIGURE ' "$LOGS/$name.log" | tail -80
  mapfile -t -O "${#FIGURES[@]}" FIGURES < <(grep -E '^FIGURE ' "$LOGS/$name.log")
  line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$LOGS/$name.log" | tail -1)
  p=${line%% passed*} f=${line#*passed, } f=${f%% failed*}
  [ -n "$line" ] || { p=0 f=1; echo "FAIL $name ended without a summary (exit status $rc)"; }
  ((rc != 0 && f == 0)) && { f=1; echo "FAIL $name exited with status $rc"; }
  PASSED=$((PASSED + p)) FAILED=$((FAILED + f))
  echo "$name: $p passed, $f failed ($(($(date +%s) - started)) s)"
}
SANDBOX=(unshare --net --mount --pid --fork --mount-proc --kill-child --propagation private)

phase kills-host 600 "${SANDBOX[@]}" bash "$HERE/kills.sh" --stage "$STAGE/root" --work "$STAGE/kills-host" \
  --lab host --kills "$KILLS" --seed "$SEED"
phase concurrency 600 "${SANDBOX[@]}" bash "$HERE/concurrency.sh" --stage "$STAGE/root" --work "$STAGE/concurrency" \
  --rounds "$ROUNDS" --seed "$SEED"
if ((VM_KILLS > 0)); then
  # The VM's /tmp is its own; its stdout is streamed back (scripts/vm/README.md).
  phase kills-bond-vm 1500 scripts/vm/run --mem 512 --timeout 1400 -- "${SANDBOX[@]}" \
    bash "$HERE/kills.sh" --stage "$STAGE/root" --work /tmp/reliability --lab bond --kills "$VM_KILLS" --seed "$SEED" --samples 3
else
  echo "bond kills in the VM skipped (HANET_RELIABILITY_VM_KILLS=0)"
fi

echo
echo "=== figures (seed $SEED)"
landed=0
for fig in "${FIGURES[@]}"; do
  echo "${fig#FIGURE }"
  [[ $fig =~ \ landed=([0-9]+) ]] && landed=$((landed + BASH_REMATCH[1]))
done
echo "SIGKILLs landed inside an agent, all phases: $landed"
# The same, as the tables of RELIABILITY.md.
echo
echo "| agent / resource | action | kills landed | trials | before any change / part-way / all done | too late / before exec | window, monitor (us) | converged | foreign changed |"
echo "|---|---|---:|---:|---|---|---|---:|---:|"
for fig in "${FIGURES[@]}"; do
  [[ $fig == *" landed="* ]] || continue
  declare -A f=()
  for kv in ${fig#FIGURE }; do [[ $kv == *=* ]] && f[${kv%%=*}]=${kv#*=}; done
  label=$(sed -E 's/.*label="([^"]*) (start|stop)".*/\1/' <<<"$fig")
  echo "| $label | ${f[action]} | ${f[landed]} | ${f[trials]} | ${f[before]} / ${f[partial]} / ${f[after]} | ${f[missed]} / ${f[preexec]} | ${f[window_us]}, ${f[monitor_us]} | ${f[converged]}/${f[trials]} | ${f[foreign_changed]} |"
  unset f
done
echo "tier wall time: $(($(date +%s) - t0)) s"
summary
((FAILED == 0))
