# e2e-timeout: 1800
# e2e-checks: 93
# The module and the agent in an HVM DomU with PV drivers (issue 15), as XCP-ng and XenServer
# run their guests. Runs in the Xen boot of the pvh- and hvm- scenarios (run.sh), whose CPU
# has nested paging and whose Dom0 has the device model. One guest, booted once at 512 MiB
# with maxmem 1024 MiB (populate-on-demand): an HVM boot costs minutes under TCG (docs/rig.md).
#  - PV drivers: the guest is HVM, xen-balloon is up, the command channel (xenbus) works;
#  - the offset between xenstore's memory/target and the balloon's target, measured at 512,
#    1024 and 512 MiB before the module loads: the same each time;
#  - the module loaded after resizes (to 1024 MiB and back to 512: the kernel's values are still
#    those it computed for maxmem's memory map at boot), then a grow to 1024 MiB and a shrink
#    to 512 MiB: each answered, never refused, the balloon's target exactly memory/target less
#    the offset, and every managed value as an HVM guest booted natively at that size
#    (tests/data/golden-6.1-hvm.tsv);
#  - the floor guard with memory/target written raw under a fixed floor: one page below the
#    floor in the balloon's terms (floor + offset - 4 kB) is refused, the floor itself
#    (floor + offset) is taken as it is, which pins the module's offset to the page; "0" is
#    refused and undone;
#  - the agent: its report reaches Dom0 (memtunectl domains), a reclaim directive is applied
#    and acknowledged, and memtunectl's coordinated shrink is answered by the module.
s=hvm-kmod
# The HVM golden table; in `make golden GOLDEN_TYPE=hvm GOLDEN_ALSO=hvm-kmod`, the values just
# collected in this boot (the table being recorded).
E2E_GOLDEN_TABLE=/e2e/golden-hvm.tsv
[ -f /tmp/golden-hvm.tsv ] && E2E_GOLDEN_TABLE=/tmp/golden-hvm.tsv
need_kmod "$s-load-after-resize" || exit 0
need_agent "$s-agent-built" || exit 0
info "$s: Xen capabilities: $(xl info | sed -n 's/^xen_caps *: *//p')"
if [ ! -f "$E2E_GOLDEN_TABLE" ]; then
	fail "$s-golden-table" "tests/data/golden-6.1-hvm.tsv missing (make golden GOLDEN_TYPE=hvm)"
	exit 0
fi
t0=$(now_ms)
if ! domu_create u-hvm 512 1024 hvm; then
	fail "$s-boot" "the HVM guest did not come up; its early console:"
	tail -n 15 "$E2E_CONSOLE_DIR/serial-u-hvm.log" 2>/dev/null | tr -d '\r' | sed 's/^/@@E2E INFO   | /'
	xl dmesg | tail -n 10 | sed 's/^/@@E2E INFO   | /'
	exit 0
fi
pass "$s-boot"
id=$(domu_id u-hvm)
info "$s: up in $(($(now_ms) - t0)) ms; device model: $(ps -o rss=,args= 2>/dev/null | grep '[q]emu-system-i386' | cut -c1-60)"
info "$s: guest: $(domu_run u-hvm 'dmesg | grep -E "Xen HVM callback|xen:balloon|Booting paravirtualized|Hypervisor detected"' | tr '\n' '|')"
check_eq "$s-guest-type" "$(domu_run u-hvm 'cat /sys/hypervisor/guest_type')" HVM
check_true "$s-xen-balloon" "no /sys/devices/system/xen_memory/xen_memory0" \
	[ "$(domu_run u-hvm 'test -d /sys/devices/system/xen_memory/xen_memory0 && echo yes')" = yes ]

# offset: xenstore's memory/target less the balloon's target_kb, both as they stand now.
offset()
{
	local xs bal

	xs=$(xenstore-read "/local/domain/$id/memory/target")
	bal=$(domu_balloon u-hvm | cut -d' ' -f1)
	echo $((xs - bal))
}
domu_settle u-hvm 300 >/dev/null
off512=$(offset)
info "$s: at 512 MiB: memory/target $(xenstore-read "/local/domain/$id/memory/target"), static-max $(xenstore-read "/local/domain/$id/memory/static-max"), balloon (target current) $(domu_balloon u-hvm), offset $off512 kB"

# The module is loaded after two resizes (up to maxmem and back): the kernel still holds the
# values it computed at boot for maxmem's memory map, the load pass must size them for 512 MiB.
for mib in 1024 512; do
	t0=$(now_ms)
	xl mem-set u-hvm "${mib}m"
	domu_settle u-hvm 300 >/dev/null
	say "TIME $s resize-to-$mib-before-load $(($(now_ms) - t0))"
	off=$(offset)
	info "$s: at $mib MiB before the module: balloon (target current) $(domu_balloon u-hvm), offset $off kB"
	[ "$mib" = 1024 ] && off1024=$off
done
check_true "$s-offset-same-at-two-sizes" "offset $off512 kB at 512 MiB, $off1024 kB at 1024 MiB, $off kB back at 512" \
	[ "$off" = "$off512" -a "$off" = "$off1024" ]
check_true "$s-offset-positive" "offset $off kB" [ "$off" -gt 0 ]
info "$s: at boot: $(domu_run u-hvm '/e2e/collect-values.sh' | grep -E '^(threads_max|min_free|nf_conntrack_max)' | tr '\n' ' ')"
if out=$(domu_run u-hvm 'modprobe nf_conntrack && insmod /opt/memtune/xen_memtune.ko 2>&1'); then
	pass "$s-load-after-resize"
else
	fail "$s-load-after-resize" "insmod: $out"
	exit 0
fi
wait_until 120 sh -c ". /e2e/lib.sh; [ -n \"\$(kmod_ack u-hvm applied-kb)\" ] &&
	[ \"\$(kmod_ack u-hvm state)\" = idle ]"
info "$s: loaded: applied-kb $(kmod_ack u-hvm applied-kb), boot_kb $(domu_run u-hvm 'cat /sys/kernel/xen_memtune/boot_kb'), floor $(domu_run u-hvm 'cat /sys/kernel/xen_memtune/floor_kb') kB, dmesg: $(domu_run u-hvm 'dmesg | grep xen_memtune | tail -n 3' | tr '\n' '|')"
check_eq "$s-load-not-refused" "$(kmod_ack u-hvm refused-count)" ""

# compare_size CHECK MIB: every managed value against the HVM golden row of MIB.
# At 512 MiB a native HVM boot has THP off (under 512 MiB of MemTotal, mm/huge_memory.c); this
# guest, booted with maxmem's memory map, keeps THP and khugepaged's raise of min_free_kbytes,
# and the module follows the running kernel:
#  - min_free_kbytes: at least the native value;
#  - the values sized from nr_free_buffer_pages (tcp_mem, udp_mem, tcp_[rw]mem_max): the raised
#    watermarks hold back pages a native boot counts as free. The high watermark is about 1.5
#    times min (min + 2 * min/4, mm/page_alloc.c), so the native value is scaled down by
#    1.5 * (min_free_kbytes here - native) / 4 kB per page, as a share of the native
#    nr_free_buffer_pages (measured: 6 % at 512 MiB), and compared with the usual tolerance.
compare_size()
{
	local got native nfb

	info "$1: inputs: $(domu_run u-hvm '/e2e/collect-values.sh --inputs' | grep -E '^(mem_total_kb|nr_free_buffer_pages|min_free_kbytes|tcp_mem_0|user_reserve_kbytes|thp_enabled) ' | tr '\n' ' ')"
	info "$1: native: $(for c in mem_total_kb nr_free_buffer_pages min_free_kbytes tcp_mem_0 user_reserve_kbytes thp_enabled; do printf '%s %s ' $c "$(golden_value "$2" $c)"; done)"
	if [ "$(golden_value "$2" thp_enabled)" != never ]; then
		compare_golden "$1" u-hvm "$2" 1024
		return
	fi
	got=$(domu_run u-hvm 'cat /proc/sys/vm/min_free_kbytes')
	native=$(golden_value "$2" min_free_kbytes)
	nfb=$(golden_value "$2" nr_free_buffer_pages)
	# The zone columns are min_free_kbytes's shares (setup_per_zone_wmarks()): khugepaged's
	# here, so they are left out with it.
	E2E_SKIP_COLUMNS="min_free_kbytes wmark_min_dma32 wmark_low_dma32 wmark_high_dma32 pcp_high_dma32" \
	E2E_SCALE_COLUMNS="tcp_mem_0 tcp_mem_1 tcp_mem_2 udp_mem_0 udp_mem_1 udp_mem_2 tcp_rmem_max tcp_wmem_max" \
	E2E_SCALE_PERMILLE=$((1000 - 3000 * (got - native) / (8 * nfb))) \
		compare_golden "$1" u-hvm "$2" 1024
	info "$1: min_free_kbytes: module $got (THP $(domu_run u-hvm 'cat /sys/kernel/mm/transparent_hugepage/enabled')), native boot $native; nr_free_buffer_pages-derived values scaled to $((1000 - 3000 * (got - native) / (8 * nfb)))/1000"
	check_true "$1-min_free_kbytes-khugepaged" "module $got, native boot $native" \
		[ "$got" -ge "$native" ]
}
compare_size "$s-load" 512

# A grow and a shrink with the module.
for step in 1024:grow 512:shrink; do
	mib=${step%%:*}
	what=${step#*:}
	resize_checked u-hvm "$mib" "$s-$what" 300
	bal=$(domu_balloon u-hvm)
	check_eq "$s-$what-balloon-target" "${bal%% *}" $((mib * 1024 - off))
	compare_size "$s-$what" "$mib"
done

# The floor guard, memory/target written raw, under a fixed floor 128 MiB below the balloon's
# target. In the balloon's terms floor + offset - 4 kB is one page below the floor: refused,
# target held at the floor. floor + offset is the floor: taken. A guard that got the offset
# wrong by a page or more fails one of the two.
ack_count() { c=$(kmod_ack u-hvm refused-count); echo "${c:-0}"; }
bal=$(domu_balloon u-hvm | cut -d' ' -f1)
floor=$(((bal - 131072) / 4 * 4))
domu_run u-hvm "d=/sys/kernel/xen_memtune; echo $floor >\$d/floor_fixed_kb && echo fixed >\$d/floor_mode" >/dev/null
check_eq "$s-guard-fixed-floor" "$(domu_run u-hvm 'cat /sys/kernel/xen_memtune/floor_kb')" "$floor"
n0=$(ack_count)
xenstore-write "/local/domain/$id/memory/target" $((floor + off - 4))
wait_until 30 sh -c ". /e2e/lib.sh; c=\$(kmod_ack u-hvm refused-count); [ \"\${c:-0}\" -gt $n0 ]"
check_eq "$s-guard-page-below-floor-refused" "$(ack_count) $(kmod_ack u-hvm refused-reason)" "$((n0 + 1)) below floor"
check_eq "$s-guard-page-below-floor-held" "$(domu_balloon u-hvm | cut -d' ' -f1)" "$floor"
n1=$(ack_count)
xenstore-write "/local/domain/$id/memory/target" $((floor + off))
wait_until 90 sh -c ". /e2e/lib.sh; [ \"\$(kmod_ack u-hvm target-kb)\" = $((floor + off)) ]"
sleep 3
check_eq "$s-guard-floor-taken" "$(ack_count) $(kmod_ack u-hvm target-kb)" "$n1 $((floor + off))"
check_eq "$s-guard-floor-balloon-target" "$(domu_balloon u-hvm | cut -d' ' -f1)" "$floor"
xenstore-write "/local/domain/$id/memory/target" 0
wait_until 30 sh -c ". /e2e/lib.sh; c=\$(kmod_ack u-hvm refused-count); [ \"\${c:-0}\" -gt $n1 ]"
sleep 3
check_true "$s-guard-hostile-alive" "guest died" domu_alive u-hvm
check_eq "$s-guard-hostile-refused" "$(ack_count) $(kmod_ack u-hvm refused-value)" "$((n1 + 1)) 0"
check_eq "$s-guard-hostile-undone" "$(domu_balloon u-hvm | cut -d' ' -f1)" "$floor"
domu_run u-hvm 'echo auto >/sys/kernel/xen_memtune/floor_mode' >/dev/null
xl mem-set u-hvm 512m
domu_settle u-hvm 300 >/dev/null

# The agent: report, a reclaim directive, a coordinated shrink.
agent_start u-hvm "$s-agent-report-published"
out=$(memtunectl --xl /usr/lib/xen-4.17/bin/xl domains --interval 0 2>&1)
echo "$out" | sed 's/^/@@E2E INFO   | /'
check_true "$s-agent-domains-shows-guest" "memtunectl domains: $(echo "$out" | tr '\n' ' ')" \
	has "$out" 'u-hvm'
agent_reclaim u-hvm "$s-agent-directive-reclaim"
t0=$(now_ms)
out=$(memtunectl --xl /usr/lib/xen-4.17/bin/xl shrink u-hvm 448M --reclaim 0 --timeout 180 2>&1)
rc=$?
say "TIME $s agent-memtunectl-shrink $(($(now_ms) - t0))"
echo "$out" | sed 's/^/@@E2E INFO   | /'
check_true "$s-agent-shrink-done" "rc $rc: $(echo "$out" | tr '\n' ' ')" [ $rc -eq 0 ]
check_eq "$s-agent-shrink-module-answered" "$(kmod_ack u-hvm target-kb)" $((448 * 1024))
check_eq "$s-agent-shrink-balloon-target" "$(domu_balloon u-hvm | cut -d' ' -f1)" $((448 * 1024 - off))
check_true "$s-agent-alive" "agent gone; log: $(domu_run u-hvm 'tail -n 3 /var/log/agent.log' | tr '\n' ' ')" \
	[ -n "$(domu_run u-hvm 'pidof xen-memtuned')" ]
scan_consoles "$s-consoles-clean"
