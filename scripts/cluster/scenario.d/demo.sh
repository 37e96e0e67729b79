# shellcheck shell=bash
# scripts/cluster/scenario demo (make demo, scripts/demo.sh): one standby
# switchover, explained, with a timeline of who answered when.

switch_fdb() {   # where the switch forwards each guest MAC
  local f m port out=""
  f=$(bridge -n "$SW" fdb show br sw0 2>/dev/null || true)
  for m in "$G1_MAC" "$G2_MAC"; do
    port=$(awk -v m="$m" '$1 == m && $2 == "dev" { print $3; exit }' <<<"$f")
    out="$out $m -> ${port:-flood}${port:+ (host${port#sw})}"
  done
  echo "${out# }"
}

cmd_demo() {
  parse_opts "$@"
  prepare
  # shellcheck disable=SC2034 # (read by settle)
  SETTLE_S=1
  cat <<EOF

hanet demo: two hosts (hostA, hostB) run the same two guests (same MACs,
same IPs) behind bridge xenbr1; a real Corosync 3 + Pacemaker 2.1 cluster
(two nodes on this machine, no systemd) runs ocf:hanet:bridge on both and
ocf:hanet:vhostnet as a promotable clone on both: the Unpromoted instance
keeps its host's guests blocked; only the Promoted host lets them reach the
switch.
A client on the switch probes both guests every $INTERVAL_MS ms:
guest1 $G1_IP (ordinary) and guest2 $G2_IP (silent: it sends nothing unless
asked).
EOF
  if fencing_on; then
    echo "Fencing is on, as production needs: stonith:fence_hanetlab powers a lab"
    echo "host off for real (every process killed, every link down) and boots it"
    echo "with its guests blocked first."
  else
    echo "Lab only: fencing is off (cluster up --no-fencing); production needs it."
  fi
  echo
  lab_up
  local hanet
  hanet=$(dirname "$(readlink -f "${AGENT:-$ROOT/.build/release/hanet-agent}")")/hanet
  if [ -x "$hanet" ]; then
    echo; echo "hostA's links, as 'hanet links' shows them inside the node:"
    nx "$A" "$hanet" links | sed 's/^/  /'
  fi
  echo; echo "Cluster (crm_mon -1):"
  nx "$A" crm_mon -1 | sed -n '/Node List/,$p' | sed 's/^/  /'
  echo
  start_probe
  only_active_answers "$A" 1 || fail "only $A answers ($STEADY)"
  ok "the client reaches both guests through $A only ($STEADY)"
  say "switch forwarding table: $(switch_fdb)"
  say "warm-up: $B runs the guests once (a host that never saw a silent guest cannot announce it)"
  warm_up
  sleep 0.5
  local off t0 t1 j; local -a pa
  off=$(probe_offset); pcmk_args pa; t0=$(now)
  echo; echo "\$ crm node standby $A"
  nx "$A" crm node standby "$A" >/dev/null 2>&1 || fail "crm node standby $A"
  wait_located "$B" "$B" || fail "$RSC on $B"
  sleep 1; t1=$(now)
  j=$("$PY" "$PROBE" window --log "$PLOG" --offset "$off" --t0 "$t0" --t1 "$t1" --old "$A" --new "$B" --silent 1 --silent-mac "$G2_MAC" --label standby "${pa[@]}")
  echo
  echo "Timeline (ms from 'crm node standby $A'; probes grouped by who answered them):"
  "$PY" "$PROBE" timeline --log "$PLOG" --offset "$off" --t0 "$t0" --t1 "$t1" --before 0.3 "${pa[@]}" \
    --name "guest1 $G1_IP" --name "guest2 $G2_IP (silent)" --mark "$t0:crm node standby $A" --interval-ms "$INTERVAL_MS"
  echo
  printf 'Outage seen by the client: guest1 %s ms, guest2 %s ms. Pacemaker decision -> both guests answer from %s: %s ms. Duplicate answers: %s.\n\n' \
    "$(jget "$j" guests.guest1.outage_ms)" "$(jget "$j" guests.guest2.outage_ms)" "$B" "$(jget "$j" decision_to_all_answer_ms)" "$(jget "$j" dup)"
  [ "$(jget "$j" dup)" = 0 ] || bad "duplicates during the switchover"
  [ "$(jget "$j" silent_first_probe)" = ok ] || bad "the silent guest missed the first probe after $B announced it"
  only_active_answers "$B" 1 || fail "only $B answers ($STEADY)"
  ok "after 'crm node standby $A' the client reaches both guests through $B only ($STEADY)"
  say "switch forwarding table: $(switch_fdb)"
  nx "$B" crm node online "$A" >/dev/null 2>&1 || true
  wait_stable "$B" || bad "stable after 'crm node online $A'"
  ok "'crm node online $A': $A is back as the standby (unpromoted), its guests blocked; $RSC stays promoted on $B (stickiness)"
  stop_probe
}
