# Dom0 helpers of the benchmark scenarios (bench/scenarios/bench-*.sh), after /e2e/lib.sh.
# Results are "@@E2E BENCH <bench> <rep> <arm> <metric> <value>" lines (rep and arm "-" for
# the run's parameters); bench/run.sh writes them as bench/results/<bench>.tsv, and
# bench/report.py turns those into the tables of docs/benchmarks.md. Nothing here passes or
# fails on a number.
. /bench/params 2>/dev/null

# Repetitions: every benchmark runs its arms interleaved, BENCH_REPS times.
reps=${BENCH_REPS:-5}

# bench_put BENCH REP ARM METRIC VALUE...
bench_put() { say "BENCH $*"; }

# bench_counters NAME: the guest's kernel counters (counters.sh), "name value" a line.
bench_counters() { domu_run "$1" /bench/counters.sh; }

# counter_delta BEFORE AFTER NAME: AFTER's value of NAME less BEFORE's ("-" if either is missing).
counter_delta()
{
	awk -v k="$3" -v a="$1" -v b="$2" 'BEGIN {
		n = split(a, x, "\n"); for (i = 1; i <= n; i++) { split(x[i], f, " "); if (f[1] == k) va = f[2] }
		n = split(b, x, "\n"); for (i = 1; i <= n; i++) { split(x[i], f, " "); if (f[1] == k) vb = f[2] }
		if (va == "" || vb == "") print "-"; else print vb - va }'
}

# bench_wait_settled NAME N TIMEOUT_S: until the guest's recorder has logged N settled passes.
bench_wait_settled()
{
	wait_until "$3" sh -c "[ \"\$(xenstore-read /local/domain/$(domu_id "$1")/data/bench/settled 2>/dev/null || echo 0)\" -ge $2 ]"
}

# bench_prepare NAME: loopback up (the rig's guests have no network set up), and the rig's
# command loop protected from the OOM killer, or nothing could be read back after an OOM storm.
# Workloads started later set their own oom_score_adj back to 0.
bench_prepare()
{
	domu_run "$1" 'ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up
		for p in /proc/[0-9]*; do echo -1000 >$p/oom_score_adj; done 2>/dev/null; echo ready' >/dev/null
}

# bench_workload NAME COMMAND [TIMEOUT_S]: runs a workload in the guest at oom_score_adj 0.
bench_workload()
{
	domu_run "$1" "echo 0 >/proc/self/oom_score_adj; $2" "${3:-300}"
}

# bench_threadstorm NAME MAX HOLD_S: the thread storm, also when the OOM killer ends it:
# prints "threads <n> stop <EAGAIN|max|killed-status-N> create_ms <ms>".
bench_threadstorm()
{
	bench_workload "$1" "rm -f /tmp/threads.n; /bench/bin/threadstorm $2 $3 /tmp/threads.n"'; rc=$?
		[ $rc = 0 ] || echo "threads $(cat /tmp/threads.n) stop killed-status-$rc create_ms -"' 1800 |
		grep '^threads' | tail -n 1
}

# field LINE KEY: the word after KEY in LINE ("k1 v1 k2 v2 ..." as the workloads print), or "-".
field()
{
	echo "$1" | awk -v k="$2" '{ for (i = 1; i < NF; i++) if ($i == k) v = $(i + 1) }
		END { print (v == "" ? "-" : v) }'
}

# bench_meta BENCH: the run's parameters every table names (Xen, kernel, repetitions).
bench_meta()
{
	bench_put "$1" - - reps "$reps"
	bench_put "$1" - - xen "$(xl info | sed -n 's/^xen_version *: *//p')"
	bench_put "$1" - - kernel "$(uname -r) $(uname -v)"
}

# bench_values BENCH REP ARM NAME COLUMN...: the values in force in the guest (collect-values.sh,
# named as in the golden table) and MemTotal, one metric each.
bench_values()
{
	local b="$1" r="$2" a="$3" name="$4" all c

	shift 4
	all=$(domu_run "$name" '/e2e/collect-values.sh; awk "/^MemTotal:/ { print \"mem_total_kb\", \$2 }" /proc/meminfo')
	for c in mem_total_kb "$@"; do
		bench_put "$b" "$r" "$a" "$c" "$(echo "$all" | awk -v c="$c" '$1 == c { print $2 }')"
	done
}

# bench_wait_kmod NAME TARGET_KB TIMEOUT_S: until the module in the guest is idle with the
# balloon target TARGET_KB (its settled pass done). applied-kb cannot be used for this: after a
# shrink from a larger boot size, totalram stays far below the target (the boot's memmap stays).
bench_wait_kmod()
{
	wait_until "$3" sh -c ". /e2e/lib.sh; [ \"\$(domu_run $1 'echo \$(cat /sys/kernel/xen_memtune/state) \$(cat /sys/kernel/xen_memtune/target_kb)' 20)\" = 'idle $2' ]"
}

# No cap on a storm unless BENCH_*_MAX says so (0 or empty): it runs until the kernel stops it.
storm_cap() { [ "${1:-0}" -gt 0 ] 2>/dev/null && echo "$1" || echo 100000000; }

# bench_arm_boot CHECK ARM NAME FROM_MIB MAXMEM_MIB NATIVE_MIB: the guest of one arm of grow or
# shrink: "without" booted at FROM_MIB with maxmem MAXMEM_MIB, "with" the same with the module
# loaded and its first pass done, "native" booted at NATIVE_MIB (memory = maxmem).
bench_arm_boot()
{
	local check="$1" arm="$2" name="$3"

	case $arm in
	with)
		domu_boot_with_kmod "$name" "$4" "$5" "$check-load" || return 1
		wait_until 60 sh -c ". /e2e/lib.sh; [ -n \"\$(kmod_ack $name applied-kb)\" ]"
		return 0
		;;
	without) domu_create "$name" "$4" "$5" ;;
	*) domu_create "$name" "$6" "$6" ;;
	esac || { fail "$check-boot" "DomU did not boot"; return 1; }
}

# bench_interleave SCENARIO FUNCTION ARM...: FUNCTION REP ARM for each ARM in turn, $reps times
# (without, with, native, without, ...), each arm's wall time on a TIME line.
bench_interleave()
{
	local s="$1" f="$2" r arm t0

	shift 2
	for r in $(seq "$reps"); do
		for arm in "$@"; do
			t0=$(now_ms)
			"$f" "$r" "$arm"
			say "TIME $s $r-$arm arm-wall $(($(now_ms) - t0))"
		done
	done
}
