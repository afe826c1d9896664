#!/bin/sh
# deps.sh [arm64|armhf|bench]: install what building and testing picolet
# needs on Debian 12; with an architecture, also its cross compiler and the
# -dev packages of that architecture (multiarch), and qemu-user for its
# tests; with bench, also the load generators of tests/bench (wrk).
set -eu
export DEBIAN_FRONTEND=noninteractive
libs="libev-dev libyaml-dev libinih-dev libmbedtls-dev libnftnl-dev
libmnl-dev zlib1g-dev libcmocka-dev"
pkgs="build-essential clang pkg-config $libs busybox-static iproute2
util-linux procps valgrind python3 curl jq nftables
docker-registry skopeo apache2-utils openssl"
case "${1:-}" in
"") ;;
bench) pkgs="$pkgs wrk"; set -- ;;
arm64) cross=gcc-aarch64-linux-gnu ;;
armhf) cross=gcc-arm-linux-gnueabihf ;;
*) echo "usage: deps.sh [arm64|armhf]" >&2; exit 2 ;;
esac
if [ -n "${1:-}" ]; then
	dpkg --print-foreign-architectures | grep -qx "$1" ||
		dpkg --add-architecture "$1"
	pkgs="$pkgs $cross qemu-user-static"
	for l in $libs; do pkgs="$pkgs $l:$1"; done
fi
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
