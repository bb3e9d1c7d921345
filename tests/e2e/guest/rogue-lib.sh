# The rogue-swapper rig of issue 16, sourced in Dom0 after /e2e/lib.sh by the scenarios that
# run it: tests/e2e/scenarios/arbiter-rogue.sh (checks) and bench/scenarios/bench-rogue.sh
# (numbers). One boot with a QEMU-throttled Dom0 disk (# e2e-needs: throttled-disk,
# lib/rig.sh) holding one partition per guest, each given to its PV DomU through xen-blkback
# (guest/block-hotplug.sh):
#   rogue     256 MiB, maxmem 512; disk swap at priority 20, zram (256 MiB) at 10; runs the hog
#   nbr       the neighbour, 128 MiB; tools/latency-probe: 4 KiB O_DIRECT random reads of its
#             disk, 20 a second, one at a time
#   donor     idle, 384 MiB: the slack memory can come from
# Every guest runs xen-memtuned. The caller sets $s (the prefix of its check names) and $dir (a
# folder for its files).
# Latency is compared as p50 over windows of 30 s, each against the idle window before it:
# under TCG single reads take up to 400 ms idle, so p99 says little (rogue-swapper-rig.md).
probe=/usr/local/bin/latency-probe
hog=/usr/local/bin/memory-hog
arb=/opt/memtune/xen-memtune-arbiter

# give_up CHECK WHY: the scenario cannot go on (it runs in its own shell: run_scenario).
give_up() { fail "$s-$1" "$2"; exit 0; }


# rogue_setup: the disk, the three guests with their disks, the rogue's swap, the agents, the
# neighbour's probe and its clock against Dom0's. Checks: $s-agent-<guest> (3), $s-setup. Sets
# rid, nid, did (domain ids), off (the neighbour's clock minus Dom0's, ms), vbd (the rogue's
# blkback statistics) and t0 (its start). Without the arbiter, the agent or memtunectl in the
# image the scenario ends with a FAIL.
rogue_setup()
{
	local m g a

	mkdir -p "$dir"
	[ -x "$arb" ] || give_up setup "build/agent/xen-memtune-arbiter was not built (make agent)"
	need_agent "$s-agent-built" || exit 0
	t0=$(now_ms)
	for m in virtio_pci virtio_blk xen-blkback; do
		modprobe "$m" || give_up setup "modprobe $m failed"
	done
	wait_until 30 test -b /dev/vda3 || give_up setup "no /dev/vda3: the boot has no throttled disk (# e2e-needs)"
	info "$s: /dev/vda $(($(cat /sys/block/vda/size) / 2048)) MiB, scheduler $(cat /sys/block/vda/queue/scheduler)"
	DOMU_CFG_EXTRA=$(rogue_disk_line /dev/vda1) domu_create rogue 256 512 &&
		DOMU_CFG_EXTRA=$(rogue_disk_line /dev/vda2) domu_create nbr 128 128 &&
		DOMU_CFG_EXTRA=$(rogue_disk_line /dev/vda3) domu_create donor 384 384 ||
		give_up setup "a DomU did not boot"
	say "TIME $s setup-guests $(($(now_ms) - t0))"
	# blkfront: the guest's disk as /dev/xvda.
	for g in rogue nbr donor; do
		domu_run "$g" 'modprobe xen-blkfront; i=0
			while [ ! -b /dev/xvda ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
			[ -b /dev/xvda ]' >/dev/null ||
			give_up setup "$g has no /dev/xvda (blkfront, hotplug script)"
		say "TIME $s setup-blkfront-$g $(($(now_ms) - t0))"
	done
	rid=$(domu_id rogue)
	nid=$(domu_id nbr)
	did=$(domu_id donor)
	vbd=/sys/bus/xen-backend/devices/vbd-$rid-51712/statistics
	# The rogue: disk swap first (priority 20), zram (256 MiB) behind it: as a guest set up for
	# a disk and given zram later would be.
	rogue_swap_on | sed 's/^/@@E2E INFO   | /'
	say "TIME $s setup-swap $(($(now_ms) - t0))"
	for g in rogue nbr donor; do
		agent_start "$g" "$s-agent-$g"
		say "TIME $s setup-agent-$g $(($(now_ms) - t0))"
	done
	domu_run nbr "($probe run /dev/xvda 20 >/tmp/probe.log 2>/tmp/probe.err &)" >/dev/null
	say "TIME $s setup-probe $(($(now_ms) - t0))"
	# The neighbour's clock (CLOCK_BOOTTIME, the probe's) minus Dom0's, taken around one round
	# trip. (A newline after the number: domu_run finds the end of an answer on a line of its own.)
	a=$(now_ms)
	g=$(domu_run nbr 'awk "{ printf \"%d\\n\", \$1 * 1000 }" /proc/uptime' 20)
	off=$((g - (a + $(now_ms)) / 2))
	say "TIME $s setup $(($(now_ms) - t0))"
	# Without the offset every latency window would be somewhere else: no measuring at all.
	[ -n "$g" ] || give_up setup "no answer to the neighbour's clock within 20 s"
	if [ "$(xl list | awk 'NR > 1' | wc -l)" = 4 ]; then
		pass "$s-setup"
	else
		fail "$s-setup" "$(xl list | tr '\n' ' ')"
	fi
}

rogue_disk_line()
{
	echo "disk = [ 'format=raw, vdev=xvda, access=rw, backendtype=phy, script=/e2e/block-hotplug.sh, target=$1' ]"
}

# rogue_swap_on: the rogue's swap as set up (zram at 10, its disk at 20), from nothing: prints
# /proc/swaps.
rogue_swap_on()
{
	domu_run rogue 'ul=/usr/local/sbin
		if [ ! -b /dev/zram0 ] || [ "$(cat /sys/block/zram0/disksize)" = 0 ]; then
			modprobe zram && echo 256M >/sys/block/zram0/disksize
		fi
		mkswap /dev/zram0 >/dev/null && $ul/swapon -p 10 /dev/zram0 &&
		mkswap /dev/xvda >/dev/null && $ul/swapon -p 20 /dev/xvda && cat /proc/swaps'
}

# ---- measuring -------------------------------------------------------------------------------
# snap: "<dom0 ms> <rogue rd_req wr_req rd_sect wr_sect> <vda stat fields> <dom0 busy ticks>
# <dom0 steal ticks>" (busy: user, nice, system, irq, softirq)
snap() {
	echo "$(now_ms) $(cat $vbd/rd_req $vbd/wr_req $vbd/rd_sect $vbd/wr_sect | tr '\n' ' ')" \
		"$(cat /sys/block/vda/stat)" \
		"$(awk '$1 == "cpu" { print $2 + $3 + $4 + $7 + $8, $9 }' /proc/stat)"
}
# window FROM_SNAP TO_SNAP: the rogue's backend rates and the shared disk's health between them.
window() {
	echo "$1 $2" | awk '
	# d(i): field i of the second snap minus field i of the first. Fields: 1 ms; 2-5 the
	# rogue rd_req wr_req rd_sect wr_sect; 6.. /sys/block/vda/stat (Documentation/block/
	# stat.rst: 6 read ios, 9 read ticks, 10 write ios, 13 write ticks, 15 io_ticks); last,
	# Dom0 busy and steal (USER_HZ ticks, one vCPU).
	function d(i) { return $(i + n) - $i }
	{
		n = NF / 2; ms = d(1); if (ms <= 0) ms = 1
		ios = d(6) + d(10)
		printf "rogue-rd=%.0freq/s rogue-wr=%.0freq/s rogue-rd-kbps=%.0f rogue-wr-kbps=%.0f vda-iops=%.0f vda-await=%.1fms vda-write-await=%.1fms vda-util=%.0f%% dom0-busy=%.0f%% dom0-steal=%.1f%%\n",
			d(2) * 1000 / ms, d(3) * 1000 / ms, d(4) * 500 / ms, d(5) * 500 / ms,
			ios * 1000 / ms, ios ? (d(9) + d(13)) / ios : 0, d(10) ? d(13) / d(10) : 0,
			d(15) * 100 / ms, d(n - 1) * 1000 / ms, d(n) * 1000 / ms
	}'
}
# latency FROM_MS TO_MS (Dom0's clock): the neighbour's reads that started in between.
latency() { domu_run nbr "$probe summary $(($1 + off)) $(($2 + off)) </tmp/probe.log"; }
# value KEY TEXT: KEY=<number> out of a summary or window line.
value() { echo " $2" | sed -n "s/.* $1=\\([0-9.]*\\).*/\\1/p"; }
# phase NAME FROM_SNAP TO_SNAP: one INFO line with both; the neighbour's p50 in $p50, the
# rogue's backend writes in $wr_kbps.
phase() {
	local from=${2%% *} to=${3%% *} lat win

	lat=$(latency "$from" "$to")
	win=$(window "$2" "$3")
	info "$s phase $1 ($(((from - t_start) / 1000))-$(((to - t_start) / 1000)) s): neighbour $lat; $win"
	p50=$(value p50 "$lat")
	wr_kbps=$(value rogue-wr-kbps "$win")
}
# hog_start: memory-hog in the rogue ($hog_mib MiB, 320 unless a benchmark sets it), its
# output in /tmp/hog.log; the rogue's backend writes until then in wr_at_hog.
hog_start() {
	wr_at_hog=$(cat $vbd/wr_req)
	domu_run rogue "($hog ${hog_mib:-320} >/tmp/hog.log 2>&1 &)" >/dev/null
	mark "hog started"
}
# hog_stop [SIGNAL]: ends the hog (KILL by default; TERM makes it print how far it got) and
# prints its last line, and MemAvailable.
hog_stop() {
	domu_run rogue "kill -${1:-KILL} \$(pidof memory-hog); sleep 1; tail -n 1 /tmp/hog.log"'
		pidof memory-hog >/dev/null && echo "(still running)"
		awk "/^MemAvailable/ { print \"MemAvailable\", \$2, \"kB\" }" /proc/meminfo' | tr '\n' ' '
}
targets() { for i in $rid $nid $did; do xenstore-read "/local/domain/$i/memory/target"; done | tr '\n' ' '; }
# at_most A B: A <= B, as decimals.
at_most() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "" && b != "" && a + 0 <= b + 0) }'; }
# ratio A B: A / B, two decimals (parenthesised: a bare ">" in awk's printf is a redirection).
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'; }
# mark WHAT: a line in the record, in seconds since t_start.
mark() { info "$s at $((($(now_ms) - t_start) / 1000)) s: $1"; }
# oom_kills GUEST [REGEX]: the OOM killer's lines in the guest's kernel log (all of them, or
# those matching REGEX: "killed process" is one a kill).
oom_kills() { domu_run "$1" "dmesg | grep -ciE '${2:-out of memory|oom-kill|killed process}'"; }
