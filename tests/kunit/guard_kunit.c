// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for kmod/guard.c: the floor guard's decisions, state in,
 * action out.  Each case plays a sequence of samples (what watch.c reads
 * from balloon_stats) and events, and checks the action the caller would
 * perform.  4 KiB pages (UML and x86_64 alike).
 */

#include <kunit/test.h>
#include <linux/kernel.h>
#include <linux/string.h>

#include "guard.h"

#define MIB_PAGES(m)	((unsigned long)(m) * 256)
#define MIB_KB(m)	((u64)(m) * 1024)
#define MS(t)		((u64)(t) * NSEC_PER_MSEC)

/* A PV guest with static-max 1024 MiB, a fixed floor of 200 MiB. */
static struct memtune_guard_sample pv_sample(u64 now_ms, unsigned long tgt_mib,
					     unsigned long cur_mib)
{
	struct memtune_guard_sample s = {
		.now_ns = MS(now_ms),
		.target_pages = MIB_PAGES(tgt_mib),
		.current_pages = MIB_PAGES(cur_mib),
		.total_pages = MIB_PAGES(1024),
		.static_max_kb = MIB_KB(1024),
		.floor_mode = MEMTUNE_FLOOR_FIXED,
		.floor_fixed_kb = MIB_KB(200),
	};

	return s;
}

static const struct memtune_guard_event bad_event = {
	.present = true, .valid = false,
};

static struct memtune_guard_event good_event(u64 kb, u64 at_ms)
{
	struct memtune_guard_event ev = {
		.present = true, .valid = true, .target_kb = kb,
		.event_ns = MS(at_ms),
	};

	return ev;
}

/* Started at 512 MiB: the target then is good, the floor published at once. */
static void started(struct kunit *test, struct memtune_guard *g)
{
	struct memtune_guard_sample s = pv_sample(0, 512, 512);
	struct memtune_guard_action act = { };

	memset(g, 0, sizeof(*g));
	memtune_guard_start(g, &s, &act);
	KUNIT_EXPECT_TRUE(test, act.ack_floor);
	KUNIT_EXPECT_EQ(test, act.floor_kb, MIB_KB(200));
	KUNIT_EXPECT_FALSE(test, act.set_target);
	KUNIT_EXPECT_EQ(test, act.poll_ms, 0U);
	KUNIT_EXPECT_EQ(test, g->good_pages, MIB_PAGES(512));
	KUNIT_EXPECT_STREQ(test, g->floor_reason, "fixed");
}

/* "0x80000": the balloon read 0 and started giving memory away. */
static void guard_test_refused_restores(struct kunit *test)
{
	struct memtune_guard g;
	struct memtune_guard_sample s;
	struct memtune_guard_event ev = bad_event;
	struct memtune_guard_action act = { };

	started(test, &g);
	ev.event_ns = MS(995);
	s = pv_sample(1000, 0, 500);
	memtune_guard_on_event(&g, &s, &ev, &act);
	KUNIT_EXPECT_TRUE(test, act.set_target);
	KUNIT_EXPECT_EQ(test, act.set_target_pages, MIB_PAGES(512));
	KUNIT_EXPECT_TRUE(test, act.correction);
	KUNIT_EXPECT_TRUE(test, act.restored);
	KUNIT_EXPECT_EQ(test, act.restored_kb, MIB_KB(512));
	/* 12 MiB were gone before the guard acted, 5 ms after the event */
	KUNIT_EXPECT_EQ(test, act.released_kb, MIB_KB(12));
	KUNIT_EXPECT_EQ(test, act.reaction_ns, MS(5));
	/* the watch reports the refusal itself; the guard adds restored-kb */
	KUNIT_EXPECT_NULL(test, act.refusal_reason);
	KUNIT_EXPECT_FALSE(test, act.request_pass);
	KUNIT_EXPECT_EQ(test, act.poll_ms, (unsigned int)MEMTUNE_GUARD_POLL_FAST_MS);
	KUNIT_EXPECT_EQ(test, g.refusals, 1ULL);

	/* The balloon's own watch ran after ours and applied 0 again. */
	memset(&act, 0, sizeof(act));
	s = pv_sample(1500, 0, 505);
	memtune_guard_on_poll(&g, &s, &act);
	KUNIT_EXPECT_TRUE(test, act.set_target);
	KUNIT_EXPECT_EQ(test, act.set_target_pages, MIB_PAGES(512));
	KUNIT_EXPECT_TRUE(test, act.restored);

	/* Held: nothing to do inside the window. */
	memset(&act, 0, sizeof(act));
	s = pv_sample(1600, 512, 508);
	memtune_guard_on_poll(&g, &s, &act);
	KUNIT_EXPECT_FALSE(test, act.set_target);
	KUNIT_EXPECT_FALSE(test, act.request_pass);

	/*
	 * After the window: the balloon back up, the dip recorded (followed
	 * from the last correction: 512 MiB down to 505 MiB).
	 */
	memset(&act, 0, sizeof(act));
	s = pv_sample(3200, 512, 512);
	memtune_guard_on_poll(&g, &s, &act);
	KUNIT_EXPECT_FALSE(test, act.set_target);
	KUNIT_EXPECT_EQ(test, g.window_until_ns, 0ULL);
	KUNIT_EXPECT_EQ(test, g.dip_kb, MIB_KB(7));
	KUNIT_EXPECT_EQ(test, act.poll_ms, (unsigned int)MEMTUNE_GUARD_POLL_MS);
}

/* A refused value when the target never moved: nothing to undo, still held. */
static void guard_test_refused_untouched(struct kunit *test)
{
	struct memtune_guard g;
	struct memtune_guard_sample s = pv_sample(1000, 512, 512);
	struct memtune_guard_action act = { };

	started(test, &g);
	memtune_guard_on_event(&g, &s, &bad_event, &act);
	KUNIT_EXPECT_FALSE(test, act.set_target);
	KUNIT_EXPECT_FALSE(test, act.restored);
	KUNIT_EXPECT_EQ(test, act.restored_kb, MIB_KB(512));
	KUNIT_EXPECT_NE(test, g.window_until_ns, 0ULL);
}

/* `xl mem-set 100m` with a 200 MiB floor: held at the floor, said so. */
static void guard_test_below_floor(struct kunit *test)
{
	struct memtune_guard g;
	struct memtune_guard_event ev = good_event(MIB_KB(100), 990);
	struct memtune_guard_sample s = pv_sample(1000, 100, 510);
	struct memtune_guard_action act = { };

	started(test, &g);
	memtune_guard_on_event(&g, &s, &ev, &act);
	KUNIT_EXPECT_TRUE(test, act.set_target);
	KUNIT_EXPECT_EQ(test, act.set_target_pages, MIB_PAGES(200));
	KUNIT_EXPECT_TRUE(test, act.raised);
	KUNIT_EXPECT_TRUE(test, act.rejected);
	KUNIT_EXPECT_STREQ(test, act.refusal_reason, "below floor");
	KUNIT_EXPECT_EQ(test, act.restored_kb, MIB_KB(200));
	KUNIT_EXPECT_EQ(test, act.warn, MEMTUNE_GUARD_WARN_EVENT_BELOW_FLOOR);
	KUNIT_EXPECT_EQ(test, act.warn_from_kb, MIB_KB(100));
	KUNIT_EXPECT_EQ(test, act.warn_to_kb, MIB_KB(200));
	KUNIT_EXPECT_EQ(test, act.reaction_ns, MS(10));
	KUNIT_EXPECT_EQ(test, g.good_pages, MIB_PAGES(200));

	/* Again, with the balloon already at the floor: no set, still refused. */
	memset(&act, 0, sizeof(act));
	ev = good_event(MIB_KB(64), 3990);
	s = pv_sample(4000, 200, 200);
	memtune_guard_on_event(&g, &s, &ev, &act);
	KUNIT_EXPECT_FALSE(test, act.set_target);
	KUNIT_EXPECT_TRUE(test, act.rejected);
	KUNIT_EXPECT_EQ(test, g.refusals, 2ULL);
}

/*
 * A valid value written inside a refusal's window wins over the window
 * (the poll may have put the window's target back over the balloon's
 * reading of it); outside a window a valid value is the balloon's own.
 */
static void guard_test_valid_in_window_wins(struct kunit *test)
{
	struct memtune_guard g;
	struct memtune_guard_event ev = bad_event;
	struct memtune_guard_sample s = pv_sample(1000, 512, 512);
	struct memtune_guard_action act = { };

	started(test, &g);
	memtune_guard_on_event(&g, &s, &ev, &act);
	KUNIT_ASSERT_NE(test, g.window_until_ns, 0ULL);

	memset(&act, 0, sizeof(act));
	ev = good_event(MIB_KB(448), 1300);
	s = pv_sample(1300, 512, 512);
	memtune_guard_on_event(&g, &s, &ev, &act);
	KUNIT_EXPECT_TRUE(test, act.set_target);
	KUNIT_EXPECT_EQ(test, act.set_target_pages, MIB_PAGES(448));
	KUNIT_EXPECT_FALSE(test, act.correction);
	KUNIT_EXPECT_EQ(test, g.window_until_ns, 0ULL);
	KUNIT_EXPECT_EQ(test, g.good_pages, MIB_PAGES(448));

	memset(&act, 0, sizeof(act));
	ev = good_event(MIB_KB(480), 5000);
	s = pv_sample(5000, 480, 448);
	memtune_guard_on_event(&g, &s, &ev, &act);
	KUNIT_EXPECT_FALSE(test, act.set_target);
	KUNIT_EXPECT_FALSE(test, act.request_pass);
	KUNIT_EXPECT_EQ(test, g.good_pages, MIB_PAGES(480));
}

/* Root writes xen_memory0/target_kb: no xenstore event, the poll finds it. */
static void guard_test_poll_sysfs_target(struct kunit *test)
{
	struct memtune_guard g;
	struct memtune_guard_sample s;
	struct memtune_guard_action act = { };

	started(test, &g);
	s = pv_sample(2000, 100, 512);
	memtune_guard_on_poll(&g, &s, &act);
	KUNIT_EXPECT_TRUE(test, act.set_target);
	KUNIT_EXPECT_EQ(test, act.set_target_pages, MIB_PAGES(200));
	KUNIT_EXPECT_TRUE(test, act.raised);
	KUNIT_EXPECT_NULL(test, act.refusal_reason);
	KUNIT_EXPECT_EQ(test, act.restored_kb, MIB_KB(200));
	KUNIT_EXPECT_EQ(test, act.warn, MEMTUNE_GUARD_WARN_BELOW_FLOOR);
	KUNIT_EXPECT_TRUE(test, act.request_pass);

	memset(&act, 0, sizeof(act));
	s = pv_sample(4000, 2048, 200);
	memtune_guard_on_poll(&g, &s, &act);
	KUNIT_EXPECT_TRUE(test, act.set_target);
	KUNIT_EXPECT_EQ(test, act.set_target_pages, MIB_PAGES(1024));
	KUNIT_EXPECT_TRUE(test, act.capped);
	KUNIT_EXPECT_EQ(test, act.warn, MEMTUNE_GUARD_WARN_ABOVE_MAX);
	KUNIT_EXPECT_TRUE(test, act.request_pass);

	/* A sane value: a pass, no correction; good once stable for 1 s. */
	memset(&act, 0, sizeof(act));
	s = pv_sample(20000, 700, 1024);
	memtune_guard_on_poll(&g, &s, &act);
	KUNIT_EXPECT_FALSE(test, act.set_target);
	KUNIT_EXPECT_TRUE(test, act.request_pass);
	KUNIT_EXPECT_NE(test, g.good_pages, MIB_PAGES(700));
	memset(&act, 0, sizeof(act));
	s = pv_sample(20500, 700, 900);
	memtune_guard_on_poll(&g, &s, &act);
	KUNIT_EXPECT_FALSE(test, act.request_pass);
	KUNIT_EXPECT_NE(test, g.good_pages, MIB_PAGES(700));
	s = pv_sample(21000, 700, 700);
	memtune_guard_on_poll(&g, &s, &act);
	KUNIT_EXPECT_EQ(test, g.good_pages, MIB_PAGES(700));
}

/*
 * HVM/PVH (issue 12 item 7): the offset between memory/target and the
 * balloon target is static-max minus the balloon's total_pages, measured
 * from the sample each time, not once at load.  Numbers from the rig's HVM
 * guest (docs: hvm-rig): memory 512, maxmem 1024, balloon = target - 396 kB.
 */
static void guard_test_hvm_offset(struct kunit *test)
{
	struct memtune_guard g = { };
	struct memtune_guard_sample s = pv_sample(0, 512, 512);
	struct memtune_guard_event ev = good_event(MIB_KB(512), 1000);
	struct memtune_guard_action act = { };
	unsigned long balloon = MIB_PAGES(512) - 99;

	KUNIT_EXPECT_EQ(test, memtune_guard_target_offset(&g, &s), 0UL);
	s.target_offset = true;
	s.total_pages = (MIB_KB(1024) - 396) / 4;
	KUNIT_EXPECT_EQ(test, memtune_guard_target_offset(&g, &s), 99UL);
	KUNIT_EXPECT_EQ(test, memtune_guard_cap_pages(&g, &s),
			MIB_PAGES(1024) - 99);
	/* static-max unknown: no offset, no cap */
	s.static_max_kb = 0;
	KUNIT_EXPECT_EQ(test, memtune_guard_target_offset(&g, &s), 0UL);
	KUNIT_EXPECT_EQ(test, memtune_guard_cap_pages(&g, &s), 0UL);
	/* the balloon's totals above static-max: no negative offset */
	s.static_max_kb = MIB_KB(1024);
	s.total_pages = MIB_PAGES(1100);
	KUNIT_EXPECT_EQ(test, memtune_guard_target_offset(&g, &s), 0UL);

	/*
	 * static-max rewritten after the first one (Debian's xl mem-max does):
	 * the balloon keeps its offset, so does the guard; the cap follows.
	 */
	s.total_pages = (MIB_KB(1024) - 396) / 4;
	g.offset_static_max_kb = 0;
	memtune_guard_on_floor(&g, &s, &act);
	KUNIT_EXPECT_EQ(test, g.offset_static_max_kb, MIB_KB(1024));
	s.static_max_kb = MIB_KB(2048);
	KUNIT_EXPECT_EQ(test, memtune_guard_target_offset(&g, &s), 99UL);
	KUNIT_EXPECT_EQ(test, memtune_guard_cap_pages(&g, &s),
			MIB_PAGES(2048) - 99);
	/* hot-added memory counts: measured from total_pages at each use */
	s.total_pages += MIB_PAGES(1);
	KUNIT_EXPECT_EQ(test, memtune_guard_target_offset(&g, &s), 0UL);

	/* A valid 512 MiB target the balloon applied as 512 MiB - 396 kB. */
	memset(&g, 0, sizeof(g));
	s = pv_sample(1000, 512, 600);
	s.target_offset = true;
	s.total_pages = (MIB_KB(1024) - 396) / 4;
	s.target_pages = balloon;
	memtune_guard_start(&g, &s, &act);
	memset(&act, 0, sizeof(act));
	memtune_guard_on_event(&g, &s, &ev, &act);
	KUNIT_EXPECT_FALSE(test, act.set_target);
	KUNIT_EXPECT_EQ(test, g.good_pages, balloon);
	KUNIT_EXPECT_EQ(test, g.seen_pages, balloon);
	/* ... and the poll sees no target moved: no pass, no correction */
	memset(&act, 0, sizeof(act));
	s.now_ns = MS(1250);
	memtune_guard_on_poll(&g, &s, &act);
	KUNIT_EXPECT_FALSE(test, act.set_target);
	KUNIT_EXPECT_FALSE(test, act.request_pass);
}

/* Floor modes, the cap, and when floor-kb is published again. */
static void guard_test_floor(struct kunit *test)
{
	struct memtune_guard g = { };
	struct memtune_guard_sample s = pv_sample(0, 512, 512);
	struct memtune_guard_action act = { };

	s.floor_mode = MEMTUNE_FLOOR_AUTO;
	s.floor.unmanaged_kb = 57220;
	s.floor.anon_kb = 400000;
	s.floor.swap_free_kb = 100000;
	s.floor.zram_swap_free_kb = 60000;
	s.floor.margin_kb = 65536;
	memtune_guard_on_floor(&g, &s, &act);
	KUNIT_EXPECT_EQ(test, act.floor_kb, memtune_floor_kb(&s.floor, NULL));
	KUNIT_EXPECT_STREQ(test, g.floor_reason, "anon-no-swap");
	KUNIT_EXPECT_TRUE(test, act.ack_floor);

	/* moved by less than 4 MiB: not published again; by 4 MiB: published */
	memset(&act, 0, sizeof(act));
	s.floor.anon_kb += 3072;
	memtune_guard_on_poll(&g, &s, &act);
	KUNIT_EXPECT_FALSE(test, act.ack_floor);
	memset(&act, 0, sizeof(act));
	s.floor.anon_kb += 2048;
	memtune_guard_on_poll(&g, &s, &act);
	KUNIT_EXPECT_TRUE(test, act.ack_floor);

	/* fixed above static-max: capped there */
	memset(&act, 0, sizeof(act));
	s.floor_mode = MEMTUNE_FLOOR_FIXED;
	s.floor_fixed_kb = MIB_KB(2048);
	memtune_guard_on_settings(&g, &s, &act);
	KUNIT_EXPECT_EQ(test, act.floor_kb, MIB_KB(1024));
	KUNIT_EXPECT_TRUE(test, act.ack_floor);
	/* settings hold the target to the new floor at once */
	KUNIT_EXPECT_TRUE(test, act.set_target);
	KUNIT_EXPECT_EQ(test, act.set_target_pages, MIB_PAGES(1024));

	memset(&act, 0, sizeof(act));
	s.floor_mode = MEMTUNE_FLOOR_OFF;
	memtune_guard_on_settings(&g, &s, &act);
	KUNIT_EXPECT_EQ(test, act.floor_kb, 0ULL);
	KUNIT_EXPECT_STREQ(test, g.floor_reason, "off");
	KUNIT_EXPECT_EQ(test, g.floor_pages, 0UL);
}

/* memory/target removed: the balloon ignores it, the guard too. */
static void guard_test_node_gone(struct kunit *test)
{
	struct memtune_guard g;
	struct memtune_guard_event ev = { .present = false };
	struct memtune_guard_sample s = pv_sample(2000, 512, 512);
	struct memtune_guard_action act = { };

	started(test, &g);
	memtune_guard_on_event(&g, &s, &ev, &act);
	KUNIT_EXPECT_FALSE(test, act.set_target);
	KUNIT_EXPECT_FALSE(test, act.request_pass);
	KUNIT_EXPECT_EQ(test, act.restored_kb, 0ULL);
	KUNIT_EXPECT_NULL(test, act.refusal_reason);
}

static struct kunit_case guard_test_cases[] = {
	KUNIT_CASE(guard_test_refused_restores),
	KUNIT_CASE(guard_test_refused_untouched),
	KUNIT_CASE(guard_test_below_floor),
	KUNIT_CASE(guard_test_valid_in_window_wins),
	KUNIT_CASE(guard_test_poll_sysfs_target),
	KUNIT_CASE(guard_test_hvm_offset),
	KUNIT_CASE(guard_test_floor),
	KUNIT_CASE(guard_test_node_gone),
	{}
};

static struct kunit_suite guard_test_suite = {
	.name = "xen_memtune_guard",
	.test_cases = guard_test_cases,
};

kunit_test_suites(&guard_test_suite);
