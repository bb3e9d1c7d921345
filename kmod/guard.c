// SPDX-License-Identifier: GPL-2.0
/*
 * Balloon floor guard: one mistyped or hostile memory/target must not kill
 * the guest.
 *
 * The balloon driver reads memory/target with "%llu" and applies whatever
 * it got, with no floor and no cap: "0", "0x80000" or a value wrapped past
 * 2^64 make the guest hand all its memory to Xen and die.  The guard sits
 * beside the driver and puts its target (balloon_stats.target_pages) back:
 *
 *  - memory/target refused by the strict parser (watch.c): back to the last
 *    good target, at once from the watch callback, and for GUARD_WINDOW_NS
 *    after it in case the balloon's own watch runs after ours;
 *  - a valid target below the floor: raised to the floor;
 *  - a target that moved without a watch event (the balloon's sysfs
 *    target_kb): raised to the floor if below it, capped at static-max if
 *    above it.
 *
 * The guard acts on targets, not on the floor: when the workload pushes
 * the auto floor above an unchanged target, it only publishes the floor
 * (floor-kb), it does not ask Xen for more memory on its own.
 *
 * The floor (floor.h) comes from live counters (auto), from floor_fixed_kb
 * (fixed), or there is none (off).  Only the guest's root sets the mode
 * (sysfs); nothing in xenstore switches the guard off.
 *
 * Two paths run the guard: memtune_guard_target_event() from the
 * memory/target watch (xenwatch thread: nothing here sleeps), and a
 * delayed work that polls balloon_stats, because root can move the target
 * through /sys/devices/system/xen_memory without any xenstore event.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/nodemask.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/swap.h>
#include <linux/timekeeping.h>
#include <linux/vmstat.h>
#include <linux/workqueue.h>

#include <xen/balloon.h>
#include <xen/xen.h>
#include <xen/xenbus.h>

#include "floor.h"
#include "guard.h"
#include "memtune.h"
#include "parse.h"

#define PAGES_TO_KB(p)	((u64)(p) << (PAGE_SHIFT - 10))
#define KB_TO_PAGES(kb)	((unsigned long)DIV_ROUND_UP((u64)(kb), PAGE_SIZE / 1024))

/* Poll period: quick while a correction is settling, relaxed otherwise. */
#define GUARD_POLL_FAST_MS	20
#define GUARD_POLL_MS		250
/* After a refused memory/target, keep the restored target this long. */
#define GUARD_WINDOW_NS		(2 * NSEC_PER_SEC)
/* A target moved outside xenstore counts as good once stable this long. */
#define GUARD_STABLE_NS		NSEC_PER_SEC
/* Follow the balloon's dip after a correction at most this long. */
#define GUARD_DIP_NS		(10 * NSEC_PER_SEC)
/* Publish floor-kb again when it moved this much. */
#define GUARD_FLOOR_ACK_KB	4096

/*
 * The guard's state.  lock protects every field: the watch callback, the
 * poll work and sysfs (memtune_guard_settings_changed) all take it, so it
 * is a spinlock and nothing under it sleeps (balloon_set_new_target() only
 * stores and wakes the balloon thread; memtune_ack_*() only queue).
 */
static struct {
	spinlock_t lock;
	bool stopping;

	unsigned long good_pages;	/* last good balloon target, 0 = none */
	unsigned long seen_pages;	/* target the poll saw last */
	u64 seen_since_ns;		/* ... since then */
	unsigned long cur_ref_pages;	/* balloon current when last all good */

	u64 window_until_ns;		/* restore window after a refusal */
	unsigned long window_pages;	/* target held during the window */

	unsigned long floor_pages;	/* effective floor, 0 = none */
	const char *floor_reason;
	u64 acked_floor_kb;
	bool floor_acked;

	u64 static_max_kb;		/* memory/static-max, 0 = unknown */
	unsigned long target_diff_pages;	/* HVM: xenstore - balloon target */

	/* The balloon's dip after the last correction. */
	u64 dip_until_ns;
	unsigned long dip_ref_pages;
	unsigned long dip_min_pages;
	unsigned long dip_want_pages;

	u64 refusals;
	u64 dip_kb;
	u64 last_guard_ns;
} guard = {
	.lock = __SPIN_LOCK_UNLOCKED(guard.lock),
	.floor_reason = "none",
};

static struct delayed_work guard_poll;

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

/* Auto floor from the live counters (floor.h explains each term). */
static u64 auto_floor_kb(const char **reason)
{
	struct memtune_floor_input in = { 0 };
	enum memtune_floor_reason why;
	unsigned long cur = READ_ONCE(balloon_stats.current_pages);
	unsigned long ram = totalram_pages();
	u64 kb;

	in.unmanaged_kb = cur > ram ? PAGES_TO_KB(cur - ram) : 0;
	in.unevictable_kb = PAGES_TO_KB(global_node_page_state(NR_UNEVICTABLE));
	in.mlocked_kb = PAGES_TO_KB(global_zone_page_state(NR_MLOCK));
	in.kernel_stack_kb = global_node_page_state(NR_KERNEL_STACK_KB);
	in.slab_unreclaimable_kb =
		PAGES_TO_KB(global_node_page_state_pages(NR_SLAB_UNRECLAIMABLE_B));
	in.page_tables_kb = PAGES_TO_KB(global_node_page_state(NR_PAGETABLE));
	in.min_free_kb = min_free_kb_now();
	in.anon_kb = PAGES_TO_KB(global_node_page_state(NR_ANON_MAPPED));
	in.shmem_kb = PAGES_TO_KB(global_node_page_state(NR_SHMEM));
	in.swap_free_kb = PAGES_TO_KB(max(get_nr_swap_pages(), 0L));
	in.margin_kb = memtune_floor_default_margin_kb(PAGES_TO_KB(ram));

	kb = memtune_floor_kb(&in, &why);
	*reason = memtune_floor_reason_name(why);
	return kb;
}

/* Highest balloon target Xen will back: static-max in balloon terms. */
static unsigned long cap_pages_locked(void)
{
	unsigned long max_pages;

	if (!guard.static_max_kb)
		return 0;
	max_pages = guard.static_max_kb >> (PAGE_SHIFT - 10);
	return max_pages > guard.target_diff_pages ?
		max_pages - guard.target_diff_pages : 0;
}

/*
 * Recompute the floor for the current mode and publish it (floor_kb,
 * floor-kb in xenstore when it moved).  Never above the cap: a floor the
 * domain cannot have would make the guard chase it forever.
 */
static void update_floor_locked(bool force_ack)
{
	enum memtune_floor_mode mode = READ_ONCE(memtune.floor_mode);
	unsigned long cap = cap_pages_locked();
	const char *reason;
	u64 kb;

	switch (mode) {
	case MEMTUNE_FLOOR_AUTO:
		kb = auto_floor_kb(&reason);
		break;
	case MEMTUNE_FLOOR_FIXED:
		kb = READ_ONCE(memtune.floor_fixed_kb);
		reason = "fixed";
		break;
	default:
		kb = 0;
		reason = "off";
		break;
	}
	guard.floor_pages = KB_TO_PAGES(kb);
	if (cap && guard.floor_pages > cap)
		guard.floor_pages = cap;
	guard.floor_reason = reason;
	kb = PAGES_TO_KB(guard.floor_pages);
	WRITE_ONCE(memtune.floor_kb, kb);

	if (force_ack || !guard.floor_acked ||
	    kb >= guard.acked_floor_kb + GUARD_FLOOR_ACK_KB ||
	    kb + GUARD_FLOOR_ACK_KB <= guard.acked_floor_kb) {
		guard.acked_floor_kb = kb;
		guard.floor_acked = true;
		memtune_ack_floor(kb);
	}
}

/* Start following how deep the balloon goes before it turns back. */
static void start_dip_locked(unsigned long want, unsigned long cur, u64 now)
{
	guard.dip_ref_pages = min(guard.cur_ref_pages, want);
	guard.dip_min_pages = cur;
	guard.dip_want_pages = want;
	guard.dip_until_ns = now + GUARD_DIP_NS;
}

static void follow_dip_locked(unsigned long cur, u64 now)
{
	if (!guard.dip_until_ns)
		return;
	guard.dip_min_pages = min(guard.dip_min_pages, cur);
	if (cur >= guard.dip_want_pages || now >= guard.dip_until_ns) {
		guard.dip_kb = guard.dip_ref_pages > guard.dip_min_pages ?
			PAGES_TO_KB(guard.dip_ref_pages - guard.dip_min_pages) : 0;
		guard.dip_until_ns = 0;
	}
}

/*
 * Set the balloon target to want.  since_ns is when the bad target was
 * first known (the watch event), for the reaction time.  Records how much
 * the balloon had already released below what want allows.
 */
static void set_target_locked(unsigned long want, unsigned long cur,
			      u64 since_ns, u64 now)
{
	unsigned long ref = min(guard.cur_ref_pages, want);

	balloon_set_new_target(want);
	WRITE_ONCE(memtune.stats.guard_released_kb,
		   ref > cur ? PAGES_TO_KB(ref - cur) : 0);
	WRITE_ONCE(memtune.stats.guard_reaction_ns,
		   since_ns && now > since_ns ? now - since_ns : 0);
	guard.last_guard_ns = now;
	guard.refusals++;
	start_dip_locked(want, cur, now);
}

/*
 * The balloon target as the guard finds it, outside any watch event: undo a
 * refused value during its window, raise below the floor, cap above
 * static-max, and otherwise learn it as good once it has been stable.
 */
static void check_target_locked(u64 now)
{
	unsigned long tgt = READ_ONCE(balloon_stats.target_pages);
	unsigned long cur = READ_ONCE(balloon_stats.current_pages);
	unsigned long floor = guard.floor_pages;
	unsigned long cap = cap_pages_locked();

	follow_dip_locked(cur, now);

	if (guard.window_until_ns && now < guard.window_until_ns) {
		if (tgt != guard.window_pages) {
			set_target_locked(guard.window_pages, cur, 0, now);
			atomic64_inc(&memtune.stats.guard_restores);
			memtune_ack_restored(PAGES_TO_KB(guard.window_pages));
		}
		return;
	}
	guard.window_until_ns = 0;

	if (tgt == guard.seen_pages) {
		/*
		 * Unchanged.  If the floor has grown above it, the guest needs
		 * more memory than it was given: floor-kb tells Dom0, but the
		 * guard does not ask Xen for memory on its own.
		 */
		if (now - guard.seen_since_ns >= GUARD_STABLE_NS)
			guard.good_pages = tgt;
		if (!guard.dip_until_ns)
			guard.cur_ref_pages = cur;
		return;
	}

	/*
	 * The target moved without the watch handing it over: root wrote the
	 * balloon's sysfs target, or the balloon applied a memory/target
	 * value before watch.c handed it to the guard.  Not a refusal (that
	 * is the watch's to report, and it may be on its way): only the
	 * restored target goes to Dom0, and good_pages stays, because a
	 * refused value must go back to the last good target.
	 */
	if (floor && tgt < floor) {
		set_target_locked(floor, cur, 0, now);
		atomic64_inc(&memtune.stats.guard_raises);
		memtune_ack_restored(PAGES_TO_KB(floor));
		pr_warn_ratelimited("balloon target %llu kB is below the floor (%s); raised to %llu kB\n",
				    PAGES_TO_KB(tgt), guard.floor_reason,
				    PAGES_TO_KB(floor));
		tgt = floor;
	} else if (cap && tgt > cap) {
		set_target_locked(cap, cur, 0, now);
		atomic64_inc(&memtune.stats.guard_caps);
		memtune_ack_restored(PAGES_TO_KB(cap));
		pr_warn_ratelimited("balloon target %llu kB is above static-max; capped at %llu kB\n",
				    PAGES_TO_KB(tgt), PAGES_TO_KB(cap));
		tgt = cap;
	}
	guard.seen_pages = tgt;
	guard.seen_since_ns = now;
	if (!guard.dip_until_ns)
		guard.cur_ref_pages = cur;
	/*
	 * No xenstore event comes for a sysfs write: start the pass that sizes
	 * the values for the new target (when the watch's event is on its way
	 * instead, the two coalesce into one pass).
	 */
	memtune_request_resize();
}

static void guard_poll_fn(struct work_struct *work)
{
	unsigned long delay_ms;

	spin_lock(&guard.lock);
	if (guard.stopping) {
		spin_unlock(&guard.lock);
		return;
	}
	update_floor_locked(false);
	check_target_locked(ktime_get_ns());
	delay_ms = guard.window_until_ns || guard.dip_until_ns ?
		GUARD_POLL_FAST_MS : GUARD_POLL_MS;
	spin_unlock(&guard.lock);

	queue_delayed_work(system_highpri_wq, &guard_poll,
			   msecs_to_jiffies(delay_ms));
}

/*
 * Speed the poll up now (a correction or a window has started).  Under
 * guard.lock and only before memtune_guard_exit() set stopping, so nothing
 * queues the work again once it has been cancelled.
 */
static void kick_poll_locked(void)
{
	if (!guard.stopping)
		mod_delayed_work(system_highpri_wq, &guard_poll,
				 msecs_to_jiffies(GUARD_POLL_FAST_MS));
}

void memtune_guard_target_event(const struct memtune_target_event *ev)
{
	unsigned long tgt, cur, want, expected;
	u64 now = ktime_get_ns();
	bool in_window;

	spin_lock(&guard.lock);
	if (guard.stopping)
		goto out;
	if (ev->static_max_kb)
		guard.static_max_kb = ev->static_max_kb;
	update_floor_locked(false);
	tgt = READ_ONCE(balloon_stats.target_pages);
	cur = READ_ONCE(balloon_stats.current_pages);
	follow_dip_locked(cur, now);

	if (!ev->raw) {
		/* Node gone: the balloon ignores that, and so does the guard. */
		check_target_locked(now);
		goto out;
	}

	if (ev->parse_err) {
		/*
		 * watch.c refused and reported the value; the balloon may
		 * have acted on its own reading of it.  Put back the last good
		 * target (never below the floor) and hold it for a while: the
		 * balloon's watch may run after ours.
		 */
		want = guard.good_pages ? guard.good_pages : tgt;
		want = max(want, guard.floor_pages);
		guard.window_pages = want;
		guard.window_until_ns = now + GUARD_WINDOW_NS;
		guard.seen_pages = want;
		guard.seen_since_ns = now;
		if (tgt != want) {
			set_target_locked(want, cur, ev->event_ns, now);
			atomic64_inc(&memtune.stats.guard_restores);
		}
		memtune_ack_restored(PAGES_TO_KB(want));
		kick_poll_locked();
		goto out;
	}

	/* A valid value ends any restore window. */
	in_window = guard.window_until_ns != 0;
	guard.window_until_ns = 0;
	expected = ev->target_kb >> (PAGE_SHIFT - 10);
	expected = expected > guard.target_diff_pages ?
		expected - guard.target_diff_pages : 0;
	if (guard.floor_pages && expected < guard.floor_pages) {
		want = guard.floor_pages;
		if (tgt != want)
			set_target_locked(want, cur, ev->event_ns, now);
		else
			guard.refusals++;
		atomic64_inc(&memtune.stats.guard_raises);
		atomic64_inc(&memtune.stats.rejected);
		memtune_ack_refusal(ev->raw, "below floor", PAGES_TO_KB(want));
		pr_warn_ratelimited("memory/target %llu kB is below the floor (%s); balloon target held at %llu kB\n",
				    ev->target_kb, guard.floor_reason,
				    PAGES_TO_KB(want));
		guard.good_pages = want;
		guard.seen_pages = want;
		guard.seen_since_ns = now;
		/* If the balloon's watch runs after ours, undo it too. */
		guard.window_pages = want;
		guard.window_until_ns = now + GUARD_WINDOW_NS;
		kick_poll_locked();
		goto out;
	}
	if (in_window && tgt != expected) {
		/*
		 * The balloon's watch may have applied this value before ours
		 * ran, and the poll, still inside the window, put the window's
		 * target back over it.  The operator's value wins: apply it.
		 */
		balloon_set_new_target(expected);
	}
	guard.good_pages = expected;
	guard.seen_pages = expected;
	guard.seen_since_ns = now;
out:
	spin_unlock(&guard.lock);
}

void memtune_guard_settings_changed(void)
{
	spin_lock(&guard.lock);
	if (!guard.stopping) {
		update_floor_locked(true);
		/* Root moved the floor: hold the target to the new one now. */
		guard.seen_pages = 0;
		check_target_locked(ktime_get_ns());
		kick_poll_locked();
	}
	spin_unlock(&guard.lock);
}

void memtune_guard_get_info(struct memtune_guard_info *info)
{
	spin_lock(&guard.lock);
	info->refusals = guard.refusals;
	info->dip_kb = guard.dip_kb;
	info->last_guard_ns = guard.last_guard_ns;
	info->static_max_kb = guard.static_max_kb;
	info->floor_reason = guard.floor_reason;
	spin_unlock(&guard.lock);
}

/* A node in KiB, strictly parsed; 0 if absent or not a valid size. */
static u64 read_kb_node(const char *node)
{
	char *raw = xenbus_read(XBT_NIL, "memory", node, NULL);
	u64 kb;

	if (IS_ERR(raw))
		return 0;
	if (memtune_parse_xs_target(raw, strlen(raw), &kb, NULL))
		kb = 0;
	kfree(raw);
	return kb;
}

int memtune_guard_init(void)
{
	unsigned long tgt = READ_ONCE(balloon_stats.target_pages);
	u64 static_max_kb = 0, target_kb = 0;
	unsigned long diff = 0;

	INIT_DELAYED_WORK(&guard_poll, guard_poll_fn);

	/*
	 * xen-balloon.c: HVM and PVH guests apply memory/target minus the part
	 * of static-max they never saw as RAM (target_diff); PV guests and
	 * Dom0 apply it as it is.  Measure that difference once, at load.
	 */
	static_max_kb = read_kb_node("static-max");
	if (!xen_pv_domain() && !xen_initial_domain()) {
		target_kb = read_kb_node("target");
		if (target_kb >> (PAGE_SHIFT - 10) > tgt)
			diff = (target_kb >> (PAGE_SHIFT - 10)) - tgt;
	}

	spin_lock(&guard.lock);
	guard.stopping = false;
	guard.static_max_kb = static_max_kb;
	guard.target_diff_pages = diff;
	guard.good_pages = tgt;
	guard.seen_pages = tgt;
	guard.seen_since_ns = ktime_get_ns();
	guard.cur_ref_pages = READ_ONCE(balloon_stats.current_pages);
	update_floor_locked(true);
	spin_unlock(&guard.lock);

	pr_info("floor guard: floor %llu kB (%s), static-max %llu kB\n",
		READ_ONCE(memtune.floor_kb), guard.floor_reason, static_max_kb);
	queue_delayed_work(system_highpri_wq, &guard_poll, 0);
	return 0;
}

void memtune_guard_exit(void)
{
	spin_lock(&guard.lock);
	guard.stopping = true;
	spin_unlock(&guard.lock);
	cancel_delayed_work_sync(&guard_poll);
}
