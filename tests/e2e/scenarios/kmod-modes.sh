# e2e-timeout: 500
# e2e-checks: 48
# The module's documented switches, in one PV DomU (512 MiB, maxmem 2048 MiB) loaded with
# restore_on_unload=0, each across a resize (docs/ABI/testing/sysfs-kernel-xen_memtune,
# docs/xen_memtune.4):
#   mode=dry-run  computes for the new size (tunables/*/computed), writes nothing, no uevent
#   mode=notify   writes nothing, sends the KOBJ_CHANGE uevent with the values it computed,
#                 which are those of a guest booted at that size (golden table)
#   mode=apply    writes them, and sends the uevent too
#   enabled=0     no pass at all across a resize (values, computed values and stats/applies
#                 stay); enabled=1 brings the values up to date
#   restore_on_unload=0   rmmod leaves the values the module wrote
# A uevent listener in the guest (busybox `uevent`, on the same netlink socket udevd reads)
# records every xen_memtune uevent in /tmp/uevents (guest/uevent-log.sh).
s=kmod-modes
KMOD_PARAMS=restore_on_unload=0 domu_boot_with_kmod u-md 512 2048 "$s-load" ||
	return 0 2>/dev/null || exit 0
wait_until 60 sh -c ". /e2e/lib.sh; [ -n \"\$(kmod_ack u-md applied-kb)\" ]"
check_eq "$s-param-restore-off" "$(domu_run u-md 'cat /sys/module/xen_memtune/parameters/restore_on_unload')" N
domu_run u-md '(uevent /e2e/uevent-log.sh </dev/null >/dev/null 2>&1 &)' >/dev/null

knob() { domu_run u-md "cat /sys/kernel/xen_memtune/$1"; }
set_knob() { domu_run u-md "echo $2 >/sys/kernel/xen_memtune/$1" >/dev/null; }
# snapshot FILE: every managed value, as the guest's kernel holds it now.
snapshot() { domu_run u-md /e2e/collect-values.sh >"$1"; }
# unchanged CHECK FILE: one check that no value moved since snapshot FILE (else: which did).
unchanged()
{
	local moved

	moved=$(domu_run u-md /e2e/collect-values.sh | diff "$2" - | sed -n 's/^+\([a-z]\)/\1/p' | tr '\n' ' ')
	check_eq "$1" "${moved:-none}" none
}
# resize MIB: xl mem-set, then the balloon settles and the module acknowledges a pass for it.
resize()
{
	xl mem-set u-md "${1}m"
	domu_settle u-md 180 >/dev/null
	wait_applied u-md $(($1 * 1024)) 120 >/dev/null
}
# uevent_last KEY=VALUE...: the last recorded uevent holding every KEY=VALUE, or nothing.
uevent_last()
{
	local cmd="cat /tmp/uevents 2>/dev/null" kv

	for kv in "$@"; do cmd="$cmd | grep -F ';$kv;'"; done
	domu_run u-md "$cmd" | tail -n 1
}
uevent_seen() { [ -n "$(uevent_last "$@")" ]; }
state_is() { [ "$(knob state)" = "$1" ]; }
threads_max_is() { [ "$(domu_run u-md 'cat /proc/sys/kernel/threads-max')" = "$1" ]; }
# field UEVENT KEY: one value of a recorded uevent.
field() { printf '%s\n' "$1" | tr ';' '\n' | sed -n "s/^$2=//p"; }
# near_golden COLUMN MIB VALUE: VALUE is what a guest booted at MIB has (compare_golden's
# tolerance for this guest's maxmem, 2048 MiB).
near_golden()
{
	set -- "$1" "$2" "$3" $(golden_tolerance "$1" "$2" 2048)
	within_range "$4" "$5" "$3" "$(golden_value "$2" "$1")"
}

# dry-run: across a grow to 1024 MiB, computed follows the new size, nothing is written.
set_knob mode dry-run
check_eq "$s-dry-run-set" "$(knob mode)" dry-run
snapshot /tmp/md.before
resize 1024
unchanged "$s-dry-run-writes-nothing" /tmp/md.before
for t in threads_max inotify_max_user_watches; do
	c=$(knob "tunables/$t/computed")
	check_true "$s-dry-run-computes-$t" "computed '$c', value '$(knob "tunables/$t/value")', golden at 1024 MiB $(golden_value 1024 "$t")" \
		near_golden "$t" 1024 "$c"
done

# notify: across a grow to 2048 MiB, nothing is written and the uevent carries the values.
set_knob mode notify
resize 2048
unchanged "$s-notify-writes-nothing" /tmp/md.before
wait_until 30 uevent_seen XEN_MEMTUNE_EVENT=notify MODE=notify TARGET_KB=2097152
ev=$(uevent_last XEN_MEMTUNE_EVENT=notify MODE=notify TARGET_KB=2097152)
info "$s: notify uevent: $ev"
check_true "$s-notify-uevent-sent" "no notify uevent for TARGET_KB=2097152 in: $(domu_run u-md 'cat /tmp/uevents' | tail -n 3)" \
	[ -n "$ev" ]
for t in threads_max tcp_mem file_max; do
	key=$(echo "$t" | tr a-z A-Z)
	check_eq "$s-notify-uevent-$t" "$(field "$ev" "$key")" "$(knob "tunables/$t/computed")"
done
check_true "$s-notify-uevent-totalram" "TOTALRAM_KB '$(field "$ev" TOTALRAM_KB)', applied-kb $(kmod_ack u-md applied-kb)" \
	[ "$(field "$ev" TOTALRAM_KB)" = "$(kmod_ack u-md applied-kb)" ]
# Netlink keeps the order: a dry-run uevent would sit before the notify one.
check_eq "$s-dry-run-sent-no-uevent" "$(domu_run u-md 'grep -c ";MODE=dry-run;" /tmp/uevents')" 0

# The announced values are a boot's at 2048 MiB (compare_golden's tolerances).
for t in threads_max file_max; do
	key=$(echo "$t" | tr a-z A-Z)
	check_true "$s-notify-uevent-$t-golden" "$key=$(field "$ev" "$key"), golden at 2048 MiB $(golden_value 2048 "$t")" \
		near_golden "$t" 2048 "$(field "$ev" "$key")"
done
tcp_mem_near_golden()
{
	near_golden tcp_mem_0 2048 "$1" && near_golden tcp_mem_1 2048 "$2" &&
		near_golden tcp_mem_2 2048 "$3"
}
# shellcheck disable=SC2046
check_true "$s-notify-uevent-tcp_mem-golden" "TCP_MEM=$(field "$ev" TCP_MEM), golden at 2048 MiB $(golden_value 2048 tcp_mem_0) $(golden_value 2048 tcp_mem_1) $(golden_value 2048 tcp_mem_2)" \
	tcp_mem_near_golden $(field "$ev" TCP_MEM)

# apply: the pass the mode write starts writes the values, and says so. threads_max does not
# depend on the watermarks, so it is what notify announced; the tcp/udp limits move with the
# min_free_kbytes that apply writes and notify does not (apply_now's second pass), so those
# are compared with the golden row.
set_knob mode apply
wait_until 60 threads_max_is "$(field "$ev" THREADS_MAX)"
check_eq "$s-apply-writes-announced-threads_max" "$(domu_run u-md 'cat /proc/sys/kernel/threads-max')" "$(field "$ev" THREADS_MAX)"
info "$s: tcp_mem announced by notify $(field "$ev" TCP_MEM), written by apply $(domu_run u-md 'cat /proc/sys/net/ipv4/tcp_mem' | awk '{ print $1, $2, $3 }')"
compare_golden "$s-apply" u-md 2048 2048
wait_until 30 uevent_seen MODE=apply TARGET_KB=2097152
check_true "$s-apply-uevent-sent" "no apply uevent for TARGET_KB=2097152" uevent_seen MODE=apply TARGET_KB=2097152

# enabled=0: a shrink to 1024 MiB computes nothing, writes nothing, runs no pass.
set_knob enabled 0
wait_until 30 state_is disabled
check_eq "$s-disabled-state" "$(knob state)" disabled
snapshot /tmp/md.before
computed=$(knob tunables/threads_max/computed)
applies=$(knob stats/applies)
xl mem-set u-md 1024m
domu_settle u-md 180 >/dev/null
# The settle work runs every settle_ms (250) while the balloon moves: 3 s is 12 of them.
sleep 3
unchanged "$s-disabled-writes-nothing" /tmp/md.before
check_eq "$s-disabled-computes-nothing" "$(knob tunables/threads_max/computed)" "$computed"
check_eq "$s-disabled-no-pass" "$(knob stats/applies)" "$applies"
# enabled=1: one pass brings the values up to date for 1024 MiB.
set_knob enabled 1
wait_applied u-md 1048576 60 >/dev/null
wait_until 30 sh -c ". /e2e/lib.sh; [ \"\$(kmod_ack u-md state)\" = idle ]"
v=$(domu_run u-md 'cat /proc/sys/kernel/threads-max')
check_true "$s-enabled-again-follows" "threads-max $v, golden at 1024 MiB $(golden_value 1024 threads_max)" \
	near_golden threads_max 1024 "$v"

# restore_on_unload=0: rmmod leaves every value the module wrote.
snapshot /tmp/md.before
out=$(domu_run u-md 'rmmod xen_memtune 2>&1')
check_true "$s-unload" "rmmod: $out" [ -z "$(domu_run u-md 'ls -d /sys/kernel/xen_memtune 2>/dev/null')" ]
unchanged "$s-unload-keeps-values" /tmp/md.before
check_true "$s-unload-kept-not-boot" "the values before rmmod were the boot values" \
	[ "$(cat /tmp/md.before)" != "$(domu_run u-md 'cat /tmp/boot-values')" ]
scan_consoles "$s-consoles-clean"
