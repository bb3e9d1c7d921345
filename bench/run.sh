#!/bin/bash
# make bench: the benchmarks of issue 5, on real Xen 4.17 in QEMU (the e2e rig's images and
# helpers), "without" and "with" in the same run. Prints numbers and writes tables; never
# passes or fails on a number (the exit status says only whether the rig ran).
#
#   BENCH_SCENARIOS=latency,grow,shrink,agent   what to run (default: all four, in that order;
#                        each is its own QEMU boot, so one that breaks does not take the rest)
#   BENCH_CYCLES=N       resize cycles per phase of the latency benchmark (default 50, as
#                        issue 5 asks; each cycle is two resizes of 1-4 s under TCG)
#   BENCH_AGENT_S=S      length of each agent footprint window, seconds (default 300, as issue 5 asks)
#   BENCH_THREADS_MAX=N  cap of the thread storm (default 12000: about 6 ms a thread under TCG)
#   BENCH_WATCHES_MAX=N  cap of the inotify storm (default 16384)
#   BENCH_DIR=dir        where everything goes (default build/bench)
#   E2E_ACCEL, E2E_KMOD  as for tests/e2e/run.sh
#
# Output: build/bench/results.txt (every BENCH line), build/bench/report.md (the tables),
# build/bench/shrink.png (the plot), build/bench/logs/ (serial logs).
set -u
BENCH_HERE=$(cd "$(dirname "$0")" && pwd)
. "$BENCH_HERE/../tests/e2e/lib/rig.sh"
. "$BENCH_HERE/lib/images.sh"
BENCH_DIR=${BENCH_DIR:-$E2E_BUILD/bench}
export BENCH_CYCLES=${BENCH_CYCLES:-50} BENCH_AGENT_S=${BENCH_AGENT_S:-300}
export BENCH_THREADS_MAX=${BENCH_THREADS_MAX:-12000} BENCH_WATCHES_MAX=${BENCH_WATCHES_MAX:-16384}

"$E2E_REPO/scripts/install-deps.sh" kmod agent e2e bench || e2e_die "installing packages failed"
mkdir -p "$BENCH_DIR"

# A snapshot of the module: kmod/ may be rebuilt by someone else while this runs.
bench_build_kmod()
{
	local src="$BENCH_DIR/kmod-src" kver

	if [ -n "${E2E_KMOD:-}" ]; then
		cp "$E2E_KMOD" "$BENCH_DIR/xen_memtune.ko"
		return
	fi
	kver=$(e2e_kernel_version)
	rm -rf "$src"
	mkdir -p "$src"
	cp "$E2E_REPO"/kmod/Kbuild "$E2E_REPO"/kmod/*.c "$E2E_REPO"/kmod/*.h "$src/"
	make -s -C "/lib/modules/$kver/build" M="$src" modules >"$BENCH_DIR/kmod-build.log" 2>&1 ||
		e2e_die "building the module failed (see $BENCH_DIR/kmod-build.log)"
	cp "$src/xen_memtune.ko" "$BENCH_DIR/xen_memtune.ko"
	echo "# kmod: $(cd "$E2E_REPO" && git log -1 --format='%h %s' -- kmod)"
}

start=$(date +%s)
bench_build_kmod
export E2E_KMOD="$BENCH_DIR/xen_memtune.ko"
bench_build_images

list=${BENCH_SCENARIOS:-latency,grow,shrink,agent}
{
	echo "host cpu $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
	echo "host cpus $(nproc)"
	echo "host mem-gib $(awk '/^MemTotal:/ { printf "%d", $2 / 1048576 }' /proc/meminfo)"
	echo "host accel $(e2e_accel_args)"
	echo "host qemu $(qemu-system-x86_64 --version | head -n 1)"
	echo "host kmod $(cd "$E2E_REPO" && git log -1 --format='%h' -- kmod)"
	echo "host agent $(cd "$E2E_REPO" && git log -1 --format='%h' -- agent)"
	echo "host date $(date -u '+%Y-%m-%d %H:%M UTC')"
} | sed 's/^/meta /' >"$BENCH_DIR/results.txt"
for b in $(echo "$list" | tr ',' ' '); do
	[ -f "$BENCH_HERE/scenarios/bench-$b.sh" ] || e2e_die "no benchmark bench/scenarios/bench-$b.sh"
	echo "meta load-before-$b $(cut -d' ' -f1-3 /proc/loadavg)" >>"$BENCH_DIR/results.txt"
	# Xen, Dom0 and a DomU of 4 GiB. Dom0 gets 1 GiB: its initramfs holds the DomU image twice
	# (its own tree and /images/domu.cpio) plus the kernel, and with the agent in the image
	# 512 MiB is not enough to unpack it ("Initramfs unpacking failed: write error").
	e2e_boot_xen "bench-$b" "bench-$b" 6656 1024 "${BENCH_TIMEOUT:-3600}"
	tr -d '\r' <"$E2E_LOGS/bench-$b.log" | sed -n 's/.*@@E2E BENCH //p' >>"$BENCH_DIR/results.txt"
	tr -d '\r' <"$E2E_LOGS/bench-$b.log" | sed -n 's/.*@@E2E TIME /TIME /p' >>"$BENCH_DIR/results.txt"
	echo "meta load-after-$b $(cut -d' ' -f1-3 /proc/loadavg)" >>"$BENCH_DIR/results.txt"
done
echo "# TIME bench total-wall $((($(date +%s) - start) * 1000))"
echo "TIME bench total-wall $((($(date +%s) - start) * 1000))" >>"$BENCH_DIR/results.txt"
python3 "$BENCH_HERE/report.py" "$BENCH_DIR/results.txt" "$BENCH_DIR" >"$BENCH_DIR/report.md"
cat "$BENCH_DIR/report.md"
e2e_summary
