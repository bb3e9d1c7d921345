#!/bin/sh
# DomU side of the rig: runs the commands Dom0 sends and answers on the console.
#
# Dom0 writes a shell command (base64) into rig/cmd, then a new number into rig/seq (both in the
# DomU's home, owned by dom0, readable by the DomU). For each new seq this prints, on hvc0
# (which xenconsoled logs in Dom0):
#   RIGOUT <seq> <line>      one per output line (stdout and stderr)
#   RIGEND <seq> <status>    last, once the command has finished
# data/rig/ready is written once the watch is in place.

last=0
serve()
{
	local seq cmd status

	seq=$(xenstore-read rig/seq 2>/dev/null) || return 0
	[ -n "$seq" ] && [ "$seq" -gt "$last" ] 2>/dev/null || return 0
	last=$seq
	cmd=$(xenstore-read rig/cmd 2>/dev/null | base64 -d)
	(eval "$cmd") >"/tmp/rig.$seq" 2>&1 </dev/null
	status=$?
	sed "s/^/RIGOUT $seq /" "/tmp/rig.$seq"
	echo "RIGEND $seq $status"
	rm -f "/tmp/rig.$seq"
}

# Kernel messages below "error" stay in dmesg, out of the answer stream.
echo 3 >/proc/sys/kernel/printk
# The watch fires once when it is set, then on every change of rig/seq.
# Ready is announced on that first event: the watch is in place and its output reaches us.
xenstore-watch rig/seq 2>/dev/null | {
	ready=0
	while read -r _path; do
		[ $ready = 1 ] || { xenstore-write data/rig/ready 1; ready=1; }
		serve
	done
}
echo "RIGEND serve-loop-ended 1"
