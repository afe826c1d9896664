#!/bin/bash
# ConfigMaps and Secrets from the manifest dir, seen from inside
# containers:
#  - env from configMapKeyRef / secretKeyRef (optional too) and envFrom
#    (prefix; invalid names skipped with an event);
#  - a missing object or key: CreateContainerConfigError naming it; the
#    container starts by itself once the object is dropped in;
#  - configMap and secret volumes: contents, items/mode/defaultMode,
#    read-only; an edited ConfigMap reaches the file within 2 s (the
#    ..data swap) with no restart and the env unchanged; a Secret volume
#    is a tmpfs and its value is never written under the state or log
#    dirs; downwardAPI and projected volumes; labels edited in place
#    reach the downward file;
#  - a missing ConfigMap for a volume: FailedMount, started once it is
#    there.
# timeout: 240
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/jq.sh"

running() { [ "$(pjq "$1" '.status.containerStatuses[0].state | keys[0]')" = running ]; }
waiting_reason() { pjq "$1" '.status.containerStatuses[0].state.waiting.reason'; }
# in POD CMD...: run CMD in the pod's container, print its output.
in_pod() { local p=$1; shift; pctl exec "$p" -- "$@" 2>&1; }
envval() { printf '%s\n' "$1" | sed -n "s/^$2=//p"; }

SLEEP='trap "exit 0" TERM; while :; do sleep 1 & wait $!; done'

case_env() {
	cat <<'EOF' | put_manifest cm.yaml
apiVersion: v1
kind: ConfigMap
metadata:
  name: app
data:
  color: blue
  size: "3"
  9lives: skipped
---
apiVersion: v1
kind: Secret
metadata:
  name: creds
type: Opaque
data:
  password: czNjcjN0LXB3   # s3cr3t-pw
stringData:
  user: admin
EOF
	cat <<EOF | put_manifest envpod.yaml
apiVersion: v1
kind: Pod
metadata:
  name: envpod
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    imagePullPolicy: IfNotPresent
    command: [sh, -c, 'env; echo END; $SLEEP']
    envFrom:
    - configMapRef: {name: app}
      prefix: CM_
    - secretRef: {name: creds}
    - configMapRef: {name: app}
    env:
    - {name: COLOR, valueFrom: {configMapKeyRef: {name: app, key: color}}}
    - {name: PASS, valueFrom: {secretKeyRef: {name: creds, key: password}}}
    - {name: OPT, valueFrom: {configMapKeyRef: {name: nope, key: x, optional: true}}}
    - {name: OPTKEY, valueFrom: {secretKeyRef: {name: creds, key: nokey, optional: true}}}
    - {name: CM_color, value: overridden}
EOF
	wait_for 'pctl logs envpod 2>/dev/null | grep -qx END' 20 "envpod's env in its log" || return 1
	local log
	log=$(pctl logs envpod)
	assert_eq "$(envval "$log" COLOR)" blue "configMapKeyRef" || return 1
	assert_eq "$(envval "$log" PASS)" s3cr3t-pw "secretKeyRef (base64 data)" || return 1
	assert_eq "$(envval "$log" user)" admin "envFrom secretRef (stringData)" || return 1
	assert_eq "$(envval "$log" password)" s3cr3t-pw "envFrom secretRef (data)" || return 1
	assert_eq "$(envval "$log" CM_size)" 3 "envFrom configMapRef with prefix" || return 1
	assert_eq "$(envval "$log" CM_color)" overridden "env overrides envFrom" || return 1
	assert_not_contains "$log" "OPT=" "optional missing ConfigMap: no variable" || return 1
	assert_not_contains "$log" "OPTKEY=" "optional missing key: no variable" || return 1
	assert_eq "$(envval "$log" CM_9lives)" skipped "a valid name with the prefix" || return 1
	assert_eq "$(envval "$log" color)" blue "envFrom without a prefix" || return 1
	assert_not_contains "$log" "
9lives=" "an invalid name skipped" || return 1
	assert_contains "$(events envpod InvalidEnvironmentVariableNames)" "9lives" \
	    "event for the skipped key" || return 1
	assert_not_contains "$(events envpod)" "s3cr3t" "no Secret value in events" || return 1
	gone envpod
}

case_missing() {
	cat <<EOF | put_manifest waiter.yaml
apiVersion: v1
kind: Pod
metadata:
  name: waiter
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    imagePullPolicy: IfNotPresent
    command: [sh, -c, 'echo "level=\$LEVEL"; $SLEEP']
    env:
    - {name: LEVEL, valueFrom: {configMapKeyRef: {name: later, key: level}}}
EOF
	wait_for '[ "$(waiting_reason waiter)" = CreateContainerConfigError ]' 15 \
	    "CreateContainerConfigError" || return 1
	assert_contains "$(pjq waiter '.status.containerStatuses[0].state.waiting.message')" \
	    'configmap "later" not found' "message names the ConfigMap" || return 1
	assert_eq "$(pod_status_col waiter)" CreateContainerConfigError "STATUS column" || return 1
	# The object without the key: the message names the key.
	printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: later}\ndata: {other: x}\n' |
	    put_manifest later.yaml
	wait_for 'pjq waiter ".status.containerStatuses[0].state.waiting.message" | grep -q "key level"' 10 \
	    "message names the missing key" || return 1
	local t0 t1
	t0=$(now_ms)
	printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: later}\ndata: {level: "7"}\n' |
	    put_manifest later.yaml
	wait_for 'running waiter' 10 "waiter runs once the key is there" || return 1
	t1=$(now_ms)
	note "started $((t1 - t0)) ms after the ConfigMap was complete"
	assert_between $((t1 - t0)) 0 5000 "started without waiting for a retry timer (ms)" || return 1
	wait_for 'pctl logs waiter | grep -qx level=7' 10 "LEVEL from the ConfigMap" || return 1
	assert_eq "$(pjq waiter .status.containerStatuses[0].restartCount)" 0 "no restart counted" || return 1
	gone waiter
	rm_manifest later.yaml
}

case_volumes() {
	cat <<'EOF' | put_manifest vcm.yaml
apiVersion: v1
kind: ConfigMap
metadata:
  name: web
data:
  index.html: "<h1>v1</h1>"
  app.conf: |
    mode=one
  other: x
---
apiVersion: v1
kind: Secret
metadata:
  name: tls
type: kubernetes.io/tls
stringData:
  tls.crt: CERT-TEXT-4711
  tls.key: KEY-TEXT-0815-topsecret
EOF
	cat <<EOF | put_manifest vol.yaml
apiVersion: v1
kind: Pod
metadata:
  name: vol
  labels: {app: vol, tier: one}
  annotations: {note: hi}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    imagePullPolicy: IfNotPresent
    command: [sh, -c, 'echo "start env=\$WEB_MODE"; $SLEEP']
    env:
    - {name: WEB_MODE, valueFrom: {configMapKeyRef: {name: web, key: app.conf}}}
    volumeMounts:
    - {name: all, mountPath: /cm}
    - {name: some, mountPath: /some}
    - {name: sec, mountPath: /sec}
    - {name: down, mountPath: /down}
    - {name: proj, mountPath: /proj}
    - {name: all, mountPath: /etc/app.conf, subPath: app.conf}
  volumes:
  - name: all
    configMap: {name: web}
  - name: some
    configMap:
      name: web
      defaultMode: 0600
      items:
      - {key: index.html, path: html/index.html}
      - {key: other, path: other.txt, mode: 0444}
  - name: sec
    secret: {secretName: tls, defaultMode: 0400}
  - name: down
    downwardAPI:
      items:
      - {path: name, fieldRef: {fieldPath: metadata.name}}
      - {path: labels, fieldRef: {fieldPath: metadata.labels}}
      - {path: tier, fieldRef: {fieldPath: "metadata.labels['tier']"}}
      - {path: uid, fieldRef: {fieldPath: metadata.uid}}
      - {path: meta/annotations, fieldRef: {fieldPath: metadata.annotations}}
  - name: proj
    projected:
      sources:
      - configMap: {name: web, items: [{key: other, path: cm-other}]}
      - secret: {name: tls, items: [{key: tls.crt, path: cert}]}
      - downwardAPI: {items: [{path: ns, fieldRef: {fieldPath: metadata.namespace}}]}
EOF
	wait_for 'running vol' 20 "vol running" || return 1
	assert_eq "$(in_pod vol cat /cm/index.html)" "<h1>v1</h1>" "configMap file" || return 1
	assert_eq "$(in_pod vol cat /etc/app.conf)" "mode=one" "subPath file" || return 1
	assert_eq "$(in_pod vol cat /some/html/index.html)" "<h1>v1</h1>" "items path" || return 1
	assert_eq "$(in_pod vol stat -L -c %a /some/html/index.html)" 600 "defaultMode" || return 1
	assert_eq "$(in_pod vol stat -L -c %a /some/other.txt)" 444 "items mode" || return 1
	assert_eq "$(in_pod vol sh -c 'ls /some | sort | tr "\n" " "')" "html other.txt " \
	    "only the items" || return 1
	assert_eq "$(in_pod vol readlink /cm/..data | cut -c1-2)" ".." "..data links a version dir" || return 1
	assert_eq "$(in_pod vol cat /sec/tls.key)" "KEY-TEXT-0815-topsecret" "secret file" || return 1
	assert_eq "$(in_pod vol stat -L -c %a /sec/tls.crt)" 400 "secret defaultMode" || return 1
	assert_match "$(in_pod vol sh -c 'grep " /sec " /proc/mounts')" "^tmpfs /sec tmpfs ro" \
	    "the secret volume is a read-only tmpfs" || return 1
	assert_contains "$(in_pod vol sh -c 'echo x > /cm/new 2>&1; echo rc=$?')" "rc=1" \
	    "configMap volume read-only" || return 1
	assert_eq "$(in_pod vol cat /down/name)" vol "downwardAPI name" || return 1
	assert_eq "$(in_pod vol cat /down/labels)" "$(printf 'app="vol"\ntier="one"')" \
	    "downwardAPI labels" || return 1
	assert_eq "$(in_pod vol cat /down/uid)" "$(pjq vol .metadata.uid)" "downwardAPI uid" || return 1
	assert_eq "$(in_pod vol cat /down/meta/annotations)" 'note="hi"' "downwardAPI annotations" || return 1
	assert_eq "$(in_pod vol cat /proj/cm-other)$(in_pod vol cat /proj/cert)$(in_pod vol cat /proj/ns)" \
	    "xCERT-TEXT-4711default" "projected sources" || return 1
	# The secret's value is nowhere under state/ or logs/, nor in
	# picolet's own log or its events.
	if grep -rqs "KEY-TEXT-0815" "$T/state" "$T/logs" "$T/picolet.log"; then
		fail "the secret's value is on disk: $(grep -rls KEY-TEXT-0815 "$T/state" "$T/logs" "$T/picolet.log")"
		return 1
	fi
	assert_not_contains "$(http_get /api/v1/namespaces/default/events)" "KEY-TEXT-0815" \
	    "no Secret value in events" || return 1

	# Edit the ConfigMap: the files follow within 2 s, no restart, env
	# as it was, the subPath file as it was (Kubernetes).
	local t0 t1
	t0=$(now_ms)
	sed -e 's/<h1>v1</<h1>v2</' -e 's/mode=one/mode=two/' "$T/manifests/vcm.yaml" |
	    put_manifest vcm.yaml
	wait_for '[ "$(in_pod vol cat /cm/index.html)" = "<h1>v2</h1>" ]' 5 \
	    "the edit reaches the mounted file" || return 1
	t1=$(now_ms)
	note "ConfigMap edit visible after $((t1 - t0)) ms"
	assert_between $((t1 - t0)) 0 2000 "edit to file (ms)" || return 1
	assert_eq "$(in_pod vol cat /some/html/index.html)" "<h1>v2</h1>" "items follow" || return 1
	assert_eq "$(in_pod vol cat /cm/app.conf)" "mode=two" "app.conf follows" || return 1
	assert_eq "$(in_pod vol cat /etc/app.conf)" "mode=one" "subPath mount not updated" || return 1
	assert_eq "$(pjq vol .status.containerStatuses[0].restartCount)" 0 "no restart" || return 1
	assert_eq "$(in_pod vol sh -c 'echo $WEB_MODE')" "mode=one" "env unchanged" || return 1
	assert_eq "$(in_pod vol sh -c 'ls -a /cm | grep -c "^\.\.[0-9]"')" 1 \
	    "one version dir left" || return 1

	# Labels edited in place: the downward file follows, no restart.
	sed 's/tier: one/tier: two/' "$T/manifests/vol.yaml" | put_manifest vol.yaml
	wait_for '[ "$(in_pod vol cat /down/tier)" = two ]' 5 "labels reach the downward file" || return 1
	assert_eq "$(pjq vol .status.containerStatuses[0].restartCount)" 0 "still no restart" || return 1
	gone vol
	rm_manifest vcm.yaml
}

case_volume_waits() {
	cat <<EOF | put_manifest vw.yaml
apiVersion: v1
kind: Pod
metadata:
  name: vw
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    imagePullPolicy: IfNotPresent
    command: [sh, -c, 'cat /cfg/k; echo; $SLEEP']
    volumeMounts: [{name: c, mountPath: /cfg}]
  volumes:
  - name: c
    configMap: {name: vw-cm}
EOF
	wait_for 'events vw FailedMount | grep -q "configmap \"vw-cm\" not found"' 15 \
	    "FailedMount event naming the ConfigMap" || return 1
	assert_eq "$(waiting_reason vw)" ContainerCreating "waiting ContainerCreating" || return 1
	printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: vw-cm}\ndata: {k: here}\n' |
	    put_manifest vwcm.yaml
	wait_for 'running vw' 10 "vw runs once the ConfigMap is there" || return 1
	wait_for 'pctl logs vw | grep -qx here' 10 "the file's content" || return 1
	gone vw
	rm_manifest vwcm.yaml
}

case_immutable_and_limits() {
	local out
	printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: frozen}\nimmutable: true\ndata: {a: "1"}\n' |
	    put_manifest frozen.yaml
	cat <<EOF | put_manifest usesfrozen.yaml
apiVersion: v1
kind: Pod
metadata:
  name: usesfrozen
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    imagePullPolicy: IfNotPresent
    command: [sh, -c, '$SLEEP']
    env: [{name: A, valueFrom: {configMapKeyRef: {name: frozen, key: a}}}]
EOF
	wait_for 'running usesfrozen' 15 "a pod using the immutable ConfigMap runs" || return 1
	printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: frozen}\nimmutable: true\ndata: {a: "2"}\n' |
	    put_manifest frozen.yaml
	wait_for 'pctl status 2>&1 | grep -q "field is immutable"' 10 \
	    "changing an immutable ConfigMap is refused" || return 1
	out=$(pctl status 2>&1)
	assert_contains "$out" 'frozen.yaml:1' "the error names file:line" || return 1
	assert_eq "$(pctl exec usesfrozen -- sh -c 'echo $A' 2>&1)" 1 "the pod keeps the old value" || return 1
	gone usesfrozen
	# Deleted and made again: a new object, accepted.
	rm_manifest frozen.yaml
	wait_for '! pctl status 2>&1 | grep -q "frozen.yaml"' 10 "the file's error clears" || return 1
	printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: frozen}\nimmutable: true\ndata: {a: "2"}\n' |
	    put_manifest frozen.yaml
	sleep 0.5	# nothing to wait for: the file must simply stay accepted
	assert_not_contains "$(pctl status 2>&1)" "immutable" "re-created: accepted" || return 1
	rm_manifest frozen.yaml

	# A Secret over 1 MiB is refused with the API server's words; the
	# running pod is untouched.
	pod_yaml steady "$SLEEP" Always 1 | put_manifest steady.yaml
	wait_for 'running steady' 15 "steady running" || return 1
	{
		printf 'apiVersion: v1\nkind: Secret\nmetadata: {name: huge}\nstringData:\n  big: "'
		head -c 1100000 /dev/zero | tr '\0' x
		printf '"\n'
	} | put_manifest huge.yaml
	wait_for 'pctl status 2>&1 | grep -q "huge.yaml"' 10 "the big Secret's error shows" || return 1
	assert_contains "$(pctl status 2>&1)" "must have at most 1048576 bytes" "size limit message" || return 1
	assert_eq "$(pjq steady .status.containerStatuses[0].restartCount)" 0 "other pods untouched" || return 1
	running steady || { fail "steady stopped"; return 1; }
	rm_manifest huge.yaml
	gone steady
}

import_busybox || { not_ok "import busybox"; done_testing; }
start_picolet || { not_ok "picolet starts"; done_testing; }
run_case "env: configMapKeyRef, secretKeyRef, envFrom with prefix, optional" case_env
run_case "missing ConfigMap or key: CreateContainerConfigError, starts when it appears" case_missing
run_case "configMap, secret, downwardAPI, projected volumes; live updates" case_volumes
run_case "volume of a missing ConfigMap: FailedMount, starts when it appears" case_volume_waits
run_case "immutable ConfigMaps refuse changes; a Secret over 1 MiB is refused" case_immutable_and_limits
done_testing
