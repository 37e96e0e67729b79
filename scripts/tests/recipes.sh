#!/usr/bin/env bash
# Tier "recipes": every pcs and crm recipe in README.md, as printed, applied
# with the real tools to an offline CIB, then checked with crm_verify.
#
# Each ```sh block whose commands are pcs or crm lines is one recipe, applied
# to a fresh CIB that already holds fencing devices (fence_ipmilan, never
# contacted): production-shaped, as the README demands, so crm_verify runs
# without stonith-enabled=false. pcs reads the installed agents' meta-data,
# so the staged agents are bind-mounted at /usr/lib/ocf/resource.d/hanet in a
# private mount namespace. Ends with "N passed, N failed".
set -uo pipefail
HANET_PROG=recipes HANET_PLAIN=1
# shellcheck source=scripts/lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../lib/common.sh"   # check, summary
cd "$(dirname "$0")/../.."
if [ -z "${HANET_IN_SANDBOX:-}" ]; then
  STAGE=$(mktemp -d /tmp/hanet-recipes-tier.XXXXXX)
  trap 'rm -rf "$STAGE"' EXIT
  make -s install DESTDIR="$STAGE" >"$STAGE.install.log" 2>&1 || { cat "$STAGE.install.log"; echo "0 passed, 1 failed"; exit 1; }
  rm -f "$STAGE.install.log"
  exec unshare --mount --propagation private env HANET_IN_SANDBOX=1 STAGE="$STAGE" bash "$0"
fi
mkdir -p /usr/lib/ocf/resource.d/hanet /usr/lib/hanet
mount --bind "$STAGE/usr/lib/ocf/resource.d/hanet" /usr/lib/ocf/resource.d/hanet
mount --bind "$STAGE/usr/lib/hanet" /usr/lib/hanet
WORK=$(mktemp -d /tmp/hanet-recipes.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

# README.md -> $WORK/recipe-N.{pcs,crm}: one command a line, continuations joined.
awk -v dir="$WORK" '
  /^```sh$/ { inblock = 1; n++; kind = ""; cmd = ""; next }
  /^```/ && inblock { inblock = 0; next }
  inblock {
    line = $0
    if (cmd == "" && line ~ /^(pcs|crm) /) { split(line, w, " "); if (kind == "") kind = w[1] }
    if (cmd == "" && line !~ /^(pcs|crm) /) next
    cont = sub(/\\$/, "", line)
    cmd = cmd line
    if (!cont) { if (kind != "") print cmd > (dir "/recipe-" n "." kind); cmd = "" }
  }' README.md

fresh_cib() { # kind -> a CIB with two fence devices
  local cib=$WORK/cib.xml
  cibadmin --empty >"$cib" || return 1
  for node in hostA:192.0.2.11 hostB:192.0.2.12; do
    if [ "$1" = pcs ]; then
      pcs -f "$cib" stonith create "fence-${node%%:*}" fence_ipmilan ip="${node#*:}" username=admin \
        password=secret lanplus=1 pcmk_host_list="${node%%:*}" >/dev/null || return 1
    else
      CIB_file=$cib crm configure primitive "fence-${node%%:*}" stonith:fence_ipmilan params ip="${node#*:}" \
        username=admin password=secret lanplus=1 pcmk_host_list="${node%%:*}" || return 1
    fi
  done
}

apply_recipe() { # file
  local file=$1 kind=${1##*.} cib=$WORK/cib.xml line
  fresh_cib "$kind" || { echo "cannot prepare a CIB"; return 1; }
  while IFS= read -r line; do
    echo "\$ $line"
    if [ "$kind" = pcs ]; then
      eval "pcs -f \"\$cib\" ${line#pcs }" || { echo "failed: $line"; return 1; }
    else
      eval "CIB_file=\"\$cib\" $line" 2>&1 | grep -v 'lack of quorum'
      [ "${PIPESTATUS[0]}" = 0 ] || { echo "failed: $line"; return 1; }
    fi
  done <"$file"
  crm_verify -x "$cib" || { echo "crm_verify rejected the CIB"; return 1; }
}

recipes=$(find "$WORK" -name 'recipe-*' | sort -t- -k2 -n)
count=$(echo "$recipes" | grep -c . || true)
check "README.md has pcs and crm recipes (found $count)" test "$count" -ge 8
for file in $recipes; do
  first=$(head -1 "$file" | cut -c1-90)
  check "README recipe ($(basename "$file" | sed 's/recipe-//')): $first" apply_recipe "$file"
done

# The check can fail: a recipe that names a clone it never defined (the bug
# the earlier crm recipe of seed 004 had) must be rejected.
printf '%s\n' "crm configure primitive vhostnet ocf:hanet:vhostnet params bridge=xenbr1" \
  "crm configure colocation c-vhostnet-net inf: vhostnet cl-xenbr1" >"$WORK/broken.crm"
rejected() { if apply_recipe "$1"; then echo "applied without an error"; return 1; fi; }
check "a recipe naming an undefined clone is rejected (negative control)" rejected "$WORK/broken.crm"
summary
exit $((FAILED > 0))
