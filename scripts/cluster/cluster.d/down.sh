# shellcheck shell=bash
# scripts/cluster/cluster down: stop resources, daemons, remove it all.

dump_logs_brief() {
  local n nd
  for n in $(nodes_list); do
    nd=$(node_dir "$n")
    for f in "$nd/holder.log" "$nd/corosync.out" "$nd/pacemakerd.out" \
             "$nd/log/corosync/corosync.log" "$nd/log/pacemaker/pacemaker.log"; do
      [ -s "$f" ] || continue
      echo "----- $n: ${f#"$nd"/} (last 15 lines)" >&2
      tail -n 15 "$f" >&2 || true
    done
  done
}

live_node() {      # a node whose pacemaker answers
  local n
  for n in $(nodes_list); do
    [ -n "$(node_pid_of "$n" pacemakerd)" ] || continue
    in_node "$n" timeout 5 cibadmin -Q -o nodes >/dev/null 2>&1 && { echo "$n"; return 0; }
  done
  return 1
}

# crm_resource --wait polls every 2 s; this polls every 0.1 s
wait_no_active() {  # NODE DEADLINE_MS
  local x
  while :; do
    if x=$(in_node "$1" timeout 5 crm_mon -1 -r --output-as=xml 2>/dev/null); then
      # done when every resource (clone instances too) has role "Stopped";
      # a stop in progress shows role="Stopping" with active="false"
      x=$(grep '<resource ' <<<"$x" || true)
      [ -z "$x" ] && return 0
      grep -vq 'role="Stopped"' <<<"$x" || return 0
    fi
    [ "$(now_ms)" -lt "$2" ] || return 1
    sleep 0.1
  done
}

stop_resources() {
  local n t0 x
  n=$(live_node) || { log "no live node: skipping resource stop"; return 0; }
  t0=$(now_ms)
  x=$(in_node "$n" timeout 5 cibadmin -Q -o resources 2>/dev/null || true)
  if grep -q '<primitive\|<group\|<clone\|<bundle\|<master' <<<"$x"; then
    in_node "$n" timeout 5 crm_attribute --type crm_config --name stop-all-resources --update true >/dev/null 2>&1 || true
    if ! wait_no_active "$n" $(( t0 + STOP_TIMEOUT * 1000 )); then
      log "resources did not stop within ${STOP_TIMEOUT}s; going on (processes get killed)"
      STOP_HUNG=1
    fi
    in_node "$n" timeout 5 cibadmin --replace -o resources --xml-text '<resources/>' >/dev/null 2>&1 || true
    if [ "$STOP_HUNG" = 1 ]; then log "resources deleted, stop timed out ($(( $(now_ms) - t0 )) ms)"
    else log "resources stopped and deleted ($(( $(now_ms) - t0 )) ms)"; fi
  fi
  in_node "$n" timeout 5 cibadmin --replace -o constraints --xml-text '<constraints/>' >/dev/null 2>&1 || true
}

term_daemon() {    # NAME TIMEOUT_S  -- on every node in parallel
  local name=$1 to=$2 n p pids=()
  for n in $(nodes_list); do
    p=$(node_pid_of "$n" "$name")
    [ -n "$p" ] && { kill -TERM "$p" 2>/dev/null || true; pids+=("$p"); }
  done
  [ ${#pids[@]} = 0 ] && return 0
  if ! wait_gone "$to" "${pids[@]}"; then
    log "$name did not stop within ${to}s: SIGKILL"
    kill -KILL "${pids[@]}" 2>/dev/null || true
    wait_gone 5 "${pids[@]}" || true
  fi
}

cmd_down() {
  need_root
  local n h ns p pids t0 keep=${HANET_CLUSTER_KEEP_LOGS:-} lk=""
  t0=$(now_ms)
  trap 'log "interrupt ignored while tearing down (bounded)"' INT TERM HUP
  trap '' PIPE   # a reader that went away must not stop the cleanup
  if [ ! -d "$STATE" ]; then
    trap - INT TERM HUP
    return 0
  fi
  STOP_HUNG=0
  # No fencing while the lab goes away (a stop that fails, a node that goes
  # first must not get the other one rebooted), and no power change under
  # our feet: wait for one in flight (bounded), keep the lock, end the
  # fence controller.
  if n=$(live_node); then
    in_node "$n" timeout 5 crm_attribute --type crm_config --name stonith-enabled --update false >/dev/null 2>&1 || true
  fi
  if [ -e "$STATE/power.lock" ]; then
    exec {lk}>>"$STATE/power.lock"
    flock -w 30 "$lk" || log "a power operation is still running after 30 s: going on"
  fi
  stop_fence_controller || true
  stop_resources || true
  # a graceful pacemaker shutdown would try the hung stop again: keep it short
  if [ "$STOP_HUNG" = 1 ]; then term_daemon pacemakerd 3 || true; else term_daemon pacemakerd 20 || true; fi
  term_daemon corosync 5 || true
  for n in $(nodes_list); do
    ns=$(netns_of "$n")
    # The holder is PID 1 of the node's PID namespace: when it exits, the
    # kernel kills every process left in the node.
    pids=$( { cat "$(node_dir "$n")/holder.pid" 2>/dev/null; scan_holders "$n"; } | sort -u)
    for h in $pids; do is_holder_of "$h" "$n" && kill -TERM "$h" 2>/dev/null || true; done
    # shellcheck disable=SC2086
    wait_gone 5 $pids || { for h in $pids; do is_holder_of "$h" "$n" && kill -KILL "$h" 2>/dev/null; done; wait_gone 5 $pids || true; }
    # anything else still in the node's network namespace (e.g. a host-side
    # `ip netns exec hanet-NODE ...`) would keep it alive
    if [ -e "/run/netns/$ns" ]; then
      p=$(ip netns pids "$ns" 2>/dev/null || true)
      if [ -n "$p" ]; then
        # shellcheck disable=SC2086
        kill -TERM $p 2>/dev/null || true
        # shellcheck disable=SC2086
        wait_gone 3 $p || kill -KILL $p 2>/dev/null || true
      fi
      ip netns del "$ns" 2>/dev/null || log "could not delete netns $ns"
    fi
  done
  # the ring's bridge (three nodes)
  if [ -e "/run/netns/$RING_NS" ]; then ip netns del "$RING_NS" 2>/dev/null || log "could not delete netns $RING_NS"; fi
  if [ -n "$keep" ]; then
    mkdir -p "$keep"
    for n in $(nodes_list); do
      [ -d "$(node_dir "$n")" ] || continue
      rm -rf "${keep:?}/$n"; mkdir -p "$keep/$n"
      cp -a "$(node_dir "$n")/log/." "$(node_dir "$n")"/*.out "$(node_dir "$n")"/*.log "$keep/$n/" 2>/dev/null || true
    done
    log "logs kept in $keep"
  fi
  stop_fence_controller || true   # (one an interrupted `up` did not record)
  rm -rf "${STATE:?}"
  [ -z "${lk:-}" ] || exec {lk}>&-
  trap - INT TERM HUP
  log "down ($(( $(now_ms) - t0 )) ms)"
}

