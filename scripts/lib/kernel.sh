# shellcheck shell=bash
# scripts/lib/kernel.sh: what every tiny Debian-kernel image of hanet needs
# (the VM tier's scripts/vm/prepare, the guests tier's scripts/guests/image):
# the uncompressed vmlinux qemu boots through its PVH entry, modules with
# their dependencies, a static busybox userland and the cpio. Sourced after
# scripts/lib/common.sh (die); never run.
#
#   need CMD PKG                   die naming the Debian package if CMD is absent
#   kernel_pick_version            newest /boot/vmlinuz-*-amd64 with its modules
#   kernel_check KVER              die unless the kernel, its modules and PVH are there
#   kernel_find_busybox            print a static busybox's path, or die
#   kernel_extract_vmlinux VMLINUZ OUT   write the ELF vmlinux; sets KERNEL_COMP
#   kernel_resolve_modules KVER MOD...   KERNEL_MODULES: files, dependencies first
#   kernel_install_modules KVER ROOT     copy (decompressed) into ROOT/lib/modules,
#                                        their names in load order into ROOT/modules
#   initramfs_busybox ROOT BUSYBOX       ROOT/bin/busybox and its applet links
#   initramfs_pack ROOT BUSYBOX OUT      the newc cpio of ROOT

need() {
  command -v "$1" >/dev/null 2>&1 ||
    die "'$1' not found: install the Debian package '$2' (apt-get install $2)"
}

kernel_pick_version() {
  local k v
  local -a std=() other=()
  for k in /boot/vmlinuz-*-amd64; do
    [[ -f $k ]] || continue
    v=${k#/boot/vmlinuz-}
    [[ -f /lib/modules/$v/modules.dep ]] || continue
    # Prefer Debian's generic flavour (6.1.0-56-amd64) over cloud/rt ones.
    if [[ $v =~ ^[0-9][0-9.]*-[0-9]+-amd64$ ]]; then std+=("$v"); else other+=("$v"); fi
  done
  if ((${#std[@]})); then
    printf '%s\n' "${std[@]}" | sort -V | tail -n 1
  elif ((${#other[@]})); then
    printf '%s\n' "${other[@]}" | sort -V | tail -n 1
  fi
}

kernel_check() {
  local kver=$1
  [[ -n $kver ]] ||
    die "no /boot/vmlinuz-*-amd64 with a matching /lib/modules/<version>: install the Debian package 'linux-image-amd64'"
  [[ -r /boot/vmlinuz-$kver ]] || die "/boot/vmlinuz-$kver missing or unreadable: install the Debian package 'linux-image-$kver' (or linux-image-amd64)"
  [[ -r /lib/modules/$kver/modules.dep ]] || die "/lib/modules/$kver/modules.dep missing: install the Debian package 'linux-image-$kver'"
  if [[ -r /boot/config-$kver ]] && ! grep -q '^CONFIG_PVH=y' "/boot/config-$kver"; then
    die "kernel $kver is built without CONFIG_PVH: qemu cannot boot its vmlinux directly"
  fi
}

kernel_find_busybox() {
  local b busybox=""
  for b in /usr/bin/busybox /bin/busybox "$(command -v busybox 2>/dev/null || true)"; do
    [[ -n $b && -x $b ]] && { busybox=$b; break; }
  done
  [[ -n $busybox ]] || die "busybox not found: install the Debian package 'busybox-static'"
  # The initramfs has no libc: busybox must be statically linked.
  if command -v ldd >/dev/null 2>&1 && ldd "$busybox" >/dev/null 2>&1; then
    die "$busybox is dynamically linked: install the Debian package 'busybox-static'"
  fi
  printf '%s\n' "$busybox"
}

# bzImage layout (Documentation/x86/boot.rst): setup_sects at 0x1f1, "HdrS"
# at 0x202, protocol version at 0x206, payload_offset/payload_length at
# 0x248/0x24c (protocol >= 2.08). The payload is the compressed vmlinux
# followed by its uncompressed size as a little-endian u32.
kernel_extract_vmlinux() {
  local vmlinuz=$1 out=$2 hdrs proto setup_sects payload_off payload_len start size magic got
  local -a decomp
  u() { od -A n -t "u$1" -j "$2" -N "$1" -- "$vmlinuz" | tr -d ' '; }
  hdrs=$(od -A n -c -j $((0x202)) -N 4 -- "$vmlinuz" | tr -d ' ')
  [[ $hdrs == HdrS ]] || die "$vmlinuz is not a bzImage (no HdrS header)"
  proto=$(u 2 $((0x206)))
  ((proto >= 0x208)) || die "$vmlinuz: boot protocol $(printf '%#x' "$proto") too old (no payload fields)"
  setup_sects=$(u 1 $((0x1f1)))
  ((setup_sects)) || setup_sects=4
  payload_off=$(u 4 $((0x248)))
  payload_len=$(u 4 $((0x24c)))
  start=$(((setup_sects + 1) * 512 + payload_off))
  size=$(u 4 $((start + payload_len - 4)))
  magic=$(od -A n -t x1 -j "$start" -N 6 -- "$vmlinuz" | tr -d ' \n')
  case $magic in
    fd377a585a00*) KERNEL_COMP=xz; need xz xz-utils; decomp=(xz -dc) ;;
    28b52ffd*) KERNEL_COMP=zstd; need zstd zstd; decomp=(zstd -dcq) ;;
    1f8b*) KERNEL_COMP=gzip; need gzip gzip; decomp=(gzip -dc) ;;
    425a68*) KERNEL_COMP=bzip2; need bzip2 bzip2; decomp=(bzip2 -dc) ;;
    5d0000*) KERNEL_COMP=lzma; need xz xz-utils; decomp=(xz --format=lzma -dc) ;;
    02214c18*) KERNEL_COMP=lz4; need lz4 lz4; decomp=(lz4 -dc) ;;
    894c5a4f*) KERNEL_COMP=lzo; need lzop lzop; decomp=(lzop -dc) ;;
    *) die "$vmlinuz: unknown payload compression (magic $magic at offset $start)" ;;
  esac
  dd if="$vmlinuz" bs=1M iflag=skip_bytes,count_bytes skip="$start" count=$((payload_len - 4)) status=none |
    "${decomp[@]}" >"$out" ||
    die "decompressing the $KERNEL_COMP payload of $vmlinuz failed"
  got=$(stat -c %s "$out")
  [[ $got == "$size" ]] || die "$vmlinuz: decompressed $got bytes, header says $size"
  [[ $(od -A n -t x1 -N 4 "$out" | tr -d ' ') == 7f454c46 ]] || die "$vmlinuz: payload is not an ELF vmlinux"
}

# Modules to insmod, dependencies first (resolved from modules.dep; a module
# built into the kernel needs nothing).
kernel_resolve_modules() {
  local kver=$1 moddir=/lib/modules/$1 line f n m
  shift
  declare -gA KERNEL_DEP_LINE=() KERNEL_SEEN=()
  KERNEL_MODULES=()
  while IFS= read -r line; do
    f=${line%%:*}
    n=${f##*/}
    n=${n%%.ko*}
    KERNEL_DEP_LINE[${n//-/_}]=$line
  done <"$moddir/modules.dep"
  _kernel_add_mod() {
    local n=${1//-/_} line d
    [[ -n ${KERNEL_SEEN[$n]:-} ]] && return 0
    KERNEL_SEEN[$n]=1
    if [[ -z ${KERNEL_DEP_LINE[$n]:-} ]]; then
      grep -q "/${n}.ko\$\|/${1}.ko\$" "$moddir/modules.builtin" 2>/dev/null && return 0
      die "kernel $kver has no module '$1'"
    fi
    line=${KERNEL_DEP_LINE[$n]}
    for d in ${line#*:}; do
      d=${d##*/}
      _kernel_add_mod "${d%%.ko*}"
    done
    KERNEL_MODULES+=("${line%%:*}")
  }
  for m in "$@"; do _kernel_add_mod "$m"; done
}

kernel_install_modules() {
  local moddir=/lib/modules/$1 root=$2 f n
  mkdir -p "$root/lib/modules"
  : >"$root/modules"
  for f in "${KERNEL_MODULES[@]}"; do
    n=${f##*/}
    case $f in
      *.ko) cp -- "$moddir/$f" "$root/lib/modules/$n" ;;
      *.ko.xz) need xz xz-utils; xz -dc -- "$moddir/$f" >"$root/lib/modules/${n%.xz}" ;;
      *.ko.zst) need zstd zstd; zstd -dcq -- "$moddir/$f" >"$root/lib/modules/${n%.zst}" ;;
      *.ko.gz) gzip -dc -- "$moddir/$f" >"$root/lib/modules/${n%.gz}" ;;
      *) die "unsupported module file $f" ;;
    esac
    echo "${n%.ko*}.ko" >>"$root/modules"
  done
}

initramfs_busybox() {
  local root=$1 busybox=$2 a
  mkdir -p "$root/bin"
  cp -- "$busybox" "$root/bin/busybox"
  for a in $("$busybox" --list); do
    [[ $a == busybox ]] || ln -sf busybox "$root/bin/$a"
  done
}

initramfs_pack() {
  local root=$1 busybox=$2 out=$3
  (cd "$root" && find . -mindepth 1 | LC_ALL=C sort | "$busybox" cpio -o -H newc --quiet) >"$out" ||
    die "creating the initramfs $out failed"
}
