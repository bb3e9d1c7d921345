# Host side of the real-Xen rig: images, QEMU boots, result parsing. Sourced by run.sh,
# golden.sh and demo.sh.
#
# A boot runs QEMU under `timeout`, with the serial port written to a log file. The guests
# print result lines prefixed "@@E2E " (see guest/lib.sh); the host echoes them as they come and
# counts them. QEMU is killed when the script exits, however it exits.

E2E_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
E2E_REPO=$(cd "$E2E_HERE/../.." && pwd)
E2E_BUILD=${BUILD:-$E2E_REPO/build}
E2E_DIR=$E2E_BUILD/e2e
E2E_LOGS=$E2E_DIR/logs
E2E_QEMU_PIDS=""
E2E_PASSED=0
E2E_FAILED=0

. "$E2E_HERE/lib/images.sh"

# Every entry point (run.sh, demo.sh, golden.sh, bench) writes logs here, often through a
# redirection before anything else has run: it must exist from the start, even in a fresh clone.
mkdir -p "$E2E_LOGS" || { echo "e2e: cannot create $E2E_LOGS" >&2; exit 2; }

e2e_log() { echo "e2e: $*" >&2; }
e2e_die() { echo "e2e: $*" >&2; exit 2; }

e2e_kill_qemu()
{
	local pid

	# $pid is `timeout`; QEMU is its child. Both are ended by id.
	for pid in $E2E_QEMU_PIDS; do
		pkill -TERM -P "$pid" 2>/dev/null
		kill "$pid" 2>/dev/null
		sleep 1
		pkill -KILL -P "$pid" 2>/dev/null
		kill -9 "$pid" 2>/dev/null
	done
	E2E_QEMU_PIDS=""
}
trap e2e_kill_qemu EXIT
trap 'exit 130' INT TERM

# TCG unless the CPU has hardware virtualisation and /dev/kvm is the real thing: kvm_pvm is a
# software hypervisor Xen cannot run on. Under TCG, -cpu qemu64: its FPU state does not trip
# Xen 4.17's lazy FPU switching (see ../shared reference notes), which -cpu max does.
e2e_accel_args()
{
	case "${E2E_ACCEL:-auto}" in
	kvm) echo "-accel kvm -cpu host,-arch-capabilities" ;;
	tcg) echo "-accel tcg -cpu ${E2E_TCG_CPU:-qemu64}" ;;
	*)
		if grep -qwE 'vmx|svm' /proc/cpuinfo && [ -w /dev/kvm ] && [ ! -d /sys/module/kvm_pvm ]; then
			echo "-accel kvm -cpu host,-arch-capabilities"
		else
			echo "-accel tcg -cpu ${E2E_TCG_CPU:-qemu64}"
		fi
		;;
	esac
}

# e2e_qemu NAME TIMEOUT_S QEMU-ARGS...: boots, echoes result lines while it runs, and
# counts them when it ends. The serial log is kept in $E2E_LOGS/NAME.log.
e2e_qemu()
{
	local name="$1" limit="$2" log="$E2E_LOGS/$1.log" pid rc t0 follower

	shift 2
	mkdir -p "$E2E_LOGS"
	: >"$log"
	E2E_RUN_LOGS="${E2E_RUN_LOGS:-} $log"
	t0=$(date +%s)
	e2e_log "boot $name: qemu-system-x86_64 $* (timeout ${limit}s, log $log)"
	timeout --kill-after=15 "$limit" qemu-system-x86_64 -machine pc -smp 2 \
		-display none -monitor none -no-reboot -serial "file:$log" "$@" \
		</dev/null >"$log.qemu" 2>&1 &
	pid=$!
	E2E_QEMU_PIDS="$E2E_QEMU_PIDS $pid"
	tail -n +1 -f --pid="$pid" "$log" 2>/dev/null | tr -d '\r' |
		sed -un 's/.*@@E2E \(ok - \|FAIL - \)/\1/p; s/.*@@E2E \(INFO\|TIME\|GUARD\|RETRY\) /# \1 /p
			s/.*@@E2E SAY \{0,1\}/| /p' &
	follower=$!
	wait "$pid"
	rc=$?
	wait "$follower" 2>/dev/null
	E2E_QEMU_PIDS=$(echo "$E2E_QEMU_PIDS" | sed "s/ $pid\b//")
	echo "# TIME $name boot-wall $((($(date +%s) - t0) * 1000))"
	e2e_count "$name" "$log" "$rc"
}

e2e_count()
{
	local name="$1" log="$2" rc="$3" p f

	p=$(tr -d '\r' <"$log" | grep -c '@@E2E ok - ')
	f=$(tr -d '\r' <"$log" | grep -c '@@E2E FAIL - ')
	E2E_PASSED=$((E2E_PASSED + p))
	E2E_FAILED=$((E2E_FAILED + f))
	if ! grep -q '@@E2E DONE' "$log"; then
		echo "FAIL - rig-$name-finished: no DONE line (QEMU exit $rc; 124 = timeout); serial tail:"
		tail -n 25 "$log" | tr -d '\r' | sed 's/^/#   | /'
		E2E_FAILED=$((E2E_FAILED + 1))
	fi
	# Xen's own crash lines; guest consoles are scanned in Dom0 (scan_consoles).
	if grep -qE 'Panic on CPU|FATAL TRAP|Segmentation fault|malloc\(\)|general protection fault' "$log"; then
		echo "FAIL - rig-$name-serial-clean: crash lines on the serial console:"
		grep -E 'Panic on CPU|FATAL TRAP|Segmentation fault|malloc\(\)|general protection fault' "$log" |
			head -n 5 | tr -d '\r' | sed 's/^/#   | /'
		E2E_FAILED=$((E2E_FAILED + 1))
	else
		echo "ok - rig-$name-serial-clean"
		E2E_PASSED=$((E2E_PASSED + 1))
	fi
}

# e2e_expect_scenarios NAME RUNLIST: every scenario of RUNLIST (colon-separated) must have
# ended in the boot NAME, passing "<s>-complete" or failing a check named after it: a scenario
# the guest never ran, or one cut short with the boot, is a FAIL here.
e2e_expect_scenarios()
{
	local name="$1" run="$2" log="$E2E_LOGS/$1.log" s

	for s in $(echo "$run" | tr ':' ' '); do
		tr -d '\r' <"$log" | grep -qE "@@E2E (ok - $s-complete\$|FAIL - $s(-[a-z]+)?: )" && continue
		echo "FAIL - rig-$name-$s-ended: scenario $s never reported its end"
		E2E_FAILED=$((E2E_FAILED + 1))
	done
}

# The throttled disk of the rogue-swapper scenario (rogue-swapper-rig.md): a raw file of random
# data (the neighbour's probe must read real blocks: a sparse file answers holes from the
# host's memory) with one partition per guest (1: 448 MiB, the rogue's swap; 2: 64 MiB, the
# neighbour's; 3: the donor's), given to Dom0 as a virtio disk that QEMU limits to
# E2E_DISK_IOPS requests and E2E_DISK_BPS bytes a second. 100 IOPS / 4 MiB/s is below what a
# swapping guest reaches under TCG (200-250 requests/s, 12 MiB/s), so it harms the others on
# the disk; at 300 IOPS / 20 MiB/s nothing showed. cache=none: the host's page cache would
# hide the disk. Partitions, not loop devices, in Dom0: blkback sends a partition's I/O straight
# to the disk, where a loop device without working direct I/O goes through Dom0's page cache
# (the scenario's first run: the neighbour's reads reaching the disk fell from 20/s to 8/s).
# Created once, kept in $E2E_DIR; the partition table is written every time.
E2E_SHARED_DISK_MIB=576
e2e_throttled_disk_args()
{
	local disk="$E2E_DIR/shared-disk.img"

	if [ "$(stat -c %s "$disk" 2>/dev/null)" != $((E2E_SHARED_DISK_MIB << 20)) ]; then
		head -c "${E2E_SHARED_DISK_MIB}M" /dev/urandom >"$disk.tmp" && mv "$disk.tmp" "$disk" ||
			e2e_die "cannot create $disk"
	fi
	printf 'label: dos\nstart=1MiB, size=448MiB, type=82\nsize=64MiB, type=83\ntype=83\n' |
		sfdisk -q --wipe-partitions never "$disk" >/dev/null || e2e_die "sfdisk $disk failed (apt-get install fdisk)"
	echo "-drive file=$disk,if=virtio,format=raw,cache=none,aio=threads,throttling.iops-total=${E2E_DISK_IOPS:-100},throttling.bps-total=${E2E_DISK_BPS:-4194304}"
}

# e2e_rig_needs RUNLIST WHAT: true when a scenario of RUNLIST says "# e2e-needs: ... WHAT" in
# its header (what the boot must give Dom0 for it; the other scenarios run with it too). The
# benchmarks' scenarios (bench/scenarios/bench-*.sh) say it the same way.
e2e_rig_needs()
{
	local s

	for s in $(echo "$1" | tr ':' ' '); do
		grep -qsE "^# e2e-needs:.* $2( |\$)" "$E2E_HERE/scenarios/$s.sh" \
			"$E2E_REPO/bench/scenarios/$s.sh" && return 0
	done
	return 1
}

# e2e_boot_xen NAME RUNLIST [QEMU_MiB] [DOM0_MiB] [TIMEOUT_S]: Xen + Dom0, Dom0 runs the
# scenarios of RUNLIST (colon-separated). E2E_DOM0_IMAGE: Dom0's image in $E2E_DIR/images
# (default dom0.cpio; dom0-hvm.cpio adds what HVM guests need).
e2e_boot_xen()
{
	local name="$1" run="$2" mem="${3:-2048}" dom0="${4:-512}" limit="${5:-900}"
	local img="$E2E_DIR/images" xen_args dom0_args disks=""

	# bootscrub=false: scrubbing gigabytes under TCG costs minutes. serial_tx_buffer: Dom0 can
	# print faster than the emulated UART drains; the default 16 KiB would drop lines.
	xen_args="console=com1 com1=115200,8n1 loglvl=all guest_loglvl=all bootscrub=false"
	xen_args="$xen_args dom0_mem=${dom0}M,max:${dom0}M dom0_max_vcpus=1 serial_tx_buffer=1M"
	dom0_args="console=hvc0 earlyprintk=xen rdinit=/init loglevel=3 e2e.role=dom0 e2e.run=$run"
	[ -n "${E2E_OPTS:-}" ] && dom0_args="$dom0_args e2e.opts=$E2E_OPTS"
	if e2e_rig_needs "$run" throttled-disk; then
		disks=$(e2e_throttled_disk_args) || exit 2
	fi
	# shellcheck disable=SC2046,SC2086
	e2e_qemu "$name" "$limit" $(e2e_accel_args) -m "$mem" $disks \
		-kernel "$img/xen" -append "$xen_args" \
		-initrd "$img/vmlinux $dom0_args,$img/${E2E_DOM0_IMAGE:-dom0.cpio}"
	e2e_expect_scenarios "$name" "$run"
}

# e2e_boot_bare NAME RUNLIST [TIMEOUT_S]: the same Debian kernel and image, no Xen.
e2e_boot_bare()
{
	local name="$1" run="$2" limit="${3:-300}" img="$E2E_DIR/images"

	# shellcheck disable=SC2046
	e2e_qemu "$name" "$limit" $(e2e_accel_args) -m 1024 \
		-kernel "$img/vmlinuz" -initrd "$img/domu.cpio" \
		-append "console=ttyS0 rdinit=/init loglevel=3 e2e.role=bare e2e.run=$run"
	e2e_expect_scenarios "$name" "$run"
}

e2e_summary()
{
	# CI shows only the tail of the output: repeat what went wrong, and every retried boot.
	if [ -n "${E2E_RUN_LOGS:-}" ]; then
		# shellcheck disable=SC2086
		cat $E2E_RUN_LOGS | tr -d '\r' | grep -E '@@E2E (FAIL - |RETRY )' |
			sed 's/.*@@E2E /# again: /'
	fi
	echo "$E2E_PASSED passed, $E2E_FAILED failed"
	[ "$E2E_FAILED" -eq 0 ] && [ "$E2E_PASSED" -gt 0 ]
}
