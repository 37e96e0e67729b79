# shellcheck shell=bash
# scripts/guests/identity.sh: the guests tier's helpers for guest groups
# selected by identity (guest_macs, guest_domains; issue 14). Sourced after
# scripts/guests/lib.sh, once libvirtd_start has set LIBVIRTD_PID; never run.
#
#   id_agent INSTANCE ACTION [VAR=value...]   the vhostnet agent as Pacemaker
#                            runs it, in libvirtd's mount namespace, default
#                            guest_ports; output appended to agent.log
#   id_agent_rc RC INSTANCE ACTION [VAR=value...]   the same, expecting exit RC
#   id_agent_refused INSTANCE OTHER [VAR=value...]  start exits 6 and its
#                            reason names both resources
#   lv_records NAME          "owner mode path" of libvirt's two records of
#                            domain NAME, as the agent sees them
#   pings_start / pings_stop NS ADDR...   10 ms pings to each ADDR in the
#                            background; stop prints "sent received" per ADDR

# The agent runs where libvirtd does: the host network namespace and
# libvirtd's own mount namespace, where /etc/libvirt and /run are the
# scratch directories libvirtd writes. So it reads the real records at the
# default paths /etc/libvirt/qemu/NAME.xml and /run/libvirt/qemu/NAME.xml
# (no HANET_LIBVIRT_* override), as on a host. HA_RSCTMP is under /tmp,
# which that namespace shares.
lv_nsenter() { nsenter -t "$LIBVIRTD_PID" -m -n -- "$@"; }

id_agent() { # instance action [VAR=value...]
  local inst=$1 action=$2
  shift 2
  lv_nsenter env OCF_ROOT=/usr/lib/ocf HA_RSCTMP="$GUESTS_WORK/rsc" \
    OCF_RESOURCE_INSTANCE="$inst" OCF_RESKEY_bridge="$BRIDGE" \
    OCF_RESKEY_CRM_meta_promotable=true OCF_RESKEY_CRM_meta_promoted_max=1 \
    "$@" timeout 60 "$AGENT" vhostnet "$action" >>"$GUESTS_WORK/agent.log" 2>&1
}
id_agent_rc() { # expected instance action [VAR=value...]
  local want=$1 got
  shift
  id_agent "$@"
  got=$?
  [ "$got" = "$want" ] || { echo "exit $got, expected $want"; tail -5 "$GUESTS_WORK/agent.log"; return 1; }
}
id_agent_refused() { # instance other [VAR=value...]
  local inst=$1 other=$2 got n reason
  shift 2
  n=$(wc -l <"$GUESTS_WORK/agent.log")
  id_agent "$inst" start "$@"
  got=$?
  reason=$(tail -n +$((n + 1)) "$GUESTS_WORK/agent.log" | grep -m1 'ocf-exit-reason:')
  echo "exit $got: ${reason:-no ocf-exit-reason line}"
  [ "$got" = 6 ] && [[ $reason == *"$inst"* && $reason == *"$other"* ]]
}

lv_records() { # domain
  lv_nsenter stat -c '%U %a %n' "/etc/libvirt/qemu/$1.xml" "/run/libvirt/qemu/$1.xml"
}

# ping exits on SIGINT with its summary; ip netns exec execs, so $! is ping.
declare -A PINGS_PID
pings_start() { # ns addr...
  local ns=$1 a
  shift
  for a in "$@"; do
    ip netns exec "$ns" ping -n -q -i 0.01 -W 1 -w 300 "$a" >"$GUESTS_WORK/bgping.$a" 2>&1 &
    PINGS_PID[$a]=$!
    GUESTS_PIDS+=("$!")
  done
}
pings_stop() { # ns addr...   prints "sent received" for each addr
  local a out
  shift
  for a in "$@"; do kill -INT "${PINGS_PID[$a]}" 2>/dev/null; done
  for a in "$@"; do
    wait "${PINGS_PID[$a]}" 2>/dev/null
    out=$(cat "$GUESTS_WORK/bgping.$a")
    printf '%s\n' "$out" >>"$GUESTS_WORK/ping.log"
    echo "$(sed -nE 's/^([0-9]+) packets transmitted.*/\1/p' <<<"$out") $(sed -nE 's/.* ([0-9]+) received.*/\1/p' <<<"$out")"
  done
}
