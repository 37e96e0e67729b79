#!/usr/bin/env bash
# Builds out/hanet_<version>_<arch>.deb (what `make deb` runs) with dpkg-deb,
# without debhelper:
#
#   1. `make install` into a staging root, from the release binaries already
#      built (make's `release` target is not re-run: `-o release`);
#   2. the Debian adjustments: LSB wrapper scripts instead of the
#      /etc/init.d symlinks, relative symlinks within /usr, stripped
#      binaries, gzipped man pages plus hanet(8), /usr/share/doc/hanet
#      (copyright, changelogs, README.Debian), lintian overrides, modes;
#   3. DEBIAN/: control from packaging/control through dpkg-shlibdeps and
#      dpkg-gencontrol, conffiles, md5sums, postinst/postrm;
#   4. dpkg-deb --root-owner-group.
#
# The version comes from packaging/VERSION alone; the Debian changelog is
# generated from it and CHANGELOG.md. Environment: BIN (release binaries,
# default .build/release), OUT (default out), MAKE (default make), SOURCE_DATE_EPOCH
# (default: the last commit's time, so rebuilds are byte-identical).
set -euo pipefail
umask 022
shopt -u patsub_replacement 2>/dev/null || true
HANET_PROG=build-deb HANET_DIE_FORMAT='%s: %s\n'
# shellcheck source=scripts/lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib/common.sh"   # die
cd "$(dirname "$0")/.."

BIN=${BIN:-.build/release}
OUT=${OUT:-out}
MAKE=${MAKE:-make}
AGENTS=(bond bridge vhostnet)
VERSION=$(tr -d ' \t\r\n' <packaging/VERSION)
[[ $VERSION =~ ^[0-9][A-Za-z0-9.+~]*$ ]] ||
  die "packaging/VERSION: '$VERSION' is not a native Debian version (digits first; no '-')"
ARCH=$(dpkg --print-architecture)
MAINTAINER=$(sed -n 's/^Maintainer: *//p' packaging/control | head -1)
[ -n "$MAINTAINER" ] || die "packaging/control has no Maintainer"

for tool in dpkg-deb dpkg-shlibdeps dpkg-gencontrol dpkg-parsechangelog strip gzip xmllint fmt; do
  command -v "$tool" >/dev/null || die "$tool not found (make deps installs dpkg-dev, binutils, libxml2-utils)"
done
for exe in hanet-agent hanet; do
  [ -x "$BIN/$exe" ] || die "$BIN/$exe missing: run 'make release' first"
done

if [ -z "${SOURCE_DATE_EPOCH:-}" ]; then
  SOURCE_DATE_EPOCH=$(git log -1 --format=%ct 2>/dev/null || date +%s)
fi
export SOURCE_DATE_EPOCH

WORK=$(mktemp -d "${TMPDIR:-/tmp}/hanet-deb.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
STAGE=$WORK/root
mkdir -p "$STAGE" "$WORK/debian"

# --- 1. make install ---------------------------------------------------------
# A make of its own (no MAKEFLAGS from `make deb`, so no -n, -j or VAR=
# from its command line), and every path given explicitly: nothing can move
# a file out of the Debian layout.
if ! env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL "$MAKE" --no-print-directory -o release -o deps install \
  DESTDIR="$STAGE" PREFIX=/usr SYSCONFDIR=/etc OCF_ROOT=/usr/lib/ocf LIBEXECDIR=/usr/lib/hanet \
  MANDIR=/usr/share/man UNITDIR=/lib/systemd/system DOCDIR=/usr/share/doc/hanet \
  BIN="$BIN" >"$WORK/install.log" 2>&1; then
  cat "$WORK/install.log" >&2
  die "make install failed"
fi

# --- 2. Debian adjustments ---------------------------------------------------
# 2a. /etc/init.d/hanet-<agent>: a script with an LSB header (lintian,
# insserv and systemd read it from the file) that execs the agent; make
# install has symlinks to the binary, which cannot carry a header. The
# description and the action list come from the agent itself.
for agent in "${AGENTS[@]}"; do
  script=$STAGE/etc/init.d/hanet-$agent
  [ -L "$script" ] || continue
  desc=$("$BIN/hanet-agent" "$agent" meta-data | xmllint --xpath 'string(/resource-agent/shortdesc)' -)
  [ -n "$desc" ] || die "$agent meta-data has no shortdesc"
  actions=$(env -i "$BIN/hanet-agent" "$agent" usage | sed -n '1s/^usage: [^ ]* {\(.*\)}$/\1/p')
  [[ $actions == *start*stop* ]] || die "cannot read the actions from '$agent usage'"
  text=$(<packaging/init.d-agent.in)
  text=${text//@AGENT@/$agent}
  text=${text//@SHORTDESC@/$desc}
  text=${text//@ACTIONS@/$actions}
  rm -f "$script"
  printf '%s\n' "$text" >"$script"
  chmod 0755 "$script"
  # Under systemd these resource scripts are not services: mask the unit
  # systemd-sysv-generator would make from them, so nobody enables one
  # next to the cluster (they still run directly, for Pacemaker's lsb:
  # class and Heartbeat). The boot-time block has its own real unit.
  unit=$STAGE/lib/systemd/system/hanet-$agent.service
  [ -e "$unit" ] || [ -L "$unit" ] || { install -d "${unit%/*}"; ln -s /dev/null "$unit"; }
done

# 2b. Policy 10.5: symlinks within one top-level directory are relative,
# across top-level directories absolute.
while IFS= read -r -d '' link; do
  target=$(readlink "$link")
  [[ $target == /* ]] || continue
  rel=${link#"$STAGE"/}
  [ "${rel%%/*}" = "$(echo "${target#/}" | cut -d/ -f1)" ] || continue
  [ -e "$STAGE$target" ] || die "$rel points at $target, which the package does not contain"
  ln -sfnr "$STAGE$target" "$link"
done < <(find "$STAGE" -type l -print0)

# 2c. Stripped ELF binaries (as dh_strip does for executables).
while IFS= read -r -d '' file; do
  if [ "$(head -c 4 "$file" | od -An -c | tr -d ' ')" = '177ELF' ]; then
    strip --remove-section=.comment --remove-section=.note "$file"
  fi
done < <(find "$STAGE" -type f -print0)

# 2d. Manual pages (all from make install), gzipped.
find "$STAGE/usr/share/man" -type f ! -name '*.gz' -exec gzip -9n {} +

# 2e. Documentation.
DOC=$STAGE/usr/share/doc/hanet
install -d "$DOC"
install -m 0644 packaging/copyright packaging/README.Debian "$DOC/"
gzip -9nc CHANGELOG.md >"$DOC/changelog.gz"

# The Debian changelog: one entry for packaging/VERSION with the notes of
# CHANGELOG.md's section for it (or [Unreleased] until it has one), then
# every other released section, newest first as in CHANGELOG.md.
changelog_sections() { # CHANGELOG.md -> "S<tab>name<tab>date", "H<tab>heading", "B<tab>bullet"
  awk '
    function flush() { if (item != "") { print "B\t" item; item = "" } }
    /^## \[/ {
      flush()
      name = $0; sub(/^## \[/, "", name); sub(/\].*/, "", name)
      date = ""; if (match($0, /[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]/)) date = substr($0, RSTART, RLENGTH)
      print "S\t" name "\t" date; insec = 1; next
    }
    !insec { next }
    /^### / { flush(); h = $0; sub(/^### +/, "", h); print "H\t" h; next }
    /^[-*] / { flush(); item = substr($0, 3); next }
    /^[ \t]+[^ \t]/ { if (item != "") { t = $0; sub(/^[ \t]+/, "", t); item = item " " t }; next }
    /^[ \t]*$/ { flush(); next }
    { flush() }
    END { flush() }
  ' "$1"
}

changelog_entry() { # version rfc2822-date lines...
  local version=$1 date=$2 body=$WORK/entry-body
  shift 2
  : >"$body"
  local line kind text
  for line in "$@"; do
    kind=${line%%$'\t'*}
    text=${line#*$'\t'}
    case $kind in
      H) printf '  * %s:\n' "$text" >>"$body" ;;
      B) printf '%s\n' "$text" | fmt -w 72 | sed '1s/^/    - /; 2,$s/^/      /' >>"$body" ;;
    esac
  done
  [ -s "$body" ] || printf '  * Release %s.\n' "$version" >"$body"
  printf 'hanet (%s) unstable; urgency=medium\n\n' "$version"
  cat "$body"
  printf '\n -- %s  %s\n' "$MAINTAINER" "$date"
}

generate_changelog() {
  local -a names=() dates=() current=()
  local -A lines=()
  local kind rest name date i
  while IFS= read -r row; do
    kind=${row%%$'\t'*}
    rest=${row#*$'\t'}
    if [ "$kind" = S ]; then
      names+=("${rest%%$'\t'*}")
      dates+=("${rest#*$'\t'}")
    else
      i=$((${#names[@]} - 1))
      lines[$i]+="$row"$'\n'
    fi
  done < <(changelog_sections CHANGELOG.md)

  local top=-1
  for i in "${!names[@]}"; do [ "${names[$i]}" = "$VERSION" ] && top=$i; done
  if [ "$top" -lt 0 ]; then
    for i in "${!names[@]}"; do [ "${names[$i],,}" = unreleased ] && top=$i; done
  fi
  rfc() { LC_ALL=C date -u -R -d "$1"; }
  if [ "$top" -ge 0 ] && [ -n "${dates[$top]}" ]; then date=$(rfc "${dates[$top]} 00:00 UTC"); else date=$(rfc "@$SOURCE_DATE_EPOCH"); fi
  current=()
  if [ "$top" -ge 0 ] && [ -n "${lines[$top]:-}" ]; then mapfile -t current < <(printf '%s' "${lines[$top]}"); fi
  changelog_entry "$VERSION" "$date" "${current[@]}"
  for i in "${!names[@]}"; do
    name=${names[$i]}
    [ "$i" = "$top" ] || [ "${name,,}" = unreleased ] || [ -z "${dates[$i]}" ] && continue
    current=()
    if [ -n "${lines[$i]:-}" ]; then mapfile -t current < <(printf '%s' "${lines[$i]}"); fi
    printf '\n'
    changelog_entry "$name" "$(rfc "${dates[$i]} 00:00 UTC")" "${current[@]}"
  done
}

generate_changelog >"$WORK/debian/changelog"
got=$(dpkg-parsechangelog -l "$WORK/debian/changelog" -S Version)
[ "$got" = "$VERSION" ] || die "generated changelog has version '$got', packaging/VERSION says '$VERSION'"
gzip -9nc "$WORK/debian/changelog" >"$DOC/changelog.Debian.gz"

# 2f. Lintian overrides (each one justified in the file).
install -D -m 0644 packaging/lintian-overrides "$STAGE/usr/share/lintian/overrides/hanet"

# 2g. Modes: directories and executables 0755, everything else 0644.
find "$STAGE" -type d -exec chmod 0755 {} +
find "$STAGE" -type f -perm /111 -exec chmod 0755 {} +
find "$STAGE" -type f ! -perm /111 -exec chmod 0644 {} +

# --- 3. DEBIAN/ --------------------------------------------------------------
install -d -m 0755 "$STAGE/DEBIAN"
install -m 0755 packaging/preinst packaging/postinst packaging/postrm "$STAGE/DEBIAN/"
# Every file under /etc is a conffile: today the four /etc/init.d scripts.
(cd "$STAGE" && find etc -type f | LC_ALL=C sort | sed 's|^|/|') >"$STAGE/DEBIAN/conffiles"
# md5sums of everything but the conffiles (dpkg keeps their hashes itself).
(cd "$STAGE" && find . -path ./DEBIAN -prune -o -path ./etc -prune -o -type f -printf '%P\0' |
  LC_ALL=C sort -z | xargs -0 md5sum) >"$STAGE/DEBIAN/md5sums"
chmod 0644 "$STAGE/DEBIAN/conffiles" "$STAGE/DEBIAN/md5sums"

cp packaging/control "$WORK/debian/control"
(
  cd "$WORK"
  # Depends from the libraries the binaries need: libmnl0 and what the
  # statically linked Swift runtime still takes from the system (libc6,
  # libgcc-s1; libstdc++ and the Swift runtime are linked in). libip4tc2 and
  # libip6tc2 are dlopen'ed by the iptables backend: packaging/control names them.
  dpkg-shlibdeps -Tdebian/substvars root/usr/lib/hanet/hanet-agent root/usr/sbin/hanet 2>shlibdeps.log ||
    { cat shlibdeps.log >&2; exit 1; }
  grep -v 'useless dependency\|were not linked against\|they use none of' shlibdeps.log >&2 || true
  DEB_HOST_ARCH=$ARCH DEB_BUILD_ARCH=$ARCH dpkg-gencontrol -phanet -Proot -Tdebian/substvars -fdebian/files
) || die "dpkg-shlibdeps/dpkg-gencontrol failed"
grep -q '^Depends: .*libmnl0' "$STAGE/DEBIAN/control" || die "Depends lacks libmnl0: $(grep ^Depends "$STAGE/DEBIAN/control")"

# Reproducible timestamps.
find "$STAGE" -depth -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +

# --- 4. dpkg-deb -------------------------------------------------------------
mkdir -p "$OUT"
DEB=$OUT/hanet_${VERSION}_${ARCH}.deb
dpkg-deb --root-owner-group -Zxz --build "$STAGE" "$DEB" >/dev/null
echo "$DEB"
