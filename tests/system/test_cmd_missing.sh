#!/bin/bash
# A command that does not exist in the image: the container waits with
# reason RunContainerError and a message naming the command; nothing else
# is disturbed.
. "$(dirname "$0")/lib.sh"

missing_yaml() {	# NAME POLICY
	cat <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $1
spec:
  restartPolicy: $2
  containers:
  - name: main
    image: busybox
    imagePullPolicy: IfNotPresent
    command: ["/no/such/binary", "--flag"]
EOF
}

# The reason shows in state.waiting as RunContainerError (possibly only
# until the back-off begins), or as containerd's StartError in
# lastState/state.terminated: accept either, and require the message.
saw_reason() {
	local j
	j=$(pctl get pods "$1" -o json 2>/dev/null) || return 1
	REASON_MSG=$(printf '%s' "$j" | jeval '" | ".join(
	    (v or {}).get("reason", "") + ": " + (v or {}).get("message", "")
	    for s in (c0.get("state") or {}, c0.get("lastState") or {})
	    for v in s.values() if (v or {}).get("reason") in ("RunContainerError", "StartError")) ')
	[ -n "$REASON_MSG" ]
}

case_missing() {
	REASON_MSG=""
	missing_yaml nocmd Always | put_manifest nocmd.yaml
	wait_for 'saw_reason nocmd' 15 "RunContainerError on nocmd" || return 1
	note "$REASON_MSG"
	assert_contains "$REASON_MSG" /no/such/binary "message names the command" || return 1
	local d
	d=$(pctl describe pod nocmd 2>&1)
	assert_contains "$d" /no/such/binary "describe pod shows the message" || return 1
	# (The phase may well be Running: kubelet keeps a restarting pod there.)
	assert_eq "$(pj nocmd 'c0["ready"]')" false "ready" || return 1
	alive "$PICOLET_PID" || fail "picolet died" || return 1
	# No shim or workload is left behind by a failed start.
	wait_for '[ -z "$(shim_pid nocmd)" ] || ! [ -e "/proc/$(shim_pid nocmd)" ]' 5 \
	    "no shim left after the failed start" || return 1
	rm_manifest nocmd.yaml
	wait_for 'pod_gone nocmd' 10 "nocmd gone" || return 1
}

case_missing_never() {
	missing_yaml nocmd2 Never | put_manifest nocmd2.yaml
	wait_for 'saw_reason nocmd2' 15 "RunContainerError on nocmd2" || return 1
	local ph
	wait_for '[ "$(pod_phase nocmd2)" = Failed ] || [ "$(pod_phase nocmd2)" = Pending ]' 5 \
	    "nocmd2 Pending or Failed" || return 1
	rm_manifest nocmd2.yaml
	wait_for 'pod_gone nocmd2' 10 "nocmd2 gone" || return 1
}

case_workdir_user() {
	# Neighbouring container-config paths that must work: workingDir,
	# runAsUser/Group, env.
	cat <<'EOF' | put_manifest ctx.yaml
apiVersion: v1
kind: Pod
metadata:
  name: ctx
spec:
  restartPolicy: Never
  containers:
  - name: main
    image: busybox
    imagePullPolicy: IfNotPresent
    workingDir: /tmp
    env:
    - name: GREETING
      value: hi there
    securityContext:
      runAsUser: 1000
      runAsGroup: 1000
    command: ["sh", "-c", "echo \"pwd=$(pwd) id=$(id -u):$(id -g) g=$GREETING\""]
EOF
	wait_for '[ "$(pod_phase ctx)" = Succeeded ]' 15 "ctx Succeeded" || return 1
	assert_eq "$(pctl logs ctx)" "pwd=/tmp id=1000:1000 g=hi there" "output" || return 1
	rm_manifest ctx.yaml
	wait_for 'pod_gone ctx' 10 "ctx gone" || return 1
}

import_busybox || { not_ok "import busybox"; done_testing; }
start_picolet || { not_ok "picolet starts"; done_testing; }
run_case "command not in image: RunContainerError with message" case_missing
run_case "command not in image, restartPolicy Never" case_missing_never
run_case "workingDir, runAsUser/Group, env" case_workdir_user
done_testing
