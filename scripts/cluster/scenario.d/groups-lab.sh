# shellcheck shell=bash
# scripts/cluster/scenario groups, the lab: one guest group per host (two
# hosts: groups a and b, active/active; three hosts: a, b and c), each
# group its own promotable clone of ocf:hanet:vhostnet on the same bridge
# xenbr1 (guest_ports="gX-*"), its twins on every host; the boot-time
# block once per group; the placement rules; the lab's removal.
#
# Group K (1-based, letter X = a, b, c) = guest netns ggK behind the port
# gX-0 (as Xen names it with vifname=gX-0 in the domain's vif line, libvirt
# with <target dev='gX-0'/>: a name that survives the guest's reboots),
# 10.80.0.2K, 02:00:00:00:00:2K, on every host; resource vhostnet-X,
# guest_ports="gX-*", clone vhostnet-X-clone. Placement, as a user writes it
# (README "Active/active" and "Three hosts"): every host may take the
# Promoted role (100), the group's own host is preferred (+200: 300), and
# with three hosts the next host in the ring is the second choice (+50:
# 150), so a standby or crash moves a group to a known host and the
# group comes back when its host returns.

GROUP_LETTERS=(a b c)
GROUPS_MARK=$STATE/scenario-groups      # the groups' port patterns (the boot hook reads it)

ngroups() { echo "${#NODES[@]}"; }
grp_rsc() { echo "vhostnet-${GROUP_LETTERS[$1-1]}"; }
grp_clone() { echo "vhostnet-${GROUP_LETTERS[$1-1]}-clone"; }
grp_ports() { echo "g${GROUP_LETTERS[$1-1]}-*"; }
grp_port() { echo "g${GROUP_LETTERS[$1-1]}-0"; }
grp_ip() { echo "10.80.0.2$1"; }
grp_mac() { echo "02:00:00:00:00:2$1"; }
grp_home() { echo "${NODES[$1-1]}"; }                       # the preferred host
grp_second() { echo "${NODES[$(( $1 % ${#NODES[@]} ))]}"; }   # where it goes when home leaves
grp_of_host() { local k; for k in $(seq 1 "$(ngroups)"); do [ "$(grp_home "$k")" = "$1" ] && echo "$k"; done; }

# The boot-time block of every group (one HANET_CONFIG file each, as
# README's recipes install them); the patterns come from GROUPS_MARK, so
# the fence controller's boot hook (no WORK) blocks the same groups.
groups_boot_block() {   # NODE
  local p conf rc=0 pats
  [ -r "$GROUPS_MARK" ] || return 1
  read -r -a pats <"$GROUPS_MARK"
  for p in "${pats[@]}"; do
    conf=$(mktemp /tmp/hanet-scenario-boot.XXXXXX)
    printf 'bridge=xenbr1\nguest_ports=%s\n' "$p" >"$conf"; chmod 0644 "$conf"
    nx "$1" env -i PATH="$NODE_PATH" HANET_CONFIG="$conf" HA_LOGFILE=/var/log/hanet-boot.log \
      "$AGENT_IN_NODE" block || rc=$?
    rm -f "$conf"
  done
  return $rc
}

# 0 when group K's block is complete on NODE (nft witness): the table whose
# comment names the group's pattern exists, is not dormant, drops both ways.
grp_blocked() {   # NODE K
  local r
  r=$(ip netns exec "hanet-$1" nft list ruleset 2>/dev/null) || return 1
  awk -v want="guests=$(grp_ports "$2");" '
    /^table bridge hanet_/ { t = 1; blk = "" }
    t { blk = blk $0 "\n" }
    t && /^}/ { t = 0; if (index(blk, want)) { found = 1; dormant = (blk ~ /flags dormant/); drops = gsub(/ drop\n/, "", blk) } }
    END { exit !(found && !dormant && drops >= 2) }' <<<"$r"
}
grp_tag() {   # NODE K -> the policy tag of group K's table (hanet_TAG)
  local r
  r=$(ip netns exec "hanet-$1" nft list ruleset 2>/dev/null) || return 1
  awk -v want="guests=$(grp_ports "$2");" '
    /^table bridge hanet_/ { t = 1; name = $3; blk = "" }
    t { blk = blk $0 "\n" }
    t && /^}/ { t = 0; if (!done && index(blk, want)) { sub(/^hanet_/, "", name); print name; done = 1 } }' <<<"$r"
}

# Two resources on one bridge must not share anything: on every host each
# group has its own table, role record, and either its own guard (blocked:
# its port held disabled) or its own sentinel (open: its port forwarding),
# each a live process of its own.
groups_isolation_check() {   # "PLACEMENT"
  local -a want; read -r -a want <<<"$1"
  local n k tag tags e out
  for n in "${NODES[@]}"; do
    tags=""
    for k in $(seq 1 "$(ngroups)"); do
      tag=$(grp_tag "$n" "$k"); [ -n "$tag" ] || { bad "group $k has no table on $n"; return 1; }
      tags="$tags $tag"
      if [ "${want[$k-1]}" = "$n" ]; then e=open; else e=blocked; fi
      # shellcheck disable=SC2016  # (runs inside the node)
      out=$(nx "$n" bash -c 'd=/run/resource-agents
        [ -s "$d/hanet-vhostnet-$1-role.state" ] || { echo "no role record"; exit 1; }
        if [ "$3" = open ]; then f=sentinel w=forwarding; else f=guard w=disabled; fi
        p=$(cat "$d/hanet-vhostnet-$1.$f" 2>/dev/null) && kill -0 "$p" 2>/dev/null || { echo "no live $f"; exit 1; }
        s=$(bridge link show dev "$2" | sed -n "s/.* state \([a-z]*\) .*/\1/p")
        [ "$s" = "$w" ] || { echo "port $2 $s, not $w"; exit 1; }
        echo "$f $p"' _ "$tag" "$(grp_port "$k")" "$e") || { bad "group $k on $n ($e, tag $tag): $out"; return 1; }
    done
    [ "$(tr ' ' '\n' <<<"$tags" | grep -c .)" = "$(tr ' ' '\n' <<<"$tags" | sort -u | grep -c .)" ] || { bad "tags collide on $n:$tags"; return 1; }
  done
  ok "every group has its own table, role record and guard (blocked, port disabled) or sentinel (open, port forwarding) on every host"
}

groups_blocked_text() {   # NODE -> "a:yes b:no ..."
  local k out=""
  for k in $(seq 1 "$(ngroups)"); do out="$out ${GROUP_LETTERS[$k-1]}:$(grp_blocked "$1" "$k" && echo yes || echo no)"; done
  echo "${out# }"
}

# Where group K's Promoted instance runs (one node), as VIEW sees it
grp_located() {   # VIEW K
  local out
  out=$(nx "$1" crm_resource --locate -r "$(grp_clone "$2")" 2>/dev/null | sed -n 's/.*is running on: \([^ ]*\) Promoted$/\1/p') || return 1
  [ -n "$out" ] && [ "$(wc -l <<<"$out")" = 1 ] || return 1
  echo "$out"
}
wait_grp_located() {   # K TARGET [TIMEOUT_S]
  local deadline=$(( EPOCHSECONDS + ${3:-$WAIT_S} )) st v
  while :; do
    for v in "$2" $(others "$2"); do st=$(grp_located "$v" "$1" 2>/dev/null) && break; done
    [ "$st" = "$2" ] && return 0
    [ "$EPOCHSECONDS" -lt "$deadline" ] || { say "group ${GROUP_LETTERS[$1-1]} not promoted on $2 after ${3:-$WAIT_S}s: ${st:-?}"; return 1; }
    sleep 0.02
  done
}

# Wait (bounded) until every group K is promoted on the K-th word of
# PLACEMENT and unpromoted (and blocked, nft witness) on every other host,
# the bridge clone runs everywhere, all hosts online, no failures.
wait_groups_stable() {   # "PLACEMENT" [VIEW] [TIMEOUT_S]
  local -a want
  read -r -a want <<<"$1"
  local view=${2:-${want[0]}} to=${3:-$WAIT_S} st="" deadline all k ok n bl
  deadline=$(( EPOCHSECONDS + to ))
  all=$(csv "${NODES[@]}")
  while :; do
    st=$(crmstate "$view" || true)
    ok=1
    [[ " $st " == *" xenbr1=$all "* && " $st " == *" online=$all "* && " $st " == *" failed= "* ]] || ok=0
    for k in $(seq 1 "$(ngroups)"); do
      [ $ok = 1 ] || break
      # shellcheck disable=SC2046
      [[ " $st " == *" $(grp_rsc "$k")=${want[$k-1]} "* && " $st " == *" $(grp_rsc "$k")-u=$(csv $(others "${want[$k-1]}")) "* ]] || { ok=0; break; }
      for n in $(others "${want[$k-1]}"); do grp_blocked "$n" "$k" || { ok=0; break; }; done
      ! grp_blocked "${want[$k-1]}" "$k" || ok=0
    done
    [ $ok = 1 ] && return 0
    if [ "$EPOCHSECONDS" -ge "$deadline" ]; then
      bl=""
      for n in "${NODES[@]}"; do bl="$bl; $n blocked: $(groups_blocked_text "$n")"; done
      say "groups not stable as '$1' after ${to}s: $st$bl"
      return 1
    fi
    sleep 0.1
  done
}
home_placement() { local k out=""; for k in $(seq 1 "$(ngroups)"); do out="$out $(grp_home "$k")"; done; echo "${out# }"; }

# The cluster configuration (crm shell; README prints it for pcs and crm)
groups_crm_config() {
  local k r c h s
  cat <<EOF
primitive xenbr1 ocf:hanet:bridge params bridge=xenbr1 uplink=eth1 forward_delay=0 \\
  op monitor interval=10s timeout=20s
clone xenbr1-clone xenbr1 meta interleave=true
EOF
  for k in $(seq 1 "$(ngroups)"); do
    r=$(grp_rsc "$k") c=$(grp_clone "$k") h=$(grp_home "$k") s=$(grp_second "$k")
    cat <<EOF
primitive $r ocf:hanet:vhostnet params bridge=xenbr1 guest_ports="$(grp_ports "$k")" guard=true \\
  op monitor interval=2s role=Promoted timeout=20s \\
  op monitor interval=3s role=Unpromoted timeout=20s
clone $c $r meta promotable=true promoted-max=1 priority=10 interleave=true target-role=Stopped
location l-$r-promoted $c rule \$role=Promoted 100: defined #uname
location l-$r-home $c rule \$role=Promoted 200: #uname eq $h
order o-$r-after-bridge Mandatory: xenbr1-clone $c
colocation c-$r-with-bridge inf: $c xenbr1-clone
EOF
    [ ${#NODES[@]} -lt 3 ] || echo "location l-$r-second $c rule \$role=Promoted 50: #uname eq $s"
  done
}

groups_lab_up() {
  local n k x
  [ -d "$STATE" ] || fail "no cluster (run: HANET_OCF_DIR=... $C up)"
  for n in "${NODES[@]}"; do nx "$n" test -x "$AGENT_IN_NODE" || fail "ocf:hanet:vhostnet not visible in $n (HANET_OCF_DIR)"; done
  [ ! -e "/run/netns/$SW" ] || fail "netns $SW exists: run '$SELF lab-down' first"
  switch_up
  # guests: every group's twins on every host, same MACs and IPs; each has
  # the client as a static neighbour (it answers from the first probe) and
  # no IPv6 (no chatter: what the probe sees are answers)
  for n in "${NODES[@]}"; do
    for k in $(seq 1 "$(ngroups)"); do
      # shellcheck disable=SC2016  # (runs inside the node)
      nx "$n" bash -euc '
        ip netns add gg$1
        ip netns exec gg$1 sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
        ip link add "$6" address fe:ff:ff:ff:ff:ff type veth peer name eth0 netns gg$1
        ip -n gg$1 link set lo up
        ip -n gg$1 link set eth0 address "$2"
        ip -n gg$1 addr add "$3/24" dev eth0
        ip -n gg$1 link set eth0 up
        ip -n gg$1 neigh replace "$4" lladdr "$5" dev eth0 nud permanent' _ \
        "$k" "$(grp_mac "$k")" "$(grp_ip "$k")" "$CLIENT_IP" "$CLIENT_MAC" "$(grp_port "$k")" || fail "guest $k on $n"
    done
  done
  for k in $(seq 1 "$(ngroups)"); do grp_ports "$k"; done | paste -sd' ' - >"$GROUPS_MARK"
  for n in "${NODES[@]}"; do groups_boot_block "$n" >/dev/null || fail "boot-time block on $n"; done
  for n in "${NODES[@]}"; do
    for k in $(seq 1 "$(ngroups)"); do grp_blocked "$n" "$k" || fail "boot-time block of group $k on $n ($(groups_blocked_text "$n"))"; done
  done
  ok "boot-time block of every group in place on $(nodes_text) (nft witness: one table per group)"
  "$C" set-hook "$SELF" || fail "cluster set-hook"

  x=$(mktemp "$WORK/crm.XXXXXX")
  groups_crm_config >"$x"; chmod 0644 "$x"
  nx "$A" crm configure load update "$x" >"$WORK/crm.out" 2>&1 || { cat "$WORK/crm.out"; fail "crm configure load"; }
  rm -f "$x"
  local deadline=$(( EPOCHSECONDS + WAIT_S )) st="" all ports
  all=$(csv "${NODES[@]}")
  until [[ " $st " == *" xenbr1=$all "* ]]; do
    [ "$EPOCHSECONDS" -lt "$deadline" ] || fail "bridge clone not started on every host: $st"
    sleep 0.1; st=$(crmstate "$A" || true)
  done
  ports=$(for k in $(seq 1 "$(ngroups)"); do grp_port "$k"; done | paste -sd' ' -)
  for n in "${NODES[@]}"; do
    # shellcheck disable=SC2016  # (runs inside the node)
    nx "$n" bash -euc 'for v in $1; do ip link set $v master xenbr1 up; done
      for i in $(seq 1 100); do
        s=""; for v in $1 eth1 xenbr1; do s=$s$(cat /sys/class/net/$v/operstate); done
        [ -z "${s//up/}" ] && exit 0
        sleep 0.05
      done
      echo "ports not up: $s" >&2; exit 1' _ "$ports" || fail "guest ports up on $n"
  done
  for k in $(seq 1 "$(ngroups)"); do
    nx "$A" crm_resource -r "$(grp_clone "$k")" --meta -d target-role >/dev/null 2>&1 || fail "start $(grp_clone "$k")"
  done
  wait_groups_stable "$(home_placement)" "$A" || fail "every group promoted on its own host"
  groups_isolation_check "$(home_placement)"
  ok "resources running: xenbr1-clone on $(nodes_text +); $(for k in $(seq 1 "$(ngroups)"); do printf '%s promoted on %s; ' "$(grp_clone "$k")" "$(grp_home "$k")"; done)unpromoted (blocked) elsewhere"
}

groups_lab_down() {
  stop_probe
  if [ -d "$STATE" ]; then
    local n k ids=(xenbr1-clone) r x
    for k in 1 2 3; do ids+=("$(grp_clone "$k")"); done
    for n in "${NODES[@]}"; do
      nx "$n" true 2>/dev/null || continue
      for r in "${ids[@]}"; do nx "$n" crm_resource -r "$r" --meta -p target-role -v Stopped >/dev/null 2>&1 || true; done
      local deadline=$(( EPOCHSECONDS + WAIT_S )) st
      while :; do
        st=$(crmstate "$n" 2>/dev/null || true)
        [[ "$st" != *"vhostnet-"* && "$st" != *"xenbr1="* ]] && break
        [ "$EPOCHSECONDS" -lt "$deadline" ] || { say "resources not stopped in ${WAIT_S}s: $st"; break; }
        sleep 0.1
      done
      x=""
      for r in "${ids[@]}"; do x="$x or @rsc='$r' or @with-rsc='$r' or @first='$r' or @then='$r'"; done
      nx "$n" cibadmin --delete-all --xpath "//constraints/*[${x# or }]" >/dev/null 2>&1 || true
      x=""
      for r in "${ids[@]}"; do x="$x or @id='$r'"; done
      nx "$n" cibadmin --delete-all --xpath "//resources/*[${x# or }]" >/dev/null 2>&1 || true
      break
    done
    for n in "${NODES[@]}"; do
      # shellcheck disable=SC2016  # (runs inside the node)
      nx "$n" bash -c 'pkill -f "^/usr/lib/ocf/resource.d/hanet/vhostnet (block|stop)$" 2>/dev/null
        for k in 1 2 3; do ip netns del gg$k 2>/dev/null; done; for p in ga-0 gb-0 gc-0; do ip link del $p 2>/dev/null; done
        ip link del xenbr1 2>/dev/null; ip link del eth1 2>/dev/null
        for t in $(nft list tables 2>/dev/null | sed -n "s/^table bridge \(hanet_[0-9a-f]*\)$/\1/p"); do nft delete table bridge "$t"; done
        rm -f /run/resource-agents/hanet-* /var/log/hanet-boot.log
        exit 0' >/dev/null 2>&1 || true
    done
    rm -f "$GROUPS_MARK"
  fi
  ip netns del "$SW" 2>/dev/null || true
  if [ "$(cat "$STATE/hook" 2>/dev/null)" = "$SELF" ]; then "$C" set-hook >/dev/null 2>&1 || true; fi
}
