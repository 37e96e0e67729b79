# shellcheck shell=bash
# scripts/cluster/scenario, the lab: the switch with the client, the guests
# (same MACs and IPs on both hosts, g2 silent), the boot-time block, the
# resources; its removal; the cluster's hook (`cluster isolate/unisolate`,
# and `boot` when a node is powered on: by a fence, restart-node); and
# `--up`'s cluster bring-up with the agent under test.

bonding_line() {
  if unshare --net ip link add hanetbondprobe type bond >/dev/null 2>&1; then
    say "bonding driver available: this lab uses a plain uplink; the bond agent runs in the VM tier (make test-vm)"
  else
    say "bonding driver not available on this kernel: the bond part runs in the VM tier (make test-vm)"
  fi
}

BOOT_CONF_TEXT='# boot-time block of the scenario (same policy as the vhostnet resource)
bridge=xenbr1'
boot_conf() { echo "$WORK/hanet-vhostnet.conf"; }

# The boot-time block, as /etc/init.d/hanet-vhostnet-block does it: LSB mode,
# parameters from a file, before the cluster stack (and before the uplink).
boot_block() {   # NODE
  local conf rc=0
  conf=$(boot_conf)
  if [ -z "$WORK" ] || [ ! -r "$conf" ]; then
    # run by the fence controller: a file of our own (the node reads /tmp)
    conf=$(mktemp /tmp/hanet-scenario-boot.XXXXXX)
    printf '%s\n' "$BOOT_CONF_TEXT" >"$conf"; chmod 0644 "$conf"
  fi
  nx "$1" env -i PATH="$NODE_PATH" HANET_CONFIG="$conf" HA_LOGFILE=/var/log/hanet-boot.log \
    "$AGENT_IN_NODE" block || rc=$?
  [ "$conf" = "$(boot_conf)" ] || rm -f "$conf"
  return $rc
}

# the switch and the client; each host's uplink eth1 plugged into it
switch_up() {
  local n x
  ip netns add "$SW"
  sx ip link set lo up
  sx ip link add sw0 address "$CLIENT_MAC" type bridge forward_delay 0 stp_state 0
  sx ip addr add "$CLIENT_IP/24" dev sw0
  sx ip link set sw0 up
  for n in "${NODES[@]}"; do
    x=$(port_of "$n")
    # the host's uplink NIC, its cable plugged into the switch
    ip -n "hanet-$n" link add eth1 type veth peer name "$x" netns "$SW"
    sx ip link set "$x" master sw0 up
  done
}

lab_up() {
  local n x
  [ -d "$STATE" ] || fail "no cluster (run: HANET_OCF_DIR=... $C up)"
  for n in "${NODES[@]}"; do nx "$n" test -x "$AGENT_IN_NODE" || fail "ocf:hanet:vhostnet not visible in $n (HANET_OCF_DIR)"; done
  [ ! -e "/run/netns/$SW" ] || fail "netns $SW exists: run '$SELF lab-down' first"
  mkdir -p "$WORK"; chmod 0755 "$WORK"
  printf '%s\n' "$BOOT_CONF_TEXT" >"$(boot_conf)"
  chmod 0644 "$(boot_conf)"

  switch_up

  # guests: same MACs and IPs on every host; g2 is silent
  for n in "${NODES[@]}"; do
    # shellcheck disable=SC2016  # (runs inside the node)
    nx "$n" bash -euc '
      ip netns add g1; ip netns add g2
      ip netns exec g2 sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
      for g in 1 2; do
        ip link add vif$g.0 address fe:ff:ff:ff:ff:ff type veth peer name eth0 netns g$g
        ip -n g$g link set lo up
        ip -n g$g link set eth0 address 02:00:00:00:00:1$g
        ip -n g$g addr add 10.80.0.1$g/24 dev eth0
      done
      ip netns exec g2 sysctl -qw net.ipv4.conf.all.arp_notify=0 net.ipv4.conf.eth0.arp_notify=0
      ip -n g2 neigh replace "$1" lladdr "$2" dev eth0 nud permanent
      for g in 1 2; do ip -n g$g link set eth0 up; done' _ "$CLIENT_IP" "$CLIENT_MAC"
  done

  # boot: the block is in place before anything else (and stays if the
  # cluster stack never comes up)
  for n in "${NODES[@]}"; do boot_block "$n" >/dev/null || fail "boot-time block on $n"; done
  for n in "${NODES[@]}"; do blocked "$n" || fail "boot-time block in place on $n"; done
  ok "boot-time block in place on $(nodes_text) (nft witness)"
  # a node powered on again (a fence's reboot) runs it before its cluster stack
  "$C" set-hook "$SELF" || fail "cluster set-hook"

  # resources: the bridge clone first; Xen's hotplug attaches the vifs once
  # the bridge exists; then vhostnet
  x=$(mktemp "$WORK/crm.XXXXXX")
  cat >"$x" <<EOF
primitive xenbr1 ocf:hanet:bridge params bridge=xenbr1 uplink=eth1 forward_delay=0 \
  op monitor interval=10s timeout=20s
clone xenbr1-clone xenbr1 meta interleave=true
EOF
  if [ "$PRIMITIVE" = 1 ]; then
    cat >>"$x" <<EOF
primitive $RSC ocf:hanet:vhostnet params bridge=xenbr1 guard=true \
  op monitor interval=2s timeout=20s \
  op monitor interval=3s role=Stopped timeout=20s \
  meta migration-threshold=1 failure-timeout=30s resource-stickiness=100 \
       multiple-active=stop_unexpected priority=10 target-role=Stopped
order $RSC-after-bridge Mandatory: xenbr1-clone $RSC
colocation $RSC-with-bridge inf: $RSC xenbr1-clone
EOF
  else
    # the recommended recipe exactly as README (seed 004) prints it, but for
    # the scenario's shorter monitors (2 s promoted, 3 s unpromoted): a
    # promotable clone, every host eligible for the Promoted role (the agent
    # sets no promotion score), no migration-threshold or stickiness, so an
    # unpromoted instance whose block vanished is recovered in place;
    # interleave=true: without it the bridge instance starting again on a
    # host back from standby restarts the PROMOTED instance (demote, stop,
    # start: "Restart ... due to required xenbr1-clone running", seen)
    cat >>"$x" <<EOF
primitive $RSC ocf:hanet:vhostnet params bridge=xenbr1 guard=true \
  op monitor interval=2s role=Promoted timeout=20s \
  op monitor interval=3s role=Unpromoted timeout=20s
clone $RSC_ID $RSC meta promotable=true promoted-max=1 priority=10 interleave=true \
  target-role=Stopped
location l-$RSC-promoted $RSC_ID rule \$role=Promoted 100: defined #uname
order $RSC-after-bridge Mandatory: xenbr1-clone $RSC_ID
colocation $RSC-with-bridge inf: $RSC_ID xenbr1-clone
EOF
  fi
  chmod 0644 "$x"
  nx "$A" crm configure load update "$x" >"$WORK/crm.out" 2>&1 || { cat "$WORK/crm.out"; fail "crm configure load"; }
  rm -f "$x"
  local deadline=$(( EPOCHSECONDS + WAIT_S )) st="" all
  all=$(csv "${NODES[@]}")
  until [[ " $st " == *" xenbr1=$all "* ]]; do
    [ "$EPOCHSECONDS" -lt "$deadline" ] || fail "bridge clone not started on every host: $st"
    sleep 0.1; st=$(crmstate "$A" || true)
  done
  for n in "${NODES[@]}"; do
    # (carrier changes reach the qdiscs through linkwatch, up to 1 s later:
    # wait until every port in the path is operationally up)
    # shellcheck disable=SC2016  # (runs inside the node)
    nx "$n" bash -euc 'for v in vif1.0 vif2.0; do ip link set $v master xenbr1 up; done
      for i in $(seq 1 100); do
        s=$(cat /sys/class/net/{vif1.0,vif2.0,eth1,xenbr1}/operstate)
        s=$s$(ip netns exec g1 cat /sys/class/net/eth0/operstate)$(ip netns exec g2 cat /sys/class/net/eth0/operstate)
        [ "$(tr -d "\n" <<<"$s")" = upupupupupup ] && exit 0
        sleep 0.05
      done
      echo "ports not up: $s" >&2; exit 1' || fail "guest ports up on $n"
  done
  for n in "${NODES[@]}"; do blocked "$n" || fail "$n not blocked any more after the bridge started"; done
  nx "$A" crm_resource -r "$RSC_ID" --meta -d target-role >/dev/null 2>&1 || fail "start $RSC"
  wait_located_any || fail "$RSC started"
  local act
  act=$(located "$A") || fail "$RSC runs on one host"
  if [ "$act" != "$A" ]; then
    move_to "$A" "$A" >/dev/null 2>&1 || fail "move $RSC to $A"
    wait_located "$A" "$A" || fail "$RSC on $A"
    move_clear "$A" >/dev/null 2>&1 || true
  fi
  wait_stable "$A" || fail "lab stable with $RSC on $A"
  local rest
  rest=$(others "$A" | paste -sd+ -)
  if [ "$PRIMITIVE" = 1 ]; then ok "resources running: xenbr1-clone on $(nodes_text +), $RSC on $A; $rest blocked"
  else ok "resources running: xenbr1-clone on $(nodes_text +), $RSC_ID promoted on $A, unpromoted on $rest (blocked)"; fi
}

lab_down() {
  stop_probe
  if [ -d "$STATE" ]; then
    local n
    for n in "${NODES[@]}"; do
      # the cluster harness stops and deletes every resource in `down`;
      # here the cluster stays, so stop ours first (a stop pending during a
      # node shutdown can hang it), then delete them and their constraints
      # (the cluster's fence device stays)
      if nx "$n" true 2>/dev/null; then
        local r x
        for r in "$RSC_ID" xenbr1-clone; do
          nx "$n" crm_resource -r "$r" --meta -p target-role -v Stopped >/dev/null 2>&1 || true
        done
        local deadline=$(( EPOCHSECONDS + WAIT_S )) st
        while :; do
          st=$(crmstate "$n" 2>/dev/null || true)
          [[ "$st" != *"$RSC="* && "$st" != *"$RSC-u="* && "$st" != *"xenbr1="* ]] && break
          [ "$EPOCHSECONDS" -lt "$deadline" ] || { say "resources not stopped in ${WAIT_S}s: $st"; break; }
          sleep 0.1
        done
        x="@rsc='$RSC_ID' or @with-rsc='$RSC_ID' or @first='$RSC_ID' or @then='$RSC_ID'"
        x="$x or @rsc='xenbr1-clone' or @with-rsc='xenbr1-clone' or @first='xenbr1-clone' or @then='xenbr1-clone'"
        nx "$n" cibadmin --delete-all --xpath "//constraints/*[$x]" >/dev/null 2>&1 || true
        nx "$n" cibadmin --delete-all --xpath "//resources/*[@id='$RSC_ID' or @id='xenbr1-clone']" >/dev/null 2>&1 || true
        break
      fi
    done
    for n in "${NODES[@]}"; do
      # shellcheck disable=SC2016  # (runs inside the node)
      nx "$n" bash -c 'pkill -f "^/usr/lib/ocf/resource.d/hanet/vhostnet (block|stop)$" 2>/dev/null
        ip netns del g1 2>/dev/null; ip netns del g2 2>/dev/null
        ip link del vif1.0 2>/dev/null; ip link del vif2.0 2>/dev/null; ip link del xenbr1 2>/dev/null
        ip link del eth1 2>/dev/null
        nft delete table bridge "$(nft list tables 2>/dev/null | sed -n "s/^table bridge \(hanet_[0-9a-f]*\)$/\1/p" | head -1)" 2>/dev/null
        rm -f /run/resource-agents/hanet-* /var/log/hanet-boot.log
        exit 0' >/dev/null 2>&1 || true
    done
  fi
  ip netns del "$SW" 2>/dev/null || true
  # our hook goes with the lab
  if [ "$(cat "$STATE/hook" 2>/dev/null)" = "$SELF" ]; then "$C" set-hook >/dev/null 2>&1 || true; fi
}

# --- the isolate hook (cluster isolate/unisolate/crash call it) ------------------------

hook() {   # isolate|unisolate|boot NODE NETNS HOLDER_PID
  local what=$1 node=$2 port
  port=$(port_of "$node")
  case "$what" in
    isolate)
      # the node's cable to the switch is pulled too (the switch flushes
      # what it learned on that port), unless only the ring is cut (the
      # partition rounds: HANET_SCENARIO_RING_ONLY=1)
      [ "${HANET_SCENARIO_RING_ONLY:-0}" = 1 ] || ip -n "$SW" link set "$port" down 2>/dev/null || true ;;
    unisolate)
      [ "${HANET_SCENARIO_RING_ONLY:-0}" = 1 ] || ip -n "$SW" link set "$port" up 2>/dev/null || true ;;
    boot)
      # the node is powered on (a fence's reboot, restart-node): the
      # boot-time block before any of its links is up and before its
      # cluster stack starts; if it fails, the node must stay dark
      if [ -r "$GROUPS_MARK" ]; then   # the guest-groups lab: one block per group
        groups_boot_block "$node" >/dev/null || { echo "[scenario hook] boot-time block of the groups on $node failed" >&2; return 1; }
        return 0
      fi
      boot_block "$node" >/dev/null || { echo "[scenario hook] boot-time block on $node failed" >&2; return 1; }
      blocked "$node" || { echo "[scenario hook] $node not blocked after the boot-time block" >&2; return 1; } ;;
    *) echo "scenario hook: unknown action $what" >&2; return 2 ;;
  esac
}

# --- the cluster (--up), provider "hanet" = the agent under test -----------------

OCF_TMP=""
cluster_up() {
  local agent=${AGENT:-$ROOT/.build/release/hanet-agent} a
  [ -x "$agent" ] || fail "no agent at $agent (make release, or --agent PATH)"
  agent=$(readlink -f "$agent")
  OCF_TMP=$(mktemp -d /tmp/hanet-scenario-ocf.XXXXXX)
  chmod 0755 "$OCF_TMP"
  for a in bond bridge vhostnet; do ln -s "$agent" "$OCF_TMP/$a"; done
  runuser -u hacluster -- test -x "$agent" || fail "user hacluster cannot run $agent (modes of its directories)"
  local -a nodes_opt=()
  # (two nodes: the cluster's default hostA,hostB, called as before)
  [ ${#NODES[@]} = 2 ] && [ "$A,$B" = hostA,hostB ] || nodes_opt=(--nodes "$(IFS=,; echo "${NODES[*]}")")
  HANET_OCF_DIR=$OCF_TMP "$C" up "${nodes_opt[@]}" >"$WORK/cluster-up.log" 2>&1 || { cat "$WORK/cluster-up.log"; fail "cluster up"; }
  ok "cluster up (Corosync + Pacemaker, nodes ${NODES[*]}, agents from $agent)"
}
