#!/bin/sh
# make dkms-check: runs the README's `make dkms-install` and `make dkms-remove`, unchanged but
# for where the trees are (DKMS_SRC, and dkms's --sourcetree/--dkmstree/--installtree pointed
# into a temporary folder), and checks that the module is built for the kernel the rig boots,
# installed where DKMS puts it, and gone again after the remove.
#
# Why a temporary place and not /usr/src, /var/lib/dkms and /lib/modules: the same recipes and
# the same dkms commands run, but `make check` on a machine that has the module installed must
# not remove it, and leaves nothing behind. Not covered: depmod (--no-depmod: it would read the
# real /lib/modules) and DKMS's autoinstall when a new kernel is installed. The one thing it
# leaves on the host is DKMS's own module-signing key, /var/lib/dkms/mok.{key,pub}, which dkms
# creates on its first build (as `make dkms-install` does).
#
# Prints one line per check ("ok - name" / "FAIL - name: why") and "N passed, N failed";
# exits non-zero if anything failed.
set -u
repo=$(cd "$(dirname "$0")/../.." && pwd)
tmp=$(mktemp -d /tmp/memtune-dkms.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
passed=0
failed=0

pass() { echo "ok - $1"; passed=$((passed + 1)); }
fail() { echo "FAIL - $1: $2"; failed=$((failed + 1)); }

# The kernel to build for: the Makefile's KVER (the newest one with headers), which it passes.
kver=${KVER:?KVER is not set: run make dkms-check}
name=xen-memtune
# The Makefile's version (debian/changelog's: dkms.conf holds only a placeholder for it).
version=${DKMS_VERSION:?DKMS_VERSION is not set: run make dkms-check}
flags="--sourcetree $tmp/src --dkmstree $tmp/dkms --installtree $tmp/modules --no-depmod"
# dkms installs only into a kernel it finds there, as /lib/modules/$kver is on a real machine.
mkdir -p "$tmp/src" "$tmp/dkms" "$tmp/modules/$kver"

dkms_make()
{
	make -C "$repo" --no-print-directory KVER="$kver" DKMS_SRC="$tmp/src" \
		DKMS_FLAGS="$flags" "$@" >"$tmp/make.log" 2>&1
}

# make_step TARGET: one check, TARGET-runs; the tail of make's output when it fails.
make_step()
{
	if dkms_make "$1"; then
		pass "$1-runs"
	else
		fail "$1-runs" "make $1 failed:"
		tail -n 20 "$tmp/make.log" | sed 's/^/#   | /'
	fi
}

# $flags holds several options: split on purpose.
# shellcheck disable=SC2086
dkms_status() { dkms status $flags -m "$name" -v "$version" 2>&1; }

installed_ko() { find "$tmp/modules" -name 'xen_memtune.ko*' 2>/dev/null; }

t0=$(date +%s)
make_step dkms-install
ko=$(installed_ko)
want="$tmp/modules/$kver/updates/dkms/xen_memtune.ko"
case "$ko" in
"$want"|"$want".*) pass dkms-install-ko-in-place ;;
*) fail dkms-install-ko-in-place "found '$ko', want $want" ;;
esac
magic=$( [ -n "$ko" ] && modinfo -F vermagic "$ko" 2>/dev/null)
case "$magic" in
"$kver "*) pass dkms-install-ko-for-kernel ;;
*) fail dkms-install-ko-for-kernel "vermagic '$magic', want $kver" ;;
esac
status=$(dkms_status)
case "$status" in
*"$kver"*installed*) pass dkms-install-status ;;
*) fail dkms-install-status "dkms status: $status" ;;
esac
echo "# TIME dkms install-wall $((($(date +%s) - t0) * 1000))"

make_step dkms-remove
ko=$(installed_ko)
if [ -z "$ko" ]; then pass dkms-remove-ko-gone; else fail dkms-remove-ko-gone "still there: $ko"; fi
if [ ! -e "$tmp/src/$name-$version" ]; then
	pass dkms-remove-source-gone
else
	fail dkms-remove-source-gone "$tmp/src/$name-$version is still there"
fi
status=$(dkms_status)
if [ -z "$status" ]; then pass dkms-remove-status; else fail dkms-remove-status "dkms status: $status"; fi
echo "# TIME dkms total-wall $((($(date +%s) - t0) * 1000))"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
