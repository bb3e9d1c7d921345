#!/bin/sh
# KUnit for xen_memtune's pure files (kmod/policy.c, parse.c, floor.c,
# guard.c, settle.c, owner.c) in
# User-Mode Linux built from Debian's linux-source-6.1.  This is `make kunit`.
#
#   tests/kunit/run.sh            build (incrementally) and run; exit 1 on any failure
#
# From a clean tree: extracts /usr/src/linux-source-6.1.tar.xz once into
# build/kunit/ (kept; re-extracted only when missing), adds lib/xen_memtune/
# to it (Kconfig + Makefile + symlinks to kmod/ and tests/kunit/), turns the
# golden table into a C header, and runs tools/testing/kunit/kunit.py.
#
# Environment: BUILD (default <repo>/build), JOBS (default nproc),
# LINUX_SRC_TAR (default /usr/src/linux-source-6.1.tar.xz),
# GOLDEN (default tests/data/golden-6.1.tsv, written by `make golden`).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
BUILD=${BUILD:-$repo/build}
JOBS=${JOBS:-$(nproc)}
LINUX_SRC_TAR=${LINUX_SRC_TAR:-/usr/src/linux-source-6.1.tar.xz}

kdir=$BUILD/kunit
src=$kdir/linux-source-6.1
uml=$kdir/uml
hook=$src/lib/xen_memtune

start=$(date +%s)

# 1. The kernel source, extracted once.  The stamp is written last, so an
# interrupted extraction is redone.
if [ ! -f "$kdir/.extracted" ] || [ ! -f "$src/Makefile" ]; then
	[ -f "$LINUX_SRC_TAR" ] || {
		echo "kunit: $LINUX_SRC_TAR missing (apt-get install linux-source-6.1)" >&2
		exit 2
	}
	echo "kunit: extracting $LINUX_SRC_TAR into $kdir"
	rm -rf "$src" "$kdir/.extracted"
	mkdir -p "$kdir"
	tar -xf "$LINUX_SRC_TAR" -C "$kdir"
	touch "$kdir/.extracted"
fi

# 2. Hook lib/xen_memtune/ into the tree (idempotent).
mkdir -p "$hook"
grep -q 'lib/xen_memtune/Kconfig' "$src/lib/Kconfig.debug" ||
	printf '\nsource "lib/xen_memtune/Kconfig"\n' >>"$src/lib/Kconfig.debug"
grep -q 'xen_memtune/' "$src/lib/Makefile" ||
	printf '\nobj-$(CONFIG_XEN_MEMTUNE_KUNIT_TEST) += xen_memtune/\n' >>"$src/lib/Makefile"
cp "$here/Kconfig.in" "$hook/Kconfig"
cp "$here/Makefile.in" "$hook/Makefile"
rm -f "$hook"/*.c "$hook"/*.h.new	# stale links of renamed files
for f in policy.c policy.h parse.c parse.h floor.c floor.h guard.c guard.h \
	settle.c settle.h owner.c owner.h; do
	ln -sfn "$repo/kmod/$f" "$hook/$f"
done
for f in "$here"/*_kunit.c; do
	ln -sfn "$f" "$hook/$(basename "$f")"
done

# 3. The golden table is the definition of correct: regenerate its header
# whenever it changes (cmp keeps the timestamp, so no needless rebuild).
golden=${GOLDEN:-$repo/tests/data/golden-6.1.tsv}
[ -f "$golden" ] || { echo "kunit: $golden missing (make golden)" >&2; exit 2; }
echo "kunit: expectations from ${golden#"$repo"/}"
python3 "$here/golden2h.py" "$golden" >"$hook/golden.h.new"
if cmp -s "$hook/golden.h.new" "$hook/golden.h"; then
	rm -f "$hook/golden.h.new"
else
	mv "$hook/golden.h.new" "$hook/golden.h"
fi

# 4. Build UML and run.  kunit.py exits non-zero when a test fails, the
# build breaks or the kernel crashes, and prints KUnit's summary.
mkdir -p "$uml"
cd "$src"
rc=0
python3 tools/testing/kunit/kunit.py run \
	--arch=um \
	--build_dir="$uml" \
	--kunitconfig="$here/kunitconfig" \
	--jobs="$JOBS" \
	--timeout=300 || rc=$?

echo "kunit: $(($(date +%s) - start)) s, exit $rc"
exit $rc
