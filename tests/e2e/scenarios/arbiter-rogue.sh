# e2e-timeout: 900
# e2e-checks: 18
# e2e-needs: throttled-disk
# Issue 16: the rogue swapper on real Xen. Dom0's disk is QEMU-throttled (100 IOPS, 4 MiB/s:
# lib/rig.sh) and holds one partition per guest, each given to its PV DomU through xen-blkback
# (guest/block-hotplug.sh): a rogue (256 MiB, maxmem 512; disk swap at priority 20, zram at 10;
# a 320 MiB memory hog), a neighbour (128 MiB; tools/latency-probe: 4 KiB O_DIRECT random reads
# of its disk, 20 a second) and an idle donor (384 MiB). Each guest runs xen-memtuned. One boot:
#   idle -> rogue, no arbiter (the harm: the neighbour's p50) -> idle, arbiter in observe mode
#   -> rogue in observe mode (detected; nothing written, no target moved) -> rogue stopped,
#   cleared -> SIGHUP to act, idle -> rogue in act mode (detected, prefer-fast written and
#   acknowledged, memory granted, from the donor, the rogue's disk writes fall, the neighbour's
#   p50 comes back) -> rogue stopped (cleared, swap-mode normal).
# Latency is compared as p50 over windows of 30 s, each against the idle window before it:
# under TCG single reads take up to 400 ms idle, so p99 says little (rogue-swapper-rig.md).
# Every number goes to "# INFO" lines: the arbiter's defaults are calibrated on them
# (docs/ARCHITECTURE.md, "The Dom0 arbiter").
s=rogue
dir=/tmp/arbiter-rogue
# The rig and its measuring helpers (rogue_setup, snap, window, latency, phase, hog_*): shared
# with bench/scenarios/bench-rogue.sh.
. /e2e/rogue-lib.sh
rogue_setup

# The arbiter logs "xen-memtune-arbiter: <domain> (domid N): <what>: ..." on stderr.
L="xen-memtune-arbiter: "
log_has() { grep -qE "^$L$1" "$dir/log"; }
domain_lines() { grep -E "^$L(rogue|nbr|donor) " "$dir/log" | sed "s/^$L//" | cut -c1-${1:-200}; }
# swapping: the rogue's backend took 20 writes since the hog started: its memory is full and it
# swaps to its disk. Dom0 has evidence from here on; before it, how long the hog takes to fill
# 256 MiB depends on how fast TCG runs on the day (15-30 s seen), not on the arbiter.
swapping() { [ "$(cat $vbd/wr_req)" -ge $((wr_at_hog + 20)) ]; }
# swap_start: waits for swapping; its Dom0 time in $t_swap (the hog's start when it never comes,
# and then the detection checks fail on their own).
swap_start() {
	t_swap=$t_hog
	if wait_until 60 swapping; then
		t_swap=$(now_ms)
		say "TIME $s $1-hog-to-swapping $((t_swap - t_hog))"
	fi
}

# A timeline for the record: every 5 s, a snap and the CPU seconds of every domain (xl list,
# domid order: Dom0, rogue, neighbour, donor); printed at the end beside the neighbour's p50 of
# the same 5 s, so what moved the latency can be seen (CPU, the disk, or the rogue).
t_start=$(now_ms)
(while :; do echo "$(snap) $(xl list | awk 'NR > 1 { printf "%s ", $6 }')"; sleep 5; done) \
	>"$dir/timeline" 2>/dev/null &
sampler=$!

# ---- idle, then the rogue with no arbiter ---------------------------------------------------
sleep 5
i0=$(snap)
sleep 30
i1=$(snap)
phase idle "$i0" "$i1"
p_idle=$p50
hog_start
t_hog=$(now_ms)
sleep 15
r0=$(snap)
sleep 30
r1=$(snap)
phase rogue-no-arbiter "$r0" "$r1"
p_rogue=$p50
mark "hog stopped, its last pass: $(hog_stop)"
check_true "$s-harm-without-arbiter" "neighbour p50 idle $p_idle ms, rogue $p_rogue ms: not 2x" \
	at_most "$(awk -v a="$p_idle" 'BEGIN { print 2 * a }')" "$p_rogue"
info "$s: neighbour p50 rogue/idle $(ratio "$p_rogue" "$p_idle")"

# ---- idle with the arbiter watching, then the rogue in observe mode -------------------------
# Memory for the rogue must come from the donor: all but 64 MiB of the host's free memory is
# the reserve.
free_kb=$(($(xl info | awk '$1 == "free_memory" { print $3 }') * 1024))
reserve_kb=$((free_kb - 65536))
conf() {
	printf '[arbiter]\nmode = %s\n[detect]\ndisks = vda\n[remedy]\nhost_reserve_kb = %s\n' \
		"$1" "$reserve_kb" >"$dir/arbiter.conf"
}
conf observe
"$arb" -c "$dir/arbiter.conf" --status-file "$dir/status.json" --kill-switch "$dir/off" \
	--log stderr >"$dir/log" 2>&1 &
apid=$!
mark "arbiter started in observe mode"
sleep 5
i2=$(snap)
sleep 25
i3=$(snap)
phase idle-2 "$i2" "$i3"
p_idle2=$p50
before=$(targets)
hog_start
t_hog=$(now_ms)
# Detected within 30 s of the rogue's first swap writes: the 10 s window fills, then 3
# evaluations in a row (2 s apart); the rest is margin for TCG.
swap_start observe
t_detect=none
if wait_until 60 log_has "rogue \(domid $rid\): detected:"; then
	t_detect=$(($(now_ms) - t_swap))
	say "TIME $s observe-swapping-to-detected $t_detect"
	say "TIME $s observe-hog-to-detected $(($(now_ms) - t_hog))"
fi
check_true "$s-observe-detects" "detected ${t_detect} ms after the rogue began to swap; log: $(tail -n 3 "$dir/log" | tr '\n' ' ')" \
	sh -c "[ $t_detect -le 30000 ] 2>/dev/null && grep -qE ': prefer-fast: would: directive' $dir/log"
wait_s=$((t_hog / 1000 + 15 - $(now_ms) / 1000))
[ "$wait_s" -gt 0 ] && sleep "$wait_s"
o0=$(snap)
sleep 30
o1=$(snap)
phase rogue-observe "$o0" "$o1"
p_observe=$p50
wr_observe=$wr_kbps
written=""
for i in $rid $nid $did; do
	xenstore-read "/local/domain/$i/memtune/directive/seq" >/dev/null 2>&1 && written="$written $i"
done
after=$(targets)
executed=$(grep -c "EXECUTED=yes" "$dir/log")
check_true "$s-observe-changes-nothing" "directive written to domains:$written; targets $before -> $after; $executed actions executed" \
	[ "$written|$before|$executed" = "|$after|0" ]
domain_lines | sed 's/^/@@E2E INFO   | observe: /'

# ---- the rogue stops; act mode; the rogue again ---------------------------------------------
mark "hog stopped, its last pass: $(hog_stop)"
t_stop=$(now_ms)
wait_until 90 log_has "rogue \(domid $rid\): cleared:" &&
	say "TIME $s observe-stop-to-cleared $(($(now_ms) - t_stop))"
conf act
lines=$(wc -l <"$dir/log")
kill -HUP "$apid"
mark "SIGHUP: act mode"
sleep 5
i4=$(snap)
sleep 20
i5=$(snap)
phase idle-3 "$i4" "$i5"
p_idle3=$p50
dseq=/local/domain/$rid/memtune/directive/seq
hog_start
t_hog=$(now_ms)
swap_start act
t_directive=none
if wait_until 60 xenstore-read "$dseq" >/dev/null 2>&1; then
	t_directive=$(($(now_ms) - t_swap))
	say "TIME $s act-swapping-to-directive $t_directive"
	say "TIME $s act-hog-to-directive $(($(now_ms) - t_hog))"
fi
check_true "$s-act-detects" "directive written ${t_directive} ms after the rogue began to swap" \
	[ "$t_directive" -le 30000 ] 2>/dev/null
first=$(tail -n +$((lines + 1)) "$dir/log" | grep -m 1 -E "^${L}rogue \(domid $rid\): [a-z-]+: directive")
check_true "$s-act-prefer-fast-first" "first directive in act mode: '$first'" \
	has "$first" ": prefer-fast: directive [0-9]+ swap-mode prefer-fast"
acked() { [ "$(xenstore-read /local/domain/$rid/data/memtune/ack/seq 2>/dev/null)" = "$(xenstore-read "$dseq" 2>/dev/null)" ]; }
wait_until 20 acked && say "TIME $s act-hog-to-ack $(($(now_ms) - t_hog))"
ack="seq $(xenstore-read /local/domain/$rid/data/memtune/ack/seq 2>&1) result $(xenstore-read /local/domain/$rid/data/memtune/ack/result 2>&1) reason '$(xenstore-read /local/domain/$rid/data/memtune/ack/reason 2>&1)'"
info "$s: rogue's ack: $ack; MemAvailable $(domu_run rogue 'awk "/^MemAvailable/ { print \$2 }" /proc/meminfo') kB"
domu_run rogue 'cat /proc/swaps' | sed 's/^/@@E2E INFO   | /'
check_true "$s-act-acked" "$ack" has "$ack" 'result applied '
# The neighbour over four windows of 15 s after the ack; the checks take the last two (30 s):
# the first ones carry the pages the rogue swapped out before the remedy, which it reads back.
prev=$(snap)
for n in 1 2 3 4; do
	sleep 15
	cur=$(snap)
	phase "act-$n" "$prev" "$cur"
	[ $n = 2 ] && a2=$cur
	prev=$cur
done
phase rogue-act "$a2" "$prev"
p_act=$p50
wr_act=$wr_kbps
check_true "$s-act-disk-writes-fall" "rogue's backend writes $wr_observe KiB/s in observe, $wr_act KiB/s in act" \
	at_most "$wr_act" "$(awk -v a="$wr_observe" 'BEGIN { print a / 4 }')"
check_true "$s-act-neighbour-recovers" "neighbour p50 idle $p_idle3 ms, observe $p_observe ms, act $p_act ms" \
	at_most "$p_act" "$(awk -v a="$p_idle3" 'BEGIN { print a * 1.5 + 1 }')"
info "$s: neighbour p50 ms: idle $p_idle, rogue $p_rogue, idle-2 $p_idle2, observe $p_observe, idle-3 $p_idle3, act $p_act"
check_true "$s-act-memory-granted" "rogue's target $(xenstore-read /local/domain/$rid/memory/target)" \
	[ "$(xenstore-read /local/domain/$rid/memory/target)" -gt 262144 ]

# ---- the rogue stops: cleared, swap back to normal ------------------------------------------
mark "hog stopped, its last pass: $(hog_stop)"
t_stop=$(now_ms)
check_true "$s-cleared" "no 'cleared' and swap-mode normal within 90 s; log: $(tail -n 3 "$dir/log" | tr '\n' ' ')" \
	wait_until 90 log_has "rogue \(domid $rid\): normal: directive [0-9]+ swap-mode normal"
normal_acked() { acked && [ "$(xenstore-read /local/domain/$rid/data/memtune/ack/result)" = applied ]; }
wait_until 20 normal_acked || info "$s: swap-mode normal not acknowledged: $(xenstore-ls /local/domain/$rid/data/memtune/ack | tr '\n' ' ')"
domu_run rogue 'cat /proc/swaps' | sed 's/^/@@E2E INFO   | /'
say "TIME $s stop-to-normal $(($(now_ms) - t_stop))"
memtunectl arbiter --status-file "$dir/status.json" explain rogue 2>&1 | sed 's/^/@@E2E INFO   | /'
kill "$apid" 2>/dev/null
wait "$apid" 2>/dev/null
tail -n +$((lines + 1)) "$dir/log" | grep -E "^$L(rogue|nbr|donor) " | sed "s/^$L//" | cut -c1-240 |
	sed 's/^/@@E2E INFO   | act: /'

# ---- the timeline ----------------------------------------------------------------------------
kill "$sampler" 2>/dev/null
# Dom0's side, per 5 s: the rogue's backend, the disk, Dom0's CPU, each domain's CPU (percent).
awk -v t0="$t_start" '
	{ for (i = 1; i <= NF; i++) cur[i] = $i }
	NR > 1 && NF == pn {
		ms = cur[1] - prev[1]; if (ms <= 0) ms = 1
		# the last four fields are CPU seconds (xl list), before them Dom0 busy and steal.
		x = NF - 4
		printf "t=%d s: rogue rd=%d wr=%d req/s; vda iops=%d await=%.0fms util=%d%%; dom0 busy=%d%%; cpu dom0=%d%% rogue=%d%% nbr=%d%% donor=%d%%\n",
			(prev[1] - t0) / 1000, (cur[2] - prev[2]) * 1000 / ms,
			(cur[3] - prev[3]) * 1000 / ms,
			(cur[6] + cur[10] - prev[6] - prev[10]) * 1000 / ms,
			(cur[6] + cur[10] - prev[6] - prev[10]) ? (cur[9] + cur[13] - prev[9] - prev[13]) / (cur[6] + cur[10] - prev[6] - prev[10]) : 0,
			(cur[15] - prev[15]) * 100 / ms, (cur[x - 1] - prev[x - 1]) * 1000 / ms,
			(cur[x + 1] - prev[x + 1]) * 100000 / ms, (cur[x + 2] - prev[x + 2]) * 100000 / ms,
			(cur[x + 3] - prev[x + 3]) * 100000 / ms, (cur[x + 4] - prev[x + 4]) * 100000 / ms
	}
	{ pn = NF; for (i = 1; i <= NF; i++) prev[i] = cur[i] }' "$dir/timeline" |
	sed 's/^/@@E2E INFO   | timeline /'
# The neighbour's side: p50 of its reads per 5 s, on the same clock.
domu_run nbr "awk -v t0=$((t_start + off)) '\$1 >= t0 { print int((\$1 - t0) / 5000), \$2 }' /tmp/probe.log |
	sort -k1,1n -k2,2n | awk '
		\$1 != b { if (n) printf \"t=%d s: nbr p50=%.1fms n=%d\\n\", b * 5, v[int((n + 1) / 2)] / 1000, n; b = \$1; n = 0 }
		{ v[++n] = \$2 }
		END { if (n) printf \"t=%d s: nbr p50=%.1fms n=%d\\n\", b * 5, v[int((n + 1) / 2)] / 1000, n }'" |
	sed 's/^/@@E2E INFO   | timeline /'

# ---- what must never happen -----------------------------------------------------------------
below=""
for g in rogue nbr donor; do
	i=$(domu_id "$g")
	t=$(xenstore-read "/local/domain/$i/memory/target")
	f=$(xenstore-read "/local/domain/$i/data/memtune/floor-kb")
	info "$s: $g target $t kB, floor $f kB"
	[ "$t" -ge "$f" ] 2>/dev/null || below="$below $g($t<$f)"
done
check_eq "$s-no-guest-below-floor" "$below" ""
oom=""
for g in rogue nbr donor; do
	n=$(oom_kills "$g")
	[ "${n:-0}" = 0 ] || oom="$oom $g:$n"
done
check_eq "$s-no-oom-kill" "$oom" ""
# Reversals: a target that went up, then down (or down, then up), per domain, from the
# arbiter's own log of what it executed.
flaps=$(grep -E "EXECUTED=yes" "$dir/log" | sed -n "s/^$L"'\([a-z]*\) .*OLD=\([0-9]*\) NEW=\([0-9]*\).*/\1 \2 \3/p' |
	awk '{ d = $3 > $2 ? 1 : -1; if (last[$1] && d != last[$1]) rev[$1]++; last[$1] = d; moves[$1]++ }
	END { for (g in moves) printf "%s:%d/%d ", g, rev[g] + 0, moves[g] }')
info "$s: reversals/moves per domain: ${flaps:-none}"
check_true "$s-no-flapping" "$flaps" sh -c "! echo '$flaps' | grep -qE ':([2-9]|[0-9]{2,})/'"
scan_consoles "$s-consoles-clean"
