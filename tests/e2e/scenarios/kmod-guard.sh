# e2e-timeout: 900
# Issue 6: hostile memory/target values written from Dom0 with xenstore-write.
# Without the module, the values that kill still kill (a fresh DomU per value); with the module
# the guest survives every value, its balloon target stays at the last good value or the floor,
# and Dom0 reads the refusal in data/memtune/kmod/. A legitimate mem-set below the floor stops
# at the floor; a legitimate shrink above it is untouched.
s=kmod-guard
killers="0 4 0x80000 1e6 18446744073709551616"
long=$(awk 'BEGIN { while (i++ < 3000) printf "9" }')
absurd="18446744073709551615 $long 2097152"
blank=" 524288|524288 |524288abc|abc||-1"

# target_of NAME: the balloon target the guest holds, in kB.
target_of() { domu_run "$1" 'cat /sys/devices/system/xen_memory/xen_memory0/target_kb'; }

# Without the module.
n=0
for v in $killers; do
	n=$((n + 1))
	domu_create u-k$n 512 512 || { fail "$s-nomod-$v" "DomU did not boot"; continue; }
	xenstore-write "/local/domain/$(domu_id u-k$n)/memory/target" "$v"
	if wait_until 30 sh -c ". /e2e/lib.sh; ! domu_alive u-k$n"; then
		say "GUARD without-module $v killed"
		pass "$s-nomod-$v-kills"
	else
		say "GUARD without-module $v survived"
		fail "$s-nomod-$v-kills" "guest still alive 30 s after target '$v' (the kernel bug the guard answers)"
	fi
	domu_destroy u-k$n
done

# With the module.
domu_boot_with_kmod u-g 512 512 "$s-load" || return 0 2>/dev/null || exit 0
id=$(domu_id u-g)
floor=$(domu_run u-g 'cat /sys/kernel/xen_memtune/floor_kb')
info "$s: floor $floor kB ($(domu_run u-g 'cat /sys/kernel/xen_memtune/floor_reason'))"
good=524288
for v in $killers $absurd; do
	short=$(echo "$v" | cut -c1-24)
	count0=$(kmod_ack u-g refused-count)
	xenstore-write "/local/domain/$id/memory/target" "$v"
	sleep 6
	if ! domu_alive u-g; then
		say "GUARD with-module $short killed"
		fail "$s-mod-$short-survives" "guest died; console:"
		domu_console_tail u-g 15
		return 0 2>/dev/null || exit 0
	fi
	t=$(target_of u-g)
	say "GUARD with-module $short survived target_kb=$t released_kb=$(domu_run u-g 'cat /sys/kernel/xen_memtune/stats/guard_released_kb')"
	pass "$s-mod-$short-survives"
	check_true "$s-mod-$short-target-sane" "target_kb $t (last good $good, floor $floor)" \
		sh -c "[ '$t' = '$good' ] || [ '$t' = '$floor' ]"
	check_true "$s-mod-$short-refusal-visible" "refused-count '$(kmod_ack u-g refused-count)' (was '$count0'), reason '$(kmod_ack u-g refused-reason)'" \
		[ "$(kmod_ack u-g refused-count)" != "$count0" ]
	# Dom0 puts a good value back, as an operator would.
	xenstore-write "/local/domain/$id/memory/target" $good
	domu_settle u-g 60 >/dev/null
done
IFS='|'
for v in $blank; do
	unset IFS
	xenstore-write "/local/domain/$id/memory/target" "$v"
	sleep 3
	t=$(target_of u-g)
	check_true "$s-mod-'$v'-ignored" "target_kb $t after '$v'" [ "$t" = $good ]
	IFS='|'
done
unset IFS
xenstore-write "/local/domain/$id/memory/target" $good
domu_settle u-g 60 >/dev/null

# Legitimate: below the floor stops at the floor; above it is untouched.
xl mem-set u-g 64m
domu_settle u-g 120 >/dev/null
t=$(target_of u-g)
floor=$(domu_run u-g 'cat /sys/kernel/xen_memtune/floor_kb')
check_true "$s-memset-below-floor-stops" "target_kb $t, floor $floor" within 2 "$t" "$floor"
check_true "$s-memset-below-floor-said" "refused-reason '$(kmod_ack u-g refused-reason)'" \
	sh -c "xenstore-read /local/domain/$id/data/memtune/kmod/refused-reason | grep -q floor"
above=$(( (floor / 1024 + 64) ))
xl mem-set u-g "${above}m"
domu_settle u-g 120 >/dev/null
check_eq "$s-memset-above-floor-untouched" "$(target_of u-g)" $((above * 1024))
check_true "$s-alive-at-end" "guest died" domu_alive u-g
# Held near its floor, the guest keeps working (a small workload: fork, files, memory).
out=$(domu_run u-g 'for i in 1 2 3 4 5; do dd if=/dev/zero of=/tmp/f$i bs=1M count=4 2>/dev/null; done; ls /tmp | wc -l; rm -f /tmp/f*; echo alive' 120)
check_true "$s-workload-at-floor" "workload output '$out'" sh -c "echo '$out' | grep -q alive"
scan_consoles "$s-consoles-clean" u-k
