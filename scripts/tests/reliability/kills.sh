#!/usr/bin/env bash
# scripts/tests/reliability/kills.sh: SIGKILL at random moments of start and
# stop, for each resource of a lab, then: the next call of the same action
# converges (rc 0), monitor agrees, nothing foreign changed, no agent process
# is left but the guards that belong there. Run by scripts/tests/reliability.sh
# inside a private network + PID namespace, here (host lab) or in the VM (bond lab).
#
#   kills.sh --stage DIR --work DIR --lab host|bond --kills N [--seed S] [--samples 5]
#
# For each (resource, action): the action's duration is measured first
# (median of --samples runs from fork to exit, as this shell sees it, again
# whenever fewer than 3 kills in 10 landed: the load changed), and so is
# monitor's (the process start and one read of the state); then each trial
# puts the resource in the opposite state, starts the action, sleeps a
# random delay, sends SIGKILL and waits. Half the delays are uniform in
# [0, duration], half in [monitor's duration, duration]: where the changes
# are (in the VM, the process start is most of a bond start).
# A kill counts as landed only if /proc/<pid>/cmdline showed the agent when
# it was sent (the shell had exec'd it) and the wait status is "killed by
# SIGKILL" (an agent never exits 137 itself; a process that had already
# exited is a zombie that `kill` still accepts, and reports its own exit
# status). Trials go on until N kills landed (at most 5N+20 trials). Where
# each landed kill left the resource (our objects compared with the
# converged before/after states) is counted too: before any change,
# part-way, or all done.
#
# Prints ok/FAIL lines, "FIGURE ..." lines and "N passed, N failed".
set -uo pipefail
HANET_PROG=reliability HANET_PLAIN=1
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/lib/common.sh
. "$here/../../lib/common.sh"
LAB=host KILLS=30 SAMPLES=5 SEED=${RANDOM}
while (($#)); do
  case $1 in
    --stage) STAGE=$2 ;; --work) WORK=$2 ;; --lab) LAB=$2 ;; --kills) KILLS=$2 ;; --seed) SEED=$2 ;; --samples) SAMPLES=$2 ;;
    *) echo "kills.sh: unknown argument $1"; exit 2 ;;
  esac
  shift 2
done
: "${STAGE:?--stage}" "${WORK:?--work}"
mkdir -p "$WORK"
# shellcheck source=scripts/tests/reliability/lib.sh
. "$here/lib.sh"
RANDOM=$SEED
TRIALS_LOG=$WORK/trials-$LAB.log
: >"$TRIALS_LOG"

# --- labs ----------------------------------------------------------------------
res_br1() { AGENT=bridge; export OCF_RESKEY_bridge=xenbr1 OCF_RESKEY_uplink=up1; }
res_br2() {
  AGENT=bridge
  export OCF_RESKEY_bridge=xenbr2 OCF_RESKEY_uplink=up2 OCF_RESKEY_arp=off OCF_RESKEY_multicast=off OCF_RESKEY_forward_delay=0
}
res_vhn() {
  AGENT=vhostnet
  export OCF_RESKEY_bridge="xenbr1 xenbr2" OCF_RESKEY_exempt_ports=vif0.0 OCF_RESKEY_backend=nftables OCF_RESKEY_announce=1
}
res_vhi() {
  AGENT=vhostnet
  export OCF_RESKEY_bridge=xenbr2 OCF_RESKEY_guest_ports="vif* tap*" OCF_RESKEY_backend=iptables OCF_RESKEY_announce=1
}
# A promotable instance (its own policy, so its own table): promote opens,
# demote blocks and leaves the guard. announce=0: no detached announcer.
res_vhp() {
  AGENT=vhostnet
  export OCF_RESKEY_bridge=xenbr1 OCF_RESKEY_guest_ports="vnet*" OCF_RESKEY_backend=nftables OCF_RESKEY_announce=0 \
    OCF_RESKEY_CRM_meta_promotable=true
}
res_bond() {
  AGENT=bond
  export OCF_RESKEY_bond=bond0 OCF_RESKEY_slaves="e1 e2" OCF_RESKEY_mode=active-backup OCF_RESKEY_miimon=100 \
    OCF_RESKEY_vlans="10 20" OCF_RESKEY_mac=fe:ff:ff:ff:ff:ff OCF_RESKEY_arp=off OCF_RESKEY_multicast=off
}
declare -A BORROWED=([br1]="up1" [br2]="up2" [bond]="e1 e2") TAG=() LABEL=(
  [br1]="bridge (created)" [br2]="bridge (adopted)" [vhn]="vhostnet nftables" [vhi]="vhostnet iptables" [vhp]="vhostnet promotable" [bond]="bond")
declare -A FOUND=()

setup_host() {
  foreign_setup || return 1
  local l
  ip link add up1 type veth peer name up1p && ip link add up2 type veth peer name up2p
  ip link add vif0.0 type veth peer name g0 && ip link add vif1.0 type veth peer name g1
  for l in up1 up1p up2 up2p g0 g1; do ip link set "$l" up; done
  set_ours xenbr1 xenbr2 up1 up2
  FOUND[br1]=$(borrowed_state up1) FOUND[br2]=$(borrowed_state up2)
  # xenbr2 gets foreign ports (an exempt one, a guest) and a static entry:
  # from then on its stop only detaches the uplink, its start adopts it.
  call br1 start && call br2 start || return 1
  ip link set vif0.0 master xenbr2 && ip link set vif1.0 master xenbr2
  ip link set vif0.0 up && ip link set vif1.0 up
  bridge fdb add 02:00:00:00:01:01 dev vif1.0 master static
  call vhn stop && call vhi stop || return 1
  TAG[vhn]=$(nft list tables bridge | sed -n 's/^table bridge hanet_//p')
  call vhp start || return 1
  TAG[vhp]=$(nft list tables bridge | sed -n 's/^table bridge hanet_//p' | grep -vx "${TAG[vhn]}")
  TAG[vhi]=$(iptables-legacy-save | sed -n 's/^:HANET-\([0-9a-f]*\) .*/\1/p')
  foreign_rules_before
  [ -n "${TAG[vhn]}" ] && [ -n "${TAG[vhi]}" ] && [ -n "${TAG[vhp]}" ]
}
setup_bond() {
  foreign_setup || return 1
  # A foreign bond with its own slave, and the slaves-to-be left down as found.
  ip link add bond1 type bond mode balance-rr && ip link add e3 type veth peer name p3 &&
    ip link set e3 master bond1 && ip link set bond1 up || return 1
  ip link add e1 type veth peer name p1 && ip link add e2 type veth peer name p2 || return 1
  ip link set p1 up && ip link set p2 up && ip link set p3 up
  set_ours bond0 bond0.10 bond0.20 e1 e2
  FOUND[bond]=$(borrowed_state e1 e2)
}

# Our objects, for "where did the kill leave it": links, state file, guards, rules.
ours_fingerprint() { # resource
  local r=$1 f
  case $r in
    br1 | br2 | bond)
      links_summary "$OURS_ALT"
      f=$HA_RSCTMP/hanet-$([ "$r" = bond ] && echo bond-bond0 || echo "bridge-xenbr${r#br}").state
      [ -e "$f" ] && echo "$(<"$f")" ;;
    vhn | vhp) count_guards "${TAG[$r]}"; echo "guards $GUARDS"
      # (unblock makes the table dormant: its rules stay)
      [ "$r" = vhp ] && cat "$HA_RSCTMP/hanet-vhostnet-${TAG[vhp]}-role.state" 2>/dev/null
      nft list table bridge "hanet_${TAG[$r]}" 2>/dev/null | awk '/drop|accept/ { r++ } /flags dormant/ { d = 1 } END { print "rules", r + 0, "dormant", d + 0 }' ;;
    vhi) count_guards "${TAG[vhi]}"; echo "guards $GUARDS"
      cat <(iptables-legacy-save) <(ip6tables-legacy-save) <(arptables-legacy -L -n) | grep -c "HANET-${TAG[vhi]}" ;;
  esac
  return 0
}

median_us() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# d: the action's duration from fork to exit, median of SAMPLES unkilled runs
# (each from the opposite state); s: the same for monitor, which starts the
# process and reads the state once, as every action does before it changes
# anything. Status 1: an action failed (reported).
measure_window() { # resource action pre label
  local i t0 t1 rc samples="" starts=""
  for ((i = 1; i <= SAMPLES; i++)); do
    call "$1" "$3" || { bad "$4: setup $3 failed (rc $?)"; tail -5 "$AGENT_LOG"; return 1; }
    t0=${EPOCHREALTIME/[.,]/}; call "$1" monitor
    t1=${EPOCHREALTIME/[.,]/}; starts+="$((10#$t1 - 10#$t0))"$'\n'
    t0=${EPOCHREALTIME/[.,]/}; call "$1" "$2"; rc=$?
    t1=${EPOCHREALTIME/[.,]/}; samples+="$((10#$t1 - 10#$t0))"$'\n'
    ((rc == 0)) || { bad "$4: unkilled $2 failed (rc $rc)"; tail -5 "$AGENT_LOG"; return 1; }
  done
  d=$(printf '%s' "$samples" | median_us) s=$(printf '%s' "$starts" | median_us)
  ((s <= d)) || s=$d
}

# One (resource, action): returns through the counters and prints its checks.
kill_trials() { # resource action
  local r=$1 action=$2 pre want label
  pre=$(opposite "$action") want=$(want_monitor "$action") label="${LABEL[$r]} $action"
  local fp_pre fp_post d s windows starts
  if ! { call "$r" "$pre" && fp_pre=$(ours_fingerprint "$r") && call "$r" "$action" && fp_post=$(ours_fingerprint "$r"); }; then
    bad "$label: unkilled $pre/$action failed"; tail -5 "$AGENT_LOG"; return
  fi
  measure_window "$r" "$action" "$pre" "$label" || return
  windows=$d starts=$s

  local landed=0 trials=0 missed=0 conv_bad=0 mon_bad=0 foreign_bad=0 proc_bad=0 found_bad=0 setup_bad=0
  local before=0 partial=0 after=0 preexec=0 shown=0 max=$((5 * KILLS + 20))
  local reference delay lo pid st fp class rc mrc now stray found argv0 want_guards=0 want_sentinels=0
  [ "$action" = stop ] || [ "$action" = demote ] && want_guards=1
  # (an open host's sentinel: primitive start and promote open the guests)
  [ "$action" = start ] || [ "$action" = promote ] && want_sentinels=1
  reference=$(stable_foreign_state)
  while ((landed < KILLS && trials < max)); do
    # A window measured in a burst of load lets most kills come too late:
    # measure again when fewer than 3 in 10 land (the load has changed).
    if ((trials >= 10 && trials % 10 == 0 && landed * 10 < trials * 3)); then
      measure_window "$r" "$action" "$pre" "$label" || break
      windows+=",$d" starts+=",$s"
    fi
    trials=$((trials + 1))
    if ! call "$r" "$pre"; then setup_bad=$((setup_bad + 1)); continue; fi
    # Half the delays over the whole window, half after the process start
    # and first read, where the changes are (in the VM the start is most of it).
    lo=$((RANDOM & 1 ? 0 : s))
    delay=$((lo + ((RANDOM << 15) | RANDOM) % (d - lo + 1)))
    ( "res_$r"; exec "$RA/$AGENT" "$action" ) >>"$AGENT_LOG" 2>&1 &
    pid=$!
    pause_us "$delay"
    # argv[0] at the moment of the kill: the agent's once the subshell has
    # exec'd it (exec is one-way), the shell's before.
    argv0=""
    read -r -d '' argv0 2>/dev/null <"/proc/$pid/cmdline"
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null; st=$?
    if ((st == 137)) && [ "$argv0" != "$RA/$AGENT_OF" ]; then
      preexec=$((preexec + 1)) class=pre-exec
    elif ((st == 137)); then
      landed=$((landed + 1))
      fp=$(ours_fingerprint "$r")
      if [ "$fp" = "$fp_pre" ]; then class=before before=$((before + 1))
      elif [ "$fp" = "$fp_post" ]; then class=after after=$((after + 1))
      else class=partial partial=$((partial + 1)); fi
    elif ((st == 0)); then
      missed=$((missed + 1)) class=missed
    else
      # not killed, and failed on its own: that is a failure of the action
      class=failed-$st conv_bad=$((conv_bad + 1))
    fi
    call "$r" "$action"; rc=$?
    call "$r" monitor; mrc=$?
    now=$(foreign_state)
    check_processes; stray=$STRAY
    found=ok
    if [ "$action" = stop ] && [ -n "${BORROWED[$r]:-}" ]; then
      # shellcheck disable=SC2086 # a list of link names
      [ "$(borrowed_state ${BORROWED[$r]})" = "${FOUND[$r]}" ] || found=changed
    fi
    local guards=ok
    if [ -n "${TAG[$r]:-}" ]; then
      count_guards "${TAG[$r]}"
      [ "$GUARDS" = "$want_guards" ] || guards=wrong
      count_guards "${TAG[$r]}" sentinel
      [ "$GUARDS" = "$want_sentinels" ] || guards="wrong (sentinels $GUARDS, want $want_sentinels)"
    fi
    echo "$r $action trial=$trials delay_us=$delay status=$st class=$class rc=$rc monitor=$mrc foreign=$([ "$now" = "$reference" ] && echo same || echo CHANGED) procs=${stray:+STRAY}${stray:-ok} guards=$guards found=$found" >>"$TRIALS_LOG"
    local problem=""
    ((rc == 0)) || { conv_bad=$((conv_bad + 1)); problem+=" next $action rc=$rc;"; }
    [ "$mrc" = "$want" ] || { mon_bad=$((mon_bad + 1)); problem+=" monitor $mrc (want $want);"; }
    [ "$now" = "$reference" ] || { foreign_bad=$((foreign_bad + 1)); problem+=" foreign state changed;"; }
    if [ -n "$stray" ] || [ "$guards" != ok ]; then proc_bad=$((proc_bad + 1)) problem+=" processes: ${stray:-guards $guards};"; fi
    [ "$found" = ok ] || { found_bad=$((found_bad + 1)); problem+=" borrowed links not as found;"; }
    if [ -n "$problem" ] && ((shown < 5)); then
      shown=$((shown + 1))
      echo "  $label trial $trials (delay $delay us, $class):$problem"
      [ "$now" = "$reference" ] || diff_text "$reference" "$now" | sed 's/^/    /'
      # shellcheck disable=SC2086 # a list of link names
      [ "$found" = ok ] || { echo "found:"; echo "${FOUND[$r]}"; echo "now:"; borrowed_state ${BORROWED[$r]}; } | sed 's/^/    /'
      [ -z "$stray" ] || printf '%s\n' "$stray" | sed 's/^/    /'
      tail -4 "$AGENT_LOG" | sed 's/^/    log: /'
    fi
    # A broken resource would fail every later trial for the same reason.
    if ((rc != 0)) && ! call "$r" "$action"; then bad "$label: does not converge any more (trial $trials)"; break; fi
  done

  echo "FIGURE agent=$AGENT_OF resource=$r label=\"$label\" action=$action landed=$landed trials=$trials missed=$missed preexec=$preexec before=$before partial=$partial after=$after window_us=$windows monitor_us=$starts converged=$((trials - setup_bad - conv_bad)) foreign_changed=$foreign_bad"
  if ((landed >= KILLS)); then
    ok "$label: $landed SIGKILLs landed inside the agent in $trials trials (window $windows us: half the delays uniform in it, half after the monitor time $starts us; $before before any change, $partial part-way, $after all done; $missed too late, $preexec before exec)"
  else
    bad "$label: only $landed of $KILLS SIGKILLs landed in $trials trials (windows $windows us)"
  fi
  ((setup_bad == 0)) || bad "$label: $setup_bad trial(s) could not put the resource back into '$pre'"
  local guard_note=""
  [ -n "${TAG[$r]:-}" ] && guard_note=", exactly $([ "$action" = stop ] || [ "$action" = demote ] && echo "one guard and no sentinel" || echo "one sentinel and no guard")"
  verdict "conv_bad == 0" "$label: the next $action converged (rc 0) after every trial ($trials)" \
    "$label: $conv_bad trial(s) where the next $action (or an unkilled one) failed"
  verdict "mon_bad == 0" "$label: monitor answered $want after every trial" "$label: monitor disagreed in $mon_bad trial(s)"
  verdict "foreign_bad == 0" "$label: nothing foreign changed in any trial (links, nft, iptables, ip6tables, arptables, static FDB)" \
    "$label: foreign state changed in $foreign_bad trial(s)"
  verdict "proc_bad == 0" "$label: no stray agent process$guard_note after every trial" \
    "$label: stray processes or wrong guard count in $proc_bad trial(s)"
  if [ "$action" = stop ] && [ -n "${BORROWED[$r]:-}" ]; then
    verdict "found_bad == 0" "$label: ${BORROWED[$r]} as found (flags, mtu, address, no master) after every converged stop" \
      "$label: ${BORROWED[$r]} not as found after $found_bad stop(s)"
  fi
}

t0=$(date +%s)
case $LAB in
  host) setup_host || { bad "host lab setup"; tail -20 "$AGENT_LOG"; summary; exit 1; }
    COMBOS="br1:start br1:stop br2:start br2:stop vhn:start vhn:stop vhi:start vhi:stop vhp:promote vhp:demote" ;;
  bond) setup_bond || { bad "bond lab setup"; summary; exit 1; }
    COMBOS="bond:start bond:stop" ;;
  *) echo "unknown lab $LAB"; exit 2 ;;
esac
echo "lab $LAB ready; seed $SEED; $KILLS landed kills per resource and action"
for combo in $COMBOS; do
  r=${combo%%:*}
  AGENT_OF=$("res_$r"; echo "$AGENT")
  kill_trials "$r" "${combo#*:}"
  echo "  ($(($(date +%s) - t0)) s)"
done

# The lab as a whole: every resource where its last trial left it.
if [ "$LAB" = host ]; then
  call br1 start && call br2 start && call vhn stop && call vhi stop
  m="$(call br1 monitor; echo $?) $(call br2 monitor; echo $?) $(call vhn monitor; echo $?) $(call vhi monitor; echo $?)"
  if [ "$m" = "0 0 7 7" ]; then ok "end: bridges started, guests blocked by both backends (monitors $m)"; else bad "end: monitors $m, want 0 0 7 7"; fi
fi
end_agents
echo "kills phase ($LAB) wall time: $(($(date +%s) - t0)) s"
summary
((FAILED == 0))
