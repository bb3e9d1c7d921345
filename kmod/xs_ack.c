// SPDX-License-Identifier: GPL-2.0
/*
 * Acknowledgement into the guest-writable xenstore area data/memtune/kmod/,
 * so Dom0 sees that the guest followed a resize and why a value was refused.
 *
 * Callers (the workqueue pass, the xenwatch thread, the guard) only record
 * what to write and queue ack_work; the xenstore round trips happen in the
 * module's workqueue, never in the xenwatch thread that every Xen driver
 * shares.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ctype.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/spinlock.h>
#include <linux/string.h>
#include <linux/workqueue.h>

#include <xen/xenbus.h>

#include "memtune.h"

#define ACK_DIR "data/memtune/kmod"

/* Bits of ack_pending.what: which groups of keys to (re)write. */
#define ACK_APPLIED	BIT(0)	/* applied-kb, target-kb, token, applied-at, state */
#define ACK_STATE	BIT(1)	/* state */
#define ACK_FLOOR	BIT(2)	/* floor-kb */
#define ACK_REFUSAL	BIT(3)	/* refused-value, refused-reason, refused-count */
#define ACK_RESTORED	BIT(4)	/* restored-kb */

/*
 * What the next ack_work writes.  Protected by ack_lock, a spinlock because
 * the xenwatch callback and the guard (under its own guard_lock) record
 * refusals without sleeping; ack_work copies it out under the lock and
 * talks to xenstore without it.  A leaf: nothing else is taken under it
 * but the workqueue's own lock (queue_work() is called after unlocking).
 */
static DEFINE_SPINLOCK(ack_lock);
struct ack_record {
	unsigned long what;
	u64 applied_kb;
	u64 target_kb;
	char token[MEMTUNE_TOKEN_MAX];
	s64 applied_at;
	char state[16];
	u64 floor_kb;
	char refused_value[MEMTUNE_REFUSED_MAX];
	char refused_reason[32];
	u64 refused_count;
	u64 restored_kb;
};

static struct ack_record ack_pending;

/* Set when the work must not be queued any more (module exit). */
static bool ack_stopped;

/*
 * xenstore answers requests.  In a Dom0 whose xenstored has not started
 * yet a request would wait for it and hold up the ordered workqueue (and
 * with it the passes); until the xenstore notifier runs, acks only
 * accumulate in ack_pending.
 */
static bool ack_xenstore_up;

static void ack_queue(void)
{
	if (!READ_ONCE(ack_stopped) && READ_ONCE(ack_xenstore_up))
		queue_work(memtune.wq, &memtune.ack_work);
}

/* The xenstore notifier ran: write what accumulated. */
void memtune_ack_xenstore_ready(void)
{
	WRITE_ONCE(ack_xenstore_up, true);
	ack_queue();
}

static void ack_set_state_locked(void)
{
	strscpy(ack_pending.state, memtune_state_name(memtune.state),
		sizeof(ack_pending.state));
}

/* memtune.lock held: snapshot the applied size, token and time. */
void memtune_ack_applied(void)
{
	spin_lock(&ack_lock);
	ack_pending.applied_kb = memtune.applied_kb;
	ack_pending.target_kb = memtune.answered_target_kb;
	strscpy(ack_pending.token, memtune.token, sizeof(ack_pending.token));
	ack_pending.applied_at = ktime_get_real_seconds();
	ack_set_state_locked();
	ack_pending.what |= ACK_APPLIED;
	spin_unlock(&ack_lock);
	ack_queue();
}

/* memtune.lock held. */
void memtune_ack_state(void)
{
	spin_lock(&ack_lock);
	ack_set_state_locked();
	ack_pending.what |= ACK_STATE;
	spin_unlock(&ack_lock);
	ack_queue();
}

void memtune_ack_floor(u64 floor_kb)
{
	spin_lock(&ack_lock);
	ack_pending.floor_kb = floor_kb;
	ack_pending.what |= ACK_FLOOR;
	spin_unlock(&ack_lock);
	ack_queue();
}

/*
 * A refused memory/target value.  value is what the node held (NULL if it
 * could not be read); only printable characters are kept so Dom0 reads a
 * clean string.
 */
void memtune_ack_refusal(const char *value, const char *reason, u64 restored_kb)
{
	unsigned int i;

	spin_lock(&ack_lock);
	for (i = 0; value && value[i] && i < sizeof(ack_pending.refused_value) - 1; i++)
		ack_pending.refused_value[i] = isprint(value[i]) ? value[i] : '?';
	ack_pending.refused_value[i] = '\0';
	strscpy(ack_pending.refused_reason, reason,
		sizeof(ack_pending.refused_reason));
	ack_pending.refused_count = atomic64_read(&memtune.stats.rejected);
	ack_pending.what |= ACK_REFUSAL;
	if (restored_kb) {
		ack_pending.restored_kb = restored_kb;
		ack_pending.what |= ACK_RESTORED;
	}
	spin_unlock(&ack_lock);
	ack_queue();
}

/* The guard put the balloon target back to restored_kb. */
void memtune_ack_restored(u64 restored_kb)
{
	spin_lock(&ack_lock);
	ack_pending.restored_kb = restored_kb;
	ack_pending.what |= ACK_RESTORED;
	spin_unlock(&ack_lock);
	ack_queue();
}

static int ack_write(struct xenbus_transaction xbt, const char *node,
		     const char *fmt, ...) __printf(3, 4);

static int ack_write(struct xenbus_transaction xbt, const char *node,
		     const char *fmt, ...)
{
	char buf[96];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return xenbus_write(xbt, ACK_DIR, node, buf);
}

/* One group of keys in one transaction, so Dom0 never sees half an ack. */
static int ack_write_group(unsigned long what, const struct ack_record *snap)
{
	struct xenbus_transaction xbt;
	int tries, err;

	for (tries = 0; tries < 8; tries++) {
		err = xenbus_transaction_start(&xbt);
		if (err)
			return err;
		if (what & ACK_APPLIED) {
			err = ack_write(xbt, "applied-kb", "%llu", snap->applied_kb);
			if (!err)
				err = ack_write(xbt, "target-kb", "%llu", snap->target_kb);
			if (!err)
				err = ack_write(xbt, "token", "%s", snap->token);
			if (!err)
				err = ack_write(xbt, "applied-at", "%lld",
						snap->applied_at);
		}
		if (!err && (what & (ACK_APPLIED | ACK_STATE)))
			err = ack_write(xbt, "state", "%s", snap->state);
		if (!err && (what & ACK_FLOOR))
			err = ack_write(xbt, "floor-kb", "%llu", snap->floor_kb);
		if (!err && (what & ACK_REFUSAL)) {
			err = ack_write(xbt, "refused-value", "%s",
					snap->refused_value);
			if (!err)
				err = ack_write(xbt, "refused-reason", "%s",
						snap->refused_reason);
			if (!err)
				err = ack_write(xbt, "refused-count", "%llu",
						snap->refused_count);
		}
		if (!err && (what & ACK_RESTORED))
			err = ack_write(xbt, "restored-kb", "%llu",
					snap->restored_kb);
		err = xenbus_transaction_end(xbt, err != 0) ?: err;
		if (err != -EAGAIN)
			return err;
	}
	return err;
}

static void ack_work_fn(struct work_struct *work)
{
	struct ack_record snap;
	int err;

	if (!READ_ONCE(ack_xenstore_up))
		return;
	spin_lock(&ack_lock);
	snap = ack_pending;
	ack_pending.what = 0;
	spin_unlock(&ack_lock);

	if (!snap.what)
		return;
	err = ack_write_group(snap.what, &snap);
	if (err) {
		atomic64_inc(&memtune.stats.errors);
		pr_warn_ratelimited("cannot write %s/: %d\n", ACK_DIR, err);
	}
}

void memtune_ack_init(void)
{
	INIT_WORK(&memtune.ack_work, ack_work_fn);
	WRITE_ONCE(ack_stopped, false);
	WRITE_ONCE(ack_xenstore_up, false);
}

/*
 * Module exit: write what is pending (the final state) now, then stop.
 * Called after the watches are gone and the pass is cancelled.
 */
void memtune_ack_flush(void)
{
	flush_work(&memtune.ack_work);
	WRITE_ONCE(ack_stopped, true);
	cancel_work_sync(&memtune.ack_work);
	ack_work_fn(&memtune.ack_work);
}
