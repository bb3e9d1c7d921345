# e2e-timeout: 300
# Does a PVH DomU boot here? PVH needs hardware virtualisation in the (emulated) CPU, which
# TCG's qemu64 does not offer; this scenario tells (not in default.list).
s=rig-pvh
info "$s: Xen capabilities: $(xl info | sed -n 's/^xen_caps *: *//p')"
if domu_create u-pvh 256 512 pvh; then
	pass "$s-boots"
	check_eq "$s-target" "$(domu_balloon u-pvh | cut -d' ' -f1)" 262144
else
	fail "$s-boots" "$(tail -n 3 /tmp/u-pvh.create | tr '\n' ' ')"
fi
