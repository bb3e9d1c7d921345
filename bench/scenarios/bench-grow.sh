# e2e-timeout: 14400
# e2e-checks: 4
# Benchmark grow (issue 5; spread and the native arm: issue 14). Three arms, each in a fresh PV
# DomU, interleaved BENCH_REPS times (without, with, native, without, with, native, ...):
#   without  booted at FROM MiB with maxmem TO MiB, then `xl mem-set` to TO; no module
#   with     the same, with the module loaded before the grow
#   native   booted at TO MiB (memory = maxmem): what a guest of that size has
# FROM and TO: BENCH_GROW_MIB ("512 4096"). Then, in each guest, workloads that need what the new
# size allows, each run until the kernel stops it (no cap unless BENCH_*_MAX sets one):
#   threads   threadstorm: threads created until pthread_create fails (threads-max)
#   watches   inotifystorm: watches added until ENOSPC (fs.inotify.max_user_watches)
#   tcp       tcpbulk, 16 streams over loopback, BENCH_TCP_S seconds, reading: throughput, peak
#             TCP memory, TCPMemoryPressures and PruneCalled during the run
. /bench/dom0-lib.sh
s=bench-grow
b=grow
set -- ${BENCH_GROW_MIB:-512 4096}
from=$1
to=$2
tcap=$(storm_cap "${BENCH_THREADS_MAX:-0}")
wcap=$(storm_cap "${BENCH_WATCHES_MAX:-0}")
tcp_s=${BENCH_TCP_S:-10}
bench_meta $b
bench_put $b - - from-mib "$from"
bench_put $b - - to-mib "$to"
bench_put $b - - threads-cap "${BENCH_THREADS_MAX:-0}"
bench_put $b - - watches-cap "${BENCH_WATCHES_MAX:-0}"
bench_put $b - - tcp-s "$tcp_s"

grow_arm()
{
	local r="$1" arm="$2" name="u-grow-$2-$1" t0 c0 c1 c2 out

	bench_arm_boot "$s-$r-$arm" "$arm" "$name" "$from" "$to" "$to" || return 1
	if [ "$arm" != native ]; then
		t0=$(now_ms)
		xl mem-set "$name" "${to}m"
		domu_settle "$name" 300 >/dev/null
		[ "$arm" = with ] && bench_wait_kmod "$name" $((to * 1024)) 180
		bench_put $b "$r" "$arm" ready_ms $(($(now_ms) - t0))
	fi
	bench_values $b "$r" "$arm" "$name" threads_max inotify_max_user_watches tcp_mem_2 \
		tcp_rmem_max file_max min_free_kbytes
	bench_prepare "$name"

	c0=$(bench_counters "$name")
	out=$(bench_threadstorm "$name" "$tcap" 2)
	bench_put $b "$r" "$arm" threads "$(field "$out" threads)"
	bench_put $b "$r" "$arm" threads_stop "$(field "$out" stop)"
	bench_put $b "$r" "$arm" threads_create_ms "$(field "$out" create_ms)"
	out=$(bench_workload "$name" "mkdir -p /tmp/w && /bench/bin/inotifystorm /tmp/w $wcap" 1800)
	bench_put $b "$r" "$arm" watches "$(field "$out" watches)"
	bench_put $b "$r" "$arm" watches_stop "$(field "$out" stop)"
	c1=$(bench_counters "$name")
	out=$(bench_workload "$name" "/bench/bin/tcpbulk 16 $tcp_s read" 300)
	c2=$(bench_counters "$name")
	bench_put $b "$r" "$arm" tcp_mbit_s "$(field "$out" mbit_s)"
	bench_put $b "$r" "$arm" tcp_peak_pages "$(field "$out" peak_tcp_pages)"
	bench_put $b "$r" "$arm" tcp_mem_pressures "$(counter_delta "$c1" "$c2" tcp_mem_pressures)"
	bench_put $b "$r" "$arm" tcp_prune "$(counter_delta "$c1" "$c2" tcp_prune)"
	bench_put $b "$r" "$arm" allocstall "$(counter_delta "$c0" "$c2" allocstall)"
	bench_put $b "$r" "$arm" oom_kill "$(counter_delta "$c0" "$c2" oom_kill)"
	check_true "$s-$r-$arm-alive" "guest died" domu_alive "$name"
	domu_destroy "$name"
}

bench_interleave $s grow_arm without with native
scan_consoles "$s-consoles-clean"
