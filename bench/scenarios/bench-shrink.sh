# e2e-timeout: 14400
# e2e-checks: 4
# Benchmark shrink (issue 5; spread and the native arm: issue 14). Three arms, each in a fresh PV
# DomU, interleaved BENCH_REPS times (without, with, native, without, ...):
#   without  booted at FROM MiB (maxmem FROM), then `xl mem-set` to TO; no module
#   with     the same, with the module loaded before the shrink
#   native   booted at TO MiB (memory = maxmem): what a guest of that size has
# FROM and TO: BENCH_SHRINK_MIB ("4096 512"). In each guest, workloads that boot-sized limits let
# run away, each until the kernel stops it (no cap unless BENCH_THREADS_MAX sets one):
#   canary    a 32 MiB process touching its memory every second (the guest's real service),
#             started before the shrink
#   tcp       tcpbulk, 64 streams over loopback, BENCH_TCP_S seconds, receivers that never read
#   threads   threadstorm until pthread_create fails or the OOM killer ends it, held 5 s
# The rig's own command loop is protected from the OOM killer (oom_score_adj -1000); the
# workloads and the canary run at 0. A sampler records used memory, TCP memory and the balloon
# every second from before the shrink to the end (the plot; metric "sample").
. /bench/dom0-lib.sh
s=bench-shrink
b=shrink
set -- ${BENCH_SHRINK_MIB:-4096 512}
from=$1
to=$2
tcap=$(storm_cap "${BENCH_THREADS_MAX:-0}")
tcp_s=${BENCH_TCP_S:-10}
bench_meta $b
bench_put $b - - from-mib "$from"
bench_put $b - - to-mib "$to"
bench_put $b - - threads-cap "${BENCH_THREADS_MAX:-0}"
bench_put $b - - tcp-s "$tcp_s"

# mark NAME WHAT: a dashed line in the plot (guest uptime in ms).
mark() { domu_run "$1" "echo \"\$(awk '{ printf \"%d\", \$1 * 1000 }' /proc/uptime) $2\" >>/tmp/marks" >/dev/null; }

shrink_arm()
{
	local r="$1" arm="$2" name="u-shr-$2-$1" t0 c0 c1 c2 out

	bench_arm_boot "$s-$r-$arm" "$arm" "$name" "$from" "$from" "$to" || return 1
	bench_prepare "$name"
	domu_run "$name" ': >/tmp/marks; (echo 0 >/proc/self/oom_score_adj; exec /bench/bin/canary 32 /tmp/canary.beat) >/dev/null 2>&1 &
		/bench/sampler.sh 1 /tmp/samples >/dev/null 2>&1 & echo $! >/tmp/sampler.pid' >/dev/null
	sleep 3
	if [ "$arm" != native ]; then
		mark "$name" shrink
		t0=$(now_ms)
		xl mem-set "$name" "${to}m"
		bench_put $b "$r" "$arm" balloon_s "$(domu_settle "$name" 300 | awk '{ print $3 }')"
		[ "$arm" = with ] && bench_wait_kmod "$name" $((to * 1024)) 180
		bench_put $b "$r" "$arm" ready_ms $(($(now_ms) - t0))
	fi
	bench_values $b "$r" "$arm" "$name" tcp_mem_1 tcp_mem_2 tcp_rmem_max threads_max min_free_kbytes

	mark "$name" tcp
	c0=$(bench_counters "$name")
	out=$(bench_workload "$name" "/bench/bin/tcpbulk 64 $tcp_s noread" 300)
	c1=$(bench_counters "$name")
	bench_put $b "$r" "$arm" tcp_bytes "$(field "$out" bytes)"
	bench_put $b "$r" "$arm" tcp_peak_pages "$(field "$out" peak_tcp_pages)"
	bench_put $b "$r" "$arm" tcp_mem_pressures "$(counter_delta "$c0" "$c1" tcp_mem_pressures)"
	mark "$name" threads
	out=$(bench_threadstorm "$name" "$tcap" 5)
	bench_put $b "$r" "$arm" threads "$(field "$out" threads)"
	bench_put $b "$r" "$arm" threads_stop "$(field "$out" stop)"
	sleep 5
	c2=$(bench_counters "$name")
	for k in oom_kill allocstall psi_some_us psi_full_us; do
		bench_put $b "$r" "$arm" "$k" "$(counter_delta "$c0" "$c2" $k)"
	done
	if domu_alive "$name"; then
		pass "$s-$r-$arm-alive"
		bench_put $b "$r" "$arm" guest_alive 1
		bench_put $b "$r" "$arm" canary_alive "$(domu_run "$name" 'pidof canary >/dev/null && echo 1 || echo 0')"
		domu_run "$name" 'kill $(cat /tmp/sampler.pid)' >/dev/null
		domu_run "$name" 'cat /tmp/samples' | while read -r t used tcp cur _total; do
			bench_put $b "$r" "$arm" sample "$t $used $tcp $cur"
		done
		domu_run "$name" 'cat /tmp/marks' | while read -r t what; do
			bench_put $b "$r" "$arm" mark "$t $what"
		done
	else
		# A guest the storm killed is the result, not a rig fault: no check fails on it.
		info "$s: $r $arm: the guest died"
		bench_put $b "$r" "$arm" guest_alive 0
		domu_console_tail "$name" 15
	fi
	domu_destroy "$name"
}

bench_interleave $s shrink_arm without with native
# The "without" guests may die or print OOM lines on purpose: that is the result, not a rig fault.
scan_consoles "$s-consoles-clean" u-shr-without
