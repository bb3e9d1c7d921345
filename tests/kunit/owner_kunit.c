// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for kmod/owner.c: who owns each value the module writes,
 * before a write, at restore, and for a kernel module that loads late.
 * Numbers are like those of small Debian 6.1 PV guests; the conntrack ones
 * come from tests/data/golden-6.1.tsv (real boots).
 */

#include <kunit/test.h>
#include <linux/bits.h>
#include <linux/kernel.h>

#include "owner.h"
#include "policy.h"

#define NS	8	/* user.max_{user,pid,uts,ipc,net,mnt,cgroup,time}_namespaces */
#define NS_NET	4	/* user.max_net_namespaces */

struct owner_case {
	const char *what;
	unsigned int nr_slots;
	u64 boot[MEMTUNE_MAX_SLOTS];
	u32 written_mask;
	u64 written[MEMTUNE_MAX_SLOTS];
	u32 admin_before;
	u64 live[MEMTUNE_MAX_SLOTS];
	u64 want[MEMTUNE_MAX_SLOTS];
	u32 want_admin;		/* memtune_owner_admin_slots() */
	u32 want_write;		/* memtune_owner_write_slots() */
	u32 want_restore;	/* memtune_owner_restore_slots() */
	u32 want_restore_admin;
};

static const struct owner_case owner_cases[] = {
	{
		"namespaces at boot: all eight written",
		NS, { 1894, 1894, 1894, 1894, 1894, 1894, 1894, 1894 }, 0, { 0 }, 0,
		{ 1894, 1894, 1894, 1894, 1894, 1894, 1894, 1894 },
		{ 7605, 7605, 7605, 7605, 7605, 7605, 7605, 7605 },
		0, GENMASK(7, 0), 0, 0,
	},
	{
		"user.max_net_namespaces=0 before the first pass",
		NS, { 1894, 1894, 1894, 1894, 1894, 1894, 1894, 1894 }, 0, { 0 }, 0,
		{ 1894, 1894, 1894, 1894, 0, 1894, 1894, 1894 },
		{ 7605, 7605, 7605, 7605, 7605, 7605, 7605, 7605 },
		BIT(NS_NET), GENMASK(7, 0) & ~BIT(NS_NET), 0, BIT(NS_NET),
	},
	{
		"user.max_net_namespaces=0 after a grow: the other seven follow",
		NS, { 1894, 1894, 1894, 1894, 1894, 1894, 1894, 1894 },
		GENMASK(7, 0), { 7605, 7605, 7605, 7605, 7605, 7605, 7605, 7605 }, 0,
		{ 7605, 7605, 7605, 7605, 0, 7605, 7605, 7605 },
		{ 2847, 2847, 2847, 2847, 2847, 2847, 2847, 2847 },
		BIT(NS_NET), GENMASK(7, 0) & ~BIT(NS_NET),
		GENMASK(7, 0) & ~BIT(NS_NET), BIT(NS_NET),
	},
	{
		"hardened namespace set back to its boot value stays the admin's",
		NS, { 1894, 1894, 1894, 1894, 1894, 1894, 1894, 1894 },
		GENMASK(7, 0) & ~BIT(NS_NET),
		{ 7605, 7605, 7605, 7605, 0, 7605, 7605, 7605 }, BIT(NS_NET),
		{ 7605, 7605, 7605, 7605, 1894, 7605, 7605, 7605 },
		{ 2847, 2847, 2847, 2847, 2847, 2847, 2847, 2847 },
		BIT(NS_NET), GENMASK(7, 0) & ~BIT(NS_NET),
		GENMASK(7, 0) & ~BIT(NS_NET), BIT(NS_NET),
	},
	{
		"tcp_mem: the admin raised only the maximum",
		3, { 5268, 7025, 10536 }, GENMASK(2, 0), { 21048, 28065, 42096 }, 0,
		{ 21048, 28065, 65536 }, { 5268, 7025, 10536 },
		BIT(2), GENMASK(1, 0), GENMASK(1, 0), BIT(2),
	},
	{
		"tcp_mem: our last write, one field already right",
		3, { 5268, 7025, 10536 }, GENMASK(2, 0), { 21048, 28065, 42096 }, 0,
		{ 21048, 28065, 42096 }, { 21048, 28065, 50000 },
		0, BIT(2), GENMASK(2, 0), 0,
	},
	{
		"udp_mem: boot values, nothing written yet, nothing to restore",
		3, { 10536, 14050, 21072 }, 0, { 0 }, 0,
		{ 10536, 14050, 21072 }, { 10536, 14050, 21072 },
		0, 0, 0, 0,
	},
	{
		"one value: the admin's sysctl -w",
		1, { 65536 }, BIT(0), { 131072 }, 0,
		{ 77777 }, { 65536 },
		BIT(0), 0, 0, BIT(0),
	},
	{
		"one value: written, then the admin put the boot value back",
		1, { 65536 }, BIT(0), { 131072 }, 0,
		{ 65536 }, { 131072 },
		0, BIT(0), 0, 0,
	},
	{
		"one value: admin before, our value now: still the admin's",
		1, { 65536 }, BIT(0), { 131072 }, BIT(0),
		{ 131072 }, { 65536 },
		BIT(0), 0, 0, BIT(0),
	},
};

static void owner_case_state(const struct owner_case *c,
			     struct memtune_owner_state *st)
{
	memtune_owner_init(st, c->nr_slots, c->boot);
	st->written_mask = c->written_mask;
	memcpy(st->written, c->written, sizeof(st->written));
	st->admin_mask = c->admin_before;
}

static void owner_test_decisions(struct kunit *test)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(owner_cases); i++) {
		const struct owner_case *c = &owner_cases[i];
		struct memtune_owner_state st;
		u32 admin, restore_admin, restore;

		owner_case_state(c, &st);
		admin = memtune_owner_admin_slots(&st, c->live);
		KUNIT_EXPECT_EQ_MSG(test, admin, c->want_admin, "%s: admin", c->what);
		KUNIT_EXPECT_EQ_MSG(test,
				    memtune_owner_write_slots(&st, admin, c->live, c->want),
				    c->want_write, "%s: write", c->what);
		restore = memtune_owner_restore_slots(&st, c->live, &restore_admin);
		KUNIT_EXPECT_EQ_MSG(test, restore, c->want_restore, "%s: restore", c->what);
		KUNIT_EXPECT_EQ_MSG(test, restore_admin, c->want_restore_admin,
				    "%s: admin at restore", c->what);
	}
}

/* Two passes and a restore: the hardened namespace is never written. */
static void owner_test_hardened_namespace_lifecycle(struct kunit *test)
{
	static const u64 boot[NS] = { 1894, 1894, 1894, 1894, 1894, 1894, 1894, 1894 };
	static const u64 grow[NS] = { 7605, 7605, 7605, 7605, 7605, 7605, 7605, 7605 };
	static const u64 shrink[NS] = { 2847, 2847, 2847, 2847, 2847, 2847, 2847, 2847 };
	struct memtune_owner_state st;
	u64 live[NS];
	u32 admin, mask, restore;
	unsigned int s;

	memtune_owner_init(&st, NS, boot);
	memcpy(live, boot, sizeof(live));
	live[NS_NET] = 0;	/* sysctl -w user.max_net_namespaces=0 */

	for (int pass = 0; pass < 2; pass++) {
		const u64 *want = pass ? shrink : grow;

		admin = memtune_owner_admin_slots(&st, live);
		st.admin_mask = admin;
		mask = memtune_owner_write_slots(&st, admin, live, want);
		KUNIT_EXPECT_FALSE(test, mask & BIT(NS_NET));
		for (s = 0; s < NS; s++)
			if (mask & BIT(s))
				live[s] = want[s];
		memtune_owner_record_write(&st, mask, want);
		KUNIT_EXPECT_EQ(test, live[NS_NET], 0ULL);
		KUNIT_EXPECT_EQ(test, live[0], want[0]);
	}
	restore = memtune_owner_restore_slots(&st, live, &admin);
	KUNIT_EXPECT_EQ(test, restore, (u32)(GENMASK(7, 0) & ~BIT(NS_NET)));
	KUNIT_EXPECT_EQ(test, admin, (u32)BIT(NS_NET));
}

struct adopt_case {
	const char *what;
	u64 live[2];		/* nf_conntrack_buckets, nf_conntrack_max */
	u64 self[2];		/* what nf_conntrack computes at this size */
	bool has_self;
	bool want_managed;
};

static const struct adopt_case adopt_cases[] = {
	{ "loaded late with its own defaults", { 7680, 7680 }, { 7680, 7680 },
	  true, true },
	{ "nf_conntrack_max set before the module saw it", { 7680, 1000 },
	  { 7680, 7680 }, true, false },
	{ "modprobe nf_conntrack hashsize=16384", { 16384, 16384 },
	  { 7680, 7680 }, true, false },
	{ "loaded at another size (defaults for 512 MiB, now 1 GiB)",
	  { 4096, 4096 }, { 7680, 7680 }, true, false },
	{ "its own value unknown on this kernel", { 7680, 7680 }, { 0, 0 },
	  false, false },
};

/*
 * What nf_conntrack computes for itself at load (the self[] above), from
 * totalram_kb of tests/data/golden-6.1.tsv: 512 MiB and 1 GiB boots, whose
 * table is not a power of two at 1 GiB (the module's resize target is).
 */
static void owner_test_conntrack_self(struct kunit *test)
{
	static const struct {
		u64 totalram_kb, buckets;
	} golden[] = {
		{ 210376, 2048 },	/* 256 MiB */
		{ 467008, 4096 },	/* 512 MiB */
		{ 980332, 7680 },	/* 1 GiB */
		{ 2006852, 65536 },	/* 2 GiB: 65536 above 1 GiB */
	};
	struct memtune_policy_input in = {
		.page_shift = 12, .hlist_head_size = 8, .hlist_nulls_head_size = 8,
	};
	static const unsigned int ids[] = {
		MEMTUNE_T_NF_CONNTRACK_BUCKETS, MEMTUNE_T_NF_CONNTRACK_MAX,
	};
	unsigned int i, k;
	u64 v;

	for (i = 0; i < ARRAY_SIZE(golden); i++) {
		in.totalram_pages = golden[i].totalram_kb / 4;
		for (k = 0; k < ARRAY_SIZE(ids); k++) {
			KUNIT_ASSERT_TRUE(test, memtune_policy_kmod_load_value(&in, ids[k], &v));
			KUNIT_EXPECT_EQ_MSG(test, v, golden[i].buckets, "%llu kB [%u]",
					    golden[i].totalram_kb, ids[k]);
		}
	}
	/* Not a kernel module's value: unknown, so never adopted. */
	KUNIT_EXPECT_FALSE(test, memtune_policy_kmod_load_value(&in,
			   MEMTUNE_T_MIN_FREE_KBYTES, &v));
	in.hlist_head_size = 0;
	KUNIT_EXPECT_FALSE(test, memtune_policy_kmod_load_value(&in,
			   MEMTUNE_T_NF_CONNTRACK_MAX, &v));
}

static void owner_test_adopt(struct kunit *test)
{
	unsigned int i, s;

	for (i = 0; i < ARRAY_SIZE(adopt_cases); i++) {
		const struct adopt_case *c = &adopt_cases[i];
		bool managed = memtune_owner_self_sized(c->live, c->self, 2,
							c->has_self);

		KUNIT_EXPECT_EQ_MSG(test, managed, c->want_managed, "%s", c->what);
		/* Each conntrack value is a tunable of one slot, owned together. */
		for (s = 0; s < 2; s++) {
			struct memtune_owner_state st;
			u64 want;

			memtune_owner_adopt(&st, 1, &c->live[s], managed);
			KUNIT_EXPECT_EQ_MSG(test, st.admin_mask, managed ? 0U : 1U,
					    "%s [%u]", c->what, s);
			KUNIT_EXPECT_EQ(test, st.boot[0], c->live[s]);
			KUNIT_EXPECT_EQ(test, st.written_mask, 0U);
			/* A resize writes the module's, never the admin's. */
			want = c->live[s] * 2;
			KUNIT_EXPECT_EQ_MSG(test, memtune_owner_write_slots(&st,
					memtune_owner_admin_slots(&st, &c->live[s]),
					&c->live[s], &want), managed ? 1U : 0U,
					"%s [%u]", c->what, s);
		}
	}
}

static void owner_test_slot_masks(struct kunit *test)
{
	struct memtune_owner_state st = { .nr_slots = 0 };
	static const u64 zero[MEMTUNE_MAX_SLOTS];

	KUNIT_EXPECT_EQ(test, memtune_owner_all_slots(&st), 0U);
	st.nr_slots = 1;
	KUNIT_EXPECT_EQ(test, memtune_owner_all_slots(&st), 1U);
	st.nr_slots = 3;
	KUNIT_EXPECT_EQ(test, memtune_owner_all_slots(&st), 7U);
	/* More than fit: clamped, never a bit past the array. */
	memtune_owner_init(&st, 99, zero);
	KUNIT_EXPECT_EQ(test, st.nr_slots, (unsigned int)MEMTUNE_MAX_SLOTS);
	KUNIT_EXPECT_EQ(test, memtune_owner_all_slots(&st), 0xffU);
	/* A stale admin bit beyond nr_slots is ignored. */
	memtune_owner_init(&st, 1, zero);
	st.admin_mask = BIT(5);
	KUNIT_EXPECT_EQ(test, memtune_owner_admin_slots(&st, zero), 0U);
}

struct load_case {
	const char *what;
	u64 live[NS];
	u64 kernel_value;	/* threads-max at load / 2 */
	u32 want;
};

/* 512 MiB golden boot: threads-max 3511, so every namespace limit 1755. */
static const struct load_case load_cases[] = {
	{ "as booted", { 1755, 1755, 1755, 1755, 1755, 1755, 1755, 1755 }, 1755, 0 },
	{ "sysctl.d: user.max_net_namespaces = 0",
	  { 1755, 1755, 1755, 1755, 0, 1755, 1755, 1755 }, 1755, BIT(NS_NET) },
	{ "net and user namespaces hardened",
	  { 0, 1755, 1755, 1755, 0, 1755, 1755, 1755 }, 1755, BIT(0) | BIT(NS_NET) },
	{ "threads-max raised before load: the seven that agree are the kernel's",
	  { 1755, 1755, 1755, 1755, 0, 1755, 1755, 1755 }, 50000, BIT(NS_NET) },
	{ "threads-max raised, no majority: nothing known, nothing claimed",
	  { 1, 1, 1, 1, 2, 2, 2, 2 }, 50000, 0 },
	{ "every limit set by the admin to one value, threads-max as booted",
	  { 100, 100, 100, 100, 100, 100, 100, 100 }, 1755, 0 },
};

static void owner_test_load_admin(struct kunit *test)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(load_cases); i++)
		KUNIT_EXPECT_EQ_MSG(test, memtune_owner_load_admin_slots(load_cases[i].live,
					NS, load_cases[i].kernel_value),
				    load_cases[i].want, "%s", load_cases[i].what);
	KUNIT_EXPECT_EQ(test, memtune_owner_load_admin_slots(load_cases[0].live, 0, 1755), 0U);
}

/*
 * Root hands a tunable back (enabled 0 then 1): what holds its boot value
 * or our write is the module's again, but not a limit hardened before
 * load or a late module's values configured by someone.
 */
static void owner_test_reclaim(struct kunit *test)
{
	static const u64 boot[NS] = { 1755, 1755, 1755, 1755, 0, 1755, 1755, 1755 };
	static const u64 ct[1] = { 12345 }, ct_self[1] = { 4096 };
	struct memtune_owner_state st;
	u64 live[NS];

	/* user.max_net_namespaces = 0 from sysctl.d, ipc changed after load */
	memtune_owner_init(&st, NS, boot);
	st.admin_mask = memtune_owner_load_admin_slots(boot, NS, 1755);
	st.foreign_boot_mask = st.admin_mask;
	memcpy(live, boot, sizeof(live));
	live[3] = 77;
	st.admin_mask = memtune_owner_admin_slots(&st, live);
	KUNIT_EXPECT_EQ(test, st.admin_mask, (u32)(BIT(3) | BIT(NS_NET)));
	/* ipc set back to its boot value: reclaimed; net never */
	live[3] = 1755;
	KUNIT_EXPECT_EQ(test, memtune_owner_reclaim_slots(&st, live), (u32)BIT(NS_NET));
	/* ipc still the admin's value: stays theirs */
	live[3] = 77;
	KUNIT_EXPECT_EQ(test, memtune_owner_reclaim_slots(&st, live),
			(u32)(BIT(3) | BIT(NS_NET)));

	/* nf_conntrack_max set before the module saw it */
	memtune_owner_adopt(&st, 1, ct, memtune_owner_self_sized(ct, ct_self, 1, true));
	KUNIT_EXPECT_EQ(test, memtune_owner_reclaim_slots(&st, ct), 1U);
	/* its own value: reclaimed */
	memtune_owner_adopt(&st, 1, ct_self, true);
	st.admin_mask = 1;	/* someone wrote, then put it back */
	KUNIT_EXPECT_EQ(test, memtune_owner_reclaim_slots(&st, ct_self), 0U);
}

static struct kunit_case owner_test_cases[] = {
	KUNIT_CASE(owner_test_decisions),
	KUNIT_CASE(owner_test_load_admin),
	KUNIT_CASE(owner_test_reclaim),
	KUNIT_CASE(owner_test_hardened_namespace_lifecycle),
	KUNIT_CASE(owner_test_adopt),
	KUNIT_CASE(owner_test_conntrack_self),
	KUNIT_CASE(owner_test_slot_masks),
	{}
};

static struct kunit_suite owner_test_suite = {
	.name = "xen_memtune_owner",
	.test_cases = owner_test_cases,
};

kunit_test_suites(&owner_test_suite);
