# shellcheck shell=bash
# scripts/cluster/cluster, crash and links: kill-corosync, isolate, crash, restart-node.

cmd_kill_corosync() {
  [ $# = 1 ] || die "usage: cluster kill-corosync NODE"
  check_node "$1"
  local p
  p=$(node_pid_of "$1" corosync)
  [ -n "$p" ] || die "no corosync running on $1"
  kill -KILL "$p"
  log "killed corosync (pid $p) on $1"
}

run_hook() {       # isolate|unisolate NODE
  local hook=${HANET_CLUSTER_ISOLATE_HOOK:-}
  [ -n "$hook" ] || return 0
  "$hook" "$1" "$2" "$(netns_of "$2")" "$(holder_pid "$2")"
}

cmd_isolate() {
  [ $# = 1 ] || die "usage: cluster isolate NODE"
  check_node "$1"
  ip -n "$(netns_of "$1")" link set ring0 down
  run_hook isolate "$1"
  log "isolated $1 (ring0 down)"
}

cmd_unisolate() {
  [ $# = 1 ] || die "usage: cluster unisolate NODE"
  check_node "$1"
  ip -n "$(netns_of "$1")" link set ring0 up
  run_hook unisolate "$1"
  log "reconnected $1 (ring0 up)"
}

kill_node_procs() {  # NODE: SIGKILL every process in the node but its holder
  local h p pids=()
  h=$(holder_pid "$1")
  for p in $(node_pids "$1"); do [ "$p" != "$h" ] && pids+=("$p"); done
  [ ${#pids[@]} = 0 ] && return 0
  kill -KILL "${pids[@]}" 2>/dev/null || true
  wait_gone 5 "${pids[@]}" || true
}

cmd_crash() {
  [ $# = 1 ] || die "usage: cluster crash NODE"
  check_node "$1"
  cmd_isolate "$1"
  kill_node_procs "$1"
  log "crashed $1 (every process in it killed)"
}

cmd_restart_node() {
  [ $# = 1 ] || die "usage: cluster restart-node NODE"
  check_node "$1"
  local node=$1 t0
  t0=$(now_ms)
  kill_node_procs "$node"
  # a reboot empties /run and /dev/shm (guest netns under /run/netns survive
  # here: they are mount points; remove them yourself if that matters)
  in_node "$node" bash -c '
    find /dev/shm -mindepth 1 -delete 2>/dev/null || true
    find /run/resource-agents /run/crm -mindepth 1 -delete 2>/dev/null || true
    find /run -maxdepth 1 -type f -delete 2>/dev/null || true'
  cmd_unisolate "$node"
  start_daemon "$node" corosync
  wait_corosync "$node" $(( t0 + UP_TIMEOUT * 1000 ))
  start_daemon "$node" pacemakerd
  # shellcheck disable=SC2046
  wait_cluster $(( t0 + UP_TIMEOUT * 1000 )) $(nodes_list) || die "$node did not rejoin within ${UP_TIMEOUT}s"
  log "restarted $node; both nodes online ($(( $(now_ms) - t0 )) ms)"
}

