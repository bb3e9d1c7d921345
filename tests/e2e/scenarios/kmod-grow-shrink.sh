# e2e-timeout: 600
# e2e-checks: 49
# Issue 2: a DomU booted at 512 MiB with maxmem 2048 MiB, grown with `xl mem-set` to 2048 MiB:
# once the balloon settles, every managed value equals the golden value of a guest booted at
# 2048 MiB. Then shrunk to 1024 MiB: the values follow (golden 1024 row), and the shrink is
# applied before the balloon has given the memory back.
s=kmod-grow-shrink
domu_boot_with_kmod u-gs 512 2048 "$s-load" || return 0 2>/dev/null || exit 0
id=$(domu_id u-gs)

t0=$(now_ms)
xl mem-set u-gs 2048m
domu_settle u-gs 240 >/dev/null
applied=$(wait_applied u-gs 2097152 120)
say "TIME $s grow-to-ack $(($(now_ms) - t0))"
check_true "$s-grow-acked" "applied-kb '$applied' for a 2048 MiB target" applied_for 2097152 "$applied"
# The settled pass echoes the memory/target it followed (what memtunectl shrink waits for).
wait_until 60 sh -c ". /e2e/lib.sh; [ \"\$(kmod_ack u-gs target-kb)\" = 2097152 ]"
check_true "$s-grow-target-echoed" "target-kb '$(kmod_ack u-gs target-kb)'" [ "$(kmod_ack u-gs target-kb)" = 2097152 ]
compare_golden "$s-grow" u-gs 2048 2048
golden_ratios grow u-gs 2048
domu_run u-gs 'cd /sys/kernel/xen_memtune/stats && for f in event_to_apply_ns settle_duration_ns apply_duration_ns; do echo "$f $(cat $f)"; done' |
	while read -r k v; do say "TIME $s grow-kmod-$k $((v / 1000000))"; done

# Shrink: a guest-side sampler records tcp_mem_1 and the balloon every 0.1 s; the first
# sample with the new tcp_mem must show the balloon still above its target.
domu_run u-gs '(d=/sys/devices/system/xen_memory/xen_memory0; i=0
	while [ $i -lt 900 ]; do
		echo "$(cut -f2 /proc/sys/net/ipv4/tcp_mem) $(cat $d/info/current_kb) $(cat $d/target_kb)"
		sleep 0.1; i=$((i + 1))
	done >/tmp/samples) >/dev/null 2>&1 &' >/dev/null
before=$(domu_run u-gs "cut -f2 /proc/sys/net/ipv4/tcp_mem")
t0=$(now_ms)
xl mem-set u-gs 1024m
domu_settle u-gs 240 >/dev/null
applied=$(wait_applied u-gs 1048576 120)
say "TIME $s shrink-to-ack $(($(now_ms) - t0))"
check_true "$s-shrink-acked" "applied-kb '$applied' for a 1024 MiB target" applied_for 1048576 "$applied"
# The settled pass echoes the memory/target it followed (what memtunectl shrink waits for).
wait_until 60 sh -c ". /e2e/lib.sh; [ \"\$(kmod_ack u-gs target-kb)\" = 1048576 ]"
check_true "$s-shrink-target-echoed" "target-kb '$(kmod_ack u-gs target-kb)'" [ "$(kmod_ack u-gs target-kb)" = 1048576 ]
first=$(domu_run u-gs "awk -v b=$before '\$1 != b { print; exit }' /tmp/samples")
info "$s: first sample with the new tcp_mem (tcp_mem_1 current_kb target_kb): $first"
early=no
set -- $first
[ -n "$first" ] && [ "${2:-0}" -gt "${3:-0}" ] && early=yes
check_true "$s-shrink-before-balloon" "first changed sample '$first'" [ $early = yes ]
compare_golden "$s-shrink" u-gs 1024 2048
golden_ratios shrink u-gs 1024
scan_consoles "$s-consoles-clean"
