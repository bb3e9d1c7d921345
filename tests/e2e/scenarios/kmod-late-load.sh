# e2e-timeout: 900
# e2e-checks: 133
# Issue 12 item 1: the module is right whatever the balloon did before it was loaded. A PV
# DomU booted at 512 MiB (maxmem 2048 MiB) runs without the module and is grown to 2048 MiB;
# only then is the module loaded (a late modprobe, a DKMS upgrade). Its first pass must give
# the values of a guest booted at 2048 MiB (golden), with every tunable owned by the module
# (the boot is established, none "unknown"). Shrunk to 768 MiB the guest must still fork, with
# the 768 MiB golden values. Then it is reloaded after the shrink, unloaded across a grow to
# 1024 MiB and loaded again: golden every time, and forks every time.
s=kmod-late-load
name=u-ll

# forks NAME CHECK: the guest can still start processes (the bug: threads-max at its floor).
forks()
{
	local out

	out=$(domu_run "$1" 'i=0; while [ $i -lt 50 ]; do cat /proc/self/stat >/dev/null || exit 1
		i=$((i + 1)); done; (echo forked) | cat' 60)
	check_eq "$2" "$out" forked
}

# owned NAME CHECK: no tunable is "unknown" or "admin": the boot was established and nothing
# else changed a value.
owned()
{
	local bad

	bad=$(kmod_owners "$1" | awk '$2 != "module" && $2 != "off" { printf "%s ", $0 }')
	check_true "$2" "owners: $bad" [ -z "$bad" ]
}

# resize NAME MIB: xl mem-set and wait for the balloon.
resize()
{
	xl mem-set "$1" "${2}m"
	domu_settle "$1" 240 >/dev/null
}

# applied_for NAME MIB CHECK: the module's last settled pass was for MIB (within 15 %).
applied_for()
{
	local a

	a=$(wait_applied "$1" $(($2 * 1024)) 120)
	check_true "$3" "applied-kb '$a' for a $2 MiB target" within 15 "$a" $(($2 * 1024))
}

need_kmod "$s-built" || exit 0
if ! domu_create "$name" 512 2048; then
	fail "$s-boot" "DomU did not boot"
	exit 0
fi
domu_run "$name" 'modprobe nf_conntrack' >/dev/null

# Without the module: grow to 2048 MiB, then load.
resize "$name" 2048
out=$(kmod_load_settled "$name")
check_true "$s-load-after-grow" "insmod or first pass: $out" [ $? -eq 0 ]
domu_run "$name" 'dmesg | grep "xen_memtune: boot"' | sed 's/^/@@E2E INFO   | /'
owned "$name" "$s-grow-owned"
compare_golden "$s-grow" "$name" 2048 2048
golden_ratios load-after-grow "$name" 2048

# Shrink to 768 MiB with the late-loaded module: forks, golden.
resize "$name" 768
applied_for "$name" 768 "$s-shrink-acked"
forks "$name" "$s-shrink-forks"
compare_golden "$s-shrink" "$name" 768 2048
golden_ratios shrink "$name" 768

# Reload after the shrink (restore_on_unload puts the boot values back in between).
out=$(domu_run "$name" 'rmmod xen_memtune 2>&1')
check_true "$s-unload-after-shrink" "rmmod: $out" [ $? -eq 0 ]
forks "$name" "$s-unloaded-forks"
out=$(kmod_load_settled "$name")
check_true "$s-reload-after-shrink" "insmod or first pass: $out" [ $? -eq 0 ]
owned "$name" "$s-reload-owned"
forks "$name" "$s-reload-forks"
compare_golden "$s-reload" "$name" 768 2048
golden_ratios reload "$name" 768

# Unloaded across a grow to 1024 MiB, loaded again.
domu_run "$name" 'rmmod xen_memtune' >/dev/null
resize "$name" 1024
out=$(kmod_load_settled "$name")
check_true "$s-load-after-regrow" "insmod or first pass: $out" [ $? -eq 0 ]
owned "$name" "$s-regrow-owned"
forks "$name" "$s-regrow-forks"
compare_golden "$s-regrow" "$name" 1024 2048
golden_ratios regrow "$name" 1024

scan_consoles "$s-consoles-clean"
exit 0
