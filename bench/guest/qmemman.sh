#!/bin/sh
# qmemman.sh: a balancer in the manner of Qubes' qmemman, the baseline of bench-rogue.sh
# (issue 16 item 9), written from its published formula (this project's own code):
#   used  = MemTotal - MemAvailable + swap in use, from the guest's own report (qmemman's
#           meminfo-writer counts swap in use as used)
#   pref  = max(1.3 x used, 200 MiB), at most the guest's maxmem (memory/static-max)
#   avail = the guests' current memory + the host's free memory above RESERVE_KB
#   prefs fit in avail: each gets pref + the surplus in proportion to pref (a guest that
#   reaches its maxmem keeps it, the rest of its share goes to the others, in the same
#   proportion); else each gets avail in proportion to pref
#   act only when the moves (|new target - target|, summed) add up to more than 150 MiB;
#   shrinks first, then grows, each with `xl mem-set` (as the arbiter: libxl's target)
#
#   qmemman.sh run RESERVE_KB DOMID...     every second or so, until killed; one line per act on
#                                          stdout: "qmemman: <dom0 ms> moves <KiB>: <domid>
#                                          <old>-><new> ..." (KiB)
#   qmemman.sh plan RESERVE_KB FREE_KB     the formula alone: reads "domid current_kb target_kb
#                                          maxmem_kb used_kb" lines on stdin, prints "domid
#                                          new_target_kb" lines, then "moves <KiB>"
MIB=1024
# plan: the pure part, awk over plain numbers (no Xen, no clock).
plan()
{
	awk -v reserve="$1" -v free="$2" -v mib=$MIB '
	{ id[NR] = $1; cur[NR] = $2; tgt[NR] = $3; max[NR] = $4; used[NR] = $5; n = NR }
	END {
		avail = free > reserve ? free - reserve : 0
		total = 0
		for (i = 1; i <= n; i++) {
			p = 1.3 * used[i]
			if (p < 200 * mib) p = 200 * mib
			if (p > max[i]) p = max[i]
			pref[i] = p; total += p; avail += cur[i]
		}
		if (total <= avail) {
			# The surplus in proportion to pref; a guest held at its maxmem drops out and
			# what it could not take is shared again among the others.
			for (i = 1; i <= n; i++) { new[i] = pref[i]; open_[i] = new[i] < max[i] }
			left = avail - total
			while (left >= 1) {
				w = 0
				for (i = 1; i <= n; i++) if (open_[i]) w += pref[i]
				if (w == 0) break
				given = 0
				for (i = 1; i <= n; i++) {
					if (!open_[i]) continue
					add = left * pref[i] / w
					if (new[i] + add >= max[i]) { add = max[i] - new[i]; open_[i] = 0 }
					new[i] += add; given += add
				}
				left -= given
				if (given < 1) break
			}
		} else {
			for (i = 1; i <= n; i++) new[i] = avail * pref[i] / total
		}
		moves = 0
		for (i = 1; i <= n; i++) {
			new[i] = int(new[i])
			moves += new[i] > tgt[i] ? new[i] - tgt[i] : tgt[i] - new[i]
			printf "%s %d\n", id[i], new[i]
		}
		printf "moves %d\n", moves
	}'
}

# guest_lines DOMID...: "domid current_kb target_kb maxmem_kb used_kb" for each guest with a
# report; current from `xl list` (MiB), the rest from xenstore.
guest_lines()
{
	local list id r

	list=$(xl list 2>/dev/null)
	for id in "$@"; do
		r=/local/domain/$id
		# shellcheck disable=SC2046
		set -- $(xenstore-read $r/memory/target $r/memory/static-max $r/data/memtune/mem-total-kb \
			$r/data/memtune/mem-available-kb $r/data/memtune/swap-used-kb 2>/dev/null)
		[ $# = 5 ] || continue
		echo "$list" | awk -v id="$id" -v t="$1" -v m="$2" -v u=$(($3 - $4 + $5)) -v mib=$MIB \
			'NR > 1 && $2 == id { print id, $3 * mib, t, m, u }'
	done
}

run()
{
	local reserve="$1" lines free out moves id kb old

	shift
	while :; do
		lines=$(guest_lines "$@")
		free=$(xl info 2>/dev/null | awk '$1 == "free_memory" { print $3 }')
		free=$((${free:-0} * MIB))
		if [ "$(echo "$lines" | grep -c .)" = $# ] && [ "$free" -gt 0 ]; then
			out=$(echo "$lines" | plan "$reserve" "$free")
			moves=$(echo "$out" | awk '$1 == "moves" { print $2 }')
			if [ "$moves" -gt $((150 * MIB)) ]; then
				echo "qmemman: $(awk '{ printf "%d", $1 * 1000 }' /proc/uptime) moves $moves:$(
					echo "$out" | while read -r id kb; do
						[ "$id" = moves ] && continue
						old=$(echo "$lines" | awk -v id="$id" '$1 == id { print $3 }')
						printf ' %s %s->%s' "$id" "$old" "$kb"
					done)"
				# Shrinks first: the memory a grow takes must be free by then.
				echo "$out" | while read -r id kb; do
					old=$(echo "$lines" | awk -v id="$id" '$1 == id { print $3 }')
					[ "$id" != moves ] && [ "$kb" -lt "$old" ] && xl mem-set "$id" "${kb}k"
				done
				echo "$out" | while read -r id kb; do
					old=$(echo "$lines" | awk -v id="$id" '$1 == id { print $3 }')
					[ "$id" != moves ] && [ "$kb" -gt "$old" ] && xl mem-set "$id" "${kb}k"
				done
			fi
		fi
		sleep 1
	done
}

case "${1:-}" in
plan) plan "$2" "$3" ;;
run) shift; run "$@" ;;
*) echo "usage: qmemman.sh run RESERVE_KB DOMID... | plan RESERVE_KB FREE_KB" >&2; exit 2 ;;
esac
