# The systemd guest of the rig (scenario agent-systemd): a Debian 12 userland with systemd as
# PID 1, systemd-udevd, journald and the D-Bus system bus, and this project installed into it by
# `make install DESTDIR=`. Sourced by tests/e2e/lib/images.sh.
#
#   $E2E_DIR/debs-systemd/              the .debs (`apt-get download`, never installed on the host)
#   $E2E_DIR/systemd/domu-systemd.cpio.zst   the image: a zstd-compressed initramfs, which the
#                                       DomU kernel unpacks itself (CONFIG_RD_ZSTD=y in Debian's
#                                       6.1), so Dom0 carries it compressed
#   $E2E_DIR/systemd/inputs.sha256      rebuilt only when a package version or an input changes
#   $E2E_DIR/systemd/install.log        the output of `make install`
#
# The packages are the dependency closure apt itself resolves for an empty system (apt-get -s
# with an empty dpkg status), unpacked with dpkg-deb -x. No maintainer script runs: what they
# would do at install time is either done here (masks, the rig's unit) or by systemd at the first
# boot (systemd-sysusers creates root, messagebus, systemd-journal ... from sysusers.d).

# What the guest runs: systemd, udev, dbus-daemon; kmod (lsmod, and kmod-static-nodes.service);
# xenstore-utils for the rig's command loop; the agent's own libraries (ldd build/agent/*).
E2E_SYSTEMD_PACKAGES="systemd udev dbus kmod xenstore-utils libxenstore4 libinih1 libfmt9 libstdc++6
libcpp-httplib0.11"
# Pulled in only for maintainer scripts (perl via usrmerge/init-system-helpers, dpkg, debconf,
# adduser/passwd) or unused here: left out to keep the image small.
E2E_SYSTEMD_SKIP='perl.*|lib.*-perl|libperl.*|usrmerge|dpkg|debconf|adduser|passwd|tar|libdb5\.3|libgdbm.*|libsemanage.*|libsepol2|init-system-helpers|dmsetup'
# Units that cost boot time and do nothing in a console-less, diskless, network-less guest:
# masked (linked to /dev/null), as `systemctl mask` would. journald, udevd and dbus stay.
E2E_SYSTEMD_MASK="getty.target serial-getty@hvc0.service console-getty.service
systemd-logind.service systemd-user-sessions.service systemd-update-utmp.service
systemd-update-utmp-runlevel.service systemd-ask-password-wall.path
systemd-ask-password-console.path proc-sys-fs-binfmt_misc.automount systemd-binfmt.service
sys-fs-fuse-connections.mount sys-kernel-config.mount systemd-firstboot.service
systemd-machine-id-commit.service systemd-pcrphase.service systemd-pcrphase-sysinit.service
systemd-repart.service systemd-journal-flush.service systemd-random-seed.service
systemd-hwdb-update.service ldconfig.service systemd-tmpfiles-clean.timer
systemd-journald-audit.socket systemd-initctl.socket"

E2E_SYSTEMD_IMAGE_DIR=$E2E_DIR/systemd
E2E_SYSTEMD_IMAGE=$E2E_SYSTEMD_IMAGE_DIR/domu-systemd.cpio.zst

# name=version of every package in the closure, one a line.
e2e_systemd_closure()
{
	apt-get -s -o Dir::State::status=/dev/null install --no-install-recommends \
		$E2E_SYSTEMD_PACKAGES 2>/dev/null |
		awk '$1 == "Inst" { v = $3; sub(/^\(/, "", v); print $2 "=" v }' |
		grep -vE "^($E2E_SYSTEMD_SKIP)="
}

# The .deb file apt-get download names for name=version (an epoch's ':' becomes %3a).
e2e_systemd_deb()
{
	local name=${1%%=*} ver=${1#*=}

	ls "$E2E_DIR/debs-systemd/${name}_$(echo "$ver" | sed 's/:/%3a/')_"*.deb 2>/dev/null | head -n 1
}

# The packages of closure $1 not downloaded yet, space-separated.
e2e_systemd_missing()
{
	local p

	for p in $1; do
		[ -n "$(e2e_systemd_deb "$p")" ] || printf ' %s' "$p"
	done
}

e2e_systemd_inputs_hash()
{
	{
		echo "$E2E_KVER"
		echo "$1"
		find "$E2E_REPO/systemd" "$E2E_REPO/udev" "$E2E_REPO/agent/dbus" "$E2E_REPO/agent/conf" \
			"$E2E_HERE/guest/systemd" "$E2E_HERE/guest/domu-serve.sh" \
			"$E2E_HERE/guest/settle.sh" "$E2E_HERE/lib/systemd-image.sh" \
			"$E2E_REPO/Makefile" "$E2E_REPO/agent/src/daemon/CMakeLists.txt" \
			"$E2E_REPO/agent/src/cli/CMakeLists.txt" -type f | sort | xargs sha256sum
		sha256sum "$E2E_REPO/kmod/xen_memtune.ko" "$E2E_BUILD/agent/xen-memtuned" \
			"$E2E_BUILD/agent/memtunectl"
		ls -l /bin/busybox
	} | sha256sum | cut -d' ' -f1
}

# Builds $E2E_SYSTEMD_IMAGE if an input changed. Returns non-zero (and logs why) when it cannot:
# the rig still boots, and scenario agent-systemd fails on its own ("image not built").
e2e_build_systemd_image()
{
	local dir=$E2E_SYSTEMD_IMAGE_DIR stage=$E2E_SYSTEMD_IMAGE_DIR/stage closure hash p missing
	local f unit mdir

	# It installs the project: nothing to install without a build (make e2e builds both).
	if [ ! -f "$E2E_REPO/kmod/xen_memtune.ko" ] || [ ! -x "$E2E_BUILD/agent/xen-memtuned" ]; then
		e2e_log "systemd image: module or agent not built; agent-systemd will fail"
		return 1
	fi
	closure=$(e2e_systemd_closure)
	[ -n "$closure" ] || closure=$(apt-get update >/dev/null 2>&1; e2e_systemd_closure)
	if [ -z "$closure" ]; then
		e2e_log "systemd image: apt-get cannot resolve $E2E_SYSTEMD_PACKAGES"
		return 1
	fi
	hash=$(e2e_systemd_inputs_hash "$closure")
	if [ -f "$dir/inputs.sha256" ] && [ "$(cat "$dir/inputs.sha256")" = "$hash" ] &&
	   [ -f "$E2E_SYSTEMD_IMAGE" ]; then
		return 0
	fi
	e2e_log "building the systemd guest image"

	mkdir -p "$E2E_DIR/debs-systemd"
	missing=$(e2e_systemd_missing "$closure")
	# Stale package lists name versions the archive no longer has: refresh them once.
	if [ -n "$missing" ] &&
	   ! (cd "$E2E_DIR/debs-systemd" && apt-get download $missing >/dev/null 2>&1); then
		apt-get update >/dev/null 2>&1
		closure=$(e2e_systemd_closure)
		missing=$(e2e_systemd_missing "$closure")
		if [ -n "$missing" ] &&
		   ! (cd "$E2E_DIR/debs-systemd" && apt-get download $missing >/dev/null 2>&1); then
			e2e_log "systemd image: apt-get download$missing failed"
			return 1
		fi
		hash=$(e2e_systemd_inputs_hash "$closure")
	fi

	rm -rf "$dir" && mkdir -p "$stage"
	for p in $closure; do
		dpkg-deb -x "$(e2e_systemd_deb "$p")" "$stage" || { e2e_log "dpkg-deb -x $p failed"; return 1; }
	done

	# The kernel's module indexes, so depmod (run by make install) writes a complete modules.dep.
	# One other module: loop, a block device whose page cache a reclaim directive can take back
	# (a guest on tmpfs has almost none). A PV DomU without disks or network needs no other.
	mdir=$E2E_ROOT/lib/modules/$E2E_KVER
	mkdir -p "$stage/lib/modules/$E2E_KVER/kernel/drivers/block"
	cp "$mdir"/modules.builtin* "$mdir/modules.order" "$stage/lib/modules/$E2E_KVER/"
	cp "$mdir/kernel/drivers/block/loop.ko" "$stage/lib/modules/$E2E_KVER/kernel/drivers/block/"

	# The project, as an administrator installs it.
	if ! make -C "$E2E_REPO" install DESTDIR="$stage" BUILD="$E2E_BUILD" KVER="$E2E_KVER" \
		>"$dir/install.log" 2>&1; then
		e2e_log "systemd image: make install DESTDIR= failed; tail of $dir/install.log:"
		tail -n 15 "$dir/install.log" >&2
		return 1
	fi
	# Dom0 carries every image in its 512 MiB: no debug info, docs or man pages.
	strip --strip-unneeded "$stage/usr/sbin/xen-memtuned" "$stage/usr/bin/memtunectl"
	find "$stage/lib/modules" -name '*.ko' -exec strip --strip-debug {} +
	rm -rf "$stage"/usr/share/{doc,man,info,locale,lintian,bug,zsh,bash-completion,gcc,gdb} \
		"$stage"/usr/lib/x86_64-linux-gnu/gconv "$stage"/lib/udev/hwdb.d

	# busybox: the rig's command loop (domu-serve.sh) and the commands Dom0 sends, behind
	# Debian's own binaries in PATH; /bin/sh too (no dash in the closure).
	mkdir -p "$stage/usr/lib/e2e/busybox"
	cp /bin/busybox "$stage/usr/lib/e2e/busybox/busybox"
	for f in $(/bin/busybox --list); do
		# busybox-static lists itself as an applet.
		[ "$f" = busybox ] || ln -sf busybox "$stage/usr/lib/e2e/busybox/$f"
	done
	[ -e "$stage/bin/sh" ] || ln -s /usr/lib/e2e/busybox/busybox "$stage/bin/sh"
	mkdir -p "$stage/e2e"
	cp "$E2E_HERE/guest/domu-serve.sh" "$E2E_HERE/guest/settle.sh" "$stage/e2e/"
	chmod 0755 "$stage"/e2e/*.sh

	mkdir -p "$stage/etc/systemd/system/sysinit.target.wants"
	cp "$E2E_HERE"/guest/systemd/*.service "$stage/etc/systemd/system/"
	ln -s ../e2e-serve.service "$stage/etc/systemd/system/sysinit.target.wants/e2e-serve.service"
	for unit in $E2E_SYSTEMD_MASK; do
		ln -sf /dev/null "$stage/etc/systemd/system/$unit"
	done
	# A fixed machine id: not a first boot (no firstboot, no machine-id commit), and the
	# journal's directory name is known.
	echo e2e0000000000000000000000000000d >"$stage/etc/machine-id"
	printf 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm), xen-memtune e2e guest"\nID=debian\nVERSION_ID="12"\n' \
		>"$stage/etc/os-release"
	mkdir -p "$stage"/{proc,sys,dev,run,tmp,root,var/log,var/tmp}
	chmod 1777 "$stage/tmp" "$stage/var/tmp"
	ldconfig -r "$stage" 2>/dev/null

	(cd "$stage" && find . | cpio -o -H newc --quiet) | zstd -q -12 -T0 >"$E2E_SYSTEMD_IMAGE.tmp" ||
		{ e2e_log "systemd image: cpio | zstd failed"; return 1; }
	mv "$E2E_SYSTEMD_IMAGE.tmp" "$E2E_SYSTEMD_IMAGE"
	e2e_log "systemd guest image: $(du -k "$E2E_SYSTEMD_IMAGE" | cut -f1) KiB compressed," \
		"$(du -sk "$stage" | cut -f1) KiB unpacked"
	rm -rf "$stage"
	echo "$hash" >"$dir/inputs.sha256"
}
