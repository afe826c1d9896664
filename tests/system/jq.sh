# jq.sh: sourced (after lib.sh) by the tests that read picoctl's and the
# API's JSON with jq: a pod's fields, its events, and waiting for pods to
# go.
command -v jq >/dev/null || { not_ok "$TEST_NAME: needs jq"; exit 1; }

pjq() {	# POD FILTER
	pctl get pods "$1" -o json 2>/dev/null | jq -r "$2" 2>/dev/null
}
absent() {
	local n
	n=$(pctl get pods -o json 2>/dev/null | jq --arg p "$1" \
	    '[.items[] | select(.metadata.name == $p)] | length') &&
	    [ "$n" = 0 ]
}
# gone POD...: remove their manifests and wait until they are gone
gone() {
	local n
	for n; do rm_manifest "$n.yaml"; done
	for n; do wait_for "absent $n" 20 "$n gone" || return 1; done
}
events() {	# POD [REASON]
	http_get /api/v1/namespaces/default/events 2>/dev/null |
	    jq -r --arg p "$1" --arg r "${2:-}" '.items[] |
	    select(.involvedObject.name == $p and ($r == "" or .reason == $r)) |
	    "\(.count)\t\(.reason)\t\(.message)"'
}
