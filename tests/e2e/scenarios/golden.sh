# e2e-timeout: 1500
# e2e-checks: 2 (one per size, E2E_GOLDEN_SIZES, at least one; then the console scan)
# The golden table: PV DomUs booted natively (memory = maxmem) at each size, one at a time;
# every managed value as the kernel computed it at boot, the formula inputs and the boot hash
# sizes. tests/e2e/golden.sh turns the GOLD lines into tests/data/golden-6.1.tsv. The table is
# also left in /tmp/golden-run.tsv, which scenarios run after this one in the same boot compare
# with (guest/lib.sh: golden_value; tests/e2e/golden.sh E2E_GOLDEN_ALSO).
s=golden
say "GOLD-META xen $(xl info | sed -n 's/^xen_version *: *//p')"
say "GOLD-META kernel $(uname -r) $(uname -v)"
: >/tmp/golden-run.cells
for mib in $(echo "${E2E_GOLDEN_SIZES:-256 512 768 1024 2048 4096}" | tr ',' ' '); do
	name=g$mib
	if ! domu_create "$name" "$mib" "$mib"; then
		fail "$s-$mib-boot" "DomU of $mib MiB did not boot"
		continue
	fi
	domu_run "$name" "/e2e/collect-values.sh --inputs --hashes" >"/tmp/$name.values"
	n=$(wc -l <"/tmp/$name.values")
	while read -r col val; do
		say "GOLD $mib $col $val"
		echo "$mib $col $val" >>/tmp/golden-run.cells
	done <"/tmp/$name.values"
	check_true "$s-$mib-collected" "only $n values" [ "$n" -ge 40 ]
	domu_destroy "$name"
done
sh /e2e/golden-pivot.sh </tmp/golden-run.cells >/tmp/golden-run.tsv
scan_consoles "$s-consoles-clean"
