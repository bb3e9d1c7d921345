#!/bin/sh
# Installs, upgrades, removes and purges the Debian packages on this machine and checks what
# each step leaves behind. Run it only on a machine you can throw away: it needs root, DKMS
# builds the module for the newest installed kernel headers, and it uninstalls any xen-memtune
# package it finds first.
# usage: tests/deb/check.sh DEBDIR   (DEBDIR: what `make deb` built, with its src/ copy)
# Prints one "ok NAME" or "FAIL NAME: why" per check; exits 1 if any failed.
#
# What cannot be seen here: this machine is no Xen guest and runs no systemd, so the module
# never loads (no reload on upgrade) and the agent never starts. The maintainer scripts are
# checked for the restart instead; the rig checks both for real.
set -eu
debdir=$(cd "${1:?usage: check.sh DEBDIR}" && pwd)
top=$(cd "$(dirname "$0")/../.." && pwd)
# The agent's tests ran for `make deb` already (or `make agent-test` does); not again here.
export DEB_BUILD_OPTIONS="${DEB_BUILD_OPTIONS-nocheck}"
[ "$(id -u)" -eq 0 ] || { echo "check.sh: needs root (dpkg -i)" >&2; exit 2; }

checks=0
fails=0
pass() { checks=$((checks + 1)); echo "ok $1"; }
fail() { checks=$((checks + 1)); fails=$((fails + 1)); echo "FAIL $1: $2"; }
check_eq() { if [ "$2" = "$3" ]; then pass "$1"; else fail "$1" "got '$2', want '$3'"; fi; }
check_true() { name=$1 why=$2; shift 2; if "$@"; then pass "$name"; else fail "$name" "$why"; fi; }

packages="xen-memtune-dkms memtunectl xen-memtuned xen-memtune-dom0"
conf=/etc/xen-memtune/agent.conf
dropin=/etc/xen-memtune/agent.conf.d/10-site.conf
kver=$(ls -d /lib/modules/*/build 2>/dev/null | cut -d/ -f4 | sort -V | tail -n 1)
[ -n "$kver" ] || { echo "check.sh: no kernel headers in /lib/modules/*/build" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/v1" "$tmp/v2"

# dpkg forgets a purged package: "purged" is what dpkg-query cannot find.
status_of() {
	st=$(dpkg-query -W -f='${db:Status-Status} ${Version}' "$1" 2>/dev/null) || st=purged
	case $st in not-installed*) echo purged ;; *) echo "$st" ;; esac
}
# "xen-memtune/0.1.0, 6.1.0-57-amd64, x86_64: installed" -> "xen-memtune/0.1.0 6.1.0-57-amd64 installed;"
dkms_state() {
	dkms status -m xen-memtune 2>/dev/null | sed 's/^\([^,]*\), \([^,]*\), [^:]*: /\1 \2 /' |
		sort | tr '\n' ';'
}
# What the packages could leave behind, one path a line. Not depmod's indexes: DKMS runs depmod
# for the kernel it builds for, which creates them where only headers are installed (the
# kernel's own package ships them otherwise).
snapshot() {
	find /etc /usr/src /usr/sbin /usr/bin /usr/share/man /usr/share/dbus-1 /lib/systemd/system \
		/lib/udev/rules.d /lib/modules /var/lib/dkms /var/lib/systemd/deb-systemd-helper-enabled \
		2>/dev/null | grep -v -e '^/etc/ld.so.cache$' -e '^/lib/modules/[^/]*/modules\.' | sort
}

# A clean start: nothing of ours installed, no configuration left over.
dpkg --purge $packages >/dev/null 2>&1 || true
rm -rf /etc/xen-memtune
snapshot >"$tmp/before"

v1=$(dpkg-deb -f "$(ls "$debdir"/xen-memtuned_*.deb)" Version)
v2="$v1+check1"
cp "$debdir"/*.deb "$tmp/v1/"
echo "check.sh: building the upgrade, $v2"
"$top/scripts/build-deb-as.sh" "$debdir" "$v2" "$tmp/v2" >"$tmp/build-v2.log" 2>&1 ||
	{ tail -n 30 "$tmp/build-v2.log"; echo "check.sh: the $v2 build failed" >&2; exit 1; }

debs() { for p in $packages; do ls "$1/${p}_"*.deb; done; }

# install_checked STEP DIR VERSION: dpkg -i every package in DIR, then what every install leaves:
# the packages at VERSION, DKMS's module built and installed for the headers. A conffile both
# the administrator and the package changed is kept, the package's beside it as .dpkg-dist
# (what an unattended upgrade does: --force-confdef --force-confold).
install_checked() {
	echo "check.sh: dpkg -i $3"
	dpkg --force-confdef --force-confold -i $(debs "$2") </dev/null >"$tmp/$1.log" 2>&1 ||
		{ cat "$tmp/$1.log"; fail "$1" "dpkg -i failed"; }
	for p in $packages; do
		check_eq "$1-$p" "$(status_of $p)" "installed $3"
	done
	check_eq "$1-dkms-state" "$(dkms_state)" "xen-memtune/$3 $kver installed;"
	check_eq "$1-module-path" "$(modinfo -k "$kver" -n xen_memtune 2>&1)" \
		"/lib/modules/$kver/updates/dkms/xen_memtune.ko"
}

# --- install -----------------------------------------------------------------------------------
install_checked install "$tmp/v1" "$v1"
check_eq install-conffiles "$(dpkg-query -W -f='${Conffiles}' xen-memtuned | awk 'NF {print $1}')" "$conf"
check_true install-config-valid "xen-memtuned --check-config rejects the shipped $conf" \
	/usr/sbin/xen-memtuned --check-config --log stderr
check_true install-memtunectl "memtunectl --help fails" sh -c 'memtunectl --help >/dev/null'
check_true install-manpages "a man page is missing" test -f /usr/share/man/man8/xen-memtuned.8.gz \
	-a -f /usr/share/man/man8/memtunectl.8.gz -a -f /usr/share/man/man5/xen-memtune.conf.5.gz \
	-a -f /usr/share/man/man4/xen_memtune.4.gz
check_true install-unit-enabled "xen-memtuned.service is not enabled for multi-user.target" \
	test -L /etc/systemd/system/multi-user.target.wants/xen-memtuned.service
for p in $packages; do dpkg -L "$p"; done | sort -u >"$tmp/files-v1"

# The administrator's changes: an edited conffile and a drop-in of their own.
sed -i 's/^max_lifetime_s = .*/max_lifetime_s = 3600/' "$conf"
mkdir -p "${dropin%/*}"
printf '[swap]\nfast_devices = /dev/zram* /dev/nvme*\n' >"$dropin"

# --- upgrade -----------------------------------------------------------------------------------
install_checked upgrade "$tmp/v2" "$v2"
check_true upgrade-old-source-gone "/usr/src/xen-memtune-$v1 is still there" \
	test ! -e "/usr/src/xen-memtune-$v1"
check_eq upgrade-keeps-conffile-edit "$(grep '^max_lifetime_s' "$conf")" "max_lifetime_s = 3600"
check_true upgrade-keeps-dropin "$dropin is gone" test -f "$dropin"
# The package's own agent.conf beside the admin's only when this upgrade changed it.
for v in v1 v2; do dpkg-deb -x "$(ls "$tmp/$v"/xen-memtuned_*.deb)" "$tmp/$v-root"; done
if cmp -s "$tmp/v1-root$conf" "$tmp/v2-root$conf"; then want_aside=""; else want_aside="$conf.dpkg-dist"; fi
check_eq upgrade-conffile-aside "$(ls /etc/xen-memtune/*.dpkg-* 2>/dev/null | tr '\n' ' ' | sed 's/ $//')" \
	"$want_aside"
# The agent restarts once: postinst restarts it on upgrade, prerm stops it only on remove.
ctl=$tmp/ctl
dpkg-deb -e "$(ls "$tmp/v2"/xen-memtuned_*.deb)" "$ctl"
check_eq upgrade-restart-in-postinst "$(grep -c "_dh_action=restart" "$ctl/postinst")" 1
check_eq upgrade-no-stop-in-prerm "$(grep -c 'deb-systemd-invoke stop' "$ctl/prerm")" 1
# shellcheck disable=SC2016 # the literal test in prerm
check_eq upgrade-prerm-stops-on-remove-only \
	"$(grep -B1 'deb-systemd-invoke stop' "$ctl/prerm" | grep -c '"$1" = remove')" 1
if grep -q 'reloaded xen_memtune\|new module' "$tmp/upgrade.log"; then
	fail upgrade-no-reload-here "the module was reloaded on a machine that cannot load it"
else
	pass upgrade-no-reload-here
fi

# --- remove, then purge ------------------------------------------------------------------------
echo "check.sh: dpkg -r, dpkg --purge"
dpkg -r $packages </dev/null >"$tmp/remove.log" 2>&1 ||
	{ cat "$tmp/remove.log"; fail remove "dpkg -r failed"; }
check_eq remove-keeps-conffile "$(grep '^max_lifetime_s' "$conf" 2>&1)" "max_lifetime_s = 3600"
check_eq remove-dkms-state "$(dkms_state)" ""
check_true remove-module-gone "xen_memtune.ko is still in /lib/modules/$kver" \
	sh -c "! modinfo -k $kver -n xen_memtune >/dev/null 2>&1"

dpkg --purge $packages </dev/null >"$tmp/purge.log" 2>&1 ||
	{ cat "$tmp/purge.log"; fail purge "dpkg --purge failed"; }
for p in $packages; do
	check_eq "purge-$p" "$(status_of $p)" purged
	check_true "purge-dpkg-L-$p" "dpkg -L $p still lists files" sh -c "! dpkg -L $p >/dev/null 2>&1"
done
check_true purge-conffile-gone "$conf is still there" test ! -e "$conf"
check_true purge-keeps-admin-dropin "$dropin (not the package's) was removed" test -f "$dropin"
left=$(while read -r f; do [ -f "$f" ] && echo "$f"; done <"$tmp/files-v1" | tr '\n' ' ')
check_eq purge-no-package-file-left "$left" ""
# Everything else as it was before the install: the admin's drop-in is all that is new.
rm -f "$dropin"
rmdir "${dropin%/*}" /etc/xen-memtune 2>/dev/null || true
snapshot >"$tmp/after"
check_eq purge-system-as-before "$(diff "$tmp/before" "$tmp/after" | grep '^[<>]' | tr '\n' ' ')" ""

echo "check.sh: $checks checks, $fails failed"
[ "$fails" -eq 0 ]
