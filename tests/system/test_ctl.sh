#!/bin/bash
# picoctl as a user meets it: namespaces (-n, -A), output formats (wide,
# json, yaml, name), label selectors, describe, events, the socket from
# PICOLET_SOCKET, errors for unknown pods.
. "$(dirname "$0")/lib.sh"

IDLE='trap "exit 0" TERM; while :; do sleep 1 & wait $!; done'

case_pods() {
	pod_yaml web "$IDLE" | put_manifest web.yaml
	pod_yaml db "$IDLE" | sed 's/^  name: db$/  name: db\n  namespace: backend/' | put_manifest db.yaml
	wait_for '[ "$(pod_phase web)" = Running ] && [ "$(pod_phase db backend)" = Running ]' 10 \
	    "web and backend/db Running" || return 1
}

case_namespaces() {
	local out
	out=$(pctl get pods)
	assert_contains "$out" web "get pods (default)" || return 1
	assert_not_contains "$out" db "get pods (default)" || return 1
	out=$(pctl get pods -n backend)
	assert_match "$(printf '%s\n' "$out" | sed -n 2p)" '^db +1/1 +Running' "get pods -n backend" || return 1
	out=$(pctl get pods -A)
	assert_match "$(printf '%s\n' "$out" | head -n 1)" '^NAMESPACE +NAME +READY +STATUS +RESTARTS +AGE' \
	    "get pods -A header" || return 1
	assert_match "$out" 'backend +db +1/1 +Running' "get pods -A row" || return 1
	assert_match "$out" 'default +web +1/1 +Running' "get pods -A row" || return 1
	if pctl get pods nosuch >/dev/null 2>&1; then
		fail "get pods nosuch succeeded"
		return 1
	fi
	out=$(pctl get pods nosuch 2>&1)
	assert_match "$out" 'not found|NotFound' "error for an unknown pod" || return 1
}

case_formats() {
	local out
	out=$(pctl get pods web -o wide)
	assert_match "$(printf '%s\n' "$out" | head -n 1)" '^NAME +READY +STATUS +RESTARTS +AGE +IP +NODE' \
	    "-o wide header" || return 1
	out=$(pctl get pods -o name)
	assert_eq "$out" pod/web "-o name" || return 1
	out=$(pctl get pods -A -o json)
	assert_match "$(printf '%s' "$out" | jeval 'd["kind"]')" '^(List|PodList)$' "-A -o json kind" || return 1
	assert_eq "$(printf '%s' "$out" | jeval '" ".join(sorted(i["metadata"]["namespace"] + "/" + i["metadata"]["name"] for i in d["items"]))')" \
	    "backend/db default/web" "-A -o json items" || return 1
	out=$(pctl get pods web -o json)
	assert_eq "$(printf '%s' "$out" | jeval 'd["kind"]')" Pod "-o json of one pod" || return 1
	out=$(pctl get pods web -o yaml)
	if python3 -c 'import yaml' 2>/dev/null; then
		assert_eq "$(printf '%s' "$out" | python3 -c 'import sys, yaml; d = yaml.safe_load(sys.stdin); print(d["kind"], d["metadata"]["name"], d["status"]["phase"])')" \
		    "Pod web Running" "-o yaml" || return 1
	else
		assert_match "$out" 'kind: Pod' "-o yaml" || return 1
	fi
	if pctl get pods -o bogus >/dev/null 2>&1; then
		fail "-o bogus accepted"
		return 1
	fi
}

case_selector() {
	assert_eq "$(pctl get pods -A -l app=db -o name 2>/dev/null)" pod/db "-A -l app=db" || return 1
	assert_eq "$(pctl get pods -l 'app!=web' -o name 2>/dev/null)" "" "-l app!=web" || return 1
	assert_eq "$(pctl get pods -l 'app in (web,x)' -o name 2>/dev/null)" pod/web "-l 'app in (web,x)'" || return 1
	assert_eq "$(pctl get pods -l app -o name 2>/dev/null)" pod/web "-l app (exists)" || return 1
}

case_describe() {
	local out
	out=$(pctl describe pod web) || fail "describe pod web" || return 1
	local want
	for want in 'Name: +web' 'Namespace: +default' 'Status: +Running' 'Containers:' \
	    'State: +Running' 'Ready: +True' 'Restart Count: +0' 'Conditions:' 'Events:' 'Started'; do
		[[ $out =~ $want ]] || fail "describe lacks /$want/:"$'\n'"$(printf '%s\n' "$out" | sed 's/^/#     /')" || return 1
	done
	pctl describe pod db -n backend | grep -Eq '^Namespace: +backend' ||
	    fail "describe pod db -n backend" || return 1
}

case_events() {
	local out
	out=$(pctl get events)
	assert_match "$(printf '%s\n' "$out" | head -n 1)" 'LAST SEEN +TYPE +REASON +OBJECT +MESSAGE' \
	    "get events header" || return 1
	assert_match "$out" 'Normal +Started +pod/web' "Started event of web" || return 1
	assert_not_contains "$out" pod/db "events of namespace default" || return 1
	out=$(pctl get events -A)
	assert_contains "$out" pod/db "get events -A" || return 1
}

case_socket_env() {
	local out
	out=$(PICOLET_SOCKET=$T/picolet.sock "$PICOLET_BIN/picoctl" get pods -o name) ||
	    fail "picoctl with PICOLET_SOCKET" || return 1
	assert_eq "$out" pod/web "PICOLET_SOCKET" || return 1
	out=$(PICOLET_SOCKET=$T/nope.sock "$PICOLET_BIN/picoctl" get pods 2>&1)
	[ $? != 0 ] || fail "picoctl succeeded with a bad socket" || return 1
	assert_contains "$out" "$T/nope.sock" "error names the socket" || return 1
}

case_images() {
	local out
	out=$(pctl images)
	assert_match "$(printf '%s\n' "$out" | head -n 1)" '^(REPOSITORY|IMAGE)' "images header" || return 1
	assert_contains "$out" busybox "images" || return 1
	out=$(pctl status)
	assert_match "$out" 'Running=2|Running: *2' "status: 2 running" || return 1
}

import_busybox || { not_ok "import busybox"; done_testing; }
start_picolet || { not_ok "picolet starts"; done_testing; }
run_case "pods in two namespaces" case_pods
run_case "get pods: -n, -A, unknown pod" case_namespaces
run_case "get pods -o wide|name|json|yaml" case_formats
run_case "get pods -l" case_selector
run_case "describe pod" case_describe
run_case "get events" case_events
run_case "PICOLET_SOCKET" case_socket_env
run_case "images, status" case_images
done_testing
