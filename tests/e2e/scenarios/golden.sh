# e2e-timeout: 2700
# e2e-checks: 2 (one per size, E2E_GOLDEN_SIZES, at least one; then the console scan)
# The golden table: DomUs booted natively (memory = maxmem) at each size, one at a time; every
# managed value as the kernel computed it at boot, the formula inputs and the boot hash sizes.
# tests/e2e/golden.sh turns the GOLD lines into tests/data/golden-6.1.tsv (PV guests), or with
# GOLDEN_TYPE=hvm into tests/data/golden-6.1-hvm.tsv (HVM guests, E2E_GOLDEN_TYPE=hvm here, in
# the Xen boot whose Dom0 has the device model). The limit allows three HVM boots of minutes each.
s=golden
say "GOLD-META xen $(xl info | sed -n 's/^xen_version *: *//p')"
say "GOLD-META kernel $(uname -r) $(uname -v)"
type=${E2E_GOLDEN_TYPE:-pv}
for mib in $(echo "${E2E_GOLDEN_SIZES:-256 512 768 1024 2048 4096}" | tr _ ' '); do
	name=g$mib
	if ! domu_create "$name" "$mib" "$mib" "$type"; then
		fail "$s-$mib-boot" "DomU of $mib MiB did not boot"
		# An HVM guest that does not boot costs its full wait (minutes): stop at the first.
		[ "$type" = hvm ] && break
		continue
	fi
	domu_run "$name" "/e2e/collect-values.sh --inputs --hashes" >"/tmp/$name.values"
	# HVM: what xenstore and the balloon say at this size (the offset between their targets).
	if [ "$type" = hvm ]; then
		info "$s: $mib MiB: memory/target $(xenstore-read "/local/domain/$(domu_id "$name")/memory/target"), balloon (target current) $(domu_balloon "$name"), $(domu_run "$name" 'cat /sys/hypervisor/guest_type; grep -E "^(MemTotal|AnonHugePages)" /proc/meminfo' | tr -s ' \n' '  ')"
	fi
	n=$(wc -l <"/tmp/$name.values")
	while read -r col val; do
		say "GOLD $mib $col $val"
	done <"/tmp/$name.values"
	check_true "$s-$mib-collected" "only $n values" [ "$n" -ge 40 ]
	domu_destroy "$name"
done
# The table as golden.sh will write it, for scenarios run later in this boot (GOLDEN_ALSO).
for f in /tmp/g*.values; do
	[ -f "$f" ] || continue
	mib=${f#/tmp/g}
	awk -v m="${mib%.values}" '{ print m, $1, $2 }' "$f"
done | awk -f /e2e/golden-table.awk >"/tmp/golden-$type.tsv"
scan_consoles "$s-consoles-clean"
