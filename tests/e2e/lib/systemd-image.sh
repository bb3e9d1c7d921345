# The systemd guest of the rig (scenario agent-systemd): a Debian 12 userland with systemd as
# PID 1, systemd-udevd, journald and the D-Bus system bus, and this project's Debian packages
# installed into it by dpkg. Sourced by tests/e2e/lib/images.sh.
#
#   $E2E_DIR/debs-systemd/              the .debs (`apt-get download`, never installed on the host)
#   $E2E_DIR/systemd/domu-systemd.cpio.zst   the image: a zstd-compressed initramfs, which the
#                                       DomU kernel unpacks itself (CONFIG_RD_ZSTD=y in Debian's
#                                       6.1), so Dom0 carries it compressed
#   $E2E_DIR/systemd/inputs.sha256      rebuilt only when a package version or an input changes
#   $E2E_DIR/systemd/install.log        what dpkg and DKMS said while installing the project
#   $E2E_DIR/systemd-toolchain/         the build-time packages, unpacked once (see below)
#
# The userland is the dependency closure apt itself resolves for an empty system (apt-get -s
# with an empty dpkg status), unpacked with dpkg-deb -x and entered in the image's dpkg database
# as installed (control fields and file lists), so that dpkg can install packages that depend on
# them. None of their maintainer scripts runs: what those would do at install time is either done
# here (masks, the rig's unit) or by systemd at the first boot (systemd-sysusers creates root,
# messagebus, systemd-journal ... from sysusers.d).
#
# The project goes in as an administrator installs it: `dpkg -i` of `make deb`'s packages, run by
# the image's own dpkg in a chroot of the image, maintainer scripts and all (deb-systemd-helper
# enables the unit; the -dkms package's postinst runs DKMS). DKMS builds the module here, on the
# host, against the guest kernel's own headers (linux-headers-$E2E_KVER, Debian's), not in the
# guest: in the guest it would need gcc and those headers in the image (342 MB unpacked, which
# Dom0 and the DomU must both hold in RAM), and a build that takes 8 s on the host would take
# minutes under TCG in every run (an estimate: TCG runs compilers tens of times slower).
# The compiler and the headers (E2E_SYSTEMD_BUILD_PACKAGES) are in the chroot only while dpkg
# runs, hard-linked from systemd-toolchain/ and taken out again before the image is packed;
# dkms itself stays (its prerm runs `dkms remove` on a purge), outside its dependencies.
#
# The order is an upgrade: the three guest packages built as $E2E_DEB_PREV_VERSION (`make
# deb-prev`, the same tree) are installed and agent.conf is edited as an administrator would;
# this tree's xen-memtune-dkms is not installed but its module built apart, as DKMS's
# binaries-only tarball (e2e_systemd_dkms_tarball), which the scenario's upgrade in the guest
# installs. xen-memtuned and memtunectl stay at the older version too: the
# scenario upgrades them in the running guest (/e2e/debs/), where systemd restarts the agent,
# and purges all three at its end.

# What the guest runs: systemd, udev, dbus-daemon; kmod (lsmod, and kmod-static-nodes.service);
# xenstore-utils for the rig's command loop; the agent's own libraries (the packages' Depends,
# libcpp-httplib0.11 for /metrics);
# dpkg (and ldconfig, which it wants in PATH), with perl-base, init-system-helpers
# (deb-systemd-helper, deb-systemd-invoke) and bash
# (dkms) for the maintainer scripts; dash, Debian's /bin/sh, which runs them.
E2E_SYSTEMD_PACKAGES="systemd udev dbus kmod xenstore-utils libxenstore4 libinih1 libfmt9 libstdc++6
libcpp-httplib0.11 dpkg libc-bin perl-base init-system-helpers bash dash"
# Pulled in for maintainer scripts of the userland, which never run here (perl via usrmerge,
# debconf, adduser/passwd), or unused: left out to keep the image small.
E2E_SYSTEMD_SKIP='perl|perl-modules-.*|libperl.*|lib.*-perl|usrmerge|debconf|adduser|passwd|libdb5\.3|libgdbm.*|libsemanage.*|libsepol2|dmsetup'
# In the chroot while dpkg installs the project, not in the image: DKMS (whose Depends bring
# gcc, make, dpkg-dev) and the guest kernel's headers (linux-headers-$E2E_KVER, added where the
# version is known); the userland's GNU tools for kbuild (the image has busybox's).
E2E_SYSTEMD_BUILD_PACKAGES="dkms coreutils sed grep findutils diffutils"
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

# The project's guest packages, in dpkg -i order.
E2E_SYSTEMD_PROJECT="xen-memtune-dkms memtunectl xen-memtuned"
# What `make deb` and `make deb-prev` built.
E2E_DEB_DIR=${E2E_DEB_DIR:-$E2E_BUILD/deb}
E2E_DEB_PREV_DIR=${E2E_DEB_PREV_DIR:-$E2E_BUILD/deb-prev}

E2E_SYSTEMD_IMAGE_DIR=$E2E_DIR/systemd
E2E_SYSTEMD_IMAGE=$E2E_SYSTEMD_IMAGE_DIR/domu-systemd.cpio.zst

E2E_SYSTEMD_TOOLCHAIN=$E2E_DIR/systemd-toolchain

# name=version of every package in the closure of packages $1, one a line.
e2e_systemd_closure()
{
	apt-get -s -o Dir::State::status=/dev/null install --no-install-recommends $1 2>/dev/null |
		awk '$1 == "Inst" { v = $3; sub(/^\(/, "", v); print $2 "=" v }'
}

# Sets E2E_SYSTEMD_RUNTIME, the image's packages (the closure of E2E_SYSTEMD_PACKAGES less
# E2E_SYSTEMD_SKIP, and dkms alone), and E2E_SYSTEMD_BUILD, the chroot's build-time packages
# (the closure of E2E_SYSTEMD_BUILD_PACKAGES and the headers, less the image's), name=version
# a line. Fails when apt cannot resolve them.
e2e_systemd_closures()
{
	local build names

	E2E_SYSTEMD_RUNTIME=$(e2e_systemd_closure "$E2E_SYSTEMD_PACKAGES" | grep -vE "^($E2E_SYSTEMD_SKIP)=")
	build=$(e2e_systemd_closure "$E2E_SYSTEMD_BUILD_PACKAGES linux-headers-$E2E_KVER")
	[ -n "$E2E_SYSTEMD_RUNTIME" ] && echo "$build" | grep -q "^linux-headers-$E2E_KVER=" ||
		return 1
	E2E_SYSTEMD_RUNTIME=$(printf '%s\n%s\n' "$E2E_SYSTEMD_RUNTIME" "$(echo "$build" | grep '^dkms=')")
	names=$(echo "$E2E_SYSTEMD_RUNTIME" | sed 's/=.*//' | tr '\n' ' ')
	E2E_SYSTEMD_BUILD=$(echo "$build" | awk -F= -v have="$names" '
		BEGIN { n = split(have, a, " "); for (i = 1; i <= n; i++) h[a[i]] }
		!($1 in h)')
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

# The project's .debs the image installs: $1/PACKAGE_*.deb for each of E2E_SYSTEMD_PROJECT.
e2e_systemd_project_debs()
{
	local p

	for p in $E2E_SYSTEMD_PROJECT; do
		ls "$1/${p}_"*.deb 2>/dev/null | head -n 1
	done
}

e2e_systemd_inputs_hash()
{
	{
		echo "$E2E_KVER"
		echo "$E2E_SYSTEMD_RUNTIME"
		echo "$E2E_SYSTEMD_BUILD"
		find "$E2E_HERE/guest/systemd" "$E2E_HERE/guest/domu-serve.sh" \
			"$E2E_HERE/guest/settle.sh" "$E2E_HERE/lib/systemd-image.sh" \
			"$E2E_HERE/tools/set-rlimit.c" -type f |
			sort | xargs sha256sum
		e2e_systemd_project_debs "$E2E_DEB_PREV_DIR" | xargs sha256sum
		e2e_systemd_project_debs "$E2E_DEB_DIR" | xargs sha256sum
		ls -l /bin/busybox
	} | sha256sum | cut -d' ' -f1
}

# Enters the package in .deb $1, already unpacked into the tree $2, in $2's dpkg database as
# installed: its control fields, and its files in info/NAME.list (NAME:ARCH for a Multi-Arch:
# same package, as dpkg names them).
e2e_systemd_register()
{
	local deb=$1 db=$2/var/lib/dpkg name

	name=$(dpkg-deb -f "$deb" Package)
	[ "$(dpkg-deb -f "$deb" Multi-Arch)" = same ] && name=$name:$(dpkg-deb -f "$deb" Architecture)
	{
		dpkg-deb -f "$deb" | awk '{ print } /^Package:/ { print "Status: install ok installed" }'
		echo
	} >>"$db/status"
	# "./usr/bin/" -> "/usr/bin"; the top directory is "/.".
	dpkg-deb --fsys-tarfile "$deb" | tar -t | sed -e 's,^\./$,/.,' -e 's,^\./,/,' -e 's,\(.\)/$,\1,' \
		>"$db/info/$name.list"
}

# The build-time packages, unpacked once into $E2E_SYSTEMD_TOOLCHAIN/root (on the image's file
# system: the chroot gets hard links).
e2e_systemd_toolchain()
{
	local tc=$E2E_SYSTEMD_TOOLCHAIN p

	[ -d "$tc/root" ] && [ "$(cat "$tc/packages" 2>/dev/null)" = "$E2E_SYSTEMD_BUILD" ] && return 0
	rm -rf "$tc" && mkdir -p "$tc/root"
	for p in $E2E_SYSTEMD_BUILD; do
		dpkg-deb -x "$(e2e_systemd_deb "$p")" "$tc/root" ||
			{ e2e_log "systemd image: dpkg-deb -x $p failed"; return 1; }
	done
	echo "$E2E_SYSTEMD_BUILD" >"$tc/packages"
}

# dpkg ARGS in the chroot of the image $1: the image's own dpkg, configuration and PATH.
e2e_systemd_dpkg()
{
	local stage=$1

	shift
	chroot "$stage" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin:/usr/lib/e2e/busybox \
		HOME=/root LC_ALL=C dpkg --force-confdef --force-confold "$@" </dev/null
}

# This tree's module, built by DKMS for the guest kernel in the chroot of the image $1 but in a
# DKMS tree of its own (the image's DKMS never sees it), packed by `dkms mktarball
# --binaries-only` into $1/e2e/debs/xen-memtune-VERSION.dkms.tar.gz. $2 is this tree's
# xen-memtune-dkms .deb, whose /usr/src is the source built.
e2e_systemd_dkms_tarball()
{
	local stage=$1 deb=$2 work=/tmp/e2e-dkms ver rc=0

	ver=$(dpkg-deb -f "$deb" Version)
	rm -rf "$stage$work" && mkdir -p "$stage$work/tree" && dpkg-deb -x "$deb" "$stage$work/pkg" ||
		return 1
	chroot "$stage" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin:/usr/lib/e2e/busybox \
		HOME=/root LC_ALL=C bash -c 'set -e
		dkms() { /usr/sbin/dkms --sourcetree "$1/pkg/usr/src" --dkmstree "$1/tree" "${@:4}"; }
		set -- "$1" "$2" "$3" -m xen-memtune -v "$2"
		dkms "$@" add
		dkms "$@" build -k "$3"
		dkms "$@" mktarball -k "$3" --binaries-only --archive "$1/xen-memtune-$2.dkms.tar.gz"' \
		- "$work" "$ver" "$E2E_KVER" </dev/null &&
		cp "$stage$work/xen-memtune-$ver.dkms.tar.gz" "$stage/e2e/debs/" || rc=1
	rm -rf "$stage$work"
	return $rc
}

# Installs the project's packages into the image $1 as the header says: the older version and
# an administrator's edit of agent.conf; this tree's packages, and its module built by DKMS
# (e2e_systemd_dkms_tarball), go in /e2e/debs/ for the scenario. The build-time packages are
# linked in for the time it takes and taken out again: every file that is still the
# toolchain's own (same inode), then the directories only they had, once empty.
e2e_systemd_install_project()
{
	local stage=$1 log=$2 tc=$E2E_SYSTEMD_TOOLCHAIN/root rc=0 f prev=""

	(cd "$stage" && find . -type d) | sort >"$E2E_SYSTEMD_IMAGE_DIR/dirs-before"
	cp -al "$tc/." "$stage/" || { e2e_log "systemd image: cp -al of the toolchain failed"; return 1; }
	# DKMS wants /proc (and bash's <(...) /dev/fd); the scripts /dev/null.
	mknod -m 0666 "$stage/dev/null" c 1 3
	ln -s /proc/self/fd "$stage/dev/fd"
	mount -t proc proc "$stage/proc" || { e2e_log "systemd image: cannot mount /proc in the image"; return 1; }

	mkdir -p "$stage/e2e/debs/prev"
	for f in $(e2e_systemd_project_debs "$E2E_DEB_PREV_DIR"); do
		cp "$f" "$stage/e2e/debs/prev/"
		prev="$prev /e2e/debs/prev/${f##*/}"
	done
	cp $(e2e_systemd_project_debs "$E2E_DEB_DIR") "$stage/e2e/debs/"
	f=$(e2e_systemd_project_debs "$E2E_DEB_DIR" | grep /xen-memtune-dkms_)
	# The two versions, for the scenario's checks.
	printf 'prev=%s\ncur=%s\n' \
		"$(dpkg-deb -f "$(e2e_systemd_project_debs "$E2E_DEB_PREV_DIR" | head -n 1)" Version)" \
		"$(dpkg-deb -f "$f" Version)" >"$stage/e2e/packages.env"
	{
		echo "== dpkg -i$prev"
		e2e_systemd_dpkg "$stage" -i $prev &&
		echo "== agent.conf: max_lifetime_s = 3600 (the administrator's edit)" &&
		sed -i 's/^max_lifetime_s = .*/max_lifetime_s = 3600/' "$stage/etc/xen-memtune/agent.conf" &&
		echo "== ${f##*/}: dkms add, build, mktarball --binaries-only, apart" &&
		e2e_systemd_dkms_tarball "$stage" "$f"
	} >"$log" 2>&1 || rc=1
	umount "$stage/proc" || { e2e_log "systemd image: cannot unmount $stage/proc"; return 1; }

	rm -f "$stage/dev/null" "$stage/dev/fd"
	rm -rf "$stage/e2e/debs/prev"
	# What is still the toolchain's: same path, same inode.
	{
		(cd "$tc" && find . ! -type d -printf 'tc %i %p\n')
		(cd "$stage" && find . ! -type d -printf 'st %i %p\n')
	} | awk '$1 == "tc" { ino[substr($0, index($0, "./"))] = $2; next }
		ino[substr($0, index($0, "./"))] == $2 { print substr($0, index($0, "./")) }' |
		(cd "$stage" && xargs -r -d '\n' rm -f)
	(cd "$tc" && find . -type d) | sort | comm -23 - "$E2E_SYSTEMD_IMAGE_DIR/dirs-before" |
		sort -r | (cd "$stage" && xargs -r -d '\n' rmdir --ignore-fail-on-non-empty)
	rm -f "$E2E_SYSTEMD_IMAGE_DIR/dirs-before"
	return $rc
}

# Builds $E2E_SYSTEMD_IMAGE if an input changed. Returns non-zero (and logs why) when it cannot:
# the rig still boots, and scenario agent-systemd fails on its own ("image not built").
e2e_build_systemd_image()
{
	local dir=$E2E_SYSTEMD_IMAGE_DIR stage=$E2E_SYSTEMD_IMAGE_DIR/stage hash p missing
	local f unit mdir

	# It installs the project's packages: nothing to install without them (make e2e builds them).
	if [ "$(e2e_systemd_project_debs "$E2E_DEB_DIR" | wc -l)" -ne 3 ] ||
	   [ "$(e2e_systemd_project_debs "$E2E_DEB_PREV_DIR" | wc -l)" -ne 3 ]; then
		e2e_log "systemd image not built: no packages in $E2E_DEB_DIR or" \
			"$E2E_DEB_PREV_DIR yet (make e2e builds them; only agent-systemd needs them)"
		return 1
	fi
	e2e_systemd_closures || { apt-get update >/dev/null 2>&1; e2e_systemd_closures; } || {
		e2e_log "systemd image: apt-get cannot resolve $E2E_SYSTEMD_PACKAGES" \
			"$E2E_SYSTEMD_BUILD_PACKAGES linux-headers-$E2E_KVER"
		return 1
	}
	hash=$(e2e_systemd_inputs_hash)
	if [ -f "$dir/inputs.sha256" ] && [ "$(cat "$dir/inputs.sha256")" = "$hash" ] &&
	   [ -f "$E2E_SYSTEMD_IMAGE" ]; then
		return 0
	fi
	e2e_log "building the systemd guest image"

	mkdir -p "$E2E_DIR/debs-systemd"
	missing=$(e2e_systemd_missing "$E2E_SYSTEMD_RUNTIME $E2E_SYSTEMD_BUILD")
	# Stale package lists name versions the archive no longer has: refresh them once.
	if [ -n "$missing" ] &&
	   ! (cd "$E2E_DIR/debs-systemd" && apt-get download $missing >/dev/null 2>&1); then
		apt-get update >/dev/null 2>&1
		e2e_systemd_closures
		missing=$(e2e_systemd_missing "$E2E_SYSTEMD_RUNTIME $E2E_SYSTEMD_BUILD")
		if [ -n "$missing" ] &&
		   ! (cd "$E2E_DIR/debs-systemd" && apt-get download $missing >/dev/null 2>&1); then
			e2e_log "systemd image: apt-get download$missing failed"
			return 1
		fi
		hash=$(e2e_systemd_inputs_hash)
	fi
	e2e_systemd_toolchain || return 1

	# A build killed while dpkg ran leaves the chroot's /proc mounted.
	mountpoint -q "$stage/proc" && umount "$stage/proc"
	rm -rf "$dir" && mkdir -p "$stage/var/lib/dpkg/info" "$stage/var/lib/dpkg/updates" \
		"$stage/var/lib/dpkg/triggers"
	for p in $E2E_SYSTEMD_RUNTIME; do
		f=$(e2e_systemd_deb "$p")
		dpkg-deb -x "$f" "$stage" || { e2e_log "dpkg-deb -x $p failed"; return 1; }
		e2e_systemd_register "$f" "$stage"
	done

	# The kernel's module indexes, so depmod (run by DKMS) writes a complete modules.dep.
	# One other module: loop, a block device whose page cache a reclaim directive can take back
	# (a guest on tmpfs has almost none). A PV DomU without disks or network needs no other.
	mdir=$E2E_ROOT/lib/modules/$E2E_KVER
	mkdir -p "$stage/lib/modules/$E2E_KVER/kernel/drivers/block"
	cp "$mdir"/modules.builtin* "$mdir/modules.order" "$stage/lib/modules/$E2E_KVER/"
	cp "$mdir/kernel/drivers/block/loop.ko" "$stage/lib/modules/$E2E_KVER/kernel/drivers/block/"

	# Dom0 carries every image in its 512 MiB: no docs or man pages of the userland (the
	# project's packages, installed below, keep theirs).
	rm -rf "$stage"/usr/share/{doc,man,info,locale,lintian,bug,zsh,bash-completion,gcc,gdb} \
		"$stage"/usr/lib/x86_64-linux-gnu/gconv "$stage"/lib/udev/hwdb.d

	# busybox: the rig's command loop (domu-serve.sh), the commands Dom0 sends and the
	# maintainer scripts' tools beyond Debian's own binaries in PATH.
	mkdir -p "$stage/usr/lib/e2e/busybox"
	cp /bin/busybox "$stage/usr/lib/e2e/busybox/busybox"
	for f in $(/bin/busybox --list); do
		# busybox-static lists itself as an applet.
		[ "$f" = busybox ] || ln -sf busybox "$stage/usr/lib/e2e/busybox/$f"
	done
	# /bin/sh is dash, as dash's postinst makes it on Debian: maintainer scripts run under it.
	# (Busybox sh runs its own applets before PATH: xen-memtune-dkms's postinst would get
	# busybox's modinfo, which has no -k, and never reload the module.)
	ln -sf dash "$stage/bin/sh"
	# set-rlimit: an administrator's limit on init (prlimit(2)); util-linux's prlimit(1) would
	# bring 5 MB unpacked into an image Dom0 carries. Linked against the host's libc6, which is
	# the image's (both Debian 12's).
	mkdir -p "$stage/usr/local/bin"
	cc -O2 -Wall -Wextra -Werror -o "$stage/usr/local/bin/set-rlimit" "$E2E_HERE/tools/set-rlimit.c" &&
		strip --strip-unneeded "$stage/usr/local/bin/set-rlimit" ||
		{ e2e_log "systemd image: cc tools/set-rlimit.c failed"; return 1; }
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

	# The project, as an administrator installs it.
	if ! e2e_systemd_install_project "$stage" "$dir/install.log"; then
		e2e_log "systemd image: dpkg -i in the image failed; tail of $dir/install.log:"
		tail -n 25 "$dir/install.log" >&2
		return 1
	fi
	ldconfig -r "$stage" 2>/dev/null

	(cd "$stage" && find . | cpio -o -H newc --quiet) | zstd -q -12 -T0 >"$E2E_SYSTEMD_IMAGE.tmp" ||
		{ e2e_log "systemd image: cpio | zstd failed"; return 1; }
	mv "$E2E_SYSTEMD_IMAGE.tmp" "$E2E_SYSTEMD_IMAGE"
	e2e_log "systemd guest image: $(du -k "$E2E_SYSTEMD_IMAGE" | cut -f1) KiB compressed," \
		"$(du -sk "$stage" | cut -f1) KiB unpacked"
	rm -rf "$stage"
	echo "$hash" >"$dir/inputs.sha256"
}
