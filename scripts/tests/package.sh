#!/usr/bin/env bash
# Tier "package": the Debian package that `make deb` builds.
#
# Builds out/hanet_<version>_<arch>.deb (or takes HANET_DEB=path), then:
# lintian without any E: line; control fields (Depends covers every library
# the binaries need, Suggests); dpkg -c lists every file make install
# installs, owned by root with Debian modes; stripped binaries; installs it
# with dpkg --root into a throwaway root (maintainer scripts run chrootless
# and honour DPKG_ROOT) and runs the agents' meta-data from there, through
# the binary, the OCF links and the LSB scripts; runs the maintainer
# scripts against a copy-on-write view of this host's /etc (overlayfs in a
# private mount namespace); remove, reinstall, purge leave nothing behind;
# this host is left untouched. Ends with "N passed, N failed".
set -uo pipefail
HANET_PROG=package HANET_PLAIN=1
# shellcheck source=scripts/lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"   # check, summary
cd "$(dirname "$0")/../.."
START=$(date +%s)
finish() {
  echo "package tier wall time: $(( $(date +%s) - START )) s"
  summary
  ((FAILED == 0))
  exit
}

WORK=$(mktemp -d /tmp/hanet-package-tier.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
ROOT=$WORK/root
VERSION=$(tr -d ' \t\r\n' <packaging/VERSION)
ARCH=$(dpkg --print-architecture)
AGENTS=(bond bridge vhostnet)

# State of this host that the package's maintainer scripts would touch if
# they ignored DPKG_ROOT.
host_state() {
  { ls -la /etc/init.d /etc/rc?.d /etc/systemd/system /var/lib/systemd/deb-systemd-helper-enabled \
      /usr/lib/ocf/resource.d /usr/lib/hanet 2>&1
    dpkg-query -W -f='${Package} ${Status}\n' hanet 2>&1; } | grep -v '^total '
}
host_state >"$WORK/host.before"

# --- build --------------------------------------------------------------------
if [ -n "${HANET_DEB:-}" ]; then
  DEB=$HANET_DEB
  echo "using $DEB"
else
  DEB=out/hanet_${VERSION}_${ARCH}.deb
  rm -f "$DEB" # never test a package left over from an earlier build
  check "make deb builds $DEB" bash -c "make -s deb >'$WORK/build.log' 2>&1 || { cat '$WORK/build.log'; exit 1; }; test -f '$DEB'"
fi
[ -f "$DEB" ] || { echo "no package to test"; FAILED=$((FAILED + 1)); finish; }

field() { dpkg-deb -f "$DEB" "$1"; }
check "Package hanet, Version $VERSION (packaging/VERSION), Architecture $ARCH, Section admin, Priority optional" bash -c "
  [ \"$(field Package)\" = hanet ] && [ \"$(field Version)\" = '$VERSION' ] && [ \"$(field Architecture)\" = '$ARCH' ] &&
  [ \"$(field Section)\" = admin ] && [ \"$(field Priority)\" = optional ]"
check "file name is hanet_<Version>_<Architecture>.deb" test "$(basename "$DEB")" = "hanet_$(field Version)_$(field Architecture).deb"

DEPENDS=$(field Depends)
echo "     Depends: $DEPENDS"
depends_on() { # package... : each must be named in Depends (or one of its alternatives)
  local p missing=() names
  names=$(tr ',|' '\n\n' <<<"$DEPENDS" | sed 's/(.*//; s/\[.*//; s/[[:space:]]//g')
  for p in "$@"; do
    grep -qxF -- "$p" <<<"$names" || missing+=("$p")
  done
  ((${#missing[@]} == 0)) || { echo "Depends lacks: ${missing[*]}"; return 1; }
}
# libstdc++ is linked in (Makefile STATIC_CXX): depending on libstdc++6
# would mean the agents load it again, at twice the start-up cost.
check "Depends: libmnl0, libip4tc2, libip6tc2, libc6, libgcc-s1, each versioned; not libstdc++6" bash -c "
  $(declare -f depends_on); DEPENDS='$DEPENDS'
  depends_on libmnl0 libip4tc2 libip6tc2 libc6 libgcc-s1 &&
  ! grep -q 'libstdc++6' <<<\"\$DEPENDS\" &&
  for p in libmnl0 libip4tc2 libip6tc2 libc6 libgcc-s1; do grep -qF \"\$p (>= \" <<<\"\$DEPENDS\" || { echo \"\$p unversioned\"; exit 1; }; done"
check "Suggests: pacemaker, resource-agents, crmsh | pcs" test "$(field Suggests)" = "pacemaker, resource-agents, crmsh | pcs"

# --- lintian --------------------------------------------------------------------
lintian --no-cfg --display-level '>=warning' "$DEB" >"$WORK/lintian.txt" 2>&1
grep -v 'running with root privileges' "$WORK/lintian.txt" | sed 's/^/     lintian: /'
check "lintian reports no errors (E:)" bash -c "! grep -E '^E: ' '$WORK/lintian.txt'"

# --- contents ------------------------------------------------------------------
dpkg-deb -c "$DEB" >"$WORK/contents.txt"
paths() { awk '{ p = $6; sub(/^\./, "", p); if ($1 ~ /^d/) sub(/\/$/, "", p); if (p != "") print p }' "$WORK/contents.txt"; }
paths >"$WORK/paths.txt"
EXPECTED=(
  /usr/lib/hanet/hanet-agent /usr/sbin/hanet
  /usr/lib/ocf/resource.d/hanet/bond /usr/lib/ocf/resource.d/hanet/bridge /usr/lib/ocf/resource.d/hanet/vhostnet
  /etc/init.d/hanet-bond /etc/init.d/hanet-bridge /etc/init.d/hanet-vhostnet /etc/init.d/hanet-vhostnet-block
  /lib/systemd/system/hanet-vhostnet-block.service
  /usr/share/man/man7/ocf_hanet_bond.7.gz /usr/share/man/man7/ocf_hanet_bridge.7.gz /usr/share/man/man7/ocf_hanet_vhostnet.7.gz
  /usr/share/man/man8/hanet.8.gz
  /usr/share/doc/hanet/examples/default-hanet-bond /usr/share/doc/hanet/examples/default-hanet-bridge
  /usr/share/doc/hanet/examples/default-hanet-vhostnet
  /usr/share/doc/hanet/copyright /usr/share/doc/hanet/changelog.Debian.gz /usr/share/doc/hanet/changelog.gz
  /usr/share/doc/hanet/README.Debian
)
check "dpkg -c lists every expected file (${#EXPECTED[@]})" bash -c "
  for f in ${EXPECTED[*]}; do grep -qx \"\$f\" '$WORK/paths.txt' || { echo \"missing \$f\"; exit 1; }; done"
# Everything make install installs is in the package (man pages gzipped).
check "every file of 'make install' is in the package" bash -c "
  make -s --no-print-directory -o release -o deps install DESTDIR='$WORK/mi' PREFIX=/usr >'$WORK/mi.log' 2>&1 || { cat '$WORK/mi.log'; exit 1; }
  cd '$WORK/mi' && find . ! -type d | sed 's|^\.||; s|^\(/usr/share/man/.*\)$|\1.gz|' | while read -r f; do
    grep -qx \"\$f\" '$WORK/paths.txt' || { echo \"make install has \$f, the package does not\"; exit 1; }; done"
check "every entry owned by root/root" bash -c "! awk '\$2 != \"root/root\"' '$WORK/contents.txt' | grep ."
check "modes: directories and executables 0755, other files 0644" bash -c "
  ! awk '(\$1 ~ /^d/ && \$1 != \"drwxr-xr-x\") || (\$1 ~ /^-/ && \$1 != \"-rwxr-xr-x\" && \$1 != \"-rw-r--r--\")' '$WORK/contents.txt' | grep . &&
  for f in /usr/lib/hanet/hanet-agent /usr/sbin/hanet /etc/init.d/hanet-bond /etc/init.d/hanet-bridge /etc/init.d/hanet-vhostnet /etc/init.d/hanet-vhostnet-block; do
    grep -q \"^-rwxr-xr-x .* \\.\$f\$\" '$WORK/contents.txt' || { echo \"\$f is not 0755\"; exit 1; }; done"
check "OCF links are relative and point at the agent" bash -c "
  for a in ${AGENTS[*]}; do grep -q \" ./usr/lib/ocf/resource.d/hanet/\$a -> ../../../hanet/hanet-agent\$\" '$WORK/contents.txt' || exit 1; done"
check "conffiles are exactly the four /etc/init.d scripts" bash -c "
  [ \"\$(dpkg-deb --ctrl-tarfile '$DEB' | tar -xO ./conffiles | sort | tr '\n' ' ')\" = '/etc/init.d/hanet-bond /etc/init.d/hanet-bridge /etc/init.d/hanet-vhostnet /etc/init.d/hanet-vhostnet-block ' ]"

# --- install into a throwaway root ------------------------------------------------
mkdir -p "$ROOT/var/lib/dpkg/info" "$ROOT/var/lib/dpkg/updates" "$ROOT/var/lib/dpkg/triggers"
touch "$ROOT/var/lib/dpkg/status"
DPKG=(dpkg --root="$ROOT" --log="$WORK/dpkg.log" --force-script-chrootless)
[ "$(id -u)" = 0 ] || DPKG+=(--force-not-root)
check "dpkg --root -i installs it (dependencies forced: the root is empty)" bash -c "
  ${DPKG[*]} --force-depends -i '$DEB' && dpkg --root='$ROOT' -s hanet | grep -qx 'Status: install ok installed'"
check "every file dpkg -L lists exists in the root" bash -c "
  dpkg --root='$ROOT' -L hanet | while read -r f; do [ -e '$ROOT'\"\$f\" ] || [ -L '$ROOT'\"\$f\" ] || { echo \"missing \$f\"; exit 1; }; done"
check "binaries are stripped ELF executables needing only what Depends covers" bash -c "
  $(declare -f depends_on); DEPENDS='$DEPENDS'
  for b in '$ROOT/usr/lib/hanet/hanet-agent' '$ROOT/usr/sbin/hanet'; do
    readelf -S \"\$b\" | grep -q '\\.symtab' && { echo \"\$b is not stripped\"; exit 1; }
    for lib in \$(readelf -d \"\$b\" | sed -n 's/.*(NEEDED).*\\[\\(.*\\)\\]/\\1/p'); do
      path=\$(ldconfig -p | awk -v l=\"\$lib\" '\$1 == l { print \$NF; exit }')
      [ -n \"\$path\" ] || { echo \"\$lib not found on this host\"; exit 1; }
      pkg=\$(dpkg -S \"\$(readlink -f \"\$path\")\" 2>/dev/null | head -1 | cut -d: -f1)
      [ -n \"\$pkg\" ] || pkg=\$(dpkg -S \"\$path\" | head -1 | cut -d: -f1)
      depends_on \"\$pkg\" || { echo \"\$lib (\$pkg)\"; exit 1; }
    done
  done"

# Validated as ocf-tester does (xmllint --valid: the DOCTYPE's ra-api-1.dtd
# plus the agents' internal subset for OCF 1.1's reloadable/reload-agent)
# and as pcs does for an OCF 1.1 agent (its ocf-1.1.rng).
DTD=/usr/share/resource-agents/ra-api-1.dtd RNG=/usr/share/pcs/data/ocf-1.1.rng
valid_xml() { # file, agent
  xmllint --noout "$1" && grep -q "<resource-agent name=\"$2\"" "$1" &&
    { [ ! -r "$DTD" ] || (cd "${DTD%/*}" && xmllint --noout --valid - <"$1"); } &&
    { [ ! -r "$RNG" ] || xmllint --noout --relaxng "$RNG" "$1"; }
}
for a in "${AGENTS[@]}"; do
  check "$a meta-data from the root's binary (hanet-agent $a meta-data) is valid XML" bash -c "
    $(declare -f valid_xml); DTD=$DTD RNG=$RNG
    env -i '$ROOT/usr/lib/hanet/hanet-agent' $a meta-data >'$WORK/$a.xml' && valid_xml '$WORK/$a.xml' $a"
  check "$a meta-data through the root's OCF link resource.d/hanet/$a (as Pacemaker calls it)" bash -c "
    $(declare -f valid_xml); DTD=$DTD RNG=$RNG
    [ \"\$(readlink -f '$ROOT/usr/lib/ocf/resource.d/hanet/$a')\" = '$ROOT/usr/lib/hanet/hanet-agent' ] &&
    env -i OCF_ROOT='$ROOT/usr/lib/ocf' '$ROOT/usr/lib/ocf/resource.d/hanet/$a' meta-data >'$WORK/$a-ocf.xml' &&
    valid_xml '$WORK/$a-ocf.xml' $a && cmp -s '$WORK/$a.xml' '$WORK/$a-ocf.xml'"
  # The LSB script execs /usr/lib/hanet/hanet-agent: point it into the root.
  sed "s|^AGENT=/usr/lib/hanet/hanet-agent\$|AGENT=$ROOT/usr/lib/hanet/hanet-agent|" "$ROOT/etc/init.d/hanet-$a" >"$WORK/hanet-$a"
  check "/etc/init.d/hanet-$a: LSB header, meta-data and LSB usage through the script" bash -c "
    $(declare -f valid_xml); DTD=$DTD RNG=$RNG
    s='$ROOT/etc/init.d/hanet-$a'
    sh -n \"\$s\" && head -1 \"\$s\" | grep -qx '#!/bin/sh' && grep -q '^# Provides: *hanet-$a\$' \"\$s\" &&
    grep -q '^### END INIT INFO' \"\$s\" && ! cmp -s \"\$s\" '$WORK/hanet-$a' &&
    env -i sh '$WORK/hanet-$a' meta-data >'$WORK/$a-lsb.xml' && valid_xml '$WORK/$a-lsb.xml' $a &&
    env -i sh '$WORK/hanet-$a' usage | grep -q '^usage: hanet-$a {'"
done
check "an LSB script whose agent is gone: status 4, start 5 (LSB codes)" bash -c "
  sed 's|^AGENT=.*|AGENT=$WORK/none|' '$ROOT/etc/init.d/hanet-bridge' >'$WORK/gone'
  env -i sh '$WORK/gone' status 2>/dev/null; [ \$? = 4 ] || exit 1
  env -i sh '$WORK/gone' start 2>/dev/null; [ \$? = 5 ]"
check "hanet help from the root lists its commands" bash -c "
  '$ROOT/usr/sbin/hanet' help | grep -q '^  links' && '$ROOT/usr/sbin/hanet' man | grep -q '^\\.TH \"OCF_HANET_BRIDGE\"'"
check "the agents' sysv units are masked, the boot-time unit is a real file" bash -c "
  for a in ${AGENTS[*]}; do [ \"\$(readlink \"$ROOT/lib/systemd/system/hanet-\$a.service\")\" = /dev/null ] || { echo \"hanet-\$a.service not masked\"; exit 1; }; done
  [ -f '$ROOT/lib/systemd/system/hanet-vhostnet-block.service' ] && [ ! -L '$ROOT/lib/systemd/system/hanet-vhostnet-block.service' ]"
check "installing registered nothing in the root (nothing enabled, DPKG_ROOT honoured)" bash -c "
  ! ls -d '$ROOT'/etc/rc?.d '$ROOT/etc/systemd' '$ROOT/var/lib/systemd' 2>/dev/null | grep ."

# --- maintainer scripts against this host's /etc, copy-on-write --------------------
# overlayfs over /etc, /var/lib/systemd and the unit directory in a private
# mount namespace: update-rc.d, systemctl and deb-systemd-helper see a real
# system, and every change lands in $WORK.
maintscripts() {
  set -e
  local W=$1 R=$2 units wants=/etc/systemd/system/sysinit.target.wants/hanet-vhostnet-block.service
  expect() { # description, test command...
    local what=$1; shift
    "$@" || { echo "expected: $what"; exit 1; }
  }
  units=$(readlink -f /lib/systemd/system)
  mkdir -p "$W"/{eu,ew,vu,vw,uu,uw}
  mount -t overlay overlay -o "lowerdir=/etc,upperdir=$W/eu,workdir=$W/ew" /etc
  mount -t overlay overlay -o "lowerdir=/var/lib/systemd,upperdir=$W/vu,workdir=$W/vw" /var/lib/systemd
  mount -t overlay overlay -o "lowerdir=$units,upperdir=$W/uu,workdir=$W/uw" "$units"
  cp -a "$R"/etc/init.d/hanet-* /etc/init.d/
  cp -a "$R"/lib/systemd/system/hanet-* /lib/systemd/system/
  export DPKG_MAINTSCRIPT_PACKAGE=hanet
  run() { DPKG_MAINTSCRIPT_NAME=$1 sh -e "$W/$1" "${@:2}"; }
  echo "-- postinst configure: boot-time block registered, disabled"
  run postinst configure
  expect "rcS.d/K01hanet-vhostnet-block" test -L /etc/rcS.d/K01hanet-vhostnet-block
  expect "no rcS.d/S01hanet-vhostnet-block" test ! -e /etc/rcS.d/S01hanet-vhostnet-block
  expect "unit not enabled" test ! -e "$wants"
  echo "-- the administrator enables it"
  systemctl enable hanet-vhostnet-block.service >/dev/null 2>&1
  expect "unit enabled" test -L "$wants"
  expect "rcS.d/S01hanet-vhostnet-block" test -L /etc/rcS.d/S01hanet-vhostnet-block
  echo "-- postrm remove: scripts not executable, unit masked"
  run postrm remove
  expect "no executable script left" test -z "$(find /etc/init.d -name 'hanet-*' -perm /111)"
  expect "unit masked" test "$(readlink /etc/systemd/system/hanet-vhostnet-block.service)" = /dev/null
  echo "-- reinstall: preinst install <old>, then postinst configure: executable, unmasked, still enabled"
  run preinst install "$3"
  expect "scripts executable" test -x /etc/init.d/hanet-bridge -a -x /etc/init.d/hanet-vhostnet-block
  run postinst configure "$3"
  expect "unit unmasked" test ! -e /etc/systemd/system/hanet-vhostnet-block.service
  expect "unit still enabled" test -L "$wants"
  echo "-- purge (dpkg deletes the conffiles), postrm purge: no trace left"
  rm -f /etc/init.d/hanet-*
  run postrm purge
  expect "nothing named *hanet* left in /etc or /var/lib/systemd: $(find /etc /var/lib/systemd -name '*hanet*')" \
    test -z "$(find /etc /var/lib/systemd -name '*hanet*')"
}
if [ "$(id -u)" = 0 ]; then
  dpkg-deb --ctrl-tarfile "$DEB" | tar -x -C "$WORK" ./preinst ./postinst ./postrm
  check "maintainer scripts on this host's /etc (overlay): register disabled, enable, remove, reinstall, purge" \
    unshare --mount --propagation private bash -c "$(declare -f maintscripts); maintscripts '$WORK' '$ROOT' '$VERSION'"
else
  echo "skip maintainer scripts on an overlay of /etc: needs root"
fi

# --- remove, reinstall, purge ---------------------------------------------------------
check "dpkg --root -r: only the conffiles stay, not executable" bash -c "
  ${DPKG[*]} -r hanet >/dev/null && dpkg --root='$ROOT' -s hanet | grep -qx 'Status: deinstall ok config-files' &&
  [ \"\$(cd '$ROOT' && find . -mindepth 1 -path ./var/lib/dpkg -prune -o ! -type d -printf '%y %P\n' | sort | tr '\n' ' ')\" = \
    'f etc/init.d/hanet-bond f etc/init.d/hanet-bridge f etc/init.d/hanet-vhostnet f etc/init.d/hanet-vhostnet-block ' ] &&
  ! find '$ROOT/etc/init.d' -type f -perm /111 | grep ."
check "reinstall: the scripts are executable again" bash -c "
  ${DPKG[*]} --force-depends -i '$DEB' >/dev/null && [ -x '$ROOT/etc/init.d/hanet-bridge' ] && [ -x '$ROOT/etc/init.d/hanet-vhostnet-block' ]"
check "dpkg --root -P: purged, no file or link left" bash -c "
  ${DPKG[*]} -P hanet >/dev/null && ! dpkg --root='$ROOT' -s hanet >/dev/null 2>&1 &&
  left=\$(cd '$ROOT' && find . -mindepth 1 -path ./var/lib/dpkg -prune -o ! -type d -print) && [ -z \"\$left\" ] || { echo \"left: \$left\"; exit 1; }"

host_state >"$WORK/host.after"
check "this host's init, systemd and OCF state unchanged" diff "$WORK/host.before" "$WORK/host.after"
finish
