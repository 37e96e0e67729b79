# shellcheck shell=bash
# scripts/cluster/scenario groups: several guest groups, each its own
# promotable clone, measured per group (lab: groups-lab.sh; analysis:
# groups.py). Two hosts: active/active (group a open on hostA, b on hostB);
# three hosts: three groups, one per host by preference.
#
# Round N acts on host/group (N-1) mod G and is two switchovers of the
# affected group: away and back (its host preferred again):
#   move     crm_resource --move --promoted of the group, then --clear
#   standby  crm_standby of its host, then off again
#   crash    `cluster crash` of its host: fenced (reboot), back blocked,
#            the group returns by itself
# Every window is checked per group: 0 duplicates; the moved group answered
# by the new host; the other groups answered by their host for every probe
# (lost answers counted) and by no other; no group moved but the affected one.

GROUPS_FILE=""
PLACE=()   # where each group is promoted now

groups_parse() {
  while [ $# -gt 0 ]; do
    case "$1" in
      --up) UP=1; shift ;;
      --agent) AGENT=${2:?}; shift 2 ;;
      --rounds) ROUNDS=${2:?}; shift 2 ;;
      --types) TYPES=${2:?}; shift 2 ;;
      --nodes) IFS=, read -r -a NODES <<<"${2:?}"; shift 2 ;;
      --interval-ms) INTERVAL_MS=${2:?}; shift 2 ;;
      --results) RESULTS=${2:?}; shift 2 ;;
      --keep-logs) KEEP=${2:?}; shift 2 ;;
      -h|--help) usage; exit 0 ;;
      *) echo "scenario groups: unknown option $1" >&2; exit 2 ;;
    esac
  done
  [[ $ROUNDS =~ ^[0-9]+$ ]] || { echo "--rounds N" >&2; exit 2; }
  if [ ${#NODES[@]} -lt 2 ] || [ ${#NODES[@]} -gt 3 ] || [ "$(printf '%s\n' "${NODES[@]}" | sort -u | wc -l)" != ${#NODES[@]} ]; then
    echo "--nodes: two or three different names" >&2; exit 2
  fi
  A=${NODES[0]} B=${NODES[1]}
  if [ -z "$TYPES" ]; then
    if [ ${#NODES[@]} = 3 ]; then TYPES=standby,crash; else TYPES=move,standby; fi
  fi
  local t
  for t in ${TYPES//,/ }; do
    case "$t" in move|standby|crash) ;; *) echo "scenario groups: --types move,standby,crash (got $t)" >&2; exit 2 ;; esac
  done
}

# The probe log from a few seconds before now on
groups_offset() { local s; s=$(size_of "$PLOG"); s=$((s - 60000)); [ $s -lt 0 ] && s=0; echo $s; }

# A node whose Pacemaker runs (not the affected one)
groups_view() { local n; for n in "${NODES[@]}"; do [ "$n" = "${1:-}" ] && continue; nx "$n" crm_mon -1 >/dev/null 2>&1 && { echo "$n"; return 0; }; done; echo "$A"; }

start_groups_probe() {
  local k args=()
  for k in $(seq 1 "$(ngroups)"); do args+=(--guest "$(grp_ip "$k"),$(grp_mac "$k"),bcast"); done
  run_probe "${args[@]}"
}

# One window: TYPE N TRIGGER T0 T1 OFFSET "EXPECTED placement" VIEW; reads
# PLACE (before), sets PLACE to where the groups are promoted now.
groups_report() {
  local type=$1 n=$2 trig=$3 t0=$4 t1=$5 off=$6 view=$8 k now j g; local -a exp specs=()
  read -r -a exp <<<"$7"
  kill -0 "$PROBE_PID" 2>/dev/null || { cat "$WORK/probe.out"; fail "the probe died"; }
  local -a newp=()
  for k in $(seq 1 "$(ngroups)"); do
    now=$(grp_located "$view" "$k" 2>/dev/null) || now="?"
    newp+=("$now")
    specs+=(--group "${GROUP_LETTERS[$k-1]}:$((k - 1)):${PLACE[$k-1]}:$now:${exp[$k-1]}")
  done
  j=$("$PY" "$SCN/groups.py" window --log "$PLOG" --offset "$off" --t0 "$t0" --t1 "$t1" \
        --label "$type" --round "$n" --trigger "$trig" "${specs[@]}") || { bad "$type $n: analysis"; return 0; }
  echo "$j" >>"$GROUPS_FILE"
  local line="" fails=() d o l s u
  for k in $(seq 1 "$(ngroups)"); do
    g=${GROUP_LETTERS[$k-1]}
    d=$(jget "$j" "groups.$g.dup"); u=$(jget "$j" "groups.$g.unexpected")
    [ "$d" = 0 ] || fails+=("group $g: $d duplicate(s)")
    [ "$u" = False ] || fails+=("group $g promoted on ${newp[$k-1]}, expected ${exp[$k-1]}")
    if [ "${PLACE[$k-1]}" != "${newp[$k-1]}" ]; then
      o=$(jget "$j" "groups.$g.outage_ms")
      [ -n "$o" ] || fails+=("group $g: the new host never answered")
      line="$line; $g ${PLACE[$k-1]}->${newp[$k-1]} outage ${o:-none} ms"
    else
      l=$(jget "$j" "groups.$g.lost"); s=$(jget "$j" "groups.$g.stray")
      [ "$l" = 0 ] || fails+=("group $g (stayed): $l lost answer(s)")
      [ "$s" = 0 ] || fails+=("group $g (stayed): $s answer(s) from another host")
      line="$line; $g stayed on ${newp[$k-1]}, lost $l of $(jget "$j" "groups.$g.probes"), gap $(jget "$j" "groups.$g.max_gap_ms") ms"
    fi
  done
  line=$(printf '%-12s %2d (%s)%s, dup 0' "$type" "$n" "$trig" "$line")
  PLACE=("${newp[@]}")
  if [ ${#fails[@]} = 0 ]; then ok "$line"; else bad "$line: ${fails[*]}"; fi
}

# The affected group of round N and where it goes
round_target() {   # N -> sets RK (group), RH (its host), RNEW (where it goes)
  RK=$(( ($1 - 1) % $(ngroups) + 1 )); RH=$(grp_home "$RK")
  if [ ${#NODES[@]} = 2 ]; then RNEW=$(other "$RH"); else RNEW=$(grp_second "$RK"); fi
}
placement_with() {   # K HOST -> the home placement with group K on HOST
  local k out=""
  for k in $(seq 1 "$(ngroups)"); do if [ "$k" = "$1" ]; then out="$out $2"; else out="$out $(grp_home "$k")"; fi; done
  echo "${out# }"
}

groups_round_move() {   # N
  local n=$1 t0 t1 off c; round_target "$n"; c=$(grp_clone "$RK")
  off=$(groups_offset); t0=$(now)
  nx "$RNEW" crm_resource --move --promoted -r "$c" -N "$RNEW" >/dev/null 2>&1 || fail "crm_resource --move --promoted $c"
  wait_grp_located "$RK" "$RNEW" || fail "move $n: group $RK on $RNEW"
  settle; t1=$(now)
  groups_report move "$n" "move $c to $RNEW" "$t0" "$t1" "$off" "$(placement_with "$RK" "$RNEW")" "$RNEW"
  off=$(groups_offset); t0=$(now)
  nx "$RNEW" crm_resource --clear -r "$c" >/dev/null 2>&1 || fail "crm_resource --clear $c"
  wait_grp_located "$RK" "$RH" || fail "move $n: group $RK back on $RH"
  settle; t1=$(now)
  groups_report move-back "$n" "clear: $c back to $RH" "$t0" "$t1" "$off" "$(home_placement)" "$RH"
  wait_groups_stable "$(home_placement)" "$RH" || fail "after move round $n: every group home"
}

groups_round_standby() {   # N
  local n=$1 t0 t1 off; round_target "$n"
  off=$(groups_offset); t0=$(now)
  nx "$RNEW" crm_standby -N "$RH" -v on >/dev/null 2>&1 || fail "crm_standby -N $RH -v on"
  wait_grp_located "$RK" "$RNEW" || fail "standby $n: group $RK on $RNEW"
  settle; t1=$(now)
  groups_report standby "$n" "standby $RH" "$t0" "$t1" "$off" "$(placement_with "$RK" "$RNEW")" "$RNEW"
  off=$(groups_offset); t0=$(now)
  nx "$RNEW" crm_standby -N "$RH" -v off >/dev/null 2>&1 || fail "crm_standby -N $RH -v off"
  wait_grp_located "$RK" "$RH" || fail "standby $n: group $RK back on $RH"
  settle; t1=$(now)
  groups_report standby-back "$n" "$RH online again" "$t0" "$t1" "$off" "$(home_placement)" "$RH"
  wait_groups_stable "$(home_placement)" "$RH" || fail "after standby round $n: every group home"
}

groups_round_crash() {   # N
  local n=$1 t0 t1 off nb b; round_target "$n"
  off=$(groups_offset); t0=$(now); nb=$(boots_of "$RH")
  "$C" crash "$RH" >/dev/null 2>&1 || fail "cluster crash $RH"
  wait_grp_located "$RK" "$RNEW" || fail "crash $n: group $RK on $RNEW"
  settle; t1=$(now)
  groups_report crash "$n" "crash $RH" "$t0" "$t1" "$off" "$(placement_with "$RK" "$RNEW")" "$RNEW"
  # fenced (a reboot), back blocked, and the group returns by itself
  off=$(groups_offset); t0=$(now)
  wait_grp_located "$RK" "$RH" $((WAIT_S * 4)) || fail "crash $n: group $RK back on $RH"
  settle; t1=$(now)
  groups_report crash-back "$n" "$RH rebooted by a fence, back" "$t0" "$t1" "$off" "$(home_placement)" "$RH"
  wait_groups_stable "$(home_placement)" "$RH" || fail "after crash round $n: every group home"
  [ "$(boots_of "$RH")" -gt "$nb" ] || fail "crash round $n: $RH was not rebooted by a fence"
  b=$(boot_report "$RH") || fail "crash round $n: $RH's boot order (block, links, cluster)"
  say "crash $n: $RH $b"
}

cmd_groups() {
  groups_parse "$@"
  LAB_DOWN=groups_lab_down
  prepare
  local cmdline="scripts/cluster/scenario groups $*" type i k j
  # shellcheck disable=SC2034 # (read by settle)
  if [ "$ROUNDS" -le 3 ]; then SETTLE_S=0.6; else SETTLE_S=1; fi
  GROUPS_FILE=$WORK/groups.jsonl; : >"$GROUPS_FILE"
  groups_lab_up
  start_groups_probe
  read -r -a PLACE <<<"$(home_placement)"
  # steady state: each group answered by its own host only, every probe
  local t0 off specs=()
  off=$(groups_offset); t0=$(now); sleep 1
  for k in $(seq 1 "$(ngroups)"); do specs+=(--group "${GROUP_LETTERS[$k-1]}:$((k - 1)):${PLACE[$k-1]}:${PLACE[$k-1]}:${PLACE[$k-1]}"); done
  j=$("$PY" "$SCN/groups.py" window --log "$PLOG" --offset "$off" --t0 "$t0" --t1 "$(now)" --before 0 --label steady "${specs[@]}")
  if ! grep -qE '"(lost|stray|dup)": [1-9]' <<<"$j"; then
    ok "steady: each group answered by its own host only, every probe ($(jget "$j" ticks) ticks)"
  else fail "steady: $j"; fi
  for type in ${TYPES//,/ }; do
    for i in $(seq 1 "$ROUNDS"); do "groups_round_$type" "$i"; done
  done
  local d
  d=$("$PY" "$PROBE" dups --log "$PLOG")
  if [ "$(jget "$d" dup)" = 0 ]; then ok "no duplicate answer in $(jget "$d" replies_checked) answered probes of the whole run"
  else bad "duplicates over the whole run: $d"; fi
  stop_probe
  echo
  say "guest groups ($ROUNDS round(s) per type, probe every $INTERVAL_MS ms)"
  "$PY" "$SCN/groups.py" table --rounds "$GROUPS_FILE"
  [ -z "$RESULTS" ] || write_groups_section "$cmdline"
}

write_groups_section() {   # CMDLINE
  local commit dirty="" sec head
  commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo "(no git)")
  [ -z "$(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null)" ] || dirty=" + uncommitted changes"
  if [ ${#NODES[@]} = 2 ]; then head="## Guest groups: two hosts, active/active"
  else head="## Guest groups: three hosts, three groups"; fi
  sec=$(mktemp "$WORK/groups-section.XXXXXX")
  {
    echo "$head"
    echo
    echo "Measured with \`$1\` (as root; see scripts/cluster/README.md, \"Guest groups\")"
    echo "on $(date -u '+%Y-%m-%d %H:%M UTC'), kernel $(uname -r), $(nproc) cores,"
    echo "pacemaker $(dpkg-query -W -f='${Version}' pacemaker 2>/dev/null), corosync $(dpkg-query -W -f='${Version}' corosync 2>/dev/null),"
    echo "hanet $commit$dirty; probe every $INTERVAL_MS ms; $FAILED failed check(s) in the run; fencing $(fencing_on && echo on || echo OFF)."
    echo
    "$PY" "$SCN/groups.py" table --rounds "$GROUPS_FILE" --markdown
    echo
    echo "* Groups: $(for k in $(seq 1 "$(ngroups)"); do printf '%s = guest_ports="%s" (prefers %s), ' "$(grp_clone "$k")" "$(grp_ports "$k")" "$(grp_home "$k")"; done | sed 's/, $//'),"
    echo "  each a promotable clone on the same bridge xenbr1 with its own boot-time block; location rules on"
    if [ ${#NODES[@]} = 2 ]; then
      echo "  the Promoted role: 100 on every host, +200 on the group's own host (README, \"Active/active\")."
    else
      echo "  the Promoted role: 100 on every host, +200 on the group's own host, +50 on the next host in the"
      echo "  ring, its second choice (README, \"Three hosts\")."
    fi
    echo "* Round N acts on the host (and group) N-1 mod ${#NODES[@]}: move = \`crm_resource --move --promoted\` of"
    echo "  the group then \`--clear\` (move-back); standby = \`crm_standby\` of its host, then off (standby-back);"
    echo "  crash = \`cluster crash\` of its host: the others fence it (reboot), it comes back blocked (boot-time"
    echo "  block of every group first) and its group returns (crash-back)."
    echo "* moved: the affected group; outage = its last answer from the old host to the first from the new one."
    echo "  stayed: every other group, in the same window; lost answers = its probes (sent from the trigger to"
    echo "  0.3 s before the window's end) that its host did not answer; longest gap = between two answers."
    echo "* Every probe is an Ethernet broadcast: two hosts with a group open would both answer (duplicates)."
    echo "  moved unexpectedly: windows after which a group was promoted elsewhere than planned."
  } >"$sec"
  put_section "$head" "$sec"
  rm -f "$sec"
  say "results (section \"${head#\#\# }\") written to $RESULTS"
}
