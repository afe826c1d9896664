#!/bin/bash
# Pod network: pods get distinct addresses from the pod CIDR on the
# bridge in picolet's network namespace (the test's), reach each other
# and are reached from that namespace; /etc/hosts as kubelet writes it
# (the pod's own name and address, hostname.subdomain, hostAliases, a
# hostNetwork pod's copy of the node's file); hostPort is DNAT'ed from
# the node to the pod; a second pod asking for the same hostPort gets an
# event; deleting every manifest
# leaves no veth, no bridge, no nftables table and no IPAM files; SIGTERM
# without drain leaves pods and their network answering, a restart adopts
# them with their addresses, a drain stop removes everything; keep_bridge
# keeps the bridge.
. "$(dirname "$0")/lib.sh"

inns() { nsenter --net="/run/netns/$NETNS" -- "$@"; }
pod_ip() { pj "$1" 'st.get("podIP", "")'; }

# web_pod NAME [extra container-port yaml lines]: busybox httpd on 8080
# serving the pod's hostname.
web_pod() {
	cat <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: $1
  labels:
    app: web
spec:
  terminationGracePeriodSeconds: 2
  containers:
  - name: main
    image: busybox
    imagePullPolicy: IfNotPresent
    command: ["sh", "-c", "mkdir -p /www && hostname >/www/index.html && exec httpd -f -p 8080 -h /www"]
    ports:
    - name: http
      containerPort: 8080
${2:-}
EOF
}

# fetch IP PORT: GET / from the test's netns (python: one short connect).
fetch() {
	inns python3 - "$1" "$2" <<'EOF'
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=2)
s.sendall(b"GET / HTTP/1.0\r\n\r\n")
b = b""
while True:
    c = s.recv(4096)
    if not c:
        break
    b += c
print(b.split(b"\r\n\r\n", 1)[-1].decode().strip())
EOF
} 2>/dev/null

# An uplink for the node (the test's netns): a veth pair with 192.0.2.10,
# so the node has a local address that is not loopback (status.hostIP).
add_uplink() {
	inns ip link add pt-up0 type veth peer name pt-up1 &&
	    inns ip addr add 192.0.2.10/24 dev pt-up0 &&
	    inns ip link set pt-up1 up && inns ip link set pt-up0 up
}
our_veths() { inns ip -o link show type veth | grep -v -e pt-up0 -e pt-up1; }

# pod_fetch POD IP PORT: GET / from inside a pod with busybox nc.
pod_fetch() {
	pctl exec "$1" -- sh -c "printf 'GET / HTTP/1.0\r\n\r\n' | nc -w 2 $2 $3" 2>/dev/null |
	    tr -d '\r' | awk 'b { print } /^$/ { b = 1 }'
}

case_ips() {
	web_pod a | put_manifest a.yaml
	web_pod b | put_manifest b.yaml
	wait_for '[ "$(pod_phase a)" = Running ] && [ "$(pod_phase b)" = Running ]' 15 \
	    "a and b Running" || return 1
	wait_for '[ -n "$(pod_ip a)" ] && [ -n "$(pod_ip b)" ]' 5 "podIPs" || return 1
	IPA=$(pod_ip a)
	IPB=$(pod_ip b)
	note "a=$IPA b=$IPB"
	assert_match "$IPA" '^10\.88\.[0-9]+\.[0-9]+$' "a's podIP in 10.88.0.0/16" || return 1
	assert_match "$IPB" '^10\.88\.[0-9]+\.[0-9]+$' "b's podIP in 10.88.0.0/16" || return 1
	assert_ne "$IPA" "$IPB" "distinct podIPs" || return 1
	assert_ne "$IPA" 10.88.0.1 "podIP is not the bridge's address" || return 1
	local hip
	hip=$(pj a 'st.get("hostIP", "")')
	assert_eq "$hip" 192.0.2.10 "status.hostIP (the node's uplink address)" || return 1
	local br
	br=$(inns ip -4 -o addr show dev pico0 2>&1)
	assert_contains "$br" "10.88.0.1/16" "bridge pico0 in the test's netns" || return 1
	ip link show pico0 >/dev/null 2>&1 && { fail "pico0 exists in the host's netns"; return 1; }
	# Inside the pod: eth0 with its address, a default route.
	local addr route
	addr=$(pctl exec a -- ip -4 -o addr show dev eth0 2>&1)
	assert_contains "$addr" "$IPA/16" "eth0 of pod a" || return 1
	route=$(pctl exec a -- ip route 2>&1)
	assert_contains "$route" "default via 10.88.0.1" "default route in pod a" || return 1
}

case_reach() {
	wait_for '[ "$(fetch "$IPA" 8080)" = a ]' 5 "host -> a:8080" || return 1
	wait_for '[ "$(fetch "$IPB" 8080)" = b ]' 5 "host -> b:8080" || return 1
	assert_eq "$(pod_fetch a "$IPB" 8080)" b "pod a -> pod b" || return 1
	assert_eq "$(pod_fetch b "$IPA" 8080)" a "pod b -> pod a" || return 1
	pctl exec a -- ping -c 1 -W 2 "$IPB" >/dev/null 2>&1 ||
	    fail "ping a -> b" || return 1
}

# kubelet's managed hosts file, before the pod's own line.
LOCAL_HOSTS=$'# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost
::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet
fe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters'

case_hosts() {
	local h
	h=$(pctl exec a -- cat /etc/hosts 2>&1)
	note "$(printf '%s\n' "$h" | tr '\n' '|')"
	assert_eq "$h" "$LOCAL_HOSTS"$'\n'"$IPA"$'\ta' "a's /etc/hosts" || return 1
	assert_eq "$(pctl exec a -- hostname 2>&1)" a "hostname" || return 1
}

# hostname + subdomain: the FQDN line; hostAliases after a comment; a
# hostNetwork pod: the node's file, then its hostAliases; a name longer
# than a label: the hostname is cut to 63 characters, as kubelet does.
case_hosts_aliases() {
	local long=long-name-0123456789-0123456789-0123456789-0123456789-0123456789
	put_manifest aliases.yaml <<EOF
apiVersion: v1
kind: Pod
metadata:
  name: al
spec:
  hostname: web-0
  subdomain: web
  terminationGracePeriodSeconds: 1
  hostAliases:
  - ip: 127.0.0.1
    hostnames: [foo.local, bar.local]
  - ip: "2001:db8::2"
    hostnames: [six.remote]
  containers:
  - {name: main, image: busybox, imagePullPolicy: IfNotPresent, command: [sleep, "3600"]}
---
apiVersion: v1
kind: Pod
metadata:
  name: hn
spec:
  hostNetwork: true
  terminationGracePeriodSeconds: 1
  hostAliases:
  - {ip: 10.1.2.3, hostnames: [db.example]}
  containers:
  - {name: main, image: busybox, imagePullPolicy: IfNotPresent, command: [sleep, "3600"]}
---
apiVersion: v1
kind: Pod
metadata:
  name: $long-x
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - {name: main, image: busybox, imagePullPolicy: IfNotPresent, command: [sleep, "3600"]}
EOF
	wait_for '[ "$(pod_phase al)" = Running ] && [ "$(pod_phase hn)" = Running ] &&
	    [ "$(pod_phase "$long-x")" = Running ]' 15 "al, hn and the long one Running" || return 1
	local ip h want
	ip=$(pod_ip al)
	h=$(pctl exec al -- cat /etc/hosts 2>&1)
	want="$LOCAL_HOSTS"$'\n'"$ip"$'\tweb-0.web.default.svc.cluster.local\tweb-0\n\n'
	want+=$'# Entries added by HostAliases.\n127.0.0.1\tfoo.local\tbar.local\n2001:db8::2\tsix.remote'
	assert_eq "$h" "$want" "al's /etc/hosts" || return 1
	assert_eq "$(pctl exec al -- hostname 2>&1)" web-0 "al's hostname" || return 1
	# The resolver in the pod uses it.
	assert_contains "$(pctl exec al -- ping -c 1 -W 1 foo.local 2>&1)" "127.0.0.1" \
	    "foo.local resolves to 127.0.0.1 in al" || return 1
	h=$(pctl exec hn -- cat /etc/hosts 2>&1)
	want=$'# Kubernetes-managed hosts file (host network).\n'"$(cat /etc/hosts)"
	want+=$'\n\n# Entries added by HostAliases.\n10.1.2.3\tdb.example'
	assert_eq "$h" "$want" "hn's /etc/hosts: the node's, then its alias" || return 1
	h=$(pctl exec "$long-x" -- hostname 2>&1)
	assert_eq "$h" "${long:0:63}" "a long pod name's hostname: 63 characters" || return 1
	rm_manifest aliases.yaml
	wait_for 'pod_gone al && pod_gone hn' 10 "al and hn gone" || return 1
}

# A bad hostAliases address: an error with file:line on that manifest.
case_hosts_bad() {
	put_manifest bad-alias.yaml <<'EOF'
apiVersion: v1
kind: Pod
metadata:
  name: badalias
spec:
  hostAliases:
  - ip: 10.1.2
    hostnames: [x]
  containers:
  - {name: main, image: busybox, imagePullPolicy: IfNotPresent, command: [sleep, "3600"]}
EOF
	wait_for 'pctl status 2>&1 | grep -q "bad-alias.yaml:7:"' 5 "the error in picoctl status" ||
	    { pctl status 2>&1 | sed 's/^/#     /'; return 1; }
	local st
	st=$(pctl status 2>&1 | grep bad-alias.yaml)
	note "$st"
	assert_contains "$st" 'spec.hostAliases[0].ip' "the error names the field" || return 1
	assert_contains "$st" 'must be a valid IP address' "the error says why" || return 1
	pod_exists badalias && { fail "pod badalias exists"; return 1; }
	rm_manifest bad-alias.yaml
}

case_hostport() {
	web_pod hp '    - containerPort: 8080
      hostPort: 18080
      name: hp' | put_manifest hp.yaml
	wait_for '[ "$(pod_phase hp)" = Running ] && [ -n "$(pod_ip hp)" ]' 15 "hp Running" || return 1
	wait_for '[ "$(fetch 192.0.2.10 18080)" = hp ]' 5 "hostPort 18080 on 192.0.2.10" || return 1
	# From another pod, to the node's address.
	assert_eq "$(pod_fetch a 192.0.2.10 18080)" hp "pod a -> node:18080" || return 1
	# Not on 127.0.0.0/8, as NodePorts (docs/picolet.8).
	assert_eq "$(fetch 127.0.0.1 18080)" "" "no hostPort 18080 on 127.0.0.1" || return 1
}

case_hostport_conflict() {
	web_pod hp2 '    - containerPort: 8080
      hostPort: 18080
      name: hp' | put_manifest hp2.yaml
	wait_for '[ "$(pod_phase hp2)" = Running ]' 15 "hp2 Running" || return 1
	wait_for 'pctl get events 2>&1 | grep -q HostPortConflict' 5 \
	    "a HostPortConflict event" || { pctl get events 2>&1 | tail -n 5 | sed 's/^/#     /'; return 1; }
	local ev
	ev=$(pctl get events 2>&1 | grep HostPortConflict)
	assert_contains "$ev" hp2 "the event names the later pod" || return 1
	assert_not_contains "$ev" "pod/hp " "the earlier pod has no conflict event" || return 1
	# The first keeps the port.
	local i
	for i in 1 2 3 4 5; do
		assert_eq "$(fetch 192.0.2.10 18080)" hp "hostPort 18080 still goes to hp" || return 1
	done
	# The first goes: the port passes to the second.
	rm_manifest hp.yaml
	wait_for 'pod_gone hp' 10 "hp gone" || return 1
	wait_for '[ "$(fetch 192.0.2.10 18080)" = hp2 ]' 5 "hostPort 18080 now to hp2" || return 1
}

case_ip_released() {
	# A deleted pod's address goes back: its IPAM file goes.
	local uid
	uid=$(pod_uid b)
	grep -rqs -- "$uid" "$T/state/ipam" || ls "$T/state/ipam" | grep -q -- "$uid" ||
	    note "(ipam does not name the uid in file names or contents)"
	rm_manifest b.yaml
	wait_for 'pod_gone b' 10 "b gone" || return 1
	wait_for '! grep -rqs -- "$uid" "$T/state/ipam" && ! ls "$T/state/ipam" | grep -q -- "$uid"' 5 \
	    "b's address released" || return 1
}

case_cleanup() {
	rm -f "$T"/manifests/*.yaml
	wait_for '[ -z "$(pod_names)" ]' 15 "all pods gone" || return 1
	wait_for '[ -z "$(our_veths)" ]' 5 "no veth left" ||
	    { our_veths | sed 's/^/#     /'; return 1; }
	wait_for '! inns ip link show pico0' 5 "no bridge left" || return 1
	wait_for '! inns nft list table ip picolet' 5 "no nftables table ip picolet" ||
	    { inns nft list table ip picolet 2>&1 | head -n 20 | sed 's/^/#     /'; return 1; }
	local left
	left=$(find "$T/state/ipam" -type f ! -name '.*' 2>/dev/null)
	[ -z "$left" ] || { note "ipam files: $left"; for f in $left; do note "$f: $(head -c 200 "$f")"; done; }
	# A lock or index file may stay; no file may name an address or uid.
	left=$(find "$T/state/ipam" -type f -name '10.88.*' 2>/dev/null)
	[ -z "$left" ] || fail "addresses left in the IPAM dir: $left" || return 1
	left=$(grep -rlE '[0-9a-f]{8}-[0-9a-f]{4}-' "$T/state/ipam" 2>/dev/null)
	[ -z "$left" ] || fail "IPAM files still name a pod: $left" || return 1
	alive "$PICOLET_PID" || fail "picolet died" || return 1
}

# Without drain, SIGTERM lets go of the pods and leaves their network
# as it is; a restart adopts them with the same address; a drain stop
# then removes everything.
case_restart_drain() {
	web_pod d '    - containerPort: 8080
      hostPort: 18081
      name: hp' | put_manifest d.yaml
	wait_for '[ "$(pod_phase d)" = Running ] && [ -n "$(pod_ip d)" ]' 15 "d Running" || return 1
	local ip
	ip=$(pod_ip d)
	wait_for '[ "$(fetch 192.0.2.10 18081)" = d ]' 5 "hostPort 18081" || return 1
	stop_picolet
	assert_eq "$PICOLET_RC" 0 "picolet exit status after SIGTERM" || return 1
	assert_eq "$(fetch "$ip" 8080)" d "d still answers with picolet stopped" || return 1
	assert_eq "$(fetch 192.0.2.10 18081)" d "hostPort still answers with picolet stopped" || return 1
	start_picolet --drain || return 1
	wait_for '[ "$(pod_phase d)" = Running ]' 10 "d adopted" || return 1
	assert_eq "$(pod_ip d)" "$ip" "d's address after the restart" || return 1
	assert_eq "$(fetch 192.0.2.10 18081)" d "hostPort after the restart" || return 1
	stop_picolet
	assert_eq "$PICOLET_RC" 0 "picolet exit status after a drain stop" || return 1
	[ -z "$(our_veths)" ] || fail "veths after a drain stop: $(our_veths)" || return 1
	! inns ip link show pico0 >/dev/null 2>&1 || fail "pico0 after a drain stop" || return 1
	! inns nft list table ip picolet >/dev/null 2>&1 || fail "table ip picolet after a drain stop" || return 1
	local left
	left=$(find "$T/state/ipam" -name '10.88.*' 2>/dev/null; grep -rlE '[0-9a-f]{8}-[0-9a-f]{4}-' "$T/state/ipam" 2>/dev/null)
	[ -z "$left" ] || fail "IPAM entries after a drain stop: $left" || return 1
	rm_manifest d.yaml
}

# [network] keep_bridge: the bridge stays when the last pod goes.
case_keep_bridge() {
	printf '[network]\nkeep_bridge = true\n' >>"$T/picolet.conf"
	start_picolet || return 1
	web_pod k | put_manifest k.yaml
	wait_for '[ "$(pod_phase k)" = Running ] && [ -n "$(pod_ip k)" ]' 15 "k Running" || return 1
	rm_manifest k.yaml
	wait_for 'pod_gone k' 10 "k gone" || return 1
	wait_for '[ -z "$(our_veths)" ]' 5 "k's veth gone" || return 1
	inns ip link show pico0 >/dev/null 2>&1 || fail "pico0 removed despite keep_bridge" || return 1
	stop_picolet
}

import_busybox || { not_ok "import busybox"; done_testing; }
add_uplink || { not_ok "uplink veth in the test's netns"; done_testing; }
start_picolet || { not_ok "picolet starts"; done_testing; }
run_case "pods get distinct addresses in 10.88.0.0/16 on pico0" case_ips
run_case "pods reach each other; the node reaches pods" case_reach
run_case "/etc/hosts as kubelet writes it: localhost lines, the pod's name and address" case_hosts
run_case "/etc/hosts: hostname.subdomain, hostAliases, hostNetwork, long names" case_hosts_aliases
run_case "a bad hostAliases ip: an error at file:line" case_hosts_bad
run_case "hostPort reaches the pod from the node" case_hostport
run_case "the same hostPort twice: the later pod gets an event" case_hostport_conflict
run_case "a deleted pod's address is released" case_ip_released
run_case "nothing left after every manifest is deleted" case_cleanup
run_case "SIGTERM keeps the network; restart adopts; drain removes all" case_restart_drain
run_case "keep_bridge keeps the bridge" case_keep_bridge
stop_picolet
done_testing
