# e2e-timeout: 600
# e2e-checks: 32
# Issue 2: operator resize (Dom0 writes memtune/resize, owned by dom0 and readable by the
# guest, and reads the module's acknowledgement in data/memtune/kmod/token); an administrator's
# sysctl -w survives later resizes and shows `admin`; hostile directive nodes and resize
# tokens from Dom0 change nothing; a burst of targets ends with the values for the last one.
s=kmod-resize-admin
domu_boot_with_kmod u-ra 512 2048 "$s-load" || return 0 2>/dev/null || exit 0
id=$(domu_id u-ra)
wait_until 60 sh -c ". /e2e/lib.sh; [ -n \"\$(kmod_ack u-ra applied-kb)\" ]"

# Operator resize.
xenstore-write "/local/domain/$id/memtune/resize" ""
xenstore-chmod -r "/local/domain/$id/memtune" n0 "r$id"
applies0=$(domu_run u-ra 'cat /sys/kernel/xen_memtune/stats/applies')
t0=$(now_ms)
xenstore-write "/local/domain/$id/memtune/resize" "op-$t0"
if wait_until 60 sh -c ". /e2e/lib.sh; [ \"\$(kmod_ack u-ra token)\" = op-$t0 ]"; then
	say "TIME $s resize-write-to-token-ack $(($(now_ms) - t0))"
	pass "$s-resize-acked"
else
	fail "$s-resize-acked" "token '$(kmod_ack u-ra token)', want op-$t0"
fi
check_true "$s-resize-applied" "stats/applies did not move from $applies0" \
	[ "$(domu_run u-ra 'cat /sys/kernel/xen_memtune/stats/applies')" -gt "$applies0" ]
check_true "$s-resize-node-guest-readonly" "the guest could write memtune/resize" \
	[ "$(domu_run u-ra 'xenstore-write memtune/resize forged >/dev/null 2>&1 && echo yes')" != yes ]

# Administrator override.
domu_run u-ra 'sysctl -w fs.inotify.max_user_watches=77777' >/dev/null
xl mem-set u-ra 1536m
domu_settle u-ra 180 >/dev/null
wait_applied u-ra 1572864 120 >/dev/null
check_eq "$s-admin-value-kept" "$(domu_run u-ra 'cat /proc/sys/fs/inotify/max_user_watches')" 77777
check_eq "$s-admin-owner" "$(domu_run u-ra 'cat /sys/kernel/xen_memtune/tunables/inotify_max_user_watches/owner')" admin
check_eq "$s-other-values-managed" "$(domu_run u-ra 'cat /sys/kernel/xen_memtune/tunables/tcp_mem/owner')" module

# Hostile directive nodes and resize tokens from Dom0: nothing the module manages moves.
before=$(domu_run u-ra '/e2e/collect-values.sh')
long=$(awk 'BEGIN { while (i++ < 2000) printf "x" }')
for node in directive/seq directive/expires directive/swap-mode directive/reclaim-kb directive/swappiness; do
	for v in -1 18446744073709551616 "$long" "../../x" "1e9" ""; do
		xenstore-write -- "/local/domain/$id/memtune/$node" "$v"
	done
done
xenstore-write "/local/domain/$id/memtune/resize" "$long"
sleep 5
after=$(domu_run u-ra '/e2e/collect-values.sh')
check_true "$s-hostile-directives-alive" "guest died" domu_alive u-ra
check_eq "$s-hostile-directives-change-nothing" "$after" "$before"

# Burst: six targets without waiting; the values end at those for the last (1024 MiB).
coalesced0=$(domu_run u-ra 'cat /sys/kernel/xen_memtune/stats/coalesced')
for m in 600 1400 700 1500 800 1024; do
	xl mem-set u-ra "${m}m"
done
domu_settle u-ra 180 >/dev/null
applied=$(wait_applied u-ra 1048576 120)
sleep 3
check_true "$s-burst-ends-at-last" "applied-kb $(kmod_ack u-ra applied-kb)" applied_for 1048576 "$(kmod_ack u-ra applied-kb)"
info "$s: burst coalesced $(( $(domu_run u-ra 'cat /sys/kernel/xen_memtune/stats/coalesced') - coalesced0 )) events"
E2E_ADMIN_OWNED=inotify_max_user_watches compare_golden "$s-burst" u-ra 1024 2048

# A target set only inside the guest, through the balloon's sysfs file (no xenstore event): the
# guard's poll sees the balloon target move and the module sizes its values for it.
domu_run u-ra 'echo 786432 >/sys/devices/system/xen_memory/xen_memory0/target_kb' >/dev/null
domu_settle u-ra 180 >/dev/null
applied=$(wait_applied u-ra 786432 120)
check_true "$s-sysfs-target-followed" "applied-kb '$applied' after a 768 MiB sysfs target" applied_for 786432 "$applied"
scan_consoles "$s-consoles-clean"
