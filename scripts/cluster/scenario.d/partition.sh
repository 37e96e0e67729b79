# shellcheck shell=bash
# scripts/cluster/scenario, partitions: ONLY the corosync ring between the
# hosts is cut (`cluster isolate` with HANET_SCENARIO_RING_ONLY=1: the hook
# leaves the switch ports alone, so both hosts still reach the client and
# their guests). Each host loses the other and both try to fence; with
# priority-fencing-delay and vhostnet-clone priority=10 the host with the
# promoted instance should win: the other is fenced (rebooted, boot-time
# block first) and comes back alone (still cut; two_node + wait_for_all:
# no quorum, nothing started). Checked: exactly one host is fenced, the
# loser never answers for the guests while the winner does (duplicates 0),
# the winner's guests are open at the end. Then the ring is reconnected and
# the loser rejoins as the unpromoted host. Outage = the winner's longest
# gap between answers (both guests) when the promoted host wins, the usual
# last-old -> first-new otherwise. Run last, like crash (a reboot wipes
# the loser's HA_RSCTMP).

round_partition() {   # N
  local n=$1 act sb cut off t0 t1 nba nbs loser winner j deadline; local -a pa
  fencing_on || { say "partition $n: skipped (no fencing: both halves would keep the guests open)"; return 0; }
  act=$(located "$A") || fail "where is $RSC"; sb=$(other "$act")
  # the ring is one cable (a veth pair): cutting either end cuts both; alternate
  if [ $((n % 2)) = 1 ]; then cut=$act; else cut=$sb; fi
  off=$(probe_offset); pcmk_args pa; t0=$(now)
  nba=$(boots_of "$act"); nbs=$(boots_of "$sb")
  HANET_SCENARIO_RING_ONLY=1 "$C" isolate "$cut" >/dev/null 2>&1 || fail "cluster isolate $cut"
  deadline=$(( EPOCHSECONDS + WAIT_S ))
  while [ "$(boots_of "$act")" = "$nba" ] && [ "$(boots_of "$sb")" = "$nbs" ]; do
    [ "$EPOCHSECONDS" -lt "$deadline" ] || fail "partition $n: nobody fenced in ${WAIT_S}s"
    sleep 0.1
  done
  if [ "$(boots_of "$act")" != "$nba" ]; then loser=$act; else loser=$sb; fi
  winner=$(other "$loser")
  wait_located "$winner" "$winner" || fail "partition $n: $RSC promoted on the survivor $winner"
  # the loser is back (ring still cut): it must stay blocked, promote nothing
  sleep 2
  t1=$(now)
  local fails=()
  [ "$(boots_of "$winner")" = "$( [ "$winner" = "$act" ] && echo "$nba" || echo "$nbs")" ] || fails+=("both hosts were fenced")
  blocked "$loser" || fails+=("the fenced $loser is not blocked (ring still cut)")
  j=$("$PY" "$PROBE" window --log "$PLOG" --offset "$off" --t0 "$t0" --t1 "$t1" \
        --old "$loser" --new "$winner" --silent 1 --silent-mac "$G2_MAC" --label partition --round "$n" "${pa[@]}") \
    || { bad "partition $n: analysis"; return 0; }
  j=$(J=$j "$PY" - "$winner" "$act" "$cut" "$t0" <<'PYEOF'
import json, os, sys
winner, act, cut, t0 = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
r = json.loads(os.environ["J"])
r["type"] = "partition"; r["winner"] = winner; r["promoted_before"] = act; r["ring_cut_at"] = cut
g = r.get("guests", {})
# (the window reaches back before the cut: did the loser answer after it?)
r["loser_answered_after_cut"] = any((x.get("last_old") or 0) > t0 for x in g.values())
if winner == act:
    # no switchover: the outage is the survivor's longest silence
    gaps = [x.get("max_gap_by_host_ms", {}).get(winner) for x in g.values()]
    r["outage_ms"] = max(gaps) if gaps and None not in gaps else None
    r["switchover"] = False
else:
    r["switchover"] = True
print(json.dumps(r, sort_keys=True))
PYEOF
)
  echo "$j" >>"$ROUNDS_FILE"
  local dup out la
  dup=$(jget "$j" dup); out=$(jget "$j" outage_ms); la=$(jget "$j" loser_answered_after_cut)
  [ "$dup" = 0 ] || fails+=("$dup duplicate(s): $(jget "$j" dup_examples)")
  [ -n "$out" ] || fails+=("the survivor $winner never answered for both guests")
  [ "$winner" = "$act" ] || say "partition $n: the UNPROMOTED host $winner won the fence race (the promoted $act was fenced)"
  [ "$winner" != "$act" ] || [ "$la" = False ] || fails+=("the fenced $loser answered after the cut")
  HANET_SCENARIO_RING_ONLY=1 "$C" unisolate "$cut" >/dev/null 2>&1 || fail "cluster unisolate $cut"
  wait_stable "$winner" "$winner" 60 || fail "after partition round $n: $loser rejoined, unpromoted, blocked"
  local msg
  msg=$(printf 'partition %2d ring cut at %s (promoted %s): %s fenced, %s survived; outage %s ms, dup %s, fenced host answered after the cut: %s' \
    "$n" "$cut" "$act" "$loser" "$winner" "${out:-none}" "$dup" "$la")
  if [ ${#fails[@]} = 0 ]; then ok "$msg"; else bad "$msg: ${fails[*]}"; fi
}
