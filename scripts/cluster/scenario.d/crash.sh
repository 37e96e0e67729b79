# shellcheck shell=bash
# scripts/cluster/scenario, crash switchovers: `cluster crash` of the active
# host (corosync and everything in it killed, its switch cable pulled by the
# hook), then `cluster restart-node` with the boot-time block first. Run
# last: a restart wipes the node's HA_RSCTMP, like a reboot.

round_crash() {   # N
  local n=$1 old new off t0 t1; local -a pa
  old=$(located "$A") || fail "where is $RSC"; new=$(other "$old")
  off=$(probe_offset); pcmk_args pa; t0=$(now)
  # corosync, pacemaker, the agents: everything in the node dies; the hook
  # pulls its switch cable first (no fencing in the lab)
  "$C" crash "$old" >/dev/null 2>&1 || fail "cluster crash $old"
  wait_located "$new" "$new" || fail "crash $old: $RSC on $new"
  settle; t1=$(now)
  round_report crash "$n" "$old" "$new" "$t0" "$t1" "$off" "${pa[@]}"
  # reboot: the hook runs the boot-time block before the cable is back
  "$C" restart-node "$old" >/dev/null 2>&1 || fail "restart-node $old"
  blocked "$old" || bad "$old blocked right after its restart (boot-time block)"
  wait_stable "$new" || fail "after crash round $n: stable on $new"
}
