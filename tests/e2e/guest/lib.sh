# Helpers for scenarios, sourced in Dom0 (and in the bare guest) by dom0-run.sh/bare-run.sh.
#
# Results go to the console, which Xen copies to QEMU's serial port, which the host parses.
# Every line the host reads starts with "@@E2E " so nothing else on the console can be taken
# for a result:
#   @@E2E ok - <check>                  a check passed
#   @@E2E FAIL - <check>: <why>         a check failed
#   @@E2E TIME <scenario> <what> <ms>   a measured duration (never asserted)
#   @@E2E GOLD <MiB> <column> <value>   one golden-table cell
#   @@E2E INFO <text>                   narration
# Check names are unique within a run: prefix them with the scenario name.

E2E_MEMTUNE_KO=/opt/memtune/xen_memtune.ko
E2E_CONSOLE_DIR=/var/log/xen/console

say() { echo "@@E2E $*"; }
info() { say "INFO $*"; }
# Inside a scenario run by run_scenario, each check is also counted in $E2E_CHECK_COUNT.
count_check() { [ -z "${E2E_CHECK_COUNT:-}" ] || echo >>"$E2E_CHECK_COUNT"; }
pass() { say "ok - $1"; count_check; }
fail() { say "FAIL - $1: $2"; count_check; }

# run_scenario NAME: runs /e2e/scenarios/NAME.sh in its own shell, under the timeout its
# "# e2e-timeout: S" header gives (default 600 s), and fails it loudly unless it ran to its end:
# a non-zero exit, a shell error (busybox ash's "sh: FILE: line N: ..." on stderr) or fewer
# checks than its "# e2e-checks: N" header declares is a FAIL. It passes "NAME-complete"
# otherwise. The scenario's stderr is shown after it, each line prefixed "# stderr: ".
run_scenario()
{
	local s="$1" file="/e2e/scenarios/$1.sh" limit want got rc t0 err count shell_errors

	if [ ! -f "$file" ]; then
		fail "$s" "no scenario file tests/e2e/scenarios/$s.sh"
		return
	fi
	limit=$(sed -n 's/^# e2e-timeout: *\([0-9]*\).*/\1/p' "$file")
	limit=${limit:-600}
	want=$(sed -n 's/^# e2e-checks: *\([0-9][0-9]*\).*/\1/p' "$file" | head -n 1)
	err=/tmp/e2e-stderr.$s
	count=/tmp/e2e-checks.$s
	: >"$count"
	info "scenario $s (timeout ${limit}s, at least ${want:-?} checks)"
	t0=$(now_ms)
	timeout "$limit" sh -c "E2E_CHECK_COUNT=$count; . /e2e/lib.sh; E2E_SCENARIO=$s; . $file" 2>"$err"
	rc=$?
	say "TIME $s scenario-wall $(($(now_ms) - t0))"
	sed 's/^/# stderr: /' "$err"
	got=$(wc -l <"$count" | tr -d ' ')
	info "$s: $got checks (declared at least ${want:-none})"
	shell_errors=$(grep -E '^sh: .*: line [0-9]+: ' "$err" | head -n 3 | tr '\n' ' ')
	case $rc in
	0) ;;
	143|124) fail "$s" "timed out after ${limit}s ($got checks by then)" ;;
	*) fail "$s-exit" "the scenario exited with status $rc after $got checks" ;;
	esac
	[ -z "$shell_errors" ] || fail "$s-shell" "shell errors: $shell_errors"
	if [ -z "$want" ]; then
		fail "$s-declared" "no '# e2e-checks: N' header in tests/e2e/scenarios/$s.sh"
	elif [ "$got" -lt "$want" ]; then
		fail "$s-checks" "$got checks, the scenario declares at least $want"
	elif [ "$rc" -eq 0 ] && [ -z "$shell_errors" ]; then
		pass "$s-complete"
	fi
}

# check_eq NAME GOT WANT
check_eq()
{
	if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "got '$2', want '$3'"; fi
}

# check_true NAME WHY-IF-FALSE COMMAND...
check_true()
{
	local name="$1" why="$2"

	shift 2
	if "$@"; then pass "$name"; else fail "$name" "$why"; fi
}

# has TEXT REGEX: TEXT (a command's output, any characters) has a line matching the extended
# REGEX. For check_true, and for sh -c '. /e2e/lib.sh; has "$1" ...' - "$out".
has() { printf '%s\n' "$1" | grep -qE "$2"; }

# Milliseconds since boot (centisecond resolution: /proc/uptime).
now_ms()
{
	awk '{ printf "%d\n", $1 * 1000 }' /proc/uptime
}

# wait_until SECONDS COMMAND...: polls every 0.2 s; 0 once COMMAND succeeds, 1 on timeout.
wait_until()
{
	local end=$(($(now_ms) + $1 * 1000))

	shift
	while ! "$@"; do
		[ "$(now_ms)" -lt "$end" ] || return 1
		sleep 0.2
	done
	return 0
}

# within TOLERANCE_PERCENT GOT WANT: |got - want| <= want * tolerance / 100
within()
{
	within_range "$1" "$1" "$2" "$3"
}

# within_range BELOW_PERCENT ABOVE_PERCENT GOT WANT: want - want * below / 100 <= got <=
# want + want * above / 100. For a tolerance whose reason only explains one side.
within_range()
{
	awk -v b="$1" -v a="$2" -v g="$3" -v w="$4" 'BEGIN {
		if (g !~ /^[0-9]+$/ || w !~ /^[0-9]+$/) exit 1
		exit !(g >= w - w * b / 100 && g <= w + w * a / 100)
	}'
}

# deviation GOT WANT: (got - want) / want in percent, signed, two decimals ("-1.84", "+0.00").
deviation()
{
	awk -v g="$1" -v w="$2" 'BEGIN {
		if (g !~ /^[0-9]+$/ || w !~ /^[0-9]+$/ || w == 0) { print "?"; exit }
		printf "%+.2f\n", (g - w) * 100 / w
	}'
}

# A subject that is not built makes its scenario fail, never pass or skip.
need_kmod()
{
	[ -f "$E2E_MEMTUNE_KO" ] && return 0
	fail "$1" "kmod/xen_memtune.ko was not built (make kmod)"
	return 1
}

need_agent()
{
	[ -x /opt/memtune/xen-memtuned ] && [ -x /opt/memtune/memtunectl ] && return 0
	fail "$1" "build/agent/xen-memtuned or memtunectl was not built (make agent)"
	return 1
}

# ---- DomUs ---------------------------------------------------------------------------------

# domu_create NAME MEM_MiB MAXMEM_MiB [TYPE]: boots a busybox DomU and waits until it serves
# commands. TYPE is pv (default, or $DOMU_TYPE), pvh or hvm. Another guest image:
# DOMU_RAMDISK=/images/... and its kernel arguments DOMU_EXTRA (the systemd guest: scenario
# agent-systemd). DOMU_CFG_EXTRA: more lines for its xl config (the disks of arbiter-rogue).
#
# An HVM guest (only in the Xen boot of pvh- and hvm- scenarios, whose Dom0 has the device
# model) boots the bzImage and the zstd-compressed image through the device model's -kernel
# (hvmloader, SeaBIOS, linuxboot.bin), with PV drivers; the early console (ttyS0) goes to
# $E2E_CONSOLE_DIR/serial-NAME.log, hvc0 (the command channel) as for PV. It takes up to two
# minutes to come up under TCG (docs/rig.md): DOMU_READY_S defaults to 600 for it.
#
# A PVH or HVM guest that never comes up is destroyed and booted once more: under TCG, a PVH
# guest booting while another one runs sometimes triple-faults (QEMU's emulation of AMD nested
# paging, which HVM uses too; see pvh-kmod.sh). Nothing under test runs in it before "ready"
# (the scenario loads the module afterwards). The retry is said on a RETRY line, with what Xen
# printed about the failed guest, and run.sh repeats every RETRY line at the end. PV guests,
# which never showed this, are not retried: the systemd guest starts the module and the agent
# while it boots.
domu_create()
{
	local rc

	domu_create_once "$@"
	rc=$?
	[ "$rc" -eq 2 ] && [ "${4:-${DOMU_TYPE:-pv}}" != pv ] || return "$rc"
	say "RETRY $1: did not come up; destroyed and booted again. $(cat "/tmp/$1.hung")"
	domu_destroy "$1"
	domu_create_once "$@"
}

# domu_up_or_gone ID: true once the guest serves commands, or once it is gone (a guest that
# reboots is destroyed: on_reboot below), so a failed boot is not waited out.
domu_up_or_gone()
{
	xenstore-read "/local/domain/$1/data/rig/ready" >/dev/null 2>&1 ||
		! xenstore-read "/local/domain/$1/name" >/dev/null 2>&1
}

# domu_failed_state NAME ID: one line on a guest that did not come up: its xl list state and
# CPU time (or "gone"), the size of its console log, and Xen's last lines about it.
domu_failed_state()
{
	local name="$1" id="$2" state

	state=$(xl list "$id" 2>/dev/null | awk 'NR == 2 { print "state " $5 ", cpu " $6 " s" }')
	echo "domain $id: ${state:-gone};" \
		"console $(wc -c <"$(domu_console "$name")" 2>/dev/null || echo none) bytes;" \
		"xen: $(xl dmesg 2>/dev/null | tr -d '\r' | grep -E "d${id}(v[0-9]+)?[: ]" |
			grep -vE 'save:|restore:' | tail -n 3 | tr '\n' '|')"
}

# domu_create_once: one boot. Returns 1 if xl create failed, 2 if the guest did not come up.
domu_create_once()
{
	local name="$1" mem="$2" maxmem="$3" type="${4:-${DOMU_TYPE:-pv}}" id t0 ready_s
	local kernel=/images/vmlinux ramdisk="${DOMU_RAMDISK:-/images/domu.cpio.zst}"
	local extra="${DOMU_EXTRA:-console=hvc0 rdinit=/init e2e.role=domu loglevel=3}"
	local hvm=""

	ready_s=${DOMU_READY_S:-240}
	# The rig's Dom0 carries the image compressed; bench/'s Dom0 as it is.
	[ -f "$ramdisk" ] || [ -n "${DOMU_RAMDISK:-}" ] || ramdisk=/images/domu.cpio
	if [ "$type" = hvm ]; then
		kernel=/images/vmlinuz
		ramdisk="${DOMU_RAMDISK:-/images/domu.cpio.zst}"
		# hvc0 last: it becomes /dev/console, which init and the command channel use.
		extra="console=ttyS0 ${DOMU_EXTRA:-console=hvc0 rdinit=/init e2e.role=domu loglevel=3}"
		hvm=$(printf '%s\n' 'device_model_version = "qemu-xen"' 'xen_platform_pci = 1' \
			'vga = "none"' 'vnc = 0' 'sdl = 0' \
			"serial = \"file:$E2E_CONSOLE_DIR/serial-$name.log\"")
		ready_s=${DOMU_READY_S:-600}
	fi

	# on_reboot: no rig guest reboots on purpose. A restarted guest would get a new domain id
	# without the rig/ node, and hang; a triple fault shows up as a reboot (Xen's default
	# HVM triple-fault action).
	cat >"/tmp/$name.cfg" <<-EOF
	name = "$name"
	type = "$type"
	kernel = "$kernel"
	ramdisk = "$ramdisk"
	memory = $mem
	maxmem = $maxmem
	vcpus = 1
	on_poweroff = "destroy"
	on_reboot = "destroy"
	on_crash = "preserve"
	extra = "$extra"
	$hvm
	${DOMU_CFG_EXTRA:-}
	EOF
	# A name used again must not find the answers of its predecessor in the console log.
	rm -f "$(domu_console "$name")" "$E2E_CONSOLE_DIR/serial-$name.log"
	t0=$(now_ms)
	# HVM: xl -vvv, and its errors in full (libxl's cleanup errors come last and say little).
	if ! timeout 180 xl $([ "$type" = hvm ] && echo -vvv) create "/tmp/$name.cfg" >"/tmp/$name.create" 2>&1; then
		info "xl create $name: $(tail -n 3 "/tmp/$name.create" | tr '\n' ' ')"
		[ "$type" = hvm ] && grep -hE 'error|rror:|failed|denied|No such' "/tmp/$name.create" \
			/var/log/xen/qemu-dm-"$name".log 2>/dev/null | head -n 15 | sed 's/^/@@E2E INFO   | /'
		[ "$type" = hvm ] && tail -n 8 /var/log/xen/qemu-dm-"$name".log 2>/dev/null | sed 's/^/@@E2E INFO   | dm: /'
		return 1
	fi
	if ! id=$(xl domid "$name"); then
		echo "domain gone right after xl create" >"/tmp/$name.hung"
		return 2
	fi
	# rig/: Dom0's command channel, owned by dom0 and readable by the guest.
	xenstore-write "/local/domain/$id/rig/seq" 0
	xenstore-chmod -r "/local/domain/$id/rig" n0 "r$id"
	echo 0 >"/tmp/rig-seq.$id"
	wait_until "$ready_s" domu_up_or_gone "$id"
	if ! xenstore-read "/local/domain/$id/data/rig/ready" >/dev/null 2>&1; then
		info "$name never served commands; console tail:"
		domu_console_tail "$name" 20
		domu_failed_state "$name" "$id" >"/tmp/$name.hung"
		info "$name: $(cat "/tmp/$name.hung")"
		return 2
	fi
	say "TIME $name create-to-ready $(($(now_ms) - t0))"
	return 0
}

domu_id() { xl domid "$1" 2>/dev/null; }

domu_alive()
{
	local id

	id=$(domu_id "$1") || return 1
	# A crashed guest is kept (on_crash=preserve) in state 'c'.
	! xl list "$id" 2>/dev/null | awk 'NR == 2 { exit !($5 ~ /c/) }'
}

domu_console() { echo "$E2E_CONSOLE_DIR/guest-$1.log"; }

domu_console_tail()
{
	tail -n "${2:-20}" "$(domu_console "$1")" 2>/dev/null | tr -d '\r' | sed 's/^/@@E2E INFO   | /'
}

# domu_run NAME COMMAND [TIMEOUT_S]: runs COMMAND with sh in the DomU; prints its output and
# returns its status (124 when no answer came in time, 125 when the guest is gone).
domu_run()
{
	local name="$1" cmd="$2" limit="${3:-120}" id seq log

	id=$(domu_id "$name") || return 125
	# The counter lives in a file: domu_run is mostly called inside $(...), a subshell.
	seq=$(($(cat "/tmp/rig-seq.$id") + 1))
	echo "$seq" >"/tmp/rig-seq.$id"
	log=$(domu_console "$name")
	# base64: xenstore-read escapes newlines and tabs, which would garble a script.
	xenstore-write "/local/domain/$id/rig/cmd" "$(printf '%s' "$cmd" | base64 | tr -d '\n')"
	xenstore-write "/local/domain/$id/rig/seq" "$seq"
	if ! wait_until "$limit" grep -qE "(^|[^0-9])RIGEND $seq [0-9]" "$log"; then
		domu_alive "$name" || return 125
		return 124
	fi
	tr -d '\r' <"$log" | awk -v s="$seq" '
		{ i = index($0, "RIGOUT " s " ") }
		i { print substr($0, i + length("RIGOUT " s " ")) }
		{ j = index($0, "RIGEND " s " ") }
		j { split(substr($0, j), f, " "); exit f[3] }'
}

domu_destroy()
{
	xl destroy "$1" >/dev/null 2>&1
	return 0
}

# Balloon of a DomU as the guest sees it: "<target_kb> <current_kb>".
domu_balloon()
{
	domu_run "$1" 'd=/sys/devices/system/xen_memory/xen_memory0;
		echo "$(cat $d/target_kb) $(cat $d/info/current_kb)"'
}

# domu_buffers_kb NAME: the guest's Buffers: in /proc/meminfo (a block device's page cache).
domu_buffers_kb() { domu_run "$1" 'awk "/^Buffers:/ { print \$2 }" /proc/meminfo'; }

# domu_settle NAME [TIMEOUT_S]: waits in the guest until the balloon reaches its target or
# stops moving for 10 s; prints "<target_kb> <current_kb> <seconds>".
domu_settle()
{
	domu_run "$1" "/e2e/settle.sh ${2:-180}" $((${2:-180} + 30))
}

# Lines that show a guest's userspace or kernel broke: a rig fault, never a pass.
E2E_CRASH_RE='Segmentation fault|malloc\(\)|corrupted|Kernel panic|general protection|BUG:|Oops'

# scan_consoles CHECK [NAME_PREFIX...]: one check that no console shows a crash, except those of
# domains whose names start with a NAME_PREFIX (guests a scenario kills on purpose).
scan_consoles()
{
	local name="$1" f d bad="" skip

	shift
	for f in "$E2E_CONSOLE_DIR"/guest-*.log; do
		[ -f "$f" ] || continue
		skip=0
		for d in "$@"; do
			case "$f" in "$E2E_CONSOLE_DIR/guest-$d"*.log) skip=1 ;; esac
		done
		[ $skip = 1 ] && continue
		grep -qE "$E2E_CRASH_RE" "$f" && bad="$bad $(basename "$f" .log)"
	done
	if dmesg | grep -qE "$E2E_CRASH_RE"; then bad="$bad dom0-kernel"; fi
	if [ -z "$bad" ]; then
		pass "$name"
	else
		fail "$name" "crash lines in:$bad"
		for f in $bad; do
			grep -hE "$E2E_CRASH_RE" "$E2E_CONSOLE_DIR/$f.log" 2>/dev/null | head -n 5 |
				tr -d '\r' | sed 's/^/@@E2E INFO   | /'
		done
	fi
}

# ---- The module ------------------------------------------------------------------------------

# kmod_ack NAME KEY: the module's acknowledgement data/memtune/kmod/KEY of DomU NAME, read in Dom0.
kmod_ack()
{
	xenstore-read "/local/domain/$(domu_id "$1")/data/memtune/kmod/$2" 2>/dev/null
}

# domu_boot_with_kmod NAME MEM MAXMEM CHECK: boots a DomU, loads nf_conntrack (so the module
# manages it) and the module, with the parameters in $KMOD_PARAMS; one check.
domu_boot_with_kmod()
{
	local name="$1" out

	need_kmod "$4" || return 1
	if ! domu_create "$1" "$2" "$3"; then
		fail "$4" "DomU did not boot"
		return 1
	fi
	domu_run "$name" 'modprobe nf_conntrack; /e2e/collect-values.sh >/tmp/boot-values' >/dev/null
	if ! out=$(domu_run "$name" 'insmod /opt/memtune/xen_memtune.ko '"${KMOD_PARAMS:-}"' 2>&1 && cat /sys/kernel/xen_memtune/state'); then
		fail "$4" "insmod failed: $out"
		domu_run "$name" 'dmesg | tail -n 15' | sed 's/^/@@E2E INFO   | /'
		return 1
	fi
	pass "$4"
	return 0
}

# applied_for KB APPLIED_KB: true when APPLIED_KB is an acknowledged size for a balloon target
# of KB. applied-kb is the totalram the values were computed for: never above the target, and
# below it by what the kernel keeps for itself (image, memmap and p2m for maxmem, boot hash
# tables): up to 15 % below (measured: 9 % at 768 MiB with maxmem 2048 MiB).
applied_for() { within_range 15 0 "$2" "$1"; }

# resize_checked NAME MIB CHECK SETTLE_S: xl mem-set NAME to MIB, waits until the balloon
# settles and the module acknowledges that target and is idle again (timed); two checks: the
# module refused nothing (CHECK-not-refused) and answered MIB (CHECK-target-echoed).
resize_checked()
{
	local name="$1" mib="$2" t0

	t0=$(now_ms)
	xl mem-set "$name" "${mib}m"
	domu_settle "$name" "$4" >/dev/null
	wait_until 90 sh -c ". /e2e/lib.sh; [ \"\$(kmod_ack $name target-kb)\" = $((mib * 1024)) ] &&
		[ \"\$(kmod_ack $name state)\" = idle ]"
	say "TIME $3 resize-to-ack $(($(now_ms) - t0))"
	info "$3: at $mib MiB: balloon (target current) $(domu_balloon "$name"), applied-kb $(kmod_ack "$name" applied-kb)"
	check_eq "$3-not-refused" "$(kmod_ack "$name" refused-count)" ""
	check_eq "$3-target-echoed" "$(kmod_ack "$name" target-kb)" $((mib * 1024))
}

# agent_start NAME CHECK: starts xen-memtuned (busybox init, --no-dbus, log in /var/log/agent.log)
# in DomU NAME; one check that its report reaches xenstore within 90 s.
agent_start()
{
	local id t0

	id=$(domu_id "$1")
	domu_run "$1" 'mkdir -p /var/log; (xen-memtuned --no-dbus --log stderr >/var/log/agent.log 2>&1 &)' >/dev/null
	t0=$(now_ms)
	if wait_until 90 xenstore-read "/local/domain/$id/data/memtune/version" >/dev/null 2>&1; then
		say "TIME $2 start-to-report $(($(now_ms) - t0))"
		pass "$2"
	else
		fail "$2" "no data/memtune/version; agent log:"
		domu_run "$1" 'tail -n 10 /var/log/agent.log' | sed 's/^/@@E2E INFO   | /'
	fi
}

# agent_reclaim NAME CHECK: gives DomU NAME reclaimable page cache (zram1's pages, read once;
# the kernel drops a block device's cache when its last opener closes it, so a sleeper keeps
# it open), sends a reclaim directive with memtunectl; two checks: acknowledged
# (CHECK-acked), and the cache went down (CHECK-gave-back-cache).
agent_reclaim()
{
	local out rc b0 b1 t0

	domu_run "$1" 'modprobe zram num_devices=2; echo 64M >/sys/block/zram1/disksize
		(sleep 3600 </dev/zram1 >/dev/null 2>&1 &); dd if=/dev/zram1 of=/dev/null bs=1M 2>/dev/null' >/dev/null
	b0=$(domu_run "$1" 'awk "/^Buffers:/ { print \$2 }" /proc/meminfo')
	t0=$(now_ms)
	out=$(memtunectl directive "$1" --reclaim 16M --timeout 60 2>&1)
	rc=$?
	say "TIME $2 directive-to-ack $(($(now_ms) - t0))"
	echo "$out" | sed 's/^/@@E2E INFO   | /'
	check_true "$2-acked" "rc $rc: $(echo "$out" | tr '\n' ' ')" [ $rc -eq 0 ]
	b1=$(domu_run "$1" 'awk "/^Buffers:/ { print \$2 }" /proc/meminfo')
	check_true "$2-gave-back-cache" "Buffers $b0 -> $b1 kB" [ "$b1" -le $((b0 - 8192)) ]
}

# wait_applied NAME KB [TIMEOUT_S]: waits until the module acknowledges a pass for KB
# (applied_for). Prints the acknowledged applied-kb.
wait_applied()
{
	local name="$1" want="$2" limit="${3:-120}"

	wait_until "$limit" sh -c ". /e2e/lib.sh; applied_for $want \"\$(kmod_ack $name applied-kb)\""
	kmod_ack "$name" applied-kb
}

# kmod_load_settled NAME [TIMEOUT_S]: insmod in DomU NAME, then waits until the module's first
# pass has run (stats/applies > 0, state idle). Prints insmod's errors; false if it never did.
kmod_load_settled()
{
	domu_run "$1" "insmod $E2E_MEMTUNE_KO 2>&1 || exit 1
		d=/sys/kernel/xen_memtune; i=0
		while [ \$i -lt ${2:-120}0 ]; do
			[ \"\$(cat \$d/stats/applies)\" -gt 0 ] && [ \"\$(cat \$d/state)\" = idle ] && exit 0
			sleep 0.1; i=\$((i + 1))
		done
		exit 1" $((${2:-120} + 30))
}

# kmod_owners NAME: "<tunable> <owner>" for every tunable of the module in DomU NAME.
kmod_owners()
{
	domu_run "$1" 'for t in /sys/kernel/xen_memtune/tunables/*; do echo "${t##*/} $(cat $t/owner)"; done'
}

# The golden table (tests/data/golden-6.1.tsv, shipped as /e2e/golden.tsv), or the one the
# golden scenario measured earlier in this boot (/tmp/golden-pv.tsv; make golden with
# GOLDEN_ALSO). E2E_GOLDEN_TABLE: another table, e.g. /e2e/golden-hvm.tsv
# (tests/data/golden-6.1-hvm.tsv, HVM guests).
# golden_value MIB COLUMN
golden_value()
{
	local table=${E2E_GOLDEN_TABLE:-/e2e/golden.tsv}

	[ -z "${E2E_GOLDEN_TABLE:-}" ] && [ -s /tmp/golden-pv.tsv ] && table=/tmp/golden-pv.tsv
	awk -F'\t' -v m="$1" -v c="$2" '
		/^#/ { next }
		!hdr { for (i = 1; i <= NF; i++) col[$i] = i; hdr = 1; next }
		$1 == m && (c in col) { print $col[c] }' "$table"
}

# Tolerance per managed value, between a guest ballooned to N MiB and one booted at N MiB, as
# COLUMN:BELOW:ABOVE in percent of the booted guest's value. A ballooned guest keeps the memmap
# and the reserved pages of its maxmem, so its totalram and nr_free_buffer_pages are lower than
# a booted guest's, never higher: the tolerance is one-sided wherever that is the only reason.
# The module also estimates the boot's own accounting (the init memory and initramfs freed after
# the initcalls sized their values, apply.c establish_boot()), which lands a page or a rounding
# step either side: measured up to +0.01 % (threads_max 15473 for 15472) on the linear values,
# up to +1.4 % on the zone values (lowmem_reserve_dma 1944 for 1918), so ABOVE is 1 and 2 there.
#   linear in totalram or nr_free_buffer_pages: 3 below, 1 above (threads_max, inotify/epoll
#     watches, tcp/udp_mem, tcp_[rw]mem_max below their caps, max_*_namespaces)
#   min_free_kbytes: 2 below, 0 above (square root of nr_free_buffer_pages: half the relative
#     error)
#   admin_reserve_kbytes: 3 below, 0 above (capped at 8 MiB from 256 MiB up)
#   user_reserve_kbytes, file_max: 6 below, 6 above (a boot derives them from the pages free at
#     that moment of boot, which the module estimates from its own boot: either side)
#   tcp_max_orphans, tcp_max_tw_buckets, tcp_max_syn_backlog: 0 (they derive from the TCP
#     ehash, a power of two: the module sets those of a guest booted at this size, at most those
#     of this kernel's own ehash, which a PV guest sizes for maxmem at boot)
#   nf_conntrack_buckets, nf_conntrack_max, nf_conntrack_expect_max: 10 below, 10 above (a
#     boot rounds to a multiple of 512, the module estimates the boot's totalram: either side;
#     clamped to 65536 above 1 GiB). The buckets are compared with the golden value rounded up
#     to a power of two: the module resizes the table only in such steps (compare_golden).
#   fanotify_max_user_marks, inet_peer_threshold: 3 below, 1 above (linear in totalram, or at
#     their clamps)
#   wmark_{min,low,high}_dma32, pcp_high_dma32 (= low on one CPU), lowmem_reserve_dma (managed
#     DMA32 / 256), pcp_batch_dma32: 3 below, 2 above (linear in the zone's managed pages and
#     min_free_kbytes, both lower in a ballooned guest; batch is a power of two minus one of
#     managed / 4096)
# A guest below its maxmem also carries, for the memory it does not have, the memmap (64 B per
# 4 KiB page), the p2m list (8 B per page) and boot hash tables sized for maxmem: about 1.8 % of
# maxmem - size. So every nonzero BELOW grows by 2 * (maxmem - size) / size percent (measured:
# 3.2 % below golden at 1024 MiB with maxmem 2048 MiB); ABOVE does not.
E2E_TOLERANCES="min_free_kbytes:2:0 admin_reserve_kbytes:3:0 user_reserve_kbytes:6:6
threads_max:3:1 file_max:6:6 inotify_max_user_watches:3:1 epoll_max_user_watches:3:1
tcp_mem_0:3:1 tcp_mem_1:3:1 tcp_mem_2:3:1 tcp_rmem_max:3:1 tcp_wmem_max:3:1 udp_mem_0:3:1
udp_mem_1:3:1 udp_mem_2:3:1 tcp_max_orphans:0:0 tcp_max_tw_buckets:0:0 tcp_max_syn_backlog:0:0
max_user_namespaces:3:1 nf_conntrack_buckets:10:10 nf_conntrack_max:10:10
nf_conntrack_expect_max:10:10 fanotify_max_user_marks:3:1 inet_peer_threshold:3:1
wmark_min_dma32:3:2 wmark_low_dma32:3:2 wmark_high_dma32:3:2 lowmem_reserve_dma:3:2
pcp_high_dma32:3:2 pcp_batch_dma32:3:2"

# golden_tolerance COLUMN MIB MAXMEM_MIB: "BELOW ABOVE", the tolerance in percent of COLUMN for a
# guest ballooned to MIB with that maxmem (E2E_TOLERANCES, BELOW grown for maxmem - MIB).
golden_tolerance()
{
	local ct below above

	for ct in $E2E_TOLERANCES; do
		[ "${ct%%:*}" = "$1" ] || continue
		below=${ct#*:}
		above=${below#*:}
		below=${below%%:*}
		[ "$below" -gt 0 ] && below=$(((below * $2 + 2 * ($3 - $2)) / $2))
		echo "$below $above"
		return 0
	done
	return 1
}

# compare_golden CHECK NAME MIB MAXMEM_MIB: one check per managed value of DomU NAME against the
# golden row of MIB, with the tolerance above (widened for MAXMEM_MIB above MIB).
# Values the module reports as an administrator's (owner admin) are not compared.
# E2E_REFERENCE=FILE: compare with a guest booted natively at MIB in this run instead (the output
# of collect-values.sh there; e.g. a PVH guest, whose values the PV golden table does not hold);
# the ehash-derived values are then left out (the reference was booted at MIB, not MAXMEM_MIB).
# E2E_SKIP_COLUMNS="a b": columns a scenario checks on its own terms.
# E2E_SCALE_COLUMNS="a b" E2E_SCALE_PERMILLE=N: those columns are compared with N/1000 of the
# golden value (a scenario that knows why its guest differs from a native boot, by how much).
compare_golden()
{
	local check="$1" name="$2" mib="$3" maxmem="$4" ct col below above got want row devs=""

	domu_run "$name" /e2e/collect-values.sh >"/tmp/$name.now"
	for ct in $E2E_TOLERANCES; do
		col=${ct%%:*}
		case " ${E2E_ADMIN_OWNED:-} ${E2E_SKIP_COLUMNS:-} " in *" $col "*) continue ;; esac
		got=$(awk -v c="$col" '$1 == c { print $2 }' "/tmp/$name.now")
		row=$mib
		case "$col" in
		tcp_max_orphans|tcp_max_tw_buckets|tcp_max_syn_backlog)
			[ -n "${E2E_REFERENCE:-}" ] && continue
			;;
		esac
		read -r below above <<-EOF
		$(golden_tolerance "$col" "$mib" "$maxmem")
		EOF
		if [ -n "${E2E_REFERENCE:-}" ]; then
			want=$(awk -v c="$col" '$1 == c { print $2 }' "$E2E_REFERENCE")
		else
			want=$(golden_value "$row" "$col")
		fi
		case " ${E2E_SCALE_COLUMNS:-} " in
		*" $col "*) [ -n "$want" ] && [ "$want" != - ] && want=$((want * E2E_SCALE_PERMILLE / 1000)) ;;
		esac
		# The module moves the conntrack table only in power-of-two steps (policy.c, as
		# KUnit checks it): the boot's bucket count rounded up to one.
		[ "$col" = nf_conntrack_buckets ] && [ -n "$want" ] && [ "$want" != - ] &&
			want=$(awk -v n="$want" 'BEGIN { p = 1; while (p < n) p *= 2; print p }')
		devs="$devs $col $(deviation "$got" "$want")"
		if within_range "$below" "$above" "$got" "$want"; then
			pass "$check-$col"
		else
			fail "$check-$col" "got $got, $([ -n "${E2E_REFERENCE:-}" ] && echo "a guest booted at $mib MiB had" || echo "golden at $row MiB is") $want ($(deviation "$got" "$want") %; tolerance -$below % / +$above %)"
		fi
	done
	# The signed deviations, in percent: evidence of where each value sits in its tolerance.
	info "$check: % from $([ -n "${E2E_REFERENCE:-}" ] && echo "the reference" || echo golden):$devs"
}

# golden_ratios WHAT NAME MIB: one INFO line of value / golden MIB row for the values issue 12
# measured, from compare_golden's /tmp/NAME.now (numbers for the notes; nothing is asserted).
golden_ratios()
{
	local col got want line=""

	for col in threads_max min_free_kbytes file_max wmark_min_dma32 wmark_low_dma32 \
		wmark_high_dma32 pcp_high_dma32 lowmem_reserve_dma fanotify_max_user_marks \
		inet_peer_threshold nf_conntrack_expect_max tcp_max_orphans tcp_max_tw_buckets; do
		got=$(awk -v c="$col" '$1 == c { print $2 }' "/tmp/$2.now")
		want=$(golden_value "$3" "$col")
		line="$line $col=$(awk -v g="$got" -v w="$want" 'BEGIN { if (w > 0) printf "%.3f", g / w; else printf "-" }')"
	done
	info "$2 value/golden at $3 MiB after $1:$line"
}
