#!/usr/bin/env bash
# Tier "example": examples/guest-pair, a separate Swift package that depends
# on hanet by path, built as a user of the library would build it and run
# in a throwaway network namespace. Proves that the products import under
# their module names and that the host logic works without the OCF runtime.
# Ends with "N passed, N failed".
set -uo pipefail
HANET_PROG=example HANET_PLAIN=1
# shellcheck source=scripts/lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"   # check, summary
cd "$(dirname "$0")/../.."
EXAMPLE=examples/guest-pair
NS=hanet-example-$$
cleanup() { ip netns del "$NS" 2>/dev/null || true; }
trap cleanup EXIT
finish() { summary; exit $((FAILED > 0)); }

check "the example package builds against hanet by path" swift build --package-path "$EXAMPLE"
check "the example's own unit tests pass against hanet's fake kernel (HanetTesting, no root needed)" \
  sh -c "swift build --package-path '$EXAMPLE' --build-tests >/dev/null && swift test --package-path '$EXAMPLE' --skip-build 2>&1 | tee /dev/stderr | grep -q 'Executed 2 tests, with 0 failures'"
BIN=$EXAMPLE/.build/debug/guest-pair
[ -x "$BIN" ] || finish

ip netns add "$NS"
ip netns exec "$NS" sh -ec '
  ip link set lo up
  ip link add eth1 type veth peer name sw1
  ip link add vif1.0 type veth peer name guest1
  for l in eth1 sw1 guest1; do ip link set "$l" up; done'

run_example() { ip netns exec "$NS" "$BIN" "$@" >/tmp/hanet-example.out 2>&1; }
expect_lines() { # rc, pattern... (in order)
  local want=$1; shift
  [ "$RC" = "$want" ] || { echo "exit $RC, expected $want"; cat /tmp/hanet-example.out; return 1; }
  local i=1 line
  while IFS= read -r line; do
    (( i <= $# )) && grep -qE -- "${!i}" <<<"$line" && i=$((i + 1))
  done </tmp/hanet-example.out
  (( i > $# )) || { echo "missing (in order): ${!i}"; cat /tmp/hanet-example.out; return 1; }
}

run_example xenbr1 eth1; RC=$?
check "bridge up, guests blocked, opened, blocked again, all undone" expect_lines 0 \
  '^bridge xenbr1: running' '^guests \(standby\): stopped \(guests on xenbr1 are blocked\)' \
  '^guests \(active\): running' '^guests \(standby again\): stopped' '^bridge xenbr1 after stop: stopped'
check "stop removed the bridge it created and released the uplink" \
  sh -c "! ip netns exec $NS ip link show xenbr1 >/dev/null 2>&1 && ! ip netns exec $NS ip -o link show eth1 | grep -q master"
run_example xenbr1 xenbr1; RC=$?
check "a configuration no host could apply: ConfigurationError naming the parameter" \
  expect_lines 2 "invalid configuration: parameter 'uplink': cannot be the bridge itself"
run_example xenbr1 eth9; RC=$?
check "a missing uplink: HostError naming the interface and its kind" \
  expect_lines 1 "eth9: uplink eth9 does not exist on this node \[missingInterface\]"
check "nothing left behind by the failed runs" sh -c "! ip netns exec $NS ip link show xenbr1 >/dev/null 2>&1"

# The README's "Use it from Swift" code, as printed, built and run the same way.
README_PKG=$(mktemp -d /tmp/hanet-readme-swift.XXXXXX)
trap 'cleanup; rm -rf "$README_PKG"' EXIT
readme_code() { # the Swift block of the README section that has `import HanetHost`
  awk '/^## Use it from Swift/ {s=1} s && /^```swift/ {b=1; t=""; next} b && /^```/ {b=0; if (t ~ /import HanetHost/) {printf "%s", t; exit}} b {t=t $0 "\n"}' README.md
}
mkdir -p "$README_PKG/Sources/guest-pair"
# The example's manifest without its test target (the README shows main.swift only).
sed -e "s|path: \"../..\"|path: \"$PWD\"|" -e '/A tool.s own unit tests/,/^        \]),$/d' "$EXAMPLE/Package.swift" >"$README_PKG/Package.swift"
readme_code >"$README_PKG/Sources/guest-pair/main.swift"
check "the README's Swift code is the example's API (it builds)" \
  sh -c "grep -q 'import HanetHost' '$README_PKG/Sources/guest-pair/main.swift' && swift build --package-path '$README_PKG'"
readme_run() {
  ip netns exec "$NS" "$README_PKG/.build/debug/guest-pair" >/tmp/hanet-example.out 2>&1; RC=$?
  expect_lines 0 '^running: bridge xenbr1 is up with uplink eth1' '^stopped: guests on xenbr1 are blocked'
}
check "the README's Swift code runs as printed" readme_run
ip netns exec "$NS" ip link del xenbr1 2>/dev/null || true
rm -rf /run/guest-pair
finish
