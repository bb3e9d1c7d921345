# e2e-timeout: 400
# e2e-checks: 9
# Issue 2: the module loads in a PV DomU and in Dom0, publishes its state, and unloading it
# restores every boot value it changed (DomU booted at 512 MiB, grown to 1024 MiB first).
s=kmod-load
domu_boot_with_kmod u-load 512 1024 "$s-domu" || return 0 2>/dev/null || exit 0
check_eq "$s-domu-sysfs-enabled" "$(domu_run u-load 'cat /sys/kernel/xen_memtune/enabled')" 1
wait_until 30 sh -c '. /e2e/lib.sh; [ -n "$(kmod_ack u-load state)" ]'
check_true "$s-domu-ack-visible-in-dom0" "data/memtune/kmod/state empty" \
	[ -n "$(kmod_ack u-load state)" ]

xl mem-set u-load 1024m
domu_settle u-load 120 >/dev/null
wait_applied u-load 1048576 60 >/dev/null
changed=$(domu_run u-load '/e2e/collect-values.sh >/tmp/grown; diff /tmp/boot-values /tmp/grown | grep -c "^+[a-z]"')
check_true "$s-values-changed-by-grow" "no value differs from boot after a grow" [ "${changed:-0}" -gt 0 ]
# The values the module writes come back; the zone watermarks, lowmem_reserve and pcp limits do
# not: the kernel derives them from min_free_kbytes and the zones' managed pages, which the grow
# changed (they are compared with golden in kmod-grow-shrink).
out=$(domu_run u-load 'rmmod xen_memtune 2>&1 && /e2e/collect-values.sh >/tmp/after &&
	z="^(wmark|lowmem_reserve|pcp)_"; grep -vE "$z" /tmp/boot-values >/tmp/boot-written
	grep -vE "$z" /tmp/after >/tmp/after-written; diff /tmp/boot-written /tmp/after-written')
check_true "$s-unload-restores-boot-values" "differences after rmmod: $(echo "$out" | tr '\n' ' ')" \
	[ -z "$out" ]

# Dom0: the same module, in the domain that runs xenstored.
out=$(insmod "$E2E_MEMTUNE_KO" 2>&1)
check_true "$s-dom0" "insmod in Dom0: $out" [ -d /sys/kernel/xen_memtune ]
check_eq "$s-dom0-boot-kb" "$(( $(cat /sys/kernel/xen_memtune/boot_kb 2>/dev/null || echo 0) > 0 ))" 1
out=$(rmmod xen_memtune 2>&1)
check_true "$s-dom0-unload" "rmmod in Dom0: $out" [ ! -d /sys/kernel/xen_memtune ]
scan_consoles "$s-consoles-clean"
