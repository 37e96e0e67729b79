# shellcheck shell=bash
# scripts/cluster/scenario, measurement: the client probe (scripts/cluster/
# probe) in the switch namespace, windows of its log (who answered when),
# the report and checks of one switchover, and `nft monitor` in a node as
# the timestamped witness of its ruleset.

PROBE_PID=
start_probe() {
  run_probe --guest "$G1_IP,$G1_MAC,bcast" --guest "$G2_IP,$G2_MAC,ucast"
}

# The probe on every node's switch port for the guests given (--guest
# IP,MAC,MODE ...), in the background; returns once it probes.
run_probe() {
  PLOG=$WORK/probe.log
  rm -f "$WORK/probe.ready"
  local n ports=()
  for n in "${NODES[@]}"; do ports+=(--port "$n=$(port_of "$n")"); done
  ip netns exec "$SW" "$PY" "$PROBE" run --out "$PLOG" --iface sw0 \
    "${ports[@]}" --client-ip "$CLIENT_IP" "$@" \
    --interval-ms "$INTERVAL_MS" --ready "$WORK/probe.ready" </dev/null >"$WORK/probe.out" 2>&1 &
  PROBE_PID=$!
  for _ in $(seq 1 100); do
    [ -s "$WORK/probe.ready" ] && return 0
    kill -0 "$PROBE_PID" 2>/dev/null || { cat "$WORK/probe.out"; fail "probe exited"; }
    sleep 0.05
  done
  fail "probe not ready in 5 s"
}

stop_probe() {
  [ -n "$PROBE_PID" ] || return 0
  kill -TERM "$PROBE_PID" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$PROBE_PID" 2>/dev/null || break; sleep 0.05; done
  kill -KILL "$PROBE_PID" 2>/dev/null || true
  wait "$PROBE_PID" 2>/dev/null || true
  PROBE_PID=
}

probe_offset() {   # a byte offset a few seconds back in the probe log
  local s
  s=$(size_of "$PLOG"); s=$((s - 120000)); [ $s -lt 0 ] && s=0
  echo $s
}

# JSON field via python (jq may be missing)
jget() {   # JSON KEY[.KEY...]
  "$PY" "$SCN/jget.py" "$1" "$2"
}

# Who answers right now? 0 when, over SECONDS, every probe of both guests was
# answered by ACTIVE and none by the other host.
only_active_answers() {   # ACTIVE SECONDS
  local off t0 t1 j
  off=$(probe_offset); t0=$(now); sleep "$2"; t1=$(now)
  j=$("$PY" "$PROBE" window --log "$PLOG" --offset "$off" --t0 "$t0" --t1 "$t1" --before 0 \
        --old "$(other "$1")" --new "$1" --label steady)
  local a1 a2 o1 o2 ticks
  ticks=$(jget "$j" ticks); a1=$(jget "$j" "guests.guest1.answers.$1"); a2=$(jget "$j" "guests.guest2.answers.$1")
  o1=$(jget "$j" "guests.guest1.answers.$(other "$1")"); o2=$(jget "$j" "guests.guest2.answers.$(other "$1")")
  # shellcheck disable=SC2034 # (read by the callers)
  STEADY="ticks $ticks; $1 answered $a1+$a2; $(other "$1") answered $o1+$o2"
  if [ ${#NODES[@]} -gt 2 ]; then
    # three hosts: every host but ACTIVE must be silent (answers of all hosts)
    o1=$(jget "$j" guests.guest1.answers_others); o2=$(jget "$j" guests.guest2.answers_others)
    # shellcheck disable=SC2034
    STEADY="ticks $ticks; $1 answered $a1+$a2; the others answered $o1+$o2"
  fi
  # (a tick sent at the very end may not be answered yet: allow 2)
  [ "$o1" = 0 ] && [ "$o2" = 0 ] && [ "$a1" -ge $((ticks - 2)) ] && [ "$a2" -ge $((ticks - 2)) ]
}

# --- one switchover: its window of the probe log, reported and checked --------

ROUNDS_FILE=
round_report() {   # TYPE N OLD NEW T0 T1 OFFSET PCMKARGS...
  local type=$1 n=$2 old=$3 new=$4 t0=$5 t1=$6 off=$7; shift 7
  local j
  kill -0 "$PROBE_PID" 2>/dev/null || { cat "$WORK/probe.out"; fail "the probe died"; }
  j=$("$PY" "$PROBE" window --log "$PLOG" --offset "$off" --t0 "$t0" --t1 "$t1" \
        --old "$old" --new "$new" --silent 1 --silent-mac "$G2_MAC" --label "$type" --round "$n" "$@") || { bad "$type $n: analysis"; return 0; }
  echo "$j" >>"$ROUNDS_FILE"
  local out o1 o2 dec dup sil lost
  out=$(jget "$j" outage_ms); o1=$(jget "$j" guests.guest1.outage_ms); o2=$(jget "$j" guests.guest2.outage_ms)
  dec=$(jget "$j" decision_to_all_answer_ms); dup=$(jget "$j" dup); sil=$(jget "$j" silent_first_probe)
  lost=$(jget "$j" silent_lost_after_ready)
  local line
  line=$(printf '%-7s %2d %s->%s outage %s ms (guest1 %s, silent %s), decision->all answer %s ms, start %s ms, dup %s, silent 1st probe %s' \
    "$type" "$n" "$old" "$new" "${out:-none}" "${o1:--}" "${o2:--}" "${dec:--}" "$(jget "$j" start_exec_ms)" "$dup" "$sil")
  local fails=()
  [ -n "$out" ] || fails+=("the new host never answered for both guests")
  [ "$dup" = 0 ] || fails+=("$dup duplicate(s): $(jget "$j" dup_examples)")
  [ "$sil" = ok ] || fails+=("silent guest missed the first probe after the announcement ($lost lost)")
  if [ -n "$dec" ]; then
    awk -v d="$dec" -v m="$DECISION_MAX_MS" 'BEGIN { exit !(d <= m) }' || fails+=("decision->answer ${dec} ms > ${DECISION_MAX_MS} ms")
  else
    fails+=("no Pacemaker decision found in the logs")
  fi
  if [ "$type" = crash ] && [ -n "$out" ]; then
    # positive control: a crash must be visible as an outage of at least the
    # corosync failure detection (token 1000 ms); a probe that sees none is broken
    awk -v o="$out" 'BEGIN { exit !(o >= 1000) }' || fails+=("crash outage ${out} ms < 1000 ms: the probe cannot be seeing the outage")
  fi
  if [ ${#fails[@]} = 0 ]; then ok "$line"; else bad "$line: ${fails[*]}"; fi
}

# --- nft monitor ----------------------------------------------------------------

# nft as the independent witness of the standby's table, timestamped per line
NFTMON_PID=
start_nftmon() {   # NODE FILE
  ip netns exec "hanet-$1" "$PY" "$PROBE" stamp -- nft monitor >"$2" 2>/dev/null </dev/null &
  NFTMON_PID=$!
  sleep 0.3
}
stop_nftmon() {
  [ -n "$NFTMON_PID" ] || return 0
  kill -TERM "$NFTMON_PID" 2>/dev/null || true
  wait "$NFTMON_PID" 2>/dev/null || true
  NFTMON_PID=
}
