#!/usr/bin/env bash
# Tier "guests": real hypervisor guests blocked and opened by the vhostnet
# agent, with traffic checked from the switch side.
#
# A "host" network namespace holds the bridge xenbr1 (dom0's address
# 192.0.2.2) and an uplink to a "switch" namespace, whose client pings every
# guest every 10 ms over IPv4 and IPv6. Two guests of scripts/guests/image
# (Debian's kernel, a busybox initramfs, TCG) sit on the bridge:
#   qemu  QEMU run directly, port tap0 (a fixed MAC) joined as an ifup script would
#   lv    a domain of a private libvirtd, <interface type='bridge'>: port vnetN,
#         the MAC libvirt chose
# The built hanet-agent runs as an OCF agent in the host namespace
# (guest_ports "tap* vnet*"): stop / start, then as a promotable instance
# start / promote / demote, then both guests reboot (new ports, same MACs)
# while blocked. Blocked means 0 answers and nothing reaching the guest (its
# own count of echo requests, printed on its console); open means answers.
# Ends with its wall time and "N passed, N failed". Missing tools fail.
set -uo pipefail
HANET_PROG=guests HANET_PLAIN=1
# shellcheck source=scripts/lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"   # check, ok, bad, summary
cd "$(dirname "$0")/../.." || exit 1
ROOT=$PWD
T0=$(now_ms)
# check, but in this shell (a step may start a process whose pid it records).
step() {
  local what=$1
  shift
  if "$@" >"$GUESTS_WORK/step.out" 2>&1; then ok "$what"
  else bad "$what"; tail -20 "$GUESTS_WORK/step.out" | sed 's/^/     /'; return 1; fi
}
finish() { echo "guests tier wall time: $(( $(ms_since "$T0") / 1000 )) s"; summary; }

[ "$(id -u)" = 0 ] || { echo "FAIL the guests tier needs root"; echo "0 passed, 1 failed"; exit 1; }
for t in qemu-system-x86_64 libvirtd virsh ping unshare nft; do
  command -v "$t" >/dev/null || { echo "FAIL missing $t (scripts/install-deps.sh)"; echo "0 passed, 1 failed"; exit 1; }
done
AGENT=${HANET_AGENT:-$ROOT/.build/debug/hanet-agent}
[ -x "$AGENT" ] || { echo "FAIL missing $AGENT (swift build --product hanet-agent)"; echo "0 passed, 1 failed"; exit 1; }
read -r GUEST_VMLINUX GUEST_INITRD < <(scripts/guests/image) && [ -r "${GUEST_INITRD:-}" ] ||
  { echo "FAIL scripts/guests/image could not build the guest"; echo "0 passed, 1 failed"; exit 1; }

GUESTS_WORK=$(mktemp -d /tmp/hanet-guests.XXXXXX)
# shellcheck source=scripts/guests/lib.sh
. scripts/guests/lib.sh
# HANET_GUESTS_KEEP=1 keeps the scratch directory (consoles, logs) for a post-mortem.
trap 'guests_cleanup; [ "${HANET_GUESTS_KEEP:-0}" = 1 ] && echo "kept $GUESTS_WORK" || rm -rf "$GUESTS_WORK"' EXIT
trap 'exit 130' INT TERM
S=$$
# Without a lab or guests every later check would fail slowly: stop at once.
abort() { finish; exit 1; }
guests_lab "hg-host-$S" "hg-sw-$S" xenbr1 || { bad "the namespaces, bridge and uplink"; abort; }

declare -A IP4=([qemu]=192.0.2.10 [lv]=192.0.2.11) IP6=([qemu]=fd00:2::10 [lv]=fd00:2::11)
QEMU_MAC=52:54:00:4e:00:10
GUESTS=(qemu lv)

# --- boot: the QEMU guest boots while libvirtd starts (its capability probe
# takes seconds), then the libvirt domain ---------------------------------
t=$(now_ms)
step "QEMU guest starts on tap0, a port of xenbr1" qemu_guest_start qemu tap0 "$QEMU_MAC" "${IP4[qemu]}" "${IP6[qemu]}" || abort
lt=$(now_ms)
step "libvirtd runs in the host namespace with private /run, /etc/libvirt, /var/lib/libvirt" libvirtd_start || abort
echo "libvirtd answered after $(( $(ms_since "$lt") )) ms"
defined_and_started() { libvirt_guest_define lv "${IP4[lv]}" "${IP6[lv]}" && lv start lv; }
step "libvirt domain defined (type qemu, interface type bridge on xenbr1) and started" defined_and_started || abort
libvirt_guest_pid lv >/dev/null
both_up() { guest_wait_up qemu 120 && guest_wait_up lv 120; }
step "both guests up (console: eth0 configured)" both_up || abort
echo "guests booted after $(( $(ms_since "$t") )) ms"

# The libvirt port: a vnetN of xenbr1 whose MAC is libvirt's (52:54:00:...),
# the one the guest reports as its own.
lv_port() { lv domiflist lv | awk '$3 == "xenbr1" { print $1, $5 }'; }
read -r LV_PORT LV_MAC < <(lv_port)
check "libvirt's port $LV_PORT is a vnetN of xenbr1 with libvirt's MAC $LV_MAC, the guest's own" bash -c "
  [[ '$LV_PORT' == vnet* && '$LV_MAC' == 52:54:00:* ]] &&
  ip -n $HOSTNS -j link show '$LV_PORT' | grep -q '\"master\":\"xenbr1\"' &&
  grep -q 'hanet-guest: up $LV_MAC' '$(guest_console lv)'"
check "QEMU guest's port tap0 is a tun device on xenbr1; the guest has MAC $QEMU_MAC" bash -c "
  ip -n $HOSTNS -d -j link show tap0 | grep -q '\"info_kind\":\"tun\"' &&
  ip -n $HOSTNS -j link show tap0 | grep -q '\"master\":\"xenbr1\"' &&
  grep -q 'hanet-guest: up $QEMU_MAC' '$(guest_console qemu)'"

# --- traffic probe: 2 s of 10 ms pings to every guest (IPv4 and IPv6) and to
# dom0, all at once; each guest's own count of echo requests before and after.
declare -A SENT RECV DELTA
probe() {
  local g e0 e1 pings=()
  declare -A before
  for g in "${GUESTS[@]}"; do before[$g]=$(guest_echoes "$g"); done
  for g in "${GUESTS[@]}"; do
    ping_count "$SWNS" "${IP4[$g]}" 2 >"$GUESTS_WORK/ping.$g.4" & pings+=($!)
    ping_count "$SWNS" "${IP6[$g]}" 2 >"$GUESTS_WORK/ping.$g.6" & pings+=($!)
  done
  ping_count "$SWNS" 192.0.2.2 2 >"$GUESTS_WORK/ping.dom0.4" & pings+=($!)
  wait "${pings[@]}"   # (not every job: libvirtd is one)
  for g in "${GUESTS[@]}"; do
    e0=${before[$g]} e1=$(guest_echoes "$g")
    DELTA[$g]=$((${e1:-0} - ${e0:-0}))
    for f in 4 6; do read -r "SENT[$g.$f]" "RECV[$g.$f]" <"$GUESTS_WORK/ping.$g.$f"; done
  done
  read -r "SENT[dom0]" "RECV[dom0]" <"$GUESTS_WORK/ping.dom0.4"
}
# Blocked: nothing answers and nothing reaches the guest. ping slows down
# once ARP / neighbour discovery fails (no answer means no request goes out),
# so only a handful of requests is demanded of the window.
expect_blocked() { # label
  local g
  probe
  for g in "${GUESTS[@]}"; do
    check "$1: $g guest blocked: ${RECV[$g.4]:-?} of ${SENT[$g.4]:-?} IPv4 and ${RECV[$g.6]:-?} of ${SENT[$g.6]:-?} IPv6 pings answered, ${DELTA[$g]} echo requests reached it" \
      test "${RECV[$g.4]:-x}" = 0 -a "${RECV[$g.6]:-x}" = 0 -a "${DELTA[$g]}" = 0 -a "${SENT[$g.4]:-0}" -ge 5 -a "${SENT[$g.6]:-0}" -ge 5
  done
  check "$1: dom0 (192.0.2.2 on xenbr1) still answers: ${RECV[dom0]:-?} of ${SENT[dom0]:-?}" test "${RECV[dom0]:-0}" -ge 50
}
expect_open() { # label
  local g
  probe
  for g in "${GUESTS[@]}"; do
    check "$1: $g guest open: ${RECV[$g.4]:-?} of ${SENT[$g.4]:-?} IPv4 and ${RECV[$g.6]:-?} of ${SENT[$g.6]:-?} IPv6 pings answered, ${DELTA[$g]} echo requests reached it" \
      test "${RECV[$g.4]:-0}" -ge $((${SENT[$g.4]:-0} / 2)) -a "${RECV[$g.6]:-0}" -ge $((${SENT[$g.6]:-0} / 2)) \
        -a "${SENT[$g.4]:-0}" -ge 50 -a "${DELTA[$g]}" -ge $((${RECV[$g.4]:-0} + ${RECV[$g.6]:-0}))
  done
}

expect_open "before the agent (the probe can see answers)"

# --- the agent as Pacemaker runs it ---------------------------------------
# Output goes to a file: a blocking action leaves a guard process behind,
# which would hold a pipe open.
agent() { # instance action [VAR=value...]
  local inst=$1 action=$2
  shift 2
  ip netns exec "$HOSTNS" env OCF_ROOT=/usr/lib/ocf HA_RSCTMP="$GUESTS_WORK/rsc" \
    OCF_RESOURCE_INSTANCE="$inst" OCF_RESKEY_bridge=xenbr1 OCF_RESKEY_guest_ports='tap* vnet*' \
    "$@" timeout 60 "$AGENT" vhostnet "$action" >>"$GUESTS_WORK/agent.log" 2>&1
}
agent_rc() { # expected instance action [VAR=value...]
  local want=$1
  shift
  agent "$@"
  local got=$?
  [ "$got" = "$want" ] || { echo "exit $got, expected $want"; tail -5 "$GUESTS_WORK/agent.log"; return 1; }
}

check "vhostnet stop (block): 0" agent_rc 0 guests stop
check "vhostnet monitor while blocked: 7" agent_rc 7 guests monitor
expect_blocked "after stop"
check "vhostnet start (open): 0" agent_rc 0 guests start
check "vhostnet monitor while open: 0" agent_rc 0 guests monitor
expect_open "after start"

# --- a promotable clone instance ------------------------------------------
P=(OCF_RESKEY_CRM_meta_promotable=true OCF_RESKEY_CRM_meta_promoted_max=1)
# (the same bridges: the same resource, now a clone instance)
check "promotable start: 0 (blocked, Unpromoted)" agent_rc 0 guests start "${P[@]}"
check "promotable monitor: 0 (Unpromoted)" agent_rc 0 guests monitor "${P[@]}"
expect_blocked "Unpromoted"
check "promotable promote: 0" agent_rc 0 guests promote "${P[@]}"
check "promotable monitor: 8 (Promoted)" agent_rc 8 guests monitor "${P[@]}"
expect_open "Promoted"
check "promotable demote: 0" agent_rc 0 guests demote "${P[@]}"
check "promotable monitor after demote: 0 (Unpromoted)" agent_rc 0 guests monitor "${P[@]}"

# --- HOOK (issue 14, identity selection): when guest_macs and guest_domains
# exist, block by identity here with an instance that selects
#   OCF_RESKEY_guest_macs="$QEMU_MAC $LV_MAC" (or the prefix 52:54:00:00:00:00/24)
#   OCF_RESKEY_guest_domains=lv (libvirt's run-time state is $LV/run/libvirt/qemu/lv.xml)
# and guest_ports unset, then expect_blocked / expect_open as above; the
# reboot below then proves the identity survives a new port name.

# --- both guests reboot while blocked: new ports, same MACs -----------------
old_tap=$(ip -n "$HOSTNS" -j link show tap0 | sed -nE 's/.*"ifindex":([0-9]+).*/\1/p')
t=$(now_ms)
qemu_guest_stop qemu
step "QEMU guest restarted: a new tap0, same MAC" qemu_guest_start qemu tap0 "$QEMU_MAC" "${IP4[qemu]}" "${IP6[qemu]}"
: >"$(guest_console lv)"
step "libvirt domain destroyed and started again" eval 'lv destroy lv && lv start lv'
libvirt_guest_pid lv >/dev/null
step "both guests up again" both_up || abort
echo "guests rebooted after $(( $(ms_since "$t") )) ms"
read -r NEW_PORT NEW_MAC < <(lv_port)
new_tap=$(ip -n "$HOSTNS" -j link show tap0 | sed -nE 's/.*"ifindex":([0-9]+).*/\1/p')
check "libvirt renumbered the port ($LV_PORT -> $NEW_PORT), same MAC $NEW_MAC; tap0 is a new link ($old_tap -> $new_tap)" \
  test "$NEW_PORT" != "$LV_PORT" -a "$NEW_MAC" = "$LV_MAC" -a "$new_tap" != "$old_tap"
expect_blocked "rebooted while Unpromoted"
check "promotable promote after the reboot: 0" agent_rc 0 guests promote "${P[@]}"
expect_open "rebooted, then Promoted"
# shellcheck disable=SC2016 # expanded by eval, in this shell
step "promotable demote and stop: 0, then monitor 7" eval 'agent_rc 0 guests demote "${P[@]}" && agent_rc 0 guests stop "${P[@]}" && agent_rc 7 guests monitor "${P[@]}"'

echo
finish
[ "$FAILED" = 0 ]
