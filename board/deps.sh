#!/bin/sh
# board/deps.sh: host packages that `make image` and `make image-test` need
# on Debian 12, beyond tools/deps.sh arm64 (the cross compiler and the arm64
# -dev libraries).  The image's own contents are not installed: they are
# fetched as .debs by board/fetch.sh.  raspi-firmware lives in the
# non-free-firmware component, which a default Debian 12 source list lacks.
set -eu
export DEBIAN_FRONTEND=noninteractive
pkgs="qemu-system-arm dosfstools mtools fdisk e2fsprogs cpio kmod xz-utils
openssh-client file"
src=/etc/apt/sources.list.d/picolet-non-free-firmware.sources
update=
if ! grep -rqs 'non-free-firmware' /etc/apt/sources.list /etc/apt/sources.list.d/; then
	cat >"$src" <<'SRC'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: non-free-firmware
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
	update=1
fi
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
		missing="$missing $p"
done
if [ -z "$update" ] && [ -z "$missing" ] &&
    apt-cache show raspi-firmware >/dev/null 2>&1; then
	exit 0
fi
apt-get -o DPkg::Lock::Timeout=600 update -qq
[ -z "$missing" ] && exit 0
# shellcheck disable=SC2086
apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends $missing
