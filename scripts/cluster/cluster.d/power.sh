# shellcheck shell=bash
# scripts/cluster/cluster, power and links: what the fence agent does to a
# node (power off/on/reboot/status), crash, isolate, restart-node, the hook,
# and the host-side fence controller (scripts/cluster/fence_hanetlab serve).
#
# A node that is "off" runs nothing but its holder (PID 1 of its PID
# namespace: the chassis, which keeps its mounts and namespaces) and has
# every link down; the links it had up are remembered in NODE/links.down.
# Every power change takes STATE/power.lock: the fence controller holds it
# itself and sets HANET_CLUSTER_POWER_LOCKED=1 for the `cluster power` it runs.

cmd_kill_corosync() {
  [ $# = 1 ] || die "usage: cluster kill-corosync NODE"
  check_node "$1"
  local p
  p=$(node_pid_of "$1" corosync)
  [ -n "$p" ] || die "no corosync running on $1"
  kill -KILL "$p"
  log "killed corosync (pid $p) on $1"
}

# --- the hook ------------------------------------------------------------------

hook_program() {   # HANET_CLUSTER_ISOLATE_HOOK of the caller, else the registered one
  if [ -n "${HANET_CLUSTER_ISOLATE_HOOK:-}" ]; then echo "$HANET_CLUSTER_ISOLATE_HOOK"
  else read_first "$STATE/hook"; fi
}

run_hook() {       # isolate|unisolate|boot NODE
  local hook
  hook=$(hook_program)
  [ -n "$hook" ] || return 0
  # (not holding the power lock's fd: a hook may start something long-lived)
  if [ -n "${POWER_LOCK_FD:-}" ]; then
    "$hook" "$1" "$2" "$(netns_of "$2")" "$(holder_pid "$2")" </dev/null {POWER_LOCK_FD}>&-
  else
    "$hook" "$1" "$2" "$(netns_of "$2")" "$(holder_pid "$2")" </dev/null
  fi
}

cmd_set_hook() {   # [PROGRAM]: what power on (a fence), isolate and unisolate run
  [ $# -le 1 ] || die "usage: cluster set-hook [PROGRAM]"
  [ -d "$STATE" ] || die "cluster is not up"
  if [ -n "${1:-}" ]; then
    [ -x "$1" ] || die "hook $1 is not executable"
    readlink -f "$1" >"$STATE/hook"
  else
    echo >"$STATE/hook"
  fi
}

# --- links and processes -----------------------------------------------------------

node_links() {     # NODE -> "NAME UP|DOWN" for every link but lo (admin state)
  ip -n "$(netns_of "$1")" -o link show 2>/dev/null | awk -F': ' '{
    n = $2; sub(/@.*/, "", n); if (n == "lo") next
    f = $3; sub(/>.*/, ">", f)
    print n, (f ~ /[<,]UP[,>]/ ? "UP" : "DOWN") }'
}

node_live_pids() { # NODE -> every process in the node but the holder and its sleep
  local h p pp
  h=$(holder_pid "$1")
  for p in $(node_pids "$1"); do
    [ "$p" = "$h" ] && continue
    if [ "$(read_first "/proc/$p/comm")" = sleep ]; then
      pp=$(awk '/^PPid:/ { print $2 }' "/proc/$p/status" 2>/dev/null || true)
      [ "$pp" = "$h" ] && continue
    fi
    pid_alive "$p" && echo "$p"
  done
  return 0
}

power_status() {   # NODE -> on|off, as observed: off = nothing runs, no link up
  [ -n "$(holder_pid "$1")" ] || { echo off; return 0; }
  [ -z "$(node_live_pids "$1")" ] || { echo on; return 0; }
  if node_links "$1" | grep -q ' UP$'; then echo on; else echo off; fi
}

power_log() {      # NODE EVENT: NODE/log/power.log (the node's /var/log/power.log), "EPOCH_MS EVENT"
  printf '%s %s\n' "$(now_ms)" "$2" >>"$(node_dir "$1")/log/power.log"
}

# Every process of the node killed (but the holder), every link down: the
# node is dark. The links that were up are remembered for the next boot.
go_dark() {        # NODE
  local node=$1 nd n s up=() k t
  nd=$(node_dir "$node")
  k=$(node_live_pids "$node" | wc -l)
  t=$(now_ms)
  kill_node_procs "$node"
  t=$(( $(now_ms) - t ))
  rm -f "$nd/corosync.pid" "$nd/pacemakerd.pid"
  while read -r n s; do [ "$s" = UP ] && up+=("$n"); done < <(node_links "$node")
  for n in "${up[@]}"; do
    ip -n "$(netns_of "$node")" link set "$n" down
    [ "$n" = ring0 ] || echo "$n" >>"$nd/links.down"
  done
  power_log "$node" "dark: $k process(es) killed ($t ms), links down: ${up[*]:-none}"
}

with_power_lock() {  # CMD...: run CMD holding STATE/power.lock (unless the caller holds it)
  if [ "${HANET_CLUSTER_POWER_LOCKED:-}" = 1 ]; then "$@"; return; fi
  (
    exec {POWER_LOCK_FD}>>"$STATE/power.lock"
    flock -w 120 "$POWER_LOCK_FD" || die "the lab's power lock is busy (120 s)"
    HANET_CLUSTER_POWER_LOCKED=1
    "$@"
  )
}

power_off() {      # NODE WHY
  if [ "$(power_status "$1")" = off ]; then power_log "$1" "off ($2): already off"; return 0; fi
  power_log "$1" "off ($2)"
  go_dark "$1"
  [ "$(power_status "$1")" = off ] || { power_log "$1" "off FAILED: $(node_live_pids "$1" | wc -l) process(es) left"; die "$1 did not go off"; }
  power_log "$1" "off"
}

# The end of a boot, run inside the node as its init would run it (so a
# power-off in the middle kills it too): corosync, and once it answers,
# pacemakerd. Output to fds 3 and 4 (NODE/corosync.out, pacemakerd.out),
# "$@" is the daemons' clean environment (node_env).
# shellcheck disable=SC2016
BOOT_CODE='ms() { local t=${EPOCHREALTIME//[!0-9]/}; echo $((10#$t / 1000)); }
  setsid "$@" corosync -f </dev/null >&3 2>&3 3>&- 4>&- &
  echo "$(ms) boot: corosync started" >>/var/log/power.log
  for _ in $(seq 1 '"$((UP_TIMEOUT * 10))"'); do
    if corosync-cfgtool -s >/dev/null 2>&1; then
      setsid "$@" pacemakerd -f </dev/null >&4 2>&4 3>&- 4>&- &
      echo "$(ms) boot: pacemakerd started" >>/var/log/power.log
      exit 0
    fi
    sleep 0.1
  done
  echo "$(ms) boot: corosync not ready in '"$UP_TIMEOUT"' s: no pacemakerd" >>/var/log/power.log'

boot_stack() {     # NODE: start BOOT_CODE in the node (a child of its holder) and return
  local nd h
  nd=$(node_dir "$1"); h=$(holder_pid "$1")
  # shellcheck disable=SC2046,SC2016
  (
    close_fds
    nsenter --target "$h" --mount --uts --ipc --net --pid --wd=/ -- \
      bash -c 'setsid bash -c "$1" hanet-boot "${@:2}" </dev/null >/dev/null 2>&1 &' \
      hanet-boot "$BOOT_CODE" $(node_env) 3>>"$nd/corosync.out" 4>>"$nd/pacemakerd.out"
  ) || die "could not start the boot of $1"
}

# Boot, as on a real host: /run and /dev/shm empty, the boot-time hook (the
# guests' block, as hanet-vhostnet-block.service does) before any link is up
# and before the cluster stack starts, then the links; the node then starts
# corosync and pacemakerd itself. Returns once its links are up, as a power
# switch returns once the power is on: it does not wait for the daemons.
power_on() {       # NODE WHY
  local node=$1 nd n up=()
  nd=$(node_dir "$node")
  if [ "$(power_status "$node")" = on ]; then power_log "$node" "on ($2): already on"; return 0; fi
  power_log "$node" "boot ($2)"
  in_node "$node" bash -c '
    find /dev/shm -mindepth 1 -delete 2>/dev/null || true
    find /run/resource-agents /run/crm -mindepth 1 -delete 2>/dev/null || true
    find /run -maxdepth 1 -type f -delete 2>/dev/null || true'
  if ! run_hook boot "$node"; then
    power_log "$node" "boot: hook FAILED: links and cluster stack left down"
    die "boot hook failed on $node: it stays dark"
  fi
  power_log "$node" "boot: hook ok"
  if [ -r "$nd/links.down" ]; then
    mapfile -t up < <(sort -u "$nd/links.down")
  fi
  # (a link deleted meanwhile is simply not there any more)
  for n in "${up[@]}"; do ip -n "$(netns_of "$node")" link set "$n" up 2>/dev/null || true; done
  [ -e "$nd/isolated" ] || { ip -n "$(netns_of "$node")" link set ring0 up; up+=(ring0); }
  rm -f "$nd/links.down"
  power_log "$node" "boot: links up: ${up[*]:-none}"
  boot_stack "$node"
}

# `cluster power ACTION NODE [POWER_WAIT_S] [--by WHO]`: the fence agent's work
cmd_power() {
  [ $# -ge 2 ] || die "usage: cluster power on|off|reboot|status NODE [POWER_WAIT_S] [--by WHO]"
  local action=$1 node=$2 wait=0 by=cli
  shift 2
  while [ $# -gt 0 ]; do
    case "$1" in
      --by) by=${2:?}; shift 2 ;;
      *) [[ $1 =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "bad power wait '$1'"; wait=$1; shift ;;
    esac
  done
  check_node "$node"
  case "$action" in
    status)
      if [ "$(power_status "$node")" = on ]; then echo on; return 0; else echo off; return 2; fi ;;
    off) with_power_lock power_off "$node" "off by $by" ;;
    on) with_power_lock power_on "$node" "on by $by" ;;
    reboot) with_power_lock power_cycle "$node" "reboot by $by" "$wait" ;;
    *) die "power: unknown action '$action'" ;;
  esac
  log "power $action $node (by $by): now $(power_status "$node")"
}

power_cycle() {    # NODE WHY POWER_WAIT_S
  power_off "$1" "$2"
  [ "$3" = 0 ] || sleep "$3"
  power_on "$1" "$2"
}

# --- crash, isolate, restart ------------------------------------------------------

cmd_crash() {      # the node dies: a hung kernel on a real host (nothing runs, nothing forwards)
  [ $# = 1 ] || die "usage: cluster crash NODE"
  check_node "$1"
  power_log "$1" "crash"
  with_power_lock go_dark "$1"
  log "crashed $1 (every process in it killed, its links down)"
}

cmd_isolate() {    # a cut ring cable: stays cut across reboots until unisolate
  [ $# = 1 ] || die "usage: cluster isolate NODE"
  check_node "$1"
  touch "$(node_dir "$1")/isolated"
  ip -n "$(netns_of "$1")" link set ring0 down
  run_hook isolate "$1"
  log "isolated $1 (ring0 down)"
}

cmd_unisolate() {
  [ $# = 1 ] || die "usage: cluster unisolate NODE"
  check_node "$1"
  rm -f "$(node_dir "$1")/isolated"
  # an "off" node gets its ring back when it boots
  if [ "$(power_status "$1")" = on ]; then ip -n "$(netns_of "$1")" link set ring0 up; fi
  run_hook unisolate "$1"
  log "reconnected $1 (ring0 up)"
}

cmd_restart_node() {
  [ $# = 1 ] || die "usage: cluster restart-node NODE"
  check_node "$1"
  local node=$1 t0
  t0=$(now_ms)
  with_power_lock power_cycle "$node" "restart-node" 0
  # the node starts its daemons itself: pacemakerd first, then the cluster
  until [ -n "$(node_pid_of "$node" pacemakerd)" ]; do
    [ "$(now_ms)" -lt $(( t0 + UP_TIMEOUT * 1000 )) ] || die "$node: no pacemakerd within ${UP_TIMEOUT}s: $(tail -3 "$(node_dir "$node")/log/power.log")"
    sleep 0.1
  done
  # shellcheck disable=SC2046
  wait_cluster $(( t0 + UP_TIMEOUT * 1000 )) $(nodes_list) || die "$node did not rejoin within ${UP_TIMEOUT}s"
  log "restarted $node; all nodes online ($(( $(now_ms) - t0 )) ms)"
}

# --- the fence device's mode (LAB ONLY: a device that lies) ----------------------

fence_mode() { local m; m=$(read_first "$STATE/fence-mode"); echo "${m:-real}"; }

# noop: the controller answers off/reboot/on with success and does nothing
# (the node keeps running), as a broken fence device that reports "off"
# would. Fencing stays enabled and configured; only the device lies.
cmd_fence_mode() {   # [real|noop]
  [ $# -le 1 ] || die "usage: cluster fence-mode [real|noop]"
  [ -d "$STATE" ] || die "cluster is not up"
  if [ $# = 0 ]; then fence_mode; return 0; fi
  case "$1" in
    real|noop) echo "$1" >"$STATE/fence-mode.tmp" && mv -f "$STATE/fence-mode.tmp" "$STATE/fence-mode" ;;
    *) die "fence-mode: real or noop (got '$1')" ;;
  esac
  log "fence device mode: $1$([ "$1" = noop ] && echo " (LAB: fences are answered but do nothing)")"
}

# --- the host-side fence controller -------------------------------------------------

FENCER_MARK=fence_hanetlab
is_fence_controller() {  # PID
  local -a cl
  [ -n "${1:-}" ] && [ -r "/proc/$1/cmdline" ] || return 1
  mapfile -d '' -t cl <"/proc/$1/cmdline" 2>/dev/null || return 1
  [ ${#cl[@]} = 7 ] && [ "${cl[1]##*/}" = "$FENCER_MARK" ] && [ "${cl[2]}" = serve ] && [ "${cl[4]}" = "$STATE" ]
}

fence_controller_pid() {
  local p f
  p=$(read_first "$STATE/fence-controller.pid")
  if [ -n "$p" ] && is_fence_controller "$p" && pid_alive "$p"; then echo "$p"; return 0; fi
  while read -r f; do
    p=${f#/proc/}; p=${p%/cmdline}
    is_fence_controller "$p" && pid_alive "$p" && { echo "$p"; return 0; }
  done < <(grep -laF -- "$FENCER_MARK" /proc/[0-9]*/cmdline 2>/dev/null || true)
  return 0
}

start_fence_controller() {
  local p deadline
  p=$(
    close_fds
    setsid python3 "$(dirname "$SELF")/fence_hanetlab" serve --state "$STATE" --cluster "$SELF" \
      </dev/null >>"$STATE/fence.log" 2>&1 &
    echo $!
  )
  deadline=$(( $(now_ms) + 5000 ))
  until [ -S "$STATE/fence/fence.sock" ]; do
    pid_alive "$p" || die "fence controller died: $(tail -5 "$STATE/fence.log")"
    [ "$(now_ms)" -lt "$deadline" ] || die "fence controller not listening in 5 s"
    sleep 0.02
  done
  # (the PID of python itself, should setsid have forked)
  fence_controller_pid >"$STATE/fence-controller.pid"
}

stop_fence_controller() {
  local p
  p=$(fence_controller_pid)
  [ -n "$p" ] || return 0
  kill -TERM "$p" 2>/dev/null || true
  wait_gone 3 "$p" || kill -KILL "$p" 2>/dev/null || true
}

# Pacemaker started the fence device (fencing works before that too, but a
# test that fences right after `up` should find it running)
wait_fence_device() {  # DEADLINE_MS VIEW-NODE
  while :; do
    [[ "$(in_node "$2" crm_resource --locate -r "$FENCE_DEVICE" 2>/dev/null)" == *"is running on"* ]] && return 0
    [ "$(now_ms)" -lt "$1" ] || return 1
    sleep 0.1
  done
}
