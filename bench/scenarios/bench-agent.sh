# e2e-timeout: 14400
# e2e-checks: 3
# Benchmark agent footprint (issue 5; repetitions: issue 14). A PV DomU (1024 MiB, maxmem
# 2048 MiB) with the module loaded runs xen-memtuned at its default settings (no configuration
# file, --no-dbus: the rig's guests have no D-Bus; --log stderr). Three arms, interleaved
# BENCH_REPS times in the same guest and the same agent process:
#   idle    a window of BENCH_AGENT_S seconds with nothing else running
#   load    a window of BENCH_AGENT_S seconds of memwave (anonymous memory 32 <-> 384 MiB and a
#           page-cache file, switching every 5 s) while Dom0 moves the target 1024 <-> 1536 MiB
#           every 20 s
#   shrink  `memtunectl shrink` from Dom0 to 768 MiB with --reclaim 0 (a busybox guest has
#           almost no page cache to reclaim; the refusal is checked in the rig), then back to
#           1024 MiB: the steps' times as memtunectl reports them (--json)
# For each window: the agent's VmRSS and VmHWM at the end (kB), CPU time used (utime + stime,
# clock ticks -> ms) and the xenstore writes it made, counted in Dom0 by a watch on data/memtune
# (every write fires it once; data/memtune/kmod/ is the module's and is not counted).
. /bench/dom0-lib.sh
s=bench-agent
b=agent
win=${BENCH_AGENT_S:-60}
name=u-agent
domu_boot_with_kmod $name 1024 2048 "$s-load" || { return 0 2>/dev/null || exit 0; }
id=$(domu_id $name)
need_agent "$s-agent-built" || { return 0 2>/dev/null || exit 0; }
domu_run $name '(exec /opt/memtune/xen-memtuned --no-dbus --log stderr >/tmp/agent.log 2>&1 &); sleep 3; pidof xen-memtuned' >/tmp/agent.pid
pid=$(cat /tmp/agent.pid)
if [ -z "$pid" ]; then
	fail "$s-agent-runs" "xen-memtuned did not start: $(domu_run $name 'tail -n 5 /tmp/agent.log' | tr '\n' ' ')"
	return 0 2>/dev/null || exit 0
fi
pass "$s-agent-runs"
hz=$(domu_run $name 'getconf CLK_TCK 2>/dev/null || echo 100')
bench_meta $b
bench_put $b - - window-s "$win"
bench_put $b - - clk-tck "$hz"
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

# window REP ARM: runs ARM's workload ($ARM_workload) and reports the agent's use during it.
window()
{
	local r="$1" arm="$2" l0 l1 t0 t1 st0 st1 seq0 seq1

	l0=$(wc -l </tmp/agent-watch.log)
	seq0=$(xenstore-read "/local/domain/$id/data/memtune/seq" 2>/dev/null)
	st0=$(agent_stat)
	t0=$(now_ms)
	"${arm}_workload"
	st1=$(agent_stat)
	t1=$(now_ms)
	l1=$(wc -l </tmp/agent-watch.log)
	seq1=$(xenstore-read "/local/domain/$id/data/memtune/seq" 2>/dev/null)
	set -- $st0 $st1
	bench_put $b "$r" "$arm" window_ms $((t1 - t0))
	bench_put $b "$r" "$arm" cpu_ms $((($4 - $1) * 1000 / hz))
	bench_put $b "$r" "$arm" rss_kb "$5"
	bench_put $b "$r" "$arm" hwm_kb "$6"
	bench_put $b "$r" "$arm" xenstore_writes "$(tail -n +$((l0 + 1)) /tmp/agent-watch.log |
		head -n $((l1 - l0)) | grep -vc '/data/memtune/kmod')"
	bench_put $b "$r" "$arm" reports $((${seq1:-0} - ${seq0:-0}))
}

idle_workload() { sleep "$win"; }
load_workload()
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

# back_to_1024: the guest at 1024 MiB, the balloon settled and the module idle at that target.
back_to_1024()
{
	xl mem-set $name 1024m
	domu_settle $name 120 >/dev/null
	wait_until 90 sh -c ". /e2e/lib.sh; [ \"\$(kmod_ack $name target-kb)\" = 1048576 ] &&
		[ \"\$(kmod_ack $name state)\" = idle ]"
}

# shrink REP: memtunectl shrink to 768 MiB; its --json steps as metrics "<step>_ms", the whole
# command from Dom0 as total_ms, its exit status as rc.
shrink()
{
	local r="$1" t0 rc

	t0=$(now_ms)
	memtunectl shrink $name 768M --reclaim 0 --timeout 180 --json >/tmp/shrink.json 2>/tmp/shrink.err
	rc=$?
	bench_put $b "$r" shrink total_ms $(($(now_ms) - t0))
	bench_put $b "$r" shrink rc "$rc"
	# nlohmann's dump(2): a step's members are indented by 6, the result's own by 2.
	awk '/^      "step": / { gsub(/[",]/, "", $2); step = $2 }
	     /^      "elapsed_ms": / { gsub(/,/, "", $2); ms = $2 }
	     /^    }/ { if (step != "") print step, ms; step = ""; ms = "" }
	     /^  "elapsed_ms": / { gsub(/,/, "", $2); print "memtunectl", $2 }' /tmp/shrink.json |
		while read -r step ms; do
			bench_put $b "$r" shrink "${step}_ms" "$ms"
		done
	[ $rc = 0 ] || info "$s: $r shrink: rc $rc: $(tr '\n' ' ' </tmp/shrink.err)"
}

back_to_1024
for r in $(seq "$reps"); do
	if [ "$win" -gt 0 ]; then
		window "$r" idle
		window "$r" load
		back_to_1024
	fi
	sleep 5
	shrink "$r"
	back_to_1024
	sleep 5
done
kill $watcher 2>/dev/null
bench_put $b - - published-keys "$(xenstore-list "/local/domain/$id/data/memtune" | tr '\n' ' ')"
check_true "$s-agent-alive" "xen-memtuned is gone" sh -c ". /e2e/lib.sh; domu_run $name 'kill -0 $pid'"
domu_run $name 'tail -n 5 /tmp/agent.log' | sed 's/^/@@E2E INFO agent.log | /'
scan_consoles "$s-consoles-clean"
