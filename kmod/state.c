// SPDX-License-Identifier: GPL-2.0
/*
 * The module's state: the one "memtune" instance, the names of its enums,
 * and the inbox through which every event source asks for a pass.
 *
 * This file calls no other file of the module: everything above it
 * (watch.c, sysfs.c, pass.c, apply.c, xs_ack.c, main.c) calls down into it,
 * so it is where the include and call graph of kmod/ ends.  The rules of
 * each lock are in memtune.h, next to the lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/workqueue.h>

#include "memtune.h"

struct memtune memtune;

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
	[MEMTUNE_STATE_STALLED] = "stalled",
};

static const char * const owner_names[] = {
	[MEMTUNE_OWNER_MODULE] = "module",
	[MEMTUNE_OWNER_ADMIN] = "admin",
	[MEMTUNE_OWNER_OFF] = "off",
	[MEMTUNE_OWNER_UNKNOWN] = "unknown",
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
 * The inbox: what the event sources (xenwatch callbacks, notifiers, sysfs,
 * the guard's poll) hand to the pass.  inbox_lock protects every field of
 * it; it is a leaf spinlock (nothing else is taken under it but the
 * workqueue's own), so a source never waits for a pass that holds
 * memtune.lock, and the pass takes the event and the target that came with
 * it together: a pass that sees a target has consumed the event that
 * brought it, and its settle step waits for the balloon to follow.
 */
static DEFINE_SPINLOCK(inbox_lock);
static struct {
	/*
	 * No pass may be queued: before memtune_pass_allow(true) (the pass's
	 * work is set up by then) and from memtune_pass_allow(false) on (exit),
	 * so no pass is queued after exit cancelled it.
	 */
	bool closed;
	bool fresh;			/* an event arrived since the pass looked */
	u64 target_kb;			/* last accepted memory/target, 0 = none */
	bool has_token;
	char token[MEMTUNE_TOKEN_MAX];	/* memtune/resize token */
	u64 burst_start_ns;		/* first event of the burst, 0 = none */
} inbox = { .closed = true };

void memtune_pass_allow(bool allow)
{
	spin_lock(&inbox_lock);
	inbox.closed = !allow;
	spin_unlock(&inbox_lock);
}

void memtune_request_pass(u64 now_ns, u64 target_kb)
{
	spin_lock(&inbox_lock);
	if (inbox.closed)
		goto out;
	inbox.fresh = true;
	if (target_kb)
		inbox.target_kb = target_kb;
	if (!inbox.burst_start_ns)
		inbox.burst_start_ns = now_ns;
	WRITE_ONCE(memtune.stats.last_event_ns, now_ns);
	if (mod_delayed_work(memtune.wq, &memtune.settle_work, 0))
		atomic64_inc(&memtune.stats.coalesced);
out:
	spin_unlock(&inbox_lock);
}

void memtune_request_resize(void)
{
	memtune_request_pass(ktime_get_ns(), 0);
}

void memtune_request_token(const char *token)
{
	spin_lock(&inbox_lock);
	strscpy(inbox.token, token, sizeof(inbox.token));
	inbox.has_token = true;
	spin_unlock(&inbox_lock);
	memtune_request_pass(ktime_get_ns(), 0);
}

bool memtune_take_events(u64 *target_kb)
{
	bool fresh;

	spin_lock(&inbox_lock);
	fresh = inbox.fresh;
	inbox.fresh = false;
	if (inbox.target_kb)
		*target_kb = inbox.target_kb;
	if (inbox.has_token) {
		strscpy(memtune.token, inbox.token, sizeof(memtune.token));
		inbox.has_token = false;
	}
	spin_unlock(&inbox_lock);
	return fresh;
}

u64 memtune_take_burst_start(void)
{
	u64 start;

	spin_lock(&inbox_lock);
	start = inbox.burst_start_ns;
	inbox.burst_start_ns = 0;
	spin_unlock(&inbox_lock);
	return start;
}

void memtune_pass_again(unsigned int delay_ms)
{
	spin_lock(&inbox_lock);
	if (!inbox.closed)
		queue_delayed_work(memtune.wq, &memtune.settle_work,
				   msecs_to_jiffies(delay_ms));
	spin_unlock(&inbox_lock);
}
