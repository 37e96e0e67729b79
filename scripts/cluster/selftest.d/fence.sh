# shellcheck shell=bash
# scripts/cluster/selftest, the fencing part: the cluster hook it installs
# (a stand-in boot-time block) and host-side views of a node that do not
# rely on the cluster script's own (its processes, its links), with the
# waits and checks built on them. Uses the selftest's globals (A, B, C,
# STATE, BOOTLOG, WAIT_S, fencing).

# The cluster's hook (HOOK isolate|unisolate|boot NODE NETNS HOLDER_PID),
# run by `cluster` on the host when a node is powered on: a stand-in for the
# guests' boot-time block (an nft bridge table that drops everything), and a
# record of whether the node's cluster stack already ran at that moment.
selftest_hook() {  # ACTION NODE NETNS HOLDER_PID
  local stack
  [ "$1" = boot ] || return 0
  stack=$("$C" exec "$2" pidof corosync pacemakerd 2>/dev/null || true)
  ip netns exec "$3" nft -f - <<EOF || return 1
table bridge hanet_selftest_block {
  chain forward { type filter hook forward priority -200; policy drop; }
}
EOF
  echo "$(($(date +%s%N) / 1000000)) $2 block in place; cluster stack: ${stack:-none}" >>"$BOOTLOG"
}

# Host-side views of a node, independent of the cluster script's own.
node_procs() {  # NODE -> "PID COMM" of every live process in it but its holder (and the holder's sleep)
  local h ns p c
  h=$(cat "$STATE/nodes/$1/holder.pid") && ns=$(readlink "/proc/$h/ns/pid") || return 1
  for p in /proc/[0-9]*; do
    [ "$(readlink "$p/ns/pid" 2>/dev/null)" = "$ns" ] || continue
    p=${p#/proc/}; [ "$p" = "$h" ] && continue
    c=$(cat "/proc/$p/comm" 2>/dev/null) || continue
    grep -q '^State:.Z' "/proc/$p/status" 2>/dev/null && continue
    [ "$c" = sleep ] && [ "$(awk '/^PPid:/ { print $2 }' "/proc/$p/status" 2>/dev/null)" = "$h" ] && continue
    echo "$p $c"
  done
}
links_up() {  # NODE -> its links (but lo) that are up
  ip -n "hanet-$1" -o link show | awk -F': ' '$2 != "lo" && $3 ~ /^<([^>]*,)?UP[,>]/ { sub(/@.*/, "", $2); print $2 }'
}
wait_power() {  # NODE on|off: until `cluster power status` says so
  local rc deadline=$(( $(now_ms) + WAIT_S * 1000 ))
  while :; do
    rc=0; "$C" power status "$1" >/dev/null 2>&1 || rc=$?
    case "$2/$rc" in on/0|off/2) return 0 ;; esac
    [ "$(now_ms)" -lt "$deadline" ] || return 1
    sleep 0.02
  done
}
wait_online() {  # VIEW-NODE: until it sees both nodes online
  local deadline=$(( $(now_ms) + WAIT_S * 1000 )) out
  while :; do
    out=$("$C" exec "$1" crm_mon -1 2>/dev/null || true)
    grep -q "Online: \[ $A $B \]" <<<"$out" && return 0
    [ "$(now_ms)" -lt "$deadline" ] || return 1
    sleep 0.1
  done
}
# Both nodes online, the DC idle and both fencers with the fence device
# registered: a fence race from here on is decided by the delay alone.
wait_settled() {
  local deadline=$(( $(now_ms) + WAIT_S * 1000 )) dc st n ok
  wait_online "$A" || return 1
  while :; do
    ok=1
    dc=$("$C" exec "$A" crmadmin -q -D 2>&1 | tail -n1 | sed 's/.*: *//') || ok=0
    st=$("$C" exec "$A" crmadmin -q -S "$dc" 2>&1 | tail -n1) || ok=0
    [[ $st == *S_IDLE* ]] || ok=0
    if [ "${fencing:-1}" = 1 ]; then
      for n in "$A" "$B"; do [[ "$("$C" exec "$n" stonith_admin -L 2>/dev/null)" == *fence-lab* ]] || ok=0; done
    fi
    [ $ok = 1 ] && return 0
    [ "$(now_ms)" -lt "$deadline" ] || return 1
    sleep 0.1
  done
}
boots_of() {  # NODE -> how many times the boot hook ran for it
  local n
  n=$(grep -c " $1 block in place" "$BOOTLOG" 2>/dev/null) || true
  echo "${n:-0}"
}
# After a fence's power-on: the hook blocked NODE before its cluster stack
# ran (the hook saw no corosync/pacemakerd), the cluster's own power log has
# the same order, and the stand-in block is still there.
boot_checks() {  # NODE BOOTS-BEFORE
  local last
  [ "$(boots_of "$1")" -gt "$2" ] || fail "the boot hook ran for $1"
  last=$(grep " $1 block in place" "$BOOTLOG" | tail -n1)
  [[ $last == *"cluster stack: none" ]] || fail "$1 blocked before its cluster stack started: $last"
  last=$(grep -E 'boot: (hook ok|links up|corosync started)' "$STATE/nodes/$1/log/power.log" | tail -n3 | cut -d' ' -f2- | tr '\n' '|')
  [[ $last == "boot: hook ok|boot: links up"*"|boot: corosync started|" ]] || fail "$1's power log order: $last"
  "$C" exec "$1" nft list table bridge hanet_selftest_block >/dev/null 2>&1 || fail "stand-in block in place on $1"
}
