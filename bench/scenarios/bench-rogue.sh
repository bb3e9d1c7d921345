# e2e-timeout: 7200
# e2e-checks: 6
# e2e-needs: throttled-disk
# Benchmark the rogue swapper (issue 16 item 9), on the rig of arbiter-rogue.sh (shared:
# tests/e2e/guest/rogue-lib.sh): a rogue (256 MiB, maxmem 512, disk swap + zram), a neighbour
# reading its disk at 20/s, an idle donor (384 MiB), all on one throttled Dom0 disk. Six arms,
# in one boot, their order rotated by one every repetition, BENCH_REPS times:
#   idle               no hog: the neighbour's latency as it is without the rogue (30 s)
#   none               memory-hog 320 in the rogue, nothing balances (60 s)
#   qmemman-spare      the hog, with bench/guest/qmemman.sh (a qmemman-style balancer)
#   arbiter-spare      the hog, with xen-memtune-arbiter in act mode
#   qmemman-tight, arbiter-tight   the same two with a host reserve of all free memory but
#                      64 MiB (as arbiter-rogue.sh): memory for the rogue must come from the donor
# "spare" gives both balancers the arbiter's default reserve (256 MiB) of the host's free
# memory (several GiB here). The setting changes only what the balancers may hand out: idle and
# none run once a repetition and serve both settings. A balancer starts 10 s before the hog
# (the arbiter's moving window is 10 s). Each arm: the neighbour's p50 and p99 over 0-30 s and
# 30-60 s after the hog's start (Dom0's clock), the hog's work (MiB written, memory-hog stopped
# with SIGTERM at 60 s), the rogue's backend sectors (its disk swap), target changes of the
# three guests (xenstore, sampled every second), OOM kills (the guests' kernel logs). After each
# arm everything is put back and checked: hog and balancer stopped, swap-mode normal, targets at
# the start sizes with the balloons there, the rogue's swap empty at its set-up priorities.
. /bench/dom0-lib.sh
# bench-rogue-beyond.sh runs this file with its own name, arms and hog (rogue_bench,
# rogue_arms, hog_mib); alone, it is the rogue benchmark of the six arms above.
b=${rogue_bench:-rogue}
s=bench-$b
hog_mib=${hog_mib:-320}
dir=/tmp/bench-rogue
. /e2e/rogue-lib.sh
# The guest image compressed: the neighbour's 128 MiB cannot hold the 53 MB image twice while
# it boots (bench/lib/images.sh).
export DOMU_RAMDISK=/images/bench-domu.cpio.zst
rogue_setup
t_start=$(now_ms)

free_kb=$(($(xl info | awk '$1 == "free_memory" { print $3 }') * 1024))
reserve_spare=262144
reserve_tight=$((free_kb - 65536))
cols="rep setting arm order p50_0_30_ms p99_0_30_ms n_0_30 p50_30_60_ms p99_30_60_ms n_30_60"
cols="$cols hog_mib hog_passes swap_rd_kib swap_wr_kib vda_util_pct dom0_steal_pct"
cols="$cols target_changes rogue_target_max_kb donor_target_min_kb oom_kills reset_ok reset_s"
bench_meta $b
bench_put $b - - columns "$cols"
bench_put $b - - host-free-kb "$free_kb"
bench_put $b - - reserve-kb "spare $reserve_spare tight $reserve_tight"
bench_put $b - - guests-mib "rogue 256 (maxmem 512, hog $hog_mib) nbr 128 donor 384"
bench_put $b - - disk "$(cat /sys/block/vda/size) sectors, throttled in QEMU (lib/rig.sh)"
info "$s: host free $free_kb kB; reserve spare $reserve_spare, tight $reserve_tight kB"

# ---- one arm ---------------------------------------------------------------------------------
balancer=""
# balancer_start ARM SETTING: the balancer of ARM in the background ($balancer: its pid).
balancer_start()
{
	local reserve=$reserve_spare

	[ "$2" = tight ] && reserve=$reserve_tight
	case $1 in
	qmemman)
		/bench/qmemman.sh run "$reserve" "$rid" "$nid" "$did" >"$dir/balancer.log" 2>&1 &
		balancer=$!
		;;
	arbiter | arbiter+rebalance)
		printf '[arbiter]\nmode = act\n[detect]\ndisks = vda\n[remedy]\nhost_reserve_kb = %s\n' \
			"$reserve" >"$dir/arbiter.conf"
		# arbiter+rebalance: the three guests opted in to its continuous rebalancing
		# ([rebalance], off by default), which shares what the host can spare in proportion
		# to each guest's need.
		[ "$1" = arbiter ] ||
			printf '[rebalance]\nenabled = yes\ndomains = rogue nbr donor\n' >>"$dir/arbiter.conf"
		rm -f "$dir/status.json"
		"$arb" -c "$dir/arbiter.conf" --status-file "$dir/status.json" --kill-switch "$dir/off" \
			--log stderr >"$dir/balancer.log" 2>&1 &
		balancer=$!
		;;
	esac
}

balancer_stop()
{
	[ -n "$balancer" ] || return 0
	kill "$balancer" 2>/dev/null
	wait "$balancer" 2>/dev/null
	balancer=""
}

# hog_work: stops the hog (SIGTERM: it prints how far it got) and prints "<MiB> <passes>",
# "- <passes>" when it was gone already (the OOM killer).
hog_work()
{
	domu_run rogue 'kill -TERM $(pidof memory-hog) 2>/dev/null; i=0
		while pidof memory-hog >/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
		pidof memory-hog >/dev/null && kill -KILL $(pidof memory-hog)
		awk "\$1 == \"stopped\" { mib = \$7 } \$1 == \"pass\" { n++ }
			END { print (mib == \"\" ? \"-\" : mib), n + 0 }" /tmp/hog.log' 30
}

# oom_all: the OOM killer's kills in all three guests, summed.
oom_all()
{
	local g n sum=0

	for g in rogue nbr donor; do
		n=$(oom_kills "$g" "killed process")
		sum=$((sum + ${n:-0}))
	done
	echo "$sum"
}

# at_start: "<ok|not> <targets, KiB> | <name>=<memory, MiB> ... | <swap>:<used>:<prio> ...":
# what must be back after an arm. ok: the three targets at the start sizes, each balloon within
# 2 MiB of its target (xl list), the rogue's two swaps empty at their set-up priorities.
at_start()
{
	local sw

	# (The answer ends its line: domu_run would take the rig's end marker into it otherwise.)
	sw=$(domu_run rogue 'awk "NR > 1 { printf \"%s:%s:%s \", \$1, \$4, \$5 } END { print \"\" }" /proc/swaps')
	echo "$(targets)| $(xl list | awk 'NR > 2 { printf "%s=%s ", $1, $3 }')| $sw" | awk '
		function near(name, mib,   i, f) {
			for (i = 5; i <= NF; i++) {
				split($i, f, "=")
				if (f[1] == name) return f[2] >= mib - 2 && f[2] <= mib + 2
			}
			return 0
		}
		{
			ok = $1 == 262144 && $2 == 131072 && $3 == 393216
			ok = ok && near("rogue", 256) && near("nbr", 128) && near("donor", 384)
			ok = ok && / \/dev\/zram0:0:10 / && / \/dev\/xvda:0:20 /
			print (ok ? "ok" : "not"), $0
		}'
}

# balloons_at_start: each guest within 2 MiB of its start size (xl list).
balloons_at_start()
{
	xl list | awk 'NR > 2 { m[$1] = $3 }
		function near(n, mib) { return m[n] >= mib - 2 && m[n] <= mib + 2 }
		END { exit !(near("rogue", 256) && near("nbr", 128) && near("donor", 384)) }'
}

# reset ARM: back to the start after ARM, and checked: reset_ok (ok or not; what was not back
# on an INFO line) and reset_s (seconds it took).
reset()
{
	local t0 st

	t0=$(now_ms)
	if [ "${1%+*}" = arbiter ]; then
		memtunectl directive rogue --swap-mode normal --timeout 30 >"$dir/normal.out" 2>&1 ||
			info "$s: swap-mode normal: $(tr '\n' ' ' <"$dir/normal.out")"
	fi
	xl mem-set rogue 256m
	xl mem-set nbr 128m
	xl mem-set donor 384m
	wait_until 90 balloons_at_start
	# Pages of the guest's own processes can stay in swap after the hog is gone: off and on.
	st=$(at_start)
	case $st in
	ok*) ;;
	*)
		info "$s: after the arm: ${st#* }; swapoff and on"
		domu_run rogue 'swapoff /dev/xvda; swapoff /dev/zram0' >/dev/null
		rogue_swap_on >/dev/null
		st=$(at_start)
		;;
	esac
	# The throttle queue drained: the rogue's backend quiet for 2 s.
	wait_until 30 sh -c "a=\$(cat $vbd/wr_req $vbd/rd_req); sleep 2; [ \"\$a\" = \"\$(cat $vbd/wr_req $vbd/rd_req)\" ]"
	[ "${st%% *}" = ok ] || info "$s: not back to the start: ${st#* }"
	reset_ok=${st%% *}
	reset_s=$((($(now_ms) - t0) / 1000))
}

# or_dash KEY TEXT: value KEY TEXT, "-" when there is none.
or_dash() { local v; v=$(value "$1" "$2"); echo "${v:--}"; }

# sleep_until MS: until Dom0's clock reads MS.
sleep_until()
{
	local d=$(($1 - $(now_ms)))

	[ "$d" -gt 0 ] && sleep "$(awk -v d="$d" 'BEGIN { printf "%.2f", d / 1000 }')"
	return 0
}

# run_arm REP ORDER ARM: one arm (ARM is idle, none, or <balancer>-<setting>); one row.
resets_failed=0
arms_run=0
run_arm()
{
	local r="$1" order="$2" arm="${3%-*}" setting=- len=60 s0 s1 s2 t_hog w1 w2 win work
	local tch oom

	case $3 in *-*) setting=${3#*-} ;; esac
	# The targets from the balancer's start: what it does before the hog counts too.
	(while :; do echo "$(targets)"; sleep 1; done) >"$dir/targets" 2>/dev/null &
	tsampler=$!
	if [ "$arm" != idle ] && [ "$arm" != none ]; then
		balancer_start "$arm" "$setting"
		sleep 10
	fi
	s0=$(snap)
	t_hog=${s0%% *}
	if [ "$arm" = idle ]; then
		len=30
		mark "rep $r: idle"
	else
		hog_start
	fi
	sleep_until $((t_hog + 30000))
	s1=$(snap)
	work="- -"
	if [ $len = 60 ]; then
		sleep_until $((t_hog + 60000))
		s2=$(snap)
		work=$(hog_work)
	else
		s2=$s1
	fi
	balancer_stop
	kill "$tsampler" 2>/dev/null
	mark "rep $r: $3 ended; hog $work"
	w1=$(latency "$t_hog" "$((t_hog + 30000))")
	w2="n=- p50=- p99=-"
	[ $len = 60 ] && w2=$(latency "$((t_hog + 30000))" "$((t_hog + 60000))")
	win=$(window "$s0" "$s2")
	info "$s: rep $r $3: 0-30 s $w1; 30-60 s $w2; $win"
	[ "${arm%+*}" = arbiter ] && grep -E "^xen-memtune-arbiter: (rogue|nbr|donor) .*(directive|EXECUTED)" "$dir/balancer.log" |
		cut -c1-200 | sed 's/^/@@E2E INFO   | arbiter: /'
	[ "$arm" = qmemman ] && cut -c1-200 "$dir/balancer.log" | sed 's/^/@@E2E INFO   | /'
	# Target changes: every sample whose value differs from the one before, per guest.
	tch=$(awk 'NF == 3 { for (i = 1; i <= 3; i++) { if (NR > 1 && $i != p[i]) n++; p[i] = $i }
			if (max == "" || $1 > max) max = $1; if (min == "" || $3 < min) min = $3 }
		END { print n + 0, (max == "" ? "-" : max), (min == "" ? "-" : min) }' "$dir/targets")
	[ -n "$tch" ] || tch="- - -"
	# OOM kills since the end of the arm before (the reset kills nothing).
	oom=$(oom_all)
	reset "$arm"
	[ "$reset_ok" = ok ] || resets_failed=$((resets_failed + 1))
	arms_run=$((arms_run + 1))
	say "BENCH $b row $r $setting $arm $order $(or_dash p50 "$w1") $(or_dash p99 "$w1") $(or_dash n "$w1")" \
		"$(or_dash p50 "$w2") $(or_dash p99 "$w2") $(or_dash n "$w2") $work" \
		"$(echo "$s0 $s2" | awk '{ n = NF / 2; printf "%d %d", ($(4 + n) - $4) / 2, ($(5 + n) - $5) / 2 }')" \
		"$(or_dash vda-util "$win") $(or_dash dom0-steal "$win") $tch $((oom - oom_before)) $reset_ok $reset_s"
	oom_before=$oom
}

# ---- the arms, interleaved -------------------------------------------------------------------
# shellcheck disable=SC2086
set -- ${rogue_arms:-idle none qmemman-spare arbiter-spare qmemman-tight arbiter-tight}
narms=$#
arms="$*"
info "$s: start state: $(at_start)"
oom_before=$(oom_all)
for r in $(seq "$reps"); do
	# Rotated by one every repetition: each arm in each place of the order.
	order=$(echo "$arms" | awk -v k=$(((r - 1) % narms)) '{ for (i = 0; i < NF; i++) printf "%s ", $((i + k) % NF + 1) }')
	i=0
	for a in $order; do
		i=$((i + 1))
		t0=$(now_ms)
		run_arm "$r" "$i" "$a"
		say "TIME $s $r-$a arm-wall $(($(now_ms) - t0))"
	done
done
check_eq "$s-arms" "$arms_run" "$((reps * narms))"
check_eq "$s-resets" "$resets_failed" 0
