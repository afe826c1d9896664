#!/bin/bash
# Pods whose images come from a registry: Debian's docker-registry in the
# test's network namespace (where picolet runs), the busybox fixture
# pushed with skopeo.  A pod from the registry runs, with Pulling and
# Pulled events; an unreachable registry gives ErrImagePull then
# ImagePullBackOff (STATUS column, describe) and other pods run on; two
# pods of one new image make one pull; Always pulls again at a restart
# and so picks up a moved tag; Never with an absent image is
# ErrImageNeverPull and asks no registry; describe shows a pull's
# progress; picoctl image pull / rm / images; credentials from
# picolet.conf; image GC.  Skipped (ok, with a note)
# when docker-registry or skopeo is not installed.
# timeout: 240
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/registry.sh"

REG_RUN=(nsenter --net="/run/netns/$NETNS" --)
SLEEPER='trap "exit 0" TERM; while :; do sleep 1 & wait $!; done'

# pull_pod NAME IMAGE [pull policy] [script]: pod_yaml with the policy
# left to its Kubernetes default unless given
pull_pod() {
	local pol=${3:-}
	pod_yaml "$1" "${4:-$SLEEPER}" Always 1 "$2" X |
	    if [ -n "$pol" ]; then
		sed "s/^    imagePullPolicy: X\$/    imagePullPolicy: $pol/"
	    else
		grep -v '^    imagePullPolicy: X$'
	    fi
}

# pulls_started REF: how many pulls of REF picolet began (its log)
pulls_started() {
	grep -c "pull $1: started" "$T/picolet.log"
}

ev_for() {	# POD: the pod's events
	pctl get events 2>&1 | grep -F "pod/$1"
}

# slow_proxy PORT TO-PORT: a reverse proxy in front of the registry that
# hands out bodies 16 KiB every 50 ms, so a pull lasts long enough to be
# watched
slow_proxy() {
	cat >"$T/slow.py" <<'EOF'
import http.client, http.server, socketserver, sys, time
port, to = int(sys.argv[1]), int(sys.argv[2])
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def do_GET(self):
        c = http.client.HTTPConnection("127.0.0.1", to)
        hdrs = {k: v for k, v in self.headers.items() if k.lower() != "host"}
        c.request("GET", self.path, headers=hdrs)
        r = c.getresponse()
        body = r.read()
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() not in ("content-length", "connection", "transfer-encoding"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        for i in range(0, len(body), 16384):
            self.wfile.write(body[i:i + 16384])
            self.wfile.flush()
            time.sleep(0.05)
class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
S(("127.0.0.1", port), H).serve_forever()
EOF
	"${REG_RUN[@]}" python3 "$T/slow.py" "$1" "$2" >"$T/slow.log" 2>&1 &
	BG_PIDS+=($!)
	wait_for "reg_up $1" 10 "slow proxy"
}

# First, while the store has none of the image's blobs.
case_progress() {
	local sport seen=""
	sport=$(free_port)
	slow_proxy "$sport" "$PORT" || return 1
	pull_pod slow "127.0.0.1:$sport/busybox:1" | put_manifest slow.yaml
	for ((i = 0; i < 200; i++)); do
		seen=$(pctl describe pod slow 2>&1 | grep -E 'Message: +Pulling image ".*": [0-9.]+ [kM]?B of [0-9.]+ [kM]?B \([0-9]+%\)')
		[ -n "$seen" ] && break
		sleep 0.1
	done
	[ -n "$seen" ] || { pctl describe pod slow; grep -i pull "$T/picolet.log"; cat "$T/slow.log"; } | sed 's/^/#     /'
	[ -n "$seen" ] || fail "no pull progress in describe" || return 1
	note "$seen"
	assert_match "$(pod_status_col slow)" 'ContainerCreating' "STATUS while pulling" || return 1
	wait_for '[ "$(pod_phase slow)" = Running ]' 60 "slow Running" || return 1
	rm_manifest slow.yaml
	wait_for 'pod_gone slow' 10 "slow gone" || return 1
}

case_run() {
	pull_pod web "$REG/busybox:1" | put_manifest web.yaml
	wait_for '[ "$(pod_phase web)" = Running ]' 30 "web Running" || return 1
	local ev
	ev=$(ev_for web)
	note "$ev"
	assert_contains "$ev" "Pulling image \"$REG/busybox:1\"" "Pulling event" || return 1
	assert_match "$ev" "Successfully pulled image \"$REG/busybox:1\" in [0-9.]+m?s\. Image size: [0-9]+ bytes\." \
	    "Pulled event" || return 1
	assert_contains "$(pctl images 2>&1)" "$REG/busybox" "picoctl images" || return 1
	[ -z "$(find "$T/state/images/tmp" -mindepth 1 2>/dev/null)" ] ||
	    fail "leftovers in images/tmp: $(ls "$T/state/images/tmp")" || return 1
}

case_unreachable() {
	local seen_err=0 seen_bo=0 st i
	# port 1 on loopback: nothing listens, the connection is refused
	pull_pod lost "127.0.0.1:1/busybox:1" | put_manifest lost.yaml
	for ((i = 0; i < 300 && seen_bo == 0; i++)); do
		st=$(pod_status_col lost)
		[ "$st" = ErrImagePull ] && seen_err=1
		[ "$st" = ImagePullBackOff ] && seen_bo=1
		sleep 0.1
	done
	[ "$seen_err" = 1 ] || fail "STATUS was never ErrImagePull" || return 1
	[ "$seen_bo" = 1 ] || fail "STATUS was never ImagePullBackOff" || return 1
	assert_eq "$(pod_phase lost)" Pending "phase" || return 1
	local d
	d=$(pctl describe pod lost 2>&1)
	note "$(printf '%s\n' "$d" | grep -E 'Reason|Message|Failed|BackOff')"
	assert_match "$d" 'Reason: +ImagePullBackOff' "describe: reason" || return 1
	assert_contains "$d" 'Back-off pulling image "127.0.0.1:1/busybox:1"' "describe: message" || return 1
	assert_match "$d" 'Failed to pull image "127.0.0.1:1/busybox:1": .+' "describe: the registry's reason" || return 1
	assert_eq "$(pod_phase web)" Running "the other pod" || return 1
}

case_shared() {
	push "$REG/busybox:2" || return 1
	{ pull_pod twin-a "$REG/busybox:2"; echo ---; pull_pod twin-b "$REG/busybox:2"; } |
	    put_manifest twins.yaml
	wait_for '[ "$(pod_phase twin-a)" = Running ] && [ "$(pod_phase twin-b)" = Running ]' 30 \
	    "both twins Running" || return 1
	assert_eq "$(pulls_started "$REG/busybox:2")" 1 "pulls of busybox:2" || return 1
	assert_contains "$(ev_for twin-a)" Pulled "twin-a's Pulled event" || return 1
	assert_contains "$(ev_for twin-b)" Pulled "twin-b's Pulled event" || return 1
}

case_always() {
	local id1 id2 out
	push "$REG/busybox:latest" || return 1
	# a first restart comes at once, and with Always it pulls again
	pull_pod moving "$REG/busybox" | put_manifest moving.yaml
	wait_for '[ "$(pod_phase moving)" = Running ]' 30 "moving Running" || return 1
	assert_eq "$(pj moving 'd["spec"]["containers"][0]["imagePullPolicy"]')" Always \
	    "default policy of an untagged image" || return 1
	id1=$(pj moving 'c0["imageID"]')
	PUSH_SRC=$FIXTURES/layered-oci.tar push "$REG/busybox:latest" || return 1
	# PID 1 ends on TERM; its namespace's end may SIGKILL kill itself
	out=$(pctl exec moving -- kill 1 2>&1) || [[ $out == *"exit code 137"* ]] ||
	    fail "exec kill 1: $out" || return 1
	wait_for '[ "$(pod_restarts moving)" -ge 1 ] && [ "$(pod_cstate moving)" = running ]' 30 \
	    "moving restarted" || return 1
	id2=$(pj moving 'c0["imageID"]')
	note "imageID $id1 -> $id2"
	assert_ne "$id2" "$id1" "imageID after the tag moved" || return 1
	assert_eq "$(pulls_started "$REG/busybox:latest")" 2 "pulls of busybox:latest" || return 1
}

case_never() {
	pull_pod nopull "$REG/busybox:absent" Never | put_manifest nopull.yaml
	wait_for '[ "$(pod_status_col nopull)" = ErrImageNeverPull ]' 15 "ErrImageNeverPull" || return 1
	assert_eq "$(pulls_started "$REG/busybox:absent")" 0 "pulls for Never" || return 1
	# and an image that is there runs without asking
	pull_pod nopull2 "$REG/busybox:1" Never | put_manifest nopull2.yaml
	wait_for '[ "$(pod_phase nopull2)" = Running ]' 15 "nopull2 Running" || return 1
	assert_eq "$(pulls_started "$REG/busybox:1")" 1 "pulls of busybox:1" || return 1
}

case_cli() {
	local out rc
	# an image no pod runs (busybox:N all share one image ID)
	PUSH_SRC=$FIXTURES/evil-links-oci.tar push "$REG/busybox:3" || return 1
	out=$(pctl image pull "$REG/busybox:3" 2>&1)
	rc=$?
	note "$out"
	assert_eq "$rc" 0 "picoctl image pull exit status" || return 1
	assert_match "$out" "pulled $REG/busybox:3 \(sha256:[0-9a-f]{64}\)" "pull output" || return 1
	out=$(pctl image pull "$REG/busybox:nope" 2>&1)
	rc=$?
	note "$out"
	assert_ne "$rc" 0 "exit status of a pull of an unknown tag" || return 1
	assert_contains "$out" "manifest unknown" "the registry's reason" || return 1
	out=$(pctl images 2>&1)
	note "$out"
	assert_match "$(printf '%s\n' "$out" | head -n 1)" 'IMAGE +ID +SIZE +CREATED +LAST USED' "header" || return 1
	assert_match "$(printf '%s\n' "$out" | grep -F "$REG/busybox:1 ")" 'in use$' "busybox:1 in use" || return 1
	assert_match "$(printf '%s\n' "$out" | grep -F "$REG/busybox:3 ")" '<none>$' "busybox:3 never used" || return 1
	out=$(pctl image rm "$REG/busybox:1" 2>&1)
	rc=$?
	note "$out"
	assert_ne "$rc" 0 "exit status of rm of an image in use" || return 1
	assert_contains "$out" "in use by pod default/" "rm refused" || return 1
	out=$(pctl image rm "$REG/busybox:3" 2>&1) || fail "image rm: $out" || return 1
	assert_not_contains "$(pctl images 2>&1)" "$REG/busybox:3 " "images after rm" || return 1
	out=$(pctl image rm "$REG/busybox:nope" 2>&1)
	assert_contains "$out" "NotFound" "rm of an absent image" || return 1
}

# Credentials from picolet.conf: a registry with htpasswd basic auth
# refuses the pull until [registry.HOST] auth names a config.json.
case_auth() {
	local port d
	port=$(free_port)
	htpasswd -Bbn user pass >"$T/htpasswd" 2>/dev/null || fail "htpasswd" || return 1
	start_registry locked "$port" "auth:
  htpasswd:
    realm: picolet
    path: $T/htpasswd" || return 1
	push "127.0.0.1:$port/busybox:1" --dest-creds user:pass || return 1
	pull_pod locked "127.0.0.1:$port/busybox:1" | put_manifest locked.yaml
	wait_for '[[ "$(pod_status_col locked)" =~ ^(ErrImagePull|ImagePullBackOff)$ ]]' 15 \
	    "locked: the pull refused" || return 1
	d=$(pctl describe pod locked 2>&1)
	assert_match "$d" 'Failed to pull image .*unauthorized' "the registry's reason" || return 1
	printf '{"auths":{"127.0.0.1:%s":{"auth":"%s"}}}' "$port" \
	    "$(printf user:pass | base64)" >"$T/auth.json"
	stop_picolet
	printf '[registry.127.0.0.1:%s]\nauth = %s\n' "$port" "$T/auth.json" >>"$T/picolet.conf"
	start_picolet || return 1
	wait_for '[ "$(pod_phase locked)" = Running ]' 30 "locked Running with the credentials" || return 1
}

# imagePullSecrets: a kubernetes.io/dockerconfigjson Secret of the pod's
# namespace gives the credentials; a pod naming a Secret that is not there
# (or not of that type) pulls without them and is refused.  The password
# shows up in neither picolet's log nor its events.
case_pull_secret() {
	local port
	port=$(free_port)
	htpasswd -Bbn robot S3cretPw9 >"$T/htpasswd2" 2>/dev/null || fail "htpasswd" || return 1
	start_registry locked2 "$port" "auth:
  htpasswd:
    realm: picolet
    path: $T/htpasswd2" || return 1
	push "127.0.0.1:$port/busybox:1" --dest-creds robot:S3cretPw9 || return 1
	cat <<EOF | put_manifest regcred.yaml
apiVersion: v1
kind: Secret
metadata: {name: regcred}
type: kubernetes.io/dockerconfigjson
stringData:
  .dockerconfigjson: '{"auths":{"127.0.0.1:$port":{"username":"robot","password":"S3cretPw9"}}}'
---
apiVersion: v1
kind: Secret
metadata: {name: opaque}
stringData: {.dockerconfigjson: '{"auths":{"127.0.0.1:$port":{"username":"robot","password":"S3cretPw9"}}}'}
EOF
	pull_pod withsecret "127.0.0.1:$port/busybox:1" |
	    sed 's/^spec:$/spec:\n  imagePullSecrets: [{name: nosuch}, {name: regcred}]/' |
	    put_manifest withsecret.yaml
	# Always: once withsecret has the image, IfNotPresent would run it
	# without asking the registry (as kubelet does).
	pull_pod nosecret "127.0.0.1:$port/busybox:1" Always |
	    sed 's/^spec:$/spec:\n  imagePullSecrets: [{name: nosuch}, {name: opaque}]/' |
	    put_manifest nosecret.yaml
	wait_for '[ "$(pod_phase withsecret)" = Running ]' 30 \
	    "withsecret Running with the Secret's credentials" || return 1
	wait_for '[[ "$(pod_status_col nosecret)" =~ ^(ErrImagePull|ImagePullBackOff)$ ]]' 15 \
	    "nosecret: a missing and an Opaque Secret give no credentials" || return 1
	assert_match "$(pctl describe pod nosecret 2>&1)" 'unauthorized' "refused as unauthorized" || return 1
	if grep -q S3cretPw9 "$T/picolet.log" || pctl get events 2>&1 | grep -q S3cretPw9; then
		fail "the password is in picolet's log or events"
		return 1
	fi
	rm_manifest withsecret.yaml
	rm_manifest nosecret.yaml
	rm_manifest regcred.yaml
	wait_for 'pod_gone withsecret && pod_gone nosecret' 10 "pods gone" || return 1
}

# GC with thresholds any disk passes: unused images go, used ones stay.
case_gc() {
	local out id blob
	stop_picolet
	printf '[images]\ngc_high = 1\ngc_low = 0\ngc_min_age = 0\n' >>"$T/picolet.conf"
	start_picolet || return 1
	out=$(pctl image pull "$REG/busybox:3" 2>&1) || fail "pull: $out" || return 1
	wait_for 'pctl get events 2>&1 | grep -q ImageGC' 20 "an ImageGC event" || return 1
	note "$(pctl get events 2>&1 | grep -E 'ImageGC|FreeDiskSpace')"
	out=$(pctl images 2>&1)
	note "$out"
	assert_not_contains "$out" "$REG/busybox:3 " "the unused image" || return 1
	assert_contains "$out" "$REG/busybox:1 " "an image a pod runs" || return 1
	assert_contains "$out" "$REG/busybox:latest " "the image of an Always pod" || return 1
	# busybox:3's config blob (its own, no other image has it) is gone
	id=$("${REG_RUN[@]}" curl -s -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
	    "http://$REG/v2/busybox/manifests/3" | jeval 'd["config"]["digest"]')
	assert_match "$id" '^sha256:[0-9a-f]{64}$' "busybox:3's config digest" || return 1
	blob=$T/state/images/blobs/sha256/${id#sha256:}
	[ ! -e "$blob" ] || fail "busybox:3's config blob is still there" || return 1
	local p
	for p in web twin-a twin-b moving nopull2; do
		assert_eq "$(pod_phase $p)" Running "$p after GC" || return 1
	done
	# a pod started now still finds its image
	pull_pod after-gc "$REG/busybox:1" | put_manifest after-gc.yaml
	wait_for '[ "$(pod_phase after-gc)" = Running ]' 20 "after-gc Running" || return 1
}

if ! have_registry; then
	note "docker-registry or skopeo not installed: skipped"
	ok "skipped"
	done_testing
fi
PORT=$(free_port)
REG=127.0.0.1:$PORT
start_registry reg "$PORT" || { not_ok "registry starts"; done_testing; }
push "$REG/busybox:1" || { not_ok "push busybox:1"; done_testing; }
start_picolet || { not_ok "picolet starts"; done_testing; }
run_case "pull progress in describe while pulling" case_progress
run_case "pod from the registry: Running, Pulling and Pulled events" case_run
run_case "unreachable registry: ErrImagePull, ImagePullBackOff; others run" case_unreachable
run_case "two pods of one new image: one pull" case_shared
run_case "Always: a restart pulls again and gets the moved tag" case_always
run_case "Never: ErrImageNeverPull, no pull; present image runs" case_never
run_case "picoctl image pull, images (last used), image rm (not one in use)" case_cli
if command -v htpasswd >/dev/null; then
	run_case "registry credentials from picolet.conf ([registry.HOST] auth)" case_auth
	run_case "imagePullSecrets: a dockerconfigjson Secret's credentials" case_pull_secret
fi
run_case "image GC: above the high threshold, unused images go, used ones stay" case_gc
done_testing
