#!/bin/sh
# Installs the Debian 12 packages that one part of the build needs.
# usage: scripts/install-deps.sh GROUP...   (GROUP names a file in scripts/deps/)
# Only missing packages are installed, so a second run costs one dpkg query.
set -eu
here=$(dirname "$0")
pkgs=""
for group in core "$@"; do
	list="$here/deps/$group.txt"
	[ -f "$list" ] || { echo "install-deps: no package list $list" >&2; exit 2; }
	pkgs="$pkgs $(grep -v '^[[:space:]]*#' "$list" | tr '\n' ' ')"
done
missing=""
for p in $pkgs; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages:$missing (run as root, or install them)" >&2
	exit 1
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
# Package lists can be stale or absent on a fresh machine; refresh once when needed.
apt-get install -y --no-install-recommends $missing ||
	{ apt-get update && apt-get install -y --no-install-recommends $missing; }
