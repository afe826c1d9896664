#!/bin/bash
# ConfigMaps, Secrets and PersistentVolumeClaims as a user sees them with
# picoctl and the API:
#  - get configmaps|cm, secrets, pvc: kubectl's columns (DATA, TYPE,
#    STATUS/VOLUME/CAPACITY/ACCESS MODES), -n, -A, -o name|json|yaml|wide,
#    -l, kubectl's NotFound for an unknown name;
#  - describe configmap (the data, binaryData as sizes), describe secret
#    (key: N bytes), describe pvc (bound dir, capacity, modes, Used: the
#    dir's disk use after 1 MiB was written into it, Used By: the pod
#    naming the claim, and the QuotaEnforced condition);
#  - a Secret's value (used by a pod through env, and also
#    in a last-applied-configuration annotation) appears in no picoctl
#    output, no API response, not in picolet's log, not in events.
. "$(dirname "$0")/lib.sh"

command -v jq >/dev/null || { not_ok "$TEST_NAME: needs jq"; exit 1; }

SECRET=Zq9-pebble-7731-s3cr3t
SECRET_B64=$(printf %s "$SECRET" | base64)
SECRET_MD5=$(printf %s "$SECRET" | md5sum | cut -c1-32)
SLEEP='trap "exit 0" TERM; while :; do sleep 1 & wait $!; done'
CLAIM_DIR=$T/state/volumes/default/data

# out CMD...: stdout and stderr of a picoctl command, kept for the leak
# scan at the end.
out() {
	local o
	o=$(pctl "$@" 2>&1)
	printf '%s\n' "== picoctl $*" "$o" >>"$T/outputs"
	printf '%s\n' "$o"
}
api() {
	local o
	o=$(http_get "$1" 2>&1)
	printf '%s\n' "== GET $1" "$o" >>"$T/outputs"
	printf '%s\n' "$o"
}
row() { printf '%s\n' "$1" | grep -E "^$2( |$)"; }

case_objects() {
	cat <<EOF | put_manifest objs.yaml
apiVersion: v1
kind: ConfigMap
metadata:
  name: app
  labels: {tier: web}
data:
  color: blue
  app.conf: |
    listen 8080
    workers 2
binaryData:
  bin: AAEC/w==
---
apiVersion: v1
kind: Secret
metadata:
  name: creds
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: '{"stringData":{"password":"$SECRET"}}'
    owner: ops
type: Opaque
data:
  user: YWRtaW4=
  password: $SECRET_B64
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: data
spec:
  accessModes: [ReadWriteOnce, ReadOnlyMany]
  resources:
    requests:
      storage: 1Gi
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: other-cm
  namespace: other
data: {a: "1"}
EOF
	wait_for 'pctl get pvc data >/dev/null 2>&1' 10 "the objects served" || return 1
	cat <<EOF | put_manifest user.yaml
apiVersion: v1
kind: Pod
metadata:
  name: user
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: main
    image: busybox
    imagePullPolicy: IfNotPresent
    command: [sh, -c, '[ "\$(printf %s "\$PASS" | md5sum | cut -c1-32)" = $SECRET_MD5 ] && echo same; $SLEEP']
    env:
    - {name: PASS, valueFrom: {secretKeyRef: {name: creds, key: password}}}
  volumes:
  - {name: d, persistentVolumeClaim: {claimName: data}}
EOF
	wait_for 'pctl logs user 2>/dev/null | grep -qx same' 30 "the pod read the Secret" || return 1
	# what a pod using the claim would write there
	dd if=/dev/zero of="$CLAIM_DIR/blob" bs=1024 count=1024 2>/dev/null ||
	    { fail "write into $CLAIM_DIR"; return 1; }
}

case_get() {
	local t
	t=$(out get configmaps)
	printf '%s\n' "$t" | sed 's/^/# /'
	assert_match "$(printf '%s\n' "$t" | head -n 1)" '^NAME +DATA +AGE$' "get configmaps header" || return 1
	assert_match "$(row "$t" app)" '^app +3 +[0-9]+s$' "get configmaps row (data + binaryData)" || return 1
	assert_not_contains "$t" other-cm "another namespace's ConfigMap" || return 1
	t=$(out get cm -A)
	assert_match "$(printf '%s\n' "$t" | head -n 1)" '^NAMESPACE +NAME +DATA +AGE$' "get cm -A header" || return 1
	assert_match "$t" 'other +other-cm +1 +' "get cm -A row" || return 1
	assert_match "$(out get cm -n other)" 'other-cm +1 +' "get cm -n other" || return 1
	assert_eq "$(out get configmap app -o name)" configmap/app "-o name" || return 1
	assert_eq "$(out get cm -l tier=web -o name)" configmap/app "-l tier=web" || return 1
	assert_eq "$(out get cm -l tier=db 2>&1)" "No resources found in default namespace." "-l tier=db" || return 1

	t=$(out get secrets)
	printf '%s\n' "$t" | sed 's/^/# /'
	assert_match "$(printf '%s\n' "$t" | head -n 1)" '^NAME +TYPE +DATA +AGE$' "get secrets header" || return 1
	assert_match "$(row "$t" creds)" '^creds +Opaque +2 +[0-9]+s$' "get secrets row" || return 1
	assert_eq "$(out get secret creds -o name)" secret/creds "secret -o name" || return 1

	t=$(out get pvc)
	printf '%s\n' "$t" | sed 's/^/# /'
	assert_match "$(printf '%s\n' "$t" | head -n 1)" \
	    '^NAME +STATUS +VOLUME +CAPACITY +ACCESS MODES +STORAGECLASS +AGE$' "get pvc header" || return 1
	assert_match "$(row "$t" data)" "^data +Bound +$CLAIM_DIR +1Gi +RWO,ROX +[0-9]+s$" "get pvc row" || return 1
	assert_match "$(out get persistentvolumeclaims -o wide | head -n 1)" 'AGE +VOLUMEMODE$' \
	    "get pvc -o wide header" || return 1
	assert_match "$(out get pvc -o wide)" 'Filesystem$' "get pvc -o wide row" || return 1
	assert_eq "$(out get pvc -o name)" persistentvolumeclaim/data "pvc -o name" || return 1

	t=$(out get cm nope)
	assert_eq "$t" 'Error from server (NotFound): configmaps "nope" not found' "unknown ConfigMap" || return 1
	pctl get cm nope >/dev/null 2>&1 && { fail "get cm nope exits 0"; return 1; }
	assert_eq "$(out get secret nope)" 'Error from server (NotFound): secrets "nope" not found' \
	    "unknown Secret" || return 1
	assert_eq "$(out get pvc nope)" \
	    'Error from server (NotFound): persistentvolumeclaims "nope" not found' "unknown claim" || return 1
	# a ConfigMap is not a Secret
	assert_contains "$(out get secret app)" 'secrets "app" not found' "a ConfigMap by the Secret's name" || return 1
}

case_json() {
	local j
	j=$(out get cm app -o json)
	assert_eq "$(jq -r .kind <<<"$j")" ConfigMap "cm kind" || return 1
	assert_eq "$(jq -r .data.color <<<"$j")" blue "cm data" || return 1
	assert_eq "$(jq -r '.data["app.conf"]' <<<"$j")" $'listen 8080\nworkers 2' "cm multi-line data" || return 1
	assert_eq "$(jq -r .binaryData.bin <<<"$j")" AAEC/w== "cm binaryData in base64" || return 1
	assert_match "$(jq -r .metadata.creationTimestamp <<<"$j")" '^[0-9-]+T[0-9:]+Z$' "creationTimestamp" || return 1
	assert_match "$(out get cm app -o yaml)" 'color: blue' "-o yaml" || return 1
	assert_eq "$(out get cm -o json | jq -r '.kind + " " + (.items | length | tostring) + " " + .items[0].kind')" \
	    "List 1 ConfigMap" "cm list -o json" || return 1

	j=$(out get secret creds -o json)
	assert_eq "$(jq -r .type <<<"$j")" Opaque "secret type" || return 1
	assert_eq "$(jq -c .data <<<"$j")" null "secret served without data" || return 1
	assert_eq "$(jq -c .dataSizes <<<"$j")" "{\"password\":${#SECRET},\"user\":5}" "secret dataSizes" || return 1
	assert_eq "$(jq -r '.metadata.annotations | keys | join(",")' <<<"$j")" owner \
	    "last-applied-configuration left out" || return 1

	j=$(out get pvc data -o json)
	assert_eq "$(jq -r .status.phase <<<"$j")" Bound "pvc phase" || return 1
	assert_eq "$(jq -r .status.capacity.storage <<<"$j")" 1Gi "pvc capacity" || return 1
	assert_eq "$(jq -r '.status.accessModes | join(",")' <<<"$j")" ReadWriteOnce,ReadOnlyMany "pvc accessModes" || return 1
	assert_eq "$(jq -r .spec.resources.requests.storage <<<"$j")" 1Gi "pvc request" || return 1
	assert_eq "$(jq -r .spec.volumeName <<<"$j")" "$CLAIM_DIR" "pvc volumeName: the bound dir" || return 1

	# the API itself: lists per namespace and across them
	assert_eq "$(api /api/v1/configmaps | jq -r '[.kind, (.items | length)] | join(" ")')" "ConfigMapList 2" \
	    "GET /api/v1/configmaps" || return 1
	assert_eq "$(api /api/v1/namespaces/default/secrets | jq -r '.kind')" SecretList "secret list" || return 1
	assert_eq "$(api /api/v1/persistentvolumeclaims | jq -r '.items[0].metadata.name')" data "pvc list" || return 1
	assert_eq "$(api '/api/v1/configmaps?labelSelector=tier%3Dweb' | jq -r '[.items[].metadata.name] | join(",")')" \
	    app "the API filters by labelSelector" || return 1
	assert_eq "$(api '/api/v1/configmaps?labelSelector=tier%21%3Dweb' | jq -r '[.items[].metadata.name] | join(",")')" \
	    other-cm "labelSelector tier!=web" || return 1
	api /api/v1/namespaces/default/secrets/creds >/dev/null
	api /api/v1/secrets >/dev/null
}

case_describe() {
	local d
	d=$(out describe configmap app)
	printf '%s\n' "$d" | sed 's/^/# /'
	assert_match "$(printf '%s\n' "$d" | head -n 1)" '^Name: +app$' "describe cm Name" || return 1
	assert_contains "$d" $'Data\n====\napp.conf:\n----\nlisten 8080\nworkers 2\n\ncolor:\n----\nblue\n' \
	    "describe cm data" || return 1
	assert_contains "$d" $'BinaryData\n====\nbin: 4 bytes\n' "describe cm binaryData" || return 1
	assert_match "$d" 'Labels: +tier=web' "describe cm labels" || return 1

	d=$(out describe secret creds)
	printf '%s\n' "$d" | sed 's/^/# /'
	assert_match "$d" 'Type: +Opaque' "describe secret type" || return 1
	assert_match "$d" "password: +${#SECRET} bytes" "describe secret password size" || return 1
	assert_match "$d" 'user: +5 bytes' "describe secret user size" || return 1
	assert_match "$d" 'Annotations: +owner: ops' "describe secret annotations" || return 1

	d=$(out describe pvc data)
	printf '%s\n' "$d" | sed 's/^/# /'
	assert_match "$d" 'Status: +Bound' "describe pvc status" || return 1
	assert_match "$d" "Volume: +$CLAIM_DIR" "describe pvc volume" || return 1
	assert_match "$d" 'Capacity: +1Gi' "describe pvc capacity" || return 1
	assert_match "$d" 'Access Modes: +RWO,ROX' "describe pvc modes" || return 1
	assert_match "$d" 'VolumeMode: +Filesystem' "describe pvc volume mode" || return 1
	# 1 MiB written into the claim, plus the directory's blocks
	assert_match "$d" $'\nUsed: +1(\\.[0-9])?Mi\n' "describe pvc Used" || return 1
	assert_match "$d" $'\nUsed By: +user\n' "describe pvc Used By: the pod" || return 1
	# Whether the 1Gi is enforced depends on the test dir's file system:
	# either way the condition says so, and why not.
	j=$(out get pvc data -o json)
	case $(jq -r '.status.conditions[] | select(.type == "QuotaEnforced") | .status' <<<"$j") in
	True)	assert_match "$d" 'QuotaEnforced +True +ProjectQuota +writes past 1Gi fail' \
		    "describe pvc: quota condition" || return 1 ;;
	False)	assert_match "$d" 'QuotaEnforced +False +(NoProjectQuotas|QuotasOff) +.*not enforced' \
		    "describe pvc: why the request is not enforced" || return 1 ;;
	*)	fail "no QuotaEnforced condition: $j"; return 1 ;;
	esac
	assert_contains "$(out describe cm nope)" 'configmaps "nope" not found' "describe unknown cm" || return 1
}

# Every picoctl output and API response of this test, picolet's log and
# the events: none holds the Secret's value, plain or in base64.
case_no_leak() {
	local f
	out get pods -o json >/dev/null
	out get pods -o yaml >/dev/null
	out describe pod user >/dev/null
	out get events -A >/dev/null
	out get events -o json >/dev/null
	out get secrets -A -o yaml >/dev/null
	out get secrets -o wide >/dev/null
	out status >/dev/null
	api /api/v1/pods >/dev/null
	api /api/v1/events >/dev/null
	api /status >/dev/null
	note "$(grep -c '^== ' "$T/outputs") outputs scanned"
	for f in "$T/outputs" "$T/picolet.log"; do
		if grep -n -F -e "$SECRET" -e "$SECRET_B64" "$f" | head -n 5 | sed 's/^/#     /' | grep .; then
			fail "the Secret's value in $f"
			return 1
		fi
	done
	# the scan would have found it had it been there
	assert_contains "$(cat "$T/manifests/objs.yaml")" "$SECRET" "the value is in the manifest" || return 1
}

import_busybox || { not_ok "import busybox"; done_testing; }
start_picolet || { not_ok "picolet starts"; done_testing; }
: >"$T/outputs"
run_case "objects dropped, a pod uses the Secret and the claim" case_objects
run_case "get configmaps, secrets, pvc: columns, -n, -A, -l, -o name|wide, NotFound" case_get
run_case "-o json|yaml and the API: data, binaryData, Secret without values, claim bound" case_json
run_case "describe configmap, secret (sizes), pvc (Used)" case_describe
run_case "the Secret's value in no output, response, log or event" case_no_leak
done_testing
