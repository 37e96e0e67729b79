# shellcheck shell=bash
# scripts/cluster/cluster, processes: PIDs of a node, waits, running inside it.

# --- process helpers --------------------------------------------------------

# (these helpers avoid forks: they run in poll loops on a 2-core box)
pid_alive() {      # PID -> 0 if it exists and is not a zombie
  local line
  [ -n "${1:-}" ] && [ -r "/proc/$1/stat" ] || return 1
  read -r line <"/proc/$1/stat" 2>/dev/null || return 1
  line=${line##*) }
  [ "${line%% *}" != Z ]
}

read_first() {     # FILE -> first line, or empty
  local l=
  [ -r "$1" ] && read -r l <"$1" 2>/dev/null
  printf '%s' "$l"
}

# The holder is `bash -c CODE hanet-cluster-holder NODE STATE`; checking the
# command line guards against PID reuse and finds holders an interrupted `up`
# could not record.
is_holder_of() {   # PID NODE
  local -a c
  [ -n "${1:-}" ] && [ -r "/proc/$1/cmdline" ] || return 1
  mapfile -d '' -t c <"/proc/$1/cmdline" 2>/dev/null || return 1
  [ ${#c[@]} = 6 ] && [ "${c[0]##*/}" = bash ] && [ "${c[1]}" = -c ] && \
    [ "${c[3]}" = "$MARK" ] && [ "${c[4]}" = "$2" ] && [ "${c[5]}" = "$STATE" ]
}

scan_holders() {   # NODE -> every live holder PID of NODE (normally one)
  local f p
  for f in $(grep -laF -- "$MARK" /proc/[0-9]*/cmdline 2>/dev/null); do
    p=${f#/proc/}; p=${p%/cmdline}
    is_holder_of "$p" "$1" && echo "$p"
  done
  return 0
}

holder_pid() {     # NODE -> holder PID or empty
  local p
  p=$(read_first "$(node_dir "$1")/holder.pid")
  if [ -n "$p" ] && is_holder_of "$p" "$1"; then echo "$p"; return 0; fi
  # (no `| head`: with pipefail an early-closing reader fails the pipeline)
  p=$(scan_holders "$1"); echo "${p%%$'\n'*}"
}

node_pids() {      # NODE -> host PIDs of every process in the node's PID ns
  local h ns
  h=$(holder_pid "$1"); [ -n "$h" ] || return 0
  ns=$(readlink "/proc/$h/ns/pid" 2>/dev/null) || return 0
  find /proc/[0-9]*/ns/pid -maxdepth 0 -printf '%p %l\n' 2>/dev/null |
    awk -v ns="$ns" '$2 == ns { split($1, a, "/"); print a[3] }'
  return 0
}

node_pid_of() {    # NODE COMM -> host PID of that daemon inside NODE
  local p c
  # fast path: the PID recorded at start, if it still is that daemon
  p=$(read_first "$(node_dir "$1")/$2.pid")
  if [ -n "$p" ] && pid_alive "$p" && [ "$(read_first "/proc/$p/comm")" = "$2" ]; then
    echo "$p"; return 0
  fi
  for p in $(node_pids "$1"); do
    c=$(read_first "/proc/$p/comm")
    [ "$c" = "$2" ] && pid_alive "$p" && { echo "$p"; return 0; }
  done
  return 0
}

wait_gone() {      # TIMEOUT_S PID... -> 0 when all gone
  local deadline=$(( $(now_ms) + $1 * 1000 )); shift
  local p alive
  while :; do
    alive=0
    for p in "$@"; do pid_alive "$p" && alive=1; done
    [ $alive = 0 ] && return 0
    [ "$(now_ms)" -ge "$deadline" ] && return 1
    sleep 0.1
  done
}

# Close every inherited fd above 2 (call in a subshell before starting a
# long-lived process: a CI harness waiting for EOF on a pipe would hang).
close_fds() {
  local fd
  for fd in /proc/$BASHPID/fd/*; do
    fd=${fd##*/}
    if [ "$fd" -gt 2 ]; then eval "exec $fd>&-" 2>/dev/null || true; fi
  done
}

# Run inside the node. Entering the PID namespace makes nsenter fork: the
# command runs as a child of nsenter, which passes its exit status back.
in_node() {        # NODE CMD...
  local node=$1 h wd=/; shift
  h=$(holder_pid "$node")
  [ -n "$h" ] || { echo "[cluster] node $node is not running" >&2; return 125; }
  case "$PWD" in /run|/run/*) ;; *) wd=$PWD ;; esac
  nsenter --target "$h" --mount --uts --ipc --net --pid --wd="$wd" -- "$@"
}

node_env() {       # the clean environment pacemaker/corosync daemons get
  echo env -i PATH="$NODE_PATH" HOME=/root LC_ALL=C \
    PCMK_logfile=/var/log/pacemaker/pacemaker.log PCMK_logfacility=none \
    PCMK_debug=no HA_LOGFACILITY=none
}


host_pid_of() {    # NODE PID-INSIDE-NODE -> host PID
  local p
  for p in $(node_pids "$1"); do
    [ "$(awk '/^NSpid:/ {print $NF}' "/proc/$p/status" 2>/dev/null)" = "$2" ] && { echo "$p"; return 0; }
  done
  return 0
}


kill_node_procs() {  # NODE: SIGKILL every process in the node but its holder
  local h p pids=()
  h=$(holder_pid "$1")
  for p in $(node_pids "$1"); do [ "$p" != "$h" ] && pids+=("$p"); done
  [ ${#pids[@]} = 0 ] && return 0
  kill -KILL "${pids[@]}" 2>/dev/null || true
  wait_gone 5 "${pids[@]}" || true
}

