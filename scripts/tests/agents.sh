#!/usr/bin/env bash
# Tier "agents": the installed agents under Pacemaker's own tools.
#
# `make install DESTDIR=...` into a scratch root, then, inside a throwaway
# mount + network namespace where that root's OCF directory is bind-mounted
# at /usr/lib/ocf/resource.d/hanet: ocf-tester, crm_resource --force-*,
# meta-data as the hacluster user, LSB mode through /etc/init.d links,
# strace proving no child process, and a one-node Pacemaker that must
# reload, not restart, on a reloadable change (agents.d/pacemaker-reload.sh).
# Ends with "N passed, N failed".
set -uo pipefail
HANET_PROG=agents HANET_PLAIN=1
# shellcheck source=scripts/lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"   # check, summary
cd "$(dirname "$0")/../.."
ROOT=$PWD
if [ -z "${HANET_IN_SANDBOX:-}" ]; then
  STAGE=$(mktemp -d /tmp/hanet-agents-tier.XXXXXX)
  trap 'rm -rf "$STAGE"' EXIT
  make -s install DESTDIR="$STAGE" >"$STAGE.install.log" 2>&1 || { cat "$STAGE.install.log"; echo "0 passed, 1 failed"; exit 1; }
  rm -f "$STAGE.install.log"
  # Private mounts and network: nothing here touches the host's OCF dir or links.
  exec unshare --mount --net --propagation private env HANET_IN_SANDBOX=1 STAGE="$STAGE" bash "$0"
fi

mount --bind "$STAGE/usr/lib/ocf/resource.d/hanet" /usr/lib/ocf/resource.d/hanet 2>/dev/null || {
  mkdir -p /usr/lib/ocf/resource.d/hanet && mount --bind "$STAGE/usr/lib/ocf/resource.d/hanet" /usr/lib/ocf/resource.d/hanet; }
mount --bind "$STAGE/usr/lib/hanet" /usr/lib/hanet 2>/dev/null || {
  mkdir -p /usr/lib/hanet && mount --bind "$STAGE/usr/lib/hanet" /usr/lib/hanet; }
ip link set lo up
mount -t sysfs hanet-sys /sys   # /sys/class/net of this network namespace
RA=/usr/lib/ocf/resource.d/hanet
rc_is() { # expected, command...
  local want=$1; shift
  "$@" >/tmp/hanet-rc.out 2>&1; local got=$?
  [ "$got" = "$want" ] || { echo "exit $got, expected $want"; cat /tmp/hanet-rc.out; return 1; }
}

# --- meta-data: no parameters, no root, writes nothing ----------------------
for a in bond bridge vhostnet; do
  # OCF 1.1 meta-data (reloadable, reload-agent): valid as ocf-tester checks it
  # (xmllint --valid against its DOCTYPE, ra-api-1.dtd plus our internal subset)
  # and against pcs's ocf-1.1.rng; resource-agents' metadata.rng predates reloadable.
  check "$a meta-data as hacluster (cwd /var/lib/pacemaker/cores, LC_ALL=C) is valid as ocf-tester and pcs (ocf-1.1.rng) check it" bash -c "
    cd /var/lib/pacemaker/cores && env -i LC_ALL=C HA_RSCTMP=/tmp/hanet-never-made setpriv --reuid=hacluster --regid=haclient --clear-groups $RA/$a meta-data > /tmp/md.xml &&
    (cd /usr/share/resource-agents && xmllint --noout --valid - < /tmp/md.xml) &&
    (cd /usr/share/resource-agents && xmllint --noout --relaxng /usr/share/pcs/data/ocf-1.1.rng - < /tmp/md.xml) &&
    grep -q '<version>1.1</version>' /tmp/md.xml && [ ! -e /tmp/hanet-never-made ]"
  check "$a usage as hacluster exits 0" bash -c "env -i setpriv --reuid=hacluster --regid=haclient --clear-groups $RA/$a usage | grep -q start"
  check "$a unknown action exits 3 (OCF_ERR_UNIMPLEMENTED)" rc_is 3 env OCF_ROOT=/usr/lib/ocf OCF_RESKEY_bridge=br0 $RA/$a frobnicate
  check "$a start as non-root exits 4 (OCF_ERR_PERM)" rc_is 4 env -i OCF_ROOT=/usr/lib/ocf OCF_RESKEY_bridge=br0 setpriv --reuid=hacluster --regid=haclient --clear-groups $RA/$a start
done

# --- bridge under ocf-tester and crm_resource --------------------------------
ip link add up0 type veth peer name up0p && ip link set up0p up
check "ocf-tester passes ocf:hanet:bridge" bash -c "ocf-tester -n br-test -o bridge=xenbr1 -o uplink=up0 -o arp=off -o multicast=off $RA/bridge 2>&1 | tee /dev/stderr | grep -q 'passed all tests'"
CRM=(crm_resource --class ocf --provider hanet --agent bridge --option bridge=xenbr1 --option uplink=up0 --option forward_delay=0)
check "crm_resource --validate" rc_is 0 "${CRM[@]}" --validate
check "crm_resource --force-check before start: not running (7)" rc_is 7 "${CRM[@]}" --force-check
check "crm_resource --force-start" rc_is 0 "${CRM[@]}" --force-start
check "bridge exists with its uplink after force-start" bash -c "ip -j link show up0 | grep -q '\"master\":\"xenbr1\"'"
check "crm_resource --force-check after start: running (0)" rc_is 0 "${CRM[@]}" --force-check
BR_INDEX=$(cat /sys/class/net/xenbr1/ifindex)
check "reload-agent with stp=on forward_delay=2 mtu=1400: 0, applied in place (same ifindex, uplink attached)" bash -c "
  env OCF_ROOT=/usr/lib/ocf OCF_RESKEY_bridge=xenbr1 OCF_RESKEY_uplink=up0 OCF_RESKEY_stp=on OCF_RESKEY_forward_delay=2 OCF_RESKEY_mtu=1400 $RA/bridge reload-agent &&
  [ \"\$(cat /sys/class/net/xenbr1/bridge/stp_state)\" = 1 ] && [ \"\$(cat /sys/class/net/xenbr1/mtu)\" = 1400 ] &&
  [ \"\$(cat /sys/class/net/xenbr1/ifindex)\" = $BR_INDEX ] && ip -j link show up0 | grep -q '\"master\":\"xenbr1\"'"
check "reload-agent with another uplink: 1 (takes a restart) and the reason" bash -c "
  env OCF_ROOT=/usr/lib/ocf OCF_RESKEY_bridge=xenbr1 OCF_RESKEY_uplink=lo $RA/bridge reload-agent > /tmp/r.out 2>&1; rc=\$?
  [ \$rc = 1 ] && grep -q 'ocf-exit-reason:uplink lo is not a port of xenbr1' /tmp/r.out"
check "crm_resource --force-stop" rc_is 0 "${CRM[@]}" --force-stop
check "crm_resource --force-check after stop: not running (7)" rc_is 7 "${CRM[@]}" --force-check
check "bridge removed by stop" bash -c "! ip link show xenbr1 2>/dev/null"
check "crm_resource --validate with a bad parameter: 6 and the reason" bash -c "
  crm_resource --class ocf --provider hanet --agent bridge --option bridge=xenbr1 --option mtu=12 --validate > /tmp/v.out 2>&1; rc=\$?
  cat /tmp/v.out; [ \$rc = 6 ] && grep -q \"parameter 'mtu'\" /tmp/v.out"

# --- vhostnet under ocf-tester and crm_resource ------------------------------
ip link add xenbr1 type bridge && ip link set xenbr1 up
check "ocf-tester passes ocf:hanet:vhostnet" bash -c "HA_RSCTMP=/tmp/hanet-vt ocf-tester -n vh-test -o bridge=xenbr1 -o announce=0 $RA/vhostnet 2>&1 | tee /dev/stderr | grep -q 'passed all tests'"
VCRM=(crm_resource --class ocf --provider hanet --agent vhostnet --option bridge=xenbr1 --option announce=0 --option guard=false)
check "vhostnet --force-stop (block)" rc_is 0 "${VCRM[@]}" --force-stop
check "vhostnet --force-check while blocked: 7" rc_is 7 "${VCRM[@]}" --force-check
check "vhostnet blocked table present" bash -c "nft list tables bridge | grep -q hanet_"
check "vhostnet --force-start (unblock)" rc_is 0 "${VCRM[@]}" --force-start
check "vhostnet --force-check while unblocked: 0" rc_is 0 "${VCRM[@]}" --force-check
check "vhostnet after nft flush ruleset: reachable (0)" bash -c "$(declare -f rc_is); ${VCRM[*]} --force-stop >/dev/null 2>&1; nft flush ruleset; rc_is 0 ${VCRM[*]} --force-check"
# --- vhostnet as a promotable clone instance (Pacemaker passes the clone's
# meta attributes to every instance action; crm_resource passes them through)
PROMO=(env OCF_RESKEY_CRM_meta_promotable=true OCF_RESKEY_CRM_meta_promoted_max=1 HA_RSCTMP=/tmp/hanet-vp)
check "ocf-tester passes ocf:hanet:vhostnet as a promotable instance (promote, demote twice each)" bash -c "
  ${PROMO[*]} ocf-tester -n vh-promo -o bridge=xenbr1 -o announce=0 -o guard=false $RA/vhostnet 2>&1 | tee /dev/stderr | grep -q 'passed all tests'"
check "promotable --force-stop: blocked and stopped (7)" bash -c "$(declare -f rc_is); ${PROMO[*]} ${VCRM[*]} --force-stop >/dev/null && rc_is 7 ${PROMO[*]} ${VCRM[*]} --force-check"
check "promotable --force-start: blocked, Unpromoted (0)" bash -c "$(declare -f rc_is); ${PROMO[*]} ${VCRM[*]} --force-start >/dev/null && rc_is 0 ${PROMO[*]} ${VCRM[*]} --force-check && nft list table bridge \$(nft list tables bridge | awk '/hanet_/ {print \$3}') | grep -vq dormant"
check "promotable --force-promote: guests open, Promoted (8)" bash -c "$(declare -f rc_is); ${PROMO[*]} ${VCRM[*]} --force-promote >/dev/null && rc_is 8 ${PROMO[*]} ${VCRM[*]} --force-check"
check "promotable --force-demote: blocked again, Unpromoted (0)" bash -c "$(declare -f rc_is); ${PROMO[*]} ${VCRM[*]} --force-demote >/dev/null && rc_is 0 ${PROMO[*]} ${VCRM[*]} --force-check"
check "promotable: the Unpromoted instance's block flushed away is a failure of that instance (1), never 8" bash -c "
  nft flush ruleset; ${PROMO[*]} ${VCRM[*]} --force-check > /tmp/vp.out 2>&1; rc=\$?; cat /tmp/vp.out
  [ \$rc = 1 ] && grep -q 'unpromoted, but no block installed' /tmp/vp.out"
check "promotable: recovery (stop, start) blocks it again (0)" bash -c "$(declare -f rc_is); ${PROMO[*]} ${VCRM[*]} --force-stop >/dev/null && ${PROMO[*]} ${VCRM[*]} --force-start >/dev/null && rc_is 0 ${PROMO[*]} ${VCRM[*]} --force-check"
check "promotable: promote returns before the announcement rounds end (announce=3 x 1000 ms)" bash -c "
  ip link add upv0 type veth peer name upv0p; ip link set upv0 master xenbr1 up; ip link set upv0p up
  ip link add vif9.0 type veth peer name g9; ip link set vif9.0 master xenbr1 up; ip link set g9 up
  ${PROMO[*]} OCF_ROOT=/usr/lib/ocf OCF_RESKEY_bridge=xenbr1 OCF_RESKEY_guard=false $RA/vhostnet demote
  echo 'aa:bb:cc:00:00:09=vif9.0' > /tmp/hanet-vp/hanet-vhostnet-\$(ls /tmp/hanet-vp | sed -n 's/^hanet-vhostnet-\\([0-9a-f]*\\)-role.state/\\1/p')-macs.state
  start=\${EPOCHREALTIME/./}; ${PROMO[*]} OCF_ROOT=/usr/lib/ocf OCF_RESKEY_bridge=xenbr1 OCF_RESKEY_guard=false OCF_RESKEY_duplicate_policy=off OCF_RESKEY_quorum_block=false OCF_RESKEY_announce=3 OCF_RESKEY_announce_interval=1000 $RA/vhostnet promote; rc=\$?
  took=\$(( (\${EPOCHREALTIME/./} - start) / 1000 )); echo promote rc=\$rc in \$took ms
  sleep 0.3; pgrep -f 'vhostnet promote' >/dev/null; bg=\$?; echo announcer still running: \$((1 - bg))
  ip link del upv0; ip link del vif9.0; [ \$rc = 0 ] && [ \$bg = 0 ]"

# strace -f would wait for the guard (or the sentinel) forever, so count execs
# with guard=false, duplicate_policy=off and quorum_block=false,
# then check that the guard is a fork of the agent binary (no exec).
for action in stop monitor start; do
  check "vhostnet $action runs exactly one execve (no child process)" bash -c "
    OCF_RESKEY_bridge=xenbr1 OCF_RESKEY_guard=false OCF_RESKEY_duplicate_policy=off OCF_RESKEY_quorum_block=false HA_RSCTMP=/tmp/hanet-st OCF_ROOT=/usr/lib/ocf strace -f -qq -e trace=execve,clone,clone3,fork,vfork -o /tmp/stv.txt $RA/vhostnet $action;
    n=\$(grep -c 'execve(' /tmp/stv.txt); c=\$(grep -cE 'clone|fork' /tmp/stv.txt); echo execve=\$n clone=\$c; [ \$n = 1 ] && [ \$c = 0 ]"
done
# libiptc is dlopen'ed by the iptables backend only: the nftables path never
# loads it, the iptables one does (and still works).
check "vhostnet monitor (nftables) does not load libip4tc/libip6tc; backend=iptables does" bash -c "
  OCF_RESKEY_bridge=xenbr1 OCF_RESKEY_guard=false HA_RSCTMP=/tmp/hanet-st OCF_ROOT=/usr/lib/ocf strace -qq -e trace=openat -o /tmp/sto.txt $RA/vhostnet monitor;
  ! grep -q 'libip[46]tc' /tmp/sto.txt || { echo 'nftables monitor opened libiptc'; exit 1; }
  OCF_RESKEY_bridge=xenbr1 OCF_RESKEY_backend=iptables OCF_RESKEY_guard=false HA_RSCTMP=/tmp/hanet-sti OCF_ROOT=/usr/lib/ocf strace -qq -e trace=openat -o /tmp/sto.txt $RA/vhostnet stop; rc=\$?;
  grep -q 'libip4tc.so.2' /tmp/sto.txt && grep -q 'libip6tc.so.2' /tmp/sto.txt && [ \$rc = 0 ] || { echo \"iptables stop rc=\$rc\"; grep libip /tmp/sto.txt; exit 1; }
  OCF_RESKEY_bridge=xenbr1 OCF_RESKEY_backend=iptables OCF_RESKEY_guard=false HA_RSCTMP=/tmp/hanet-sti OCF_ROOT=/usr/lib/ocf $RA/vhostnet start"
check "the guard left by stop is the agent binary itself, forked, not exec'd" bash -c "
  OCF_RESKEY_bridge=xenbr1 HA_RSCTMP=/tmp/hanet-st OCF_ROOT=/usr/lib/ocf $RA/vhostnet stop;
  pid=\$(cut -d' ' -f1 /tmp/hanet-st/hanet-vhostnet-*.guard); echo guard pid \$pid;
  [ \"\$(readlink /proc/\$pid/exe)\" = \"\$(readlink -f $RA/vhostnet)\" ] && tr '\\0' ' ' < /proc/\$pid/cmdline | grep -q 'vhostnet stop'"
OCF_RESKEY_bridge=xenbr1 HA_RSCTMP=/tmp/hanet-st OCF_ROOT=/usr/lib/ocf $RA/vhostnet start >/dev/null 2>&1
# libquorum likewise: only the sentinel (forked after the guests opened) loads it.
check "vhostnet start (opens the guests) does not load libquorum itself" bash -c "
  OCF_RESKEY_bridge=xenbr1 HA_RSCTMP=/tmp/hanet-st OCF_ROOT=/usr/lib/ocf $RA/vhostnet stop >/dev/null 2>&1;
  OCF_RESKEY_bridge=xenbr1 HA_RSCTMP=/tmp/hanet-st OCF_ROOT=/usr/lib/ocf strace -qq -e trace=openat -o /tmp/stq.txt $RA/vhostnet start; rc=\$?;
  echo start rc=\$rc, \$(grep -c openat /tmp/stq.txt) openat; ! grep libquorum /tmp/stq.txt && [ \$rc = 0 ]"

# --- bond: this kernel has no bonding driver (the VM tier covers a real one) --
if [ ! -d /sys/module/bonding ]; then
  ip link add e1 type veth peer name p1; ip link add e2 type veth peer name p2
  check "bond start without a bonding driver: 5 (not installed) with the kernel's reason" bash -c "
    OCF_ROOT=/usr/lib/ocf OCF_RESKEY_bond=bond0 OCF_RESKEY_slaves='e1 e2' HA_RSCTMP=/tmp/hanet-bd $RA/bond start 2>/tmp/b.err; rc=\$?; cat /tmp/b.err;
    [ \$rc = 5 ] && grep -q 'Unknown device type' /tmp/b.err"
  check "bond validate-all works without the driver" rc_is 0 env OCF_ROOT=/usr/lib/ocf OCF_RESKEY_bond=bond0 OCF_RESKEY_slaves="e1 e2" $RA/bond validate-all
fi

# --- LSB mode: /etc/init.d link + /etc/default style config -----------------
mkdir -p /tmp/hanet-lsb && printf 'bridge=xenbr2\nuplink=up0\n# seed 000 flags\narp=off\nmulticast=off\n' > /tmp/hanet-lsb/bridge.conf
LSB=(env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HANET_CONFIG=/tmp/hanet-lsb/bridge.conf HA_RSCTMP=/tmp/hanet-lsb/run "$STAGE/etc/init.d/hanet-bridge")
check "LSB status before start: 3 (stopped)" rc_is 3 "${LSB[@]}" status
check "LSB start" rc_is 0 "${LSB[@]}" start
check "LSB status: 0 (running)" rc_is 0 "${LSB[@]}" status
check "LSB restart" rc_is 0 "${LSB[@]}" restart
check "LSB reload after editing the config (mtu=1400): 0, the same bridge changed in place" bash -c "
  i=\$(cat /sys/class/net/xenbr2/ifindex); echo mtu=1400 >> /tmp/hanet-lsb/bridge.conf &&
  ${LSB[*]} reload && [ \"\$(cat /sys/class/net/xenbr2/mtu)\" = 1400 ] && [ \"\$(cat /sys/class/net/xenbr2/ifindex)\" = \$i ]"
check "LSB force-reload runs the same reload: 0" rc_is 0 "${LSB[@]}" force-reload
check "LSB stop" rc_is 0 "${LSB[@]}" stop
check "LSB status after stop: 3" rc_is 3 "${LSB[@]}" status
check "LSB stop again: 0" rc_is 0 "${LSB[@]}" stop

# --- vhostnet as the seed's init script (Heartbeat v1 haresources) ----------
printf 'bridge=xenbr1\nannounce=0\nguard=false\n' > /tmp/hanet-lsb/vhostnet.conf
VLSB=(env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HANET_CONFIG=/tmp/hanet-lsb/vhostnet.conf HA_RSCTMP=/tmp/hanet-lsb/run "$STAGE/etc/init.d/hanet-vhostnet")
check "LSB hanet-vhostnet stop (block)" rc_is 0 "${VLSB[@]}" stop
check "LSB hanet-vhostnet status while blocked: 3" rc_is 3 "${VLSB[@]}" status
check "LSB hanet-vhostnet start (unblock)" rc_is 0 "${VLSB[@]}" start
check "LSB hanet-vhostnet status while unblocked: 0" rc_is 0 "${VLSB[@]}" status
check "LSB hanet-vhostnet block (boot-time action)" rc_is 0 "${VLSB[@]}" block
check "boot-time init script runs the block" bash -c "
  sed 's#/usr/lib/hanet/hanet-agent#$STAGE/usr/lib/hanet/hanet-agent#; s#/etc/default/hanet-vhostnet#/tmp/hanet-lsb/vhostnet.conf#g' $STAGE/etc/init.d/hanet-vhostnet-block > /tmp/hanet-lsb/block-init &&
  ${VLSB[*]} start >/dev/null 2>&1; HA_RSCTMP=/tmp/hanet-lsb/run sh /tmp/hanet-lsb/block-init start && ${VLSB[*]} status; [ \$? = 3 ]"
"${VLSB[@]}" start >/dev/null 2>&1

# --- no child processes ------------------------------------------------------
OCF_RESKEY_bridge=xenbr1 OCF_RESKEY_uplink=up0 HA_RSCTMP=/tmp/hanet-st OCF_ROOT=/usr/lib/ocf $RA/bridge start >/dev/null 2>&1
for action in start monitor stop; do
  check "bridge $action runs exactly one execve (no child process)" bash -c "
    OCF_RESKEY_bridge=xenbr1 OCF_RESKEY_uplink=up0 HA_RSCTMP=/tmp/hanet-st OCF_ROOT=/usr/lib/ocf \
      strace -f -qq -e trace=execve,clone,clone3,fork,vfork -o /tmp/st.txt $RA/bridge $action; 
    n=\$(grep -c 'execve(' /tmp/st.txt); c=\$(grep -cE 'clone|fork' /tmp/st.txt); echo \"execve=\$n clone/fork=\$c\"; cat /tmp/st.txt | head -5; [ \$n = 1 ] && [ \$c = 0 ]"
done

# Nothing of ours may outlive the sandbox (a guard would keep its netns alive).
me=$(readlink /proc/$$/ns/net)
for p in /proc/[0-9]*; do
  pid=${p#/proc/}
  [ "$pid" = $$ ] && continue
  [ "$(readlink "$p/ns/net" 2>/dev/null)" = "$me" ] && grep -qa hanet-agent "$p/cmdline" 2>/dev/null && kill "$pid" 2>/dev/null
done

# --- real Pacemaker (one node) reloads instead of restarting ----------------
check "one-node Pacemaker: a reloadable change runs reload-agent (no stop/start), a non-reloadable one restarts" bash -c "
  bash scripts/tests/agents.d/pacemaker-reload.sh 2>&1 | tee /dev/stderr | tail -1 | grep -q ' 0 failed'"

echo
summary
[ "$FAILED" = 0 ]
