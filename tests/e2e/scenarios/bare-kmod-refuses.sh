# e2e-checks: 4
# Issue 2: on a kernel that is not running under Xen (the same Debian kernel booted directly in
# QEMU), insmod fails with ENODEV and the module says why in one line.
s=bare-kmod-refuses
need_kmod "$s" || return 0 2>/dev/null || exit 0
out=$(insmod "$E2E_MEMTUNE_KO" 2>&1)
rc=$?
info "$s: insmod: rc $rc, '$out'"
check_true "$s-insmod-fails" "insmod succeeded" [ $rc -ne 0 ]
case "$out" in
*"No such device"*) pass "$s-enodev" ;;
*) fail "$s-enodev" "insmod said: $out" ;;
esac
check_true "$s-not-loaded" "module listed" sh -c '! grep -q "^xen_memtune " /proc/modules'
line=$(dmesg | grep 'xen_memtune' | tail -n 1)
check_true "$s-log-line" "no xen_memtune line in dmesg" [ -n "$line" ]
info "$s: dmesg: $line"
