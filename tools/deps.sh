#!/bin/sh
# deps.sh: install what building and testing picolet needs on Debian 12.
set -eu
export DEBIAN_FRONTEND=noninteractive
pkgs="build-essential clang pkg-config libev-dev libyaml-dev libinih-dev
libmbedtls-dev libnftnl-dev libmnl-dev zlib1g-dev libcmocka-dev
busybox-static iproute2 util-linux procps valgrind python3 curl"
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
