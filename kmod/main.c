// SPDX-License-Identifier: GPL-2.0
/*
 * xen_memtune: make boot-sized kernel values follow the Xen balloon.
 *
 * This file is the init/exit ladder and the uevent.  The rest follows the
 * data: watch.c (xenstore event, settle) -> policy.c (values for a size) ->
 * apply.c (write them) -> sysfs.c/uevent -> xs_ack.c (tell Dom0).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ctype.h>
#include <linux/device.h>
#include <linux/kobject.h>
#include <linux/module.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include <xen/xen.h>

#include "memtune.h"

struct memtune memtune;

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

bool memtune_restore_on_unload = true;
module_param_named(restore_on_unload, memtune_restore_on_unload, bool, 0644);
MODULE_PARM_DESC(restore_on_unload,
		 "Put back the boot values of what the module still manages when it is unloaded (default: on)");

static const char * const mode_names[] = {
	[MEMTUNE_MODE_APPLY] = "apply",
	[MEMTUNE_MODE_DRY_RUN] = "dry-run",
	[MEMTUNE_MODE_NOTIFY] = "notify",
};

static const char * const state_names[] = {
	[MEMTUNE_STATE_IDLE] = "idle",
	[MEMTUNE_STATE_SETTLING] = "settling",
	[MEMTUNE_STATE_APPLYING] = "applying",
	[MEMTUNE_STATE_DISABLED] = "disabled",
};

static const char * const owner_names[] = {
	[MEMTUNE_OWNER_MODULE] = "module",
	[MEMTUNE_OWNER_ADMIN] = "admin",
	[MEMTUNE_OWNER_OFF] = "off",
};

const char *memtune_mode_name(enum memtune_mode mode)
{
	return (unsigned int)mode < ARRAY_SIZE(mode_names) ? mode_names[mode] : "?";
}

const char *memtune_state_name(enum memtune_state state)
{
	return (unsigned int)state < ARRAY_SIZE(state_names) ? state_names[state] : "?";
}

const char *memtune_owner_name(enum memtune_owner owner)
{
	return (unsigned int)owner < ARRAY_SIZE(owner_names) ? owner_names[owner] : "?";
}

/*
 * KOBJ_CHANGE on xen_memtune0 with every computed value, e.g.
 * XEN_MEMTUNE_EVENT=apply MODE=apply TOTALRAM_KB=... TCP_MEM="a b c".
 * Sent after every apply pass, and in notify mode instead of writing.
 * memtune.lock held (tunables[] are read).
 */
void memtune_send_uevent(const char *reason)
{
	char *envp[MEMTUNE_NR_TUNABLES + 8];
	char vals[64];
	unsigned int n = 0, id, i;
	char *key;

	envp[n++] = kasprintf(GFP_KERNEL, "XEN_MEMTUNE_EVENT=%s", reason);
	envp[n++] = kasprintf(GFP_KERNEL, "MODE=%s", memtune_mode_name(memtune.mode));
	envp[n++] = kasprintf(GFP_KERNEL, "TARGET_KB=%llu", memtune.target_kb);
	envp[n++] = kasprintf(GFP_KERNEL, "CURRENT_KB=%llu", memtune.current_kb);
	envp[n++] = kasprintf(GFP_KERNEL, "TOTALRAM_KB=%llu", memtune.applied_kb);
	for (id = 0; id < MEMTUNE_NR_TUNABLES; id++) {
		const struct memtune_tunable *t = &memtune.tunables[id];

		if (!t->present)
			continue;
		memtune_format_values(vals, sizeof(vals), t->computed, t->nr_values);
		key = kasprintf(GFP_KERNEL, "%s=%s", memtune_tunable_name(id), vals);
		if (key)
			for (i = 0; key[i] && key[i] != '='; i++)
				key[i] = toupper(key[i]);
		envp[n++] = key;
	}
	envp[n] = NULL;

	for (i = 0; i < n; i++)
		if (!envp[i])
			goto out;
	if (kobject_uevent_env(&memtune_dev->kobj, KOBJ_CHANGE, envp))
		atomic64_inc(&memtune.stats.errors);
out:
	for (i = 0; i < n; i++)
		kfree(envp[i]);
}

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
	err = memtune_guard_init();
	if (err)
		goto err_apply;
	err = memtune_sysfs_init(memtune.kobj);
	if (err)
		goto err_guard;
	/* Last: from here on events arrive; the first one is the load pass. */
	err = memtune_watch_init();
	if (err)
		goto err_sysfs;

	pr_info("loaded: %llu kB, mode %s\n", memtune.boot_kb,
		memtune_mode_name(memtune.mode));
	return 0;

err_sysfs:
	memtune_sysfs_exit();
err_guard:
	memtune_guard_exit();
err_apply:
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
	memtune_guard_exit();
	memtune_sysfs_exit();

	mutex_lock(&memtune.lock);
	if (memtune_restore_on_unload)
		memtune_restore_all();
	memtune.state = MEMTUNE_STATE_DISABLED;
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
