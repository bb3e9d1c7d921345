# e2e-timeout: 2400
# e2e-checks: 3
# Benchmark 1, grow (issue 5). A PV DomU booted at 512 MiB with maxmem 4096 MiB, `xl mem-set` to
# 4096 MiB, then workloads that need what the new size allows. Twice in the same run, each in a
# fresh guest: "without" (module not loaded) and "with" (module loaded before the grow).
#   threads   threadstorm: threads created before pthread_create fails (threads-max)
#   watches   inotifystorm: watches added before ENOSPC (fs.inotify.max_user_watches)
#   tcp       tcpbulk, 16 streams over loopback, 20 s, reading: throughput, peak TCP memory,
#             TCPMemoryPressures during the run
. /bench/dom0-lib.sh
s=bench-grow
tmax=${BENCH_THREADS_MAX:-12000}
wmax=${BENCH_WATCHES_MAX:-16384}
bench grow-caps threads "$tmax" watches "$wmax"

grow_run()
{
	local mode="$1" name="u-grow-$1" t0 out

	if [ "$mode" = with ]; then
		domu_boot_with_kmod $name 512 4096 "$s-$mode-load" || return 1
		wait_until 60 sh -c ". /e2e/lib.sh; [ -n \"\$(kmod_ack $name applied-kb)\" ]"
	else
		domu_create $name 512 4096 || { fail "$s-$mode-boot" "DomU did not boot"; return 1; }
	fi
	t0=$(now_ms)
	xl mem-set $name 4096m
	bench grow "$mode" balloon-settled "$(domu_settle $name 300)"
	[ "$mode" = with ] && bench_wait_kmod $name 4194304 180
	say "TIME $s $mode grow-to-ready $(($(now_ms) - t0))"
	domu_run $name '/e2e/collect-values.sh' | while read -r k v; do
		bench grow "$mode" value "$k" "$v"
	done
	bench grow "$mode" value mem_total_kb "$(domu_run $name "awk '/^MemTotal:/ { print \$2 }' /proc/meminfo")"
	bench_prepare $name

	bench_counters $name grow "$mode" before
	bench_threadstorm $name grow "$mode" "$tmax" 2
	out=$(bench_workload $name "mkdir -p /tmp/w && /bench/bin/inotifystorm /tmp/w $wmax" 600)
	bench grow "$mode" inotifystorm $out
	bench_counters $name grow "$mode" before-tcp
	out=$(bench_workload $name "/bench/bin/tcpbulk 16 20 read" 300)
	bench grow "$mode" tcpbulk $out
	bench_counters $name grow "$mode" after
	check_true "$s-$mode-alive" "guest died" domu_alive $name
	domu_destroy $name
}

grow_run without
grow_run with
scan_consoles "$s-consoles-clean"
