# shellcheck shell=bash
# scripts/cluster/scenario run: checks and set-up, the whole sequence
# (lab, warm-up, switchovers, flushes, crashes, whole-run duplicates), the
# tables, and the cleanup that every exit path runs (it prints the closing
# "N passed, N failed" that scripts/tests/cluster.sh reads).

CLEANED=0
cleanup() {
  local rc=$?
  [ "$CLEANED" = 1 ] && return
  CLEANED=1
  trap '' INT TERM HUP PIPE
  stop_nftmon
  stop_probe
  if [ "$rc" != 0 ] && [ "$FAILED" = 0 ]; then bad "aborted (exit status $rc)"; fi
  if [ -n "$KEEP" ] && [ -d "$WORK" ]; then
    mkdir -p "$KEEP"; cp -a "$WORK"/. "$KEEP"/ 2>/dev/null || true
  fi
  if [ "$rc" != 0 ] && [ -d "$STATE" ]; then
    say "failure: cluster state follows"
    "$C" status 2>&1 | tail -25 || true
  fi
  "${LAB_DOWN:-lab_down}" >/dev/null 2>&1 || true
  if [ "$UP" = 1 ]; then
    if [ -n "$KEEP" ]; then HANET_CLUSTER_KEEP_LOGS=$KEEP/cluster "$C" down >/dev/null 2>&1 || true
    else "$C" down >/dev/null 2>&1 || true; fi
  fi
  [ -n "$OCF_TMP" ] && rm -rf "$OCF_TMP"
  rm -rf "$WORK"
  say "total $(( EPOCHSECONDS - T_START )) s"
  [ "$rc" = 0 ] && [ "$FAILED" = 0 ] || rc=1
  summary
  exit "$rc"
}

prepare() {
  [ "$(id -u)" = 0 ] || { echo "scenario: must run as root" >&2; exit 1; }
  for t in nft arping ip "$PY"; do command -v "$t" >/dev/null || { echo "scenario: missing $t" >&2; exit 1; }; done
  T_START=$EPOCHSECONDS
  WORK=$(mktemp -d /tmp/hanet-scenario.XXXXXX)
  chmod 0755 "$WORK"
  export HANET_SCENARIO_WORK=$WORK
  export HANET_CLUSTER_ISOLATE_HOOK=$SELF
  ROUNDS_FILE=$WORK/rounds.jsonl
  : >"$ROUNDS_FILE"
  trap cleanup EXIT
  trap 'exit 130' INT TERM HUP
  "$PY" "$PROBE" selfcheck >/dev/null || fail "probe selfcheck"
  if [ "$UP" = 1 ]; then
    [ ! -d "$STATE" ] || fail "a cluster is already up ($STATE): run '$C down' or drop --up"
    cluster_up
  fi
  bonding_line
}

cmd_run() {
  parse_opts "$@"
  prepare
  local cmdline="scripts/cluster/scenario run $*"
  # shellcheck disable=SC2034 # (read by settle)
  if [ "$ROUNDS" -le 3 ]; then SETTLE_S=0.6; else SETTLE_S=1; fi
  lab_up
  start_probe
  only_active_answers "$A" 1 || fail "initially only $A answers ($STEADY)"
  ok "initially only $A's guests answer ($STEADY)"
  warm_up
  local type i
  # shellcheck disable=SC2153 # (TYPES is --types)
  IFS=, read -r -a types <<<"$TYPES"
  for type in "${types[@]}"; do
    case "$type" in
      crash|partition|quorum) ;;   # last: a fenced/restarted host loses its state (like a reboot)
      *) declare -F "round_$type" >/dev/null || fail "unknown switchover type $type"
         for i in $(seq 1 "$ROUNDS"); do "round_$type" "$i"; done ;;
    esac
  done
  if [ "$FLUSH" = 1 ]; then run_flush_tests; fi
  for type in "${types[@]}"; do
    [ "$type" = crash ] || [ "$type" = partition ] || [ "$type" = quorum ] || continue
    if [ "$type" = quorum ]; then run_quorum; continue; fi
    for i in $(seq 1 "$ROUNDS"); do "round_$type" "$i"; done
  done
  only_active_answers "$(located "$A")" 1 || bad "at the end only the active host answers ($STEADY)"
  # (the quorum_block=false control rounds unblock two hosts on purpose:
  # their windows are in FLUSH_WINDOWS too)
  # no moment where both hosts answer, over the whole run (the flush tests,
  # which unblock the standby on purpose, excluded)
  local d
  d=$("$PY" "$PROBE" dups --log "$PLOG" "${FLUSH_WINDOWS[@]}")
  if [ "$(jget "$d" dup)" = 0 ]; then ok "no duplicate answer in $(jget "$d" replies_checked) answered probes of the whole run (flush tests excluded)"
  else bad "duplicates over the whole run: $d"; fi
  stop_probe
  if [ ${#NODES[@]} = 2 ] || [ -s "$ROUNDS_FILE" ]; then
    echo
    say "switchovers ($ROUNDS round(s) each, probe every $INTERVAL_MS ms; outage = last answer from the old host to first from the new one, worst guest; decision = Pacemaker's first 'Initiating' for $RSC)"
    "$PY" "$PROBE" table --rounds "$ROUNDS_FILE"
  fi
  quorum_table
  if [ ${#FLUSH_RESULTS[@]} -gt 0 ]; then
    printf '%s\n' "${FLUSH_RESULTS[@]}" >"$WORK/flush.txt"
    echo
    say "nft flush ruleset on the standby (min / median / max; 'block back' from nft monitor in that host)"
    "$PY" "$PROBE" flushtable --file "$WORK/flush.txt"
  fi
  [ -z "$RESULTS" ] || write_results "$cmdline"
}
