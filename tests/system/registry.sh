# registry.sh: sourced (after lib.sh) by the tests that pull from a local
# registry: Debian's docker-registry on 127.0.0.1, images pushed into it
# with skopeo.  REG_RUN is a command prefix for all of it: empty (the
# host's network namespace, where test_pull's driver runs) or nsenter
# into the test's namespace (where picolet runs: test_pull_pod).

REG_RUN=()

have_registry() {
	command -v docker-registry >/dev/null && command -v skopeo >/dev/null
}

free_port() {
	"${REG_RUN[@]}" python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# REG_ADDR: the address registries listen on (127.0.0.1)
reg_up() {	# PORT: the registry answers, over TLS or plain HTTP
	local a=${REG_ADDR:-127.0.0.1}
	"${REG_RUN[@]}" curl -sk --noproxy '*' -o /dev/null "https://$a:$1/v2/" ||
	    "${REG_RUN[@]}" curl -s --noproxy '*' -o /dev/null "http://$a:$1/v2/"
}

# start_registry NAME PORT [extra yml]: data, config and log in $T/NAME/
start_registry() {
	local name=$1 port=$2 extra=${3:-}
	mkdir -p "$T/$name"
	cat >"$T/$name/config.yml" <<EOF
version: 0.1
log:
  level: ${REG_LOG_LEVEL:-warn}
storage:
  filesystem:
    rootdirectory: $T/$name/data
http:
  addr: ${REG_ADDR:-127.0.0.1}:$port
$extra
EOF
	"${REG_RUN[@]}" docker-registry serve "$T/$name/config.yml" >"$T/$name/log" 2>&1 &
	BG_PIDS+=($!)
	wait_for "reg_up $port" 10 "registry $name" ||
	    { sed 's/^/#   /' "$T/$name/log"; return 1; }
}

# push DEST [skopeo args]: the busybox fixture (or $PUSH_SRC, an OCI
# archive) to docker://DEST
push() {
	local dest=$1
	shift
	"${REG_RUN[@]}" skopeo copy -q --dest-tls-verify=false "$@" \
	    "oci-archive:${PUSH_SRC:-$FIXTURES/busybox-oci.tar}" "docker://$dest" >"$T/skopeo.log" 2>&1 ||
	    fail "skopeo push to $dest: $(cat "$T/skopeo.log")"
}
