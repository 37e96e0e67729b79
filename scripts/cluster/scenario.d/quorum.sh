# shellcheck shell=bash
# scripts/cluster/scenario, quorum loss (three nodes only; issue 12 part 3):
# the promoted host P loses quorum while the fence device LIES. Each round:
# `cluster fence-mode noop` (fences are answered "done" and do nothing:
# fencing stays enabled and configured), then ONLY P's corosync ring is cut
# (`cluster isolate` with HANET_SCENARIO_RING_ONLY=1: P still reaches the
# switch, so its guests can still answer the client). P is alone: 1 of 3
# votes, no quorum. The majority "fences" P (nothing happens: P runs on) and
# promotes another host. hanet's sentinel on P follows corosync's quorum
# and must block P's guests within 0.5 s of the quorum loss, without
# waiting for Pacemaker.
# Round N cuts off host N mod 3 (the promoted role is moved there first).
# Measured from the data path: t_q = the moment P lost quorum (P's
# corosync.log, "This node is within the non-primary component", hires
# timestamp, wall clock: the probe's clock), t_last = P's guests' last
# answer seen by the client; per round t_last - t_q, duplicates (probes
# answered by two hosts), the new host's outage, and whether P's agent
# logged it ("lost quorum" in P's logs). A round passes when t_last - t_q
# <= 500 ms, 0 duplicates, and the new host serves both guests. Then P's
# ring is back, the device real again, and the lab stable (P unpromoted
# and blocked; a failed instance is cleaned up, and that is counted).
# The control (--quorum-control N rounds, after the others) sets
# quorum_block=false on the resource (when the agent's meta-data lists it):
# P must then be seen answering after t_q + 500 ms or duplicates appear,
# which shows the check can fail. It is reported as the control.

QUORUM_MAX_MS=${HANET_SCENARIO_QUORUM_MAX_MS:-500}
QUORUM_FILE=""
QUORUM_BLOCK_PARAM=""   # yes/no: the agent's meta-data lists quorum_block

corolog() { echo "$STATE/nodes/$1/log/corosync/corosync.log"; }

# The first "non-primary component" line of NODE's corosync.log after
# OFFSET, as epoch seconds (corosync's hires stamp "Dec 02 18:05:03.464" is
# local time without a year: the year that puts it nearest to now)
quorum_lost_at() {   # NODE OFFSET
  "$PY" - "$(corolog "$1")" "$2" <<'PYEOF'
import datetime, sys, time
path, off = sys.argv[1], int(sys.argv[2])
with open(path, errors="replace") as f:
    f.seek(off)
    for line in f:
        if "This node is within the non-primary component" not in line:
            continue
        stamp, now, best = " ".join(line.split()[:3]), time.time(), None
        for y in range(datetime.datetime.fromtimestamp(now).year - 1, datetime.datetime.fromtimestamp(now).year + 2):
            t = datetime.datetime.strptime("%d %s" % (y, stamp), "%Y %b %d %H:%M:%S.%f").timestamp()
            if best is None or abs(t - now) < abs(best - now):
                best = t
        print("%.3f" % best)
        break
PYEOF
}

# Every log file of NODE (its /var/log) but corosync's and the power log,
# with its size now: "SIZE PATH" lines, to grep what was added since
agent_logs_mark() {   # NODE
  local f
  while read -r f; do
    case "$f" in */corosync.log|*/power.log) continue ;; esac
    echo "$(size_of "$f") $f"
  done < <(find "$STATE/nodes/$1/log" -type f 2>/dev/null)
}
# The first line containing REGEX added to NODE's logs since MARK (new files: all)
agent_logs_grep() {   # NODE MARK REGEX
  local f s line
  while read -r f; do
    case "$f" in */corosync.log|*/power.log) continue ;; esac
    s=$(awk -v f="$f" '$2 == f { print $1 }' <<<"$2"); s=${s:-0}
    line=$(tail -c +"$((s + 1))" "$f" 2>/dev/null | grep -iE -m1 "$3" || true)
    [ -z "$line" ] || { echo "$line"; return 0; }
  done < <(find "$STATE/nodes/$1/log" -type f 2>/dev/null)
  return 1
}

noop_fences() {   # NODE -> how many lying fences of NODE the controller logged
  local n
  n=$(grep -c "LAB: fence of $1 answered but did nothing" "$STATE/nodes/$1/log/power.log" 2>/dev/null) || true
  echo "${n:-0}"
}

failures_now() {   # VIEW -> "OP on NODE ..." of crm_mon's failure history
  local x
  x=$(nx "$1" timeout 5 crm_mon -1 -r --output-as=xml 2>/dev/null) || return 0
  x=$(grep -o '<failure [^>]*' <<<"$x" || true)
  [ -z "$x" ] || awk '{ o = $0; sub(/.*op_key="/, "", o); sub(/".*/, "", o)
    n = $0; sub(/.* node="/, "", n); sub(/".*/, "", n); print o " on " n }' <<<"$x" | paste -sd, -
}

# After a round: P rejoined (ring back, device real). Stable with one host
# promoted, the others unpromoted and blocked; failures cleaned up (counted).
quorum_recover() {   # N P NEW -> sets Q_CLEANUP, Q_REBOOT
  local n=$1 p=$2 new=$3 act f try
  Q_CLEANUP="" Q_REBOOT=no
  if [ -z "$("$C" info 2>/dev/null | sed -n "s/^$p .* pacemakerd=\([0-9]*\) .*/\1/p")" ]; then
    # (P's stack stopped itself, e.g. told of its own fencing: a reboot)
    say "quorum $n: $p's Pacemaker is gone after the rejoin: restart-node $p"
    "$C" restart-node "$p" >/dev/null 2>&1 || fail "quorum $n: restart-node $p"
    Q_REBOOT=yes
  fi
  for try in 1 2 3; do
    settle_cluster "$new" || true
    act=$(located "$new" || true)
    if [ -n "$act" ] && wait_stable "$act" "$new" 30; then
      f=$(failures_now "$new")
      [ -n "$f" ] || return 0
      Q_CLEANUP=${Q_CLEANUP:+$Q_CLEANUP; }$f
    fi
    [ "$try" -lt 3 ] || fail "after quorum round $n: not stable (one host promoted, the others unpromoted and blocked)"
    nx "$new" crm_resource --cleanup -r "$RSC_ID" >/dev/null 2>&1 || true
  done
}

dc_now() {   # VIEW -> the DC's name as VIEW sees it
  nx "$1" crmadmin -q -D 2>&1 | tail -n1 | sed 's/.*: *//' || true
}

# Each host in turn is the one cut off: the promoted role is moved to it
# first (left alone, Pacemaker would alternate it between two of them)
promote_on() {   # NODE
  local p
  p=$(located "$A") || fail "where is $RSC"
  [ "$p" != "$1" ] || return 0
  move_to "$p" "$1" >/dev/null 2>&1 || fail "quorum: move $RSC to $1"
  wait_located "$1" "$1" || fail "quorum: $RSC promoted on $1"
  move_clear "$1" >/dev/null 2>&1 || fail "quorum: crm_resource --clear"
  wait_stable "$1" || fail "quorum: stable with $RSC promoted on $1"
}

round_quorum() {   # N [control]
  local n=$1 kind=${2:-round} p view new off coff mark nf nb t0 tq t1 deadline j pblk=no dc; local -a pa
  promote_on "${NODES[$(( (n - 1) % ${#NODES[@]} ))]}"
  p=$(located "$A") || fail "where is $RSC"
  view=$(others "$p"); view=${view%%$'\n'*}
  # (reported: whether P was the DC when it lost quorum)
  dc=$(dc_now "$view")
  off=$(probe_offset); pcmk_args pa; coff=$(size_of "$(corolog "$p")")
  mark=$(agent_logs_mark "$p"); nf=$(noop_fences "$p"); nb=$(boots_of "$p")
  "$C" fence-mode noop >/dev/null 2>&1 || fail "cluster fence-mode noop"
  t0=$(now)
  HANET_SCENARIO_RING_ONLY=1 "$C" isolate "$p" >/dev/null 2>&1 || fail "cluster isolate $p"
  # the majority "fences" P (the device lies) and promotes another host
  deadline=$(( EPOCHSECONDS + WAIT_S )) new=""
  while :; do
    new=$(located "$view" || true)
    [ -z "$new" ] || [ "$new" = "$p" ] || break
    [ "$EPOCHSECONDS" -lt "$deadline" ] || { new=""; break; }
    sleep 0.05
  done
  # (a promote refused while P's guests still answer is retried, maybe
  # elsewhere: the new host is the one promoted once the majority is idle)
  settle_cluster "$view" || true
  new=$(located "$view" || true); [ "$new" != "$p" ] || new=""
  # P lost quorum: its corosync says so
  deadline=$(( EPOCHSECONDS + WAIT_S )) tq=""
  until tq=$(quorum_lost_at "$p" "$coff") && [ -n "$tq" ]; do
    [ "$EPOCHSECONDS" -lt "$deadline" ] || break
    sleep 0.1
  done
  # P's guests blocked (by its sentinel; or later, by Pacemaker's
  # no-quorum-policy=stop in P's partition), then 1.5 s more of the probe
  deadline=$(( EPOCHSECONDS + WAIT_S ))
  until blocked "$p"; do [ "$EPOCHSECONDS" -lt "$deadline" ] || break; sleep 0.02; done
  blocked "$p" && pblk=yes
  sleep 1.5; t1=$(now)
  [ "$kind" = round ] || FLUSH_WINDOWS+=("--exclude" "$t0:$t1")   # the control unblocks two hosts
  local fails=() sent
  [ -n "$new" ] || fails+=("no other host promoted within ${WAIT_S}s")
  [ -n "$tq" ] || fails+=("no quorum loss in $p's corosync.log")
  [ "$(noop_fences "$p")" -gt "$nf" ] || fails+=("nobody fenced $p (no lying fence logged)")
  [ "$(boots_of "$p")" = "$nb" ] || fails+=("$p was rebooted: the fence device did not lie")
  sent=$(agent_logs_grep "$p" "$mark" "lost quorum" || true)
  j=$("$PY" "$PROBE" window --log "$PLOG" --offset "$off" --t0 "$t0" --t1 "$t1" \
        --old "$p" --new "${new:-$view}" --silent 1 --silent-mac "$G2_MAC" --label quorum --round "$n" "${pa[@]}") \
    || { bad "quorum $n: analysis"; return 0; }
  j=$(J=$j "$PY" - "$kind" "$p" "${tq:-}" "$QUORUM_MAX_MS" "$pblk" "$sent" "$dc" <<'PYEOF'
import json, os, sys
kind, p, tq, lim, pblk, sent = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), sys.argv[5], sys.argv[6]
r = json.loads(os.environ["J"])
r["dc_before"] = sys.argv[7]; r["p_was_dc"] = sys.argv[7] == p
g = r.get("guests", {})
last = [x["span_by_host"][p][1] for x in g.values() if (x.get("span_by_host") or {}).get(p)]
r.update({"type": "quorum", "kind": kind, "p": p, "t_q": float(tq) if tq else None,
          "p_last": max(last) if last else None, "p_blocked_seen": pblk == "yes", "sentinel": sent})
r["last_minus_tq_ms"] = round((r["p_last"] - r["t_q"]) * 1000, 1) if r["t_q"] and r["p_last"] else None
# P seen answering after t_q + the limit (a guest each)
r["p_after_limit"] = sum(1 for x in g.values() for t in [((x.get("span_by_host") or {}).get(p) or [0, 0])[1]]
                         if r["t_q"] and t > r["t_q"] + lim / 1000)
r["new_serving"] = all(x.get("first_new") for x in g.values()) and len(g) > 0
print(json.dumps(r, sort_keys=True))
PYEOF
)
  local d dup out serving
  d=$(jget "$j" last_minus_tq_ms); dup=$(jget "$j" dup); out=$(jget "$j" outage_ms); serving=$(jget "$j" new_serving)
  local crit=()
  [ -n "$d" ] && awk -v d="$d" -v m="$QUORUM_MAX_MS" 'BEGIN { exit !(d <= m) }' || crit+=("$p answered ${d:-?} ms after losing quorum (> ${QUORUM_MAX_MS} ms)")
  [ "$dup" = 0 ] || crit+=("$dup duplicate(s): $(jget "$j" dup_examples)")
  [ "$serving" = True ] || crit+=("the new host ${new:-?} does not serve both guests")
  # recovery: the ring back, the device real again, the lab stable
  HANET_SCENARIO_RING_ONLY=1 "$C" unisolate "$p" >/dev/null 2>&1 || fail "cluster unisolate $p"
  "$C" fence-mode real >/dev/null 2>&1 || fail "cluster fence-mode real"
  quorum_recover "$n" "$p" "${new:-$view}"
  j=$(J=$j "$PY" -c 'import json, os, sys; r = json.loads(os.environ["J"]); r["cleanup"] = sys.argv[1]; r["rebooted"] = sys.argv[2] == "yes"; r["checks_failed"] = sys.argv[3:]; print(json.dumps(r, sort_keys=True))' \
        "$Q_CLEANUP" "$Q_REBOOT" "${fails[@]}" "${crit[@]}")
  echo "$j" >>"$QUORUM_FILE"
  local msg
  msg=$(printf 'quorum %s %2d: %s%s lost quorum at %s, its guests'"'"' last answer %s ms later (P blocked: %s); %s promoted, outage %s ms; dup %s; sentinel logged: %s%s%s' \
    "$([ "$kind" = round ] && echo round || echo control)" "$n" "$p" "$([ "$dc" = "$p" ] && echo " (the DC)")" \
    "$(date -d "@${tq:-0}" +%T.%3N)" "${d:-?}" "$pblk" \
    "${new:-nobody}" "${out:-none}" "$dup" "$([ -n "$sent" ] && echo yes || echo no)" \
    "${Q_CLEANUP:+; cleanup needed ($Q_CLEANUP)}" "$([ "$Q_REBOOT" = yes ] && echo "; $p restarted")")
  if [ "$kind" = round ]; then
    if [ ${#fails[@]} = 0 ] && [ ${#crit[@]} = 0 ]; then ok "$msg"; else bad "$msg: ${fails[*]} ${crit[*]}"; fi
  elif [ ${#fails[@]} -gt 0 ]; then
    bad "$msg: ${fails[*]}"
  elif [ ${#crit[@]} -gt 0 ]; then
    ok "$msg: control, the check fails as it must (${crit[*]})"
  else
    say "NOTE $msg: control did NOT show a failure (Pacemaker alone was fast enough this time)"
  fi
}

quorum_param() {   # true|false|"" (delete): quorum_block on the resource, then stable
  if [ -n "$1" ]; then nx "$A" crm_resource -r "$RSC" -p quorum_block -v "$1" >/dev/null 2>&1 || fail "set quorum_block=$1"
  else nx "$A" crm_resource -r "$RSC" -d quorum_block >/dev/null 2>&1 || true; fi
  local act
  sleep 1
  settle_cluster "$A" || true
  act=$(located "$A") || act=$A
  wait_stable "$act" || fail "stable after quorum_block=${1:-default}"
}

run_quorum() {
  local i
  QUORUM_FILE=$WORK/quorum.jsonl
  if [ ${#NODES[@]} != 3 ]; then say "quorum: skipped (needs three nodes: --nodes hostA,hostB,hostC)"; return 0; fi
  fencing_on || { say "quorum: skipped (no fencing)"; return 0; }
  if nx "$A" env -i PATH="$NODE_PATH" OCF_ROOT=/usr/lib/ocf "$AGENT_IN_NODE" meta-data 2>/dev/null | grep -q 'name="quorum_block"'; then
    QUORUM_BLOCK_PARAM=yes
  else
    QUORUM_BLOCK_PARAM=no
    say "quorum: the agent's meta-data has no quorum_block parameter (an agent without the feature): every round is expected to FAIL"
  fi
  : >"$QUORUM_FILE"
  for i in $(seq 1 "$ROUNDS"); do round_quorum "$i"; done
  [ "$QUORUM_CONTROL" -gt 0 ] || return 0
  if [ "$QUORUM_BLOCK_PARAM" = yes ]; then quorum_param false
  else say "quorum control: no quorum_block parameter to set: the agent as it is"; fi
  for i in $(seq 1 "$QUORUM_CONTROL"); do round_quorum "$i" control; done
  [ "$QUORUM_BLOCK_PARAM" != yes ] || quorum_param ""
}

quorum_table() {   # [--markdown]
  [ -s "${QUORUM_FILE:-}" ] || return 0
  echo
  say "quorum loss: the promoted host's ring cut, three nodes, the fence device answers and does nothing"
  "$PY" "$SCN/quorum.py" --file "$QUORUM_FILE" --max-ms "$QUORUM_MAX_MS" "$@"
}
