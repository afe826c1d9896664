#!/bin/bash
# What a container is made of, seen from the host and from inside:
# containerd's default capabilities, drop/add, allowPrivilegeEscalation ->
# no_new_privs, privileged, read-only rootfs, the minimal /dev, read-only
# /sys, /etc/hosts, image Env merged with env, cgroup limits from
# resources, hostNetwork, and several containers sharing one pod sandbox.
. "$(dirname "$0")/lib.sh"

IDLE='trap "exit 0" TERM; while :; do sleep 1 & wait $!; done'

# pod NAME [SPEC-LINES-FOR-CONTAINER] [POD-SPEC-LINES]: one container "main"
# running IDLE with extra container fields (indented 4) and pod fields
# (indented 2).
pod() {
	cat <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $1
spec:
  terminationGracePeriodSeconds: 2
${3:-}
  containers:
  - name: main
    image: busybox
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", '$IDLE']
${2:-}
EOF
}

run_pod() {	# NAME: wait until it runs; WPID gets its workload pid
	local pn=$1
	wait_for '[ "$(pod_phase "$pn")" = Running ] && [ -n "$(workload_pid "$pn")" ]' 10 \
	    "$pn Running" || return 1
	WPID=$(workload_pid "$pn")
}

# in POD CMD...: run CMD inside the container's namespaces and root (from
# the host, as exec will; nsenter is enough for a test).
in_ctr() {
	local p
	p=$(workload_pid "$1") || return 1
	shift
	nsenter -t "$p" -m -u -i -n -p -r -w -- "$@"
}

capeff() { awk '/^CapEff:/ { print $2 }' "/proc/$1/status"; }

case_default_caps() {
	pod defcaps | put_manifest defcaps.yaml
	run_pod defcaps || return 1
	# containerd's default set: CHOWN DAC_OVERRIDE FSETID FOWNER MKNOD
	# NET_RAW SETGID SETUID SETFCAP SETPCAP NET_BIND_SERVICE SYS_CHROOT KILL
	# AUDIT_WRITE.
	assert_eq "$(capeff "$WPID")" 00000000a80425fb "CapEff" || return 1
	assert_eq "$(awk '/^CapBnd:/ { print $2 }' "/proc/$WPID/status")" 00000000a80425fb "CapBnd" || return 1
	assert_eq "$(awk '/^NoNewPrivs:/ { print $2 }' "/proc/$WPID/status")" 0 "NoNewPrivs by default" || return 1
	assert_eq "$(awk '/^Uid:/ { print $2 }' "/proc/$WPID/status")" 0 "uid" || return 1
}

case_cap_drop_add() {
	pod capdrop '    securityContext:
      allowPrivilegeEscalation: false
      capabilities:
        drop: ["ALL"]
        add: ["NET_ADMIN"]' | put_manifest capdrop.yaml
	run_pod capdrop || return 1
	# NET_ADMIN is bit 12.
	assert_eq "$(capeff "$WPID")" 0000000000001000 "CapEff with drop ALL, add NET_ADMIN" || return 1
	assert_eq "$(awk '/^NoNewPrivs:/ { print $2 }' "/proc/$WPID/status")" 1 \
	    "NoNewPrivs with allowPrivilegeEscalation: false" || return 1
	pod capdrop2 '    securityContext:
      capabilities:
        drop: ["CHOWN", "NET_RAW"]' | put_manifest capdrop2.yaml
	run_pod capdrop2 || return 1
	# a80425fb without bits 0 (CHOWN) and 13 (NET_RAW).
	assert_eq "$(capeff "$WPID")" 00000000a80405fa "CapEff with CHOWN, NET_RAW dropped" || return 1
}

case_privileged() {
	pod priv '    securityContext:
      privileged: true' | put_manifest priv.yaml
	run_pod priv || return 1
	local all
	all=$(awk '/^CapBnd:/ { print $2 }' /proc/self/status)
	assert_eq "$(capeff "$WPID")" "$all" "CapEff of a privileged container" || return 1
	[ -e /dev/kmsg ] && { in_ctr priv test -e /dev/kmsg ||
	    fail "host /dev/kmsg not in a privileged container" || return 1; }
	in_ctr defcaps test -e /dev/kmsg && { fail "/dev/kmsg in an unprivileged container"; return 1; }
	return 0
}

case_readonly_rootfs() {
	pod rofs '    securityContext:
      readOnlyRootFilesystem: true' | put_manifest rofs.yaml
	run_pod rofs || return 1
	in_ctr rofs sh -c 'echo x >/probe' 2>/dev/null && { fail "wrote to a read-only rootfs"; return 1; }
	in_ctr defcaps sh -c 'echo x >/probe && rm /probe' ||
	    fail "cannot write to a normal container's rootfs" || return 1
}

case_dev_sys_etc() {
	local d
	for d in null zero full random urandom tty ptmx pts shm; do
		in_ctr defcaps test -e "/dev/$d" || fail "/dev/$d missing" || return 1
	done
	in_ctr defcaps sh -c 'ls /dev | grep -Eq "^(sd|vd|nvme|mem$|kmem$|port$)"' &&
	    { fail "host devices in /dev: $(in_ctr defcaps ls /dev | tr '\n' ' ')"; return 1; }
	in_ctr defcaps sh -c 'echo 1 >/dev/null && head -c 4 /dev/zero | wc -c' | grep -qx 4 ||
	    fail "/dev/null, /dev/zero do not work" || return 1
	in_ctr defcaps sh -c 'grep -E " /sys (sysfs|[^ ]+) ro[, ]" /proc/mounts' >/dev/null ||
	    fail "/sys not read-only: $(in_ctr defcaps grep ' /sys ' /proc/mounts)" || return 1
	in_ctr defcaps sh -c 'grep -q " /proc proc " /proc/mounts' || fail "/proc not mounted" || return 1
	in_ctr defcaps grep -q defcaps /etc/hosts || fail "/etc/hosts lacks the pod's name" || return 1
	in_ctr defcaps test -f /etc/resolv.conf || fail "no /etc/resolv.conf" || return 1
	assert_eq "$(in_ctr defcaps hostname)" defcaps "hostname" || return 1
}

case_env() {
	cat <<'EOF' | put_manifest envp.yaml
apiVersion: v1
kind: Pod
metadata:
  name: envp
spec:
  restartPolicy: Never
  containers:
  - name: main
    image: busybox
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c"]
    args: ["echo \"PATH=$PATH A=$A B=$B\"; echo \"HOME=$HOME\""]
    env:
    - name: A
      value: "1"
    - name: B
      value: "$(A)-x"
EOF
	wait_for '[ "$(pod_phase envp)" = Succeeded ]' 10 "envp Succeeded" || return 1
	assert_eq "$(pctl logs envp | head -n 1)" \
	    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin A=1 B=1-x" \
	    "environment (image Env, env, \$(VAR) expansion)" || return 1
	# containerd sets HOME from /etc/passwd; not asked of picolet yet.
	note "$(pctl logs envp | tail -n 1) (containerd: HOME=/root)"
}

# cgfile PID CONTROLLER FILE: a cgroup file of the process (v1 or v2).
cgfile() {
	local rel
	rel=$(awk -F: -v c="$2" '$2 ~ "(^|,)" c "(,|$)" { print $3 }' "/proc/$1/cgroup")
	if [ -n "$rel" ]; then
		cat "/sys/fs/cgroup/$2$rel/$3"
	else
		rel=$(awk -F: '$1 == "0" { print $3 }' "/proc/$1/cgroup")
		cat "/sys/fs/cgroup$rel/$3"
	fi
}

case_cgroup_limits() {
	pod limits '    resources:
      requests:
        cpu: 250m
        memory: 16Mi
      limits:
        cpu: 500m
        memory: 32Mi' | put_manifest limits.yaml
	run_pod limits || return 1
	note "cgroups: $(tr '\n' ' ' <"/proc/$WPID/cgroup")"
	if [ -d /sys/fs/cgroup/memory ]; then
		assert_eq "$(cgfile "$WPID" memory memory.limit_in_bytes)" 33554432 "memory.limit_in_bytes" || return 1
		assert_eq "$(cgfile "$WPID" cpu cpu.cfs_quota_us)" 50000 "cpu.cfs_quota_us" || return 1
		assert_eq "$(cgfile "$WPID" cpu cpu.cfs_period_us)" 100000 "cpu.cfs_period_us" || return 1
		assert_eq "$(cgfile "$WPID" cpu cpu.shares)" 256 "cpu.shares" || return 1
		# [limits] pids (default 1024) on the pod's cgroup or the
		# container's.
		local pc pp rel
		pc=$(cgfile "$WPID" pids pids.max)
		rel=$(awk -F: '$2 == "pids" { print $3 }' "/proc/$WPID/cgroup")
		pp=$(cat "/sys/fs/cgroup/pids$(dirname "$rel")/pids.max")
		note "pids.max: container $pc, pod $pp"
		[ "$pc" = 1024 ] || [ "$pp" = 1024 ] ||
		    fail "pids.max 1024 on neither the pod's nor the container's cgroup" || return 1
	else
		assert_eq "$(cgfile "$WPID" x memory.max)" 33554432 "memory.max" || return 1
		assert_eq "$(cgfile "$WPID" x cpu.max)" "50000 100000" "cpu.max" || return 1
	fi
	# The workload's cgroup is named after the test's cgroup and the pod.
	assert_contains "$(cat "/proc/$WPID/cgroup")" "$CGNAME" "cgroup path" || return 1
	assert_contains "$(cat "/proc/$WPID/cgroup")" "$(pod_uid limits)" "cgroup path" || return 1
}

case_host_network() {
	pod hostnet '' '  hostNetwork: true' | put_manifest hostnet.yaml
	run_pod hostnet || return 1
	assert_eq "$(stat -L -c %i "/proc/$WPID/ns/net")" "$(stat -L -c %i "/run/netns/$NETNS")" \
	    "hostNetwork pod in picolet's network namespace" || return 1
	local other
	other=$(workload_pid defcaps)
	assert_ne "$(stat -L -c %i "/proc/$other/ns/net")" "$(stat -L -c %i "/run/netns/$NETNS")" \
	    "normal pod in a network namespace of its own" || return 1
}

case_two_containers() {
	cat <<EOF | put_manifest duo.yaml
apiVersion: v1
kind: Pod
metadata:
  name: duo
spec:
  terminationGracePeriodSeconds: 2
  containers:
  - name: a
    image: busybox
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", 'echo i-am-a; $IDLE']
  - name: b
    image: busybox
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", 'echo i-am-b; $IDLE']
EOF
	wait_for '[ "$(pod_phase duo)" = Running ] && [ "$(pj duo "len(cs)")" = 2 ] &&
	    [ "$(pj duo "all(c[\"ready\"] for c in cs)")" = true ]' 10 "duo Running, 2 ready" || return 1
	assert_match "$(pctl get pods duo | awk 'NR == 2 { print $2 }')" '^2/2$' "READY column" || return 1
	assert_eq "$(pctl logs duo -c a | head -n 1)" i-am-a "logs -c a" || return 1
	assert_eq "$(pctl logs duo -c b | head -n 1)" i-am-b "logs -c b" || return 1
	local pa pb
	pa=$(workload_pid duo a)
	pb=$(workload_pid duo b)
	[ -n "$pa" ] && [ -n "$pb" ] || fail "workloads of duo: '$pa' '$pb'" || return 1
	local ns
	for ns in net ipc uts; do
		assert_eq "$(readlink "/proc/$pa/ns/$ns")" "$(readlink "/proc/$pb/ns/$ns")" \
		    "containers share the pod's $ns namespace" || return 1
	done
	for ns in pid mnt; do
		assert_ne "$(readlink "/proc/$pa/ns/$ns")" "$(readlink "/proc/$pb/ns/$ns")" \
		    "containers have $ns namespaces of their own" || return 1
	done
	assert_eq "$(nspid "$pb")" 1 "container b is PID 1 of its namespace" || return 1
}

import_busybox || { not_ok "import busybox"; done_testing; }
start_picolet || { not_ok "picolet starts"; done_testing; }
run_case "default capabilities (containerd's)" case_default_caps
run_case "capabilities drop/add, allowPrivilegeEscalation: false" case_cap_drop_add
run_case "privileged: all capabilities, host /dev" case_privileged
run_case "readOnlyRootFilesystem" case_readonly_rootfs
run_case "/dev, /sys, /proc, /etc/hosts, hostname" case_dev_sys_etc
run_case "env: image Env, env, \$(VAR)" case_env
run_case "cgroup limits from resources" case_cgroup_limits
run_case "hostNetwork" case_host_network
run_case "two containers in one pod" case_two_containers
done_testing
