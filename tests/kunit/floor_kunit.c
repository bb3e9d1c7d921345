// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for kmod/floor.c: the floor formula of floor.h on memory
 * counters worked by hand (kB), the dominant term, saturation.
 */

#include <kunit/test.h>
#include <linux/kernel.h>
#include <linux/limits.h>
#include <linux/string.h>

#include "floor.h"

struct floor_case {
	const char *what;
	struct memtune_floor_input in;
	u64 want_kb;
	enum memtune_floor_reason why;
};

static const struct floor_case floor_cases[] = {
	{
		/* an idle 512 MiB PV guest without swap */
		"idle, no swap",
		{ .unmanaged_kb = 57220, .kernel_stack_kb = 2000,
		  .slab_unreclaimable_kb = 12000, .page_tables_kb = 1500,
		  .min_free_kb = 2896, .anon_kb = 30000, .shmem_kb = 1000,
		  .margin_kb = 65536 },
		/* 57220+2000+12000+1500+2896+31000+65536 = 172152 -> 169 MiB */
		173056, MEMTUNE_FLOOR_REASON_MARGIN,
	},
	{
		/* swap absorbs all anonymous memory */
		"anon fits in swap",
		{ .unmanaged_kb = 57220, .anon_kb = 200000, .shmem_kb = 10000,
		  .swap_free_kb = 500000, .margin_kb = 65536 },
		/* 57220 + 65536 = 122756 -> 120 MiB */
		122880, MEMTUNE_FLOOR_REASON_MARGIN,
	},
	{
		/* swap absorbs part of it: 400000 + 0 - 100000 */
		"anon beyond swap",
		{ .unmanaged_kb = 57220, .anon_kb = 400000,
		  .swap_free_kb = 100000, .margin_kb = 65536 },
		/* 57220 + 300000 + 65536 = 422756 -> 413 MiB */
		422912, MEMTUNE_FLOOR_REASON_ANON_NO_SWAP,
	},
	{
		/* Mlocked is part of Unevictable: the larger one counts once */
		"mlocked inside unevictable",
		{ .unevictable_kb = 300000, .mlocked_kb = 250000 },
		/* 300000 -> 293 MiB (292.97) */
		300032, MEMTUNE_FLOOR_REASON_UNEVICTABLE,
	},
	{
		"mlocked above unevictable (counters race)",
		{ .unevictable_kb = 1000, .mlocked_kb = 4096 },
		4096, MEMTUNE_FLOOR_REASON_UNEVICTABLE,
	},
	{
		"slab dominates",
		{ .slab_unreclaimable_kb = 900000, .kernel_stack_kb = 10000,
		  .page_tables_kb = 20000, .margin_kb = 65536 },
		/* 995536 -> 973 MiB (972.2) */
		996352, MEMTUNE_FLOOR_REASON_SLAB,
	},
	{
		"page tables dominate",
		{ .page_tables_kb = 2048, .kernel_stack_kb = 1024 },
		3072, MEMTUNE_FLOOR_REASON_PAGE_TABLES,
	},
	{
		"kernel stacks dominate",
		{ .kernel_stack_kb = 5000, .page_tables_kb = 1000 },
		/* 6000 -> 6 MiB (5.86) */
		6144, MEMTUNE_FLOOR_REASON_KERNEL_STACK,
	},
	{
		"min_free dominates",
		{ .min_free_kb = 67584, .margin_kb = 1024 },
		68608, MEMTUNE_FLOOR_REASON_MIN_FREE,
	},
	{
		"unmanaged dominates",
		{ .unmanaged_kb = 200000, .margin_kb = 1024 },
		/* 201024 -> 197 MiB (196.3) */
		201728, MEMTUNE_FLOOR_REASON_UNMANAGED,
	},
	{
		/* all zero: floor 0, the first term named */
		"empty", { }, 0, MEMTUNE_FLOOR_REASON_UNMANAGED,
	},
	{
		/* exact MiB stays */
		"whole MiB", { .margin_kb = 1024 }, 1024,
		MEMTUNE_FLOOR_REASON_MARGIN,
	},
	{
		/* hostile counters: the sum saturates instead of wrapping */
		"saturates",
		{ .unmanaged_kb = U64_MAX / 2, .slab_unreclaimable_kb = U64_MAX / 2,
		  .margin_kb = U64_MAX / 2 },
		U64_MAX & ~1023ULL, MEMTUNE_FLOOR_REASON_UNMANAGED,
	},
	{
		/*
		 * Issue 12 item 7: zram keeps what it swaps out in RAM, so its
		 * free space absorbs nothing: the "anon beyond swap" guest
		 * with 60000 of its 100000 kB free swap on zram.
		 */
		"zram swap does not absorb",
		{ .unmanaged_kb = 57220, .anon_kb = 400000,
		  .swap_free_kb = 100000, .zram_swap_free_kb = 60000,
		  .margin_kb = 65536 },
		/* 57220 + (400000 - 40000) + 65536 = 482756 -> 472 MiB */
		483328, MEMTUNE_FLOOR_REASON_ANON_NO_SWAP,
	},
	{
		/* only zram: as if there were no swap at all ("idle, no swap") */
		"only zram swap",
		{ .unmanaged_kb = 57220, .kernel_stack_kb = 2000,
		  .slab_unreclaimable_kb = 12000, .page_tables_kb = 1500,
		  .min_free_kb = 2896, .anon_kb = 30000, .shmem_kb = 1000,
		  .swap_free_kb = 500000, .zram_swap_free_kb = 500000,
		  .margin_kb = 65536 },
		173056, MEMTUNE_FLOOR_REASON_MARGIN,
	},
	{
		/* counters race: zram free above all free swap counts as all of it */
		"zram above swap_free",
		{ .anon_kb = 4096, .swap_free_kb = 1000,
		  .zram_swap_free_kb = 5000 },
		4096, MEMTUNE_FLOOR_REASON_ANON_NO_SWAP,
	},
	{
		"anon + shmem saturate",
		{ .anon_kb = U64_MAX, .shmem_kb = U64_MAX, .swap_free_kb = 0 },
		U64_MAX & ~1023ULL, MEMTUNE_FLOOR_REASON_ANON_NO_SWAP,
	},
};

static void floor_test_formula(struct kunit *test)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(floor_cases); i++) {
		const struct floor_case *c = &floor_cases[i];
		enum memtune_floor_reason why = MEMTUNE_NR_FLOOR_REASONS;

		KUNIT_EXPECT_EQ_MSG(test, memtune_floor_kb(&c->in, &why),
				    c->want_kb, "%s", c->what);
		KUNIT_EXPECT_EQ_MSG(test, why, c->why, "%s", c->what);
		/* a NULL reason pointer is allowed */
		KUNIT_EXPECT_EQ_MSG(test, memtune_floor_kb(&c->in, NULL),
				    c->want_kb, "%s", c->what);
	}
}

/* The floor only grows when any counter grows (monotone in every term). */
static void floor_test_monotone(struct kunit *test)
{
	struct memtune_floor_input base = {
		.unmanaged_kb = 57220, .unevictable_kb = 100, .mlocked_kb = 50,
		.kernel_stack_kb = 2000, .slab_unreclaimable_kb = 12000,
		.page_tables_kb = 1500, .min_free_kb = 2896, .anon_kb = 30000,
		.shmem_kb = 1000, .swap_free_kb = 10000, .margin_kb = 65536,
	};
	u64 *fields[] = {
		&base.unmanaged_kb, &base.unevictable_kb, &base.mlocked_kb,
		&base.kernel_stack_kb, &base.slab_unreclaimable_kb,
		&base.page_tables_kb, &base.min_free_kb, &base.anon_kb,
		&base.shmem_kb, &base.margin_kb,
	};
	u64 before = memtune_floor_kb(&base, NULL);
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(fields); i++) {
		*fields[i] += 1 << 20;
		KUNIT_EXPECT_GT_MSG(test, memtune_floor_kb(&base, NULL), before,
				    "field %u", i);
		*fields[i] -= 1 << 20;
	}
	/* and more free swap never raises it */
	base.swap_free_kb += 1 << 20;
	KUNIT_EXPECT_LE(test, memtune_floor_kb(&base, NULL), before);
}

static void floor_test_reason_names(struct kunit *test)
{
	static const char *const want[MEMTUNE_NR_FLOOR_REASONS] = {
		"unmanaged", "unevictable", "kernel-stack", "slab",
		"page-tables", "min-free", "anon-no-swap", "margin",
	};
	unsigned int i;

	for (i = 0; i < MEMTUNE_NR_FLOOR_REASONS; i++)
		KUNIT_EXPECT_STREQ(test, memtune_floor_reason_name(i), want[i]);
	KUNIT_EXPECT_STREQ(test,
			   memtune_floor_reason_name(MEMTUNE_NR_FLOOR_REASONS),
			   "unknown");
	KUNIT_EXPECT_STREQ(test, memtune_floor_reason_name(-1), "unknown");
}

static void floor_test_default_margin(struct kunit *test)
{
	static const struct {
		u64 mem_kb, want_kb;
	} cases[] = {
		{ 0, 65536 },
		{ 262144, 65536 },		/* 256 MiB: 5 % = 13105 */
		{ 1048576, 65536 },		/* 1 GiB: 52425 */
		{ 1310720, 65535 + 1 },		/* 1.25 GiB: 65535 < 65536 */
		{ 4194304, 209715 },		/* 4 GiB: 41943 * 5 */
		{ 67108864, 3355440 },		/* 64 GiB: 671088 * 5 */
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++)
		KUNIT_EXPECT_EQ_MSG(test,
				    memtune_floor_default_margin_kb(cases[i].mem_kb),
				    cases[i].want_kb, "%llu kB", cases[i].mem_kb);
}

/* /proc/swaps as mm/swapfile.c prints it (swap_show()), and hostile text. */
static void floor_test_zram_swap_free(struct kunit *test)
{
	static const char header[] =
		"Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n";
	static const struct {
		const char *what;
		const char *text;	/* after the header */
		size_t len;		/* 0: strlen */
		int err;
		u64 want_kb;
	} cases[] = {
		{ "no swap", "", 0, 0, 0 },
		{ "one zram",
		  "/dev/zram0                              partition\t1048572\t\t4096\t\t100\n",
		  0, 0, 1044476 },
		{ "disk only",
		  "/dev/xvdb                               partition\t524284\t\t0\t\t-2\n",
		  0, 0, 0 },
		{ "zram and disk, two zram",
		  "/dev/xvdb                               partition\t524284\t\t1000\t\t-2\n"
		  "/dev/zram0                              partition\t262140\t\t140\t\t100\n"
		  "/dev/zram1                              partition\t262140\t\t0\t\t100\n",
		  0, 0, 524140 },
		{ "no newline at the end",
		  "/dev/zram0 partition 2048 1024 100", 0, 0, 1024 },
		{ "used above size (races)",
		  "/dev/zram0 partition 2048 4096 100\n", 0, 0, 0 },
		{ "zram-like names are not zram",
		  "/dev/zram partition 2048 0 100\n"
		  "/dev/zram0p1 partition 2048 0 100\n"
		  "/swap/dev/zram0 file 2048 0 100\n"
		  "/dev/zram0x partition 2048 0 100\n", 0, 0, 0 },
		{ "malformed lines skipped",
		  "/dev/zram0 partition\n"
		  "/dev/zram1 partition -5 0 100\n"
		  "/dev/zram2 partition 99999999999999999999999 0 100\n"
		  "/dev/zram3 partition 4096 0 100\n", 0, 0, 4096 },
		{ "embedded NUL", "/dev/zram0 partition 2048\0 0 100\n", 33,
		  -EINVAL, 0 },
	};
	char buf[512];
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		size_t len = cases[i].len ?: strlen(cases[i].text);
		u64 kb = 12345;
		int err;

		memcpy(buf, header, sizeof(header) - 1);
		memcpy(buf + sizeof(header) - 1, cases[i].text, len);
		err = memtune_floor_zram_swap_free_kb(buf, sizeof(header) - 1 + len,
						      &kb);
		KUNIT_EXPECT_EQ_MSG(test, err, cases[i].err, "%s", cases[i].what);
		if (!cases[i].err)
			KUNIT_EXPECT_EQ_MSG(test, kb, cases[i].want_kb, "%s",
					    cases[i].what);
		else
			KUNIT_EXPECT_EQ_MSG(test, kb, 12345ULL, "%s: untouched",
					    cases[i].what);
	}
}

static struct kunit_case floor_test_cases[] = {
	KUNIT_CASE(floor_test_zram_swap_free),
	KUNIT_CASE(floor_test_formula),
	KUNIT_CASE(floor_test_monotone),
	KUNIT_CASE(floor_test_reason_names),
	KUNIT_CASE(floor_test_default_margin),
	{}
};

static struct kunit_suite floor_test_suite = {
	.name = "xen_memtune_floor",
	.test_cases = floor_test_cases,
};

kunit_test_suites(&floor_test_suite);
