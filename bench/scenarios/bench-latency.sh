# e2e-timeout: 14400
# e2e-checks: 3
# Benchmark resize latency (issue 5; repetitions: issue 14). One PV DomU (512 MiB, maxmem
# 1024 MiB); two arms, interleaved BENCH_REPS times in the same guest (kmod, userspace, kmod,
# userspace, ...), each arm BENCH_CYCLES cycles of `xl mem-set` 768 MiB then 512 MiB per rep:
#   kmod       the module loaded (apply mode) for the arm, unloaded after it (restore_on_unload
#              puts the boot's values back); its own stats/ give event->settle and event->last
#              write for every settled pass, read on the module's uevent (kmod-uevent.sh under
#              busybox `uevent`: nothing polls in the guest)
#   userspace  no module; us-watcher.sh (xenstore-watch + sysctl) does the same job
# Dom0 also times `xl mem-set` -> the guest's record of the settled pass (data/bench/settled).
# Every resize is a sample; metrics are named <grow|shrink>.<what>_ms.
. /bench/dom0-lib.sh
s=bench-latency
b=latency
cycles=${BENCH_CYCLES:-10}
name=u-lat
domu_create $name 512 1024 || { fail "$s-boot" "DomU did not boot"; return 0 2>/dev/null || exit 0; }
need_kmod "$s-kmod-built" || { return 0 2>/dev/null || exit 0; }
# nf_conntrack loaded, as in every guest the module manages here (its values are written too).
domu_run $name 'modprobe nf_conntrack' >/dev/null
bench_meta $b
bench_put $b - - cycles-per-rep "$cycles"
bench_put $b - - sizes-mib "512 768"

run_cycles()
{
	local r="$1" arm="$2" n=0 i m t0

	for i in $(seq "$cycles"); do
		for m in 768 512; do
			n=$((n + 1))
			t0=$(now_ms)
			xl mem-set $name ${m}m
			if ! bench_wait_settled $name $n 180; then
				info "$s: $r $arm cycle $i ${m} MiB: no settled pass within 180 s"
				return 1
			fi
			if [ $m = 768 ]; then d=grow; else d=shrink; fi
			bench_put $b "$r" "$arm" "$d.dom0_ms" $(($(now_ms) - t0))
		done
	done
	return 0
}

# fetch_log REP ARM: the recorder's lines "<n> <target_kb> <settle_ns> <event->apply_ns> <apply_ns>"
# as samples (settled -> last value written = event->apply - event->settle).
fetch_log()
{
	domu_run $name "cat /tmp/lat.log" | while read -r _n tk sd ea _ad; do
		if [ "$tk" = 786432 ]; then d=grow; else d=shrink; fi
		bench_put $b "$1" "$2" "$d.settle_ms" "$(awk -v x="$sd" 'BEGIN { printf "%.2f", x / 1e6 }')"
		bench_put $b "$1" "$2" "$d.apply_ms" "$(awk -v x="$ea" -v y="$sd" 'BEGIN { printf "%.2f", (x - y) / 1e6 }')"
		bench_put $b "$1" "$2" "$d.event_to_apply_ms" "$(awk -v x="$ea" 'BEGIN { printf "%.2f", x / 1e6 }')"
	done
}

# The module for one arm: loaded, its first pass done, then the recorder on its uevents.
kmod_start()
{
	kmod_load_settled $name 120 >/dev/null || return 1
	sleep 1
	domu_run $name 'xenstore-write data/bench/settled 0; : >/tmp/lat.log
		uevent /bench/kmod-uevent.sh /tmp/lat.log >/dev/null 2>&1 & echo $! >/tmp/recorder.pid' >/dev/null
	sleep 1
}
kmod_stop() { domu_run $name 'kill $(cat /tmp/recorder.pid); rmmod xen_memtune; echo unloaded' >/dev/null; }
# The watcher's sysctl writes outlive it: its arm saves the values it will change and puts them
# back after, so the module's next load finds the boot's values, not values it takes for an
# administrator's.
us_keys="vm/min_free_kbytes kernel/threads-max fs/file-max fs/inotify/max_user_watches"
us_keys="$us_keys fs/epoll/max_user_watches net/ipv4/tcp_mem net/ipv4/udp_mem"
userspace_start()
{
	domu_run $name "mkdir -p /tmp/us-saved; for k in $us_keys; do cat /proc/sys/\$k >/tmp/us-saved/\${k##*/}; done
		xenstore-write data/bench/settled 0; : >/tmp/lat.log
		/bench/us-watcher.sh /tmp/lat.log /tmp/recorder.pid >/dev/null 2>&1 & echo started" >/dev/null
	sleep 2
}
userspace_stop()
{
	domu_run $name "kill \$(cat /tmp/recorder.pid)
		for k in $us_keys; do cat /tmp/us-saved/\${k##*/} >/proc/sys/\$k; done; echo restored" >/dev/null
}

# latency_arm REP ARM: one arm's cycles, from and back to 512 MiB, settled, no recorder.
latency_arm()
{
	if ! "${2}_start"; then
		info "$s: $1 $2: could not start"
		ok=0
		return
	fi
	run_cycles "$1" "$2" || ok=0
	fetch_log "$1" "$2"
	"${2}_stop"
	xl mem-set $name 512m
	domu_settle $name 120 >/dev/null
}

ok=1
bench_interleave $s latency_arm kmod userspace
check_true "$s-cycles" "a resize had no settled pass within 180 s, or an arm did not start" \
	[ $ok = 1 ]
check_true "$s-alive" "guest died" domu_alive $name
scan_consoles "$s-consoles-clean"
