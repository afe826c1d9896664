#!/bin/bash
# Volumes that hold data, seen from inside containers:
#  - emptyDir shared by two containers, 0777, gone with the pod; medium
#    Memory is a tmpfs with sizeLimit as its size, and what is written
#    there counts toward the container's memory limit (OOMKilled);
#  - a disk emptyDir over its sizeLimit: the pod is Evicted (kubelet's
#    eviction manager); fsGroup owns the volume (setgid);
#  - hostPath: DirectoryOrCreate and FileOrCreate create, Directory/File
#    of the wrong type and a missing path refuse with FailedMount,
#    CharDevice passes a device node through (as /dev/gpiomem on a Pi),
#    readOnly is enforced;
#  - subPath: a directory of a volume; one through a symlink that leaves
#    the volume fails with CreateContainerError and nothing outside is
#    touched;
#  - mountPropagation HostToContainer: a mount made on the host later
#    shows in the container;
#  - PersistentVolumeClaim: bound to <state>/volumes/<ns>/<claim>; data
#    survives deleting and re-creating the pod and restarting picolet,
#    and deleting the claim's manifest;
#  - bad input: a volumeMount naming no volume, two mounts on one path,
#    an items path with "..": the file is refused with file:line.
# timeout: 300
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/jq.sh"

cstate() {	# POD [INDEX]: running | waiting:REASON | terminated:REASON
	pjq "$1" ".status.containerStatuses[${2:-0}].state | to_entries[0] |
	    if .key == \"running\" then \"running\" else \"\(.key):\(.value.reason)\" end"
}
running() { [ "$(cstate "$1" "${2:-0}")" = running ]; }
in_pod() { local p=$1; shift; pctl exec "$p" -- "$@" 2>&1 | grep -v '^Defaulted container'; }

SLEEP='trap "exit 0" TERM; while :; do sleep 1 & wait $!; done'

case_emptydir() {
	cat <<EOF | put_manifest ed.yaml
apiVersion: v1
kind: Pod
metadata:
  name: ed
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: writer
    image: busybox
    imagePullPolicy: IfNotPresent
    command: [sh, -c, 'echo shared-data > /data/f; $SLEEP']
    volumeMounts: [{name: scratch, mountPath: /data}, {name: mem, mountPath: /mem}]
  - name: reader
    image: busybox
    imagePullPolicy: IfNotPresent
    securityContext: {runAsUser: 1000}
    command: [sh, -c, '$SLEEP']
    volumeMounts: [{name: scratch, mountPath: /shared}]
  volumes:
  - {name: scratch, emptyDir: {}}
  - {name: mem, emptyDir: {medium: Memory, sizeLimit: 16Mi}}
EOF
	wait_for 'running ed 0 && running ed 1' 20 "both containers running" || return 1
	wait_for '[ "$(pctl exec ed -c reader -- cat /shared/f 2>&1)" = shared-data ]' 10 \
	    "the reader sees the writer's file" || return 1
	assert_eq "$(pctl exec ed -c reader -- sh -c 'echo x > /shared/by-1000 && stat -c %u /shared/by-1000' 2>&1)" \
	    1000 "uid 1000 writes to the emptyDir" || return 1
	assert_eq "$(in_pod ed stat -c %a /data)" 777 "emptyDir mode" || return 1
	assert_match "$(in_pod ed sh -c 'grep " /mem " /proc/mounts')" "^tmpfs /mem tmpfs rw" \
	    "medium Memory is a tmpfs" || return 1
	assert_contains "$(in_pod ed sh -c 'grep " /mem " /proc/mounts')" "size=16384k" \
	    "sizeLimit is the tmpfs size" || return 1
	local uid
	uid=$(pjq ed .metadata.uid)
	assert_eq "$(cat "$T/state/pods/$uid/volumes/scratch/f")" shared-data \
	    "on disk under <state>/pods/<uid>/volumes" || return 1
	gone ed
	wait_for '[ ! -e "$T/state/pods/$uid" ]' 10 "emptyDir removed with the pod" || return 1
	assert_eq "$(mounts_with "$uid" | wc -l)" 0 "no mount left" || return 1
}

case_memory_limit() {
	cat <<EOF | put_manifest edm.yaml
apiVersion: v1
kind: Pod
metadata:
  name: edm
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    imagePullPolicy: IfNotPresent
    resources: {limits: {memory: 32Mi}}
    command: [sh, -c, 'exec dd if=/dev/zero of=/mem/big bs=1M count=64']
    volumeMounts: [{name: mem, mountPath: /mem}]
  volumes:
  - {name: mem, emptyDir: {medium: Memory, sizeLimit: 128Mi}}
EOF
	wait_for '[ "$(cstate edm)" = terminated:OOMKilled ]' 30 \
	    "64 MiB into a Memory emptyDir with a 32 MiB limit: OOMKilled" || return 1
	gone edm
}

case_size_limit_and_fsgroup() {
	cat <<EOF | put_manifest lim.yaml
apiVersion: v1
kind: Pod
metadata:
  name: lim
spec:
  terminationGracePeriodSeconds: 1
  securityContext: {runAsUser: 1000, fsGroup: 2000}
  containers:
  - name: main
    image: busybox
    imagePullPolicy: IfNotPresent
    command: [sh, -c, 'touch /data/mine; $SLEEP']
    volumeMounts: [{name: d, mountPath: /data}]
  volumes:
  - {name: d, emptyDir: {sizeLimit: 1Mi}}
EOF
	wait_for 'running lim' 20 "lim running" || return 1
	assert_eq "$(in_pod lim stat -c %g /data)" 2000 "fsGroup owns the emptyDir" || return 1
	wait_for '[ "$(in_pod lim stat -c %g /data/mine)" = 2000 ]' 5 \
	    "a file made by the pod gets the fsGroup (setgid dir)" || return 1
	assert_eq "$(pjq lim .status.phase)" Running "under the limit: running" || return 1
	in_pod lim dd if=/dev/zero of=/data/big bs=1024 count=2048 >/dev/null
	wait_for '[ "$(pjq lim .status.phase)" = Failed ]' 30 \
	    "2 MiB in a 1Mi emptyDir: the pod is evicted" || return 1
	assert_eq "$(pjq lim .status.reason)" Evicted "status.reason" || return 1
	assert_contains "$(pjq lim .status.message)" 'Usage of EmptyDir volume "d" exceeds the limit "1Mi"' \
	    "status.message" || return 1
	assert_contains "$(events lim Evicted)" "exceeds the limit" "Evicted event" || return 1
	gone lim
}

case_hostpath() {
	local h=$T/host
	mkdir -p "$h/dir" && echo host-file >"$h/file" && mknod "$h/null" c 1 3 &&
	    python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$h/sock" ||
	    { fail "making host paths"; return 1; }
	cat <<EOF | put_manifest hp.yaml
apiVersion: v1
kind: Pod
metadata:
  name: hp
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    imagePullPolicy: IfNotPresent
    command: [sh, -c, '$SLEEP']
    volumeMounts:
    - {name: dir, mountPath: /hd}
    - {name: ro, mountPath: /ro, readOnly: true}
    - {name: made, mountPath: /made}
    - {name: mfile, mountPath: /mfile}
    - {name: dev, mountPath: /dev/mydev}
    - {name: sock, mountPath: /run/host.sock}
  volumes:
  - {name: dir, hostPath: {path: $h/dir, type: Directory}}
  - {name: ro, hostPath: {path: $h/dir}}
  - {name: made, hostPath: {path: $h/new/sub, type: DirectoryOrCreate}}
  - {name: mfile, hostPath: {path: $h/newfile, type: FileOrCreate}}
  - {name: dev, hostPath: {path: $h/null, type: CharDevice}}
  - {name: sock, hostPath: {path: $h/sock, type: Socket}}
EOF
	wait_for 'running hp' 20 "hp running" || return 1
	in_pod hp sh -c 'echo from-pod > /hd/x' >/dev/null
	assert_eq "$(cat "$h/dir/x" 2>/dev/null)" from-pod "written through to the host" || return 1
	assert_contains "$(in_pod hp sh -c 'echo y > /ro/y 2>&1; echo rc=$?')" "rc=1" \
	    "readOnly enforced" || return 1
	[ -d "$h/new/sub" ] || { fail "DirectoryOrCreate did not create"; return 1; }
	[ -f "$h/newfile" ] || { fail "FileOrCreate did not create"; return 1; }
	assert_eq "$(in_pod hp sh -c 'echo z > /dev/mydev && echo ok')" ok \
	    "the char device works in the container" || return 1
	assert_eq "$(in_pod hp sh -c '[ -S /run/host.sock ] && echo sock')" sock \
	    "a Socket hostPath is the socket" || return 1
	gone hp

	cat <<EOF | put_manifest hpbad.yaml
apiVersion: v1
kind: Pod
metadata:
  name: hpbad
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    imagePullPolicy: IfNotPresent
    command: [sh, -c, '$SLEEP']
    volumeMounts: [{name: f, mountPath: /f}]
  volumes:
  - {name: f, hostPath: {path: $h/dir, type: File}}
EOF
	wait_for 'events hpbad FailedMount | grep -q "is not a File"' 15 \
	    "FailedMount: a directory is not a File" || return 1
	assert_eq "$(cstate hpbad)" waiting:ContainerCreating "waits" || return 1
	gone hpbad
}

case_subpath() {
	echo secret-outside >"$T/outside"
	cat <<EOF | put_manifest sp.yaml
apiVersion: v1
kind: Pod
metadata:
  name: sp
spec:
  terminationGracePeriodSeconds: 1
  initContainers:
  - name: prep
    image: busybox
    imagePullPolicy: IfNotPresent
    command: [sh, -c, 'mkdir -p /v/sub && echo in-sub > /v/sub/f && ln -s / /v/escape && ln -s ../../.. /v/up']
    volumeMounts: [{name: v, mountPath: /v}]
  containers:
  - name: main
    image: busybox
    imagePullPolicy: IfNotPresent
    command: [sh, -c, '$SLEEP']
    volumeMounts:
    - {name: v, mountPath: /only-sub, subPath: sub}
    - {name: v, mountPath: /made, subPath: new/dir}
  volumes:
  - {name: v, emptyDir: {}}
EOF
	wait_for 'running sp' 20 "sp running" || return 1
	assert_eq "$(in_pod sp cat /only-sub/f)" in-sub "subPath directory" || return 1
	assert_eq "$(in_pod sp sh -c 'ls /made | wc -l')" 0 "a missing subPath is made" || return 1
	gone sp

	local via
	for via in escape up; do
		cat <<EOF | put_manifest spx.yaml
apiVersion: v1
kind: Pod
metadata:
  name: spx
spec:
  restartPolicy: Never
  terminationGracePeriodSeconds: 1
  initContainers:
  - name: prep
    image: busybox
    imagePullPolicy: IfNotPresent
    command: [sh, -c, 'ln -s / /v/escape && ln -s ../../../../../../.. /v/up']
    volumeMounts: [{name: v, mountPath: /v}]
  containers:
  - name: main
    image: busybox
    imagePullPolicy: IfNotPresent
    command: [sh, -c, 'cat /x$T/outside; $SLEEP']
    volumeMounts: [{name: v, mountPath: /x, subPath: $via}]
  volumes:
  - {name: v, emptyDir: {}}
EOF
		wait_for 'pjq spx ".status.containerStatuses[0].lastState.terminated.message // .status.containerStatuses[0].state.terminated.message // .status.containerStatuses[0].state.waiting.message" | grep -q "leaves the volume"' 20 \
		    "subPath through a symlink ($via) refused" || return 1
		if pctl logs spx 2>/dev/null | grep -q secret-outside; then
			fail "the container read outside its volume"
			return 1
		fi
		gone spx
	done
}

case_propagation() {
	local h=$T/prop
	mkdir -p "$h" && mount --bind "$h" "$h" && mount --make-shared "$h" ||
	    { fail "a shared mount at $h"; return 1; }
	cat <<EOF | put_manifest prop.yaml
apiVersion: v1
kind: Pod
metadata:
  name: prop
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    imagePullPolicy: IfNotPresent
    command: [sh, -c, '$SLEEP']
    volumeMounts:
    - {name: h, mountPath: /h2c, mountPropagation: HostToContainer}
    - {name: h, mountPath: /none}
  volumes:
  - {name: h, hostPath: {path: $h}}
EOF
	wait_for 'running prop' 20 "prop running" || return 1
	mkdir -p "$h/later" && mount -t tmpfs -o size=1m later "$h/later" &&
	    echo seen >"$h/later/f" || { fail "mount on the host"; return 1; }
	assert_eq "$(in_pod prop cat /h2c/later/f)" seen "HostToContainer: a later host mount shows" || return 1
	assert_ne "$(in_pod prop cat /none/later/f)" seen "None: it does not" || return 1
	gone prop
	umount "$h/later"
}

claim_yaml() {
	cat <<'EOF'
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: data
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 64Mi}}
EOF
}
pvc_pod() {
	cat <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: db
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    imagePullPolicy: IfNotPresent
    command: [sh, -c, 'echo "run \$(date +%s%N)" >> /var/lib/db/runs; $SLEEP']
    volumeMounts: [{name: d, mountPath: /var/lib/db}]
  volumes:
  - {name: d, persistentVolumeClaim: {claimName: data}}
EOF
}

case_pvc() {
	pvc_pod | put_manifest db.yaml
	wait_for 'events db FailedMount | grep -q "persistentvolumeclaim \"data\" not found"' 15 \
	    "a pod before its claim: FailedMount" || return 1
	claim_yaml | put_manifest claim.yaml
	wait_for 'running db' 15 "db runs once the claim is there" || return 1
	wait_for '[ "$(in_pod db cat /var/lib/db/runs | wc -l)" = 1 ]' 10 "first run recorded" || return 1
	[ -f "$T/state/volumes/default/data/runs" ] ||
	    { fail "no data under <state>/volumes/default/data"; return 1; }
	gone db
	pvc_pod | put_manifest db.yaml
	wait_for '[ "$(in_pod db cat /var/lib/db/runs 2>/dev/null | wc -l)" = 2 ]' 20 \
	    "data survives re-creating the pod" || return 1
	stop_picolet || return 1
	start_picolet || return 1
	wait_for 'running db' 15 "db adopted" || return 1
	assert_eq "$(in_pod db cat /var/lib/db/runs | wc -l)" 2 "data survives a picolet restart" || return 1
	gone db
	rm_manifest claim.yaml
	sleep 1	# no event to wait for: the claim's data must simply stay
	[ -f "$T/state/volumes/default/data/runs" ] ||
	    { fail "deleting the claim's manifest removed its data"; return 1; }
}

case_reclaim_delete() {
	printf '[volumes]\nreclaim = Delete\n' >>"$T/picolet.conf"
	stop_picolet || return 1
	start_picolet || return 1
	claim_yaml | put_manifest claim.yaml
	pvc_pod | put_manifest db.yaml
	wait_for 'running db' 15 "db runs" || return 1
	wait_for '[ -f "$T/state/volumes/default/data/runs" ]' 10 "data written" || return 1
	# The claim goes first: its pod still uses it, so the data stays ...
	rm_manifest claim.yaml
	sleep 0.5	# nothing to wait for: the data must simply stay
	[ -f "$T/state/volumes/default/data/runs" ] ||
	    { fail "the data went while a pod used the claim"; return 1; }
	# ... until the pod is gone too.
	gone db
	wait_for '[ ! -e "$T/state/volumes/default/data" ]' 10 \
	    "reclaim = Delete: the data goes with the claim" || return 1
}

case_bad_input() {
	local out
	cat <<'EOF' | put_manifest bad1.yaml
apiVersion: v1
kind: Pod
metadata:
  name: bad1
spec:
  containers:
  - name: main
    image: busybox
    imagePullPolicy: IfNotPresent
    volumeMounts:
    - {name: nosuch, mountPath: /a}
    - {name: v, mountPath: /b}
    - {name: v, mountPath: /b}
  volumes:
  - name: v
    configMap:
      name: x
      items: [{key: k, path: ../../etc/passwd}]
EOF
	wait_for 'pctl status 2>&1 | grep -q "bad1.yaml"' 10 "the error shows in status" || return 1
	out=$(pctl status 2>&1)
	assert_contains "$out" 'bad1.yaml:11' "volumeMount naming no volume: file:line" || return 1
	assert_contains "$out" 'nosuch' "names the volume" || return 1
	assert_contains "$out" 'bad1.yaml:13' "the second mount on /b" || return 1
	assert_contains "$out" "'..'" "items path with .." || return 1
	assert_eq "$(pod_exists bad1 && echo yes || echo no)" no "no pod from a refused file" || return 1
	rm_manifest bad1.yaml
}

import_busybox || { not_ok "import busybox"; done_testing; }
start_picolet || { not_ok "picolet starts"; done_testing; }
run_case "emptyDir: shared, 0777, medium Memory a tmpfs of sizeLimit, removed with the pod" case_emptydir
run_case "emptyDir Memory counts toward the memory limit" case_memory_limit
run_case "emptyDir sizeLimit on disk evicts; fsGroup owns volumes" case_size_limit_and_fsgroup
run_case "hostPath: types, create, readOnly, char device, wrong type refused" case_hostpath
run_case "subPath: a directory, made when missing; symlinks out refused" case_subpath
run_case "mountPropagation HostToContainer vs None" case_propagation
run_case "PersistentVolumeClaim: bound dir, survives pod, restart, claim deletion" case_pvc
run_case "bad volume input: file:line errors" case_bad_input
run_case "[volumes] reclaim = Delete removes a released claim's data" case_reclaim_delete
done_testing
