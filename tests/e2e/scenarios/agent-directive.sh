# e2e-timeout: 500
# e2e-checks: 22
# Issue 3: the agent (xen-memtuned, busybox init, --no-dbus) in a PV DomU publishes its report;
# `memtunectl domains` in Dom0 shows it; `memtunectl directive` (swap mode with a loop-device
# swap, which the guest counts as a disk, and a zram device; then a reclaim) is applied and
# acknowledged, and the swap priorities after each swap mode are what docs/protocol.md says; a
# directive forged by the guest under data/ is ignored; `memtunectl resize` is acknowledged by
# the module.
s=agent
need_agent "$s-built" || return 0 2>/dev/null || exit 0
domu_boot_with_kmod u-ag 768 1024 "$s-load-kmod" || return 0 2>/dev/null || exit 0
id=$(domu_id u-ag)
# Swap: zram0 (fast) and a loop device (a disk to the agent) over a file in /run.
domu_run u-ag 'modprobe zram num_devices=2; modprobe loop; ul=/usr/local/sbin
	echo 64M >/sys/block/zram0/disksize && mkswap /dev/zram0 >/dev/null && $ul/swapon -p 10 /dev/zram0
	dd if=/dev/zero of=/run/disk bs=1M count=64 2>/dev/null && $ul/losetup /dev/loop0 /run/disk &&
		mkswap /dev/loop0 >/dev/null && $ul/swapon -p 20 /dev/loop0
	cat /proc/swaps' | sed 's/^/@@E2E INFO   | /'
domu_run u-ag 'mkdir -p /var/log; (xen-memtuned --no-dbus --log stderr >/var/log/agent.log 2>&1 &)' >/dev/null
t0=$(now_ms)
if wait_until 60 xenstore-read "/local/domain/$id/data/memtune/version" >/dev/null 2>&1; then
	say "TIME $s start-to-report $(($(now_ms) - t0))"
	pass "$s-report-published"
else
	fail "$s-report-published" "no data/memtune/version; agent log:"
	domu_run u-ag 'tail -n 10 /var/log/agent.log' | sed 's/^/@@E2E INFO   | /'
fi
out=$(memtunectl --xl /usr/lib/xen-4.17/bin/xl domains --interval 0 2>&1)
echo "$out" | sed 's/^/@@E2E INFO   | /'
check_true "$s-domains-shows-guest" "memtunectl domains: $(echo "$out" | tr '\n' ' ')" \
	sh -c "echo '$out' | grep -q u-ag"

# A directive forged by the guest where only Dom0 may write (and under data/) changes nothing.
domu_run u-ag 'xenstore-write data/memtune/directive/seq 99; xenstore-write data/memtune/directive/swap-mode avoid-disk; xenstore-write memtune/directive/seq 98 2>&1' >/dev/null
sleep 3
check_true "$s-forged-directive-ignored" "ack seq '$(xenstore-read /local/domain/$id/data/memtune/ack/seq 2>/dev/null)'" \
	sh -c "! xenstore-read /local/domain/$id/data/memtune/ack/seq 2>/dev/null | grep -qE '^(98|99)\$'"

# Each swap mode, as docs/protocol.md defines it, on zram0 (fast, booted at priority 10) and
# loop0 (a disk, booted at 20); nothing is swapped out, so no swapoff is refused.
# swap_directive MODE: sends it, checks its ack ("applied": nothing refused), shows /proc/swaps.
swap_directive()
{
	local out rc t0

	t0=$(now_ms)
	out=$(memtunectl directive u-ag --swap-mode "$1" --timeout 60 2>&1)
	rc=$?
	say "TIME $s directive-$1-to-ack $(($(now_ms) - t0))"
	echo "$out" | sed 's/^/@@E2E INFO   | /'
	check_true "$s-directive-$1-acked" "rc $rc: $(echo "$out" | tr '\n' ' ')" [ $rc -eq 0 ]
	check_eq "$s-directive-$1-applied" "$(xenstore-read /local/domain/$id/data/memtune/ack/result)" applied
	domu_run u-ag 'cat /proc/swaps' | sed 's/^/@@E2E INFO   | /'
}
# prio DEVICE: its priority in /proc/swaps, or "off".
prio() { domu_run u-ag "awk '\$1 == \"/dev/$1\" { p = \$5 } END { print p == \"\" ? \"off\" : p }' /proc/swaps"; }
# prefer-fast: fast swap gets a higher priority than disk swap; both stay on.
swap_directive prefer-fast
z=$(prio zram0)
l=$(prio loop0)
check_true "$s-prefer-fast-zram-above-disk" "zram0 $z, loop0 $l" \
	sh -c "[ '$z' != off ] && [ '$l' != off ] && [ '$z' -gt '$l' ]"
# avoid-disk: the disk device goes off (nothing is swapped on it), fast swap stays on and first.
swap_directive avoid-disk
check_eq "$s-avoid-disk-disk-off" "$(prio loop0)" off
check_eq "$s-avoid-disk-fast-kept" "$(prio zram0)" "$z"
# normal: the priorities the guest booted with, every device back on.
swap_directive normal
check_eq "$s-normal-zram-boot-priority" "$(prio zram0)" 10
check_eq "$s-normal-disk-boot-priority" "$(prio loop0)" 20

# Reclaimable page cache: a block device's (zram1's) pages, read once (tmpfs would not do). The
# kernel drops a block device's cache when its last opener closes it: a sleeper keeps it open.
domu_run u-ag 'echo 64M >/sys/block/zram1/disksize; (sleep 3600 </dev/zram1 >/dev/null 2>&1 &)
	dd if=/dev/zram1 of=/dev/null bs=1M 2>/dev/null' >/dev/null
buffers0=$(domu_buffers_kb u-ag)
t0=$(now_ms)
out=$(memtunectl directive u-ag --reclaim 16M --timeout 60 2>&1)
rc=$?
say "TIME $s directive-reclaim-to-ack $(($(now_ms) - t0))"
echo "$out" | sed 's/^/@@E2E INFO   | /'
check_true "$s-directive-reclaim-acked" "rc $rc: $(echo "$out" | tr '\n' ' ')" [ $rc -eq 0 ]
buffers1=$(domu_buffers_kb u-ag)
check_true "$s-directive-reclaim-gave-back-cache" "Buffers $buffers0 -> $buffers1 kB" \
	[ "$buffers1" -le $((buffers0 - 8192)) ]

t0=$(now_ms)
out=$(memtunectl resize u-ag --timeout 60 2>&1)
rc=$?
say "TIME $s memtunectl-resize-to-ack $(($(now_ms) - t0))"
echo "$out" | sed 's/^/@@E2E INFO   | /'
check_true "$s-resize-acked" "rc $rc: $(echo "$out" | tr '\n' ' ')" [ $rc -eq 0 ]
# The coordinated shrink from Dom0 (issue 3): floor check, xl mem-set, balloon, module, each timed.
# --reclaim 0: a busybox guest has almost no page cache to give back first.
info "clocks: dom0 $(date +%s) domU $(domu_run u-ag 'date +%s')"
t0=$(now_ms)
out=$(memtunectl --xl /usr/lib/xen-4.17/bin/xl shrink u-ag 640M --reclaim 0 --timeout 120 2>&1)
rc=$?
say "TIME $s memtunectl-shrink $(($(now_ms) - t0))"
echo "$out" | sed 's/^/@@E2E INFO   | /'
xenstore-ls "/local/domain/$id/data/memtune/kmod" 2>&1 | sed 's/^/@@E2E INFO   | /'
# memtunectl matches the module's kmod/target-kb with the target it set; it compares no clocks
# (a PV guest's clock can run seconds behind Dom0's: seen 2 s).
check_true "$s-shrink-done" "rc $rc: $(echo "$out" | tr '\n' ' ')" [ $rc -eq 0 ]
check_true "$s-shrink-module-answered" "kmod/target-kb '$(kmod_ack u-ag target-kb)'" \
	[ "$(kmod_ack u-ag target-kb)" = $((640 * 1024)) ]
check_true "$s-agent-alive" "agent gone; log: $(domu_run u-ag 'tail -n 3 /var/log/agent.log' | tr '\n' ' ')" \
	sh -c "[ \"\$(. /e2e/lib.sh; domu_run u-ag 'pidof xen-memtuned')\" != '' ]"
scan_consoles "$s-consoles-clean"
