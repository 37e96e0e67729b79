# shellcheck shell=bash
# scripts/cluster/scenario, shared part: timing, running commands in the
# nodes and the switch, and the cluster's state as seen from a node (crm_mon
# through crmstate.py, nft as the witness of the block, bounded waits).
# Uses the entry point's globals (A, B, C, RSC, SW, STATE, WAIT_S, PY, SCN).

now()  { echo "$EPOCHREALTIME"; }
ms_between() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.0f", (b - a) * 1000 }'; }

port_of() { echo "sw${1#host}"; }
# The lab's hosts: NODES (--nodes; default A B). With two, other() (common.sh)
# names the peer; with three, others() lists every host but one.
others() { local n; for n in "${NODES[@]}"; do [ "$n" = "$1" ] || echo "$n"; done; }
csv() { printf '%s\n' "$@" | LC_ALL=C sort | paste -sd, -; }   # as crmstate.py lists nodes
nodes_text() {   # SEP: "hostA and hostB", "hostA, hostB and hostC" (SEP "+": hostA+hostB)
  if [ "${1:-}" = + ]; then (IFS=+; echo "${NODES[*]}"); return; fi
  local last=${NODES[${#NODES[@]}-1]} rest=("${NODES[@]:0:${#NODES[@]}-1}")
  printf '%s and %s\n' "$(printf '%s, ' "${rest[@]}" | sed 's/, $//')" "$last"
}
plog() { echo "$STATE/nodes/$1/log/pacemaker/pacemaker.log"; }
size_of() { stat -c %s "$1" 2>/dev/null || echo 0; }
pcmk_args() {   # ARRAY-NAME: set it to --pcmk-log FILE:OFFSET for both nodes, offsets from now
  local -n _pa=$1
  local n
  _pa=()
  for n in "${NODES[@]}"; do _pa+=(--pcmk-log "$(plog "$n"):$(size_of "$(plog "$n")")"); done
}

# run inside a node / the switch
nx() { "$C" exec "$@"; }
sx() { ip netns exec "$SW" "$@"; }

# One crm_mon view (from NODE) as "vhostnet=X xenbr1=A,B online=A,B ..."
crmstate() {   # VIEW-NODE
  local x
  x=$(nx "$1" timeout 5 crm_mon -1 -r --output-as=xml 2>/dev/null) || return 1
  "$PY" "$SCN/crmstate.py" <<<"$x"
}

# 0 when the complete block is in place on NODE (nft as the witness): our
# table exists, is not dormant, and has its six drop rules.
blocked() {   # NODE
  local r
  r=$(ip netns exec "hanet-$1" nft list ruleset 2>/dev/null) || return 1
  grep -q '^table bridge hanet_' <<<"$r" || return 1
  ! grep -q 'flags dormant' <<<"$r" || return 1
  [ "$(grep -c ' drop$' <<<"$r")" -ge 6 ]
}

# every host but NODE blocked (nft witness)
others_blocked() {   # NODE
  local n
  for n in $(others "$1"); do blocked "$n" || return 1; done
}

# Wait (bounded) until vhostnet runs on ACTIVE only (as VIEW sees it), the
# bridge clone runs on every host, all are online and the other hosts'
# guests are blocked. Prints the last state on timeout.
wait_stable() {   # ACTIVE [VIEW] [TIMEOUT_S]
  local active=$1 view=${2:-$1} to=${3:-$WAIT_S} st="" deadline all rest n bl
  deadline=$(( EPOCHSECONDS + to ))
  all=$(csv "${NODES[@]}")
  # shellcheck disable=SC2046
  rest=$(csv $(others "$active"))
  while :; do
    st=$(crmstate "$view" || true)
    if [[ " $st " == *" $RSC=$active "* && " $st " == *" xenbr1=$all "* && \
          ( $PRIMITIVE = 1 || " $st " == *" $RSC-u=$rest "* ) && \
          " $st " == *" online=$all "* && " $st " == *" failed= "* ]] && others_blocked "$active"; then
      return 0
    fi
    if [ "$EPOCHSECONDS" -ge "$deadline" ]; then
      bl=""
      for n in $(others "$active"); do bl="$bl; $n blocked: $(blocked "$n" && echo yes || echo no)"; done
      say "not stable after ${to}s: $st$bl"
      return 1
    fi
    sleep 0.1
  done
}

# Wait (bounded) until the DC has no transition in flight: S_IDLE three
# polls in a row (an attribute change may start the next one right after).
settle_cluster() {   # VIEW
  local dc st idle=0 deadline=$(( EPOCHSECONDS + WAIT_S ))
  while :; do
    dc=$(nx "$1" crmadmin -q -D 2>&1 | tail -n1 | sed 's/.*: *//') || dc=""
    st=""
    [ -z "$dc" ] || st=$(nx "$1" crmadmin -q -S "$dc" 2>&1 | tail -n1) || st=""
    if [[ "$st" == *S_IDLE* ]]; then idle=$((idle + 1)); else idle=0; fi
    [ $idle -ge 3 ] && return 0
    [ "$EPOCHSECONDS" -lt "$deadline" ] || { say "cluster not idle after ${WAIT_S}s (DC ${dc:-?}: ${st:-?})"; return 1; }
    sleep 0.1
  done
}

# (promotable clone: "located" = where the instance is Promoted; crm_resource
# --locate -r CLONE prints "... is running on: NODE Promoted" for it)
locate_out() {   # VIEW -> the promoted/active node(s), one a line
  local out
  out=$(nx "$1" crm_resource --locate -r "$RSC_ID" 2>/dev/null) || return 1
  if [ "$PRIMITIVE" = 1 ]; then sed -n 's/.*is running on: //p' <<<"$out"
  else sed -n 's/.*is running on: \([^ ]*\) Promoted$/\1/p' <<<"$out"; fi
}

wait_located() {   # TARGET VIEW [TIMEOUT_S]
  local target=$1 view=$2 to=${3:-$WAIT_S} st deadline
  deadline=$(( EPOCHSECONDS + to ))
  while :; do
    st=$(locate_out "$view" || true)
    [ "$st" = "$target" ] && return 0
    [ "$EPOCHSECONDS" -lt "$deadline" ] || { say "$RSC not on $target after ${to}s: $st"; return 1; }
    sleep 0.02
  done
}

located() {   # VIEW -> the one node vhostnet runs on
  local out
  out=$(locate_out "$1") || return 1
  [ -n "$out" ] && [ "$(wc -l <<<"$out")" = 1 ] || return 1
  echo "$out"
}

wait_located_any() {
  local deadline=$(( EPOCHSECONDS + WAIT_S ))
  until located "$A" >/dev/null; do
    [ "$EPOCHSECONDS" -lt "$deadline" ] || return 1
    sleep 0.05
  done
}

# Move the promoted role (the active instance) to NODE / clear that again.
# Pacemaker 2.1.5: crm_resource --move --promoted on the promotable clone
# adds a location constraint with role=Promoted (cli-prefer-vhostnet-clone).
move_to() {   # VIEW NODE
  if [ "$PRIMITIVE" = 1 ]; then nx "$1" crm_resource --move -r "$RSC_ID" -N "$2"
  else nx "$1" crm_resource --move --promoted -r "$RSC_ID" -N "$2"; fi
}
move_clear() {   # VIEW
  nx "$1" crm_resource --clear -r "$RSC_ID"
}
