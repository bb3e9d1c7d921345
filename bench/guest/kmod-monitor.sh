#!/bin/sh
# kmod-monitor.sh LOG: records every settled pass of the module (not the shrink-first pass).
# For each one appends "<n> <target_kb> <event->settle ns> <event->last write ns>
# <apply ns>" to LOG and writes n to data/bench/settled, which Dom0 waits for.
s=/sys/kernel/xen_memtune
echo $$ >/tmp/kmod-monitor.pid
read -r last <$s/stats/last_settle_ns
n=0
while :; do
	read -r settle <$s/stats/last_settle_ns
	read -r apply <$s/stats/last_apply_ns
	if [ "$settle" != "$last" ] && [ "$apply" -ge "$settle" ]; then
		# settled_pass() writes event_to_apply_ns just after last_apply_ns.
		sleep 0.05
		last=$settle
		n=$((n + 1))
		read -r sd <$s/stats/settle_duration_ns
		read -r ea <$s/stats/event_to_apply_ns
		read -r ad <$s/stats/apply_duration_ns
		read -r tk <$s/target_kb
		echo "$n $tk $sd $ea $ad" >>"$1"
		xenstore-write data/bench/settled $n
	fi
	sleep 0.05
done
