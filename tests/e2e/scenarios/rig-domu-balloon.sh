# e2e-timeout: 400
# e2e-checks: 9
# The rig itself: a PV DomU boots with memory < maxmem, `xl mem-set` moves its balloon up and
# down, and the guest sees each target. No project code involved.
s=rig-domu-balloon
if ! domu_create u-rig 256 512; then
	fail "$s-create" "PV DomU did not boot"
	return 0 2>/dev/null || exit 0
fi
pass "$s-create"
check_eq "$s-boot-target" "$(domu_balloon u-rig | cut -d' ' -f1)" 262144

t0=$(now_ms)
xl mem-set u-rig 400m
read -r target current waited <<-EOF2
$(domu_settle u-rig 120)
EOF2
say "TIME $s mem-set-up-settle $(($(now_ms) - t0))"
check_eq "$s-grow-target" "$target" 409600
check_eq "$s-grow-current" "$current" 409600

t0=$(now_ms)
xl mem-set u-rig 192m
read -r target current waited <<-EOF2
$(domu_settle u-rig 120)
EOF2
say "TIME $s mem-set-down-settle $(($(now_ms) - t0))"
check_eq "$s-shrink-target" "$target" 196608
check_eq "$s-shrink-current" "$current" 196608
memtotal=$(domu_run u-rig "awk '/^MemTotal/ { print \$2 }' /proc/meminfo")
check_true "$s-memtotal-follows" "MemTotal $memtotal kB at 192 MiB" \
	within 30 "$memtotal" 139388

domu_run u-rig 'poweroff -f' 10 >/dev/null
wait_until 60 sh -c '! xl domid u-rig >/dev/null 2>&1'
check_true "$s-poweroff" "still listed after poweroff: $(xl list | tail -n +2 | tr -s ' \n' ' ')" \
	sh -c '! xl domid u-rig >/dev/null 2>&1'
scan_consoles "$s-consoles-clean"
