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
# start / promote / demote. Then the guests as two groups selected by identity
# (guest_macs, guest_domains; scripts/guests/identity.sh): opened one at a
# time, rebooted (new ports) while blocked, the domain started after its
# group blocked; a group of another MAC (negative control); overlaps refused.
# Blocked means 0 answers and nothing reaching the guest (its own count of
# echo requests, printed on its console); open means answers.
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
was_blocked() { # label guest   (after a probe)
  local g=$2
  check "$1: $g guest blocked: ${RECV[$g.4]:-?} of ${SENT[$g.4]:-?} IPv4 and ${RECV[$g.6]:-?} of ${SENT[$g.6]:-?} IPv6 pings answered, ${DELTA[$g]} echo requests reached it" \
    test "${RECV[$g.4]:-x}" = 0 -a "${RECV[$g.6]:-x}" = 0 -a "${DELTA[$g]}" = 0 -a "${SENT[$g.4]:-0}" -ge 5 -a "${SENT[$g.6]:-0}" -ge 5
}
was_open() { # label guest
  local g=$2
  check "$1: $g guest open: ${RECV[$g.4]:-?} of ${SENT[$g.4]:-?} IPv4 and ${RECV[$g.6]:-?} of ${SENT[$g.6]:-?} IPv6 pings answered, ${DELTA[$g]} echo requests reached it" \
    test "${RECV[$g.4]:-0}" -ge $((${SENT[$g.4]:-0} / 2)) -a "${RECV[$g.6]:-0}" -ge $((${SENT[$g.6]:-0} / 2)) \
      -a "${SENT[$g.4]:-0}" -ge 50 -a "${DELTA[$g]}" -ge $((${RECV[$g.4]:-0} + ${RECV[$g.6]:-0}))
}
expect_blocked() { # label
  local g
  probe
  for g in "${GUESTS[@]}"; do was_blocked "$1" "$g"; done
  check "$1: dom0 (192.0.2.2 on xenbr1) still answers: ${RECV[dom0]:-?} of ${SENT[dom0]:-?}" test "${RECV[dom0]:-0}" -ge 50
}
expect_open() { # label
  local g
  probe
  for g in "${GUESTS[@]}"; do was_open "$1" "$g"; done
}
# One group open, the other blocked: one window, both verdicts.
expect_only_open() { # label open-guest blocked-guest
  probe
  was_open "$1" "$2"
  was_blocked "$1" "$3"
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

# --- guest groups by identity (issue 14) ----------------------------------
# Instances run by id_agent (scripts/guests/identity.sh): promotable, the
# default guest_ports, inside libvirtd's mount namespace so guest_domains
# reads libvirt's real records at the default /etc/libvirt and /run paths.
# The port-wide instance steps aside as a deleted resource would: opened,
# its group record removed (records outlive their resources by design).
# shellcheck disable=SC2016 # expanded by eval, in this shell
step "port-wide instance promoted (open) and its group record removed" \
  eval 'agent_rc 0 guests promote "${P[@]}" && rm "$GUESTS_WORK/rsc/vhostnet-group-guests.state"'
# shellcheck source=scripts/guests/identity.sh
. scripts/guests/identity.sh
GQ=(OCF_RESKEY_guest_macs="$QEMU_MAC") GL=(OCF_RESKEY_guest_domains=lv)
OTHER_MAC=52:54:00:4e:00:99
gq() { id_agent_rc "$1" gq "$2" "${GQ[@]}"; }   # expected-rc action
gl() { id_agent_rc "$1" gl "$2" "${GL[@]}"; }
other() { id_agent_rc "$1" other "$2" OCF_RESKEY_guest_macs=$OTHER_MAC; }
check "negative control: group 'other' (guest_macs=$OTHER_MAC, no guest's) start: 0" \
  other 0 start
expect_open "only another MAC's group blocked"
REC=$(lv_records lv | tr '\n' ';')
check "libvirt's records of lv as the agent sees them (libvirtd's mount namespace) are root's, 0600/0644: $REC" \
  test "$(tr ';' '\n' <<<"$REC" | grep -cE '^root (600|644) /(etc|run)/libvirt/qemu/lv\.xml$')" = 2
check "group gq (guest_macs=$QEMU_MAC) start: 0 (blocked, Unpromoted)" gq 0 start
check "group gl (guest_domains=lv) start: 0 (blocked, Unpromoted)" gl 0 start
check "the host's nftables rules name both MACs ($LV_MAC read from libvirt's records)" bash -c "
  ip netns exec $HOSTNS nft list ruleset | grep -qi '$QEMU_MAC' && ip netns exec $HOSTNS nft list ruleset | grep -qi '$LV_MAC'"
expect_blocked "gq and gl Unpromoted"
check "gq promote: 0, monitor 8; gl monitor 0" eval 'gq 0 promote && gq 8 monitor && gl 0 monitor'
expect_only_open "gq Promoted, gl Unpromoted" qemu lv
check "gq demote, gl promote: 0; gl monitor 8" eval 'gq 0 demote && gl 0 promote && gl 8 monitor'
expect_only_open "gl Promoted, gq Unpromoted" lv qemu
check "gl demote: 0" gl 0 demote
check "overlap: group gz (guest_macs=\"$QEMU_MAC 52:54:00:4e:00:20\", one of gq's) refused at start naming gz and gq" \
  id_agent_refused gz gq OCF_RESKEY_guest_macs="$QEMU_MAC 52:54:00:4e:00:20"
check "overlap: group gy (guest_macs=$LV_MAC, lv's) refused at start naming gy and gl" \
  id_agent_refused gy gl OCF_RESKEY_guest_macs="$LV_MAC"

# --- both guests reboot while their groups are blocked: new ports, same MACs.
# Pings run through the reboots; a guest's echo count is since its boot.
ADDRS=("${IP4[qemu]}" "${IP6[qemu]}" "${IP4[lv]}" "${IP6[lv]}")
since_boot() { # label guest...   after pings_stop's output in BG
  local label=$1 g n=() bad=0
  shift
  for g in "$@"; do
    n+=("$g $(guest_echoes "$g")")
    [ "${n[-1]#* }" = 0 ] || bad=1
  done
  check "$label: blocked from the first frame: pings through the boot (sent received: $(tr '\n' ';' <<<"$BG")) all unanswered; echo requests since boot: ${n[*]}" \
    test "$(awk '$2 != 0' <<<"$BG" | wc -l)" = 0 -a "$bad" = 0
}
old_tap=$(ip -n "$HOSTNS" -j link show tap0 | sed -nE 's/.*"ifindex":([0-9]+).*/\1/p')
pings_start "$SWNS" "${ADDRS[@]}"
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
expect_blocked "rebooted while gq and gl Unpromoted"
BG=$(pings_stop "$SWNS" "${ADDRS[@]}")
since_boot "rebooted" qemu lv
check "gq and gl monitor after the reboot: 0 (Unpromoted, rules intact)" eval 'gq 0 monitor && gl 0 monitor'
check "gq and gl promote after the reboot: 0" eval 'gq 0 promote && gl 0 promote'
expect_open "rebooted, then gq and gl Promoted"

# --- a late guest: gl blocks while lv is only defined (no run-time record,
# so the agent reads the persistent definition alone), then lv starts.
step "lv destroyed: defined only, no /run/libvirt/qemu/lv.xml" eval 'lv destroy lv && ! lv_nsenter test -e /run/libvirt/qemu/lv.xml'
check "gl demote while lv is down: 0" gl 0 demote
pings_start "$SWNS" "${IP4[lv]}" "${IP6[lv]}"
: >"$(guest_console lv)"
step "lv started after the block" eval 'lv start lv && libvirt_guest_pid lv >/dev/null && guest_wait_up lv 120'
expect_only_open "late guest, gq Promoted, gl Unpromoted" qemu lv
BG=$(pings_stop "$SWNS" "${IP4[lv]}" "${IP6[lv]}")
since_boot "late guest" lv
check "gl promote: 0" gl 0 promote
expect_open "late guest, gl Promoted"
stop_all() { local i; for i in gq gl other; do "$i" 0 demote && "$i" 0 stop && "$i" 7 monitor || return 1; done; }
step "gq, gl and other demote and stop: 0, then monitor 7" stop_all

echo
finish
[ "$FAILED" = 0 ]
