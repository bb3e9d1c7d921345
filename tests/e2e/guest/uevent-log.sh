#!/bin/sh
# uevent-log.sh: run by busybox `uevent` for every kernel uevent, with the uevent's keys in its
# environment (`uevent /e2e/uevent-log.sh &` listens on the kernel's uevent netlink socket, as
# udevd does). Appends one line per xen_memtune uevent to /tmp/uevents: the keys, sorted, as
# ;KEY=VALUE;KEY=VALUE; (";" because values hold spaces: TCP_MEM=a b c; a leading one so that
# every pair is matched as ";KEY=VALUE;").
[ "$SUBSYSTEM" = xen_memtune ] || exit 0
{
	printf ';'
	env | grep -E '^[A-Z][A-Z0-9_]*=' | grep -vE '^(PATH|HOME|PWD|SHLVL|TERM|OLDPWD)=' | sort |
		tr '\n' ';'
	echo
} >>/tmp/uevents
