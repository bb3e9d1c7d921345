# e2e-timeout: 400
# e2e-checks: 6
# Issue 2: Dom0 itself. With xl's autoballoon on, creating a DomU larger than Xen's free memory
# shrinks Dom0; the module loaded in Dom0 follows (its acknowledgement in
# /local/domain/0/data/memtune/kmod/ and Dom0's tcp_mem).
s=kmod-dom0-autoballoon
need_kmod "$s" || return 0 2>/dev/null || exit 0
insmod "$E2E_MEMTUNE_KO" || { fail "$s-load" "insmod in Dom0 failed"; return 0 2>/dev/null || exit 0; }
pass "$s-load"
wait_until 30 sh -c '[ -n "$(xenstore-read /local/domain/0/data/memtune/kmod/applied-kb 2>/dev/null)" ]'
applied0=$(xenstore-read /local/domain/0/data/memtune/kmod/applied-kb 2>/dev/null)
tcp0=$(cut -f2 /proc/sys/net/ipv4/tcp_mem)
free=$(xl info | awk '/^free_memory/ { print $3 }')
want=$((free + 160))
info "$s: Xen free ${free} MiB, Dom0 applied-kb $applied0, tcp_mem_1 $tcp0; creating a ${want} MiB DomU"
echo 'autoballoon="on"' >/etc/xen/xl.conf
t0=$(now_ms)
if domu_create u-big "$want" "$want"; then
	pass "$s-domu-created"
else
	fail "$s-domu-created" "xl create of $want MiB: $(cat /tmp/u-big.create | tail -n 2 | tr '\n' ' ')"
fi
echo 'autoballoon="off"' >/etc/xen/xl.conf
dom0_mib=$(xl list 0 | awk 'NR == 2 { print $3 }')
info "$s: Dom0 now $dom0_mib MiB"
check_true "$s-dom0-shrank" "Dom0 still $dom0_mib MiB" [ "$dom0_mib" -lt 512 ]
wait_until 120 sh -c "a=\$(xenstore-read /local/domain/0/data/memtune/kmod/applied-kb); [ \"\$a\" -lt $applied0 ]"
applied=$(xenstore-read /local/domain/0/data/memtune/kmod/applied-kb)
say "TIME $s create-to-dom0-ack $(($(now_ms) - t0))"
check_true "$s-dom0-module-followed" "applied-kb $applied0 -> $applied" [ "$applied" -lt "$applied0" ]
tcp=$(cut -f2 /proc/sys/net/ipv4/tcp_mem)
check_true "$s-dom0-tcp-mem-lowered" "tcp_mem_1 $tcp0 -> $tcp" [ "$tcp" -lt "$tcp0" ]
domu_destroy u-big
xl mem-set 0 512m
rmmod xen_memtune
scan_consoles "$s-consoles-clean"
