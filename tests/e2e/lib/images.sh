# Builds what the rig boots, from Debian packages and this project's build output.
# Sourced by tests/e2e/lib/rig.sh; everything lands in $E2E_DIR (build/e2e by default).
#
#   $E2E_DIR/debs/      the .debs, fetched with `apt-get download` (never installed on the host)
#   $E2E_DIR/root/      the .debs unpacked with `dpkg-deb -x`
#   $E2E_DIR/images/    xen (ELF), vmlinux (ELF, used for Dom0 and every DomU), vmlinuz (bzImage,
#                       for the bare boot and HVM guests), domu.cpio (every guest's /), dom0.cpio
#                       (domu.cpio plus /images/{vmlinux,domu.cpio.zst}), dom0-hvm.cpio (dom0.cpio
#                       plus what HVM guests need: see e2e_build_hvm_extra)
#
# The images are rebuilt only when an input changes: the hash of every input file is kept in
# $E2E_DIR/images/inputs.sha256.
#
# Dom0 also carries /images/domu-systemd.cpio.zst, the systemd guest (lib/systemd-image.sh),
# when it could be built.

. "$E2E_HERE/lib/systemd-image.sh"

# The guest kernel must be the version the module is built against: the one that
# linux-headers-amd64 depends on (e.g. linux-headers-6.1.0-56-amd64 -> 6.1.0-56-amd64).
e2e_kernel_version()
{
	dpkg-query -W -f='${Depends}' linux-headers-amd64 2>/dev/null |
		sed -n 's/^linux-headers-\([^ ,]*\).*/\1/p'
}

# Xen and the guest kernel are unpacked, not installed: installing linux-image would run
# update-initramfs and change the host's boot, and the hypervisor has no place on the host.
e2e_fetch_debs()
{
	local pkgs="xen-hypervisor-4.17-amd64 xen-utils-4.17 linux-image-$E2E_KVER" p missing=""

	mkdir -p "$E2E_DIR/debs"
	for p in $pkgs; do
		ls "$E2E_DIR/debs/${p}_"*.deb >/dev/null 2>&1 || missing="$missing $p"
	done
	[ -z "$missing" ] && return 0
	e2e_log "fetching$missing"
	(cd "$E2E_DIR/debs" && apt-get download $missing >/dev/null) ||
		(apt-get update >/dev/null && cd "$E2E_DIR/debs" && apt-get download $missing >/dev/null) ||
		e2e_die "apt-get download$missing failed"
}

# The XZ stream inside Debian's bzImage is the ELF vmlinux. Xen's PV domain builder and QEMU
# would otherwise decompress it under TCG at every domain build (about 11 s each).
e2e_extract_vmlinux()
{
	local bz="$1" out="$2" off

	for off in $(LC_ALL=C grep -obUaP '\xfd7zXZ\x00' "$bz" | cut -d: -f1); do
		tail -c +$((off + 1)) "$bz" | xz -dc --single-stream >"$out.tmp" 2>/dev/null
		if [ "$(head -c 4 "$out.tmp" | od -An -c | tr -d ' ')" = '177ELF' ]; then
			mv "$out.tmp" "$out"
			return 0
		fi
	done
	rm -f "$out.tmp"
	e2e_die "no XZ-compressed ELF found in $bz"
}

# Copies an executable and every shared library ldd names (same path in the image), plus
# libgcc_s.so.1, which glibc dlopen()s for pthread_cancel (xl aborts without it).
e2e_copy_binary()
{
	local src="$1" dst="$2" lib

	mkdir -p "$E2E_STAGE$(dirname "$dst")"
	# Stripped: Dom0 unpacks its image into 512 MiB of RAM, and debug builds are large.
	strip --strip-unneeded -o "$E2E_STAGE$dst" "$src" 2>/dev/null || cp -L "$src" "$E2E_STAGE$dst"
	for lib in $(ldd "$src" 2>/dev/null | grep -o '/[^ ]*'); do
		[ -e "$E2E_STAGE$lib" ] && continue
		mkdir -p "$E2E_STAGE$(dirname "$lib")"
		cp -L "$lib" "$E2E_STAGE$lib"
	done
	if ldd "$src" 2>/dev/null | grep -q 'not found'; then
		e2e_die "$src: $(ldd "$src" | grep 'not found' | tr -s ' \n' ' ')"
	fi
}

e2e_copy_libgcc()
{
	local lib

	lib=$(ldconfig -p | awk '/libgcc_s.so.1 .*x86-64/ { print $NF; exit }')
	[ -n "$lib" ] || e2e_die "libgcc_s.so.1 not found on the host"
	mkdir -p "$E2E_STAGE$(dirname "$lib")"
	cp -L "$lib" "$E2E_STAGE$lib"
}

# Kernel modules the guests load, with their dependencies (modules.dep for busybox modprobe).
# virtio_pci, virtio_blk and xen-blkback: Dom0's throttled disk and the guests' backends on its
# partitions (# e2e-needs: throttled-disk, lib/rig.sh); xen-blkfront: those guests' disks.
E2E_GUEST_MODULES="xen-evtchn xen-privcmd xenfs xen-gntdev xen-gntalloc nf_conntrack zram loop xen-blkfront
virtio_pci virtio_blk xen-blkback"

e2e_copy_modules()
{
	local m f rel mdir="$E2E_ROOT/lib/modules/$E2E_KVER"

	[ -f "$mdir/modules.dep" ] || depmod -b "$E2E_ROOT" "$E2E_KVER" ||
		e2e_die "depmod on the unpacked kernel failed"
	for m in $E2E_GUEST_MODULES; do
		for f in $(modprobe -d "$E2E_ROOT" -S "$E2E_KVER" --show-depends "$m" |
			   awk '$1 == "insmod" { print $2 }'); do
			rel=${f#"$E2E_ROOT"}
			mkdir -p "$E2E_STAGE$(dirname "$rel")"
			cp "$f" "$E2E_STAGE$rel"
		done
	done
	cp "$mdir"/modules.builtin* "$mdir/modules.order" "$E2E_STAGE/lib/modules/$E2E_KVER/"
	depmod -b "$E2E_STAGE" "$E2E_KVER" || e2e_die "depmod on the guest image failed"
}

# This project's own build output, each piece optional: a scenario whose subject is missing
# fails on its own ("module not built"), the rig still boots.
e2e_project_files()
{
	local f

	# E2E_KMOD: another build of the module (e.g. a colleague's work tree), for trying it out.
	local ko=${E2E_KMOD:-$E2E_REPO/kmod/xen_memtune.ko}

	[ -f "$ko" ] && echo "$ko"
	# E2E_AGENT_DIR: another agent build folder, for trying it out.
	for f in "${E2E_AGENT_DIR:-$E2E_BUILD/agent}/xen-memtuned" "${E2E_AGENT_DIR:-$E2E_BUILD/agent}/memtunectl" \
		 "${E2E_AGENT_DIR:-$E2E_BUILD/agent}/xen-memtune-arbiter"; do
		[ -x "$f" ] && echo "$f"
	done
	# kselftest binaries: every ELF executable under tests/selftests (and its build folder).
	for f in $(find "$E2E_REPO/tests/selftests" "$E2E_BUILD/selftests" -type f -perm -u+x \
		   2>/dev/null | sort); do
		[ "$(head -c 4 "$f" | od -An -c | tr -d ' ')" = '177ELF' ] && echo "$f"
	done
	return 0
}

# The device model of HVM guests: libxenlight 4.17 runs /usr/libexec/xen-qemu-system-i386,
# which Debian's qemu-system-xen installs (QEMU 7.2 built for Xen).
E2E_HVM_DM=/usr/libexec/xen-qemu-system-i386

# What an HVM DomU needs in Dom0 beyond the PV rig, as $img/hvm.cpio (appended to dom0.cpio
# for the Xen boot of the pvh- and hvm- scenarios only; the PV boot keeps its smaller Dom0):
# the device model with the libraries the PV image lacks, and its en-us keymap; hvmloader;
# SeaBIOS (its path is compiled into libxenlight); linuxboot.bin, SeaBIOS's loader for
# QEMU's -kernel (the xenfv machine's fw_cfg has no DMA, so linuxboot_dma.bin is never used);
# the bzImage (HVM direct boot goes through the device model's -kernel, which takes no ELF).
# Its ramdisk is dom0.cpio's /images/domu.cpio.zst: compressed matters here too, as the loader
# reads kernel and ramdisk through fw_cfg port I/O, each access a round trip to the device
# model, so every byte left out saves boot time (docs/rig.md).
e2e_build_hvm_extra()
{
	local stage="$img/hvm-stage" main="$E2E_STAGE" f

	[ -x "$E2E_HVM_DM" ] || e2e_die "$E2E_HVM_DM missing (apt-get install qemu-system-xen)"
	rm -rf "$stage"
	E2E_STAGE=$stage
	e2e_copy_binary "$E2E_HVM_DM" "$E2E_HVM_DM"
	E2E_STAGE=$main
	(cd "$stage" && find . -type f) | while read -r f; do
		[ -e "$main/$f" ] && rm "$stage/$f"
	done
	mkdir -p "$stage/usr/lib/xen-4.17/boot" "$stage/usr/share/seabios" "$stage/usr/share/qemu" \
		"$stage/images"
	cp "$E2E_ROOT/usr/lib/xen-4.17/boot/hvmloader" "$stage/usr/lib/xen-4.17/boot/" ||
		e2e_die "hvmloader missing from xen-utils-4.17"
	cp /usr/share/seabios/bios-256k.bin "$stage/usr/share/seabios/" ||
		e2e_die "SeaBIOS missing (apt-get install seabios)"
	cp /usr/share/qemu/linuxboot.bin "$stage/usr/share/qemu/" ||
		e2e_die "linuxboot.bin missing (apt-get install qemu-system-data)"
	# libxenlight passes -vnc none, and QEMU reads its keymap even so.
	mkdir -p "$stage/usr/share/qemu/keymaps"
	cp /usr/share/qemu/keymaps/en-us "$stage/usr/share/qemu/keymaps/" ||
		e2e_die "QEMU's en-us keymap missing (apt-get install qemu-system-data)"
	cp "$img/vmlinuz" "$stage/images/"
	(cd "$stage" && find . | cpio -o -H newc --quiet) >"$img/hvm.cpio" ||
		e2e_die "cpio of the HVM additions failed"
	rm -rf "$stage"
}

# The rig's own load generators and probes (tests/e2e/tools/*.c), one program per file, into
# /usr/local/bin of every guest.
e2e_build_tools()
{
	local src name out="$E2E_DIR/tools"

	mkdir -p "$out"
	for src in "$E2E_HERE"/tools/*.c; do
		name=$(basename "$src" .c)
		cc -O2 -Wall -Wextra -Werror -o "$out/$name" "$src" || e2e_die "cc $src failed"
		e2e_copy_binary "$out/$name" "/usr/local/bin/$name"
	done
}

e2e_inputs_hash()
{
	{
		echo "$E2E_KVER"
		ls "$E2E_DIR/debs"
		{
			find "$E2E_HERE/guest" "$E2E_HERE/scenarios" "$E2E_HERE/tools" \
				"$E2E_HERE/lib/images.sh" -type f
			find "$E2E_REPO/tests/data" -name 'golden-6.1*.tsv' -type f
		} | sort | xargs sha256sum
		e2e_project_files | xargs -r sha256sum
		ls -l /bin/busybox /usr/bin/xenstore* "$E2E_HVM_DM"
		cat "$E2E_SYSTEMD_IMAGE_DIR/inputs.sha256" 2>/dev/null
	} | sha256sum | cut -d' ' -f1
}

e2e_build_images()
{
	local img="$E2E_DIR/images" hash f name

	E2E_KVER=$(e2e_kernel_version)
	[ -n "$E2E_KVER" ] || e2e_die "linux-headers-amd64 is not installed (make deps-e2e)"
	[ -d "/lib/modules/$E2E_KVER/build" ] || e2e_die "/lib/modules/$E2E_KVER/build missing"
	E2E_ROOT="$E2E_DIR/root"
	export E2E_KVER

	e2e_fetch_debs
	if [ ! -d "$E2E_ROOT/lib/modules/$E2E_KVER" ]; then
		rm -rf "$E2E_ROOT" && mkdir -p "$E2E_ROOT"
		dpkg-deb -x "$E2E_DIR/debs/linux-image-${E2E_KVER}_"*.deb "$E2E_ROOT" ||
			e2e_die "dpkg-deb -x linux-image-$E2E_KVER failed"
	fi
	e2e_build_systemd_image || rm -f "$E2E_SYSTEMD_IMAGE"
	hash=$(e2e_inputs_hash)
	if [ -f "$img/inputs.sha256" ] && [ "$(cat "$img/inputs.sha256")" = "$hash" ] &&
	   [ -f "$img/dom0.cpio" ] && [ -f "$img/dom0-hvm.cpio" ]; then
		return 0
	fi
	e2e_log "building guest images for $E2E_KVER"

	rm -rf "$E2E_ROOT" "$img"
	mkdir -p "$E2E_ROOT" "$img"
	for f in "$E2E_DIR"/debs/*.deb; do
		dpkg-deb -x "$f" "$E2E_ROOT" || e2e_die "dpkg-deb -x $f failed"
	done
	zcat "$E2E_ROOT"/boot/xen-4.17-amd64.gz >"$img/xen"
	cp "$E2E_ROOT/boot/vmlinuz-$E2E_KVER" "$img/vmlinuz"
	e2e_extract_vmlinux "$img/vmlinuz" "$img/vmlinux"

	E2E_STAGE="$img/stage"
	mkdir -p "$E2E_STAGE"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,run,tmp,etc/xen,e2e,opt/memtune}
	mkdir -p "$E2E_STAGE"/var/{lib/xen,run/xen,run/xenstored,log/xen/console,lock}
	mknod "$E2E_STAGE/dev/console" c 5 1
	cp /bin/busybox "$E2E_STAGE/bin/busybox"
	cp "$E2E_HERE/guest/init" "$E2E_STAGE/init"
	cp "$E2E_HERE"/guest/*.sh "$E2E_HERE"/guest/*.awk "$E2E_STAGE/e2e/"
	cp "$E2E_REPO/tests/data/golden-6.1.tsv" "$E2E_STAGE/e2e/golden.tsv"
	[ -f "$E2E_REPO/tests/data/golden-6.1-hvm.tsv" ] &&
		cp "$E2E_REPO/tests/data/golden-6.1-hvm.tsv" "$E2E_STAGE/e2e/golden-hvm.tsv"
	mkdir -p "$E2E_STAGE/e2e/scenarios"
	cp "$E2E_HERE"/scenarios/*.sh "$E2E_STAGE/e2e/scenarios/"
	chmod 0755 "$E2E_STAGE/init" "$E2E_STAGE"/e2e/*.sh

	for name in xl xenstored xenconsoled xen-init-dom0; do
		e2e_copy_binary "$E2E_ROOT/usr/lib/xen-4.17/bin/$name" "/usr/lib/xen-4.17/bin/$name"
	done
	# xenstore-utils: one binary under several names (xenstore-control is a wrapper script).
	for f in /usr/bin/xenstore /usr/bin/xenstore-*; do
		[ -L "$f" ] || e2e_copy_binary "$f" "$f"
	done
	# util-linux swapon/losetup: busybox's swapon has no priorities (-p).
	e2e_copy_binary /sbin/swapon /usr/local/sbin/swapon
	e2e_copy_binary /sbin/losetup /usr/local/sbin/losetup
	e2e_copy_libgcc
	e2e_copy_modules
	e2e_build_tools

	for f in $(e2e_project_files); do
		case "$f" in
		*.ko) strip --strip-debug -o "$E2E_STAGE/opt/memtune/$(basename "$f")" "$f" ;;
		*) e2e_copy_binary "$f" "/opt/memtune/$(basename "$f")" ;;
		esac
	done

	(cd "$E2E_STAGE" && find . | cpio -o -H newc --quiet) >"$img/domu.cpio" ||
		e2e_die "cpio of the guest image failed"
	# Dom0 = the same tree plus the DomU kernel and image (initramfs archives concatenate).
	# The DomU's image goes in compressed (the DomU kernel unpacks zstd itself, CONFIG_RD_ZSTD=y;
	# libxc loads a ramdisk as it is): Dom0's initramfs is unpacked into a tmpfs of half its
	# 512 MiB, beside the archive itself, and at 141 MB (the agent's HTTP libraries and the
	# packaged systemd guest) it no longer fit ("Initramfs unpacking failed: write error").
	rm -rf "$img/extra"
	mkdir -p "$img/extra/images"
	cp "$img/vmlinux" "$img/extra/images/"
	zstd -q -19 -T0 -o "$img/extra/images/domu.cpio.zst" "$img/domu.cpio" ||
		e2e_die "zstd of the guest image failed"
	[ -f "$E2E_SYSTEMD_IMAGE" ] && cp "$E2E_SYSTEMD_IMAGE" "$img/extra/images/"
	(cd "$img/extra" && find . | cpio -o -H newc --quiet) >"$img/extra.cpio"
	cat "$img/domu.cpio" "$img/extra.cpio" >"$img/dom0.cpio"
	e2e_build_hvm_extra
	cat "$img/dom0.cpio" "$img/hvm.cpio" >"$img/dom0-hvm.cpio"
	rm -rf "$img/extra" "$img/extra.cpio" "$img/hvm.cpio" "$E2E_STAGE"
	echo "$hash" >"$img/inputs.sha256"
}
