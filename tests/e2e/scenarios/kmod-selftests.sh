# e2e-timeout: 300
# e2e-checks: 3
# The kselftest-harness sysfs tests (tests/selftests, make selftests) inside a PV DomU with the
# module loaded.
s=kmod-selftests
bin=/opt/memtune/xen_memtune_sysfs_test
domu_boot_with_kmod u-st 512 1024 "$s-load" || return 0 2>/dev/null || exit 0
if [ ! -x "$bin" ]; then
	fail "$s" "build/selftests/xen_memtune_sysfs_test was not built (make selftests)"
else
	out=$(domu_run u-st "$bin" 240)
	rc=$?
	echo "$out" | grep -E '^(ok|not ok|# (PASSED|FAILED|Totals))' | sed 's/^/@@E2E INFO   | /'
	check_true "$s" "exit status $rc; $(echo "$out" | grep -E '^not ok' | head -n 5 | tr '\n' ';')" [ $rc -eq 0 ]
fi
scan_consoles "$s-consoles-clean"
