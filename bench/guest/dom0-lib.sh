# Dom0 helpers of the benchmark scenarios (bench/scenarios/bench-*.sh), after /e2e/lib.sh.
# Results are "@@E2E BENCH <table> <key>... <value>" lines; bench/report.sh turns them into the
# tables of docs/benchmarks.md. Nothing here passes or fails on a number.
. /bench/params 2>/dev/null

bench() { say "BENCH $*"; }

# bench_counters NAME TABLE MODE WHEN: the guest's kernel counters as BENCH lines.
bench_counters()
{
	domu_run "$1" /bench/counters.sh | while read -r k v; do
		bench "$2" "$3" "counter-$4" "$k" "$v"
	done
}

# bench_wait_settled NAME N TIMEOUT_S: until the guest's monitor has logged N settled passes.
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

bench meta xen "$(xl info | sed -n 's/^xen_version *: *//p')"
bench meta kernel "$(uname -r) $(uname -v)"

# bench_threadstorm NAME TABLE MODE MAX HOLD_S: the thread storm, reported even when the OOM
# killer ends it: "threads <n> stop <EAGAIN|max|killed(signal)>".
bench_threadstorm()
{
	local out

	out=$(bench_workload "$1" "rm -f /tmp/threads.n; /bench/bin/threadstorm $4 $5 /tmp/threads.n"'; rc=$?
		[ $rc = 0 ] || echo "threads $(cat /tmp/threads.n) stop killed-status-$rc"' 900)
	bench "$2" "$3" threadstorm $(echo "$out" | grep '^threads' | tail -n 1)
}

# bench_wait_kmod NAME TARGET_KB TIMEOUT_S: until the module in the guest is idle with the
# balloon target TARGET_KB (its settled pass done). applied-kb cannot be used for this: after a
# shrink from a larger boot size, totalram stays far below the target (the boot's memmap stays).
bench_wait_kmod()
{
	wait_until "$3" sh -c ". /e2e/lib.sh; [ \"\$(domu_run $1 'echo \$(cat /sys/kernel/xen_memtune/state) \$(cat /sys/kernel/xen_memtune/target_kb)' 20)\" = 'idle $2' ]"
}
