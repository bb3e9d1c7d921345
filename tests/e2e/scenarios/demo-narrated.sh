# e2e-timeout: 600
# e2e-checks: 50
# make demo: a DomU's kernel values before and after a grow and a shrink, beside what the
# kernel would have kept without the module (its boot values) and what a guest booted at that
# size computes (the golden table); then a directive to the agent and its acknowledgement.
# Every step it narrates is also a check: each acknowledgement, each table (complete, and
# within compare_golden's tolerances), the guest listed by memtunectl domains, the directive
# acknowledged and the page cache given back.
s=demo
show() { say "SAY $*"; }
table()
{
	# table TITLE MIB FILE: value, boot, now, golden; one check that no cell is empty.
	local empty=""

	show ""
	show "$1"
	show "$(printf '%-26s %12s %12s %12s' value 'boot(512M)' 'now' "booted@${2}M")"
	for ct in $E2E_TOLERANCES; do
		col=${ct%%:*}
		b=$(awk -v c="$col" '$1 == c { print $2 }' /tmp/demo.boot)
		n=$(awk -v c="$col" '$1 == c { print $2 }' "$3")
		g=$(golden_value "$2" "$col")
		show "$(printf '%-26s %12s %12s %12s' "$col" "$b" "$n" "$g")"
		[ -n "$b" ] && [ -n "$n" ] && [ -n "$g" ] || empty="$empty $col"
	done
	check_eq "$s-table-$2-complete" "${empty:-none}" none
}
show "Booting a PV DomU with 512 MiB (maxmem 2048 MiB) on Xen $(xl info | sed -n 's/^xen_version *: *//p'), loading xen_memtune.ko"
need_agent "$s-agent-built" || return 0 2>/dev/null || exit 0
domu_boot_with_kmod u-demo 512 2048 "$s-load" || return 0 2>/dev/null || exit 0
domu_run u-demo '/e2e/collect-values.sh' >/tmp/demo.boot
show "xl mem-set u-demo 2048m"
t0=$(now_ms)
xl mem-set u-demo 2048m
domu_settle u-demo 240 >/dev/null
applied=$(wait_applied u-demo 2097152 120)
show "module acknowledged after $(( $(now_ms) - t0 )) ms: data/memtune/kmod/applied-kb = $applied"
check_true "$s-grow-acked" "applied-kb '$applied' for a 2048 MiB target" applied_for 2097152 "$applied"
domu_run u-demo '/e2e/collect-values.sh' >/tmp/demo.grow
table "After the grow to 2048 MiB (boot = what the kernel keeps without the module):" 2048 /tmp/demo.grow
compare_golden "$s-grow" u-demo 2048 2048
show ""
show "xl mem-set u-demo 1024m"
t0=$(now_ms)
xl mem-set u-demo 1024m
domu_settle u-demo 240 >/dev/null
applied=$(wait_applied u-demo 1048576 120)
show "module acknowledged after $(( $(now_ms) - t0 )) ms: applied-kb = $applied"
check_true "$s-shrink-acked" "applied-kb '$applied' for a 1024 MiB target" applied_for 1048576 "$applied"
domu_run u-demo '/e2e/collect-values.sh' >/tmp/demo.shrink
table "After the shrink to 1024 MiB:" 1024 /tmp/demo.shrink
compare_golden "$s-shrink" u-demo 1024 2048
show ""
show "The module's own timing (stats/): $(domu_run u-demo 'cd /sys/kernel/xen_memtune/stats; echo event_to_apply $(( $(cat event_to_apply_ns) / 1000000 )) ms, settle $(( $(cat settle_duration_ns) / 1000000 )) ms, apply $(( $(cat apply_duration_ns) / 1000 )) us')"
show ""
show "Starting xen-memtuned in the guest; memtunectl domains in Dom0:"
domu_run u-demo '(xen-memtuned --no-dbus --log stderr >/tmp/agent.log 2>&1 &)' >/dev/null
wait_until 60 xenstore-read "/local/domain/$(domu_id u-demo)/data/memtune/version" >/dev/null 2>&1
out=$(memtunectl --xl /usr/lib/xen-4.17/bin/xl domains --interval 0 2>&1)
echo "$out" | while read -r l; do show "  $l"; done
check_true "$s-domains-shows-guest" "memtunectl domains: $(echo "$out" | tr '\n' ' ')" has "$out" u-demo
# Reclaimable page cache to give back: a block device's pages (zram0), read once. The
# kernel drops a block device's page cache when its last opener closes it, so a sleeper
# keeps zram0 open; the device node appears asynchronously after modprobe.
domu_run u-demo 'modprobe zram; i=0; while [ ! -b /dev/zram0 ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	echo 64M >/sys/block/zram0/disksize
	(sleep 3600 </dev/zram0 >/dev/null 2>&1 &)
	dd if=/dev/zram0 of=/dev/null bs=1M 2>/dev/null
	grep -E "^(Cached|Buffers):" /proc/meminfo' | sed 's/^/@@E2E INFO   | /'
buffers0=$(domu_buffers_kb u-demo)
show "memtunectl directive u-demo --reclaim 16M   (after reading 64 MiB of a block device into the page cache)"
out=$(memtunectl directive u-demo --reclaim 16M --timeout 60 2>&1)
rc=$?
echo "$out" | while read -r l; do show "  $l"; done
buffers1=$(domu_buffers_kb u-demo)
show "Buffers: $buffers1 kB after the directive (was $buffers0 kB)"
check_true "$s-reclaim-applied" "rc $rc: $(echo "$out" | tr '\n' ' ')" \
	sh -c "[ $rc -eq 0 ] && echo '$out' | grep -q 'applied'"
# The directive asked for 16 MiB; at least half of it left the page cache (as agent-directive).
check_true "$s-reclaim-gave-back-cache" "Buffers $buffers0 -> $buffers1 kB" \
	[ "$buffers1" -le $((buffers0 - 8192)) ]
