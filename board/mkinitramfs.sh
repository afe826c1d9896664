#!/bin/bash
# board/mkinitramfs.sh PKG BIN OUT: the image's root, an initramfs made from
# Debian's arm64 .debs (PKG/debs, from board/fetch.sh), picolet's arm64
# binaries (BIN: picolet, picolet-shim, picoctl, picolet-sntp) and
# board/rootfs.  Env IMAGES: image archives put in /usr/share/picolet/images
# (imported by picolet on first boot).
#
# Programs and the shared libraries they need (by DT_NEEDED, closed) are
# copied from the unpacked debs; nothing is installed, no maintainer script
# runs.  Kernel modules: a list for qemu and for the Pi 3/4 family, with
# their dependencies, then depmod.  The kernel tree stays unpacked in
# PKG/kernel for board/mksdimage.sh.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
PKG=$1 BIN=$2 OUT=$3
KPKG=$(cat "$PKG/KERNEL")
KVER=${KPKG#linux-image-}
SYS=$PKG/sysroot
KX=$PKG/kernel
ROOT=$PKG/root
MA=aarch64-linux-gnu

deb() { ls "$PKG"/debs/"$1"_*.deb; }

# 1. unpack
rm -rf "$SYS" "$KX" "$ROOT"
mkdir -p "$SYS" "$KX"
for d in "$PKG"/debs/*_arm64.deb; do
	case ${d##*/} in linux-image-*) continue ;; esac
	dpkg-deb -x "$d" "$SYS"
done
dpkg-deb -x "$(deb "$KPKG")" "$KX"

# 2. the tree: merged /usr, busybox and its applets
mkdir -p "$ROOT"/{usr/bin,usr/sbin,usr/lib/$MA,proc,sys,dev,run,tmp,var,boot,root/.ssh}
mkdir -p "$ROOT"/etc/{manifests,dropbear} "$ROOT"/usr/share/picolet/images
ln -s usr/bin "$ROOT/bin"; ln -s usr/sbin "$ROOT/sbin"; ln -s usr/lib "$ROOT/lib"
chmod 1777 "$ROOT/tmp"; chmod 0700 "$ROOT/root" "$ROOT/root/.ssh"
install -m 0755 "$SYS/bin/busybox" "$ROOT/usr/bin/busybox"
for a in $(qemu-aarch64-static "$SYS/bin/busybox" --list-full); do
	case $a in
	*/busybox) continue ;;
	bin/* | usr/bin/*) ln -s ../bin/busybox "$ROOT/usr/bin/${a##*/}" ;;
	*) ln -s ../bin/busybox "$ROOT/usr/sbin/${a##*/}" ;;
	esac
done
mkdir -p "$ROOT/newroot"

# 3. programs, stripped, and the libraries they need
progs="usr/sbin/dropbear:usr/sbin usr/bin/dropbearkey:usr/bin
sbin/e2fsck:usr/sbin sbin/resize2fs:usr/sbin sbin/mke2fs:usr/sbin"
for p in $progs; do
	install -m 0755 "$SYS/${p%%:*}" "$ROOT/${p##*:}/"
done
ln -s mke2fs "$ROOT/usr/sbin/mkfs.ext4"
for b in picolet picolet-shim picoctl picolet-sntp; do
	install -m 0755 "$BIN/$b" "$ROOT/usr/bin/$b"
done
find "$ROOT/usr" -type f -perm -u+x -exec sh -c \
    'file -b "$1" | grep -q "^ELF" && aarch64-linux-gnu-strip "$1"' _ {} \;
# ld.so's own path: its PT_INTERP is /lib/ld-linux-aarch64.so.1
cp -L "$SYS/lib/ld-linux-aarch64.so.1" "$ROOT/usr/lib/"
need() { readelf -d "$1" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'; }
todo=$(find "$ROOT/usr" -type f -perm -u+x)
while [ -n "$todo" ]; do
	next=
	for f in $todo; do
		for l in $(need "$f"); do
			[ -e "$ROOT/usr/lib/$MA/$l" ] && continue
			src=
			for d in "$SYS/lib/$MA" "$SYS/usr/lib/$MA"; do
				[ -e "$d/$l" ] && { src=$d/$l; break; }
			done
			[ -n "$src" ] || { echo "mkinitramfs: $f needs $l: not in the debs" >&2; exit 1; }
			cp -L "$src" "$ROOT/usr/lib/$MA/$l"
			next="$next $ROOT/usr/lib/$MA/$l"
		done
	done
	todo=$next
done

# 4. kernel modules
[ -f "$KX/lib/modules/$KVER/modules.dep" ] || depmod -b "$KX" "$KVER"
mods=$(sed -e 's/#.*//' "$HERE/modules")
for m in $mods; do
	modprobe -d "$KX" -S "$KVER" --show-depends "$m" 2>/dev/null |
	    awk '$1 == "insmod" { print $2 }' ||
	    echo "mkinitramfs: warning: no module $m" >&2
done | sort -u | while read -r ko; do
	rel=${ko#"$KX"/lib/}
	mkdir -p "$ROOT/usr/lib/$(dirname "$rel")"
	cp "$ko" "$ROOT/usr/lib/$rel"
done
cp "$KX/lib/modules/$KVER"/modules.{order,builtin,builtin.modinfo} \
    "$ROOT/usr/lib/modules/$KVER/"
depmod -b "$ROOT" "$KVER"

# 5. board/rootfs, identity, build time (the clock's floor), images
cp -a "$HERE/rootfs/." "$ROOT/"
chmod 0640 "$ROOT/etc/shadow"
ln -s /run/board/resolv.conf "$ROOT/etc/resolv.conf"
ln -s /run/board/authorized_keys "$ROOT/root/.ssh/authorized_keys"
echo "${SOURCE_DATE_EPOCH:-$(date +%s)}" >"$ROOT/etc/board/build-time"
cp "$PKG/MANIFEST" "$ROOT/etc/board/MANIFEST"
for a in ${IMAGES:-}; do
	cp "$a" "$ROOT/usr/share/picolet/images/"
done

# 6. pack, owned by root whoever builds
(cd "$ROOT" && find . -print0 | LC_ALL=C sort -z |
    cpio --null -o -H newc -R 0:0 --quiet) | gzip -9n >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
