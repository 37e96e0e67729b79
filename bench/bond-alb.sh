#!/usr/bin/env bash
# Benchmark: what a balance-alb failover looks like from a peer (how long it
# keeps sending to the dead slave's MAC, the longest gap between answers),
# with default settings and with num_grat_arp / peer_notif_delay, in the
# project's VM (this host's kernel has no bonding driver).
#
#   sudo bash bench/bond-alb.sh
#
# A measurement, not a test: it prints and asserts no timing, so CI does not
# run it (scripts/test.sh leaves VM classes named *Measurement out). Results:
# BENCHMARKS.md, section 6.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build --build-tests >/dev/null
XCTEST=$(find .build/debug/ -maxdepth 1 -name '*.xctest' | head -1)
scripts/vm/run --mem 512 --timeout 600 --env HANET_IN_VM=1 -- "$XCTEST" VMTests.BondALBFailoverMeasurement
