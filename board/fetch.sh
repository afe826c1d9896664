#!/bin/sh
# board/fetch.sh DIR: download (never install) the arm64 .debs listed in
# board/packages.arm64 into DIR/debs and record name, version and sha256 of
# each in DIR/MANIFEST.  Versions are not pinned: the mirror keeps only the
# current ones, and the kernel's ABI name changes with security updates, so
# it is resolved here from the linux-image-arm64 metapackage.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
DIR=${1:?usage: fetch.sh DIR}
mkdir -p "$DIR/debs"
DIR=$(cd "$DIR" && pwd)

kpkg=$(apt-cache depends linux-image-arm64:arm64 |
    awk '/Depends: linux-image-[0-9]/ { sub(/:arm64$/, "", $2); print $2; exit }')
[ -n "$kpkg" ] || { echo "fetch: no linux-image-arm64:arm64 (dpkg --add-architecture arm64; apt-get update)" >&2; exit 1; }
want=
for p in $(sed -e 's/#.*//' "$HERE/packages.arm64"); do
	case $p in
	linux-image) want="$want $kpkg:arm64" ;;
	raspi-firmware) want="$want raspi-firmware" ;;
	*) want="$want $p:arm64" ;;
	esac
done
rm -f "$DIR"/debs/*.deb
# apt-get download writes into the current directory; run as root it warns
# that _apt cannot write there, which is harmless.
# shellcheck disable=SC2086
(cd "$DIR/debs" && apt-get download -q=2 $want 2>&1 | grep -v unsandboxed) || true
{
	echo "# Debian packages in this image: name version sha256"
	for d in "$DIR"/debs/*.deb; do
		printf '%s %s %s\n' "$(dpkg-deb -f "$d" Package)" \
		    "$(dpkg-deb -f "$d" Version)" "$(sha256sum "$d" | cut -d' ' -f1)"
	done
} >"$DIR/MANIFEST"
n=$(grep -c -v '^#' "$DIR/MANIFEST")
set -- $want
[ "$n" -eq $# ] || { echo "fetch: got $n of $# packages" >&2; exit 1; }
echo "$kpkg" >"$DIR/KERNEL"
