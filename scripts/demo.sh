#!/usr/bin/env bash
# `make demo`: installs what is needed, builds, and shows the two-host setup
# under a real Pacemaker cluster: two hosts run the same guests, the client
# reaches them through hostA, `crm node standby hostA` moves them to hostB,
# and a timeline shows who answered when and how long the client waited.
# Everything (cluster, namespaces, processes) is removed at the end, also on
# Ctrl-C or error. Needs root on Debian 12; ~30 s once built.
#
#   scripts/demo.sh             install packages, build, run
#   HANET_DEMO_NO_BUILD=1 ...   use the existing .build/release binaries
set -euo pipefail
cd "$(dirname "$0")/.."
[ -e /proc/$$/fd/0 ] || exec </dev/null

if [ "$(id -u)" != 0 ]; then
  echo "demo: must run as root (it creates network namespaces and a cluster)" >&2
  exit 1
fi
if [ -d "${HANET_CLUSTER_STATE:-/run/hanet-cluster}" ]; then
  echo "demo: a lab cluster is already running; stop it first: scripts/cluster/cluster down" >&2
  exit 1
fi

if [ -z "${HANET_DEMO_NO_BUILD:-}" ]; then
  echo "== installing Debian packages (scripts/install-deps.sh)"
  bash scripts/install-deps.sh
  echo "== building (make release)"
  make -s release
fi
[ -x .build/release/hanet-agent ] || { echo "demo: .build/release/hanet-agent missing (make release)" >&2; exit 1; }

echo "== two hosts, the same guests, a real Pacemaker cluster"
# the scenario tears everything down itself (trap), whatever happens
exec scripts/cluster/scenario demo --up --agent .build/release/hanet-agent
