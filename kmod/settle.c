// SPDX-License-Identifier: GPL-2.0
/*
 * xen_memtune settle detection; the rules are in settle.h.  Pure.
 */

#include <linux/kernel.h>
#include <linux/time64.h>

#include "settle.h"

void memtune_settle_step(struct memtune_settle *st,
			 const struct memtune_settle_input *in,
			 struct memtune_settle_step *out)
{
	unsigned long cur = in->current_pages, tgt = in->target_pages;
	u64 now = in->now_ns;
	bool at_target;

	out->shrink_first = false;
	out->poll_ms = in->settle_ms;

	if (in->fresh) {
		st->armed = true;
		st->stalled = false;
		st->event_ns = now;
		st->event_target = tgt;
		st->progress_ns = now;
	} else if (!st->armed) {
		out->verdict = MEMTUNE_SETTLE_IDLE;
		out->poll_ms = 0;
		return;
	}
	if (cur != st->last_cur || tgt != st->last_tgt) {
		/* Moving again: a stall is over, its values will follow. */
		st->last_cur = cur;
		st->last_tgt = tgt;
		st->progress_ns = now;
		st->stalled = false;
	}

	if (tgt < cur && tgt != st->shrunk_for) {
		st->shrunk_for = tgt;
		out->shrink_first = true;
	}

	at_target = cur == tgt &&
		    (tgt != st->event_target ||
		     now - st->event_ns >= (u64)in->settle_ms * NSEC_PER_MSEC);
	if (at_target) {
		st->armed = false;
		st->stalled = false;
		st->shrunk_for = 0;
		out->verdict = MEMTUNE_SETTLE_DONE;
		out->poll_ms = 0;
		return;
	}
	if (now - st->progress_ns < (u64)in->stall_ms * NSEC_PER_MSEC) {
		out->verdict = MEMTUNE_SETTLE_WAIT;
		return;
	}
	out->poll_ms = max_t(unsigned int, in->settle_ms,
			     MEMTUNE_SETTLE_STALL_POLL_MS);
	if (st->stalled) {
		out->verdict = MEMTUNE_SETTLE_STILL_STALLED;
		return;
	}
	st->stalled = true;
	out->verdict = MEMTUNE_SETTLE_STALLED;
}
