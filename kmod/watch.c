// SPDX-License-Identifier: GPL-2.0
/*
 * The xenbus front end: xenstore watches, the notifiers, and the balloon
 * floor guard's hands.
 *
 * Three xenbus watches, registered from a xenstore notifier as xen-balloon.c
 * does: memory/target (beside the balloon driver's own watch),
 * memtune/resize (an operator token in Dom0's hands) and memory/static-max
 * (kept in a cache, so a target event costs one xenstore read, not two).
 * Their callbacks run in the xenwatch thread that every Xen driver shares,
 * so they only read the node, let the guard act on memory/target, and ask
 * for a pass through state.c's inbox.  A memory hotplug notifier (balloon
 * hot-add beyond the boot size) asks for a pass too.
 *
 * The guard (decisions in guard.c) runs here: from the memory/target
 * callback, and from a delayed work that polls balloon_stats, because root
 * can move the target through /sys/devices/system/xen_memory without any
 * xenstore event.  Both fill a sample, take guard_lock, ask guard.c, and
 * perform the action it returns.  The guard starts from the xenstore
 * notifier, like the watches: nothing here does xenstore I/O in modprobe
 * context (in a Dom0 loaded before xenstored runs, a read would block the
 * load until it does).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/memory.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/nodemask.h>
#include <linux/notifier.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/swap.h>
#include <linux/vmstat.h>
#include <linux/workqueue.h>

#include <xen/balloon.h>
#include <xen/xen.h>
#include <xen/xenbus.h>

#include "guard.h"
#include "kfile.h"
#include "memtune.h"
#include "parse.h"

#define PAGES_TO_KB(p)	((u64)(p) << (PAGE_SHIFT - 10))

/*
 * memory/static-max in KiB, 0 = unknown; written by its watch callback
 * (xenwatch thread), read by the target callback (same thread, in the
 * order the events came: a mem-max before a mem-set is seen first), by
 * the guard's poll and by sysfs.  An atomic: no lock.
 */
static atomic64_t static_max_kb;

/* Set by the notifier, cleared at exit; READ_ONCE/WRITE_ONCE. */
static bool target_registered;
static bool resize_registered;
static bool static_max_registered;

/*
 * The guard.  guard_lock protects guard_state and guard_running: the
 * target callback (xenwatch thread), the poll work and sysfs
 * (memtune_guard_settings_changed(), under memtune.lock) all take it, so
 * it is a spinlock and nothing under it sleeps.  The actions run under it
 * too, so two of them cannot reach the balloon out of order:
 * balloon_set_new_target() only stores and wakes the balloon thread, and
 * memtune_ack_*() and memtune_request_pass() only take their own leaf
 * spinlocks and queue work.
 */
static DEFINE_SPINLOCK(guard_lock);
static struct memtune_guard guard_state = { .floor_reason = "none" };
/* From the xenstore notifier until exit; the poll is queued only while set. */
static bool guard_running;

static struct delayed_work guard_poll;

/*
 * Free swap on zram devices, KiB, refreshed by the poll work (at most once
 * a second) from /proc/swaps: no kernel interface exports swap devices to a
 * module.  Read by every sample; an atomic, no lock.
 */
static atomic64_t zram_swap_free_kb;
static u64 zram_read_ns;	/* poll work only */
#define ZRAM_READ_NS		NSEC_PER_SEC
#define PROC_SWAPS_MAX		4096

/*
 * Read /proc/swaps from the poll work: a kworker resolves the path in the
 * initial mount namespace, and anything but procfs is refused.  Keeps the
 * last value when it cannot be read.
 */
static void refresh_zram_swap_free(u64 now)
{
	struct file *f;
	loff_t pos = 0;
	ssize_t len;
	char *text;
	u64 kb;

	if (zram_read_ns && now - zram_read_ns < ZRAM_READ_NS)
		return;
	zram_read_ns = now;
	if (!get_nr_swap_pages()) {
		atomic64_set(&zram_swap_free_kb, 0);
		return;
	}
	text = kmalloc(PROC_SWAPS_MAX, GFP_KERNEL);
	if (!text)
		return;
	f = memtune_open_kernel_file("/proc/swaps", O_RDONLY);
	if (IS_ERR(f))
		goto out;
	len = kernel_read(f, text, PROC_SWAPS_MAX, &pos);
	if (len > 0 && !memtune_floor_zram_swap_free_kb(text, len, &kb))
		atomic64_set(&zram_swap_free_kb, kb);
	fput(f);
out:
	kfree(text);
}

/* vm.min_free_kbytes as the zones hold it: the sum of their min watermarks. */
static u64 min_free_kb_now(void)
{
	unsigned long pages = 0;
	int nid, z;

	for_each_online_node(nid) {
		pg_data_t *pgdat = NODE_DATA(nid);

		for (z = 0; z < MAX_NR_ZONES; z++) {
			struct zone *zone = &pgdat->node_zones[z];

			if (populated_zone(zone))
				pages += zone->_watermark[WMARK_MIN];
		}
	}
	return PAGES_TO_KB(pages);
}

/* What the guard decides from: balloon_stats, settings, live counters. */
static void guard_sample(struct memtune_guard_sample *s)
{
	struct memtune_floor_input *in = &s->floor;
	unsigned long ram = totalram_pages();

	memset(s, 0, sizeof(*s));
	s->now_ns = ktime_get_ns();
	s->target_pages = READ_ONCE(balloon_stats.target_pages);
	s->current_pages = READ_ONCE(balloon_stats.current_pages);
	s->total_pages = READ_ONCE(balloon_stats.total_pages);
	s->target_offset = !xen_pv_domain() && !xen_initial_domain();
	s->static_max_kb = atomic64_read(&static_max_kb);
	s->floor_mode = READ_ONCE(memtune.floor_mode);
	s->floor_fixed_kb = READ_ONCE(memtune.floor_fixed_kb);
	if (s->floor_mode != MEMTUNE_FLOOR_AUTO)
		return;

	in->unmanaged_kb = s->current_pages > ram ?
		PAGES_TO_KB(s->current_pages - ram) : 0;
	in->unevictable_kb = PAGES_TO_KB(global_node_page_state(NR_UNEVICTABLE));
	in->mlocked_kb = PAGES_TO_KB(global_zone_page_state(NR_MLOCK));
	in->kernel_stack_kb = global_node_page_state(NR_KERNEL_STACK_KB);
	in->slab_unreclaimable_kb =
		PAGES_TO_KB(global_node_page_state_pages(NR_SLAB_UNRECLAIMABLE_B));
	in->page_tables_kb = PAGES_TO_KB(global_node_page_state(NR_PAGETABLE));
	in->min_free_kb = min_free_kb_now();
	in->anon_kb = PAGES_TO_KB(global_node_page_state(NR_ANON_MAPPED));
	in->shmem_kb = PAGES_TO_KB(global_node_page_state(NR_SHMEM));
	in->swap_free_kb = PAGES_TO_KB(max(get_nr_swap_pages(), 0L));
	in->zram_swap_free_kb = atomic64_read(&zram_swap_free_kb);
	in->margin_kb = memtune_floor_default_margin_kb(PAGES_TO_KB(ram));
}

/*
 * Perform what guard.c decided; guard_lock held.  raw is the refused
 * memory/target value for a refusal's acknowledgement (NULL otherwise).
 */
static void guard_perform(const struct memtune_guard_action *act,
			  const char *raw)
{
	WRITE_ONCE(memtune.floor_kb, act->floor_kb);
	if (act->set_target) {
		balloon_set_new_target(act->set_target_pages);
		if (act->correction) {
			WRITE_ONCE(memtune.stats.guard_released_kb, act->released_kb);
			WRITE_ONCE(memtune.stats.guard_reaction_ns, act->reaction_ns);
		}
	}
	if (act->raised)
		atomic64_inc(&memtune.stats.guard_raises);
	if (act->capped)
		atomic64_inc(&memtune.stats.guard_caps);
	if (act->restored)
		atomic64_inc(&memtune.stats.guard_restores);
	if (act->rejected)
		atomic64_inc(&memtune.stats.rejected);

	if (act->ack_floor)
		memtune_ack_floor(act->floor_kb);
	if (act->refusal_reason)
		memtune_ack_refusal(raw, act->refusal_reason, act->restored_kb);
	else if (act->restored_kb)
		memtune_ack_restored(act->restored_kb);

	switch (act->warn) {
	case MEMTUNE_GUARD_WARN_EVENT_BELOW_FLOOR:
		pr_warn_ratelimited("memory/target %llu kB is below the floor (%s); balloon target held at %llu kB\n",
				    act->warn_from_kb, guard_state.floor_reason,
				    act->warn_to_kb);
		break;
	case MEMTUNE_GUARD_WARN_BELOW_FLOOR:
		pr_warn_ratelimited("balloon target %llu kB is below the floor (%s); raised to %llu kB\n",
				    act->warn_from_kb, guard_state.floor_reason,
				    act->warn_to_kb);
		break;
	case MEMTUNE_GUARD_WARN_ABOVE_MAX:
		pr_warn_ratelimited("balloon target %llu kB is above static-max; capped at %llu kB\n",
				    act->warn_from_kb, act->warn_to_kb);
		break;
	default:
		break;
	}

	if (act->request_pass)
		memtune_request_resize();
	/* A correction or a window started: look again soon. */
	if (guard_running && act->poll_ms < MEMTUNE_GUARD_POLL_MS)
		mod_delayed_work(system_highpri_wq, &guard_poll,
				 msecs_to_jiffies(act->poll_ms));
}

static void guard_poll_fn(struct work_struct *work)
{
	struct memtune_guard_action act = { 0 };
	struct memtune_guard_sample s;

	refresh_zram_swap_free(ktime_get_ns());
	guard_sample(&s);
	spin_lock(&guard_lock);
	if (!guard_running) {
		spin_unlock(&guard_lock);
		return;
	}
	memtune_guard_on_poll(&guard_state, &s, &act);
	guard_perform(&act, NULL);
	/* Under guard_lock: exit clears guard_running first, then cancels. */
	queue_delayed_work(system_highpri_wq, &guard_poll,
			   msecs_to_jiffies(act.poll_ms));
	spin_unlock(&guard_lock);
}

static void guard_target_event(const struct memtune_guard_event *ev,
			       const char *raw)
{
	struct memtune_guard_action act = { 0 };
	struct memtune_guard_sample s;

	guard_sample(&s);
	spin_lock(&guard_lock);
	if (guard_running) {
		memtune_guard_on_event(&guard_state, &s, ev, &act);
		guard_perform(&act, raw);
	}
	spin_unlock(&guard_lock);
}

static void guard_start(void)
{
	struct memtune_guard_action act = { 0 };
	struct memtune_guard_sample s;

	guard_sample(&s);
	spin_lock(&guard_lock);
	if (!guard_running) {
		memtune_guard_start(&guard_state, &s, &act);
		guard_running = true;
		guard_perform(&act, NULL);
		pr_info("floor guard: floor %llu kB (%s), static-max %llu kB\n",
			act.floor_kb, guard_state.floor_reason, s.static_max_kb);
	}
	spin_unlock(&guard_lock);
}

void memtune_guard_settings_changed(void)
{
	struct memtune_guard_action act = { 0 };
	struct memtune_guard_sample s;

	guard_sample(&s);
	spin_lock(&guard_lock);
	/* Before the guard runs only the floor is published (no target yet). */
	if (guard_running)
		memtune_guard_on_settings(&guard_state, &s, &act);
	else
		memtune_guard_on_floor(&guard_state, &s, &act);
	guard_perform(&act, NULL);
	spin_unlock(&guard_lock);
}

void memtune_guard_get_info(struct memtune_guard_info *info)
{
	spin_lock(&guard_lock);
	info->refusals = guard_state.refusals;
	info->dip_kb = guard_state.dip_kb;
	info->last_guard_ns = guard_state.last_guard_ns;
	info->floor_reason = guard_state.floor_reason;
	spin_unlock(&guard_lock);
	info->static_max_kb = atomic64_read(&static_max_kb);
}

/*
 * Read a node, NULL if absent or unreadable.  *len is its length as stored
 * (xenstore values may hold a NUL; the buffer is NUL-terminated after it).
 */
static char *read_node(const char *dir, const char *node, unsigned int *len)
{
	char *val = xenbus_read(XBT_NIL, dir, node, len);

	return IS_ERR(val) ? NULL : val;
}

/* memory/static-max, strictly parsed at its stored length; 0 if absent or junk. */
static u64 read_static_max_kb(void)
{
	unsigned int len;
	char *raw = read_node("memory", "static-max", &len);
	u64 kb = 0;

	if (raw && memtune_parse_xs_target(raw, len, &kb, NULL))
		kb = 0;
	kfree(raw);
	return kb;
}

static void refuse_target(const char *raw, enum memtune_verdict why)
{
	const char *reason = memtune_verdict_name(why);

	atomic64_inc(&memtune.stats.rejected);
	pr_warn_ratelimited("refusing memory/target \"%.32s\": %s\n", raw, reason);
	memtune_ack_refusal(raw, reason, 0);
}

static void target_changed(struct xenbus_watch *watch, const char *path,
			   const char *token)
{
	struct memtune_guard_event ev = { .event_ns = ktime_get_ns() };
	enum memtune_verdict why = MEMTUNE_VERDICT_OK;
	unsigned int len, i;
	char *raw = read_node("memory", "target", &len);

	atomic64_inc(&memtune.stats.events);
	ev.present = !!raw;
	if (raw) {
		/* The stored length: "5242\0junk" must not pass as 5242. */
		ev.valid = !memtune_parse_xs_target(raw, len, &ev.target_kb, &why) &&
			   !memtune_check_target(ev.target_kb,
						 atomic64_read(&static_max_kb), &why);
		if (!ev.valid) {
			/* Show all of a refused value, embedded NULs included. */
			for (i = 0; i < len; i++)
				if (!raw[i])
					raw[i] = '?';
			refuse_target(raw, why);
		}
	}

	guard_target_event(&ev, raw);
	kfree(raw);

	/* A refused value changes nothing here; the guard undoes the balloon's. */
	if (!ev.present || ev.valid)
		memtune_request_pass(ev.event_ns, ev.valid ? ev.target_kb : 0);
}

static void resize_requested(struct xenbus_watch *watch, const char *path,
			     const char *token)
{
	unsigned int len;
	char *raw = read_node("memtune", "resize", &len);

	/* Fires once at registration; an absent node asks for nothing. */
	if (!raw)
		return;
	atomic64_inc(&memtune.stats.events);
	/*
	 * Echoed as it is: a token cut at a NUL or at MEMTUNE_TOKEN_MAX would
	 * never match what Dom0 wrote, so it is refused, not shortened.
	 */
	if (len >= MEMTUNE_TOKEN_MAX || memchr(raw, '\0', len))
		pr_warn_ratelimited("refusing memtune/resize: %u bytes, or a NUL inside\n",
				    len);
	else
		memtune_request_token(raw);
	kfree(raw);
}

/* `xl mem-max` rewrites it; registration reads it the first time. */
static void static_max_changed(struct xenbus_watch *watch, const char *path,
			       const char *token)
{
	atomic64_set(&static_max_kb, read_static_max_kb());
}

static struct xenbus_watch static_max_watch = {
	.node = "memory/static-max",
	.callback = static_max_changed,
};

static struct xenbus_watch target_watch = {
	.node = "memory/target",
	.callback = target_changed,
};

static struct xenbus_watch resize_watch = {
	.node = "memtune/resize",
	.callback = resize_requested,
};

static int xenstore_ready(struct notifier_block *nb, unsigned long event,
			  void *data)
{
	int err;

	memtune_ack_xenstore_ready();
	/*
	 * Each watch on its own: a missing resize watch still leaves the target
	 * one.  static-max first, so its first event (queued at registration)
	 * comes before the target's; without it the cap is read once here.
	 */
	err = register_xenbus_watch(&static_max_watch);
	if (err) {
		pr_warn("cannot watch memory/static-max: %d\n", err);
		atomic64_set(&static_max_kb, read_static_max_kb());
	} else {
		WRITE_ONCE(static_max_registered, true);
	}
	/* Before the target watch: its first event finds the guard running. */
	guard_start();
	err = register_xenbus_watch(&target_watch);
	if (err)
		pr_err("cannot watch memory/target: %d\n", err);
	else
		WRITE_ONCE(target_registered, true);
	err = register_xenbus_watch(&resize_watch);
	if (err)
		pr_err("cannot watch memtune/resize: %d\n", err);
	else
		WRITE_ONCE(resize_registered, true);
	return NOTIFY_DONE;
}

static struct notifier_block xenstore_nb = {
	.notifier_call = xenstore_ready,
};

/*
 * Memory hotplug: the balloon hot-adds memory above the boot size (and an
 * administrator may online or offline blocks); the kernel's own recompute
 * on MEM_ONLINE runs before the balloon has populated the pages, so pass
 * again once it settles.
 */
static int memory_changed(struct notifier_block *nb, unsigned long action,
			  void *arg)
{
	if (action == MEM_ONLINE || action == MEM_OFFLINE)
		memtune_request_resize();
	return NOTIFY_OK;
}

static struct notifier_block memory_nb = {
	.notifier_call = memory_changed,
};

int memtune_watch_init(void)
{
	struct memtune_guard_action act = { 0 };
	struct memtune_guard_sample s;
	int err;

	INIT_DELAYED_WORK(&guard_poll, guard_poll_fn);
	/* The floor is known at once (no xenstore needed); the guard starts later. */
	guard_sample(&s);
	spin_lock(&guard_lock);
	memtune_guard_on_floor(&guard_state, &s, &act);
	guard_perform(&act, NULL);
	spin_unlock(&guard_lock);

	err = register_memory_notifier(&memory_nb);
	if (err)
		return err;
	/* Calls xenstore_ready() now if xenstore is up, else when it comes. */
	err = register_xenstore_notifier(&xenstore_nb);
	if (err) {
		unregister_memory_notifier(&memory_nb);
		return err;
	}
	return 0;
}

void memtune_watch_exit(void)
{
	unregister_xenstore_notifier(&xenstore_nb);
	unregister_memory_notifier(&memory_nb);
	if (READ_ONCE(resize_registered)) {
		unregister_xenbus_watch(&resize_watch);
		WRITE_ONCE(resize_registered, false);
	}
	if (READ_ONCE(target_registered)) {
		unregister_xenbus_watch(&target_watch);
		WRITE_ONCE(target_registered, false);
	}
	if (READ_ONCE(static_max_registered)) {
		unregister_xenbus_watch(&static_max_watch);
		WRITE_ONCE(static_max_registered, false);
	}
	spin_lock(&guard_lock);
	guard_running = false;
	spin_unlock(&guard_lock);
	cancel_delayed_work_sync(&guard_poll);
}
