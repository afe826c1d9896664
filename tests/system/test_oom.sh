#!/bin/bash
# A container that exceeds its memory limit (16Mi) is OOM-killed and shown
# as terminated, reason OOMKilled, exit code 137; other pods run on.
. "$(dirname "$0")/lib.sh"

oom_yaml() {	# NAME POLICY
	cat <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $1
spec:
  restartPolicy: $2
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    imagePullPolicy: IfNotPresent
    resources:
      limits:
        memory: 16Mi
    command:
    - sh
    - -c
    - |
      echo filling
      x=\$(head -c 64000000 /dev/zero | tr '\0' a)
      echo survived \${#x}
      sleep 100
EOF
}

case_oom() {
	pod_yaml bystander 'trap "exit 0" TERM; while :; do sleep 1 & wait $!; done' | put_manifest bystander.yaml
	wait_for '[ "$(pod_phase bystander)" = Running ]' 10 "bystander Running" || return 1
	local bpid
	bpid=$(workload_pid bystander)
	oom_yaml hog Never | put_manifest hog.yaml
	wait_for '[ "$(pod_phase hog)" = Failed ]' 30 "hog Failed" || return 1
	assert_eq "$(pod_cstate hog)" terminated:OOMKilled "container state" || return 1
	assert_eq "$(pj hog 'c0["state"]["terminated"]["exitCode"]')" 137 "exitCode" || return 1
	assert_eq "$(pod_status_col hog)" OOMKilled "STATUS column" || return 1
	pctl logs hog | grep -q survived && { fail "hog survived its limit"; return 1; }
	assert_eq "$(workload_pid bystander)" "$bpid" "bystander's workload" || return 1
	rm_manifest hog.yaml
	wait_for 'pod_gone hog' 10 "hog gone" || return 1
}

case_oom_always() {
	# With Always it is restarted; lastState keeps the OOMKilled record.
	oom_yaml hog2 Always | put_manifest hog2.yaml
	wait_for '[ "$(pod_restarts hog2)" -ge 1 ]' 30 "hog2 restarted" || return 1
	wait_for '[ "$(pj hog2 "c0[\"lastState\"][\"terminated\"][\"reason\"]")" = OOMKilled ]' 5 \
	    "lastState.terminated.reason OOMKilled" || return 1
	rm_manifest hog2.yaml
	wait_for 'pod_gone hog2' 10 "hog2 gone" || return 1
}

import_busybox || { not_ok "import busybox"; done_testing; }
start_picolet || { not_ok "picolet starts"; done_testing; }
run_case "memory limit exceeded: OOMKilled, exit 137" case_oom
run_case "OOMKilled with restartPolicy Always: lastState" case_oom_always
done_testing
