// SPDX-License-Identifier: GPL-2.0
/*
 * xenstore watches and settle detection.
 *
 * Three xenbus watches, registered from a xenstore notifier as xen-balloon.c
 * does: memory/target (beside the balloon driver's own watch),
 * memtune/resize (an operator token in Dom0's hands) and memory/static-max
 * (kept in a cache, so a target event costs one xenstore read, not two).
 * Their callbacks run in the xenwatch thread that every Xen driver shares,
 * so they only read the node, hand memory/target to the guard and
 * (re)queue settle_work.
 * A memory hotplug notifier (balloon hot-add beyond the boot size) queues
 * it too.
 *
 * settle_work is the pass: while the balloon moves it polls balloon_stats
 * every settle_ms; the balloon has settled when current == target or when
 * current has not moved for stall_ms (a target Xen cannot meet, hotplug
 * memory waiting to be onlined).  Shrink first, grow last: when the target
 * is below the current size the values are lowered at once for the target
 * size; a grow is applied only once settled, when the memory is there.
 * Every settled pass recomputes from what the kernel really has.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/err.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/memory.h>
#include <linux/mm.h>
#include <linux/notifier.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/workqueue.h>

#include <xen/balloon.h>
#include <xen/xenbus.h>

#include "memtune.h"
#include "parse.h"

#define PAGES_TO_KB(p)	((u64)(p) << (PAGE_SHIFT - 10))

/*
 * Between the callbacks (xenwatch thread, sysfs) and the pass: atomics and
 * a spinlock, so a callback never waits for a pass that holds memtune.lock.
 */
static atomic64_t burst_start_ns;	/* first event of the burst, 0 = none */

/*
 * What a callback hands to the pass.  Protected by event_lock: the pass
 * takes new_event and pending_target_kb together, so a pass that sees a
 * target also consumed (now or earlier) the event that brought it, and its
 * settle logic waits for the balloon to follow before echoing it to Dom0.
 */
static DEFINE_SPINLOCK(event_lock);
/*
 * Nothing may queue a pass: before memtune_watch_init() has set up the
 * work (the guard's poll starts first) and from module exit on.  Set and
 * tested under event_lock, so no pass is queued after exit cancelled it;
 * the pass's own re-queue reads it without the lock, which is enough
 * because cancel_delayed_work_sync() copes with a self-requeueing work.
 */
static bool stopping = true;
static bool new_event;			/* an event arrived since the pass looked */
static u64 pending_target_kb;		/* last accepted memory/target */
static char pending_token[MEMTUNE_TOKEN_MAX];	/* memtune/resize token */
static bool token_pending;

/* Settle tracking, used only by settle_work (ordered wq: one at a time). */
static unsigned long settle_last_cur;	/* pages */
static u64 settle_progress_ns;		/* when current last moved */
static unsigned long shrunk_for_target;	/* target the shrink pass was done for */
static u64 settle_event_ns;		/* when the pass first saw the last event */
static unsigned long settle_event_target;	/* balloon target at that moment */
static u64 pass_target_kb;		/* memory/target the pass has seen, KiB */

/*
 * memory/static-max in KiB, 0 = unknown; written by its watch callback,
 * read by the target callback (both in the xenwatch thread, in the order
 * the events came: a mem-max before a mem-set is seen first).
 */
static atomic64_t static_max_kb;

/* Set by the notifier, cleared at exit. */
static bool target_registered;
static bool resize_registered;
static bool static_max_registered;

/*
 * Queue a pass now; count it as coalesced if one was already waiting.
 * target_kb: the memory/target value that caused it, 0 for other causes.
 */
static void queue_pass(u64 now_ns, u64 target_kb)
{
	spin_lock(&event_lock);
	if (stopping)
		goto out;
	new_event = true;
	if (target_kb)
		pending_target_kb = target_kb;
	atomic64_cmpxchg(&burst_start_ns, 0, now_ns);
	WRITE_ONCE(memtune.stats.last_event_ns, now_ns);
	if (mod_delayed_work(memtune.wq, &memtune.settle_work, 0))
		atomic64_inc(&memtune.stats.coalesced);
out:
	spin_unlock(&event_lock);
}

static void set_stopping(bool value)
{
	spin_lock(&event_lock);
	stopping = value;
	spin_unlock(&event_lock);
}

void memtune_request_resize(void)
{
	queue_pass(ktime_get_ns(), 0);
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
	struct memtune_target_event ev = { .event_ns = ktime_get_ns() };
	unsigned int len, i;
	char *raw = read_node("memory", "target", &len);

	atomic64_inc(&memtune.stats.events);
	ev.raw = raw;
	ev.parse_err = -ENOENT;
	if (raw) {
		enum memtune_verdict why = MEMTUNE_VERDICT_OK;

		ev.static_max_kb = atomic64_read(&static_max_kb);
		/* The stored length: "5242\0junk" must not pass as 5242. */
		ev.parse_err = memtune_parse_xs_target(raw, len, &ev.target_kb, &why);
		if (!ev.parse_err)
			ev.parse_err = memtune_check_target(ev.target_kb,
							    ev.static_max_kb, &why);
		if (ev.parse_err) {
			/* Show all of a refused value, embedded NULs included. */
			for (i = 0; i < len; i++)
				if (!raw[i])
					raw[i] = '?';
			refuse_target(raw, why);
		} else {
			WRITE_ONCE(memtune.last_good_target_kb, ev.target_kb);
		}
	}

	memtune_guard_target_event(&ev);
	kfree(raw);

	/* A refused value changes nothing here; the guard undoes the balloon's. */
	if (!raw || !ev.parse_err)
		queue_pass(ev.event_ns, raw ? ev.target_kb : 0);
}

static void resize_requested(struct xenbus_watch *watch, const char *path,
			     const char *token)
{
	char *raw = read_node("memtune", "resize", NULL);

	/* Fires once at registration; an absent node asks for nothing. */
	if (!raw)
		return;
	atomic64_inc(&memtune.stats.events);
	spin_lock(&event_lock);
	strscpy(pending_token, raw, sizeof(pending_token));
	token_pending = true;
	spin_unlock(&event_lock);
	kfree(raw);
	queue_pass(ktime_get_ns(), 0);
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

/* memtune.lock held.  Lower what the target size calls for, before the balloon takes it. */
static void shrink_first(unsigned long cur, unsigned long tgt)
{
	static struct memtune_values out;	/* 400 bytes: off the stack; ordered wq */
	unsigned long trp = totalram_pages();
	unsigned long gone = cur - tgt;
	u64 size_kb = PAGES_TO_KB(trp > gone ? trp - gone : 0);
	unsigned int id, i;

	if (!size_kb || memtune_compute_at(size_kb, &out))
		return;
	/* Only ever lower here: raising waits for the memory. */
	for (id = 0; id < MEMTUNE_NR_TUNABLES; id++) {
		struct memtune_tunable *t = &memtune.tunables[id];

		t->has_computed = out.computed & BIT(id);
		for (i = 0; i < t->nr_values; i++)
			t->computed[i] = min(out.val[id][i], t->value[i]);
	}
	memtune.applied_kb = size_kb;
	memtune_apply_computed();
	atomic64_inc(&memtune.stats.applies);
	WRITE_ONCE(memtune.stats.last_apply_ns, ktime_get_ns());
	memtune_ack_applied();
	if (memtune.mode != MEMTUNE_MODE_DRY_RUN)
		memtune_send_uevent("shrink");
}

/* memtune.lock held.  The balloon has settled: size everything for what is there. */
static void settled_pass(u64 now)
{
	u64 start = atomic64_xchg(&burst_start_ns, 0);
	u64 done;

	WRITE_ONCE(memtune.stats.last_settle_ns, now);
	if (start)
		WRITE_ONCE(memtune.stats.settle_duration_ns, now - start);

	memtune.state = MEMTUNE_STATE_APPLYING;
	memtune_apply_now();
	done = ktime_get_ns();

	atomic64_inc(&memtune.stats.applies);
	WRITE_ONCE(memtune.stats.last_apply_ns, done);
	WRITE_ONCE(memtune.stats.apply_duration_ns, done - now);
	if (start)
		WRITE_ONCE(memtune.stats.event_to_apply_ns, done - start);

	memtune.state = MEMTUNE_STATE_IDLE;
	memtune.answered_target_kb = pass_target_kb;
	memtune_ack_applied();
	/* dry-run reports in sysfs only; apply and notify tell udev/the agent. */
	if (memtune.mode != MEMTUNE_MODE_DRY_RUN)
		memtune_send_uevent(memtune_mode_name(memtune.mode));
}

static void settle_work_fn(struct work_struct *work)
{
	u64 now = ktime_get_ns();
	unsigned long cur, tgt;
	bool settled, fresh;

	mutex_lock(&memtune.lock);

	spin_lock(&event_lock);
	fresh = new_event;
	new_event = false;
	if (pending_target_kb)
		pass_target_kb = pending_target_kb;
	if (token_pending) {
		strscpy(memtune.token, pending_token, sizeof(memtune.token));
		token_pending = false;
	}
	spin_unlock(&event_lock);

	cur = READ_ONCE(balloon_stats.current_pages);
	tgt = READ_ONCE(balloon_stats.target_pages);
	memtune.current_kb = PAGES_TO_KB(cur);
	memtune.target_kb = PAGES_TO_KB(tgt);

	if (!memtune.enabled) {
		atomic64_set(&burst_start_ns, 0);
		if (memtune.state != MEMTUNE_STATE_DISABLED) {
			memtune.state = MEMTUNE_STATE_DISABLED;
			memtune_ack_state();
		}
		goto out;
	}

	if (fresh) {
		settle_event_ns = now;
		settle_event_target = tgt;
	}
	if (fresh || cur != settle_last_cur) {
		settle_last_cur = cur;
		settle_progress_ns = now;
	}

	if (tgt < cur && tgt != shrunk_for_target) {
		shrunk_for_target = tgt;
		shrink_first(cur, tgt);
	}

	/*
	 * Both memory/target watches run in the xenwatch thread, ours possibly
	 * before the balloon driver's: an event that has not moved the target
	 * (yet) gets one settle period before "current == target" counts.
	 */
	settled = (cur == tgt &&
		   (tgt != settle_event_target ||
		    now - settle_event_ns >= (u64)memtune.settle_ms * NSEC_PER_MSEC)) ||
		  now - settle_progress_ns >= (u64)memtune.stall_ms * NSEC_PER_MSEC;
	if (!settled) {
		if (memtune.state != MEMTUNE_STATE_SETTLING) {
			memtune.state = MEMTUNE_STATE_SETTLING;
			memtune_ack_state();
		}
		if (!READ_ONCE(stopping))
			queue_delayed_work(memtune.wq, &memtune.settle_work,
					   msecs_to_jiffies(memtune.settle_ms));
		goto out;
	}

	shrunk_for_target = 0;
	settled_pass(now);
out:
	mutex_unlock(&memtune.lock);
}

int memtune_watch_init(void)
{
	int err;

	INIT_DELAYED_WORK(&memtune.settle_work, settle_work_fn);
	set_stopping(false);

	/* The load pass: an HVM guest below maxmem was sized for maxmem. */
	memtune_request_resize();

	err = register_memory_notifier(&memory_nb);
	if (err)
		goto err_stop;
	/* Calls xenstore_ready() now if xenstore is up, else when it comes. */
	err = register_xenstore_notifier(&xenstore_nb);
	if (err)
		goto err_memory;
	return 0;

err_memory:
	unregister_memory_notifier(&memory_nb);
err_stop:
	set_stopping(true);
	cancel_delayed_work_sync(&memtune.settle_work);
	return err;
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
	set_stopping(true);
	cancel_delayed_work_sync(&memtune.settle_work);
}
