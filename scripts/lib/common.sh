# shellcheck shell=bash
# scripts/lib/common.sh: the message, check and timing helpers every shell
# harness of hanet shares (sourced, never run). Source it relative to the
# script itself, before any `cd`:
#
#   # shellcheck source=scripts/lib/common.sh
#   . "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"
#
# and set HANET_PROG, the name its messages carry (default: the script's).
#
# Messages on stderr, for tools:
#   note MSG        "PROG: MSG"
#   die MSG         "PROG: error: MSG", exit 1; HANET_DIE_FORMAT (a printf
#                   format taking PROG and MSG) keeps a script's own form
# A timestamped log line on stdout, for test harnesses:
#   say MSG         "[PROG HH:MM:SS.mmm] MSG"
# Checks, counted in PASSED and FAILED; reported through say, or as bare
# lines with HANET_PLAIN=1 (the test tiers: scripts/test.sh reads "^FAIL "
# and the closing "N passed, N failed"):
#   ok MSG          "ok   MSG"
#   bad MSG         "FAIL MSG"
#   fail MSG        bad, then exit 1 (later steps build on this one)
#   check MSG CMD...  ok if CMD succeeds, else bad plus the tail of its output
#   summary         "N passed, N failed"
# Time and the two-node lab:
#   now_ms          ms since the epoch (no fork)
#   ms_since T0     ms since T0, a now_ms value
#   other NODE      the other one of the nodes $A and $B

: "${HANET_PROG:=${0##*/}}"
PASSED=0
FAILED=0

note() { printf '%s: %s\n' "$HANET_PROG" "$*" >&2; }
# (never fails on a closed stderr: a cleanup that dies must still exit 1)
die() {
  # shellcheck disable=SC2059 # the format is the caller's choice
  printf "${HANET_DIE_FORMAT:-%s: error: %s\n}" "$HANET_PROG" "$*" >&2 2>/dev/null || true
  exit 1
}
say() { printf '[%s %s] %s\n' "$HANET_PROG" "$(date +%T.%3N)" "$*"; }

result() { if [ "${HANET_PLAIN:-0}" = 1 ]; then printf '%s\n' "$*"; else say "$*"; fi; }
ok()   { PASSED=$((PASSED + 1)); result "ok   $*"; }
bad()  { FAILED=$((FAILED + 1)); result "FAIL $*"; }
fail() { bad "$@"; exit 1; }
check() {
  local what=$1 out
  shift
  if out=$("$@" 2>&1); then ok "$what"
  else bad "$what"; printf '%s\n' "$out" | tail -20 | sed 's/^/     /'; fi
}
summary() { echo "$PASSED passed, $FAILED failed"; }

now_ms() { local t=${EPOCHREALTIME//[!0-9]/}; echo $((10#$t / 1000)); }
ms_since() { echo $(($(now_ms) - $1)); }
other() { if [ "$1" = "$A" ]; then echo "$B"; else echo "$A"; fi; }
