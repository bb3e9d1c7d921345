# e2e-timeout: 300
# Does a PVH DomU boot here? (not in default.list) With TCG's plain qemu64, no: Xen has no HAP
# ("neither hap nor shadow paging available": Debian's Xen has no shadow paging). With
# E2E_TCG_CPU=qemu64,+npt (emulated AMD nested paging) it boots:
#   E2E_TCG_CPU=qemu64,+npt E2E_SCENARIOS=rig-pvh make e2e
s=rig-pvh
info "$s: Xen capabilities: $(xl info | sed -n 's/^xen_caps *: *//p')"
if domu_create u-pvh 256 512 pvh; then
	pass "$s-boots"
	# PVH: the balloon's effective target leaves out the low memory hole (about 400 kB).
	t=$(domu_balloon u-pvh | cut -d' ' -f1)
	check_true "$s-target" "target_kb $t" within 1 "$t" 262144
else
	fail "$s-boots" "$(tail -n 3 /tmp/u-pvh.create | tr '\n' ' ')"
fi
