#!/bin/bash
# A pod from a manifest runs within seconds, as PID 1 of its own pid
# namespace, with its logs readable; deleting the file stops it and removes
# everything it made (run dir, cgroups, mounts, namespace files, processes).
# Also: .yml and .json manifests, multi-document files, ignored dotfiles and
# editor temporaries.
. "$(dirname "$0")/lib.sh"

# A workload that exits at once on SIGTERM, so deletion is quick.
TRAPPER='trap "exit 0" TERM
echo "hello from $(hostname)"
while :; do sleep 1 & wait $!; done'

case_runs() {
	local t0 t1 pid s
	t0=$(now_ms)
	pod_yaml web "$TRAPPER" | put_manifest web.yaml
	wait_for '[ "$(pod_phase web)" = Running ]' 10 "pod web Running" || return 1
	t1=$(now_ms)
	note "web Running $((t1 - t0)) ms after the manifest landed"
	[ $((t1 - t0)) -lt 5000 ] || fail "took $((t1 - t0)) ms to run (want < 5 s)" || return 1
	local table
	table=$(pctl get pods)
	note "$(printf '%s\n' "$table" | head -n 3)"
	assert_match "$(printf '%s\n' "$table" | head -n 1)" \
	    '^NAME +READY +STATUS +RESTARTS +AGE' "get pods header" || return 1
	assert_match "$(printf '%s\n' "$table" | grep '^web ')" \
	    '^web +1/1 +Running +0 +[0-9]+[smhd]' "get pods row" || return 1
	assert_eq "$(pj web 'c0["ready"]')" true "containerStatuses[0].ready" || return 1
	assert_eq "$(pj web 'c0["restartCount"]')" 0 "restartCount" || return 1
	assert_match "$(pod_uid web)" '^[0-9a-f-]{8,}$' "metadata.uid" || return 1
	wait_for '[ -n "$(workload_pid web)" ]' 5 "the workload process" || return 1
	pid=$(workload_pid web)
	s=$(shim_pid web)
	note "shim $s, workload $pid"
	assert_eq "$(nspid "$pid")" 1 "workload's pid inside its pid namespace" || return 1
	assert_ne "$(readlink /proc/$pid/ns/pid)" "$(readlink /proc/$s/ns/pid)" \
	    "workload has a pid namespace of its own" || return 1
	assert_ne "$(readlink /proc/$pid/ns/mnt)" "$(readlink /proc/self/ns/mnt)" \
	    "workload has a mount namespace of its own" || return 1
	assert_ne "$(readlink /proc/$pid/ns/net)" "$(readlink /proc/self/ns/net)" \
	    "workload is not in the host network namespace" || return 1
	assert_ne "$(readlink /proc/$pid/ns/uts)" "$(readlink /proc/self/ns/uts)" \
	    "workload has a UTS namespace of its own" || return 1
	assert_eq "$(cat /proc/$pid/root/etc/hostname 2>/dev/null | tr -d '\n')" web \
	    "/etc/hostname in the container" || return 1
}

case_logs() {
	wait_for 'pctl logs web | grep -qx "hello from web"' 5 \
	    "'hello from web' in picoctl logs" || return 1
	local uid f
	uid=$(pod_uid web)
	f=$T/logs/default_web_$uid/main/0.log
	[ -f "$f" ] || fail "no log file $f" || return 1
	assert_match "$(head -n 1 "$f")" \
	    '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+(Z|[+-][0-9]{2}:[0-9]{2}) stdout F hello from web$' \
	    "CRI log line" || return 1
}

case_status() {
	local s
	s=$(pctl status) || fail "picoctl status failed" || return 1
	note "$(printf '%s\n' "$s" | head -n 12)"
	assert_match "$s" '0\.1\.0' "status shows the version" || return 1
	assert_match "$s" '(v1|v2|hybrid)' "status shows the cgroup mode" || return 1
	assert_match "$s" 'Running' "status counts pods by phase" || return 1
}

case_delete() {
	local uid pid s t0 t1
	uid=$(pod_uid web)
	pid=$(workload_pid web)
	s=$(shim_pid web)
	[ -n "$uid" ] && [ -n "$pid" ] || fail "pod web is not running" || return 1
	t0=$(now_ms)
	rm_manifest web.yaml
	wait_for 'pod_gone web' 10 "pod web gone" || return 1
	t1=$(now_ms)
	note "web gone $((t1 - t0)) ms after the file was removed"
	wait_for '! alive "$pid" && ! alive "$s"' 5 "workload and shim gone" || return 1
	wait_for '[ ! -e "$T/run/pods/$uid" ]' 5 "run dir removed" || return 1
	wait_for '[ -z "$(mounts_with "$uid")" ]' 5 "mounts of the pod removed" ||
	    { mounts_with "$uid" | sed 's/^/#     /'; return 1; }
	wait_for '[ -z "$(cgroups_with "$uid")" ]' 5 "cgroups of the pod removed" ||
	    { cgroups_with "$uid" | sed 's/^/#     /'; return 1; }
	local left
	left=$(find "$T/run" "$T/state" -name "*$uid*" 2>/dev/null)
	[ -z "$left" ] || fail "files named after the pod remain: $left" || return 1
}

case_yml_json_multidoc() {
	cat <<EOF | put_manifest two.yml
# two pods in one file
$(pod_yaml one "$TRAPPER")
---
$(pod_yaml two "$TRAPPER")
EOF
	cat <<'EOF' | put_manifest three.json
{"apiVersion": "v1", "kind": "Pod",
 "metadata": {"name": "three"},
 "spec": {"terminationGracePeriodSeconds": 2,
  "containers": [{"name": "main", "image": "busybox", "imagePullPolicy": "IfNotPresent",
   "command": ["sh", "-c", "trap 'exit 0' TERM; while :; do sleep 1 & wait $!; done"]}]}}
EOF
	wait_for '[ "$(pod_phase one)" = Running ] && [ "$(pod_phase two)" = Running ] &&
	    [ "$(pod_phase three)" = Running ]' 10 "one, two, three Running" || return 1
	rm_manifest two.yml
	wait_for 'pod_gone one && pod_gone two' 10 "one and two gone" || return 1
	[ "$(pod_phase three)" = Running ] || fail "three stopped with two.yml" || return 1
	rm_manifest three.json
	wait_for 'pod_gone three' 10 "three gone" || return 1
}

case_ignored_files() {
	pod_yaml dot "$TRAPPER" >"$T/manifests/.hidden.yaml"
	pod_yaml tilde "$TRAPPER" >"$T/manifests/tilde.yaml~"
	pod_yaml swp "$TRAPPER" >"$T/manifests/.tilde.yaml.swp"
	pod_yaml txt "$TRAPPER" >"$T/manifests/notes.txt"
	# A good pod written after them: once it runs, the others were seen.
	pod_yaml marker "$TRAPPER" | put_manifest marker.yaml
	wait_for '[ "$(pod_phase marker)" = Running ]' 10 "marker Running" || return 1
	local names
	names=$(pod_names)
	assert_eq "$names" marker "pods from dotfiles, editor files and .txt" || return 1
	rm -f "$T/manifests/.hidden.yaml" "$T/manifests/tilde.yaml~" \
	    "$T/manifests/.tilde.yaml.swp" "$T/manifests/notes.txt"
	rm_manifest marker.yaml
	wait_for 'pod_gone marker' 10 "marker gone" || return 1
}

case_move_in_out() {
	# A file moved in from elsewhere is an add; moved out, a delete.
	pod_yaml moved "$TRAPPER" >"$T/moved.yaml"
	mv "$T/moved.yaml" "$T/manifests/moved.yaml"
	wait_for '[ "$(pod_phase moved)" = Running ]' 10 "moved Running" || return 1
	mv "$T/manifests/moved.yaml" "$T/moved.yaml"
	wait_for 'pod_gone moved' 10 "moved gone once its file moved out" || return 1
}

case_still_up() {
	alive "$PICOLET_PID" || fail "picolet died" || return 1
	http_get /healthz >/dev/null || fail "/healthz" || return 1
}

import_busybox || { not_ok "import busybox"; done_testing; }
start_picolet || { not_ok "picolet starts"; done_testing; }
run_case "pod from a manifest runs within seconds as PID 1" case_runs
run_case "logs of a running pod" case_logs
run_case "picoctl status" case_status
run_case "deleting the file removes the pod and all it made" case_delete
run_case ".yml, .json and multi-document manifests" case_yml_json_multidoc
run_case "dotfiles, editor temporaries and other names ignored" case_ignored_files
run_case "file moved into and out of the directory" case_move_in_out
run_case "picolet still up" case_still_up
stop_picolet
assert_eq "$PICOLET_RC" 0 "picolet exit status after SIGTERM" &&
    ok "picolet exits 0 on SIGTERM" || not_ok "picolet exits 0 on SIGTERM"
done_testing
