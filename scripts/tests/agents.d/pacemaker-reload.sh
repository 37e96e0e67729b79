#!/usr/bin/env bash
# Real Pacemaker calls reload-agent: a one-node Corosync 3 + Pacemaker 2.1
# cluster in private PID, mount, IPC, UTS and network namespaces (no lab,
# no fencing: one node), running ocf:hanet:bridge. A change of a reloadable
# parameter (crm_resource --set-parameter) must run reload-agent and no
# stop/start, applied in place (same ifindex, uplink still attached); a
# change of a non-reloadable one (uplink) must restart the resource.
#
# Part of the agents tier (scripts/tests/agents.sh), run inside its sandbox (the installed agents are
# bind-mounted at /usr/lib/ocf/resource.d/hanet). Ends with
# "N passed, N failed"; ~15-25 s.
set -uo pipefail
HANET_PROG=pacemaker-reload HANET_PLAIN=1
# shellcheck source=scripts/lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../../lib/common.sh"   # check, summary, now_ms
[ -d /usr/lib/ocf/resource.d/hanet ] || { echo "FAIL no hanet provider (run from scripts/tests/agents.sh)"; echo "0 passed, 1 failed"; exit 1; }
if [ -z "${HANET_PCMK_INSIDE:-}" ]; then
  # PID 1 of the new PID namespace is the bash below: when it exits, the
  # kernel kills corosync and pacemaker with it, whatever happened.
  exec unshare --kill-child --pid --fork --mount --ipc --uts --net --propagation private env HANET_PCMK_INSIDE=1 bash "$0"
fi

hostname node1
ip link set lo up
mount -t sysfs pcmk-sys /sys   # this network namespace's links
mount -t tmpfs -o mode=0755,size=64m pcmk-run /run
install -d -o hacluster -g haclient -m 0750 /run/crm
install -d -m 1755 /run/resource-agents
mount -t tmpfs -o mode=1777,size=128m pcmk-shm /dev/shm
mount -t tmpfs -o mode=0755,size=64m pcmk-lib /var/lib/pacemaker
for d in cib pengine blackbox cores bundles; do install -d -o hacluster -g haclient -m 0750 "/var/lib/pacemaker/$d"; done
mount -t tmpfs -o mode=0755,size=16m pcmk-corosync /var/lib/corosync
LOG=/run/pacemaker.log
install -o hacluster -g haclient -m 0660 /dev/null "$LOG"

cat >/run/corosync.conf <<'EOF'
totem {
  version: 2
  cluster_name: hanet-reload
  transport: knet
  crypto_cipher: none
  crypto_hash: none
}
nodelist {
  node {
    ring0_addr: 127.0.0.1
    name: node1
    nodeid: 1
  }
}
quorum {
  provider: corosync_votequorum
}
logging {
  to_stderr: no
  to_logfile: yes
  logfile: /run/corosync.log
  to_syslog: no
}
EOF
cibadmin --empty >/run/cib.xml
CIB_file=/run/cib.xml crm_attribute -t crm_config -n stonith-enabled -v false
CIB_file=/run/cib.xml crm_attribute -t crm_config -n dc-deadtime -v 2s
install -o hacluster -g haclient -m 0600 /run/cib.xml /var/lib/pacemaker/cib/cib.xml

corosync -f -c /run/corosync.conf </dev/null >/run/corosync.out 2>&1 &
t0=$(now_ms)
until corosync-cfgtool -s >/dev/null 2>&1; do
  [ $(( $(now_ms) - t0 )) -lt 15000 ] || { cat /run/corosync.out /run/corosync.log 2>/dev/null | tail -20; fail "corosync did not come up in 15 s"; }
  sleep 0.1
done
PCMK_logfile=$LOG PCMK_logfacility=none pacemakerd -f </dev/null >/run/pacemakerd.out 2>&1 &
t0=$(now_ms)
until crm_mon -1 2>/dev/null | grep -q 'Online: \[ node1 \]' && crm_mon -1 2>/dev/null | grep -q 'Current DC: node1'; do
  [ $(( $(now_ms) - t0 )) -lt 60000 ] || { tail -20 "$LOG"; fail "pacemaker did not come up in 60 s"; }
  sleep 0.2
done
ok "one-node cluster up ($(( $(now_ms) - t0 )) ms)"

ip link add up0 type veth peer name up0p
ip link add up1 type veth peer name up1p
ip link set up0p up; ip link set up1p up
cibadmin -C -o resources -X '<primitive id="br" class="ocf" provider="hanet" type="bridge">
  <instance_attributes id="br-ia">
    <nvpair id="br-bridge" name="bridge" value="xenbr1"/>
    <nvpair id="br-uplink" name="uplink" value="up0"/>
    <nvpair id="br-fd" name="forward_delay" value="0"/>
  </instance_attributes>
  <operations><op id="br-mon" name="monitor" interval="10s" timeout="20s"/></operations>
</primitive>'
check "bridge resource started by Pacemaker" crm_resource --wait --timeout 60s
check "xenbr1 up with uplink up0" bash -c "ip -j link show up0 | grep -q '\"master\":\"xenbr1\"'"
INDEX=$(cat /sys/class/net/xenbr1/ifindex)

ops() { grep -E "Result of (start|stop|reload-agent) operation for br " "$LOG" | grep -c "$1"; }
check "meta-data as Pacemaker read it: reload-agent supported" bash -c "crm_resource --show-metadata ocf:hanet:bridge | grep -q 'action name=\"reload-agent\"'"

STARTS=$(ops 'start operation')
crm_resource --resource br --set-parameter forward_delay --parameter-value 2 >/dev/null
crm_resource --resource br --set-parameter stp --parameter-value on >/dev/null
crm_resource --wait --timeout 60s
check "reloadable stp and forward_delay changed: reload-agent ran (pacemaker log)" bash -c "[ \$(grep -cE 'Result of reload-agent operation for br ' $LOG) -ge 1 ]"
check "and no stop or start happened" bash -c "[ $(ops 'stop operation') = 0 ] && [ $(ops 'start operation') = $STARTS ]"
check "the kernel has stp on, forward delay 2 s, in the same bridge (ifindex $INDEX), uplink attached" bash -c "
  [ \"\$(cat /sys/class/net/xenbr1/bridge/stp_state)\" = 1 ] && [ \"\$(cat /sys/class/net/xenbr1/bridge/forward_delay)\" = 200 ] &&
  [ \"\$(cat /sys/class/net/xenbr1/ifindex)\" = $INDEX ] && ip -j link show up0 | grep -q '\"master\":\"xenbr1\"'"
grep -E "Result of reload-agent operation for br " "$LOG" | sed 's/^/  /' | tail -3

crm_resource --resource br --set-parameter uplink --parameter-value up1 >/dev/null
crm_resource --wait --timeout 60s
check "non-reloadable uplink changed: Pacemaker stopped and started the bridge" bash -c "[ $(ops 'stop operation') -ge 1 ] && [ $(ops 'start operation') -gt $STARTS ]"
check "up1 is the uplink now, up0 released" bash -c "ip -j link show up1 | grep -q '\"master\":\"xenbr1\"' && ! ip -j link show up0 | grep -q master"

crm_resource --resource br --set-parameter target-role --meta --parameter-value Stopped >/dev/null
crm_resource --wait --timeout 60s
check "stopped cleanly: bridge deleted" bash -c "! ip link show xenbr1 2>/dev/null"
summary
