#!/bin/bash
# Bad manifests: each gets an error naming file:line:col (and the field
# path) in `picoctl status` and as an Event; picolet and the other pods run
# on untouched; a fixed file is picked up; a bad edit of a running pod's
# file keeps the pod as it was; the same pod in two files is an error for
# the later file.
. "$(dirname "$0")/lib.sh"

GOODPID=""

good_unchanged() {
	[ "$(pod_phase good)" = Running ] || fail "pod good is $(pod_phase good)" || return 1
	assert_eq "$(workload_pid good)" "$GOODPID" "good's workload pid" ||
	    { note "uid $(pod_uid good); run dirs: $(ls "$T/run/pods" | tr '\n' ' ')"; tail -n 5 "$T/picolet.log" | sed 's/^/#     /'; return 1; }
	assert_eq "$(pod_restarts good)" 0 "good's restartCount" || return 1
	alive "$PICOLET_PID" || fail "picolet died" || return 1
}

# expect_error ERE: wait until `picoctl status` shows a line matching ERE.
expect_error() {
	local re=$1
	if ! wait_for 'pctl status 2>&1 | grep -Eq -- "$re"' 5 "status error /$re/"; then
		pctl status 2>&1 | sed 's/^/#     /'
		return 1
	fi
	note "$(pctl status 2>&1 | grep -E -- "$1" | head -n 1)"
}

case_good() {
	pod_yaml good 'trap "exit 0" TERM; while :; do sleep 1 & wait $!; done' | put_manifest good.yaml
	wait_for '[ "$(pod_phase good)" = Running ] && [ -n "$(workload_pid good)" ]' 10 \
	    "good Running" || return 1
	GOODPID=$(workload_pid good)
}

case_malformed() {
	put_manifest bad-yaml.yaml <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: badyaml
spec:
  containers:
  - name: main
    image: [busybox
    command: ["sleep", "1"]
EOF
	expect_error 'bad-yaml\.yaml:(8|9|10):[0-9]+:' || return 1
	good_unchanged || return 1
	local ev
	ev=$(pctl get events 2>&1)
	assert_contains "$ev" bad-yaml.yaml "events" || return 1
}

case_wrong_type() {
	put_manifest wrong-type.yaml <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: wrongtype
spec:
  terminationGracePeriodSeconds: soon
  containers:
  - name: main
    image: busybox
    imagePullPolicy: IfNotPresent
    command: ["sleep", "1000"]
EOF
	expect_error 'wrong-type\.yaml:6:[0-9]+: spec\.terminationGracePeriodSeconds: ' || return 1
	put_manifest wrong-type2.yaml <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: wrongtype2
spec:
  containers:
  - name: main
    image: busybox
    command: sleep
EOF
	expect_error 'wrong-type2\.yaml:9:[0-9]+: spec\.containers\[0\]\.command: ' || return 1
	good_unchanged || return 1
	pod_exists wrongtype && { fail "pod wrongtype exists"; return 1; }
	return 0
}

case_missing() {
	put_manifest no-image.yaml <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: noimage
spec:
  containers:
  - name: main
    command: ["sleep", "1000"]
EOF
	expect_error 'no-image\.yaml:7:[0-9]+: spec\.containers\[0\](\.image)?: ' || return 1
	put_manifest no-name.yaml <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  labels: {a: b}
spec:
  containers:
  - name: main
    image: busybox
    imagePullPolicy: IfNotPresent
EOF
	expect_error 'no-name\.yaml:[0-9]+:[0-9]+: metadata(\.name)?: ' || return 1
	put_manifest no-containers.yaml <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: nocontainers
spec:
  restartPolicy: Never
EOF
	expect_error 'no-containers\.yaml:[0-9]+:[0-9]+: spec(\.containers)?: ' || return 1
	good_unchanged || return 1
}

case_invalid_names() {
	put_manifest bad-name.yaml <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: Bad_Name
spec:
  containers:
  - name: main
    image: busybox
    imagePullPolicy: IfNotPresent
EOF
	expect_error 'bad-name\.yaml:4:[0-9]+: metadata\.name: ' || return 1
	put_manifest bad-cname.yaml <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: badcname
spec:
  containers:
  - name: -main-
    image: busybox
    imagePullPolicy: IfNotPresent
EOF
	expect_error 'bad-cname\.yaml:7:[0-9]+: spec\.containers\[0\]\.name: ' || return 1
	good_unchanged || return 1
}

case_dup_containers() {
	put_manifest dup.yaml <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: dupc
spec:
  containers:
  - name: main
    image: busybox
    command: ["sleep", "1000"]
  - name: main
    image: busybox
    command: ["sleep", "1000"]
EOF
	expect_error 'dup\.yaml:10:[0-9]+: spec\.containers\[1\]\.name: ' || return 1
	good_unchanged || return 1
	pod_exists dupc && { fail "pod dupc exists"; return 1; }
	return 0
}

case_huge() {
	{
		pod_yaml huge 'sleep 1000'
		python3 -c 'import sys; sys.stdout.write(("# " + "x" * 1000 + "\n") * 4400)'
	} | put_manifest huge.yaml
	expect_error 'huge\.yaml:[0-9]+' || return 1
	note "$(pctl status 2>&1 | grep huge.yaml)"
	good_unchanged || return 1
	pod_exists huge && { fail "pod from a file over 4 MiB exists"; return 1; }
	return 0
}

case_garbage() {
	python3 -c '
import random, sys
r = random.Random(2)
sys.stdout.buffer.write(bytes(r.randrange(256) for _ in range(8192)))' | put_manifest garbage.yaml
	expect_error 'garbage\.yaml:[0-9]+' || return 1
	printf '\0\0\0\0apiVersion: v1\n' | put_manifest nul.yaml
	expect_error 'nul\.yaml:[0-9]+' || return 1
	good_unchanged || return 1
	http_get /healthz >/dev/null || fail "/healthz after garbage" || return 1
}

case_fixed_later() {
	pod_yaml badyaml 'trap "exit 0" TERM; while :; do sleep 1 & wait $!; done' |
	    put_manifest bad-yaml.yaml
	wait_for '[ "$(pod_phase badyaml)" = Running ]' 10 "badyaml Running once fixed" || return 1
	wait_for '! pctl status 2>&1 | grep -q "bad-yaml\.yaml:"' 5 "bad-yaml.yaml's error cleared" || return 1
	good_unchanged || return 1
}

bad_edits() {	# GOOD-CONTENT
	printf '%s\n' "$1" | sed 's/^    image: busybox$/    image: [busybox/' | put_manifest good.yaml
	expect_error 'good\.yaml:[0-9]+:[0-9]+:' || return 1
	good_unchanged || return 1
	# A valid edit that is not valid Kubernetes: same.
	printf '%s\n' "$1" | sed 's/^  restartPolicy: Always$/  restartPolicy: Sometimes/' | put_manifest good.yaml
	expect_error 'good\.yaml:[0-9]+:[0-9]+: spec\.restartPolicy: ' || return 1
	good_unchanged || return 1
}

case_bad_edit_keeps_pod() {
	local good rc=0
	good=$(cat "$T/manifests/good.yaml")
	bad_edits "$good" || rc=1
	# Back to the last good version (always, so later cases start clean):
	# no error, and no restart either.
	printf '%s\n' "$good" | put_manifest good.yaml
	wait_for '! pctl status 2>&1 | grep -q "good\.yaml:"' 5 "good.yaml's error cleared" || return 1
	good_unchanged || return 1
	return $rc
}

case_same_pod_two_files() {
	cp "$T/manifests/good.yaml" "$T/manifests/.x" && mv "$T/manifests/.x" "$T/manifests/good-copy.yaml"
	expect_error 'good-copy\.yaml:[0-9]+:[0-9]+:' || return 1
	pctl status 2>&1 | grep -q 'good\.yaml:' && { fail "error reported for the first file"; return 1; }
	good_unchanged || return 1
	rm_manifest good-copy.yaml
	wait_for '! pctl status 2>&1 | grep -q "good-copy\.yaml:"' 5 "good-copy.yaml's error cleared" || return 1
	good_unchanged || return 1
}

case_unknown_kind() {
	put_manifest thing.yaml <<'EOF'
apiVersion: example.com/v1
kind: Frobnicator
metadata:
  name: thing
EOF
	# A warning at most: give it a moment, then everything is as before.
	sleep 0.5
	good_unchanged || return 1
	pod_exists thing && { fail "a pod from an unknown kind"; return 1; }
	return 0
}

case_unknown_field() {
	put_manifest unknown-field.yaml <<'EOF2'
apiVersion: v1
kind: Pod
metadata:
  name: unknownfield
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    bogusField: 1
    image: busybox
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1 & wait $!; done"]
EOF2
	wait_for '[ "$(pod_phase unknownfield)" = Running ]' 10 "unknownfield Running (a warning only)" || return 1
	expect_error 'unknown-field\.yaml:9:[0-9]+: spec\.containers\[0\]\.bogusField: ' || return 1
	good_unchanged || return 1
	rm_manifest unknown-field.yaml
	wait_for 'pod_gone unknownfield' 10 "unknownfield gone" || return 1
}

import_busybox || { not_ok "import busybox"; done_testing; }
start_picolet || { not_ok "picolet starts"; done_testing; }
run_case "pod good running" case_good
run_case "malformed YAML: error with file:line, event" case_malformed
run_case "wrong types: error with file:line and path" case_wrong_type
run_case "missing required fields" case_missing
run_case "invalid names" case_invalid_names
run_case "duplicate container names" case_dup_containers
run_case "file over 4 MiB" case_huge
run_case "binary garbage" case_garbage
run_case "bad file fixed later is picked up" case_fixed_later
run_case "bad edit of a running pod's file keeps the pod" case_bad_edit_keeps_pod
run_case "same pod in two files: error for the later one" case_same_pod_two_files
run_case "unknown kind: warning only" case_unknown_kind
run_case "unknown field: a warning with file:line, the pod runs" case_unknown_field
done_testing
