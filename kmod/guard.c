// SPDX-License-Identifier: GPL-2.0
/*
 * Balloon floor guard, the decisions: one mistyped or hostile memory/target
 * must not kill the guest.
 *
 * The balloon driver reads memory/target with "%llu" and applies whatever
 * it got, with no floor and no cap: "0", "0x80000" or a value wrapped past
 * 2^64 make the guest hand all its memory to Xen and die.  The guard puts
 * the driver's target (balloon_stats.target_pages) back:
 *
 *  - memory/target refused by the strict parser (watch.c): back to the last
 *    good target, at once, and for MEMTUNE_GUARD_WINDOW_NS after it in case
 *    the balloon's own watch runs after ours;
 *  - a valid target below the floor: raised to the floor;
 *  - a target that moved without a watch event (the balloon's sysfs
 *    target_kb): raised to the floor if below it, capped at static-max if
 *    above it.
 *
 * The guard acts on targets, not on the floor: when the workload pushes
 * the auto floor above an unchanged target, it only publishes the floor
 * (floor-kb), it does not ask Xen for more memory on its own.
 *
 * Pure (guard.h): no lock, no clock, no Xen; watch.c performs the actions.
 */

#include <linux/kernel.h>
#include <linux/minmax.h>
#include <linux/mm.h>

#include "guard.h"

#define PAGES_TO_KB(p)	((u64)(p) << (PAGE_SHIFT - 10))
#define KB_TO_PAGES(kb)	((unsigned long)DIV_ROUND_UP((u64)(kb), PAGE_SIZE / 1024))

unsigned long memtune_guard_target_offset(const struct memtune_guard *g,
					  const struct memtune_guard_sample *s)
{
	u64 kb = g->offset_static_max_kb ?: s->static_max_kb;
	unsigned long max_pages = kb >> (PAGE_SHIFT - 10);

	if (!s->target_offset || !kb)
		return 0;
	return max_pages > s->total_pages ? max_pages - s->total_pages : 0;
}

/* The first static-max known is the one the offset is measured from. */
static void note_static_max(struct memtune_guard *g,
			    const struct memtune_guard_sample *s)
{
	if (!g->offset_static_max_kb)
		g->offset_static_max_kb = s->static_max_kb;
}

unsigned long memtune_guard_cap_pages(const struct memtune_guard *g,
				      const struct memtune_guard_sample *s)
{
	unsigned long max_pages = s->static_max_kb >> (PAGE_SHIFT - 10);
	unsigned long offset = memtune_guard_target_offset(g, s);

	if (!s->static_max_kb)
		return 0;
	return max_pages > offset ? max_pages - offset : 0;
}

static unsigned int next_poll_ms(const struct memtune_guard *g)
{
	return g->window_until_ns || g->dip_until_ns ?
		MEMTUNE_GUARD_POLL_FAST_MS : MEMTUNE_GUARD_POLL_MS;
}

/*
 * The floor for the current mode, never above the cap: a floor the domain
 * cannot have would make the guard chase it forever.  Published again when
 * forced or when it moved by MEMTUNE_GUARD_FLOOR_ACK_KB.
 */
static void update_floor(struct memtune_guard *g,
			 const struct memtune_guard_sample *s, bool force_ack,
			 struct memtune_guard_action *act)
{
	unsigned long cap = memtune_guard_cap_pages(g, s);
	enum memtune_floor_reason why;
	u64 kb;

	switch (s->floor_mode) {
	case MEMTUNE_FLOOR_AUTO:
		kb = memtune_floor_kb(&s->floor, &why);
		g->floor_reason = memtune_floor_reason_name(why);
		break;
	case MEMTUNE_FLOOR_FIXED:
		kb = s->floor_fixed_kb;
		g->floor_reason = "fixed";
		break;
	default:
		kb = 0;
		g->floor_reason = "off";
		break;
	}
	g->floor_pages = KB_TO_PAGES(kb);
	if (cap && g->floor_pages > cap)
		g->floor_pages = cap;
	kb = PAGES_TO_KB(g->floor_pages);
	act->floor_kb = kb;

	if (force_ack || !g->floor_acked ||
	    kb >= g->acked_floor_kb + MEMTUNE_GUARD_FLOOR_ACK_KB ||
	    kb + MEMTUNE_GUARD_FLOOR_ACK_KB <= g->acked_floor_kb) {
		g->acked_floor_kb = kb;
		g->floor_acked = true;
		act->ack_floor = true;
	}
}

/* Start following how deep the balloon goes before it turns back. */
static void start_dip(struct memtune_guard *g, unsigned long want,
		      unsigned long cur, u64 now)
{
	g->dip_ref_pages = min(g->cur_ref_pages, want);
	g->dip_min_pages = cur;
	g->dip_want_pages = want;
	g->dip_until_ns = now + MEMTUNE_GUARD_DIP_NS;
}

static void follow_dip(struct memtune_guard *g, unsigned long cur, u64 now)
{
	if (!g->dip_until_ns)
		return;
	g->dip_min_pages = min(g->dip_min_pages, cur);
	if (cur >= g->dip_want_pages || now >= g->dip_until_ns) {
		g->dip_kb = g->dip_ref_pages > g->dip_min_pages ?
			PAGES_TO_KB(g->dip_ref_pages - g->dip_min_pages) : 0;
		g->dip_until_ns = 0;
	}
}

/*
 * Undo a target: set it to want.  since_ns is when the bad target was first
 * known (the watch event), for the reaction time.  Records how much the
 * balloon had already released below what want allows.
 */
static void correct_target(struct memtune_guard *g,
			   const struct memtune_guard_sample *s,
			   unsigned long want, u64 since_ns,
			   struct memtune_guard_action *act)
{
	unsigned long ref = min(g->cur_ref_pages, want);
	unsigned long cur = s->current_pages;

	act->set_target = true;
	act->set_target_pages = want;
	act->correction = true;
	act->released_kb = ref > cur ? PAGES_TO_KB(ref - cur) : 0;
	act->reaction_ns = since_ns && s->now_ns > since_ns ?
		s->now_ns - since_ns : 0;
	g->last_guard_ns = s->now_ns;
	g->refusals++;
	start_dip(g, want, cur, s->now_ns);
}

/* A target set outside xenstore put to want, reported to Dom0 and the log. */
static void hold_target(struct memtune_guard *g,
			const struct memtune_guard_sample *s, unsigned long want,
			enum memtune_guard_warn warn,
			struct memtune_guard_action *act)
{
	correct_target(g, s, want, 0, act);
	act->restored_kb = PAGES_TO_KB(want);
	act->warn = warn;
	act->warn_from_kb = PAGES_TO_KB(s->target_pages);
	act->warn_to_kb = PAGES_TO_KB(want);
}

/*
 * The balloon target as the guard finds it, outside any watch event: undo a
 * refused value during its window, raise below the floor, cap above
 * static-max, and otherwise learn it as good once it has been stable.
 */
static void check_target(struct memtune_guard *g,
			 const struct memtune_guard_sample *s,
			 struct memtune_guard_action *act)
{
	unsigned long tgt = s->target_pages;
	unsigned long cur = s->current_pages;
	unsigned long floor = g->floor_pages;
	unsigned long cap = memtune_guard_cap_pages(g, s);
	u64 now = s->now_ns;

	follow_dip(g, cur, now);

	if (g->window_until_ns && now < g->window_until_ns) {
		if (tgt != g->window_pages) {
			correct_target(g, s, g->window_pages, 0, act);
			act->restored = true;
			act->restored_kb = PAGES_TO_KB(g->window_pages);
		}
		return;
	}
	g->window_until_ns = 0;

	if (tgt == g->seen_pages) {
		/*
		 * Unchanged.  If the floor has grown above it, the guest needs
		 * more memory than it was given: floor-kb tells Dom0, but the
		 * guard does not ask Xen for memory on its own.
		 */
		if (now - g->seen_since_ns >= MEMTUNE_GUARD_STABLE_NS)
			g->good_pages = tgt;
		if (!g->dip_until_ns)
			g->cur_ref_pages = cur;
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
		hold_target(g, s, floor, MEMTUNE_GUARD_WARN_BELOW_FLOOR, act);
		act->raised = true;
		tgt = floor;
	} else if (cap && tgt > cap) {
		hold_target(g, s, cap, MEMTUNE_GUARD_WARN_ABOVE_MAX, act);
		act->capped = true;
		tgt = cap;
	}
	g->seen_pages = tgt;
	g->seen_since_ns = now;
	if (!g->dip_until_ns)
		g->cur_ref_pages = cur;
	/*
	 * No xenstore event comes for a sysfs write: a pass sizes the values
	 * for the new target (when the watch's event is on its way instead,
	 * the two coalesce into one pass).
	 */
	act->request_pass = true;
}

void memtune_guard_start(struct memtune_guard *g,
			 const struct memtune_guard_sample *s,
			 struct memtune_guard_action *act)
{
	note_static_max(g, s);
	g->good_pages = s->target_pages;
	g->seen_pages = s->target_pages;
	g->seen_since_ns = s->now_ns;
	g->cur_ref_pages = s->current_pages;
	g->window_until_ns = 0;
	g->dip_until_ns = 0;
	update_floor(g, s, true, act);
	act->poll_ms = 0;	/* poll at once */
}

void memtune_guard_on_event(struct memtune_guard *g,
			    const struct memtune_guard_sample *s,
			    const struct memtune_guard_event *ev,
			    struct memtune_guard_action *act)
{
	unsigned long tgt = s->target_pages;
	unsigned long want, expected, offset;
	u64 now = s->now_ns;
	bool in_window;

	note_static_max(g, s);
	update_floor(g, s, false, act);
	follow_dip(g, s->current_pages, now);

	if (!ev->present) {
		/* Node gone: the balloon ignores that, and so does the guard. */
		check_target(g, s, act);
		goto out;
	}

	if (!ev->valid) {
		/*
		 * watch.c refused and reported the value; the balloon may
		 * have acted on its own reading of it.  Put back the last good
		 * target (never below the floor) and hold it for a while: the
		 * balloon's watch may run after ours.
		 */
		want = g->good_pages ? g->good_pages : tgt;
		want = max(want, g->floor_pages);
		g->window_pages = want;
		g->window_until_ns = now + MEMTUNE_GUARD_WINDOW_NS;
		g->seen_pages = want;
		g->seen_since_ns = now;
		if (tgt != want) {
			correct_target(g, s, want, ev->event_ns, act);
			act->restored = true;
		}
		act->restored_kb = PAGES_TO_KB(want);
		goto out;
	}

	/* A valid value ends any restore window. */
	in_window = g->window_until_ns != 0;
	g->window_until_ns = 0;
	offset = memtune_guard_target_offset(g, s);
	expected = ev->target_kb >> (PAGE_SHIFT - 10);
	expected = expected > offset ? expected - offset : 0;
	if (g->floor_pages && expected < g->floor_pages) {
		want = g->floor_pages;
		if (tgt != want)
			correct_target(g, s, want, ev->event_ns, act);
		else
			g->refusals++;
		act->raised = true;
		act->rejected = true;
		act->refusal_reason = "below floor";
		act->restored_kb = PAGES_TO_KB(want);
		act->warn = MEMTUNE_GUARD_WARN_EVENT_BELOW_FLOOR;
		act->warn_from_kb = ev->target_kb;
		act->warn_to_kb = PAGES_TO_KB(want);
		g->good_pages = want;
		g->seen_pages = want;
		g->seen_since_ns = now;
		/* If the balloon's watch runs after ours, undo it too. */
		g->window_pages = want;
		g->window_until_ns = now + MEMTUNE_GUARD_WINDOW_NS;
		goto out;
	}
	if (in_window && tgt != expected) {
		/*
		 * The balloon's watch may have applied this value before ours
		 * ran, and the poll, still inside the window, put the window's
		 * target back over it.  The operator's value wins: apply it.
		 */
		act->set_target = true;
		act->set_target_pages = expected;
	}
	g->good_pages = expected;
	g->seen_pages = expected;
	g->seen_since_ns = now;
out:
	act->poll_ms = next_poll_ms(g);
}

void memtune_guard_on_poll(struct memtune_guard *g,
			   const struct memtune_guard_sample *s,
			   struct memtune_guard_action *act)
{
	note_static_max(g, s);
	update_floor(g, s, false, act);
	check_target(g, s, act);
	act->poll_ms = next_poll_ms(g);
}

void memtune_guard_on_floor(struct memtune_guard *g,
			    const struct memtune_guard_sample *s,
			    struct memtune_guard_action *act)
{
	note_static_max(g, s);
	update_floor(g, s, true, act);
	act->poll_ms = next_poll_ms(g);
}

void memtune_guard_on_settings(struct memtune_guard *g,
			       const struct memtune_guard_sample *s,
			       struct memtune_guard_action *act)
{
	note_static_max(g, s);
	update_floor(g, s, true, act);
	/* Root moved the floor: hold the target to the new one now. */
	g->seen_pages = 0;
	check_target(g, s, act);
	act->poll_ms = next_poll_ms(g);
}
