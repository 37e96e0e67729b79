# shellcheck shell=bash disable=SC2016 # awk programs in single quotes
# scripts/tests/reliability/lib.sh: what the reliability tier's phases share
# (sourced by kills.sh and concurrency.sh, inside their sandbox): calling
# an installed agent, the witnesses of "nothing foreign changed", agent
# processes and guards, and the foreign objects every lab starts with.
#
# Needs: STAGE (a `make install DESTDIR=` root), WORK (a scratch directory).
# Sets:  RA, AGENT_BIN, HA_RSCTMP, OCF_ROOT, XTABLES_LOCKFILE.
#
# A resource is a function res_NAME that sets AGENT and exports its
# OCF_RESKEY_* variables; `call NAME ACTION` runs it in a subshell that
# execs the agent, so the pid bash sees is the agent's own.

# Every agent process this shell sees must be the sandbox's own.
[ "$$" = 1 ] || { echo "reliability: run inside a PID namespace: unshare --net --mount --pid --fork --mount-proc"; exit 2; }
RA=$STAGE/usr/lib/ocf/resource.d/hanet
AGENT_BIN=$(readlink -f "$STAGE/usr/lib/hanet/hanet-agent")
export OCF_ROOT=/usr/lib/ocf HA_RSCTMP=$WORK/rsctmp
# A private xtables lock: agents and the iptables-legacy writers of this
# sandbox serialise on it (both honour XTABLES_LOCKFILE) and never wait for
# another test's iptables on this machine. The tables are per namespace anyway.
export XTABLES_LOCKFILE=$WORK/xtables.lock
mkdir -p "$HA_RSCTMP"
AGENT_LOG=$WORK/agents.log
NETNS=$(readlink /proc/self/ns/net)

# A read that never gets data: sub-millisecond sleeps without a fork.
rm -f "$WORK/sleep.fifo" && mkfifo "$WORK/sleep.fifo"
exec {SLEEP_FD}<>"$WORK/sleep.fifo"
pause_us() { # (printf -v: a $(...) would fork and add a millisecond)
  local t
  printf -v t '%d.%06d' $(($1 / 1000000)) $(($1 % 1000000))
  (($1 > 0)) && read -r -t "$t" -u "$SLEEP_FD"
  return 0
}

verdict() { # arithmetic-condition ok-message fail-message
  if (($1)); then ok "$2"; else bad "$3"; fi
}
call() { # resource action: the agent's exit status; its output goes to AGENT_LOG
  (
    "res_$1"
    exec "$RA/$AGENT" "$2"
  ) >>"$AGENT_LOG" 2>&1
}
want_monitor() { # action -> the monitor answer after it converged
  # (promote/demote: a promotable vhostnet instance, 8 open and promoted, 0 blocked)
  case $1 in start) echo 0 ;; stop) echo 7 ;; promote) echo 8 ;; demote) echo 0 ;; esac
}
opposite() { case $1 in start) echo stop ;; stop) echo start ;; promote) echo demote ;; demote) echo promote ;; esac; }

# --- processes: every agent process left in this sandbox must be a guard --
agent_pids() { # pids of the staged agent binary in this network namespace (no fork: the VM forks slowly)
  local p
  for p in /proc/[0-9]*; do
    [ "$p/exe" -ef "$AGENT_BIN" ] && [ "$(readlink "$p/ns/net" 2>/dev/null)" = "$NETNS" ] && echo "${p#/proc/}"
  done
}
count_guards() { # [tag] [guard|sentinel] -> GUARDS: listening guard (or sentinel) sockets here (all, or one policy's); no fork
  local flags name kind=${2:-guard}
  GUARDS=0
  while read -r _ _ _ flags _ _ _ name; do
    [ "$flags" = 00010000 ] || continue
    case $name in "@hanet-vhostnet-$kind-${1:-}"*) GUARDS=$((GUARDS + 1)) ;; esac
  done </proc/net/unix
}
# STRAY="" when every agent process is a listening guard (blocked host) or
# sentinel (open host), else what is off (no fork). Sets GUARDS and SENTINELS.
check_processes() {
  local p pids=()
  for p in /proc/[0-9]*; do [ "$p/exe" -ef "$AGENT_BIN" ] && pids+=("${p#/proc/}"); done
  count_guards "" sentinel; SENTINELS=$GUARDS
  count_guards ""
  STRAY=""
  ((${#pids[@]} == GUARDS + SENTINELS)) && return 0
  STRAY="${#pids[@]} agent process(es) but $GUARDS listening guard(s) and $SENTINELS sentinel(s):"
  for p in "${pids[@]}"; do STRAY+=$'\n'"  $p $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null) $(cut -d' ' -f3 "/proc/$p/stat" 2>/dev/null)"; done
}
end_agents() { # at the end of a phase: no guard may outlive the sandbox
  local p
  for p in $(agent_pids); do kill "$p" 2>/dev/null; done
}

# --- witnesses: the foreign state, normalised -------------------------------
# set_ours NAME...: the links the agents manage (created or adopted, and the
# uplinks/slaves they attach); every other link is foreign. Our nft tables
# are hanet_*, our iptables/arptables chains HANET-*.
OURS_ALT=
alternatives() { printf '%s|' "$@" | sed 's/[.]/[.]/g; s/|$//'; } # names -> an ERE (awk -v keeps [.] as is)
set_ours() { OURS_ALT=$(alternatives "$@"); }

# One awk over every witness (text forms, so no jq start-up per trial):
#   link  `ip -d -o link show` minus ours; dropped: timers, carrier and operstate
#         (they follow a peer, a second later), ports' copy of the bridge id,
#         and a bridge port's state: vhostnet's port lock holds blocked guest
#         ports disabled, part of the block like its rules
#   fdb   `bridge fdb show`: static entries and ports' permanent addresses, not on our links
#   nft   `nft list ruleset` minus tables hanet_*, counters dropped
#   ip4/ip6  `ip(6)tables-legacy-save` minus HANET- lines, counters and dates dropped
#   arp   `arptables-legacy -L -n` minus our chain and jumps (arptables-legacy-save
#         runs /usr/sbin/arptables, which Debian points at arptables-nft)
FOREIGN_AWK='
  BEGIN { for (i = 1; i < ARGC; i++) src[ARGV[i]] = i; ours = "^(" ours ")$" }
  { k = src[FILENAME] }
  k == 1 { n = $2; sub(/:$/, "", n); sub(/@.*/, "", n); if (n ~ ours) next
           gsub(/ [a-z_]+_timer +[0-9.]+/, ""); gsub(/(LOWER_UP|NO-CARRIER|M-DOWN),?/, ""); sub(/,>/, ">"); sub(/ state [A-Z]+ /, " ")
           sub(/bridge_slave state [a-z]+ /, "bridge_slave ")
           # the bridge id as a port sees it: the bridge is ours (an adopted one takes its id from its ports)
           gsub(/ designated_(root|bridge) [^ ]+/, ""); print "link " $0; next }
  k == 2 { if (!/( static| master [^ ]+ permanent) *$/) next
           for (i = 1; i < NF; i++) if ($i == "dev" && $(i + 1) ~ ours) next
           print "fdb " $0; next }
  k == 3 { if (/^table /) skip = ($3 ~ /^hanet_/); if (skip) next
           gsub(/counter packets [0-9]+ bytes [0-9]+/, "counter"); print "nft " $0; next }
  k == 4 || k == 5 { if (/^#/ || /HANET-/) next; sub(/ \[[0-9]+:[0-9]+\]$/, ""); print (k == 4 ? "ip4 " : "ip6 ") $0; next }
  k == 6 { if (/^Chain HANET-/) hskip = 1; if (hskip) { if (/^$/) hskip = 0; next }
           if (/HANET-/) next; print "arp " $0 }'
foreign_state() {
  awk -v ours="$OURS_ALT" "$FOREIGN_AWK" <(ip -d -o link show) <(bridge fdb show) <(nft list ruleset) \
    <(iptables-legacy-save) <(ip6tables-legacy-save) <(arptables-legacy -L -n)
}
# The reference: a foreign state that stays the same for 0.3 s (at most 5 s).
stable_foreign_state() {
  local a b
  b=$(foreign_state)
  local _
  for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do
    a=$b; pause_us 300000; b=$(foreign_state)
    [ "$a" = "$b" ] && break
  done
  printf '%s\n' "$b"
}
# Links as "name flags mtu master address" (carrier flags dropped: they
# follow the peer, not the agent). Only names matching the regex.
LINKS_AWK='
  { n = $2; sub(/:$/, "", n); sub(/@.*/, "", n); if (n !~ ("^(" names ")$")) next
    f = $3; gsub(/(LOWER_UP|NO-CARRIER|M-DOWN),?/, "", f); sub(/,>/, ">", f)
    m = "-"; a = "-"; mtu = "-"
    for (i = 4; i < NF; i++) { if ($i == "master") m = $(i + 1); if ($i == "mtu") mtu = $(i + 1); if ($i ~ /^link\//) a = $(i + 1) }
    print n, f, mtu, m, a }'
links_summary() { # regex of names (in ifindex order)
  ip -o link show | awk -v names="$1" "$LINKS_AWK"
}
# Links that are ours only while started (uplinks, slaves): after a stop
# they must be as they were found.
declare -A ALTERNATIVES=()
borrowed_state() { # names...
  local key="$*"
  [ -n "${ALTERNATIVES[$key]:-}" ] || ALTERNATIVES[$key]=$(alternatives "$@")
  links_summary "${ALTERNATIVES[$key]}"
}
diff_text() { diff <(printf '%s\n' "$1") <(printf '%s\n' "$2") | head -"${3:-12}"; }

# --- foreign objects every lab starts with ----------------------------------
# A foreign bridge with a plain port and a guest-named port, static FDB
# entries; bridge- and inet-family nft tables with rules, a set, counters;
# iptables, ip6tables and arptables rules in FORWARD (more go *before* our
# jump once it exists: foreign_rules_before) and a foreign user chain.
foreign_setup() (
  set -e
  ip link set lo up
  ip link add fbr0 type bridge
  ip link add fport0 type veth peer name fpeer0
  ip link add vif9.0 type veth peer name g9
  ip link set fport0 master fbr0 && ip link set vif9.0 master fbr0
  for l in fbr0 fport0 fpeer0 vif9.0 g9; do ip link set "$l" up; done
  bridge fdb add 02:00:00:00:09:01 dev fport0 master static
  bridge fdb add 02:00:00:00:09:02 dev vif9.0 master static
  nft -f - <<'EOF'
table bridge foreign_br {
  set quarantined {
    type ether_addr
    elements = { 02:00:00:00:00:99 }
  }
  chain forward_filter {
    type filter hook forward priority 0; policy accept;
    iifname "vif9.0" counter accept
    ether saddr @quarantined counter drop
  }
  chain pre_filter {
    type filter hook prerouting priority -200; policy accept;
    meta protocol arp counter
  }
}
table inet foreign_inet {
  chain input {
    type filter hook input priority 0; policy accept;
    tcp dport 22 counter accept
  }
}
EOF
  for t in iptables-legacy ip6tables-legacy; do
    $t -w -N FOREIGN
    $t -w -A FOREIGN -i fbr0 -j ACCEPT
    $t -w -A INPUT -j FOREIGN
    $t -w -A FORWARD -i fbr0 -o fbr0 -j ACCEPT
    $t -w -A FORWARD -i vif9.0 -j ACCEPT
  done
  arptables-legacy -A FORWARD -i fport0 -j ACCEPT
  arptables-legacy -A INPUT -i fbr0 -j ACCEPT
)
foreign_rules_before() ( # once an iptables block exists: foreign rules ahead of our jump
  set -e
  iptables-legacy -w -I FORWARD 1 -s 192.0.2.1 -j DROP
  ip6tables-legacy -w -I FORWARD 1 -s 2001:db8::1 -j DROP
  arptables-legacy -I FORWARD 1 -i fpeer0 -j ACCEPT
)
