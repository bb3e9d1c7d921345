# e2e-timeout: 600
# e2e-checks: 54
# Issue 12 item 5: a balloon that cannot reach its target. A DomU booted at 512 MiB (maxmem
# 2048 MiB) gets Xen's limit (max_pages) lowered to 1024 MiB with `xl mem-max`, and then a raw
# memory/target of 1536 MiB, which libxl never writes without `xl mem-set` (that raises
# max_pages with it): the balloon grows to 1024 MiB, Xen refuses the rest, the balloon thread
# backs off. The module must say "stalled" (sysfs state, stats/stalls, the ack to Dom0 naming the
# target it follows and the size it applied for) with values that fit the 1024 MiB the guest
# really has, and keep watching: once Xen allows more, the balloon moves again and the values
# follow; a reachable target after that is applied as usual.
s=kmod-stall
domu_boot_with_kmod u-st 512 2048 "$s-load" || return 0 2>/dev/null || exit 0
id=$(domu_id u-st)
dom=/local/domain/$id
static_max=$(xenstore-read $dom/memory/static-max)

# xl mem-max: Xen's max_pages. Debian's xl 4.17 also rewrites memory/static-max (seen in the
# rig), so it is put back to maxmem: lowered, the module would refuse 1536 MiB as above
# static-max and the guard would cap the balloon instead, which is kmod-guard's case, not this.
set_xen_max()
{
	xl mem-max u-st "$1"
	if [ "$(xenstore-read $dom/memory/static-max)" != "$static_max" ]; then
		info "$s: xl mem-max $1 rewrote memory/static-max; put back to $static_max"
		xenstore-write $dom/memory/static-max "$static_max"
	fi
}
sysfs() { domu_run u-st "cat /sys/kernel/xen_memtune/$1"; }
# Linux's balloon thread gives up after max_retry_count failed tries (4 by default: 1+2+4+8 s)
# and then sleeps until the target changes, so with the default the balloon never moves again
# by itself once Xen allows more (seen in the rig when this scenario ran slower: still stalled
# 180 s after xl mem-max). 0 retries for ever (every max_schedule_delay, 32 s), as a guest
# configured to follow Xen's limit does: that is the case where the module must follow.
retries=/sys/devices/system/xen_memory/xen_memory0/max_retry_count
domu_run u-st "echo 0 >$retries"
check_eq "$s-balloon-retries-unlimited" "$(domu_run u-st "cat $retries")" 0

set_xen_max 1024m
xenstore-write $dom/memory/target $((1536 * 1024))
t0=$(now_ms)
wait_until 180 sh -c ". /e2e/lib.sh; [ \"\$(domu_run u-st 'cat /sys/kernel/xen_memtune/state')\" = stalled ]"
say "TIME $s target-to-stalled $(($(now_ms) - t0))"
balloon=$(domu_balloon u-st)
info "$s: balloon (target_kb current_kb) $balloon, stats/stalls $(sysfs stats/stalls)"
check_eq "$s-state-stalled" "$(sysfs state)" stalled
check_true "$s-stalls-counted" "stats/stalls '$(sysfs stats/stalls)'" [ "$(sysfs stats/stalls)" -ge 1 ]
wait_until 30 sh -c ". /e2e/lib.sh; [ \"\$(kmod_ack u-st state)\" = stalled ]"
check_eq "$s-ack-says-stalled" "$(kmod_ack u-st state)" stalled
check_eq "$s-ack-names-target" "$(kmod_ack u-st target-kb)" $((1536 * 1024))
# applied-kb is the totalram the values were computed for: what the guest really has.
memtotal=$(domu_run u-st "awk '/^MemTotal:/ { print \$2 }' /proc/meminfo")
check_true "$s-ack-applied-real-size" "applied-kb '$(kmod_ack u-st applied-kb)', MemTotal $memtotal kB" \
	within 1 "$(kmod_ack u-st applied-kb)" "$memtotal"
compare_golden "$s-stalled" u-st 1024 2048

# Xen allows maxmem again: the balloon thread's next retry (at most 32 s away, retries
# unlimited above) moves it, the module follows to the target it has been watching.
set_xen_max 2048m
t0=$(now_ms)
wait_until 180 sh -c ". /e2e/lib.sh; [ \"\$(domu_run u-st 'cat /sys/kernel/xen_memtune/state')\" = idle ]"
say "TIME $s unblocked-to-idle $(($(now_ms) - t0))"
info "$s: balloon (target_kb current_kb) $(domu_balloon u-st)"
check_eq "$s-moved-again-idle" "$(sysfs state)" idle
applied=$(wait_applied u-st $((1536 * 1024)) 60)
check_true "$s-moved-again-followed" "applied-kb '$applied' for a 1536 MiB target" \
	within 15 "$applied" $((1536 * 1024))
wait_until 30 sh -c ". /e2e/lib.sh; [ \"\$(kmod_ack u-st state)\" = idle ]"
check_eq "$s-moved-again-ack-idle" "$(kmod_ack u-st state)" idle

# A reachable target, set the usual way.
xl mem-set u-st 2048m
domu_settle u-st 240 >/dev/null
applied=$(wait_applied u-st 2097152 120)
check_true "$s-reachable-acked" "applied-kb '$applied' for a 2048 MiB target" within 15 "$applied" 2097152
check_eq "$s-reachable-state" "$(sysfs state)" idle
compare_golden "$s-reachable" u-st 2048 2048
scan_consoles "$s-consoles-clean"
