# shellcheck shell=bash
# scripts/cluster/scenario run --results FILE: the measured tables as
# Markdown with how they were produced (scripts/cluster/RESULTS.md).

write_results() {   # CMDLINE
  # (read before the file is created: a new RESULTS file is no change of the code)
  local commit dirty=""
  commit=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo "(no git)")
  [ -z "$(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null)" ] || dirty=" + uncommitted changes"
  {
    echo "# Two-host scenario under Pacemaker: measured results"
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
  say "results written to $RESULTS"
}
