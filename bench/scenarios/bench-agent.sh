# e2e-timeout: 1800
# e2e-checks: 2
# Benchmark 4, agent footprint (issue 5). A PV DomU (1024 MiB, maxmem 2048 MiB) with the module
# loaded runs xen-memtuned at its default settings (no configuration file, --no-dbus: the rig's
# guests have no D-Bus; --log stderr). Two windows of BENCH_AGENT_S seconds each:
#   idle   nothing else runs
#   load   memwave (anonymous memory 32 <-> 384 MiB and a page-cache file, switching every 5 s)
#          while Dom0 moves the target 1024 <-> 1536 MiB every 20 s
# For each window: the agent's VmRSS and VmHWM at the end (kB), CPU time used (utime + stime,
# clock ticks -> ms) and its share of the window, and the xenstore writes it made, counted in Dom0
# by a watch on data/memtune (every write fires it once; data/memtune/kmod/ is the module's and is
# not counted). Then `memtunectl shrink` from Dom0, step by step, once.
. /bench/dom0-lib.sh
s=bench-agent
win=${BENCH_AGENT_S:-120}
name=u-agent
domu_boot_with_kmod $name 1024 2048 "$s-load" || return 0 2>/dev/null || exit 0
id=$(domu_id $name)
if ! need_agent "$s-agent-built"; then
	return 0 2>/dev/null || exit 0
fi
domu_run $name '(exec /opt/memtune/xen-memtuned --no-dbus --log stderr >/tmp/agent.log 2>&1 &); sleep 3; pidof xen-memtuned' >/tmp/agent.pid
pid=$(cat /tmp/agent.pid)
if [ -z "$pid" ]; then
	fail "$s-agent-runs" "xen-memtuned did not start: $(domu_run $name 'tail -n 5 /tmp/agent.log' | tr '\n' ' ')"
	return 0 2>/dev/null || exit 0
fi
pass "$s-agent-runs"
bench agent meta window-s "$win"
bench agent meta clk-tck "$(domu_run $name 'getconf CLK_TCK 2>/dev/null || echo 100')"
# Let the first report and the start-up settle out of the measurement.
wait_until 60 xenstore-read "/local/domain/$id/data/memtune/seq" >/dev/null 2>&1
sleep 10
xenstore-watch "/local/domain/$id/data/memtune" >/tmp/agent-watch.log 2>/dev/null &
watcher=$!
sleep 2

# agent_stat: "<utime+stime ticks> <VmRSS kB> <VmHWM kB>"
agent_stat()
{
	domu_run $name "awk '{ print \$14 + \$15 }' /proc/$pid/stat | tr '\n' ' ';
		awk '/^VmRSS:/ { r = \$2 } /^VmHWM:/ { h = \$2 } END { print r, h }' /proc/$pid/status"
}

window()
{
	local what="$1" l0 l1 t0 t1 ms st0 st1 writes seq0 seq1

	l0=$(wc -l </tmp/agent-watch.log)
	seq0=$(xenstore-read "/local/domain/$id/data/memtune/seq" 2>/dev/null)
	st0=$(agent_stat)
	t0=$(now_ms)
	"$2"
	st1=$(agent_stat)
	t1=$(now_ms)
	l1=$(wc -l </tmp/agent-watch.log)
	seq1=$(xenstore-read "/local/domain/$id/data/memtune/seq" 2>/dev/null)
	ms=$((t1 - t0))
	writes=$(tail -n +$((l0 + 1)) /tmp/agent-watch.log | head -n $((l1 - l0)) | grep -vc '/data/memtune/kmod')
	set -- $st0 $st1
	bench agent "$what" window-ms "$ms"
	bench agent "$what" cpu-ticks "$(($4 - $1))"
	bench agent "$what" rss-kb "$5"
	bench agent "$what" hwm-kb "$6"
	bench agent "$what" xenstore-writes "$writes"
	bench agent "$what" report-seq "${seq0:-?}" "${seq1:-?}"
}

idle() { sleep "$win"; }
load()
{
	local end=$(($(now_ms) + win * 1000)) m=1536

	domu_run $name "(echo 0 >/proc/self/oom_score_adj; exec /bench/bin/memwave 32 384 5 $win) >/dev/null 2>&1 &" >/dev/null
	while [ "$(now_ms)" -lt $((end - 20000)) ]; do
		xl mem-set $name ${m}m
		if [ $m = 1536 ]; then m=1024; else m=1536; fi
		sleep 20
	done
	while [ "$(now_ms)" -lt "$end" ]; do sleep 1; done
}

# BENCH_AGENT_S=0: only the coordinated shrink below.
if [ "$win" -gt 0 ]; then
	window idle idle
	window load load
	xl mem-set $name 1024m
	domu_settle $name 120 >/dev/null
fi
kill $watcher 2>/dev/null
bench agent meta published-keys "$(xenstore-list "/local/domain/$id/data/memtune" | tr '\n' ' ')"

# The coordinated shrink, step by step (its own timing output).
if [ -x /opt/memtune/memtunectl ]; then
	sleep 10
	# Default first (reclaim the difference), then without the reclaim step: a busybox guest
	# has little page cache, and the agent refuses a reclaim the kernel cannot meet.
	for opt in "" "--reclaim 0"; do
		t0=$(now_ms)
		memtunectl shrink $name 768M $opt --timeout 180 >/tmp/shrink.out 2>&1
		rc=$?
		bench agent shrink-total-ms "$(($(now_ms) - t0))" rc "$rc" options "${opt:-none}"
		sed 's/^/shrink-output /' /tmp/shrink.out | while read -r line; do bench agent "$line"; done
		[ $rc = 0 ] && break
		sleep 5
	done
fi
domu_run $name 'tail -n 5 /tmp/agent.log' | sed 's/^/@@E2E INFO agent.log | /'
scan_consoles "$s-consoles-clean"
