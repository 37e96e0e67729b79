#!/usr/bin/env bash
# scripts/tests/reliability/concurrency.sh: ten agents change state at once
# (eight vhostnet resources, four per backend, with different bridges and
# policies, plus two bridge resources, one of them on a bridge the vhostnet
# resources block) in loops of stop, monitor, start, monitor, while outside
# programs add and delete their own nft rules (bridge and inet tables) and
# iptables, ip6tables (-w) and arptables-legacy rules for the whole time.
# Then: every agent call returned 0 and every monitor agreed, every outside
# rule that should exist exists and no deleted one came back, the foreign
# rules set up first are unchanged, and the final states hold (checked
# with monitor and with nft/iptables themselves). Run by
# scripts/tests/reliability.sh inside a private network + PID namespace.
#
#   concurrency.sh --stage DIR --work DIR --rounds N [--seed S]
#
# Prints ok/FAIL lines, "FIGURE ..." lines and "N passed, N failed".
set -uo pipefail
HANET_PROG=reliability HANET_PLAIN=1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/lib/common.sh
. "$here/../../lib/common.sh"
ROUNDS=20 SEED=$RANDOM
while (($#)); do
  case $1 in
    --stage) STAGE=$2 ;; --work) WORK=$2 ;; --rounds) ROUNDS=$2 ;; --seed) SEED=$2 ;;
    *) echo "concurrency.sh: unknown argument $1"; exit 2 ;;
  esac
  shift 2
done
: "${STAGE:?--stage}" "${WORK:?--work}"
mkdir -p "$WORK"
# shellcheck source=scripts/tests/reliability/lib.sh
. "$here/lib.sh"
RANDOM=$SEED

# --- resources -------------------------------------------------------------------
vh() { # backend bridges [name=value...]
  AGENT=vhostnet
  export OCF_RESKEY_backend=$1 OCF_RESKEY_bridge=$2 OCF_RESKEY_announce_interval=10
  shift 2
  local kv
  for kv in "$@"; do export "OCF_RESKEY_${kv%%=*}=${kv#*=}"; done
}
res_n1() { vh nftables xenbr1; }
res_n2() { vh nftables "xenbr1 xenbr2" exempt_ports=vif0.0; }
res_n3() { vh nftables xenbr3 guest_ports="vif*" guard=false; }
res_n4() { vh nftables xenbr4 guest_ports="tap* vnet*" announce=0; }
res_i1() { vh iptables xenbr1 guest_ports="vif* tap*"; }
res_i2() { vh iptables "xenbr2 xenbr3"; }
res_i3() { vh iptables xenbr4 exempt_ports=vif0.0 guard=false; }
res_i4() { vh iptables xenbr2 guest_ports="vnet*" announce=0; }
res_b1() { AGENT=bridge; export OCF_RESKEY_bridge=xenbr5 OCF_RESKEY_uplink=up5; }
res_b2() { AGENT=bridge; export OCF_RESKEY_bridge=xenbr1 OCF_RESKEY_uplink=up1 OCF_RESKEY_forward_delay=0; }
RESOURCES="n1 n2 n3 n4 i1 i2 i3 i4 b1 b2"
# Where each ends: blocked (stop) or unblocked/started (start).
declare -A FINAL=([n1]=stop [n2]=start [n3]=stop [n4]=start [i1]=stop [i2]=start [i3]=stop [i4]=start [b1]=stop [b2]=start)

# --- lab ----------------------------------------------------------------------------
setup() {
  foreign_setup || return 1
  local i
  # Bridges made by someone else (xenbr1..4), each with guest ports whose
  # peers chatter (IPv6 autoconfiguration), so unblock has MACs to relearn
  # and announce; xenbr1's uplink is attached and detached by b2 meanwhile.
  for i in 1 2 3 4; do
    ip link add "xenbr$i" type bridge && ip link set "xenbr$i" up || return 1
    ip link add "vif$i.0" type veth peer name "g$i" && ip link set "vif$i.0" master "xenbr$i" || return 1
    ip link set "vif$i.0" up && ip link set "g$i" up
  done
  ip link add vif0.0 type veth peer name g0 && ip link set vif0.0 master xenbr2 && ip link set vif0.0 up && ip link set g0 up
  bridge fdb add 02:00:00:00:01:01 dev vif1.0 master static || return 1
  ip link add up1 type veth peer name up1p && ip link add up5 type veth peer name up5p || return 1
  for i in up1 up1p up5 up5p; do ip link set "$i" up; done
  set_ours xenbr1 xenbr5 up1 up5
  # The writers' own tables exist before the reference is taken.
  nft add table bridge outside_w1 && nft add chain bridge outside_w1 c '{ type filter hook forward priority 10; }' &&
    nft add table inet outside_w2 && nft add chain inet outside_w2 c '{ type filter hook forward priority 10; }'
}

# arptables-legacy (0.0.5) takes no lock of its own; this writer takes the
# xtables lock around it (flock, as iptables -w does), as a careful admin
# script would. Without it a hanet commit can land inside its write and the
# kernel cannot tell: see RELIABILITY.md, "not covered". Should a call still
# fail, the writer looks at the table and retries only what did not happen.
arp_write() { # -A|-D name: 0 once the table holds (or lacks) the rule
  local _
  for _ in 1 2 3 4 5; do
    flock "$XTABLES_LOCKFILE" arptables-legacy "$1" FORWARD -i "$2" -j ACCEPT 2>>"$WORK/writers.err" && return 0
    fails=$((fails + 1))
    if arptables-legacy -L -n | grep -q -- "-i $2 \$"; then [ "$1" = -A ]; else [ "$1" = -D ]; fi && {
      misreported=$((misreported + 1)); return 0; }
  done
  return 1
}

# --- outside writers ---------------------------------------------------------------
# Each adds rules matching a name "w<id>k<n>" and deletes some it added,
# keeping at most ~120 alive, until $WORK/stop exists; then writes the
# names that must exist to $WORK/w<id>.expect and its counts to .count.
writer() { # id
  local id=$1 n=0 adds=0 dels=0 fails=0 misreported=0 name victim out handle
  local -a alive=()
  declare -A handles=()
  RANDOM=$((SEED + id))
  while [ ! -e "$WORK/stop" ]; do
    n=$((n + 1)) name="w${id}k$n"
    case $id in
      1 | 2) local fam=bridge; [ "$id" = 2 ] && fam=inet
        if out=$(nft --echo --handle add rule "$fam" "outside_w$id" c iifname "$name" counter 2>&1); then
          handle=${out##*# handle }; handles[$name]=$handle; alive+=("$name"); adds=$((adds + 1))
        else fails=$((fails + 1)); echo "w$id add $name: $out" >>"$WORK/writers.err"; fi ;;
      3) if iptables-legacy -w -A FORWARD -i "$name" -j ACCEPT; then alive+=("$name"); adds=$((adds + 1)); else fails=$((fails + 1)); fi ;;
      4) if ip6tables-legacy -w -I FORWARD $((1 + RANDOM % 3)) -i "$name" -j ACCEPT; then alive+=("$name"); adds=$((adds + 1)); else fails=$((fails + 1)); fi ;;
      5) # arptables-legacy under the xtables lock: see arp_write
        if arp_write -A "$name"; then alive+=("$name"); adds=$((adds + 1)); fi ;;
    esac
    if ((${#alive[@]} > 120 || (${#alive[@]} > 3 && RANDOM % 3 == 0))); then
      local i=$((RANDOM % ${#alive[@]}))
      victim=${alive[$i]}
      local deleted=1
      case $id in
        1 | 2) local fam=bridge; [ "$id" = 2 ] && fam=inet
          nft delete rule "$fam" "outside_w$id" c handle "${handles[$victim]}" 2>>"$WORK/writers.err" || deleted=0 ;;
        3) iptables-legacy -w -D FORWARD -i "$victim" -j ACCEPT || deleted=0 ;;
        4) ip6tables-legacy -w -D FORWARD -i "$victim" -j ACCEPT || deleted=0 ;;
        5) arp_write -D "$victim" || deleted=0 ;;
      esac
      if ((deleted)); then alive=("${alive[@]:0:i}" "${alive[@]:i+1}"); dels=$((dels + 1)); else fails=$((fails + 1)); fi
    fi
  done
  printf '%s\n' "${alive[@]}" | sort >"$WORK/w$id.expect"
  echo "$adds $dels $fails $misreported" >"$WORK/w$id.count"
}
writer_rules() { # id: the names of its rules the kernel holds now
  case $1 in
    1) nft list table bridge outside_w1 ;; 2) nft list table inet outside_w2 ;;
    3) iptables-legacy-save ;; 4) ip6tables-legacy-save ;; 5) arptables-legacy -L -n ;;
  esac | grep -oE "\bw$1k[0-9]+\b" | sort
}

# --- agents ---------------------------------------------------------------------------
agent_loop() { # resource: ROUNDS x (stop, monitor, start, monitor), then its final action
  local r=$1 i rc calls=0 bad=0
  step() { # action want
    local t=$EPOCHREALTIME
    call "$r" "$1"; rc=$?
    [ "$1" = monitor ] || echo "${t/[.,]/} ${EPOCHREALTIME/[.,]/}" >>"$WORK/changes.times"
    calls=$((calls + 1))
    [ "$rc" = "$2" ] || { bad=$((bad + 1)); echo "$r round $i: $1 returned $rc, want $2" >>"$WORK/agents.bad"; }
  }
  for ((i = 1; i <= ROUNDS; i++)); do
    step stop 0; step monitor 7; step start 0; step monitor 0
  done
  i=final; step "${FINAL[$r]}" 0
  echo "$calls $bad" >"$WORK/$r.count"
}

t0=$(date +%s)
setup || { bad "concurrency lab setup"; summary; exit 1; }
# Each resource once through both actions before the reference is taken:
# adopting xenbr1 sets its forward delay and pins its address, by design.
for r in $RESOURCES; do
  if ! call "$r" "${FINAL[$r]}" || ! call "$r" "$(opposite "${FINAL[$r]}")"; then bad "initial actions of $r"; fi
done
iptables-legacy-save | grep -q '^:HANET-' && foreign_rules_before
reference=$(stable_foreign_state | grep -vE 'w[0-9]k[0-9]+')
echo "lab ready; seed $SEED; $ROUNDS rounds per agent"

: >"$WORK/agents.bad"
for id in 1 2 3 4 5; do writer "$id" & done
sleep 0.3 # the writers are busy before the first agent call
declare -a loops=()
for r in $RESOURCES; do agent_loop "$r" & loops+=($!); done
wait "${loops[@]}"
sleep 0.3 # and still busy after the last one
touch "$WORK/stop"
wait
wall=$(($(date +%s) - t0))

# --- verdict ----------------------------------------------------------------------
calls=0 badcalls=0
for r in $RESOURCES; do read -r c b <"$WORK/$r.count"; calls=$((calls + c)); badcalls=$((badcalls + b)); done
if ((badcalls == 0)); then
  ok "$calls agent calls by 10 concurrent agents ($ROUNDS rounds each): every start/stop returned 0, every monitor agreed"
else
  bad "$badcalls of $calls agent calls returned what they should not"
  head -10 "$WORK/agents.bad" | sed 's/^/  /'
  grep -iE 'error|fail' "$AGENT_LOG" | sort | uniq -c | sort -rn | head -5 | sed 's/^/  log: /'
fi
# How many state changes (start/stop calls) were under way at once, at most.
overlap=$(awk '{ print $1, 1; print $2, -1 }' "$WORK/changes.times" | sort -n -k1,1 -k2,2n |
  awk '{ n += $2; if (n > max) max = n } END { print max + 0 }')
verdict "overlap >= 8" "up to $overlap starts/stops were under way at the same moment (of 10 agents)" \
  "at most $overlap starts/stops ran at once: the loops did not overlap enough (want >= 8)"
total_adds=0 total_dels=0 kept=0
for id in 1 2 3 4 5; do
  read -r adds dels fails misreported <"$WORK/w$id.count"
  what=$(case $id in 1) echo "nft bridge" ;; 2) echo "nft inet" ;; 3) echo iptables-legacy ;; 4) echo ip6tables-legacy ;; 5) echo "arptables-legacy (under flock)" ;; esac)
  expect=$(<"$WORK/w$id.expect") got=$(writer_rules "$id")
  n=$(printf '%s' "$expect" | grep -c .)
  total_adds=$((total_adds + adds)) total_dels=$((total_dels + dels)) kept=$((kept + n))
  echo "FIGURE writer=$id tool=\"$what\" adds=$adds deletes=$dels failed_calls=$fails failed_but_done=$misreported expected_at_end=$n"
  if [ "$expect" = "$got" ]; then
    ok "outside $what writer: $adds rules added, $dels deleted during the run$( ((fails)) && echo " ($fails failed calls, $misreported of them had taken effect)"); all $n that should exist exist, no deleted one came back"
  else
    bad "outside $what writer: rules differ from what it left ($adds added, $dels deleted)"
    diff_text "$expect" "$got" | sed 's/^/  /'
  fi
done
now=$(foreign_state | grep -vE 'w[0-9]k[0-9]+')
if [ "$now" = "$reference" ]; then ok "foreign rules, tables, links and static FDB entries set up first are unchanged"
else bad "foreign state set up first changed"; diff_text "$reference" "$now" | sed 's/^/  /'; fi

# Final states, by monitor and by the kernel's own tools.
final_bad=""
for r in $RESOURCES; do
  call "$r" monitor; m=$?
  [ "$m" = "$(want_monitor "${FINAL[$r]}")" ] || final_bad+=" $r:monitor=$m"
done
blocked_nft=$(nft list ruleset | awk '/^table bridge hanet_/ { t = $3; on[t] = 1 } /flags dormant/ { delete on[t] } END { print length(on) }')
blocked_ipt=$(iptables-legacy-save | grep -c '^-A FORWARD -j HANET-')
blocked_ip6=$(ip6tables-legacy-save | grep -c '^-A FORWARD -j HANET-')
blocked_arp=$(arptables-legacy -L -n | grep -c '^-j HANET-')
[ "$blocked_nft$blocked_ipt$blocked_ip6$blocked_arp" = 2222 ] || final_bad+=" tables: nft=$blocked_nft ip4=$blocked_ipt ip6=$blocked_ip6 arp=$blocked_arp (want 2 each)"
ip link show xenbr5 >/dev/null 2>&1 && final_bad+=" xenbr5 still exists"
[ "$(ip -o link show up1 | grep -o 'master [^ ]*')" = "master xenbr1" ] || final_bad+=" up1 not on xenbr1"
check_processes; stray=$STRAY guards=$GUARDS
if [ -n "$stray" ] || [ "$guards" != 2 ] || [ "$SENTINELS" != 4 ]; then
  final_bad+=" processes: ${stray:-$guards guards, want 2 (n1, i1); $SENTINELS sentinels, want 4 (the unblocked)}"
fi
verdict "${#final_bad} == 0" "final states: 4 resources blocked (2 nft tables, 2 iptables/ip6tables/arptables jumps, 2 guards), 4 unblocked (4 sentinels), xenbr5 stopped, xenbr1 started" \
  "final states:$final_bad"
echo "FIGURE concurrency agents=10 rounds=$ROUNDS calls=$calls bad_calls=$badcalls writer_adds=$total_adds writer_deletes=$total_dels outside_rules_kept=$kept max_overlap=$overlap wall_s=$wall"
end_agents
echo "concurrency phase wall time: $wall s"
summary
((FAILED == 0))
