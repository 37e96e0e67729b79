#!/usr/bin/env bash
# scripts/tests/reliability/arptables-race.sh: a reproducer, not run by the
# tier (RELIABILITY.md, "Not covered"). arptables-legacy 0.0.5 takes no lock;
# hanet's iptables backend edits the arp filter table under the xtables lock
# with one read and one replace, and the kernel's only guard against a
# concurrent writer is the entry count (EAGAIN when it changed).
#
#   sudo bash scripts/tests/reliability/arptables-race.sh [STAGE] [--flock | --control]
#
# STAGE is a `make install DESTDIR=` root (default: one is made under .build).
# In a throwaway network + PID namespace, LOOPS (4) vhostnet resources
# (backend iptables) block and unblock ROUNDS (150) times each, in parallel,
# while one arptables-legacy writer adds rules and deletes its oldest ones;
# after a failed call it looks at the table and retries only what did not
# happen. Printed: the writer's failed calls, how many of those had taken
# effect anyway (its replace went through, its counter update after it got
# EINVAL), and the rules that differ from what the writer left: "<" lost,
# ">" back after their deletion.
#   --flock    the writer holds the xtables lock around each call: no difference
#   --control  no hanet at all: a second arptables-legacy process adds and
#              deletes its own rules instead (the same differences appear:
#              the race is the lockless tool's, not hanet's)
set -uo pipefail
if [ "${1:-}" != --inside ]; then
  cd "$(dirname "$0")/../../.." || exit 1
  stage="" mode=""
  for a in "$@"; do case $a in --flock | --control) mode=$a ;; *) stage=$a ;; esac; done
  if [ -z "$stage" ]; then
    stage=$(mktemp -d "$PWD/.build/arptables-race.XXXXXX") && trap 'rm -rf "$stage"' EXIT
    make -s install DESTDIR="$stage" >/dev/null 2>&1 || { echo "make install failed"; exit 1; }
  fi
  unshare --net --mount --pid --fork --mount-proc --kill-child bash "$0" --inside "$(cd "$stage" && pwd)" "$mode"
  exit
fi
RA=$2/usr/lib/ocf/resource.d/hanet MODE=${3:-}
W=$(mktemp -d)
export HA_RSCTMP=$W OCF_RESKEY_backend=iptables OCF_RESKEY_guard=false OCF_RESKEY_announce=0 XTABLES_LOCKFILE=$W/xtables.lock
arptables-legacy -A FORWARD -i seed -j ACCEPT
LOOPS=${LOOPS:-4} ROUNDS=${ROUNDS:-150}
for l in $(seq 1 "$LOOPS"); do # the other writers, in parallel
  (
    for i in $(seq 1 "$ROUNDS"); do
      if [ "$MODE" = --control ]; then
        arptables-legacy -A FORWARD -i "x$l-$i" -j ACCEPT; arptables-legacy -D FORWARD -i "x$l-$i" -j ACCEPT
      else
        OCF_RESKEY_bridge=xenbr$l "$RA/vhostnet" stop; OCF_RESKEY_bridge=xenbr$l "$RA/vhostnet" start
      fi
    done >>"$W/others.log" 2>&1
    touch "$W/done.$l"
  ) &
done
( while [ "$(find "$W" -name 'done.*' | wc -l)" -lt "$LOOPS" ]; do sleep 0.1; done; touch "$W/stop" ) &
arp() { if [ "$MODE" = --flock ]; then flock "$XTABLES_LOCKFILE" arptables-legacy "$@"; else arptables-legacy "$@"; fi; }
has() { arptables-legacy -L -n | grep -q -- "-i $1 \$"; }
write() { # -A|-D name
  local _
  for _ in 1 2 3 4 5; do
    arp "$1" FORWARD -i "$2" -j ACCEPT 2>/dev/null && return 0
    failed=$((failed + 1))
    if has "$2"; then [ "$1" = -A ]; else [ "$1" = -D ]; fi && { done_anyway=$((done_anyway + 1)); return 0; }
  done
  return 1
}
alive=() n=0 failed=0 done_anyway=0
while [ ! -e "$W/stop" ]; do
  n=$((n + 1))
  write -A "w$n" && alive+=("w$n")
  if ((${#alive[@]} > 20)) && write -D "${alive[0]}"; then alive=("${alive[@]:1}"); fi
done
wait
want=$(printf '%s\n' seed "${alive[@]}" | sort)
got=$(arptables-legacy -L -n | grep -oE -- '-i (seed|w[0-9]+)' | cut -d' ' -f2 | sort)
others=$([ "$MODE" = --control ] && echo "$LOOPS arptables-legacy loops" || echo "$LOOPS vhostnet (iptables) loops")
echo "writer ${MODE:-(no lock)} beside $others: $n rules added, $failed failed calls, $done_anyway of them had taken effect"
if [ "$want" = "$got" ]; then echo "no difference"; exit 0; fi
echo "DIFFERENCE (< added but gone, > deleted but back):"
diff <(echo "$want") <(echo "$got")
exit 1
