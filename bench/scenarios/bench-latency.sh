# e2e-timeout: 3000
# e2e-checks: 3
# Benchmark 3, resize latency (issue 5). One PV DomU (512 MiB, maxmem 1024 MiB), BENCH_CYCLES
# cycles of `xl mem-set` 768 MiB then 512 MiB, twice in the same guest:
#   kmod       the module loaded (apply mode); its own stats/ give event->settle and
#              event->last write for every settled pass, read on the module's uevent
#              (kmod-uevent.sh under busybox `uevent`: nothing polls in the guest)
#   userspace  module unloaded; us-watcher.sh (xenstore-watch + sysctl) does the same job
# Dom0 also times `xl mem-set` -> the guest's record of the settled pass (data/bench/settled).
. /bench/dom0-lib.sh
s=bench-latency
cycles=${BENCH_CYCLES:-50}
name=u-lat
domu_boot_with_kmod $name 512 1024 "$s-load" || return 0 2>/dev/null || exit 0
id=$(domu_id $name)
wait_until 60 sh -c ". /e2e/lib.sh; [ -n \"\$(kmod_ack $name applied-kb)\" ]"
bench latency-meta cycles "$cycles"
bench latency-meta sizes-mib "512 768"

run_cycles()
{
	local phase="$1" n=0 i m t0 t

	for i in $(seq "$cycles"); do
		for m in 768 512; do
			n=$((n + 1))
			t0=$(now_ms)
			xl mem-set $name ${m}m
			if ! bench_wait_settled $name $n 180; then
				info "$s: $phase cycle $i ${m} MiB: no settled pass within 180 s"
				return 1
			fi
			t=$(($(now_ms) - t0))
			bench latency-dom0 "$phase" "$m" "$t"
		done
	done
	return 0
}

fetch_log()
{
	domu_run $name "cat $2" | while read -r n tk sd ea ad; do
		bench latency "$1" "$n" "$tk" "$sd" "$ea" "$ad"
	done
}

# Phase 1: the module.
domu_run $name 'xenstore-write data/bench/settled 0; : >/tmp/kmod-lat.log
	(uevent /bench/kmod-uevent.sh /tmp/kmod-lat.log >/dev/null 2>&1 & echo $! >/tmp/kmod-uevent.pid); echo started' >/dev/null
sleep 1
t0=$(now_ms)
run_cycles kmod && pass "$s-kmod-cycles" || fail "$s-kmod-cycles" "did not finish"
say "TIME $s kmod-phase $(($(now_ms) - t0))"
fetch_log kmod /tmp/kmod-lat.log
domu_run $name 'kill $(cat /tmp/kmod-uevent.pid); rmmod xen_memtune; echo unloaded' >/dev/null
# Back to the boot size with the module gone, so both phases start from the same state.
xl mem-set $name 512m
domu_settle $name 120 >/dev/null

# Phase 2: the userspace watcher.
domu_run $name 'xenstore-write data/bench/settled 0; (/bench/us-watcher.sh /tmp/us-lat.log >/dev/null 2>&1 &); echo started' >/dev/null
sleep 2
t0=$(now_ms)
run_cycles userspace && pass "$s-userspace-cycles" || fail "$s-userspace-cycles" "did not finish"
say "TIME $s userspace-phase $(($(now_ms) - t0))"
fetch_log userspace /tmp/us-lat.log
scan_consoles "$s-consoles-clean"
