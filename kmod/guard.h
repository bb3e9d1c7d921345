/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xen_memtune floor guard: the decisions, as pure functions.
 *
 * State in, action out.  guard.c holds no lock, reads no Xen or kernel
 * state and has no side effect: the caller (watch.c) fills a sample from
 * balloon_stats and the memory counters, calls one of the three entry
 * points under its own lock, and performs the action it gets back
 * (balloon_set_new_target(), counters, acknowledgements, a log line, a
 * pass, the next poll).  KUnit tests every decision (tests/kunit/).
 *
 * Units: balloon targets in pages (balloon_stats), sizes in KiB, times in
 * ns (ktime_get_ns()).
 */
#ifndef _XEN_MEMTUNE_GUARD_H
#define _XEN_MEMTUNE_GUARD_H

#include <linux/time64.h>
#include <linux/types.h>

#include "floor.h"

/* Poll period: quick while a correction is settling, relaxed otherwise. */
#define MEMTUNE_GUARD_POLL_FAST_MS	20
#define MEMTUNE_GUARD_POLL_MS		250
/* After a refused memory/target, keep the restored target this long. */
#define MEMTUNE_GUARD_WINDOW_NS		(2 * NSEC_PER_SEC)
/* A target moved outside xenstore counts as good once stable this long. */
#define MEMTUNE_GUARD_STABLE_NS		NSEC_PER_SEC
/* Follow the balloon's dip after a correction at most this long. */
#define MEMTUNE_GUARD_DIP_NS		(10 * NSEC_PER_SEC)
/* Publish floor-kb again when it moved this much. */
#define MEMTUNE_GUARD_FLOOR_ACK_KB	4096

enum memtune_floor_mode {
	MEMTUNE_FLOOR_AUTO,	/* computed from what the guest cannot give back */
	MEMTUNE_FLOOR_FIXED,	/* floor_fixed_kb */
	MEMTUNE_FLOOR_OFF,	/* no guard */
};

/* What the guard remembers between two calls; zeroed, then memtune_guard_start(). */
struct memtune_guard {
	unsigned long good_pages;	/* last good balloon target, 0 = none */
	unsigned long seen_pages;	/* target the guard saw last */
	u64 seen_since_ns;		/* ... since then */
	unsigned long cur_ref_pages;	/* balloon current when last all good */

	u64 window_until_ns;		/* restore window after a refusal, 0 = none */
	unsigned long window_pages;	/* target held during the window */

	unsigned long floor_pages;	/* effective floor, 0 = none */
	const char *floor_reason;	/* largest term of the auto floor, or mode */
	u64 acked_floor_kb;		/* floor-kb last published */
	bool floor_acked;

	/*
	 * memory/static-max as the guard first saw it, 0 = not yet: the
	 * HVM/PVH offset is measured from it, because the balloon driver
	 * keeps the offset of its first event even when static-max is
	 * rewritten later (Debian's xl 4.17 mem-max does).
	 */
	u64 offset_static_max_kb;

	/* The balloon's dip after the last correction. */
	u64 dip_until_ns;		/* 0 = not following */
	unsigned long dip_ref_pages;
	unsigned long dip_min_pages;
	unsigned long dip_want_pages;

	/* Reported in sysfs (stats/). */
	u64 refusals;			/* targets the guard refused or undid */
	u64 dip_kb;			/* last: deepest fall below the restored target */
	u64 last_guard_ns;		/* last correction, 0 = none */
};

/* What the caller read just before the call. */
struct memtune_guard_sample {
	u64 now_ns;
	unsigned long target_pages;	/* balloon_stats.target_pages */
	unsigned long current_pages;	/* balloon_stats.current_pages */
	unsigned long total_pages;	/* balloon_stats.total_pages */
	/*
	 * HVM and PVH guests (not Dom0): the balloon applies memory/target
	 * minus the part of static-max it never saw as RAM (xen-balloon.c
	 * target_diff); PV guests and Dom0 apply it as it is.
	 */
	bool target_offset;
	u64 static_max_kb;		/* memory/static-max, 0 = unknown */
	enum memtune_floor_mode floor_mode;
	u64 floor_fixed_kb;
	struct memtune_floor_input floor;	/* auto mode's terms */
};

/* A memory/target event as the watch parsed it. */
struct memtune_guard_event {
	bool present;		/* the node could be read */
	bool valid;		/* parsed and in range (parse.h) */
	u64 target_kb;		/* when valid */
	u64 event_ns;		/* when the watch callback ran */
};

/* Which log line the action asks for (rate-limited by the caller). */
enum memtune_guard_warn {
	MEMTUNE_GUARD_WARN_NONE,
	MEMTUNE_GUARD_WARN_EVENT_BELOW_FLOOR,	/* memory/target below the floor */
	MEMTUNE_GUARD_WARN_BELOW_FLOOR,		/* balloon target below the floor */
	MEMTUNE_GUARD_WARN_ABOVE_MAX,		/* balloon target above static-max */
};

/* What the caller does, in this order; a zero field means "nothing". */
struct memtune_guard_action {
	bool set_target;		/* balloon_set_new_target(set_target_pages) */
	unsigned long set_target_pages;
	bool correction;		/* ... undoing a target: record the two below */
	u64 released_kb;		/* stats/guard_released_kb */
	u64 reaction_ns;		/* stats/guard_reaction_ns */

	bool raised;			/* stats/guard_raises++ */
	bool capped;			/* stats/guard_caps++ */
	bool restored;			/* stats/guard_restores++ */
	bool rejected;			/* stats/rejected++ (a valid value refused) */

	u64 floor_kb;			/* the floor now (sysfs floor_kb), always set */
	bool ack_floor;			/* publish it as floor-kb */
	/* refused-value = the event's raw value, refused-reason = this */
	const char *refusal_reason;
	u64 restored_kb;		/* restored-kb (with or without a refusal) */

	enum memtune_guard_warn warn;	/* with warn_from_kb -> warn_to_kb */
	u64 warn_from_kb;
	u64 warn_to_kb;

	bool request_pass;		/* the target moved outside xenstore */
	unsigned int poll_ms;		/* when to poll next */
};

/*
 * Pages of static-max the balloon never counts (HVM/PVH), measured at
 * every use: static-max (the first value the guard saw, see
 * offset_static_max_kb) minus every page the balloon has seen as RAM
 * (total_pages: what it had at boot plus hot-added memory).  0 for PV and
 * Dom0, and when static-max is unknown.
 */
unsigned long memtune_guard_target_offset(const struct memtune_guard *g,
					  const struct memtune_guard_sample *s);

/* Highest balloon target Xen will back (static-max in balloon terms); 0 = unknown. */
unsigned long memtune_guard_cap_pages(const struct memtune_guard *g,
				      const struct memtune_guard_sample *s);

/* The guard starts (xenstore is up): the balloon target now is good. */
void memtune_guard_start(struct memtune_guard *g,
			 const struct memtune_guard_sample *s,
			 struct memtune_guard_action *act);

/* The memory/target watch fired. */
void memtune_guard_on_event(struct memtune_guard *g,
			    const struct memtune_guard_sample *s,
			    const struct memtune_guard_event *ev,
			    struct memtune_guard_action *act);

/* The poll: a target that moved with no event (sysfs), windows, the dip. */
void memtune_guard_on_poll(struct memtune_guard *g,
			   const struct memtune_guard_sample *s,
			   struct memtune_guard_action *act);

/*
 * Only the floor, published (load, and settings changed before the guard
 * started): the target is not looked at.
 */
void memtune_guard_on_floor(struct memtune_guard *g,
			    const struct memtune_guard_sample *s,
			    struct memtune_guard_action *act);

/* Root changed floor_mode or floor_fixed_kb: hold the target to the new floor now. */
void memtune_guard_on_settings(struct memtune_guard *g,
			       const struct memtune_guard_sample *s,
			       struct memtune_guard_action *act);

#endif /* _XEN_MEMTUNE_GUARD_H */
