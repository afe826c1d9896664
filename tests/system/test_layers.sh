#!/bin/bash
# Layers as a container sees them: whiteouts, opaque dirs, hard links,
# symlinks, device nodes and xattrs from a three-layer image; and an image
# whose /etc/hosts, /etc/hostname, /etc/resolv.conf, /proc and /dev are
# symlinks out of the rootfs must not make picolet write or mount anything
# outside it.
. "$(dirname "$0")/lib.sh"

ESC=/tmp/picolet-fixture

import() {	# ARCHIVE
	local out
	out=$("$PICOLET_BIN/picoctl" image import "$FIXTURES/$1" --state "$T/state" 2>&1) ||
	    fail "import $1: $out"
}

case_layered() {
	import layered-oci.tar || return 1
	cat <<'EOF' | put_manifest layered.yaml
apiVersion: v1
kind: Pod
metadata:
  name: layered
spec:
  restartPolicy: Never
  containers:
  - name: main
    image: example.local/layered:1
    command:
    - sh
    - -c
    - |
      echo "data: $(ls /data | tr '\n' ' ')"
      echo "dir: $(ls /dir | tr '\n' ' ')"
      echo "links: $(stat -c %h /data/b) $(readlink /data/sl) $(cat /data/hl)"
      echo "null: $(stat -c '%F %t,%T' /data/null)"
      echo "new: $(cat /data/new)"
      echo written >/data/b && echo "b: $(cat /data/b)"
EOF
	wait_for '[ "$(pod_phase layered)" = Succeeded ] || [ "$(pod_phase layered)" = Failed ]' 15 \
	    "layered ran" || return 1
	local out
	out=$(pctl logs layered)
	note "$(printf '%s\n' "$out" | tr '\n' '|')"
	assert_eq "$(pod_phase layered)" Succeeded "phase" || return 1
	assert_contains "$out" "data: b hl new null sl x " "whiteout of data/a" || return 1
	assert_contains "$out" "dir: z " "opaque dir" || return 1
	assert_contains "$out" "links: 2 b b" "hard link and symlink" || return 1
	assert_contains "$out" "null: character special file 1,3" "device node" || return 1
	assert_contains "$out" "new: new" "file from the top layer" || return 1
	assert_contains "$out" "b: written" "a lower file written (copy-up)" || return 1
	# The unpacked lower layers are untouched by the write, and keep the
	# xattr.
	local x b
	x=$(find "$T/state/images" -path '*/data/x' -type f | head -n 1)
	[ -n "$x" ] || fail "no unpacked data/x under $T/state/images" || return 1
	assert_eq "$(python3 -c 'import os, sys; print(os.getxattr(sys.argv[1], "user.picolet").decode())' "$x" 2>&1)" \
	    yes "xattr user.picolet of the unpacked data/x" || return 1
	b=$(find "$T/state/images" -path '*/data/b' -type f | head -n 1)
	assert_eq "$(cat "$b")" b "lower layer's data/b after the container wrote it" || return 1
	rm_manifest layered.yaml
	wait_for 'pod_gone layered' 10 "layered gone" || return 1
}

escapes() {
	local f
	for f in "$ESC"-hosts-escape "$ESC"-hostname-escape "$ESC"-resolv-escape \
	    "$ESC"-proc-escape "$ESC"-dev-escape; do
		[ -e "$f" ] || [ -L "$f" ] && echo "$f"
		awk -v p="$f" 'index($5, p) == 1 { print "mount: " $5 }' /proc/self/mountinfo
	done
}

case_evil_links() {
	rm -rf "$ESC"-*-escape
	# Targets that exist make following the links as easy as it gets.
	mkdir -p "$ESC"-proc-escape "$ESC"-dev-escape
	import evil-links-oci.tar || return 1
	pod_yaml evil 'echo inside; cat /etc/hostname' Never 1 example.local/evil-links:1 |
	    put_manifest evil.yaml
	wait_for '[ "$(pod_phase evil)" = Succeeded ] || [ "$(pod_phase evil)" = Failed ] ||
	    [ -n "$(pj evil "c0[\"state\"].get(\"waiting\", {}).get(\"message\", \"\")")" ]' 15 \
	    "evil ran or was refused" || return 1
	note "evil: $(pod_cstate evil): $(pj evil 'json.dumps(c0["state"])') $(pctl logs evil 2>&1 | tr '\n' '|')"
	local left
	left=$(find "$ESC"-proc-escape "$ESC"-dev-escape -mindepth 1 2>/dev/null)
	left="$left$(escapes | grep -v -e "^$ESC-proc-escape$" -e "^$ESC-dev-escape$")"
	rm_manifest evil.yaml
	wait_for 'pod_gone evil' 10 "evil gone" || return 1
	left="$left$(escapes | grep -v -e "^$ESC-proc-escape$" -e "^$ESC-dev-escape$")"
	rm -rf "$ESC"-*-escape
	[ -z "$left" ] || fail "picolet wrote or mounted outside the rootfs: $left" || return 1
}

start_picolet || { not_ok "picolet starts"; done_testing; }
run_case "three layers: whiteout, opaque dir, links, device, xattr, copy-up" case_layered
run_case "symlinks out of the rootfs at /etc/hosts, /proc, /dev..." case_evil_links
done_testing
