# shellcheck shell=bash
# scripts/cluster/scenario, planned switchovers: the warm-up (hostB's first
# activation ever), then one round of `crm_standby` or `crm_resource --move`
# of the active host (round_standby, round_move; cmd_run calls round_TYPE).

warm_up() {
  # (three hosts: each of the others in turn)
  local x
  for x in $(others "$A"); do warm_up_host "$x"; done
}

warm_up_host() {   # B: the host to warm up
  # hostB has never been active: it cannot know the silent guest's MAC (a
  # blocked host sees no guest frame), so it cannot announce it. Show that
  # once, then let the client re-ARP (as its ARP cache would on expiry).
  local B=$1 off t0 t1 j; local -a pa
  off=$(probe_offset); pcmk_args pa; t0=$(now)
  move_to "$A" "$B" >/dev/null 2>&1 || fail "warm-up move to $B"
  wait_located "$B" "$B" || fail "warm-up: $RSC on $B"
  sleep 1; t1=$(now)
  j=$("$PY" "$PROBE" window --log "$PLOG" --offset "$off" --t0 "$t0" --t1 "$t1" --old "$A" --new "$B" --silent 1 --silent-mac "$G2_MAC" --label warmup "${pa[@]}")
  say "note: first activation of $B ever: ordinary guest back after $(jget "$j" guests.guest1.outage_ms) ms;" \
      "silent guest answered $(jget "$j" "guests.guest2.answers.$B") probes within 1 s (it cannot be announced: $B never saw its MAC)"
  sx arping -q -c 1 -w 1 -I sw0 "$G2_IP" || true
  sx arping -q -c 1 -w 1 -I sw0 "$G1_IP" || true
  # hostB's bridge learns the guests' MACs on their vifs from the answers;
  # hostB records them when it is blocked again (stop)
  local deadline=$(( EPOCHSECONDS + WAIT_S )) f
  while :; do
    f=$(nx "$B" bridge fdb show br xenbr1 2>/dev/null || true)
    grep -q "^$G2_MAC dev vif2.0 " <<<"$f" && grep -q "^$G1_MAC dev vif1.0 " <<<"$f" && break
    [ "$EPOCHSECONDS" -lt "$deadline" ] || fail "warm-up: $B's bridge did not learn the guests' MACs"
    sleep 0.1
  done
  move_to "$B" "$A" >/dev/null 2>&1 || fail "warm-up move back to $A"
  wait_located "$A" "$A" || fail "warm-up: $RSC back on $A"
  f=$(nx "$B" bash -c 'cat /run/resource-agents/hanet-vhostnet-*-macs.state 2>/dev/null' || true)
  if ! grep -qi "^$G1_MAC=vif1.0" <<<"$f" || ! grep -qi "^$G2_MAC=vif2.0" <<<"$f"; then
    fail "warm-up: $B did not record the guests' MACs when it was blocked again (registry: ${f:-empty})"
  fi
  move_clear "$A" >/dev/null 2>&1 || true
  wait_stable "$A" || fail "warm-up: stable on $A"
  only_active_answers "$A" 1 || fail "warm-up: only $A answers ($STEADY)"
  ok "warm-up: both hosts know both guest MACs; only $A answers ($STEADY)"
}

settle() { sleep "$SETTLE_S"; }

round_standby() {   # N
  local n=$1 old new off t0 t1; local -a pa
  old=$(located "$A") || fail "where is $RSC"; new=$(other "$old")
  off=$(probe_offset); pcmk_args pa; t0=$(now)
  nx "$old" crm_standby -N "$old" -v on >/dev/null 2>&1 || fail "crm_standby -N $old -v on"
  wait_located "$new" "$new" || fail "standby $old: $RSC on $new"
  settle; t1=$(now)
  round_report standby "$n" "$old" "$new" "$t0" "$t1" "$off" "${pa[@]}"
  nx "$new" crm_standby -N "$old" -v off >/dev/null 2>&1 || fail "crm_standby -N $old -v off"
  wait_stable "$new" || fail "after standby round $n: stable on $new"
}

round_move() {   # N
  local n=$1 old new off t0 t1; local -a pa
  old=$(located "$A") || fail "where is $RSC"; new=$(other "$old")
  off=$(probe_offset); pcmk_args pa; t0=$(now)
  move_to "$old" "$new" >/dev/null 2>&1 || fail "crm_resource --move"
  wait_located "$new" "$new" || fail "move: $RSC on $new"
  settle; t1=$(now)
  round_report move "$n" "$old" "$new" "$t0" "$t1" "$off" "${pa[@]}"
  move_clear "$new" >/dev/null 2>&1 || fail "crm_resource --clear"
  wait_stable "$new" || fail "after move round $n: stable on $new"
}
