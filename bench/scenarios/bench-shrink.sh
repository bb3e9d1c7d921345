# e2e-timeout: 2400
# e2e-checks: 3
# Benchmark 2, shrink (issue 5). A PV DomU booted at 4096 MiB, `xl mem-set` to 512 MiB, then
# workloads that boot-sized limits let run away. Twice in the same run, each in a fresh guest:
# "without" (module not loaded) and "with" (module loaded before the shrink).
#   canary    a 32 MiB process touching its memory every second (the guest's real service)
#   tcp       tcpbulk, 64 streams over loopback, 30 s, receivers that never read
#   threads   threadstorm up to BENCH_THREADS_MAX threads, held 5 s
# The rig's own command loop is protected from the OOM killer (oom_score_adj -1000); the
# workloads and the canary run at 0. A sampler records used memory, TCP memory and the balloon
# every 0.5 s from before the shrink to the end (the plot).
. /bench/dom0-lib.sh
s=bench-shrink
tmax=${BENCH_THREADS_MAX:-12000}

shrink_run()
{
	local mode="$1" name="u-shr-$1" t0 out alive beats

	if [ "$mode" = with ]; then
		domu_boot_with_kmod $name 4096 4096 "$s-$mode-load" || return 1
		wait_until 60 sh -c ". /e2e/lib.sh; [ -n \"\$(kmod_ack $name applied-kb)\" ]"
	else
		domu_create $name 4096 4096 || { fail "$s-$mode-boot" "DomU did not boot"; return 1; }
	fi
	bench_prepare $name
	domu_run $name '(echo 0 >/proc/self/oom_score_adj; exec /bench/bin/canary 32 /tmp/canary.beat) >/dev/null 2>&1 &
		(/bench/sampler.sh 0.5 /tmp/samples >/dev/null 2>&1 &); echo ok' >/dev/null
	sleep 3
	t0=$(now_ms)
	xl mem-set $name 512m
	bench shrink "$mode" balloon-settled "$(domu_settle $name 300)"
	[ "$mode" = with ] && bench_wait_kmod $name 524288 180
	say "TIME $s $mode shrink-to-ready $(($(now_ms) - t0))"
	domu_run $name '/e2e/collect-values.sh' | while read -r k v; do
		bench shrink "$mode" value "$k" "$v"
	done
	bench shrink "$mode" value mem_total_kb "$(domu_run $name "awk '/^MemTotal:/ { print \$2 }' /proc/meminfo")"
	domu_run $name 'echo "$(awk "{ printf \"%d\", \$1 * 1000 }" /proc/uptime) workloads" >/tmp/marks' >/dev/null

	bench_counters $name shrink "$mode" before
	out=$(bench_workload $name "/bench/bin/tcpbulk 64 30 noread" 300)
	bench shrink "$mode" tcpbulk ${out:-none}
	bench_counters $name shrink "$mode" after-tcp
	domu_run $name 'echo "$(awk "{ printf \"%d\", \$1 * 1000 }" /proc/uptime) threads" >>/tmp/marks' >/dev/null
	bench_threadstorm $name shrink "$mode" "$tmax" 5
	sleep 5
	bench_counters $name shrink "$mode" after
	if domu_alive $name; then
		pass "$s-$mode-alive"
		bench shrink "$mode" guest alive
		alive=$(domu_run $name 'pidof canary >/dev/null && echo yes || echo no')
		beats=$(domu_run $name 'cat /tmp/canary.beat')
		bench shrink "$mode" canary "${alive:-unknown}" "${beats:-0}"
		domu_run $name 'cat /tmp/samples' | while read -r t used tcp cur total; do
			bench sample "$mode" "$t" "$used" "$tcp" "$cur" "$total"
		done
		domu_run $name 'cat /tmp/marks' | while read -r t what; do
			bench sample-mark "$mode" "$t" "$what"
		done
		domu_run $name 'dmesg | grep -c "Out of memory"' | while read -r n; do
			bench shrink "$mode" dmesg-oom "$n"
		done
	else
		fail "$s-$mode-alive" "guest died"
		bench shrink "$mode" guest died
		domu_console_tail $name 15
	fi
	domu_destroy $name
}

shrink_run without
shrink_run with
# The "without" guest may die or print OOM lines on purpose: that is the result, not a rig fault.
scan_consoles "$s-consoles-clean" u-shr
