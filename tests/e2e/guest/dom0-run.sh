#!/bin/sh
# Dom0 side of the rig: starts Debian's Xen tools, then runs each scenario named in $1
# (colon-separated; /e2e/scenarios/<name>.sh), each in its own shell under a timeout, with
# every DomU destroyed in between. Prints "@@E2E DONE" last: the host counts a run without
# it as a rig failure.
. /e2e/lib.sh

start_xen_tools()
{
	local m

	for m in xen-evtchn xen-privcmd xenfs xen-gntdev xen-gntalloc; do
		modprobe "$m" || { fail rig-dom0-modules "modprobe $m failed"; return 1; }
	done
	mount -t xenfs xenfs /proc/xen || { fail rig-dom0-xenfs "mount xenfs failed"; return 1; }
	xenstored --pid-file /var/run/xenstored.pid || { fail rig-xenstored "did not start"; return 1; }
	xen-init-dom0 >/tmp/xen-init-dom0.log 2>&1 || { fail rig-xen-init-dom0 "$(cat /tmp/xen-init-dom0.log)"; return 1; }
	xenconsoled --log=guest --log-dir="$E2E_CONSOLE_DIR" ||
		{ fail rig-xenconsoled "did not start"; return 1; }
	# xl.conf: autoballoon off unless a scenario turns it on (dom0_mem is fixed on Xen's line).
	echo 'autoballoon="off"' >/etc/xen/xl.conf
	return 0
}

# Each scenario in its own shell (lib.sh's run_scenario), with every DomU destroyed after it.
run_and_clean()
{
	local d

	run_scenario "$1"
	for d in $(xl list 2>/dev/null | awk 'NR > 2 { print $1 }'); do
		xl destroy "$d" >/dev/null 2>&1
	done
	# Each scenario scans the consoles of its own guests only: a guest an earlier scenario
	# killed on purpose (kmod-guard's guests without the module) is not a later one's crash.
	mkdir -p "$E2E_CONSOLE_DIR/done-$1"
	mv "$E2E_CONSOLE_DIR"/guest-*.log "$E2E_CONSOLE_DIR/done-$1/" 2>/dev/null
}

# e2e.opts=KEY=VALUE:KEY=VALUE on Dom0's command line (E2E_OPTS on the host): scenario options.
for kv in $(sed -n 's/.*e2e\.opts=\([^ ]*\).*/\1/p' /proc/cmdline | tr ':' ' '); do
	export "$kv"
done

info "dom0 up: $(uname -r), $(awk '{ print $1 }' /proc/uptime) s after kernel start"
if start_xen_tools; then
	pass rig-dom0-xen-tools
	IFS=:
	set -- $1
	unset IFS
	for s in "$@"; do
		run_and_clean "$s"
	done
fi
say DONE
