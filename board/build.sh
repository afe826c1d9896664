#!/bin/bash
# board/build.sh BIN OUT: the whole image from BIN (the arm64 picolet,
# picolet-shim, picoctl and picolet-sntp) into OUT (build/board): fetch the
# debs, make the busybox image archive, the initramfs, the SD image.
# Called by `make image`; prints each step's time and the sizes.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/.." && pwd)
BIN=$1 OUT=$2
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
PKG=$OUT/pkg
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$TOP" log -1 --format=%ct 2>/dev/null || date +%s)}

t0=$(date +%s)
step() { echo "image: $* ($(($(date +%s) - t0)) s)"; }

step "fetching debs"
"$HERE/fetch.sh" "$PKG"

step "busybox image archive (arm64)"
rm -rf "$PKG/bb"; mkdir -p "$PKG/bb"
dpkg-deb -x "$(ls "$PKG"/debs/busybox-static_*.deb)" "$PKG/bb"
BUSYBOX=$PKG/bb/bin/busybox BUSYBOX_EXEC=qemu-aarch64-static IMAGE_ARCH=arm64 \
    "$TOP/tests/fixtures/mkimage.sh" "$PKG/fixtures" >/dev/null
rm -rf "$PKG/images"; mkdir -p "$PKG/images"
cp "$PKG/fixtures/busybox-oci.tar" "$PKG/images/busybox-oci.tar"

step "initramfs"
IMAGES=$PKG/images/busybox-oci.tar "$HERE/mkinitramfs.sh" "$PKG" "$BIN" "$PKG/initrd.img"

step "SD image"
"$HERE/mksdimage.sh" "$PKG" "$PKG/initrd.img" "$OUT"

step "done"
img=$OUT/picolet-rpi-arm64.img
printf 'image: %s: %s MiB raw, %s allocated, %s bytes xz\n' "$img" \
    $(($(stat -c %s "$img") / 1048576)) "$(du -h "$img" | cut -f1)" \
    "$(stat -c %s "$img.xz" 2>/dev/null || echo "(XZ=0: no)")"
printf 'image: initramfs %s bytes, kernel %s bytes, picolet (arm64, stripped in image) %s bytes\n' \
    "$(stat -c %s "$OUT/initrd.img")" "$(stat -c %s "$OUT/vmlinuz")" \
    "$(stat -c %s "$PKG/root/usr/bin/picolet")"
