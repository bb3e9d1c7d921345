// SPDX-License-Identifier: GPL-2.0
/*
 * xen_memtune: make boot-sized kernel values follow the Xen balloon.
 *
 * This file is the init/exit ladder; nothing calls into it.  The rest
 * follows the data: watch.c (xenstore event, the guard) -> state.c (the
 * inbox) -> pass.c (settle, uevent) -> policy.c (values for a size) ->
 * apply.c (write them) -> sysfs.c -> xs_ack.c (tell Dom0).  memtune.h
 * draws who calls whom.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/device.h>
#include <linux/kobject.h>
#include <linux/module.h>
#include <linux/mm.h>
#include <linux/workqueue.h>

#include <xen/xen.h>

#include "memtune.h"

/*
 * Uevents come from a device, as xen-balloon's do from xen_memory0: a
 * system subsystem of our own with one device,
 * /sys/devices/system/xen_memtune/xen_memtune0, so KOBJ_CHANGE goes out
 * with DEVPATH=/devices/system/xen_memtune/xen_memtune0 and
 * SUBSYSTEM=xen_memtune, and udev sees it added and removed with the
 * module.  The knobs stay in /sys/kernel/xen_memtune (memtune.kobj), a
 * plain kobject that sends no uevent.
 */
static struct bus_type memtune_subsys = {
	.name = "xen_memtune",
	.dev_name = "xen_memtune",
};

static struct device *memtune_dev;

static void memtune_dev_release(struct device *dev)
{
	kfree(dev);
}

static int memtune_dev_register(void)
{
	int err;

	err = subsys_system_register(&memtune_subsys, NULL);
	if (err)
		return err;
	memtune_dev = kzalloc(sizeof(*memtune_dev), GFP_KERNEL);
	if (!memtune_dev) {
		bus_unregister(&memtune_subsys);
		return -ENOMEM;
	}
	memtune_dev->id = 0;
	memtune_dev->bus = &memtune_subsys;
	memtune_dev->release = memtune_dev_release;
	err = device_register(memtune_dev);
	if (err) {
		put_device(memtune_dev);
		memtune_dev = NULL;
		bus_unregister(&memtune_subsys);
	}
	return err;
}

static void memtune_dev_unregister(void)
{
	device_unregister(memtune_dev);
	memtune_dev = NULL;
	bus_unregister(&memtune_subsys);
}

static bool memtune_restore_on_unload = true;
module_param_named(restore_on_unload, memtune_restore_on_unload, bool, 0644);
MODULE_PARM_DESC(restore_on_unload,
		 "Put back the boot values of what the module still manages when it is unloaded (default: on)");

static int __init memtune_init(void)
{
	int err;

	if (!xen_domain()) {
		pr_info("not running in a Xen domain, refusing to load\n");
		return -ENODEV;
	}

	mutex_init(&memtune.lock);
	memtune.enabled = true;
	memtune.mode = MEMTUNE_MODE_APPLY;
	memtune.settle_ms = 250;
	memtune.stall_ms = 5000;
	memtune.state = MEMTUNE_STATE_SETTLING;
	memtune.floor_mode = MEMTUNE_FLOOR_AUTO;
	memtune.boot_kb = totalram_pages() << (PAGE_SHIFT - 10);
	memtune.current_kb = memtune.boot_kb;
	memtune.target_kb = memtune.boot_kb;

	memtune.kobj = kobject_create_and_add("xen_memtune", kernel_kobj);
	if (!memtune.kobj)
		return -ENOMEM;
	err = memtune_dev_register();
	if (err)
		goto err_kobj;
	memtune.uevent_kobj = &memtune_dev->kobj;

	/* Ordered: one pass at a time, acks after the pass that queued them. */
	memtune.wq = alloc_ordered_workqueue("xen_memtune", WQ_MEM_RECLAIM);
	if (!memtune.wq) {
		err = -ENOMEM;
		goto err_dev;
	}
	memtune_ack_init();

	err = memtune_apply_init();
	if (err)
		goto err_wq;
	memtune_pass_init();
	memtune_pass_allow(true);
	/* The load pass: an HVM guest below maxmem was sized for maxmem. */
	memtune_request_resize();
	err = memtune_sysfs_init(memtune.kobj);
	if (err)
		goto err_pass;
	/* Last: from here on events arrive; the guard starts with xenstore. */
	err = memtune_watch_init();
	if (err)
		goto err_sysfs;

	pr_info("loaded: %llu kB, mode %s\n", memtune.boot_kb,
		memtune_mode_name(memtune.mode));
	return 0;

err_sysfs:
	memtune_sysfs_exit();
err_pass:
	memtune_pass_allow(false);
	memtune_pass_exit();
	memtune_apply_exit();
err_wq:
	memtune_ack_flush();
	destroy_workqueue(memtune.wq);
err_dev:
	memtune_dev_unregister();
err_kobj:
	kobject_put(memtune.kobj);
	return err;
}

static void __exit memtune_exit(void)
{
	/* Reverse of init: no event, no pass, no sysfs writer after this. */
	memtune_watch_exit();
	memtune_pass_allow(false);
	memtune_pass_exit();
	memtune_sysfs_exit();

	mutex_lock(&memtune.lock);
	if (memtune_restore_on_unload)
		memtune_restore_all();
	WRITE_ONCE(memtune.state, MEMTUNE_STATE_DISABLED);
	memtune_ack_state();
	mutex_unlock(&memtune.lock);

	memtune_apply_exit();
	memtune_ack_flush();
	destroy_workqueue(memtune.wq);
	memtune_dev_unregister();
	kobject_put(memtune.kobj);
	pr_info("unloaded\n");
}

module_init(memtune_init);
module_exit(memtune_exit);

MODULE_LICENSE("GPL");
MODULE_AUTHOR("xen-memtune developers");
MODULE_DESCRIPTION("Make boot-sized kernel values follow the Xen balloon");
