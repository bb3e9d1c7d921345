# e2e-timeout: 500
# e2e-checks: 29
# Issue 3: the agent (xen-memtuned, busybox init, --no-dbus) in a PV DomU publishes its report;
# `memtunectl domains` in Dom0 shows it; `memtunectl directive` (swap mode with a loop-device
# swap, which the guest counts as a disk, and a zram device; then a reclaim) is applied and
# acknowledged, and the swap priorities after each swap mode are what docs/protocol.md says; a
# directive forged by the guest under data/ is ignored; `memtunectl resize` is acknowledged by
# the module. Issue 13: XAPI's keys, read from Dom0, and their control/ keys refused under
# libxl's permissions, then written under XAPI's.
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
agent_start u-ag "$s-report-published"
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

agent_reclaim u-ag "$s-directive-reclaim"

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
# XAPI's keys beside the report (issue 13), read from Dom0 in XAPI's units (kB). After the
# shrink MemTotal changed: the agent writes it at once, within its 5 s minimum interval.
dom=/local/domain/$id
guest_kb() { domu_run u-ag "awk '/^$1:/ { print \$2 }' /proc/meminfo"; }
total=$(guest_kb MemTotal)
check_true "$s-xapi-meminfo-total" \
	"data/meminfo_total '$(xenstore-read "$dom/data/meminfo_total" 2>&1)', guest MemTotal $total kB" \
	wait_until 30 sh -c "[ \"\$(xenstore-read $dom/data/meminfo_total)\" = '$total' ]"
# meminfo_free is MemAvailable, rewritten when it moves by 32 MiB: within 64 MiB of the guest's.
free=$(xenstore-read "$dom/data/meminfo_free" 2>&1)
avail=$(guest_kb MemAvailable)
check_true "$s-xapi-meminfo-free" "data/meminfo_free '$free', guest MemAvailable $avail kB" \
	awk -v f="$free" -v a="$avail" -v t="$total" 'BEGIN { exit !(f ~ /^[0-9]+$/ &&
		a ~ /^[0-9]+$/ && f > 0 && f <= t + 0 && f - a < 65536 && a - f < 65536) }'
updated=$(xenstore-read "$dom/data/updated" 2>&1)
check_true "$s-xapi-updated" "data/updated '$updated'" \
	sh -c "echo '$updated' | grep -qE '^[A-Z][a-z]{2} [A-Z][a-z]{2} [ 1-3][0-9] [0-2][0-9]:[0-5][0-9]:[0-6][0-9] [0-9]{4}\$'"
# libxl creates ~/control read-only: the control keys are refused, and logged once each.
for key in feature-balloon feature-memtune; do
	check_eq "$s-xapi-$key-read-only-under-xl" \
		"$(xenstore-read "$dom/control/$key" 2>/dev/null || echo absent) $(domu_run u-ag "grep -c 'control/$key is read-only' /var/log/agent.log")" \
		"absent 1"
done
# As XAPI does (xen-api#5014), hand ~/control to the guest; a vanished report (as after a
# migration) makes the agent write every key again, the control keys too.
xenstore-chmod "$dom/control" "r$id"
xenstore-rm "$dom/data/memtune/seq"
for key in feature-balloon feature-memtune; do
	check_true "$s-xapi-$key-under-xapi-perms" \
		"control/$key '$(xenstore-read "$dom/control/$key" 2>&1)'" \
		wait_until 30 sh -c "[ \"\$(xenstore-read $dom/control/$key 2>/dev/null)\" = 1 ]"
done
check_true "$s-agent-alive" "agent gone; log: $(domu_run u-ag 'tail -n 3 /var/log/agent.log' | tr '\n' ' ')" \
	sh -c "[ \"\$(. /e2e/lib.sh; domu_run u-ag 'pidof xen-memtuned')\" != '' ]"
scan_consoles "$s-consoles-clean"
