#!/bin/bash
# make bench: the benchmarks of issues 5, 14 and 16, on real Xen 4.17 in QEMU (the e2e rig's images
# and helpers). Each benchmark runs its arms interleaved (without, with, native, without, ...)
# BENCH_REPS times, all in one Xen boot. Writes the raw results, one small TSV file per benchmark,
# and the tables made from them (bench/report.py); never passes or fails on a number (the exit
# status says only whether the rig ran).
#
#   BENCH_SCENARIOS=latency,grow,shrink,agent,rogue,rogue-beyond,rogue-rebalance   what to
#                        run (default: all seven, in that order; the rogue ones boot with the
#                        throttled Dom0 disk of their # e2e-needs)
#   BENCH_ROGUE_BEYOND_MIB=N   the hog of rogue-beyond, MiB (default 640: beyond the rogue's
#                        maxmem of 512)
#   BENCH_REPS=N         repetitions of each benchmark's arms (default 5)
#   BENCH_CYCLES=N       resize cycles per arm and rep of the latency benchmark (default 10; each
#                        cycle is two resizes of 1-4 s under TCG)
#   BENCH_AGENT_S=S      length of each agent footprint window, seconds (default 60)
#   BENCH_GROW_MIB="FROM TO", BENCH_SHRINK_MIB="FROM TO"   sizes (default "512 4096", "4096 512")
#   BENCH_TCP_S=S        length of the TCP workloads (default 10)
#   BENCH_THREADS_MAX=N, BENCH_WATCHES_MAX=N   caps of the storms (default 0: none, each storm
#                        runs until the kernel stops it)
#   BENCH_RESULTS=dir    where the raw results go (default bench/results, the published run:
#                        docs/benchmarks.md's tables are regenerated from them); any other folder
#                        gets them and its own report.md, and docs/ is left alone
#   BENCH_DIR=dir        build output and logs (default build/bench)
#   BENCH_BUILD_ONLY=1   build the images and stop (no rig)
#   E2E_ACCEL, E2E_KMOD  as for tests/e2e/run.sh
#
# The tables name the commit measured: HEAD, and whether the tree had changes outside
# bench/results/ and docs/ (then the numbers are not that commit's).
set -u
BENCH_HERE=$(cd "$(dirname "$0")" && pwd)
. "$BENCH_HERE/../tests/e2e/lib/rig.sh"
. "$BENCH_HERE/lib/images.sh"
BENCH_DIR=${BENCH_DIR:-$E2E_BUILD/bench}
BENCH_RESULTS=${BENCH_RESULTS:-$E2E_REPO/bench/results}
export BENCH_REPS=${BENCH_REPS:-5} BENCH_CYCLES=${BENCH_CYCLES:-10} BENCH_AGENT_S=${BENCH_AGENT_S:-60}
export BENCH_GROW_MIB=${BENCH_GROW_MIB:-512 4096} BENCH_SHRINK_MIB=${BENCH_SHRINK_MIB:-4096 512}
export BENCH_TCP_S=${BENCH_TCP_S:-10}
export BENCH_THREADS_MAX=${BENCH_THREADS_MAX:-0} BENCH_WATCHES_MAX=${BENCH_WATCHES_MAX:-0}

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

# The commit measured, taken before anything is built from the tree.
commit=$(cd "$E2E_REPO" && git rev-parse HEAD 2>/dev/null || echo unknown)
changed=$(cd "$E2E_REPO" && git status --porcelain -- . ':!bench/results' ':!docs' 2>/dev/null | wc -l)
start=$(date +%s)
started=$(date -u '+%Y-%m-%d %H:%M UTC')
bench_build_kmod
export E2E_KMOD="$BENCH_DIR/xen_memtune.ko"
bench_build_images
# BENCH_BUILD_ONLY=1: the images only (cached for the next run), e.g. while another holds the rig.
if [ -n "${BENCH_BUILD_ONLY:-}" ]; then
	echo "# images: $BENCH_DIR/images"
	exit 0
fi

# The host's load during the run, every 30 s: the rig shares its CPUs with whatever else runs.
: >"$BENCH_DIR/host-load.txt"
(while :; do cut -d' ' -f1 /proc/loadavg >>"$BENCH_DIR/host-load.txt"; sleep 30; done) &
load_sampler=$!
trap 'e2e_kill_qemu; kill $load_sampler 2>/dev/null' EXIT

list=${BENCH_SCENARIOS:-latency,grow,shrink,agent,rogue,rogue-beyond,rogue-rebalance}
run=""
for b in $(echo "$list" | tr ',' ' '); do
	[ -f "$BENCH_HERE/scenarios/bench-$b.sh" ] || e2e_die "no benchmark bench/scenarios/bench-$b.sh"
	run="$run${run:+:}bench-$b"
done
# One Xen boot for all of them (each scenario has its own timeout in Dom0). Xen, Dom0 and a DomU
# of 4 GiB. Dom0 gets 1 GiB: its initramfs holds the DomU image twice (its own tree and
# /images/domu.cpio) plus the kernel, and with the agent in the image 512 MiB is not enough to
# unpack it ("Initramfs unpacking failed: write error").
e2e_boot_xen bench "$run" 6656 1024 "${BENCH_TIMEOUT:-36000}"
kill "$load_sampler" 2>/dev/null
wall=$(($(date +%s) - start))
echo "# TIME bench total-wall $((wall * 1000))"

# bench_tsv NAME: the raw results of benchmark NAME, from the serial log, with the run's header.
bench_tsv()
{
	local log="$E2E_LOGS/bench.log" cols

	echo "# xen-memtune make bench: $1 (bench/scenarios/bench-$1.sh); bench/report.py makes its tables"
	printf '# %s\t%s\n' commit "$commit" \
		tree "$([ "$changed" -eq 0 ] && echo clean || echo "$changed files changed outside bench/results/ and docs/")" \
		started "$started" \
		run-wall-s "$wall" \
		run-benchmarks "$list" \
		host-cpu "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)" \
		host-cpus "$(nproc)" \
		host-mem-gib "$(awk '/^MemTotal:/ { printf "%d", $2 / 1048576 }' /proc/meminfo)" \
		accel "$(e2e_accel_args)" \
		qemu "$(qemu-system-x86_64 --version | head -n 1)" \
		host-load-1min "$(sort -n "$BENCH_DIR/host-load.txt" | awk '{ v[NR] = $1 }
			END { if (NR) printf "min %s median %s max %s", v[1], v[int((NR + 1) / 2)], v[NR] }')" \
		scenario-wall-s "$(tr -d '\r' <"$log" | sed -n "s/.*@@E2E TIME bench-$1 scenario-wall \([0-9]*\).*/\1/p" |
			awk '{ printf "%d", $1 / 1000 }')"
	# The guest's parameters ("rep" and "arm" are "-"), then the samples.
	tr -d '\r' <"$log" | sed -n "s/.*@@E2E BENCH $1 - - \([^ ]*\) \(.*\)/# \1\t\2/p"
	cols=$(tr -d '\r' <"$log" | sed -n "s/.*@@E2E BENCH $1 - - columns \(.*\)/\1/p" | tail -n 1)
	if [ -n "$cols" ]; then
		# One row per arm run ("BENCH NAME row V1 V2 ..."), under the columns it named.
		echo "$cols" | tr ' ' '\t'
		tr -d '\r' <"$log" | sed -n "s/.*@@E2E BENCH $1 row \(.*\)/\1/p" | tr ' ' '\t'
		return
	fi
	printf 'rep\tarm\tmetric\tvalue\n'
	tr -d '\r' <"$log" | sed -n "s/.*@@E2E BENCH $1 \([0-9][0-9]*\) \([^ ]*\) \([^ ]*\) \(.*\)/\1\t\2\t\3\t\4/p"
}

mkdir -p "$BENCH_RESULTS"
for b in $(echo "$list" | tr ',' ' '); do
	bench_tsv "$b" >"$BENCH_RESULTS/$b.tsv"
	echo "# results: $BENCH_RESULTS/$b.tsv ($(grep -vc '^#' "$BENCH_RESULTS/$b.tsv") lines)"
done
if [ "$BENCH_RESULTS" -ef "$E2E_REPO/bench/results" ]; then
	python3 "$BENCH_HERE/report.py" --results "$BENCH_RESULTS" --update "$E2E_REPO/docs/benchmarks.md" \
		--plots "$E2E_REPO/docs/benchmarks" >"$BENCH_DIR/report.md"
	echo "# tables: docs/benchmarks.md (from $BENCH_RESULTS)"
else
	python3 "$BENCH_HERE/report.py" --results "$BENCH_RESULTS" --plots "$BENCH_RESULTS" \
		>"$BENCH_RESULTS/report.md"
	echo "# tables: $BENCH_RESULTS/report.md"
fi
e2e_summary
