// SPDX-License-Identifier: GPL-2.0
/*
 * The pass: settle_work on the module's ordered workqueue, queued through
 * state.c's inbox by every event source (watch.c, sysfs.c, the guard,
 * memory hotplug) and by itself while the balloon moves.
 *
 * Each step reads balloon_stats and asks settle.c what the balloon is
 * doing, then acts under memtune.lock:
 *
 *  - shrink first: when the target is below the current size, the values
 *    are lowered at once for the target size, before the balloon takes
 *    the memory; a grow is applied only once settled, when the memory is
 *    there;
 *  - done (current == target): recompute from what the kernel really has,
 *    state "idle";
 *  - stalled (no progress for stall_ms: Xen refuses pages): the same, for
 *    the memory the guest really has, state "stalled" and stats/stalls,
 *    and keep watching: when the balloon moves again the values follow;
 *  - otherwise: step again in settle_ms.
 *
 * After each apply: the acknowledgement to Dom0 (xs_ack.c: applied-kb is
 * the size the values were computed for, target-kb the memory/target the
 * pass followed, state) and a KOBJ_CHANGE uevent.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/ctype.h>
#include <linux/kernel.h>
#include <linux/kobject.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/workqueue.h>

#include <xen/balloon.h>

#include "memtune.h"
#include "settle.h"

#define PAGES_TO_KB(p)	((u64)(p) << (PAGE_SHIFT - 10))

/*
 * The pass's own memory, used only by settle_work: the ordered workqueue
 * runs one at a time, and memtune.lock is held around every use.
 */
static struct memtune_settle settle;
static u64 pass_target_kb;	/* memory/target the pass has seen, KiB */

/*
 * KOBJ_CHANGE on xen_memtune0 (main.c) with every computed value, e.g.
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
	if (kobject_uevent_env(memtune.uevent_kobj, KOBJ_CHANGE, envp))
		atomic64_inc(&memtune.stats.errors);
out:
	for (i = 0; i < n; i++)
		kfree(envp[i]);
}

static void set_state(enum memtune_state state)
{
	if (memtune.state == state)
		return;
	WRITE_ONCE(memtune.state, state);
	memtune_ack_state();
}

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

/*
 * memtune.lock held.  The balloon is done (at target, or stalled): size
 * everything for what is there, and leave the state at "then".
 */
static void settled_pass(u64 now, enum memtune_state then)
{
	u64 start = memtune_take_burst_start();
	u64 done;

	WRITE_ONCE(memtune.stats.last_settle_ns, now);
	if (start)
		WRITE_ONCE(memtune.stats.settle_duration_ns, now - start);

	WRITE_ONCE(memtune.state, MEMTUNE_STATE_APPLYING);
	memtune_apply_now();
	done = ktime_get_ns();

	atomic64_inc(&memtune.stats.applies);
	WRITE_ONCE(memtune.stats.last_apply_ns, done);
	WRITE_ONCE(memtune.stats.apply_duration_ns, done - now);
	if (start)
		WRITE_ONCE(memtune.stats.event_to_apply_ns, done - start);

	WRITE_ONCE(memtune.state, then);
	memtune.answered_target_kb = pass_target_kb;
	memtune_ack_applied();
	/* dry-run reports in sysfs only; apply and notify tell udev/the agent. */
	if (memtune.mode != MEMTUNE_MODE_DRY_RUN)
		memtune_send_uevent(memtune_mode_name(memtune.mode));
}

static void settle_work_fn(struct work_struct *work)
{
	struct memtune_settle_input in = { .now_ns = ktime_get_ns() };
	struct memtune_settle_step step;

	mutex_lock(&memtune.lock);

	in.fresh = memtune_take_events(&pass_target_kb);
	in.current_pages = READ_ONCE(balloon_stats.current_pages);
	in.target_pages = READ_ONCE(balloon_stats.target_pages);
	in.settle_ms = memtune.settle_ms;
	in.stall_ms = memtune.stall_ms;
	memtune.current_kb = PAGES_TO_KB(in.current_pages);
	memtune.target_kb = PAGES_TO_KB(in.target_pages);

	if (!memtune.enabled) {
		memtune_take_burst_start();
		memset(&settle, 0, sizeof(settle));
		set_state(MEMTUNE_STATE_DISABLED);
		goto out;
	}

	memtune_settle_step(&settle, &in, &step);
	if (step.shrink_first)
		shrink_first(in.current_pages, in.target_pages);

	switch (step.verdict) {
	case MEMTUNE_SETTLE_IDLE:
		break;
	case MEMTUNE_SETTLE_WAIT:
		set_state(MEMTUNE_STATE_SETTLING);
		memtune_pass_again(step.poll_ms);
		break;
	case MEMTUNE_SETTLE_DONE:
		settled_pass(in.now_ns, MEMTUNE_STATE_IDLE);
		break;
	case MEMTUNE_SETTLE_STALLED:
		atomic64_inc(&memtune.stats.stalls);
		pr_info_ratelimited("balloon stalled at %llu kB (target %llu kB): values applied for the memory there\n",
				    PAGES_TO_KB(in.current_pages),
				    PAGES_TO_KB(in.target_pages));
		settled_pass(in.now_ns, MEMTUNE_STATE_STALLED);
		memtune_pass_again(step.poll_ms);
		break;
	case MEMTUNE_SETTLE_STILL_STALLED:
		memtune_pass_again(step.poll_ms);
		break;
	}
out:
	mutex_unlock(&memtune.lock);
}

void memtune_pass_init(void)
{
	INIT_DELAYED_WORK(&memtune.settle_work, settle_work_fn);
}

void memtune_pass_exit(void)
{
	cancel_delayed_work_sync(&memtune.settle_work);
}
