# shellcheck shell=bash
# scripts/cluster/scenario run --results FILE: the measured tables as
# Markdown with how they were produced (scripts/cluster/RESULTS.md).

write_results() {   # CMDLINE
  # (read before the file is created: a new RESULTS file is no change of the code)
  local commit dirty=""
  commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo "(no git)")
  [ -z "$(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null)" ] || dirty=" + uncommitted changes"
  # the quorum rounds (three nodes) and the guest groups (scenario.d/groups.sh)
  # are sections of their own in the file
  if [ "$TYPES" = quorum ]; then write_quorum_section "$1" "$commit$dirty"; return; fi
  # ...which a two-host run keeps (they are the file's last sections)
  local kept=""
  [ -f "$RESULTS" ] && kept=$(awk '/^## (Quorum loss|Guest groups)/ { k = 1 } k' "$RESULTS")
  {
    echo "# Lab scenarios under Pacemaker: measured results (two hosts; quorum loss on three)"
    echo
    echo "Produced by \`$1\` (as root; see scripts/cluster/README.md, \"Scenario\")"
    echo "on $(date -u '+%Y-%m-%d %H:%M UTC'), kernel $(uname -r), $(nproc) cores,"
    echo "pacemaker $(dpkg-query -W -f='${Version}' pacemaker 2>/dev/null), corosync $(dpkg-query -W -f='${Version}' corosync 2>/dev/null),"
    echo "hanet $commit$dirty;"
    echo "probe every $INTERVAL_MS ms from the client on the shared switch; $FAILED failed check(s)."
    if fencing_on; then
      echo "Fencing is on: stonith:fence_hanetlab, priority-fencing-delay $(fence_delay) (vhostnet priority=10)."
    else
      echo "Fencing is OFF (\`cluster up --no-fencing\`, lab only)."
    fi
    echo
    echo "## Switchovers"
    echo
    "$PY" "$PROBE" table --rounds "$ROUNDS_FILE" --markdown
    echo
    echo "* outage: the client's view, worst of the two guests: last answer from the old host to the first"
    echo "  answer from the new one (ms). The silent guest is probed as a client with a warm ARP cache does"
    echo "  (unicast to its MAC), the ordinary guest with link-layer broadcasts (so two unblocked hosts"
    echo "  would both answer: duplicates)."
    echo "* decision->answer: from Pacemaker's first \"Initiating ... ${RSC}_\" (the stop on the old host"
    echo "  for standby/move, the start on the survivor after a crash) to the first answer from the new host"
    echo "  for both guests."
    echo "* silent guest 1st probe: the first unicast probe sent after the new host's RARP announcement"
    echo "  was answered by the new host."
    if fencing_on; then
      echo "* crash = \`cluster crash\` of the active host (every process killed, its links down); the survivor"
      echo "  fences it (reboot) before it takes over: detection (token 1000 ms + consensus) + the priority delay"
      echo "  (the crashed host ran vhostnet) + the fence. The host comes back by itself, boot-time block first."
    else
      echo "* crash = \`cluster crash\` of the active host (every process killed, its links down), then"
      echo "  \`cluster restart-node\` (boot-time block first); detection = token 1000 ms + consensus."
    fi
    if [[ ",$TYPES," == *",partition,"* ]]; then
      echo "* partition = only the corosync ring between the hosts is cut (their links to the switch stay up);"
      echo "  fencing decides: the promoted host (priority) wins and keeps its guests, the other is fenced and"
      echo "  comes back blocked. No switchover: \"outage\" is the longest gap in the promoted host's answers."
    fi
    if [ ${#SPLITBRAIN_RESULTS[@]} -gt 0 ]; then
      echo
      echo "## Split brain: fencing off on purpose, ring cut"
      echo
      printf '%s\n' "${SPLITBRAIN_RESULTS[@]}" | awk -F'|' '
        function mmm(a, n,   i, j, t) { for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
          return sprintf("%s / %s / %s", a[1], a[int((n + 1) / 2)], a[n]) }
        { n++; o[n] = $1 + 0; d[n] = $2 + 0; s[n] = $3 + 0; r += $4 }
        END {
          print "| rounds | later host answered, ms (min / median / max) | duplicate answers per round | first to last duplicate, ms | its monitor reported the yield |"
          print "|---|---|---|---|---|"
          printf "| %d | %s | %s | %s | %d/%d |\n", n, mmm(o, n), mmm(d, n), mmm(s, n), r, n
        }'
      echo
      echo "* Each round: \`stonith-enabled=false\`, then only the corosync ring cut. Nobody is fenced, so the"
      echo "  unpromoted host's half promotes it: both hosts open the same guests. The promoted host's sentinel"
      echo "  sees the later host's announcements arrive on its uplink, stays open and announces back; the later"
      echo "  host's sentinel sees that and yields (blocks its guests again). A round passes only if the later"
      echo "  host's Promoted monitor reported it (\"this host yielded ...\" in Pacemaker's log), it answered for"
      echo "  at most 200 ms, and the duplicates (probes answered by both hosts) spanned at most 200 ms. Then the"
      echo "  ring is reconnected, failures cleaned up and fencing switched on again."
      echo "* later host answered: its first to its last answer for any guest (0: it yielded before it answered"
      echo "  a probe; the probe runs every ${INTERVAL_MS} ms)."
    fi
    if [ ${#FLUSH_RESULTS[@]} -gt 0 ]; then
      echo
      echo "## \`nft flush ruleset\` on the standby host"
      echo
      echo "min / median / max over the flushes of each row:"
      echo
      "$PY" "$PROBE" flushtable --file "$WORK/flush.txt" --markdown
      echo
      echo "* guard=true rows ran with port_lock=true (both defaults): the standby's guest bridge ports stayed"
      echo "  disabled through the flush, so no frame passed while the guard restored the rules (a duplicate"
      echo "  answer there fails the check); guard=false rows ran with port_lock=false."
      echo "* guard=true: the block was back within the ${GUARD_TARGET_MS} ms target in $GUARD_IN_TARGET of $GUARD_FLUSHES flushes."
      echo "* flush -> block back: from \`nft monitor\` inside the flushed host (our table deleted -> re-created);"
      echo "  with guard=true the process that re-created it is the guard, with guard=false Pacemaker's stop."
      echo "* flush -> stopped-role monitor: to Pacemaker's \"Result of monitor operation for vhostnet on"
      echo "  STANDBY: ok\" (the 3 s stopped-role monitor; each guard=false flush came after a random 0-3 s"
      echo "  delay, so this spreads over the interval); monitor -> block back: Pacemaker's reaction."
      echo "* duplicate answers: broadcast probes answered by both hosts while the standby was unblocked"
      echo "  (the guard=false rows are the probe's negative control)."
      if [ "${KNOWN_ACTIVE_STOPS:-0}" -gt 0 ]; then
        echo "* active host stopped too: Pacemaker 2.1.5 also stopped and restarted vhostnet on the active"
        echo "  host (\"Recover vhostnet (STANDBY)\" + \"stopping unexpected instances\"), see scripts/cluster/README.md."
      else
        echo "* active host stopped too: Pacemaker re-blocked the flushed standby only; the active host kept"
        echo "  its resource and kept answering."
      fi
    fi
  } >"$RESULTS"
  if [ -n "$kept" ]; then printf '\n%s\n' "$kept" >>"$RESULTS"; fi
  say "results written to $RESULTS"
}

# `--types quorum` (three nodes): the section "## Quorum loss" of RESULTS,
# replaced if there, appended otherwise; the rest of the file stays.
write_quorum_section() {   # CMDLINE COMMIT
  local sec
  [ -s "${QUORUM_FILE:-}" ] || { say "no quorum rounds ran: $RESULTS left as it is"; return 0; }
  sec=$(mktemp "$WORK/quorum-section.XXXXXX")
  {
    echo "## Quorum loss: three nodes, the promoted host cut off, the fence device lies"
    echo
    echo "Measured separately with \`$1\` (as root; see scripts/cluster/README.md, \"Three nodes: quorum loss and a fence device that lies\")"
    echo "on $(date -u '+%Y-%m-%d %H:%M UTC'), kernel $(uname -r), $(nproc) cores,"
    echo "pacemaker $(dpkg-query -W -f='${Version}' pacemaker 2>/dev/null), corosync $(dpkg-query -W -f='${Version}' corosync 2>/dev/null),"
    echo "hanet $2; agent $(readlink -f "${AGENT:-$ROOT/.build/release/hanet-agent}") (its meta-data lists \`quorum_block\`: ${QUORUM_BLOCK_PARAM:-?});"
    echo "probe every $INTERVAL_MS ms from the client on the shared switch; $FAILED failed check(s) in the run."
    echo
    "$PY" "$SCN/quorum.py" --file "$QUORUM_FILE" --max-ms "$QUORUM_MAX_MS" --markdown
    echo
    echo "* Each round: nodes ${NODES[*]} (corosync ring: a bridge, plain votequorum, token 1000 ms, 1650 ms"
    echo "  with three nodes; no-quorum-policy=stop), \`cluster fence-mode noop\`: fencing stays enabled and"
    echo "  configured, but the device answers \"done\" to off/reboot and does nothing. Only the promoted host P's"
    echo "  ring is cut (its switch port stays up, so its guests can still answer). P has 1 of 3 votes: no"
    echo "  quorum. The majority fences P (the device lies: P runs on) and promotes another host. P is each"
    echo "  host in turn (the promoted role is moved there before the round)."
    echo "* quorum loss (t_q): P's corosync.log, \"This node is within the non-primary component\" (\`timestamp:"
    echo "  hires\`, ms, the wall clock the probe uses too). P's last answer: the last echo reply of P's guests"
    echo "  that the client saw on P's switch port. A round passes if P's last answer is at most"
    echo "  ${QUORUM_MAX_MS} ms after t_q, no probe was answered by two hosts (duplicates) and the new host serves"
    echo "  both guests. A negative value: P's last answer came before corosync's line (the sentinel had the"
    echo "  verdict as corosync logged it, and the probe asks every ${INTERVAL_MS} ms). new host's outage: P's last"
    echo "  answer to the new host's first, worst guest: the majority's detection, fence and promote."
    echo "* P's agent logged \"lost quorum\": a line with it in P's logs (Pacemaker's log with the agent's"
    echo "  output, the agent's own) during the round. Without it, P's own Pacemaker (no-quorum-policy=stop)"
    echo "  demotes P once it is DC of its one-node partition and its scheduler has run: usually ~1.1-1.3 s"
    echo "  after the quorum loss, sometimes ~0.1-0.2 s (4 of 20 rounds with an agent without the feature,"
    echo "  see the README); so a round can pass without the agent, which is why the control rounds and this"
    echo "  column count."
    echo "  its own figure: the sentinel's \"guests blocked in N ms\" (from its quorum notification)."
    echo "* After each round: P's ring back, the device real again, and the lab stable: one host promoted, the"
    echo "  others unpromoted and blocked. cleanup: rounds after which Pacemaker listed failed actions and"
    echo "  \`crm_resource --cleanup\` was run (listed); restart: P's Pacemaker had stopped and P was restarted."
    if [ "${QUORUM_CONTROL:-0}" -gt 0 ]; then
      echo "* control: the same rounds with \`quorum_block=false\` on the resource (when the agent has it; else"
      echo "  the agent as it is): P keeps its guests open until Pacemaker's no-quorum-policy=stop demotes it,"
      echo "  so it must be seen answering after t_q + ${QUORUM_MAX_MS} ms (or duplicates): the check can fail."
      echo "  Its duplicates are excluded from the run's whole-run duplicate check."
    fi
  } >"$sec"
  put_section "## Quorum loss" "$sec"
  rm -f "$sec"
  say "results (section \"Quorum loss\") written to $RESULTS"
}

# The section of RESULTS whose heading starts with PREFIX replaced by the
# file SECTION (appended when RESULTS has none); the rest stays.
put_section() {   # PREFIX SECTION
  local tmp
  tmp=$(mktemp "$WORK/results.XXXXXX")
  if [ -s "$RESULTS" ]; then
    awk -v secfile="$2" -v prefix="$1" '
      function put() { while ((getline l < secfile) > 0) print l; close(secfile); done = 1 }
      index($0, prefix) == 1 { skip = 1; put(); next }
      skip && /^## / { skip = 0; print ""; }
      !skip { print }
      END { if (!done) { print ""; put() } }' "$RESULTS" >"$tmp"
  else
    { echo "# Scenario under Pacemaker: measured results"; echo; cat "$2"; } >"$tmp"
  fi
  cat "$tmp" >"$RESULTS"
  rm -f "$tmp"
}
