#!/bin/sh
# The hotplug script of the rig's guest disks (arbiter-rogue: `script=/e2e/block-hotplug.sh` in
# the xl disk line, backendtype=phy, target a block device in Dom0). Xen's own
# /etc/xen/scripts/block needs bash and helpers the busybox Dom0 lacks; for a device that
# already exists (a loop device the scenario set up), blkback needs only to be told which one.
#
# libxl runs it as `block-hotplug.sh add|remove` with XENBUS_PATH, the vbd's backend directory
# in xenstore. On add: physical-device (hex major:minor, which xen-blkback opens),
# physical-device-path, then hotplug-status=connected, which libxl waits for. On remove there is
# nothing to undo: the scenario owns the loop device.
case "$1" in
add)
	dev=$(xenstore-read "$XENBUS_PATH/params") || exit 1
	# busybox stat: %t and %T are the major and minor in hex, as blkback parses them.
	numbers=$(stat -L -c '%t:%T' "$dev") || {
		xenstore-write "$XENBUS_PATH/hotplug-error" "$dev: no such device" \
			"$XENBUS_PATH/hotplug-status" error
		exit 1
	}
	xenstore-write "$XENBUS_PATH/physical-device" "$numbers" \
		"$XENBUS_PATH/physical-device-path" "$dev"
	xenstore-write "$XENBUS_PATH/hotplug-status" connected
	;;
remove)
	;;
esac
exit 0
