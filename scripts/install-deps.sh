#!/usr/bin/env bash
# Installs every Debian package hanet needs to build, test and demonstrate.
# Idempotent: packages already present are skipped by apt itself.
set -euo pipefail
APT=(apt-get -o DPkg::Lock::Timeout=600 -y -q --no-install-recommends)
export DEBIAN_FRONTEND=noninteractive
PKGS=(
  # build
  pkg-config libmnl-dev libiptc-dev
  # release builds link libstdc++ statically (Makefile, STATIC_CXX)
  libstdc++-12-dev
  # kernel-side clients used by tests as independent witnesses
  iproute2 iptables arptables ebtables nftables iputils-ping iputils-arping tcpdump strace
  # Pacemaker / OCF tooling
  pacemaker pacemaker-cli-utils corosync resource-agents crmsh libxml2-utils
  # the README's recipes are applied with the real pcs and crm (recipes tier), with
  # a real fence device in the CIB as production needs
  pcs fence-agents
  # VM tier: a stock Debian kernel run under qemu (software emulation)
  qemu-system-x86 linux-image-amd64 busybox-static xz-utils zstd
  # guests tier: a real libvirt domain on a bridge (libvirtd, virsh), so the
  # agent blocks a port libvirt made (vnetN, libvirt's MAC) as users run it
  libvirt-daemon-system libvirt-clients
  # benchmarks and packaging
  hyperfine lintian dpkg-dev fakeroot
  # the cluster scenario's probe
  python3
  # the peers we measure against (iface-bridge needs brctl)
  bridge-utils
)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  # Services must not start inside a build/test machine: no systemd here.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
  fi
  apt-get -o DPkg::Lock::Timeout=600 -q update
  "${APT[@]}" install "${missing[@]}"
fi
