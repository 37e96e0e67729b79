# shellcheck shell=bash
# scripts/guests/lib.sh: real hypervisor guests for tests (sourced after
# scripts/lib/common.sh; never run). A "host" network namespace holds the
# bridge the guests' ports join; a "switch" namespace holds the client that
# pings them through the host's uplink. Guests are the tiny image of
# scripts/guests/image, run by QEMU directly (a tap port the test attaches,
# as a hypervisor's ifup script does) or by a private libvirtd (a vnetN port
# libvirt attaches itself). Every process started here is recorded by pid
# in GUESTS_PIDS and ended by guests_cleanup; every wait is bounded.
#
#   guests_lab HOSTNS SWNS BRIDGE       namespaces, bridge, uplink, client
#                                        192.0.2.1/24 and fd00:2::1/64
#   qemu_guest_start NAME TAP MAC IP4 IP6   boot a QEMU guest on tap TAP (in
#                                        HOSTNS, a port of BRIDGE once it exists)
#   qemu_guest_stop NAME                 kill it by pid (its tap goes with it)
#   libvirtd_start                       a libvirtd of its own in HOSTNS
#   lv ARGS...                           virsh against that libvirtd
#   libvirt_guest_define NAME IP4 IP6    a persistent domain on BRIDGE
#   guest_wait_up NAME [SECONDS]         until the console says the guest is up
#   guest_echoes NAME                    ICMP echo requests the guest received
#   ping_count NS ADDR SECONDS           "sent received" of a 10 ms ping
#   guests_cleanup                       kill every recorded pid, delete the lab

GUESTS_PIDS=()
: "${GUESTS_WORK:?set GUESTS_WORK to a scratch directory before sourcing}"

guests_lab() {
  HOSTNS=$1 SWNS=$2 BRIDGE=$3
  ip netns add "$HOSTNS" && ip netns add "$SWNS" || return 1
  ip -n "$HOSTNS" link set lo up
  ip -n "$SWNS" link set lo up
  # A pinned MAC, as hanet's bridge agent sets: a bridge without one takes
  # its lowest port MAC, which changes when a guest reboots (a new tap), and
  # the client's neighbour entry for dom0 would go stale.
  ip -n "$HOSTNS" link add "$BRIDGE" address 02:00:00:00:00:02 type bridge forward_delay 0
  ip -n "$HOSTNS" link set "$BRIDGE" up
  # dom0's own address on the bridge: blocking guests must leave it reachable.
  ip -n "$HOSTNS" addr add 192.0.2.2/24 dev "$BRIDGE"
  ip -n "$HOSTNS" link add up0 type veth peer name sw0 netns "$SWNS"
  ip -n "$HOSTNS" link set up0 master "$BRIDGE" up
  ip -n "$SWNS" addr add 192.0.2.1/24 dev sw0
  ip -n "$SWNS" addr add fd00:2::1/64 dev sw0 nodad
  ip -n "$SWNS" link set sw0 up
}

# The guest's kernel command line and console: the same for both hypervisors.
guest_append() { echo "console=ttyS0 panic=-1 quiet hanet.ip4=$1/24 hanet.ip6=$2/64"; }
guest_console() { echo "$GUESTS_WORK/$1.console"; }

qemu_guest_start() {
  local name=$1 tap=$2 mac=$3 ip4=$4 ip6=$5 pid i
  : >"$(guest_console "$name")"
  rm -f "$GUESTS_WORK/$name.pid"
  timeout 60 ip netns exec "$HOSTNS" qemu-system-x86_64 -nodefaults -no-user-config \
    -display none -machine pc -accel tcg -cpu max -smp 1 -m 128 \
    -serial "file:$(guest_console "$name")" -kernel "$GUEST_VMLINUX" -initrd "$GUEST_INITRD" \
    -append "$(guest_append "$ip4" "$ip6")" \
    -netdev "tap,id=n0,ifname=$tap,script=no,downscript=no" \
    -device "virtio-net-pci,netdev=n0,mac=$mac" \
    -pidfile "$GUESTS_WORK/$name.pid" -daemonize >"$GUESTS_WORK/$name.qemu.log" 2>&1 ||
    { cat "$GUESTS_WORK/$name.qemu.log"; return 1; }
  pid=$(cat "$GUESTS_WORK/$name.pid") && GUESTS_PIDS+=("$pid")
  # What a hypervisor's ifup script does: the new tap joins the bridge.
  for ((i = 0; i < 100; i++)); do
    ip -n "$HOSTNS" link set "$tap" master "$BRIDGE" up 2>/dev/null && return 0
    sleep 0.1
  done
  echo "tap $tap never appeared"; return 1
}

# kill -0 succeeds on a zombie (nothing may reap a daemonized qemu here).
alive() { [ -r "/proc/$1/status" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }

qemu_guest_stop() {
  local pid i
  pid=$(cat "$GUESTS_WORK/$1.pid" 2>/dev/null) || return 0
  kill "$pid" 2>/dev/null
  for ((i = 0; i < 100; i++)); do alive "$pid" || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null
}

# libvirtd runs in HOSTNS (so its bridge and vnetN ports live there) and in a
# mount namespace of its own, where scratch directories stand in for
# /etc/libvirt, /run, /var/lib/libvirt, /var/cache/libvirt and
# /var/log/libvirt: it neither sees nor changes the machine's libvirt. No
# systemd here: Debian 12's monolithic libvirtd runs in the foreground, a
# child of the test, so its pid is ours to end. qemu runs as root without
# cgroups, namespaces, a security driver or virtlogd.
LV=$GUESTS_WORK/libvirt
lv() { timeout 60 virsh -q -c "qemu:///system?socket=$LV/run/libvirt/libvirt-sock" "$@"; }
libvirtd_start() {
  local i
  mkdir -p "$LV"/{etc/qemu,run,lib,cache,log}
  printf '%s\n' 'listen_tls = 0' 'listen_tcp = 0' 'unix_sock_rw_perms = "0700"' 'auth_unix_rw = "none"' \
    'log_outputs = "3:file:/var/log/libvirt/libvirtd.log"' >"$LV/etc/libvirtd.conf"
  printf '%s\n' 'user = "root"' 'group = "root"' 'dynamic_ownership = 0' 'remember_owner = 0' \
    'security_driver = "none"' 'cgroup_controllers = [ ]' 'namespaces = [ ]' 'stdio_handler = "file"' \
    >"$LV/etc/qemu.conf"
  # ip netns exec, unshare and sh all exec: $! is libvirtd itself.
  # shellcheck disable=SC2016 # expanded by that sh
  ip netns exec "$HOSTNS" unshare --mount --propagation private env LV="$LV" sh -c '
    for d in "etc /etc/libvirt" "run /run" "lib /var/lib/libvirt" "cache /var/cache/libvirt" "log /var/log/libvirt"; do
      set -- $d; mount --bind "$LV/$1" "$2" || exit 1
    done
    exec libvirtd' >"$LV/libvirtd.out" 2>&1 &
  GUESTS_PIDS+=("$!")
  LIBVIRTD_PID=$!
  for ((i = 0; i < 300; i++)); do
    lv version >/dev/null 2>&1 && return 0
    kill -0 "$LIBVIRTD_PID" 2>/dev/null || break
    sleep 0.2
  done
  echo "libvirtd did not answer"; cat "$LV/libvirtd.out"; tail -5 "$LV/log/libvirtd.log" 2>/dev/null
  return 1
}

libvirt_guest_define() {
  local name=$1 ip4=$2 ip6=$3
  : >"$(guest_console "$name")"
  cat >"$LV/$name.xml" <<EOF
<domain type='qemu'>
  <name>$name</name>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>$GUEST_VMLINUX</kernel>
    <initrd>$GUEST_INITRD</initrd>
    <cmdline>$(guest_append "$ip4" "$ip6")</cmdline>
  </os>
  <cpu mode='custom' match='exact'><model fallback='allow'>qemu64</model></cpu>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    <interface type='bridge'><source bridge='$BRIDGE'/><model type='virtio'/></interface>
    <serial type='file'><source path='$(guest_console "$name")'/><target port='0'/></serial>
    <memballoon model='none'/>
  </devices>
</domain>
EOF
  lv define "$LV/$name.xml" >/dev/null
}
# qemu started by libvirtd is libvirtd's child: record it to end it too.
libvirt_guest_pid() {
  local pid
  pid=$(cat "$LV/run/libvirt/qemu/$1.pid" 2>/dev/null) && GUESTS_PIDS+=("$pid") && echo "$pid"
}

guest_wait_up() {
  local name=$1 secs=${2:-120} i
  for ((i = 0; i < secs * 5; i++)); do
    grep -q 'hanet-guest: up' "$(guest_console "$name")" 2>/dev/null && return 0
    sleep 0.2
  done
  echo "guest $name did not come up in ${secs} s; console:"; tail -5 "$(guest_console "$name")"
  return 1
}

# The guest prints its count every 200 ms; wait for a line printed after now.
guest_echoes() {
  local c n0 i
  c=$(guest_console "$1")
  n0=$(grep -c 'hanet-guest: echo' "$c")
  for ((i = 0; i < 50; i++)); do
    sleep 0.2
    (($(grep -c 'hanet-guest: echo' "$c") > n0 + 1)) && break
  done
  grep 'hanet-guest: echo' "$c" | tail -1 | tr -d '\r' | awk '{ print $3 }'
}

ping_count() {
  local ns=$1 addr=$2 secs=$3 out
  out=$(timeout $((secs + 10)) ip netns exec "$ns" ping -n -q -i 0.01 -W 1 -w "$secs" "$addr" 2>&1)
  printf '%s\n' "$out" >>"$GUESTS_WORK/ping.log"
  echo "$(sed -nE 's/^([0-9]+) packets transmitted.*/\1/p' <<<"$out") $(sed -nE 's/.* ([0-9]+) received.*/\1/p' <<<"$out")"
}

guests_cleanup() {
  local pid ns me i
  # Anything still running in our namespaces (an agent's guard or sentinel,
  # a qemu libvirtd started) was started by this test: end it by pid too.
  for ns in "${HOSTNS:-}" "${SWNS:-}"; do
    if [ -z "$ns" ] || [ ! -e "/run/netns/$ns" ]; then continue; fi
    me=$(stat -L -c %i "/run/netns/$ns")
    for pid in /proc/[0-9]*; do
      [ "$(stat -L -c %i "$pid/ns/net" 2>/dev/null)" = "$me" ] && GUESTS_PIDS+=("${pid#/proc/}")
    done
  done
  for pid in "${GUESTS_PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  for ((i = 0; i < 50; i++)); do
    for pid in "${GUESTS_PIDS[@]}"; do alive "$pid" && break; done
    alive "$pid" || break
    sleep 0.1
  done
  for pid in "${GUESTS_PIDS[@]}"; do alive "$pid" && kill -KILL "$pid" 2>/dev/null; done
  wait 2>/dev/null
  for ns in "${HOSTNS:-}" "${SWNS:-}"; do [ -n "$ns" ] && ip netns del "$ns" 2>/dev/null; done
  return 0
}
