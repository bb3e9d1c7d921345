#!/bin/sh
# us-watcher.sh LOG PIDFILE: the reaction a site builds without xen-memtune, for comparison with the
# module: `xenstore-watch memory/target` feeding a script that waits until the balloon has
# settled (polling every 250 ms, the module's settle_ms; stalled = no progress for 5 s, its
# stall_ms), then recomputes the main boot-sized values from MemTotal with the 6.1 formulas
# (approximated from MemTotal, as such a script would) and sets them with sysctl.
# Appends "<n> <target_kb> <event->settle ns> <event->last write ns> <apply ns>" to LOG and
# writes n to data/bench/settled. Stops when the xenstore-watch whose pid is in PIDFILE is killed.
now() { /bench/bin/bench-now; }
d=/sys/devices/system/xen_memory/xen_memory0
n=0
first=1
fifo=/tmp/us-watcher.fifo
rm -f $fifo
mkfifo $fifo
xenstore-watch memory/target >$fifo &
echo $! >"$2"
while read -r _path; do
	t_event=$(now)
	# The watch fires once when it is registered: that is not a resize.
	if [ $first = 1 ]; then first=0; continue; fi
	target=$(xenstore-read memory/target)
	last=-1
	still_ms=0
	while :; do
		read -r cur <$d/info/current_kb
		[ "$cur" = "$target" ] && break
		if [ "$cur" = "$last" ]; then still_ms=$((still_ms + 250)); else still_ms=0; fi
		[ $still_ms -ge 5000 ] && break
		last=$cur
		sleep 0.25
	done
	t_settle=$(now)
	mem_kb=$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)
	pages=$((mem_kb / 4))
	# mm/page_alloc.c init_per_zone_wmark_min(): sqrt(lowmem_kbytes * 16)
	sysctl -q -w vm.min_free_kbytes=$(awk -v k="$mem_kb" 'BEGIN { printf "%d", sqrt(k * 16) }')
	# kernel/fork.c set_max_threads(): totalram pages * PAGE_SIZE / (8 * THREAD_SIZE)
	sysctl -q -w kernel.threads-max=$((pages * 4096 / (8 * 16384)))
	# fs/file_table.c files_maxfiles_init(): 10 % of memory in 1 KiB files
	sysctl -q -w fs.file-max=$((mem_kb / 10))
	# fs/notify/inotify/inotify_user.c: 1 % of lowmem / watch cost (~1 KiB), 8192..1048576
	w=$((mem_kb * 1024 / 100 / 1048))
	[ $w -lt 8192 ] && w=8192
	sysctl -q -w fs.inotify.max_user_watches=$w
	sysctl -q -w fs.epoll.max_user_watches=$((mem_kb * 1024 / 25 / 128))
	# net/ipv4/tcp.c tcp_init_mem(): nr_free_buffer_pages / 16 (MemTotal stands in)
	l=$((pages / 16))
	sysctl -q -w net.ipv4.tcp_mem="$((l / 4 * 3)) $l $((l / 4 * 3 * 2))"
	sysctl -q -w net.ipv4.udp_mem="$((l / 4 * 3)) $l $((l / 4 * 3 * 2))"
	t_apply=$(now)
	n=$((n + 1))
	echo "$n $target $((t_settle - t_event)) $((t_apply - t_event)) $((t_apply - t_settle))" >>"$1"
	xenstore-write data/bench/settled $n
done <$fifo
rm -f $fifo
