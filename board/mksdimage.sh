#!/bin/bash
# board/mksdimage.sh PKG INITRD OUTDIR: the SD card image, as a plain file,
# with no loop device and no mount (mkfs.vfat -C + mcopy, mkfs.ext4 -d,
# sfdisk on a file, dd at the partitions' offsets):
#   p1  FAT32 "PICOBOOT" (type 0x0c, bootable): GPU firmware, config.txt,
#       cmdline.txt, the kernel, the initramfs, the Pi 3/4 device trees
#   p2  ext4 "PICODATA": /var (state, logs, images), grown on first boot
# Writes OUTDIR/picolet-rpi-arm64.img, .img.xz, the kernel and initramfs
# for qemu, and FLASHING.txt.  The size is a power of two (qemu's SD model
# insists); IMG_MB and BOOT_MB override.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
PKG=$1 INITRD=$2 OUT=$3
KVER=$(sed 's/^linux-image-//' "$PKG/KERNEL")
KX=$PKG/kernel
IMG_MB=${IMG_MB:-256}
BOOT_MB=${BOOT_MB:-128}
P1=4				# MiB; 4 MiB alignment like Raspberry Pi OS
P2=$((P1 + BOOT_MB))
DATA_MB=$((IMG_MB - P2))
IMG=$OUT/picolet-rpi-arm64.img
T=$PKG/sd
rm -rf "$T"; mkdir -p "$T/boot" "$T/fw" "$T/data" "$OUT"

# p1
dpkg-deb -x "$(ls "$PKG"/debs/raspi-firmware_*.deb)" "$T/fw"
# Pi 3 family: bootcode.bin, start.elf, fixup.dat; Pi 4 family: start4, fixup4
for f in bootcode.bin start.elf fixup.dat start4.elf fixup4.dat; do
	cp "$T/fw/usr/lib/raspi-firmware/$f" "$T/boot/"
done
cp "$KX/boot/vmlinuz-$KVER" "$T/boot/vmlinuz"
cp "$INITRD" "$T/boot/initrd.img"
for d in bcm2837-rpi-3-b bcm2837-rpi-3-b-plus bcm2837-rpi-3-a-plus \
    bcm2837-rpi-cm3-io3 bcm2837-rpi-zero-2-w bcm2711-rpi-4-b bcm2711-rpi-400 \
    bcm2711-rpi-cm4-io; do
	cp "$KX/usr/lib/linux-image-$KVER/broadcom/$d.dtb" "$T/boot/"
done
cp "$HERE/config.txt" "$HERE/cmdline.txt" "$T/boot/"
cp "$HERE/network.txt.example" "$T/boot/network.txt.example"
mkdir -p "$T/boot/manifests"
cp "$HERE/FLASHING.txt" "$T/boot/README.txt"
rm -f "$T/boot.vfat"
mkfs.vfat -F 32 -n PICOBOOT -C "$T/boot.vfat" $((BOOT_MB * 1024)) >/dev/null
mcopy -i "$T/boot.vfat" -s -p -m "$T/boot/"* ::

# p2: empty but for a note; rcS makes the directories.  Project quotas
# (which need 256-byte inodes) let picolet hold each PersistentVolumeClaim
# to its requested size.
echo "picolet data partition (/var on the device)" >"$T/data/README"
mkfs.ext4 -q -F -L PICODATA -I 256 -O quota,project -E root_owner=0:0 \
    -d "$T/data" "$T/data.img" "${DATA_MB}M" >/dev/null

# the disk
rm -f "$IMG"
truncate -s "${IMG_MB}M" "$IMG"
sfdisk --quiet "$IMG" <<SFDISK
label: dos
unit: sectors
start=$((P1 * 2048)), size=$((BOOT_MB * 2048)), type=c, bootable
start=$((P2 * 2048)), size=$((DATA_MB * 2048)), type=83
SFDISK
dd if="$T/boot.vfat" of="$IMG" bs=1M seek=$P1 conv=notrunc,sparse status=none
dd if="$T/data.img" of="$IMG" bs=1M seek=$P2 conv=notrunc,sparse status=none

cp "$KX/boot/vmlinuz-$KVER" "$OUT/vmlinuz"
cp "$INITRD" "$OUT/initrd.img"
cp "$KX/usr/lib/linux-image-$KVER/broadcom/bcm2837-rpi-3-b.dtb" "$OUT/"
cp "$PKG/MANIFEST" "$OUT/MANIFEST"
cp "$HERE/FLASHING.txt" "$OUT/FLASHING.txt"
# XZ=0 skips the compressed copy (quicker while working on the image)
if [ "${XZ:-1}" != 0 ]; then
	xz -T0 -6 -c "$IMG" >"$IMG.xz.tmp"
	mv "$IMG.xz.tmp" "$IMG.xz"
else
	rm -f "$IMG.xz"
fi
rm -rf "$T"
