# e2e-timeout: 400
# e2e-checks: 9
# Issue 16, the arbiter's Xen edge on real Xen (no shared-disk rogue: the rig has no disks yet):
# xen-memtune-arbiter in Dom0 reads each domain's memory through libxl, accepts a real agent's
# report (checked against Xen's numbers), in observe mode only says what it would do, and after a
# SIGHUP to act mode moves an opted-in guest's target with libxl_set_memory_target (rebalancing
# toward its share of free memory), which the guest's balloon follows; `memtunectl arbiter`
# shows and explains it. Issue 13: its /metrics, on by default at 127.0.0.1:9868, gives libxl's
# numbers for the guest (busybox wget; no time added).
s=arbiter
arb=/opt/memtune/xen-memtune-arbiter
if [ ! -x "$arb" ]; then
	fail "$s-built" "build/agent/xen-memtune-arbiter was not built (make agent)"
	return 0 2>/dev/null || exit 0
fi
pass "$s-built"
need_agent "$s-agent-built" || return 0 2>/dev/null || exit 0
if ! domu_create u-arb 512 1024; then
	fail "$s-domu" "PV DomU did not boot"
	return 0 2>/dev/null || exit 0
fi
id=$(domu_id u-arb)
domu_run u-arb 'mkdir -p /var/log; (xen-memtuned --no-dbus --log stderr >/var/log/agent.log 2>&1 &)' >/dev/null
wait_until 60 xenstore-read "/local/domain/$id/data/memtune/version" >/dev/null 2>&1 ||
	info "the agent published no report within 60 s"

dir=/tmp/arbiter
mkdir -p "$dir"
conf() {
	printf '[arbiter]\nmode = %s\ninterval_s = 1\nwindow_s = 2\n[rebalance]\nenabled = yes\ndomains = u-arb\ninterval_s = 2\n' "$1" >"$dir/arbiter.conf"
}
conf observe
# The rig's Dom0 brings up no network; /metrics needs the loopback.
ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up
"$arb" -c "$dir/arbiter.conf" --status-file "$dir/status.json" --kill-switch "$dir/off" \
	--log stderr >"$dir/log" 2>&1 &
apid=$!
field() { # field NAME: a number from u-arb's entry in the status (memtunectl's JSON)
	memtunectl arbiter --status-file "$dir/status.json" --json explain u-arb 2>/dev/null |
		awk -v k="\"$1\":" '$1 == k { gsub(/[^0-9]/, "", $2); print $2; exit }'
}
report() {
	memtunectl arbiter --status-file "$dir/status.json" --json explain u-arb 2>/dev/null |
		grep '"report":'
}
if wait_until 30 test -s "$dir/status.json"; then
	pass "$s-started"
else
	fail "$s-started" "no status file in 30 s; log: $(tail -n 5 "$dir/log" | tr '\n' ' ')"
fi
wait_until 15 sh -c "memtunectl arbiter --status-file $dir/status.json --json explain u-arb | grep -q '\"report\": \"ok\"'" || true
check_true "$s-libxl-current" "current_kb '$(field current_kb)' (xl: $(xl list u-arb | awk 'NR == 2 { print $3 }') MiB)" \
	within 5 "$(field current_kb)" 524288
check_eq "$s-static-max" "$(field static_max_kb)" 1048576
rep=$(report)
check_true "$s-report-accepted" "$rep" has "$rep" '"ok"'
# /metrics (no [metrics] in the config: the default 127.0.0.1:9868) has what libxl said.
out=$(wget -q -O - http://127.0.0.1:9868/metrics 2>&1)
echo "$out" | grep -E "^xenmemtune_domain_(current|static_max|target)_bytes\{domid=\"$id\"" |
	sed 's/^/@@E2E INFO   | metrics: /'
current=$(echo "$out" | awk -v id="$id" 'index($0, "xenmemtune_domain_current_bytes{domid=\"" id "\",name=\"u-arb\"} ") == 1 { print $2 }')
check_true "$s-metrics-libxl" "current ${current:-none} bytes (libxl $(field current_kb) KiB); $(echo "$out" | grep -c '^xenmemtune_') samples" \
	sh -c '. /e2e/lib.sh; [ -n "$1" ] && within 5 "$1" $((524288 * 1024)) &&
		has "$2" "^xenmemtune_domain_static_max_bytes\{domid=\"$3\",name=\"u-arb\"\} 1073741824\$"' \
	- "$current" "$out" "$id"

sleep 6
check_true "$s-observe-changes-nothing" "target $(xenstore-read /local/domain/$id/memory/target); log: $(grep -c 'would:' "$dir/log") would-lines" \
	sh -c "[ \"\$(xenstore-read /local/domain/$id/memory/target)\" = 524288 ] && grep -q 'u-arb (domid $id): rebalance: would: target' $dir/log"

conf act
kill -HUP "$apid"
t0=$(now_ms)
if wait_until 30 sh -c "[ \"\$(xenstore-read /local/domain/$id/memory/target)\" -gt 524288 ]"; then
	say "TIME $s hup-to-target $(($(now_ms) - t0))"
fi
target=$(xenstore-read "/local/domain/$id/memory/target")
read -r btarget current waited <<-EOF2
$(domu_settle u-arb 120)
EOF2
check_true "$s-act-moves-target" "memory/target $target, balloon $btarget/$current after ${waited}s" \
	sh -c "[ $target -gt 524288 ] && [ $target -le 1048576 ] && [ '$current' = '$btarget' ]"
out=$(memtunectl arbiter --status-file "$dir/status.json" explain u-arb 2>&1)
echo "$out" | sed 's/^/@@E2E INFO   | /'
check_true "$s-explain" "$(echo "$out" | head -n 3 | tr '\n' ' ')" has "$out" 'rebalance: target'
grep -E 'rebalance|started|SIGHUP' "$dir/log" | head -n 8 | sed 's/^/@@E2E INFO   | /'
kill "$apid" 2>/dev/null
wait "$apid" 2>/dev/null
domu_destroy u-arb
