// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for kmod/settle.c: when the pass applies.  Each case is a
 * timeline of steps (time, balloon current and target, event or not) and
 * the verdict each step must give; settle_ms 250, stall_ms 5000 (the
 * module's defaults).
 */

#include <kunit/test.h>
#include <linux/kernel.h>

#include "settle.h"

#define MIB_PAGES(m)	((unsigned long)(m) * 256)

struct settle_tick {
	unsigned int at_ms;
	unsigned int cur_mib, tgt_mib;
	bool fresh;
	enum memtune_settle_verdict want;
	bool shrink_first;
};

struct settle_case {
	const char *what;
	struct settle_tick ticks[12];
	unsigned int nr;
};

#define T(at, cur, tgt, fresh, want, shrink) \
	{ at, cur, tgt, fresh, MEMTUNE_SETTLE_##want, shrink }

static const struct settle_case settle_cases[] = {
	{
		"grow reaches its target",
		{
			T(0, 512, 1024, true, WAIT, false),
			T(250, 800, 1024, false, WAIT, false),
			T(500, 1024, 1024, false, DONE, false),
			/* disarmed: a stray step does nothing */
			T(750, 1024, 1024, false, IDLE, false),
		}, 4,
	},
	{
		/* our watch ran before the balloon's: one settle_ms first */
		"event before the balloon moved",
		{
			T(0, 512, 512, true, WAIT, false),
			T(100, 512, 512, false, WAIT, false),
			T(250, 512, 512, false, DONE, false),
		}, 3,
	},
	{
		"shrink first, once per target",
		{
			T(0, 1024, 512, true, WAIT, true),
			T(250, 900, 512, false, WAIT, false),
			/* a new target below: lowered again for it */
			T(300, 880, 400, true, WAIT, true),
			T(550, 400, 400, false, DONE, false),
			/* the same target again later: shrinks again */
			T(10000, 600, 400, true, WAIT, true),
		}, 5,
	},
	{
		/*
		 * Issue 12 item 5: Xen refuses pages, the balloon backs off.
		 * Applied once for what is there, then watched; when the
		 * balloon moves again the values follow.
		 */
		"stall, then the balloon moves again",
		{
			T(0, 512, 1024, true, WAIT, false),
			T(1000, 700, 1024, false, WAIT, false),
			T(5999, 700, 1024, false, WAIT, false),
			T(6000, 700, 1024, false, STALLED, false),
			T(7000, 700, 1024, false, STILL_STALLED, false),
			T(38000, 700, 1024, false, STILL_STALLED, false),
			T(39000, 800, 1024, false, WAIT, false),
			T(44000, 800, 1024, false, STALLED, false),
			T(45000, 1024, 1024, false, DONE, false),
			T(46000, 1024, 1024, false, IDLE, false),
		}, 10,
	},
	{
		"stall, then a reachable target",
		{
			T(0, 512, 2048, true, WAIT, false),
			T(5000, 512, 2048, false, STALLED, false),
			T(6000, 512, 2048, false, STILL_STALLED, false),
			/* Dom0 sets a target the balloon can reach */
			T(7000, 512, 768, true, WAIT, false),
			T(7250, 768, 768, false, DONE, false),
		}, 5,
	},
	{
		/* root moves the balloon target in sysfs: progress, not a stall */
		"target moves without an event",
		{
			T(0, 512, 1024, true, WAIT, false),
			T(4000, 512, 1024, false, WAIT, false),
			T(4500, 512, 900, false, WAIT, false),
			T(9000, 512, 900, false, WAIT, false),
			T(9500, 512, 900, false, STALLED, false),
		}, 5,
	},
	{
		"never armed",
		{
			T(0, 512, 512, false, IDLE, false),
			T(9000, 512, 1024, false, IDLE, false),
		}, 2,
	},
};

static void settle_test_timelines(struct kunit *test)
{
	unsigned int i, j;

	for (i = 0; i < ARRAY_SIZE(settle_cases); i++) {
		const struct settle_case *c = &settle_cases[i];
		struct memtune_settle st = { };

		for (j = 0; j < c->nr; j++) {
			const struct settle_tick *t = &c->ticks[j];
			struct memtune_settle_input in = {
				.now_ns = (u64)t->at_ms * NSEC_PER_MSEC,
				.current_pages = MIB_PAGES(t->cur_mib),
				.target_pages = MIB_PAGES(t->tgt_mib),
				.fresh = t->fresh,
				.settle_ms = 250,
				.stall_ms = 5000,
			};
			struct memtune_settle_step out;

			memtune_settle_step(&st, &in, &out);
			KUNIT_EXPECT_EQ_MSG(test, out.verdict, t->want,
					    "%s, step at %u ms", c->what, t->at_ms);
			KUNIT_EXPECT_EQ_MSG(test, out.shrink_first, t->shrink_first,
					    "%s, step at %u ms: shrink first",
					    c->what, t->at_ms);
		}
	}
}

/* How soon the pass looks again: settle_ms while moving, slower when stalled. */
static void settle_test_poll(struct kunit *test)
{
	struct memtune_settle st = { };
	struct memtune_settle_input in = {
		.current_pages = MIB_PAGES(512), .target_pages = MIB_PAGES(1024),
		.fresh = true, .settle_ms = 100, .stall_ms = 10,
	};
	struct memtune_settle_step out;

	memtune_settle_step(&st, &in, &out);
	KUNIT_EXPECT_EQ(test, out.verdict, MEMTUNE_SETTLE_WAIT);
	KUNIT_EXPECT_EQ(test, out.poll_ms, 100U);

	in.fresh = false;
	in.now_ns = 20 * NSEC_PER_MSEC;
	memtune_settle_step(&st, &in, &out);
	KUNIT_EXPECT_EQ(test, out.verdict, MEMTUNE_SETTLE_STALLED);
	KUNIT_EXPECT_EQ(test, out.poll_ms, (unsigned int)MEMTUNE_SETTLE_STALL_POLL_MS);

	/* a settle_ms above the stall poll is kept */
	in.settle_ms = 5000;
	in.now_ns = 40 * NSEC_PER_MSEC;
	memtune_settle_step(&st, &in, &out);
	KUNIT_EXPECT_EQ(test, out.verdict, MEMTUNE_SETTLE_STILL_STALLED);
	KUNIT_EXPECT_EQ(test, out.poll_ms, 5000U);

	in.current_pages = in.target_pages;
	in.now_ns = 6000 * NSEC_PER_MSEC;
	memtune_settle_step(&st, &in, &out);
	KUNIT_EXPECT_EQ(test, out.verdict, MEMTUNE_SETTLE_DONE);
	KUNIT_EXPECT_EQ(test, out.poll_ms, 0U);
}

static struct kunit_case settle_test_cases[] = {
	KUNIT_CASE(settle_test_timelines),
	KUNIT_CASE(settle_test_poll),
	{}
};

static struct kunit_suite settle_test_suite = {
	.name = "xen_memtune_settle",
	.test_cases = settle_test_cases,
};

kunit_test_suites(&settle_test_suite);
