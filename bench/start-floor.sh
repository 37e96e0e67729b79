#!/usr/bin/env bash
# shellcheck disable=SC2034,SC2119 # environment arrays are passed to bench/lib.sh by name
# Benchmark: the process start floor. How much of an agent call is just
# starting a process: /bin/true, a trivial Swift program with the static Swift
# stdlib (libc, libstdc++ and libm still dynamic), the same built as the agent
# is (libstdc++ static too: the Makefile's STATIC_CXX), the same program fully
# static (-static-executable: no dynamic loader at all),
# and the installed hanet-agent answering `usage` and `meta-data` (no kernel
# access at all) for each agent.
#
#   sudo bash bench/start-floor.sh [RUNS]      (default 300 runs per command)
#
# Root is not needed for the measurement itself; the stage is built with
# make install like the other benchmarks.
set -euo pipefail
# shellcheck source=bench/lib.sh
. "$(dirname "$0")/lib.sh"
cd "$REPO"
BENCH_RUNS=${1:-300}
BENCH_WARMUP=20
command -v swiftc >/dev/null || bench_die "swiftc is missing (a Swift toolchain on PATH)"
bench_require hyperfine strace python3
cleanup() { [ -n "${STAGE:-}" ] && rm -rf "$STAGE"; }
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
bench_stage
mkdir -p "$STAGE/floor"
printf 'import Glibc\nexit(0)\n' >"$STAGE/floor/main.swift"
(cd "$STAGE/floor" &&
  swiftc -O -static-stdlib main.swift -o trivial-static-stdlib &&
  mkdir -p cxx && ln -sfn "$(gcc -print-file-name=libstdc++.a)" cxx/libstdc++.a &&
  swiftc -O -static-stdlib -L cxx main.swift -o trivial-static-cxx &&
  swiftc -O -static-executable main.swift -o trivial-static-executable) >"$STAGE/floor/build.log" 2>&1 ||
  { cat "$STAGE/floor/build.log" >&2; bench_die "could not build the trivial Swift programs"; }
OCF=(OCF_ROOT=/usr/lib/ocf)
MACHINE_BEFORE=$(bench_machine)
bench_run --impl "/bin/true" --action "-" -- /bin/true
bench_run --impl "trivial Swift (exit(0)), --static-swift-stdlib" --action "-" -- "$STAGE/floor/trivial-static-stdlib"
bench_run --impl "trivial Swift (exit(0)), --static-swift-stdlib + static libstdc++ (as hanet-agent)" --action "-" -- "$STAGE/floor/trivial-static-cxx"
bench_run --impl "trivial Swift (exit(0)), -static-executable" --action "-" -- "$STAGE/floor/trivial-static-executable"
bench_run --impl "hanet-agent bridge" --action usage --env OCF -- "$(bench_link bridge)" usage
for agent in bridge bond vhostnet; do
  bench_run --impl "hanet-agent $agent" --action meta-data --env OCF -- "$(bench_link $agent)" meta-data
done
echo "## process start floor ($BENCH_RUNS runs per command, hyperfine -N)"
echo
echo "source: $(bench_source)  "
echo "before: $MACHINE_BEFORE  "
echo "after:  $(bench_machine)"
echo
echo "hanet-agent: $(stat -c %s "$AGENT") bytes; trivial Swift: $(stat -c %s "$STAGE/floor/trivial-static-stdlib") bytes" \
  "(--static-swift-stdlib), $(stat -c %s "$STAGE/floor/trivial-static-executable") bytes (-static-executable)"
echo
bench_table --floor "/bin/true"
