# shellcheck shell=bash
# scripts/cluster/scenario, ruleset flushes: `nft flush ruleset` on the
# standby, both node orders, with guard=true and port_lock=true (the
# defaults: the guest ports stay disabled, so nothing gets through, and the
# guard restores the rules) and with guard=false port_lock=false (the
# stopped-role monitor and Pacemaker re-block); the latter flushes are the
# duplicate detector's negative control.

FLUSH_WINDOWS=()
set_guard() {   # true|false: guard and port_lock together
  nx "$A" crm_resource -r "$RSC" -p guard -v "$1" >/dev/null 2>&1 || fail "set guard=$1"
  nx "$A" crm_resource -r "$RSC" -p port_lock -v "$1" >/dev/null 2>&1 || fail "set port_lock=$1"
  # (a parameter change restarts every instance: with equal promotion
  # scores the Promoted role may come back on the other host, seen once in
  # the tier; ask where it is once the transition is over)
  sleep 1
  settle_cluster "$A" || true
  local act; act=$(located "$A") || act=$A
  wait_stable "$act" || fail "stable after guard=$1 port_lock=$1"
}

guards_running() {   # NODE -> number of guard processes
  # shellcheck disable=SC2016  # (runs inside the node)
  nx "$1" bash -c 'n=0; for p in /proc/[0-9]*; do
      c=$(tr "\0" " " <"$p/cmdline" 2>/dev/null) || continue
      case "$c" in *resource.d/hanet/vhostnet\ block\ |*resource.d/hanet/vhostnet\ stop\ ) n=$((n+1));; esac
    done; echo $n'
}

FLUSH_RESULTS=()
FLUSH_N=0
flush_test() {   # GUARD(true|false) STANDBY
  local guard=$1 sb=$2 act mon off t0 t1 deadline j; local -a pa
  act=$(other "$sb")
  [ "$(located "$A")" = "$act" ] || fail "flush test: $RSC expected on $act"
  blocked "$sb" || fail "flush test: $sb blocked before"
  FLUSH_N=$((FLUSH_N + 1))
  mon=$WORK/nftmon-$FLUSH_N-guard-$guard-$sb.txt
  start_nftmon "$sb" "$mon"
  off=$(probe_offset); pcmk_args pa
  # (guard=false: a random phase against the 3 s stopped-role monitor)
  [ "$guard" = true ] || sleep "$((RANDOM % 3)).$((RANDOM % 10))"
  t0=$(now)
  ip netns exec "hanet-$sb" nft flush ruleset
  deadline=$(( EPOCHSECONDS + WAIT_S ))
  until blocked "$sb"; do
    [ "$EPOCHSECONDS" -lt "$deadline" ] || { stop_nftmon; bad "flush on $sb (guard=$guard): block not back in ${WAIT_S}s"; return 0; }
    sleep 0.005
  done
  # let Pacemaker finish what it does about it (a cleanup while its
  # transition is in flight loses the transition's pending cancel: the
  # controller then waits 80 s for it, with the resource stopped everywhere)
  settle_cluster "$act"
  sleep 0.5; t1=$(now)
  stop_nftmon
  FLUSH_WINDOWS+=("--exclude" "$t0:$t1")
  # flush -> block back, from nft's own event stream
  local gone back by
  gone=$(awk '/delete table bridge hanet_/ { print $1; exit }' "$mon")
  back=$(awk -v g="${gone:-0}" '$1 >= g && /add table bridge hanet_/ { print $1; exit }' "$mon")
  by=$(awk -v b="${back:-0}" '$1 >= b && /# new generation .* by process/ { sub(/.*by process /, ""); print; exit }' "$mon")
  # shellcheck disable=SC2086
  j=$("$PY" "$PROBE" window --log "$PLOG" --offset "$off" --t0 "$t0" --t1 "$t1" --before 0 --old "$sb" --new "$act" --label flush "${pa[@]}")
  local dup gap_active stop_active stop_sb det msg restore
  dup=$(jget "$j" dup)
  gap_active=$(jget "$j" "guests.guest1.max_gap_by_host_ms.$act")
  restore=$( [ -n "$gone" ] && [ -n "$back" ] && ms_between "$gone" "$back" || echo "")
  local hits
  # shellcheck disable=SC2086
  hits=$("$PY" "$PROBE" pcmkgrep "${pa[@]}" --t0 "$t0" --t1 "$t1" \
          --regex "Initiating (stop|demote) operation ${RSC}_(stop|demote)_0|Result of monitor operation for $RSC on $sb: ")
  stop_active=0 stop_sb=0 det=""
  # (promotable: a demote of the promoted instance is as bad as a stop)
  grep -Eq "Initiating (stop|demote) operation ${RSC}_(stop|demote)_0 (locally )?on $act\$" <<<"$hits" && stop_active=1
  grep -Eq "Initiating stop operation ${RSC}_stop_0 (locally )?on $sb\$" <<<"$hits" && stop_sb=1
  det=$(awk '/Result of monitor operation/ { print $1; exit }' <<<"$hits")
  local fails=()
  [ -n "$back" ] || fails+=("no re-block seen by nft monitor")
  [ "$(located "$A")" = "$act" ] || fails+=("$RSC no longer on $act")
  blocked "$sb" || fails+=("$sb not blocked at the end")
  local known=""
  if [ $stop_active = 1 ] && [ "$guard" = false ]; then
    # Known and reported: Pacemaker 2.1.5 sometimes takes the flushed
    # standby as the "current" node of the doubly active resource ("Recover
    # vhostnet (standby)"), so stop_unexpected stops the real active
    # instance too and starts it again there. The end state is right; the
    # active host's guests are cut for a few hundred ms. Checked: bounded,
    # right end state; counted in the results.
    known="KNOWN ISSUE: Pacemaker also stopped and restarted $RSC on the active host $act (no answer from it for ${gap_active} ms)"
    KNOWN_ACTIVE_STOPS=$((KNOWN_ACTIVE_STOPS + 1))
    awk -v g="${gap_active:-99999}" 'BEGIN { exit !(g < 1000) }' || fails+=("active host's guest1 had a ${gap_active} ms gap (> 1000)")
  else
    [ $stop_active = 0 ] || fails+=("Pacemaker stopped $RSC on the ACTIVE host $act")
    awk -v g="${gap_active:-99999}" 'BEGIN { exit !(g < 200) }' || fails+=("active host's guest1 had a ${gap_active} ms gap")
  fi
  if [ "$guard" = true ]; then
    msg="flush on standby $sb (active $act), guard=true: block back ${restore:-?} ms after the flush (by ${by:-?}), duplicates during it: $dup"
    awk -v r="${restore:-99999}" -v m="$GUARD_MAX_MS" 'BEGIN { exit !(r < m) }' || fails+=("guard restore ${restore:-?} ms >= ${GUARD_MAX_MS} ms")
    if awk -v r="${restore:-99999}" -v m="$GUARD_TARGET_MS" 'BEGIN { exit !(r < m) }'; then GUARD_IN_TARGET=$((GUARD_IN_TARGET + 1))
    else msg="$msg (over the ${GUARD_TARGET_MS} ms target)"; fi
    GUARD_FLUSHES=$((GUARD_FLUSHES + 1))
    [ $stop_sb = 0 ] || fails+=("Pacemaker had to stop $sb: the guard did not restore the block first")
    [ "$dup" = 0 ] || fails+=("$dup duplicate answer(s) through the port lock")
  else
    local detms="" reblock_after_det=""
    if [ -n "$det" ]; then
      detms=$(ms_between "$t0" "$det")
      [ -n "$back" ] && reblock_after_det=$(ms_between "$det" "$back")
    fi
    msg="flush on standby $sb (active $act), guard=false: stopped-role monitor saw it after ${detms:-?} ms, block back ${reblock_after_det:-?} ms after that (${restore:-?} ms after the flush, by ${by:-?}), duplicates while unblocked: $dup"
    [ $stop_sb = 1 ] || fails+=("no Pacemaker stop on the standby $sb")
    [ -n "$det" ] || fails+=("no stopped-role monitor result 'ok' on $sb in the logs")
    FLUSH_DUPS_NOGUARD=$(( FLUSH_DUPS_NOGUARD + dup ))
  fi
  FLUSH_RESULTS+=("$guard|$sb|$act|${restore:-}|${detms:-}|${reblock_after_det:-}|$dup|${by:-}|$( [ $stop_active = 1 ] && echo "yes, ${gap_active} ms without answer" || echo no)")
  [ -z "$known" ] || msg="$msg; $known"
  if [ ${#fails[@]} = 0 ]; then ok "$msg"; else bad "$msg: ${fails[*]}"; fi
  # the standby's failed stopped-role monitor counts as a failure there
  # (migration-threshold=1): clear it, as an administrator would
  # (promotable clone: the cleanup's history deletion can race the start
  # it triggers on the flushed host, "Internal communication failure (No
  # such device)" on the start, fail-count INFINITY there; seen once in a
  # 3-round tier run: clean up once more)
  local try
  for try in 1 2 3; do
    nx "$act" crm_resource --cleanup -r "$RSC_ID" -N "$sb" >/dev/null 2>&1 || true
    settle_cluster "$act"
    if wait_stable "$act" "$act" 10; then break; fi
    [ "$try" -lt 3 ] || fail "stable after the flush test on $sb"
    say "flush on $sb: not stable after the cleanup, cleaning up again"
  done
}

flip() {   # move vhostnet from ACT to the other host, clear the constraint; ACT = new host
  local to
  to=$(other "$ACT")
  move_to "$ACT" "$to" >/dev/null 2>&1 || fail "move to $to"
  wait_located "$to" "$to" || fail "move to $to"
  move_clear "$to" >/dev/null 2>&1 || fail "clear"
  wait_stable "$to" || fail "stable on $to"
  ACT=$to
}

run_flush_tests() {
  FLUSH_DUPS_NOGUARD=0 KNOWN_ACTIVE_STOPS=0 GUARD_IN_TARGET=0 GUARD_FLUSHES=0
  ACT=$(located "$A") || fail "where is $RSC"
  # guard=true port_lock=true (the defaults): the port lock holds and the
  # guard restores the rules, in both orders
  for _ in $(seq 1 "$FLUSH_ROUNDS"); do
    flush_test true "$(other "$ACT")"; flip
    flush_test true "$(other "$ACT")"; flip
  done
  say "guard restored the block within the ${GUARD_TARGET_MS} ms target in $GUARD_IN_TARGET of $GUARD_FLUSHES flushes (a check fails above ${GUARD_MAX_MS} ms)"
  # guard=false port_lock=false: the stopped-role monitor and Pacemaker
  # re-block. Every host must have been promoted since (which ends an old
  # guard and opens the port lock) and then demoted with both off.
  set_guard false
  ACT=$(located "$A") || fail "where is $RSC"
  flip; flip
  [ "$(guards_running "$A")$(guards_running "$B")" = 00 ] || fail "guard=false: guard processes still running ($A: $(guards_running "$A"), $B: $(guards_running "$B"))"
  for _ in $(seq 1 "$FLUSH_ROUNDS"); do
    flush_test false "$(other "$ACT")"; flip
    flush_test false "$(other "$ACT")"; flip
  done
  # negative control of the duplicate detector: with guard=false both hosts
  # answer until Pacemaker re-blocks; a probe that saw nothing is blind
  if [ "$FLUSH_DUPS_NOGUARD" -gt 0 ]; then
    ok "negative control: the probe saw $FLUSH_DUPS_NOGUARD duplicate answer(s) while a flushed standby was unblocked"
  else
    bad "negative control: no duplicate seen while a flushed standby was unblocked: the duplicate detector is blind"
  fi
  [ "$KNOWN_ACTIVE_STOPS" = 0 ] || say "known issue seen in $KNOWN_ACTIVE_STOPS of $((2 * FLUSH_ROUNDS)) guard=false flushes: Pacemaker restarted the active host too"
  set_guard true
}
