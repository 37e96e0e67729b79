# shellcheck shell=bash
# scripts/cluster/scenario, split brain: fencing switched off ON PURPOSE
# (stonith-enabled=false for the round, as a cluster without a working
# fence device is), then only the corosync ring is cut. Each half loses
# the other and nobody is fenced, so the unpromoted host's half promotes
# it: both hosts open the same guests. hanet's sentinel must resolve it on
# the data path: the host open longer sees the later host's announcements
# arrive on its uplink, stays, and announces its own guests; the later
# host sees them and yields (blocks its guests again; its Promoted monitor
# fails naming the MACs and the uplink; promote is refused during its
# hold-down). Measured: the duplicate window (first to last probe answered
# by both hosts, target <= 200 ms), 0 duplicates after it, which host
# yielded, and whether its monitor reported it. Then the ring is back,
# failures are cleaned up, fencing is switched on again.

round_splitbrain() {   # N
  local n=$1 act sb off t0 t1 deadline j; local -a pa
  fencing_on || { say "splitbrain $n: skipped (the lab runs without fencing anyway)"; return 0; }
  act=$(located "$A") || fail "where is $RSC"; sb=$(other "$act")
  nx "$act" crm_attribute --type crm_config --name stonith-enabled --update false >/dev/null 2>&1 || fail "stonith off"
  settle_cluster "$act" || fail "splitbrain $n: not idle after stonith off"
  off=$(probe_offset); pcmk_args pa; t0=$(now)
  local cut_s=$EPOCHSECONDS
  HANET_SCENARIO_RING_ONLY=1 "$C" isolate "$sb" >/dev/null 2>&1 || fail "cluster isolate $sb"
  # the unpromoted half promotes its host (nobody fenced): its guests open,
  # then its sentinel makes it yield and block them again; its monitor
  # reports it (the exit reason in its half's log)
  deadline=$(( EPOCHSECONDS + WAIT_S ))
  local reported=0
  while [ "$EPOCHSECONDS" -lt "$deadline" ]; do
    # shellcheck disable=SC2086
    reported=$("$PY" "$PROBE" pcmkgrep "${pa[@]}" --t0 "$t0" --regex "Result of monitor operation for $RSC on $sb: .*this host yielded [0-2] s ago" | grep -c . || true)
    [ "${reported:-0}" -gt 0 ] && break
    sleep 0.5
  done
  sleep 2; t1=$(now)
  FLUSH_WINDOWS+=("--exclude" "$t0:$t1")
  local fails=()
  [ "${reported:-0}" -gt 0 ] || fails+=("no monitor of $sb reported a yield within ${WAIT_S}s")
  blocked "$sb" || fails+=("$sb is open at the end")
  blocked "$act" && fails+=("$act, open longer, blocked its guests")
  j=$("$PY" "$PROBE" window --log "$PLOG" --offset "$off" --t0 "$t0" --t1 "$t1" \
        --old "$sb" --new "$act" --label splitbrain --round "$n" "${pa[@]}") \
    || { bad "splitbrain $n: analysis"; return 0; }
  # how long the later host answered: its first to its last answer (any guest)
  local opened_ms
  opened_ms=$(J=$j "$PY" - "$sb" <<'PYEOF'
import json, os, sys
r = json.loads(os.environ["J"]); sb = sys.argv[1]
spans = [g["span_by_host"][sb] for g in r["guests"].values() if g.get("span_by_host", {}).get(sb)]
print(round((max(s[1] for s in spans) - min(s[0] for s in spans)) * 1000, 1) if spans else "")
PYEOF
)
  # (no answer at all: it yielded within one probe interval)
  [ -n "$opened_ms" ] || opened_ms=0
  local dup span
  dup=$(jget "$j" dup); span=$(jget "$j" dup_span_ms)
  awk -v s="${span:-99999}" 'BEGIN { exit !(s <= 200) }' || fails+=("duplicates over ${span} ms (> 200)")
  awk -v s="$opened_ms" 'BEGIN { exit !(s <= 200) }' || fails+=("$sb answered for ${opened_ms} ms (> 200)")
  SPLITBRAIN_RESULTS+=("${opened_ms:-}|${dup:-0}|${span:-0}|$([ "${reported:-0}" -gt 0 ] && echo 1 || echo 0)")
  HANET_SCENARIO_RING_ONLY=1 "$C" unisolate "$sb" >/dev/null 2>&1 || fail "cluster unisolate $sb"
  # the halves merge: clean up the yielded host's failures, fencing back on
  local try
  for try in 1 2 3; do
    nx "$act" crm_resource --cleanup -r "$RSC_ID" >/dev/null 2>&1 || true
    settle_cluster "$act" || true
    if wait_stable "$act" "$act" 30; then break; fi
    [ "$try" -lt 3 ] || fail "after splitbrain round $n: not stable with $act promoted"
  done
  nx "$act" crm_attribute --type crm_config --name stonith-enabled --update true >/dev/null 2>&1 || fail "stonith on"
  settle_cluster "$act" || true
  # The yielded host may not open for 5-10 s after its yield (just after
  # the cut): let that pass before anything else moves the promoted role
  # there (the next round, or the flush tests' flip: a promote refused
  # there left the role on the other host, "not stable", once in a tier run).
  local hold_s=$(( cut_s + 11 - EPOCHSECONDS ))
  [ "$hold_s" -le 0 ] || sleep "$hold_s"
  local msg
  msg=$(printf 'splitbrain %2d ring cut, fencing off (promoted %s): %s answered for %s ms, then yielded; duplicate answers %s (first to last %s ms); its monitor reported it: %s' \
    "$n" "$act" "$sb" "${opened_ms:-?}" "$dup" "$span" "$([ "${reported:-0}" -gt 0 ] && echo yes || echo no)")
  if [ ${#fails[@]} = 0 ]; then ok "$msg"; else bad "$msg: ${fails[*]}"; fi
}
SPLITBRAIN_RESULTS=()
