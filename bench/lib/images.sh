# Host side of the benchmarks: the rig's images plus a bench overlay. Sourced by bench/run.sh
# after tests/e2e/lib/rig.sh.
#
# The rig (tests/e2e/lib/images.sh) has no hook for extra guest files, so this builds its images
# in a folder of our own and appends one more cpio archive to them (initramfs archives
# concatenate; a later file wins):
#   /bench/bin/     the workload programs (bench/src/*.c, static)
#   /bench/*.sh     guest-side helpers (bench/guest/)
#   /bench/params   the run's parameters (BENCH_* variables)
#   /e2e/scenarios/bench-*.sh   the Dom0 side (bench/scenarios/), run by the rig's dom0-run.sh
#   /opt/memtune/xen-memtuned, memtunectl, xen-memtune-arbiter   the agent, CLI and Dom0 arbiter
#               with their libraries
#
# Layout under $BENCH_DIR (build/bench):
#   rig/        the rig's own images (its E2E_DIR), cached as the rig caches them
#   bin/        the static workload programs
#   images/     xen and vmlinux (links to rig/images), domu.cpio and dom0.cpio with the overlay
#               (Dom0 carries domu.cpio, and also compressed as /images/bench-domu.cpio.zst)
#   logs/       serial logs of each boot

bench_build_programs()
{
	local src out="$BENCH_DIR/bin"

	mkdir -p "$out"
	for src in "$BENCH_HERE"/src/*.c; do
		gcc -static -O2 -Wall -Wextra -pthread -o "$out/$(basename "$src" .c)" "$src" ||
			e2e_die "building $src failed"
	done
}

# The agent's binaries: wherever `make agent` put them under $BUILD/agent, else built here
# (bench/run.sh run on its own, without `make bench`).
bench_agent_binary()
{
	local f

	f=$(find "$E2E_BUILD/agent" -type f -perm -u+x -name "$1" 2>/dev/null | head -n 1)
	if [ -z "$f" ]; then
		if [ -z "$(find "$BENCH_DIR/agent" -type f -perm -u+x -name "$1" 2>/dev/null)" ]; then
			e2e_log "building $1 in $BENCH_DIR/agent"
			{ cmake -S "$E2E_REPO/agent" -B "$BENCH_DIR/agent" -DCMAKE_BUILD_TYPE=RelWithDebInfo &&
			  cmake --build "$BENCH_DIR/agent" -j"$(nproc)" --target "$1"; } >"$BENCH_DIR/agent-build.log" 2>&1 ||
				e2e_log "building $1 failed (see $BENCH_DIR/agent-build.log)"
		fi
		f=$(find "$BENCH_DIR/agent" -type f -perm -u+x -name "$1" 2>/dev/null | head -n 1)
	fi
	echo "$f"
}

bench_build_images()
{
	local img="$BENCH_DIR/images" rig="$BENCH_DIR/rig/images" f

	# The rig's images, in our own folder, so a colleague's `make e2e` and this run never
	# rebuild the same files under each other. The .debs are reused from the rig's folder.
	mkdir -p "$BENCH_DIR/rig/debs"
	for f in "$E2E_BUILD"/e2e/debs/*.deb; do
		[ -f "$f" ] && [ ! -f "$BENCH_DIR/rig/debs/$(basename "$f")" ] && cp "$f" "$BENCH_DIR/rig/debs/"
	done
	E2E_DIR="$BENCH_DIR/rig"
	e2e_build_images
	E2E_DIR="$BENCH_DIR"
	E2E_LOGS="$BENCH_DIR/logs"

	bench_build_programs
	E2E_STAGE="$BENCH_DIR/stage"
	rm -rf "$E2E_STAGE"
	mkdir -p "$E2E_STAGE/bench/bin" "$E2E_STAGE/e2e/scenarios" "$E2E_STAGE/opt/memtune"
	cp "$BENCH_DIR"/bin/* "$E2E_STAGE/bench/bin/"
	cp "$BENCH_HERE"/guest/*.sh "$E2E_STAGE/bench/"
	cp "$BENCH_HERE"/scenarios/*.sh "$E2E_STAGE/e2e/scenarios/"
	chmod 0755 "$E2E_STAGE"/bench/*.sh
	env | grep '^BENCH_[A-Z_]*=' | grep -v '^BENCH_\(DIR\|HERE\)=' | sed "s/=\(.*\)/='\1'/" \
		>"$E2E_STAGE/bench/params"
	for f in xen-memtuned memtunectl xen-memtune-arbiter; do
		f=$(bench_agent_binary "$f")
		[ -n "$f" ] || continue
		e2e_copy_binary "$f" "/opt/memtune/$(basename "$f")"
		# RelWithDebInfo: debug info would make Dom0's initramfs overflow its rootfs.
		strip --strip-debug "$E2E_STAGE/opt/memtune/$(basename "$f")"
	done
	# The module this run measures (a snapshot: kmod/ is being worked on while we run).
	[ -f "$BENCH_DIR/xen_memtune.ko" ] && cp "$BENCH_DIR/xen_memtune.ko" "$E2E_STAGE/opt/memtune/"

	mkdir -p "$img"
	ln -sf "$rig/xen" "$img/xen"
	ln -sf "$rig/vmlinux" "$img/vmlinux"
	(cd "$E2E_STAGE" && find . | cpio -o -H newc --quiet) >"$BENCH_DIR/overlay.cpio" ||
		e2e_die "cpio of the bench overlay failed"
	cat "$rig/domu.cpio" "$BENCH_DIR/overlay.cpio" >"$img/domu.cpio"
	rm -rf "$BENCH_DIR/extra"
	mkdir -p "$BENCH_DIR/extra/images"
	cp "$rig/vmlinux" "$img/domu.cpio" "$BENCH_DIR/extra/images/"
	# The same image compressed, for guests too small to hold it twice while booting (the
	# ramdisk and the tmpfs it unpacks into: bench-rogue's neighbour of 128 MiB panicked with
	# the 53 MB image). The other benchmarks keep booting the uncompressed one they were measured
	# with.
	zstd -q -T0 -o "$BENCH_DIR/extra/images/bench-domu.cpio.zst" "$img/domu.cpio" ||
		e2e_die "zstd of the bench guest image failed"
	(cd "$BENCH_DIR/extra" && find . | cpio -o -H newc --quiet) >"$BENCH_DIR/extra.cpio"
	cat "$img/domu.cpio" "$BENCH_DIR/extra.cpio" >"$img/dom0.cpio"
	rm -rf "$BENCH_DIR/extra" "$BENCH_DIR/extra.cpio" "$E2E_STAGE"
}
