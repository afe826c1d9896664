#!/bin/bash
# board/test/raspi3b.sh BUILD/board: `make image-test-raspi3b`.  Boots the
# image on qemu's Raspberry Pi 3B model (-M raspi3b, Debian's Pi 3B device
# tree, the card as the SD card, slow: four emulated cores), and checks that
# the Pi drivers load by modalias, init mounts both SD partitions, grows the
# data partition and starts picolet.  SSH goes over an emulated USB network
# adapter (qemu models no LAN9514), named usb0 through network.txt.
# What it cannot check: the GPU firmware reading config.txt and cmdline.txt
# (qemu loads the kernel itself), the Pi 4 family (no model in qemu 7.2).
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
PORT=${PORT:-$(free_port)}
BOOT_WAIT=${BOOT_WAIT:-420}

ssh-keygen -q -t ed25519 -N '' -C picolet-image-test -f "$W/key"
d=$(disk pi3)			# 512 MiB: qemu's SD model wants a power of two
printf 'interface=usb0\nntp=10.0.2.2\n' >"$W/network.txt"
put "$d" "$W/network.txt" network.txt
# The card's cmdline.txt, as the firmware would pass it; the serial console
# of a Pi 3 with the upstream device tree is the mini UART, ttyS1.
# qemu's model of the Pi watchdog resets at once when started: off here.
cl="$(mtype -i "$d@@4M" ::cmdline.txt | tr -d '\r' | sed 's/quiet//') board.watchdog=0"
echo "== boot on -M raspi3b (port $PORT): $cl"
BOOT_T0=$(date +%s.%N)
qemu-system-aarch64 -M raspi3b -m 1G -display none -monitor none \
    -serial null -serial "file:$W/console.log" \
    -kernel "$OUT/vmlinuz" -initrd "$OUT/initrd.img" \
    -dtb "$OUT/bcm2837-rpi-3-b.dtb" -append "$cl" \
    -drive "file=$d,if=sd,format=raw" \
    -netdev "user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:$PORT-:22" \
    -device usb-net,netdev=n0 </dev/null >"$W/qemu.log" 2>&1 &
QPID=$!
if wait_ssh "$BOOT_WAIT"; then
	ok "SSH up $(elapsed "$BOOT_T0") s after qemu started"
	check "device tree is the Pi 3B's" \
	    rsh 'grep -q "Raspberry Pi 3 Model B" /proc/device-tree/model'
	check "SD host driver loaded by modalias" rsh 'grep -q "^bcm2835 " /proc/modules'
	check "boot partition mounted from the SD card" \
	    rsh 'grep -q "^/dev/mmcblk0p1 /boot vfat" /proc/mounts'
	check "data partition mounted on /var and grown" \
	    rsh 'grep -q "^/dev/mmcblk0p2 /var ext4" /proc/mounts && [ $(df -m /var | awk "NR==2 { print \$2 }") -gt 300 ]'
	check "picolet running and answering" \
	    wait_for 120 'pidof picolet >/dev/null && picoctl get pods >/dev/null'
	check "watchdog driver bound" rsh 'test -e /dev/watchdog'
	rsh 'cat /run/board/problems' | sed 's/^/   problems: /'
else
	bad "SSH did not come up in $BOOT_WAIT s"
	tail -n 40 "$W/console.log"
fi
summary
