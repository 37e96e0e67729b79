# shellcheck shell=bash
# scripts/cluster/scenario, crash switchovers: `cluster crash` of the active
# host (corosync and everything in it killed, its links down: it is dark).
# Fenced (the lab's default) the survivor fences it (a reboot: the
# boot-time block first, then its links and cluster stack) and takes over;
# the crashed host comes back by itself. Without fencing (`cluster up
# --no-fencing`) the round reboots it with `cluster restart-node`. Run
# last: a reboot wipes the node's HA_RSCTMP.

fencing_on() { [ "$(cat "$STATE/fencing" 2>/dev/null)" = on ]; }
fence_delay() { nx "$A" crm_attribute -t crm_config -n priority-fencing-delay -q -G 2>/dev/null || echo "?"; }

boots_of() {   # NODE -> how many boots its power log has
  local n
  n=$(grep -c ' boot (' "$STATE/nodes/$1/log/power.log" 2>/dev/null) || true
  echo "${n:-0}"
}

# The last boot of NODE: who rebooted it, and its order (block, links, stack)
boot_report() {   # NODE -> "by WHO, block -> links Xms -> corosync Yms" or fails
  awk '
    / boot \(/ { by = $0; sub(/.*boot \(/, "", by); sub(/\)$/, "", by); t0 = $1; h = l = c = "" }
    / boot: hook ok/ { h = $1 }
    / boot: links up/ { l = $1 }
    / boot: corosync started/ { c = $1 }
    END {
      if (t0 == "" || h == "" || l == "" || c == "" || !(h <= l && l <= c)) exit 1
      printf "%s: block %d ms after power-on, links %d ms and corosync %d ms after the block\n", by, h - t0, l - h, c - h
    }' "$STATE/nodes/$1/log/power.log"
}

round_crash() {   # N
  local n=$1 old new off t0 t1 nb b; local -a pa
  old=$(located "$A") || fail "where is $RSC"; new=$(other "$old")
  off=$(probe_offset); pcmk_args pa; t0=$(now); nb=$(boots_of "$old")
  "$C" crash "$old" >/dev/null 2>&1 || fail "cluster crash $old"
  wait_located "$new" "$new" || fail "crash $old: $RSC on $new"
  settle; t1=$(now)
  round_report crash "$n" "$old" "$new" "$t0" "$t1" "$off" "${pa[@]}"
  if fencing_on; then
    # the survivor's fence rebooted it: back by itself, blocked
    wait_stable "$new" || fail "after crash round $n: $old fenced, back, blocked"
    [ "$(boots_of "$old")" -gt "$nb" ] || fail "crash round $n: $old was not rebooted by a fence"
    b=$(boot_report "$old") || fail "crash round $n: $old's boot order (block, links, cluster): $(tail -6 "$STATE/nodes/$old/log/power.log")"
    [[ $b == "reboot by $new:"* ]] || bad "crash round $n: $old rebooted by the fence of $new ($b)"
    say "crash $n: $old fenced and rebooted ($b); back $(ms_between "$t0" "$(now)") ms after the crash"
  else
    "$C" restart-node "$old" >/dev/null 2>&1 || fail "restart-node $old"
    blocked "$old" || bad "$old blocked right after its restart (boot-time block)"
    wait_stable "$new" || fail "after crash round $n: stable on $new"
  fi
}
