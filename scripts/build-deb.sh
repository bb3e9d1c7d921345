#!/bin/sh
# Builds the Debian packages (debian/) from this tree and checks them with lintian.
# usage: scripts/build-deb.sh OUTDIR [VERSION]
#   OUTDIR   the .debs, .changes and .buildinfo go here; OUTDIR/src is the copy built from
#   VERSION  build as this version (a changelog entry is added to the copy; tests/deb/check.sh
#            builds an upgrade this way). Default: debian/changelog's.
# The copy holds what git would commit (tracked files and new ones not ignored, as they are in
# the worktree), so neither build/ nor the worktree is touched. Its CMake tree (obj-*) is kept
# between runs: a second build compiles only what changed. DEB_BUILD_OPTIONS passes through.
set -eu
out=${1:?usage: build-deb.sh OUTDIR [VERSION]}
version=${2:-}
top=$(cd "$(dirname "$0")/.." && pwd)

mkdir -p "$out/src"
out=$(cd "$out" && pwd)
src=$out/src
find "$src" -mindepth 1 -maxdepth 1 ! -name 'obj-*' -exec rm -rf {} +
rm -f "$out"/*.deb "$out"/*.changes "$out"/*.buildinfo
(cd "$top" && git ls-files -z --cached --others --exclude-standard |
	xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh |
	tar --null -T - -cf -) | tar -C "$src" -xf -

if [ -n "$version" ]; then
	{
		echo "xen-memtune ($version) unstable; urgency=medium"
		echo
		echo "  * Built as $version by scripts/build-deb.sh."
		echo
		echo " -- $(sed -n 's/^Maintainer: //p' "$src/debian/control")  $(date -R)"
		echo
		cat "$src/debian/changelog"
	} >"$src/debian/changelog.new"
	mv "$src/debian/changelog.new" "$src/debian/changelog"
fi

# -nc: keep obj-* (see above); -j1: the build shares the machine.
(cd "$src" && nice -n 15 dpkg-buildpackage -us -uc -b -nc -j1)

changes=$(ls "$out"/xen-memtune_*.changes)
echo "build-deb: lintian $changes"
lintian --fail-on error,warning --info --display-info "$changes"
ls "$out"/*.deb
