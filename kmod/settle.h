/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xen_memtune settle detection: when the balloon is done, as a pure
 * function of what the pass saw (pass.c runs it; KUnit tests it).
 *
 * A pass is armed by an event (memory/target, memtune/resize, sysfs, the
 * guard, memory hotplug) and stays armed until the balloon reaches its
 * target or the target changes:
 *
 *   current == target          -> DONE: apply for what is there; disarm.
 *   no progress for stall_ms   -> STALLED: apply for what is there (Xen
 *                                 refuses pages, the balloon thread backs
 *                                 off up to 32 s), once per stall, and keep
 *                                 watching every MEMTUNE_SETTLE_STALL_POLL_MS.
 *   current or target moves    -> the stall is over: settling again.
 *   otherwise                  -> WAIT settle_ms.
 *
 * Shrink first: when the target is below current, the step asks once per
 * target for the values to be lowered for the target size, before the
 * balloon takes the memory.  Both memory/target watches run in the
 * xenwatch thread, ours possibly before the balloon driver's: an event
 * that has not moved the balloon target (yet) gets one settle_ms before
 * "current == target" counts.
 */
#ifndef _XEN_MEMTUNE_SETTLE_H
#define _XEN_MEMTUNE_SETTLE_H

#include <linux/types.h>

/* While stalled, look at the balloon this often (it retries up to every 32 s). */
#define MEMTUNE_SETTLE_STALL_POLL_MS	1000

/* The pass's memory between two steps; zeroed at load. */
struct memtune_settle {
	bool armed;			/* waiting for the balloon */
	bool stalled;			/* applied for a stall, watching */
	unsigned long last_cur;		/* pages: current at the last step */
	unsigned long last_tgt;		/* pages: target at the last step */
	u64 progress_ns;		/* when current or target last moved */
	u64 event_ns;			/* when the step saw the last event */
	unsigned long event_target;	/* balloon target at that moment */
	unsigned long shrunk_for;	/* target lowered for, 0 = none */
};

struct memtune_settle_input {
	u64 now_ns;
	unsigned long current_pages;	/* balloon_stats.current_pages */
	unsigned long target_pages;	/* balloon_stats.target_pages */
	bool fresh;			/* an event since the last step */
	unsigned int settle_ms;
	unsigned int stall_ms;
};

enum memtune_settle_verdict {
	MEMTUNE_SETTLE_IDLE,		/* not armed: nothing to do */
	MEMTUNE_SETTLE_WAIT,		/* still moving: step again in poll_ms */
	MEMTUNE_SETTLE_DONE,		/* at target: apply, idle */
	MEMTUNE_SETTLE_STALLED,		/* just stalled: apply, stay armed */
	MEMTUNE_SETTLE_STILL_STALLED,	/* stalled and applied: step again in poll_ms */
};

struct memtune_settle_step {
	enum memtune_settle_verdict verdict;
	bool shrink_first;		/* lower the values for target_pages first */
	unsigned int poll_ms;		/* step again after this (WAIT, STALLED*) */
};

void memtune_settle_step(struct memtune_settle *st,
			 const struct memtune_settle_input *in,
			 struct memtune_settle_step *out);

#endif /* _XEN_MEMTUNE_SETTLE_H */
