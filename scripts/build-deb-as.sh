#!/bin/sh
# Builds this tree's Debian packages once more as another version, for an upgrade test, in the
# package build tree of DEBDIR (its CMake tree is reused: only the packaging runs again).
# usage: scripts/build-deb-as.sh DEBDIR VERSION OUTDIR
#   DEBDIR   what `make deb` built (scripts/build-deb.sh); its packages are put back afterwards
#   VERSION  the version to build as (an older one sorts before debian/changelog's: 0.1.0~prev)
#   OUTDIR   the VERSION .debs, .changes and .buildinfo go here (replacing what it held)
# Used by tests/deb/check.sh (an upgrade) and `make deb-prev` (the rig's upgrade, from an older one).
set -eu
debdir=$(cd "${1:?usage: build-deb-as.sh DEBDIR VERSION OUTDIR}" && pwd)
version=${2:?usage: build-deb-as.sh DEBDIR VERSION OUTDIR}
out=${3:?usage: build-deb-as.sh DEBDIR VERSION OUTDIR}
top=$(cd "$(dirname "$0")/.." && pwd)

aside=$(mktemp -d)
trap 'rm -rf "$aside"' EXIT
cp "$debdir"/*.deb "$debdir"/*.changes "$debdir"/*.buildinfo "$aside/"
rc=0
"$top/scripts/build-deb.sh" "$debdir" "$version" || rc=$?
if [ "$rc" -eq 0 ]; then
	mkdir -p "$out"
	rm -f "$out"/*.deb "$out"/*.changes "$out"/*.buildinfo
	cp "$debdir"/*.deb "$debdir"/*.changes "$debdir"/*.buildinfo "$out/"
fi
# DEBDIR holds what `make deb` built again.
rm -f "$debdir"/*.deb "$debdir"/*.changes "$debdir"/*.buildinfo
cp "$aside"/* "$debdir/"
exit "$rc"
