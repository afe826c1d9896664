#!/bin/bash
# The rest of the container spec, seen from inside the container:
#  - $(VAR) expansion in env values, command and args, against the
#    entries before it; $$ escapes; undefined and malformed references
#    stay as written (Kubernetes' rules);
#  - the downward API: fieldRef metadata.name/namespace/uid/labels['k']/
#    annotations['k'], spec.nodeName, status.hostIP/podIP (a veth
#    pair in the test's netns gives the node an address), and
#    resourceFieldRef limits/requests cpu/memory with divisors, the
#    node's allocatable when there is no limit;
#  - termination messages: the file at terminationMessagePath (default
#    /dev/termination-log) in state and lastState, FallbackToLogsOnError
#    only on failure, shown by describe;
#  - activeDeadlineSeconds: the pod Failed, reason DeadlineExceeded.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/jq.sh"

HOST_ADDR=10.213.0.5

# envval LOG NAME: NAME's value in the `env` output LOG.
envval() { printf '%s\n' "$1" | sed -n "s/^$2=//p"; }
check_env() {	# LOG NAME WANT
	local got
	got=$(envval "$1" "$2")
	assert_eq "$got" "$3" "\$$2" || return 1
}

case_expand() {
	cat <<'EOF' | put_manifest expand.yaml
apiVersion: v1
kind: Pod
metadata:
  name: expand
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    imagePullPolicy: IfNotPresent
    command: [sh, -c, 'echo "cmd=$(B) arg1=$1 arg2=$2 arg3=$3"; env; echo END; trap "exit 0" TERM; while :; do sleep 1 & wait $!; done']
    args: ["$(A)", "$(B)", "$$(B)", "$(NOPE)"]
    env:
    - {name: A, value: alpha}
    - {name: B, value: "$(A)-beta"}
    - {name: C, value: "$$(A)"}
    - {name: D, value: "$(UNDEFINED)"}
    - {name: E, value: "$(LATER)"}
    - {name: LATER, value: late}
    - {name: F, value: "$$$(A)"}
    - {name: G, value: "a$b $ c$"}
    - {name: H, value: "$(A"}
    - {name: I, value: "$$$$"}
    - {name: MYNAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
    - {name: J, value: "$(MYNAME).$(A)"}
    - {name: A, value: "$(A)-again"}
EOF
	wait_for 'pctl logs expand | grep -qx END' 15 "expand's env in its log" || return 1
	local log
	log=$(pctl logs expand)
	# command is expanded as well: "$(B)" there is alpha-beta; args
	# "$(A)" is $0 of sh -c.
	assert_contains "$log" 'cmd=alpha-beta arg1=alpha-beta arg2=$(B) arg3=$(NOPE)' \
	    "command and args expanded" || return 1
	check_env "$log" B alpha-beta || return 1
	check_env "$log" C '$(A)' || return 1
	check_env "$log" D '$(UNDEFINED)' || return 1
	check_env "$log" E '$(LATER)' || return 1
	check_env "$log" F '$alpha' || return 1
	check_env "$log" G 'a$b $ c$' || return 1
	check_env "$log" H '$(A' || return 1
	check_env "$log" I '$$' || return 1
	check_env "$log" J expand.alpha || return 1
	# A redefined: the later entry wins, expanded against the earlier.
	check_env "$log" A alpha-again || return 1
	gone expand
}

case_downward() {
	cat <<'EOF' | put_manifest down.yaml
apiVersion: v1
kind: Pod
metadata:
  name: down
  namespace: default
  labels:
    app: web
    tier: front
  annotations:
    note: "hello world"
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    imagePullPolicy: IfNotPresent
    command: [sh, -c, 'env; echo END; trap "exit 0" TERM; while :; do sleep 1 & wait $!; done']
    resources:
      limits: {cpu: 500m, memory: 64Mi}
      requests: {cpu: 250m, memory: 32Mi}
    env:
    - {name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
    - {name: POD_NS, valueFrom: {fieldRef: {fieldPath: metadata.namespace}}}
    - {name: POD_UID, valueFrom: {fieldRef: {fieldPath: metadata.uid}}}
    - {name: APP, valueFrom: {fieldRef: {fieldPath: "metadata.labels['app']"}}}
    - {name: NOLABEL, valueFrom: {fieldRef: {fieldPath: "metadata.labels['nope']"}}}
    - {name: NOTE, valueFrom: {fieldRef: {fieldPath: "metadata.annotations['note']"}}}
    - {name: NODE, valueFrom: {fieldRef: {fieldPath: spec.nodeName}}}
    - {name: HOST_IP, valueFrom: {fieldRef: {fieldPath: status.hostIP}}}
    - {name: POD_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}
    - {name: CPU_LIM, valueFrom: {resourceFieldRef: {resource: limits.cpu}}}
    - {name: CPU_LIM_M, valueFrom: {resourceFieldRef: {resource: limits.cpu, divisor: 1m}}}
    - {name: CPU_REQ_M, valueFrom: {resourceFieldRef: {resource: requests.cpu, divisor: 1m}}}
    - {name: MEM_LIM, valueFrom: {resourceFieldRef: {resource: limits.memory}}}
    - {name: MEM_LIM_MI, valueFrom: {resourceFieldRef: {resource: limits.memory, divisor: 1Mi}}}
    - {name: MEM_REQ_MI, valueFrom: {resourceFieldRef: {resource: requests.memory, divisor: 1Mi}}}
    - {name: OTHER_CPU, valueFrom: {resourceFieldRef: {containerName: free, resource: limits.cpu}}}
    - {name: REF, value: "$(POD_NAME)@$(NODE)"}
  - name: free
    image: busybox
    imagePullPolicy: IfNotPresent
    command: [sh, -c, 'env; echo END; trap "exit 0" TERM; while :; do sleep 1 & wait $!; done']
    env:
    - {name: CPU_LIM, valueFrom: {resourceFieldRef: {resource: limits.cpu}}}
    - {name: MEM_LIM, valueFrom: {resourceFieldRef: {resource: limits.memory}}}
    - {name: MEM_REQ, valueFrom: {resourceFieldRef: {resource: requests.memory}}}
EOF
	wait_for 'pctl logs down -c main | grep -qx END && pctl logs down -c free | grep -qx END' 15 \
	    "down's env in its logs" || return 1
	local log uid node pip
	log=$(pctl logs down -c main)
	uid=$(pjq down .metadata.uid)
	node=$(pjq down .spec.nodeName)
	pip=$(pjq down '.status.podIP // ""')
	check_env "$log" POD_NAME down || return 1
	check_env "$log" POD_NS default || return 1
	check_env "$log" POD_UID "$uid" || return 1
	[ -n "$uid" ] || fail "no uid" || return 1
	check_env "$log" APP web || return 1
	check_env "$log" NOLABEL "" || return 1
	printf '%s\n' "$log" | grep -qx 'NOLABEL=' || fail "NOLABEL not set (empty)" || return 1
	check_env "$log" NOTE "hello world" || return 1
	check_env "$log" NODE "$node" || return 1
	[ -n "$node" ] || fail "no spec.nodeName" || return 1
	check_env "$log" HOST_IP "$HOST_ADDR" || return 1
	assert_eq "$(pjq down .status.hostIP)" "$HOST_ADDR" "status.hostIP" || return 1
	check_env "$log" POD_IP "$pip" || return 1
	check_env "$log" CPU_LIM 1 || return 1
	check_env "$log" CPU_LIM_M 500 || return 1
	check_env "$log" CPU_REQ_M 250 || return 1
	check_env "$log" MEM_LIM 67108864 || return 1
	check_env "$log" MEM_LIM_MI 64 || return 1
	check_env "$log" MEM_REQ_MI 32 || return 1
	check_env "$log" OTHER_CPU "$(nproc)" || return 1
	check_env "$log" REF "down@$node" || return 1
	# No limits: the node's allocatable (all of it here); no request:
	# 0, as the downward API gives when neither is set.
	log=$(pctl logs down -c free)
	check_env "$log" CPU_LIM "$(nproc)" || return 1
	check_env "$log" MEM_LIM "$(($(awk '/^MemTotal:/ { print $2 }' /proc/meminfo) * 1024))" || return 1
	check_env "$log" MEM_REQ 0 || return 1
	gone down
}

case_downward_hostnet() {
	cat <<'EOF' | put_manifest hnet.yaml
apiVersion: v1
kind: Pod
metadata:
  name: hnet
spec:
  hostNetwork: true
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    imagePullPolicy: IfNotPresent
    command: [sh, -c, 'env; echo END; trap "exit 0" TERM; while :; do sleep 1 & wait $!; done']
    env:
    - {name: HOST_IP, valueFrom: {fieldRef: {fieldPath: status.hostIP}}}
    - {name: POD_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}
EOF
	wait_for 'pctl logs hnet | grep -qx END' 15 "hnet's env in its log" || return 1
	local log
	log=$(pctl logs hnet)
	check_env "$log" HOST_IP "$HOST_ADDR" || return 1
	check_env "$log" POD_IP "$HOST_ADDR" || return 1
	assert_eq "$(pjq hnet .status.podIP)" "$HOST_ADDR" "status.podIP of a hostNetwork pod" || return 1
	gone hnet
}

# tpod NAME POLICY SCRIPT [container fields]
tpod() {
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
    command:
    - sh
    - -c
    - |
$(printf '%s\n' "$3" | sed 's/^/      /')
$(printf '%s\n' "${4:-}" | sed 's/^/    /')
EOF
}

case_termination_message() {
	tpod tdef Never "echo to the log
printf 'all done' >/dev/termination-log
exit 3" | put_manifest tdef.yaml
	tpod tpath Never "echo custom >/tmp/my-msg" 'terminationMessagePath: /tmp/my-msg' |
	    put_manifest tpath.yaml
	tpod tfall Never "echo line1; echo line2; exit 5" \
	    'terminationMessagePolicy: FallbackToLogsOnError' | put_manifest tfall.yaml
	tpod tfall0 Never "echo fine" \
	    'terminationMessagePolicy: FallbackToLogsOnError' | put_manifest tfall0.yaml
	tpod tfile Never "echo noise; echo from-file >/dev/termination-log; exit 1" \
	    'terminationMessagePolicy: FallbackToLogsOnError' | put_manifest tfile.yaml
	tpod tnolog Never "echo only-in-log; exit 1" | put_manifest tnolog.yaml
	local p
	for p in tdef tpath tfall tfall0 tfile tnolog; do
		wait_for '[ "$(pjq $p ".status.containerStatuses[0].state | keys[0]")" = terminated ]' 15 \
		    "$p terminated" || return 1
	done
	local m='.status.containerStatuses[0].state.terminated.message // "<none>"'
	assert_eq "$(pjq tdef "$m")" "all done" "message from /dev/termination-log" || return 1
	assert_eq "$(pjq tdef '.status.containerStatuses[0].state.terminated.exitCode')" 3 "exit code" || return 1
	assert_eq "$(pjq tpath "$m")" "custom" "message from terminationMessagePath" || return 1
	assert_eq "$(pjq tfall "$m")" $'line1\nline2' "FallbackToLogsOnError, failed" || return 1
	assert_eq "$(pjq tfall0 "$m")" "<none>" "FallbackToLogsOnError, succeeded" || return 1
	assert_eq "$(pjq tfile "$m")" "from-file" "FallbackToLogsOnError, the file wins" || return 1
	assert_eq "$(pjq tnolog "$m")" "<none>" "policy File, no file: no message" || return 1
	assert_contains "$(pctl describe pod tdef)" "all done" "describe shows the message" || return 1
	gone tdef tpath tfall tfall0 tfile tnolog
}

case_last_state_message() {
	# ("$$" would be "$": command is expanded, as in Kubernetes.)
	tpod tlast Always 'echo "run two" >/dev/termination-log
sleep 1
exit 2' | put_manifest tlast.yaml
	tpod tlastfb Always 'echo "from the log"
sleep 1
exit 4' 'terminationMessagePolicy: FallbackToLogsOnError' | put_manifest tlastfb.yaml
	wait_for '[ "$(pjq tlast ".status.containerStatuses[0].restartCount")" -ge 1 ]' 20 \
	    "tlast restarted" || return 1
	wait_for '[ "$(pjq tlastfb ".status.containerStatuses[0].restartCount")" -ge 1 ]' 20 \
	    "tlastfb restarted" || return 1
	local l='.status.containerStatuses[0].lastState.terminated'
	assert_eq "$(pjq tlast "$l.message")" "run two" "lastState.terminated.message" || return 1
	assert_eq "$(pjq tlast "$l.exitCode")" 2 "lastState exit code" || return 1
	assert_eq "$(pjq tlastfb "$l.message")" "from the log" \
	    "lastState.terminated.message, FallbackToLogsOnError" || return 1
	assert_eq "$(pjq tlastfb "$l.exitCode")" 4 "lastState exit code" || return 1
	local d
	d=$(pctl describe pod tlast)
	assert_match "$d" 'Last State:[^'$'\n'']*Terminated' "describe: Last State" || return 1
	assert_contains "$d" "run two" "describe: the last message" || return 1
	gone tlast tlastfb
}

case_deadline() {
	local t0 t1
	tpod late Always 'trap "exit 0" TERM
while :; do sleep 1 & wait $!; done' | sed 's/^spec:$/spec:\n  activeDeadlineSeconds: 4/' |
	    put_manifest late.yaml
	wait_for '[ "$(pjq late ".status.containerStatuses[0].state | keys[0]")" = running ]' 10 \
	    "late running" || return 1
	t0=$(now_ms)
	wait_for '[ "$(pjq late .status.phase)" = Failed ]' 15 "late Failed" || return 1
	t1=$(now_ms)
	note "late: Failed $((t1 - t0)) ms after running was seen (deadline 4 s)"
	assert_between $((t1 - t0)) 2500 8000 "deadline (ms)" || return 1
	assert_eq "$(pjq late .status.reason)" DeadlineExceeded "status.reason" || return 1
	wait_for '[ "$(pjq late ".status.containerStatuses[0].state | keys[0]")" = terminated ]' 10 \
	    "the container stopped" || return 1
	assert_contains "$(events late DeadlineExceeded)" "longer than the specified deadline" \
	    "DeadlineExceeded event" || return 1
	# Not restarted although restartPolicy is Always: 3 s to show it.
	sleep 3
	assert_eq "$(pjq late .status.containerStatuses[0].restartCount)" 0 "restartCount" || return 1
	assert_eq "$(pjq late '.status.containerStatuses[0].state | keys[0]')" terminated "still stopped" || return 1
	gone late
}

# The node's address: a veth pair inside the test's netns (no dummy
# module here), set up before picolet starts (it reads its addresses
# once); deleting the netns deletes it.
ip -n "$NETNS" link add pl-node0 type veth peer name pl-node1 &&
    ip -n "$NETNS" addr add "$HOST_ADDR/24" dev pl-node0 &&
    ip -n "$NETNS" link set pl-node0 up &&
    ip -n "$NETNS" link set pl-node1 up ||
    { not_ok "veth pair in $NETNS"; done_testing; }
import_busybox || { not_ok "import busybox"; done_testing; }
start_picolet || { not_ok "picolet starts"; done_testing; }
run_case "\$(VAR) expansion in env, command and args; \$\$ escapes" case_expand
run_case "downward API: fieldRef and resourceFieldRef" case_downward
run_case "downward API, hostNetwork: podIP is the host's" case_downward_hostnet
run_case "termination messages: path, FallbackToLogsOnError, describe" case_termination_message
run_case "termination message in lastState after a restart" case_last_state_message
run_case "activeDeadlineSeconds: Failed, DeadlineExceeded, not restarted" case_deadline
done_testing
