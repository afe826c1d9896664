#!/bin/bash
# board/test/qemu-test.sh BUILD/board: `make image-test`.  Boots the image's
# kernel and initramfs under qemu-system-aarch64 -M virt (TCG), with a copy
# of the SD card as a virtio disk, and checks over SSH:
#   boot 1: the data partition grows, / is read-only, cgroup v2 has memory,
#     the busybox archive is imported, a Pod copied into /etc/manifests
#     gets Running and logs, a PersistentVolumeClaim is held to its size
#     by project quotas (a pod writing past it gets EDQUOT), a malformed manifest on the card is reported
#     by `picoctl status` while the good pod runs, picolet is restarted by
#     init when killed; then `reboot`, and the pod comes back by itself
#     with the same SSH host key;
#   boot 2 (bad input): a card without a data partition, a malformed
#     network.txt, and no network link at boot: SSH still comes up once
#     the link does, and /run/board/problems says what is wrong;
#   boot 3: a full data partition: SSH comes up, picolet answers, and the
#     problem is reported.
# Before the boots: picolet-sntp against a local NTP responder (sntp.sh).
# Prints the figures of the closing note and "N passed, N failed".
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
. "$HERE/sntp.sh"
PORT=${PORT:-$(free_port)}
BOOT_WAIT=${BOOT_WAIT:-480}

ssh-keygen -q -t ed25519 -N '' -C picolet-image-test -f "$W/key"
cat >"$W/hello.yaml" <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: hello
spec:
  containers:
  - name: hello
    image: busybox
    imagePullPolicy: Never
    command: ["sh", "-c", "while true; do echo hello from the board; sleep 2; done"]
    resources:
      limits:
        memory: 16Mi
EOF
# A claim of 2 MiB and a pod writing 8 MiB into it: the data partition's
# project quotas stop the write at the claim's size.
cat >"$W/claim.yaml" <<'EOF'
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: small
spec:
  accessModes: [ReadWriteOnce]
  resources:
    requests:
      storage: 2Mi
---
apiVersion: v1
kind: Pod
metadata:
  name: filler
spec:
  restartPolicy: Never
  containers:
  - name: fill
    image: busybox
    imagePullPolicy: Never
    command: ["sh", "-c", "dd if=/dev/zero of=/data/big bs=1M count=8; echo dd exit $?; sync"]
    volumeMounts:
    - {name: d, mountPath: /data}
  volumes:
  - {name: d, persistentVolumeClaim: {claimName: small}}
EOF
printf 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: broken\nspec:\n  containers: [\n' \
    >"$W/broken.yaml"
printf 'ntp=10.0.2.2\n' >"$W/network.txt"	# slirp's host: restricted, no answer

sntp_checks

echo "== boot 1: a good card (port $PORT)"
d=$(disk card)
put "$d" "$W/network.txt" network.txt
mmd -i "$d@@4M" ::manifests 2>/dev/null
put "$d" "$W/broken.yaml" manifests/broken.yaml
boot "$d" "$W/console1.log"
if wait_ssh "$BOOT_WAIT"; then
	t_ssh=$(elapsed "$BOOT_T0")
	ok "SSH up ${t_ssh} s after qemu started"
else
	bad "SSH did not come up in $BOOT_WAIT s"
	tail -n 30 "$W/console1.log"
	summary
	exit 1
fi
check "data partition grown to the disk" \
    rsh '[ $(df -m /var | awk "NR==2 { print \$2 }") -gt 300 ]'
check "root file system is read-only" rsh '! touch /etc/x 2>/dev/null'
check "cgroup v2 with the memory controller" \
    rsh 'grep -qw memory /sys/fs/cgroup/cgroup.controllers'
check "host key made on first boot, kept on /var" \
    rsh 'test -s /var/lib/board/dropbear_ed25519_host_key'
check "busybox image imported" wait_for 60 'picoctl images | grep -q busybox'
check "hardware watchdog (i6300esb) fed" rsh 'pidof watchdog >/dev/null'
rsh 'sleep 2; cat /proc/meminfo' >"$W/meminfo"
mem_used=$(awk '/^MemTotal:/ { t = $2 } /^MemAvailable:/ { a = $2 }
    END { printf "%.1f", (t - a) / 1024 }' "$W/meminfo")
mem_free=$(awk '/^MemFree:/ { printf "%.1f", $2 / 1024 }' "$W/meminfo")
pl_rss=$(rsh 'grep VmRSS /proc/$(pidof picolet)/status' | awk '{ print $2 }')
echo "   memory, picolet idle: ${mem_used} MiB used (MemTotal - MemAvailable), ${mem_free} MiB free, picolet RSS ${pl_rss} KiB"
rsh 'cat >/etc/manifests/hello.yaml' <"$W/hello.yaml" >/dev/null
if pod_running hello 300; then
	t_pod=$(elapsed "$BOOT_T0")
	ok "pod hello Running ${t_pod} s after qemu started"
else
	bad "pod hello not Running"
	rsh 'picoctl get pods; picoctl describe pod hello; tail -20 /var/log/picolet.log'
fi
check "picoctl logs hello" wait_for 30 'picoctl logs hello | grep -q "hello from the board"'
rsh 'cat >/etc/manifests/claim.yaml' <"$W/claim.yaml" >/dev/null
check "data partition mounted with project quotas" rsh 'grep -q " /var .*prjquota" /proc/mounts'
check "claim of 2Mi enforced (QuotaEnforced True)" wait_for 60 \
    'picoctl describe pvc small | grep -q "QuotaEnforced *True"'
check "a pod writing past its claim gets EDQUOT" wait_for 120 \
    'picoctl logs filler | grep -q "Disk quota exceeded"'
check "the claim holds no more than its 2Mi" \
    rsh '[ $(du -sk /var/lib/picolet/volumes/default/small | cut -f1) -le 2100 ]'
rsh 'picoctl describe pvc small' | sed 's/^/   /'
rsh 'sed -i "s/storage: 2Mi/storage: 4Mi/" /etc/manifests/claim.yaml' >/dev/null
check "an edited request is the new limit" wait_for 30 \
    'picoctl describe pvc small | grep -q "writes past 4Mi fail"'
# A claim whose directory already holds data (a card from before project
# quotas): what is there is counted once the claim gets its id.
rsh 'd=/var/lib/picolet/volumes/default/old; mkdir -p $d/sub &&
    dd if=/dev/zero of=$d/sub/f bs=1k count=1024 2>/dev/null &&
    printf "apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: old}\nspec:\n  accessModes: [ReadWriteOnce]\n  resources: {requests: {storage: 8Mi}}\n" >/etc/manifests/old.yaml' >/dev/null
check "data already in a claim's directory is counted" wait_for 30 \
    'picoctl get pvc old -o json | grep -Eq "10[0-9]{5} bytes used"'
check "malformed manifest on the card reported by picoctl status" \
    wait_for 20 'picoctl status 2>&1 | grep -q broken.yaml'
rsh 'cat /proc/meminfo' | awk '/^MemTotal:/ { t = $2 } /^MemAvailable:/ { a = $2 }
    END { printf "   memory, one pod running: %.1f MiB used\n", (t - a) / 1024 }'
old=$(rsh 'pidof picolet')
rsh 'kill -9 $(pidof picolet)' >/dev/null
check "picolet restarted by init after SIGKILL" \
    wait_for 30 "p=\$(pidof picolet) && [ \"\$p\" != '$old' ] && picoctl get pods >/dev/null"
check "pod still Running after the restart" pod_running hello 60

echo "== reboot"
boot_id=$(rsh 'cat /proc/sys/kernel/random/boot_id')
REBOOT_T0=$(date +%s.%N)
# The session may hang until the guest is gone: not waited for.
rsh reboot >/dev/null 2>&1 &
rpid=$!
if [ -n "$boot_id" ] && wait_for "$BOOT_WAIT" \
    "[ \"\$(cat /proc/sys/kernel/random/boot_id)\" != '$boot_id' ]"; then
	ok "SSH up again $(elapsed "$REBOOT_T0") s after reboot, same host key"
	kill "$rpid" 2>/dev/null
else
	bad "SSH not up after reboot"
	tail -n 30 "$W/console1.log"
fi
check "pod hello Running again by itself" pod_running hello 300
check "manifest kept on /var across the reboot" rsh 'test -f /etc/manifests/hello.yaml'
check "claim still limited after the reboot" wait_for 60 \
    'picoctl describe pvc small | grep -q "QuotaEnforced *True.*project quota"'
stop

echo "== boot 2: no data partition, malformed network.txt, no link at boot"
d=$(disk bad)
sfdisk --quiet --delete "$d" 2
printf 'mode=static\naddress=not-an-address\n' >"$W/network-bad.txt"
put "$d" "$W/network-bad.txt" network.txt
rm -f "$W/known_hosts"
MON=$W/mon boot "$d" "$W/console2.log" -S
mon() { python3 - "$W/mon" "$1" <<'EOF'
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
for i in range(50):
    try:
        s.connect(sys.argv[1]); break
    except OSError:
        time.sleep(0.1)
s.sendall((sys.argv[2] + "\n").encode()); time.sleep(0.3); s.close()
EOF
}
mon 'set_link n0 off'
mon 'cont'
sleep 25
check "no SSH while the link is down" bash -c '! rsh true >/dev/null 2>&1'
mon 'set_link n0 on'
if wait_ssh "$BOOT_WAIT"; then
	ok "SSH up after the link came up"
	check "problem reported: no data partition" \
	    rsh 'grep -q "no data partition" /run/board/problems'
	check "problem reported: malformed network.txt" \
	    rsh 'grep -q "network.txt" /run/board/problems'
	check "picolet runs with state in RAM" \
	    wait_for 60 'picoctl get pods >/dev/null && mount | grep -q "tmpfs on /var "'
	rsh 'cat >/etc/manifests/hello.yaml' <"$W/hello.yaml" >/dev/null
	check "pod Running without a data partition" pod_running hello 300
	rsh 'cat /run/board/problems' | sed 's/^/   problems: /'
else
	bad "SSH did not come up after the link did"
	tail -n 30 "$W/console2.log"
fi
stop

echo "== boot 3: a full data partition"
d=$(disk full 256M)		# the image's size: nothing to grow
put "$d" "$W/network.txt" network.txt
# p2 starts at 132 MiB (board/mksdimage.sh); fill it to the last blocks
p2="$d?offset=$((132 * 1048576))"
fb=$(dumpe2fs -h "$p2" 2>/dev/null | awk -F: '/^Free blocks/ { print $2 + 0 }')
bs=$(dumpe2fs -h "$p2" 2>/dev/null | awk -F: '/^Block size/ { print $2 + 0 }')
yes picolet | head -c $(((fb - 64) * bs)) >"$W/fill"	# not zeros: debugfs makes holes of those
debugfs -w -R "write $W/fill fill" "$p2" >/dev/null 2>&1
rm -f "$W/fill" "$W/known_hosts"
boot "$d" "$W/console3.log"
if wait_ssh "$BOOT_WAIT"; then
	ok "SSH up with a full data partition"
	check "problem reported: data partition full" \
	    rsh 'grep -q "is full" /run/board/problems'
	# picolet cannot make its state directory on a card full from the
	# first boot: it must say so where a login shows it
	check "picolet answers, or its failure is reported" wait_for 60 \
	    'picoctl get pods >/dev/null || grep -q "picolet exited.*No space" /run/board/problems'
	rsh 'cat /run/board/problems' | sed 's/^/   problems: /'
else
	bad "SSH did not come up with a full data partition"
	tail -n 30 "$W/console3.log"
fi
stop

sz_xz=$(stat -c %s "$OUT/picolet-rpi-arm64.img.xz" 2>/dev/null || echo "?")
echo "figures: image $(($(stat -c %s "$OUT/picolet-rpi-arm64.img") / 1048576)) MiB raw," \
    "$sz_xz bytes xz; boot to SSH ${t_ssh:-?} s, to pod Running ${t_pod:-?} s;" \
    "used memory ${mem_used:-?} MiB with picolet idle;" \
    "picolet arm64 $(stat -c %s "$OUT/pkg/root/usr/bin/picolet") bytes stripped"
summary
