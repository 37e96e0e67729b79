#!/usr/bin/env bash
# Tier "fuzz": every libFuzzer target of fuzz/ built (Swift with
# -sanitize=fuzzer,address), seeded from the golden captures, and run
# briefly: FUZZ_TIER_SECONDS each (default 6; cold build included the tier
# took 187 s at 15 s each on 2 shared cores), FUZZ_TIER_PARALLEL at a
# time (default 2). One check per target: it built and ran for the time
# without a crash. Ends with "N passed, N failed". A crash leaves its input
# in .build/fuzz/crashes/ (reproduce: .build/fuzz/<target> <file>).
# scripts/test.sh runs it with the other scripts/tests/ tiers. Long runs
# are `make fuzz FUZZ_SECONDS=600`, not this tier.
set -uo pipefail
HANET_PROG=fuzz HANET_PLAIN=1
# shellcheck source=scripts/lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"   # ok, bad, summary, now_ms
cd "$(dirname "$0")/../.." || exit 1
SECONDS_EACH=${FUZZ_TIER_SECONDS:-6}
T0=$(now_ms)
LOGS=.build/fuzz/logs
mkdir -p "$LOGS"
mapfile -t TARGETS < <(bash fuzz/run list)

bash fuzz/run build >"$LOGS/tier-build.txt" 2>&1
bash fuzz/run corpus >"$LOGS/tier-corpus.txt" 2>&1 || { cat "$LOGS/tier-corpus.txt"; fail "seed corpora (fuzz/seeds.py)"; }
for target in "${TARGETS[@]}"; do rm -f "$LOGS/$target.line"; done
# A fixed seed: the same inputs on every CI run (exploring is for long runs).
FUZZ_FLAGS=${FUZZ_FLAGS:--seed=1} FUZZ_SECONDS=$SECONDS_EACH FUZZ_PARALLEL=${FUZZ_TIER_PARALLEL:-2} bash fuzz/run run >"$LOGS/tier-run.txt" 2>&1

for target in "${TARGETS[@]}"; do
  line=$(cat "$LOGS/$target.line" 2>/dev/null || echo "$target NOT RUN")
  if [[ $line == *" ok" ]]; then
    ok "$target: built, ran ${SECONDS_EACH} s without a crash (${line#"$target"})"
  else
    bad "$target: ${line#"$target"}"
    grep -E 'error:' "$LOGS/tier-build.txt" | head -5 | sed 's/^/     /'
    grep -m1 -A12 -E 'ERROR: libFuzzer|ERROR: AddressSanitizer|property violated' "$LOGS/$target.log" 2>/dev/null | sed 's/^/     /'
  fi
done
echo "fuzz tier wall time: $(( $(ms_since "$T0") / 1000 )) s"
summary
[ "$FAILED" = 0 ]
