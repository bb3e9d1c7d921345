# e2e-timeout: 600
# e2e-checks: 21
# Issue 12 items 3 and 4. Ownership per written value: user.max_net_namespaces=0 set before the
# module loads (as a sysctl.d file does at boot) and user.max_ipc_namespaces changed after it,
# nf_conntrack loaded after the module with nf_conntrack_max set before the module sees it; two
# resizes (up, down) and rmmod leave all three alone (owner admin) while the other namespace
# limits still follow. No file I/O a user can redirect: an unprivileged user in a user and
# mount namespace with a FIFO bind-mounted on proc/sys/vm/min_free_kbytes reads every
# tunables/*/value and preview, and a resize and rmmod still complete. The uevents come from
# the module's device (xen_memtune0), not from /sys/kernel/xen_memtune.
s=kmod-owner
x=/sys/kernel/xen_memtune
need_kmod "$s-load" || exit 0
if ! domu_create u-own 512 2048; then
	fail "$s-load" "DomU did not boot"
	exit 0
fi
out=$(domu_run u-own "sysctl -w user.max_net_namespaces=0 >/dev/null &&
	insmod $E2E_MEMTUNE_KO 2>&1 && cat $x/state")
check_true "$s-load" "insmod: $out" [ $? -eq 0 ]
wait_until 60 sh -c ". /e2e/lib.sh; [ -n \"\$(kmod_ack u-own applied-kb)\" ]"
boot_ns=$(domu_run u-own "cat $x/tunables/max_user_namespaces/boot_value")

# After the load pass: a late nf_conntrack configured before the module's next pass, and one
# more namespace limit changed by hand.
domu_run u-own 'modprobe nf_conntrack && echo 12345 >/proc/sys/net/netfilter/nf_conntrack_max &&
	sysctl -w user.max_ipc_namespaces=77 >/dev/null' >/dev/null

# owned VALUES...: one check that the three admin values and their owners stay.
owned()
{
	local tag="$1" got

	got=$(domu_run u-own "echo \$(cat /proc/sys/user/max_net_namespaces /proc/sys/user/max_ipc_namespaces \
		/proc/sys/net/netfilter/nf_conntrack_max $x/tunables/max_user_namespaces/owner \
		$x/tunables/nf_conntrack_max/owner $x/tunables/nf_conntrack_buckets/owner)")
	check_eq "$s-$tag-admin-values-stay" "$got" "0 77 12345 admin admin admin"
}

# Every uevent of the module, recorded by busybox uevent while the guest grows.
domu_run u-own "(uevent sh -c 'echo \"\$ACTION \$DEVPATH \$SUBSYSTEM \$XEN_MEMTUNE_EVENT\" >>/tmp/own.uevents' \
	>/dev/null 2>&1 &) >/dev/null 2>&1" >/dev/null

for step in 1536:grow 768:shrink; do
	mib=${step%:*}
	tag=${step#*:}
	xl mem-set u-own "${mib}m"
	domu_settle u-own 240 >/dev/null
	applied=$(wait_applied u-own $((mib * 1024)) 120)
	check_true "$s-$tag-applied" "applied-kb '$applied' for $mib MiB" within 15 "$applied" $((mib * 1024))
	owned "$tag"
	# The six namespace limits nobody touched still follow the memory.
	got=$(domu_run u-own "cat /proc/sys/user/max_user_namespaces /proc/sys/user/max_pid_namespaces \
		/proc/sys/user/max_uts_namespaces /proc/sys/user/max_mnt_namespaces \
		/proc/sys/user/max_cgroup_namespaces /proc/sys/user/max_time_namespaces | sort -u")
	check_eq "$s-$tag-other-namespaces-follow" "$got" "$(domu_run u-own "cat $x/tunables/max_user_namespaces/computed")"
	check_true "$s-$tag-namespaces-moved" "max_user_namespaces '$got', boot '$boot_ns'" [ "$got" != "$boot_ns" ]
done

events=$(domu_run u-own 'grep -i memtune /tmp/own.uevents')
check_true "$s-uevent-from-device" "module uevents seen: $(echo "$events" | tr '\n' ';')" \
	has "$events" '^change /devices/system/xen_memtune/xen_memtune0 xen_memtune apply$'
check_true "$s-no-uevent-from-kernel-dir" "$(echo "$events" | tr '\n' ';')" \
	sh -c '! printf "%s\n" "$1" | grep -q " /kernel/xen_memtune "' - "$events"

# The FIFO. The attacker keeps its namespace (and the FIFO on min_free_kbytes) alive while
# Dom0 resizes and the module is unloaded.
domu_run u-own "echo 'nobody:x:65534:65534:nobody:/:/bin/sh' >>/etc/passwd
	echo 'nogroup:x:65534:' >>/etc/group
	echo 1048576 >$x/preview_kb" >/dev/null
domu_run u-own "(su -s /bin/sh nobody -c 'unshare -Urm sh -c \"
	mkfifo /tmp/own.fifo && mount -o bind /tmp/own.fifo /proc/sys/vm/min_free_kbytes &&
	[ -p /proc/sys/vm/min_free_kbytes ] && echo fifo-in-place
	for f in $x/tunables/*/value $x/preview; do
		timeout 20 cat \\\$f >/dev/null || echo stuck \\\$f
	done
	echo mfk=\\\$(cat $x/tunables/min_free_kbytes/value)
	echo reads-done
	sleep 300\"' >/tmp/own.attack 2>&1 &) >/dev/null 2>&1" >/dev/null
wait_until 90 sh -c ". /e2e/lib.sh; domu_run u-own 'cat /tmp/own.attack' | grep -q reads-done"
attack=$(domu_run u-own 'cat /tmp/own.attack')
info "$s: attacker: $(echo "$attack" | tr '\n' ' ')"
check_true "$s-fifo-in-place" "the unprivileged user could not bind a FIFO: $attack" has "$attack" '^fifo-in-place$'
check_true "$s-fifo-reads-complete" "$attack" has "$attack" '^reads-done$'
check_true "$s-fifo-no-read-stuck" "$attack" sh -c '! printf "%s\n" "$1" | grep -q "^stuck"' - "$attack"
check_true "$s-fifo-value-read" "$attack" has "$attack" '^mfk=[0-9]+$'

xl mem-set u-own 1024m
domu_settle u-own 240 >/dev/null
applied=$(wait_applied u-own 1048576 120)
check_true "$s-fifo-resize-applied" "applied-kb '$applied' for 1024 MiB" within 15 "$applied" 1048576
owned fifo-resize

# rmmod restores what the module still owns and leaves the admin's values.
out=$(domu_run u-own 'rmmod xen_memtune 2>&1 && echo removed' 60)
check_true "$s-rmmod-completes" "rmmod: $out" has "$out" '^removed$'
check_eq "$s-rmmod-admin-values-stay" \
	"$(domu_run u-own 'echo $(cat /proc/sys/user/max_net_namespaces /proc/sys/user/max_ipc_namespaces /proc/sys/net/netfilter/nf_conntrack_max)')" \
	"0 77 12345"
check_eq "$s-rmmod-restores-the-rest" "$(domu_run u-own 'cat /proc/sys/user/max_user_namespaces')" "$boot_ns"
domu_destroy u-own
scan_consoles "$s-consoles-clean"
exit 0
