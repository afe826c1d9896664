#!/bin/sh
# demo.sh: build picolet and run it in the foreground on the example
# manifests in examples/manifests, with its state under /var/tmp.
# Ctrl-C stops picolet and (drain = true) the example pods.
set -eu
TOP=$(cd "$(dirname "$0")/.." && pwd)
STATE=${PICOLET_DEMO_DIR:-/var/tmp/picolet-demo}

[ "$(id -u)" = 0 ] || { echo "demo.sh: run as root (containers need it)" >&2; exit 1; }
make -C "$TOP" -s
mkdir -p "$STATE"
sed -e "s|@TOP@|$TOP|g" -e "s|@STATE@|$STATE|g" \
    "$TOP/examples/picolet.conf.in" >"$STATE/picolet.conf"
"$TOP/tests/fixtures/mkimage.sh" "$TOP/build/fixtures" >/dev/null
"$TOP/build/picoctl" image import "$TOP/build/fixtures/busybox-oci.tar" \
    --state "$STATE/state"

cat <<MSG

picolet is starting with $STATE/picolet.conf.  In another terminal:

  export PICOLET_SOCKET=$STATE/picolet.sock
  $TOP/build/picoctl get pods
  $TOP/build/picoctl logs hello -f
  $TOP/build/picoctl describe pod crashloop

Add, edit or remove files in $TOP/examples/manifests and watch.
Ctrl-C here stops picolet and the example pods.

MSG
exec "$TOP/build/picolet" -c "$STATE/picolet.conf"
