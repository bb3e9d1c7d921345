// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for kmod/policy.c.
 *
 * UML has its own THREAD_SIZE and struct sizes, so every input is an
 * x86_64 Debian 6.1 number written out here; nothing is read from the
 * running (UML) kernel.
 *
 * The golden test takes its expectations from golden.h, which
 * tests/kunit/run.sh generates from tests/data/golden-6.1.tsv (values a
 * real 6.1 PV DomU computed at boot, per size; tests/e2e/golden.sh).  The
 * other cases are worked by hand from the 6.1 source, named per case.
 */

#include <kunit/test.h>
#include <linux/bits.h>
#include <linux/ctype.h>
#include <linux/kernel.h>
#include <linux/string.h>

#include "policy.h"

struct golden_cell {
	const char *name;
	unsigned int nr;
	u64 v[MEMTUNE_MAX_FIELDS];
};

struct golden_row {
	u64 size_mib;
	u64 totalram_pages;
	u64 nr_free_buffer_pages;
	unsigned int populated_zones;
	bool thp_enabled;
	struct golden_cell cells[64];
};

#include "golden.h"

/*
 * Debian 6.1 amd64 (linux-headers-6.1.0-56-amd64) constants, measured by
 * compiling sizeof() against those headers: INOTIFY_WATCH_COST =
 * sizeof(struct inotify_inode_mark) + 2 * sizeof(struct inode) = 1344,
 * EP_ITEM_COST = sizeof(struct epitem) + sizeof(struct eppoll_entry) = 184.
 */
#define X86_INOTIFY_WATCH_COST	1344
#define X86_EP_ITEM_COST	184
/*
 * Same headers: INODE_MARK_COST = 2 * sizeof(struct inode) = 1264 and
 * L1_CACHE_ALIGN(sizeof(struct inet_peer)) = 192.
 */
#define X86_FANOTIFY_MARK_COST	1264
#define X86_INET_PEER_SIZE	192

static void x86_64_input(struct memtune_policy_input *in, u64 trp, u64 nfb)
{
	memset(in, 0, sizeof(*in));
	in->totalram_pages = trp;
	in->lowmem_pages = trp;	/* x86_64: every managed zone is <= NORMAL */
	in->nr_free_buffer_pages = nfb;
	in->page_shift = 12;
	in->thread_size = 16384;
	in->pageblock_pages = 512;
	in->nr_thp_zones = 2;
	in->watermark_scale_factor = 10;
	in->inotify_watch_cost = X86_INOTIFY_WATCH_COST;
	in->ep_item_cost = X86_EP_ITEM_COST;
	in->fanotify_mark_cost = X86_FANOTIFY_MARK_COST;
	in->inet_peer_size = X86_INET_PEER_SIZE;
	in->hlist_head_size = 8;
	in->hlist_nulls_head_size = 8;
}

static int tunable_by_name(const char *name)
{
	int i;

	for (i = 0; i < MEMTUNE_NR_TUNABLES; i++)
		if (!strcmp(memtune_tunables[i].name, name))
			return i;
	return -1;
}

/* "TCP established" -> "hash_tcp_established", as tests/e2e names columns */
static int hash_by_column(const char *column)
{
	char want[48];
	int i;

	for (i = 0; i < MEMTUNE_NR_HASHES; i++) {
		const char *s = memtune_hashes[i].boot_name;
		size_t n = strscpy(want, "hash_", sizeof(want));

		for (; *s && n < sizeof(want) - 1; s++)
			want[n++] = isalnum(*s) ? tolower(*s) : '_';
		want[n] = '\0';
		if (!strcmp(want, column))
			return i;
	}
	return -1;
}

static const struct golden_cell *golden_cell(const struct golden_row *row,
					     const char *name)
{
	const struct golden_cell *c;

	for (c = row->cells; c->name; c++)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

/*
 * Tolerance per tunable, in parts per thousand of the golden value (and
 * at least 1), and why the module's run-time inputs cannot reproduce the
 * boot exactly.  "seen" is the largest deviation against the rig's
 * golden-6.1.tsv (Debian 6.1.192, 256..4096 MiB).
 *  - threads_max, max_user_namespaces, inotify, epoll, min_free_kbytes
 *    (2..5, seen 0.05): the boot used totalram before the initramfs and
 *    init memory were freed; those pages are estimated once, from the
 *    smallest row's threads_max, and are the same at every size (same
 *    kernel, same initramfs).
 *  - reserves (2, seen 0): free pages at subsys_initcall; the boot use is
 *    estimated from the same row's user_reserve_kbytes
 *    (memtune_policy_boot_used_pages()): user is a self-check, admin
 *    (uncapped below 256 MiB of free memory) a real one.
 *  - file_max (40, seen 25.6 at 256 MiB): it counts the pages in use at
 *    page_alloc_init_late(), earlier than the reserves' subsys_initcall, so
 *    the estimated boot use is a few hundred pages too high; the error is
 *    a constant number of pages, so it is largest at the smallest size.
 *  - tcp/udp limits (5, seen 1.3): nr_free_buffer_pages() at fs_initcall
 *    versus after boot; the per-zone watermarks move a little with the
 *    late frees.
 *  - fanotify_max_user_marks (10): fanotify_user_setup() is a
 *    device_initcall, after rootfs_initcall started unpacking the initramfs
 *    asynchronously; whether its pages were freed by then is a race, worth
 *    up to the initramfs (17 MiB: 0.9 % at 2048 MiB, where it leaves its
 *    clamp).  inet_peer_threshold (2) is an fs_initcall, before it.
 *  - nf_conntrack (5, seen 0): totalram when modprobe ran, a moment before
 *    the table's MemTotal was read.
 *  - values from the boot TCP ehash, hashes: exact (nr_kernel_pages is
 *    rounded to whole MiB and powers of two before it matters).
 */
static const unsigned int golden_tolerance_permille[MEMTUNE_NR_TUNABLES] = {
	[MEMTUNE_T_MIN_FREE_KBYTES] = 5,
	[MEMTUNE_T_ADMIN_RESERVE_KBYTES] = 2,
	[MEMTUNE_T_USER_RESERVE_KBYTES] = 2,
	[MEMTUNE_T_THREADS_MAX] = 2,
	[MEMTUNE_T_FILE_MAX] = 40,
	[MEMTUNE_T_INOTIFY_MAX_USER_WATCHES] = 2,
	[MEMTUNE_T_EPOLL_MAX_USER_WATCHES] = 2,
	[MEMTUNE_T_TCP_MEM] = 5,
	[MEMTUNE_T_TCP_RMEM_MAX] = 5,
	[MEMTUNE_T_TCP_WMEM_MAX] = 5,
	[MEMTUNE_T_UDP_MEM] = 5,
	[MEMTUNE_T_TCP_MAX_ORPHANS] = 0,
	[MEMTUNE_T_TCP_MAX_TW_BUCKETS] = 0,
	[MEMTUNE_T_TCP_MAX_SYN_BACKLOG] = 0,
	[MEMTUNE_T_MAX_USER_NAMESPACES] = 2,
	[MEMTUNE_T_NF_CONNTRACK_BUCKETS] = 5,
	[MEMTUNE_T_NF_CONNTRACK_MAX] = 5,
	[MEMTUNE_T_FANOTIFY_MAX_USER_MARKS] = 10,
	[MEMTUNE_T_INET_PEER_THRESHOLD] = 2,
	[MEMTUNE_T_NF_CONNTRACK_EXPECT_MAX] = 5,
};

static bool within(u64 got, u64 want, unsigned int permille)
{
	u64 slack = permille ? max_t(u64, want * permille / 1000, 1) : 0;

	return got + slack >= want && got <= want + slack;
}

static u64 roundup_pow2(u64 n)
{
	u64 p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

/* The golden row's inputs, as the module fills them at run time. */
static void golden_input(const struct golden_row *row, u64 late_freed,
			 struct memtune_policy_input *in)
{
	const struct golden_cell *user;

	x86_64_input(in, row->totalram_pages, row->nr_free_buffer_pages);
	in->thp_enabled = row->thp_enabled;
	if (row->populated_zones)
		in->nr_thp_zones = row->populated_zones;
	/* memory = maxmem: present pages minus the memmap (64 B per page) */
	in->nr_kernel_pages = row->size_mib * 256 * 63 / 64;
	in->nr_all_pages = in->nr_kernel_pages;
	in->domain_pages = row->size_mib * 256;
	in->boot_late_freed_pages = late_freed;
	user = golden_cell(row, "user_reserve_kbytes");
	if (user)
		in->boot_used_pages =
			memtune_policy_boot_used_pages(row->totalram_pages,
						       user->v[0], 12);
}

/*
 * The boot basis the module establishes in that guest at load (balloon at
 * its boot size, init_task's RLIMIT_NPROC = threads-max / 2) must agree
 * with the late frees seen from the smallest row (within one thread's
 * pages either way) and recover the epoll item cost; its estimates then
 * feed the row's input, as at run time.
 */
static void golden_boot_basis(struct kunit *test, const struct golden_row *row,
			      u64 late, struct memtune_policy_input *in)
{
	const struct golden_cell *thr = golden_cell(row, "threads_max");
	const struct golden_cell *user = golden_cell(row, "user_reserve_kbytes");
	const struct golden_cell *ep = golden_cell(row, "epoll_max_user_watches");
	struct memtune_boot_record r = {
		.totalram_pages = row->totalram_pages,
		.balloon_pages = row->size_mib * 256,
		.boot_balloon_pages = row->size_mib * 256,
		.thread_size = 16384,
		.page_shift = 12,
	};
	struct memtune_boot_basis b;

	if (!thr || !user || !ep)
		return;
	r.init_nproc = thr->v[0] / 2;
	r.threads_max = thr->v[0];
	r.user_reserve_kbytes = user->v[0];
	r.epoll_max_user_watches = ep->v[0];
	memtune_policy_boot_basis(&r, &b);
	KUNIT_EXPECT_EQ_MSG(test, b.doubt, MEMTUNE_BOOT_OK, "%llu MiB", row->size_mib);
	KUNIT_EXPECT_EQ_MSG(test, b.unknown, 0U, "%llu MiB", row->size_mib);
	KUNIT_EXPECT_TRUE_MSG(test, b.late_freed_pages + 32 >= late &&
			      b.late_freed_pages <= late + 32,
			      "%llu MiB: late frees %llu, smallest row %llu",
			      row->size_mib, b.late_freed_pages, late);
	KUNIT_EXPECT_EQ_MSG(test, b.ep_item_cost, (u64)X86_EP_ITEM_COST,
			    "%llu MiB", row->size_mib);
	in->boot_late_freed_pages = b.late_freed_pages;
	in->boot_used_pages = b.boot_used_pages;
	in->ep_item_cost = b.ep_item_cost;
}

/* The smallest size: where the late frees weigh most, so are best seen. */
static const struct golden_row *golden_smallest(void)
{
	const struct golden_row *min = &golden_rows[0];
	unsigned int r;

	for (r = 1; r < ARRAY_SIZE(golden_rows); r++)
		if (golden_rows[r].size_mib < min->size_mib)
			min = &golden_rows[r];
	return min;
}

static void policy_test_golden(struct kunit *test)
{
	const struct golden_row *first = golden_smallest();
	const struct golden_cell *thr = golden_cell(first, "threads_max");
	u64 late = 0;
	unsigned int r, checked = 0;

	kunit_info(test, "expectations from %s, %zu sizes", GOLDEN_SOURCE,
		   ARRAY_SIZE(golden_rows));
	if (thr)
		late = memtune_policy_late_freed_pages(first->totalram_pages,
				memtune_policy_boot_init_pages(thr->v[0], U64_MAX,
							       16384, 12));
	kunit_info(test, "pages freed after the initcalls: %llu", late);

	for (r = 0; r < ARRAY_SIZE(golden_rows); r++) {
		const struct golden_row *row = &golden_rows[r];
		struct memtune_policy_input in;
		struct memtune_values out;
		const struct golden_cell *c;

		golden_input(row, late, &in);
		golden_boot_basis(test, row, late, &in);
		memtune_policy_compute(&in, &out);

		for (c = row->cells; c->name; c++) {
			int id = tunable_by_name(c->name);
			unsigned int i;

			if (id < 0) {
				int h = hash_by_column(c->name);

				if (h < 0)
					continue;	/* a table policy.c does not model */
				KUNIT_EXPECT_EQ_MSG(test,
					memtune_boot_hash_entries(h, &in), c->v[0],
					"%llu MiB: %s", row->size_mib, c->name);
				checked++;
				continue;
			}
			KUNIT_ASSERT_EQ_MSG(test, c->nr,
					    memtune_tunables[id].nr_fields,
					    "%s", c->name);
			KUNIT_EXPECT_TRUE_MSG(test, out.computed & BIT(id),
					      "%llu MiB: %s not computed",
					      row->size_mib, c->name);
			for (i = 0; i < c->nr; i++) {
				u64 want = c->v[i];

				/* the module resizes conntrack in 2^n steps */
				if (id == MEMTUNE_T_NF_CONNTRACK_BUCKETS)
					want = roundup_pow2(want);
				KUNIT_EXPECT_TRUE_MSG(test,
					within(out.val[id][i], want,
					       golden_tolerance_permille[id]),
					"%llu MiB: %s[%u] = %llu, golden %llu (+-%u permille)",
					row->size_mib, c->name, i, out.val[id][i],
					want, golden_tolerance_permille[id]);
			}
			checked++;
		}
	}
	/* the table must really have been checked, not skipped */
	KUNIT_EXPECT_GE(test, checked, 15 * ARRAY_SIZE(golden_rows));
}

/*
 * From the smallest golden size, memtune_policy_input_at() must predict
 * the larger sizes' nr_free_buffer_pages (what tcp/udp limits use) within
 * 1 %, given their totalram: that is how the shrink-first pass and
 * preview see a size the guest does not have yet.
 */
static void policy_test_input_at_golden(struct kunit *test)
{
	const struct golden_row *first = golden_smallest();
	struct memtune_policy_input now, at;
	unsigned int r;

	x86_64_input(&now, first->totalram_pages, first->nr_free_buffer_pages);
	now.thp_enabled = first->thp_enabled;
	for (r = 0; r < ARRAY_SIZE(golden_rows); r++) {
		const struct golden_row *row = &golden_rows[r];

		memtune_policy_input_at(&now, row->totalram_pages * 4, &at);
		KUNIT_EXPECT_EQ(test, at.totalram_pages, row->totalram_pages);
		KUNIT_EXPECT_TRUE_MSG(test,
			within(at.nr_free_buffer_pages, row->nr_free_buffer_pages, 10),
			"%llu MiB: estimated nfb %llu, golden %llu",
			row->size_mib, at.nr_free_buffer_pages,
			row->nr_free_buffer_pages);
	}
}

/*
 * Exact values at the edges, worked by hand from the 6.1 source for the
 * given inputs (x86_64: 4 KiB pages, 16 KiB stacks, no late frees).
 */
struct policy_case {
	const char *what;
	u64 trp, nfb;
	enum memtune_tunable_id id;
	u64 want[MEMTUNE_MAX_FIELDS];
};

static const struct policy_case policy_cases[] = {
	/* mm/page_alloc.c: calculate_min_free_kbytes(): int_sqrt(kB * 16) */
	{ "min_free 1 GiB", 262144, 262144, MEMTUNE_T_MIN_FREE_KBYTES, { 4096 } },
	{ "min_free 16 MiB", 4096, 4096, MEMTUNE_T_MIN_FREE_KBYTES, { 512 } },
	{ "min_free floor 128", 16, 16, MEMTUNE_T_MIN_FREE_KBYTES, { 128 } },
	{ "min_free cap 262144", 1ULL << 34, 1ULL << 34,
	  MEMTUNE_T_MIN_FREE_KBYTES, { 262144 } },
	/* mm/mmap.c: init_{admin,user}_reserve(): min(free_kb / 32, cap) */
	{ "admin 128 MiB", 32768, 32768, MEMTUNE_T_ADMIN_RESERVE_KBYTES, { 4096 } },
	{ "admin cap", 262144, 262144, MEMTUNE_T_ADMIN_RESERVE_KBYTES, { 8192 } },
	{ "user 1 GiB", 262144, 262144, MEMTUNE_T_USER_RESERVE_KBYTES, { 32768 } },
	{ "user cap", 2097152, 2097152, MEMTUNE_T_USER_RESERVE_KBYTES, { 131072 } },
	/* kernel/fork.c: set_max_threads(): RAM / 128 KiB, 20 .. 0x3fffffff */
	{ "threads 1 GiB", 262144, 262144, MEMTUNE_T_THREADS_MAX, { 8192 } },
	{ "threads floor 20", 100, 100, MEMTUNE_T_THREADS_MAX, { 20 } },
	{ "threads cap", 1ULL << 40, 1ULL << 40, MEMTUNE_T_THREADS_MAX,
	  { 0x3fffffff } },
	{ "namespaces 1 GiB", 262144, 262144, MEMTUNE_T_MAX_USER_NAMESPACES,
	  { 4096 } },
	/* fs/file_table.c: files_maxfiles_init(): kB / 10, at least 8192 */
	{ "file_max 1 GiB", 262144, 262144, MEMTUNE_T_FILE_MAX, { 104857 } },
	{ "file_max floor", 4096, 4096, MEMTUNE_T_FILE_MAX, { 8192 } },
	/* inotify_user_setup(): (lowmem/100 pages) * 4096 / 1344, 8192 .. 1 Mi */
	{ "inotify 8 GiB", 2097152, 2097152, MEMTUNE_T_INOTIFY_MAX_USER_WATCHES,
	  { 63911 } },
	{ "inotify floor", 262144, 262144, MEMTUNE_T_INOTIFY_MAX_USER_WATCHES,
	  { 8192 } },
	{ "inotify cap", 1ULL << 30, 1ULL << 30,
	  MEMTUNE_T_INOTIFY_MAX_USER_WATCHES, { 1048576 } },
	/* eventpoll_init(): (lowmem/25 pages) * 4096 / 184, no clamp */
	{ "epoll 1 GiB", 262144, 262144, MEMTUNE_T_EPOLL_MAX_USER_WATCHES,
	  { 233405 } },
	/* tcp_init_mem(): limit = max(nfb / 16, 128) */
	{ "tcp_mem 1 GiB", 262144, 250000, MEMTUNE_T_TCP_MEM,
	  { 11718, 15625, 23436 } },
	{ "tcp_mem floor", 1024, 1024, MEMTUNE_T_TCP_MEM, { 96, 128, 192 } },
	/* udp_init(): limit = max(nfb / 8, 128) */
	{ "udp_mem 1 GiB", 262144, 250000, MEMTUNE_T_UDP_MEM,
	  { 23436, 31250, 46872 } },
	/* tcp_init(): nfb * 4096 / 128 bytes, wmem 64 KiB .. 4 MiB, rmem 128 KiB .. 6 MiB */
	{ "wmem 64 MiB", 16384, 16000, MEMTUNE_T_TCP_WMEM_MAX, { 512000 } },
	{ "wmem floor", 2048, 2000, MEMTUNE_T_TCP_WMEM_MAX, { 65536 } },
	{ "wmem cap", 262144, 250000, MEMTUNE_T_TCP_WMEM_MAX, { 4194304 } },
	{ "rmem floor", 4096, 4000, MEMTUNE_T_TCP_RMEM_MAX, { 131072 } },
	{ "rmem cap", 262144, 250000, MEMTUNE_T_TCP_RMEM_MAX, { 6291456 } },
	/*
	 * nf_conntrack_init_start(): TRP / 32 buckets, 65536 above 1 GiB,
	 * 262144 above 4 GiB, min 1024, rounded up to 512; buckets then to 2^n.
	 */
	{ "ct max 768 MiB", 196608, 196608, MEMTUNE_T_NF_CONNTRACK_MAX, { 6144 } },
	{ "ct buckets 768 MiB", 196608, 196608, MEMTUNE_T_NF_CONNTRACK_BUCKETS,
	  { 8192 } },
	{ "ct max 1 GiB + 1 page", 262145, 262145, MEMTUNE_T_NF_CONNTRACK_MAX,
	  { 65536 } },
	{ "ct max 4 GiB + 1 page", 1048577, 1048577, MEMTUNE_T_NF_CONNTRACK_MAX,
	  { 262144 } },
	{ "ct max floor", 8192, 8192, MEMTUNE_T_NF_CONNTRACK_MAX, { 1024 } },
	{ "ct max 1000 pages off 512", 51231, 51231, MEMTUNE_T_NF_CONNTRACK_MAX,
	  { 2048 } },
	/* tcp_init()/tcp_set_hashinfo(): ehash 8192 at 1 GiB -> /2, /128 min 128 */
	{ "orphans 1 GiB", 262144, 262144, MEMTUNE_T_TCP_MAX_ORPHANS, { 4096 } },
	{ "tw 1 GiB", 262144, 262144, MEMTUNE_T_TCP_MAX_TW_BUCKETS, { 4096 } },
	{ "syn 1 GiB", 262144, 262144, MEMTUNE_T_TCP_MAX_SYN_BACKLOG, { 128 } },
	{ "syn 64 GiB", 1ULL << 24, 1ULL << 24, MEMTUNE_T_TCP_MAX_SYN_BACKLOG,
	  { 4096 } },
	/* fanotify_user_setup(): (lowmem/100 pages) * 4096 / 1264, 8192 .. 1 Mi */
	{ "fanotify 8 GiB", 2097152, 2097152, MEMTUNE_T_FANOTIFY_MAX_USER_MARKS,
	  { 67956 } },
	{ "fanotify floor", 131072, 131072, MEMTUNE_T_FANOTIFY_MAX_USER_MARKS,
	  { 8192 } },
	{ "fanotify cap", 1ULL << 30, 1ULL << 30,
	  MEMTUNE_T_FANOTIFY_MAX_USER_MARKS, { 1048576 } },
	/* inet_initpeers(): RAM / (100 * 192), 4096 .. 65664 */
	{ "inet_peer 1 GiB", 262144, 262144, MEMTUNE_T_INET_PEER_THRESHOLD,
	  { 55924 } },
	{ "inet_peer floor", 16384, 16384, MEMTUNE_T_INET_PEER_THRESHOLD,
	  { 4096 } },
	{ "inet_peer cap", 1ULL << 20, 1ULL << 20, MEMTUNE_T_INET_PEER_THRESHOLD,
	  { 65664 } },
	/* nf_conntrack_expect_init(): boot table / 256 * 4 */
	{ "ct expect 1 GiB", 262144, 262144, MEMTUNE_T_NF_CONNTRACK_EXPECT_MAX,
	  { 128 } },
	{ "ct expect 4 GiB + 1 page", 1048577, 1048577,
	  MEMTUNE_T_NF_CONNTRACK_EXPECT_MAX, { 4096 } },
	{ "ct expect floor", 8192, 8192, MEMTUNE_T_NF_CONNTRACK_EXPECT_MAX,
	  { 16 } },
};

static void policy_test_formulas(struct kunit *test)
{
	unsigned int c, i;

	for (c = 0; c < ARRAY_SIZE(policy_cases); c++) {
		const struct policy_case *pc = &policy_cases[c];
		struct memtune_policy_input in;
		struct memtune_values out;

		x86_64_input(&in, pc->trp, pc->nfb);
		memtune_policy_compute(&in, &out);
		KUNIT_EXPECT_TRUE_MSG(test, out.computed & BIT(pc->id), "%s",
				      pc->what);
		for (i = 0; i < memtune_tunables[pc->id].nr_fields; i++)
			KUNIT_EXPECT_EQ_MSG(test, out.val[pc->id][i], pc->want[i],
					    "%s [%u]", pc->what, i);
	}
}

/* mm/khugepaged.c: set_recommended_min_free_kbytes() */
static void policy_test_thp(struct kunit *test)
{
	static const struct {
		u64 lowmem, nfb;
		unsigned int zones;
		bool thp;
		u64 want;
	} cases[] = {
		/*
		 * The 5 % cap is of nr_free_buffer_pages() under the int_sqrt
		 * watermarks, as at boot, whatever the live value (the nfb
		 * column): lowmem - (min + 2 * max(min / 4, lowmem / 1000)).
		 * 512 * 2 * 11 = 11264 pages < 5 % of 260596 -> 45056 kB
		 */
		{ 262144, 250000, 2, true, 45056 },
		/* 3 zones: 16896 pages, capped at 260596 / 20 = 13029 pages */
		{ 262144, 250000, 3, true, 52116 },
		/* 512 MiB: min 724, high 1086 pages, 129986 / 20 = 6499 pages */
		{ 131072, 120000, 3, true, 25996 },
		/* the same when the raised watermarks left less free now */
		{ 131072, 100000, 3, true, 25996 },
		/* 64 GiB: 16896 pages -> 67584 kB > int_sqrt = 32768 */
		{ 1ULL << 24, 16000000, 3, true, 67584 },
		/* THP off (Xen PV, or booted below 512 MiB): int_sqrt only */
		{ 262144, 250000, 2, false, 4096 },
		/* 1 TiB: int_sqrt(2^30 * 16) = 131072 beats the THP minimum */
		{ 1ULL << 28, 1ULL << 28, 3, true, 131072 },
	};
	unsigned int c;

	for (c = 0; c < ARRAY_SIZE(cases); c++) {
		struct memtune_policy_input in;
		struct memtune_values out;

		x86_64_input(&in, cases[c].lowmem, cases[c].nfb);
		in.nr_thp_zones = cases[c].zones;
		in.thp_enabled = cases[c].thp;
		memtune_policy_compute(&in, &out);
		KUNIT_EXPECT_EQ_MSG(test, out.val[MEMTUNE_T_MIN_FREE_KBYTES][0],
				    cases[c].want, "case %u", c);
	}
}

/* mm/page_alloc.c: alloc_large_system_hash(), by hand */
static void policy_test_hashes(struct kunit *test)
{
	static const struct {
		enum memtune_hash_id id;
		u64 nkp;
		u64 want;
	} cases[] = {
		/* 256 MiB: 65536 pages >> (13 - 12) = 32768 */
		{ MEMTUNE_HASH_DENTRY, 65536, 32768 },
		/* a page short of 256 MiB still rounds up to whole MiB */
		{ MEMTUNE_HASH_DENTRY, 65535, 32768 },
		/* 64 GiB: no adapt step yet (adapt < n is false) */
		{ MEMTUNE_HASH_DENTRY, 1ULL << 24, 1ULL << 23 },
		/* 256 GiB: one 4x step above 64 GiB: scale 14 -> 2^26 >> 2 */
		{ MEMTUNE_HASH_DENTRY, 1ULL << 26, 1ULL << 24 },
		{ MEMTUNE_HASH_INODE, 65536, 16384 },
		/* 512 pages >> 7 = 4: less than a page of buckets -> 512 */
		{ MEMTUNE_HASH_MOUNT, 512, 512 },
		{ MEMTUNE_HASH_MOUNTPOINT, 1ULL << 20, 8192 },
		/* ehash: one per 128 KiB, at most 512 Ki (no adapt: high limit) */
		{ MEMTUNE_HASH_TCP_ESTABLISHED, 65536, 2048 },
		{ MEMTUNE_HASH_TCP_ESTABLISHED, 1ULL << 20, 32768 },
		{ MEMTUNE_HASH_TCP_ESTABLISHED, 1ULL << 26, 524288 },
		/* bind follows ehash, at most 64 Ki */
		{ MEMTUNE_HASH_TCP_BIND, 65536, 2048 },
		{ MEMTUNE_HASH_TCP_BIND, 1ULL << 26, 65536 },
		/* UDP: one per 2 MiB, 256 .. 64 Ki */
		{ MEMTUNE_HASH_UDP, 65536, 256 },
		{ MEMTUNE_HASH_UDP, 1ULL << 22, 8192 },
		{ MEMTUNE_HASH_UDP, 1ULL << 30, 65536 },
		/* IP idents: one per 64 KiB, 2048 .. 256 Ki */
		{ MEMTUNE_HASH_IP_IDENTS, 4096, 2048 },
		{ MEMTUNE_HASH_IP_IDENTS, 65536, 4096 },
		{ MEMTUNE_HASH_IP_IDENTS, 1ULL << 30, 262144 },
	};
	unsigned int c;

	for (c = 0; c < ARRAY_SIZE(cases); c++) {
		struct memtune_policy_input in;

		x86_64_input(&in, cases[c].nkp, cases[c].nkp);
		in.nr_kernel_pages = cases[c].nkp;
		KUNIT_EXPECT_EQ_MSG(test,
				    memtune_boot_hash_entries(cases[c].id, &in),
				    cases[c].want, "%s at %llu pages",
				    memtune_hashes[cases[c].id].name, cases[c].nkp);
	}
	/* the 1/16-of-memory cap: 4 Ki pages of all memory, 8-byte buckets */
	{
		struct memtune_policy_input in;

		x86_64_input(&in, 1ULL << 20, 1ULL << 20);
		in.nr_kernel_pages = 1ULL << 20;
		in.nr_all_pages = 16;	/* 64 KiB / 16 / 8 = 512 buckets */
		KUNIT_EXPECT_EQ(test,
				memtune_boot_hash_entries(MEMTUNE_HASH_DENTRY, &in),
				512ULL);
		KUNIT_EXPECT_EQ(test,
				memtune_boot_hash_entries(MEMTUNE_NR_HASHES, &in),
				0ULL);
	}
}

/* The names, paths and field counts are the contract (docs/ARCHITECTURE.md). */
static void policy_test_table(struct kunit *test)
{
	static const char *const contract[MEMTUNE_NR_TUNABLES] = {
		"min_free_kbytes", "admin_reserve_kbytes", "user_reserve_kbytes",
		"threads_max", "file_max", "inotify_max_user_watches",
		"epoll_max_user_watches", "tcp_mem", "tcp_rmem_max",
		"tcp_wmem_max", "udp_mem", "tcp_max_orphans",
		"tcp_max_tw_buckets", "tcp_max_syn_backlog",
		"max_user_namespaces", "nf_conntrack_buckets",
		"nf_conntrack_max", "fanotify_max_user_marks",
		"inet_peer_threshold", "nf_conntrack_expect_max",
	};
	unsigned int i, nr_paths;

	for (i = 0; i < MEMTUNE_NR_TUNABLES; i++) {
		const struct memtune_tunable_desc *d = &memtune_tunables[i];
		bool three = i == MEMTUNE_T_TCP_MEM || i == MEMTUNE_T_UDP_MEM;

		KUNIT_EXPECT_STREQ(test, d->name, contract[i]);
		KUNIT_ASSERT_NOT_NULL(test, d->paths);
		for (nr_paths = 0; d->paths[nr_paths]; nr_paths++)
			KUNIT_EXPECT_EQ_MSG(test,
				strncmp(d->paths[nr_paths], "/proc/sys/", 10), 0,
				"%s", d->name);
		KUNIT_EXPECT_EQ_MSG(test, nr_paths,
				    i == MEMTUNE_T_MAX_USER_NAMESPACES ? 8U : 1U,
				    "%s", d->name);
		KUNIT_EXPECT_EQ_MSG(test, d->nr_fields, three ? 3U : 1U, "%s",
				    d->name);
		KUNIT_EXPECT_NOT_NULL(test, d->unit);
		KUNIT_EXPECT_EQ_MSG(test, !!(d->flags & MEMTUNE_TF_EXPORTED),
				    !!d->symbol, "%s", d->name);
		KUNIT_EXPECT_EQ_MSG(test, !!(d->flags & MEMTUNE_TF_NEEDS_KMOD),
				    !!d->kmod, "%s", d->name);
	}
	for (i = 0; i < MEMTUNE_NR_HASHES; i++) {
		KUNIT_EXPECT_NOT_NULL(test, memtune_hashes[i].name);
		KUNIT_EXPECT_GT(test, memtune_hashes[i].bucket_size, 0U);
	}
}

static unsigned int position(bool shrinking, unsigned int id)
{
	unsigned int i;

	for (i = 0; i < MEMTUNE_NR_TUNABLES; i++)
		if (memtune_apply_order(shrinking, i) == id)
			return i;
	return MEMTUNE_NR_TUNABLES;
}

static void policy_test_apply_order(struct kunit *test)
{
	unsigned long seen_grow = 0, seen_shrink = 0;
	unsigned int i;

	for (i = 0; i < MEMTUNE_NR_TUNABLES; i++) {
		seen_grow |= BIT(memtune_apply_order(false, i));
		seen_shrink |= BIT(memtune_apply_order(true, i));
	}
	/* each order is a permutation */
	KUNIT_EXPECT_EQ(test, seen_grow, BIT(MEMTUNE_NR_TUNABLES) - 1);
	KUNIT_EXPECT_EQ(test, seen_shrink, BIT(MEMTUNE_NR_TUNABLES) - 1);
	KUNIT_EXPECT_EQ(test, memtune_apply_order(false, MEMTUNE_NR_TUNABLES),
			(unsigned int)MEMTUNE_NR_TUNABLES);

	/* grow: reserve first, table before its limit */
	KUNIT_EXPECT_EQ(test, position(false, MEMTUNE_T_MIN_FREE_KBYTES), 0U);
	KUNIT_EXPECT_LT(test, position(false, MEMTUNE_T_NF_CONNTRACK_BUCKETS),
			position(false, MEMTUNE_T_NF_CONNTRACK_MAX));
	KUNIT_EXPECT_LT(test, position(false, MEMTUNE_T_MIN_FREE_KBYTES),
			position(false, MEMTUNE_T_TCP_MEM));
	/* shrink: limits first, the limit before its table, reserve last */
	KUNIT_EXPECT_EQ(test, position(true, MEMTUNE_T_MIN_FREE_KBYTES),
			MEMTUNE_NR_TUNABLES - 1U);
	KUNIT_EXPECT_LT(test, position(true, MEMTUNE_T_NF_CONNTRACK_MAX),
			position(true, MEMTUNE_T_NF_CONNTRACK_BUCKETS));
	KUNIT_EXPECT_LT(test, position(true, MEMTUNE_T_TCP_MEM),
			position(true, MEMTUNE_T_MIN_FREE_KBYTES));
}

static void policy_test_skips(struct kunit *test)
{
	struct memtune_policy_input in;
	struct memtune_values out;

	/* systemd raised file-max to LONG_MAX: leave it */
	x86_64_input(&in, 262144, 262144);
	in.file_max_is_long_max = true;
	memtune_policy_compute(&in, &out);
	KUNIT_EXPECT_FALSE(test, out.computed & BIT(MEMTUNE_T_FILE_MAX));
	KUNIT_EXPECT_TRUE(test, out.computed & BIT(MEMTUNE_T_THREADS_MAX));

	/* unknown costs: those two are not guessed */
	x86_64_input(&in, 262144, 262144);
	in.inotify_watch_cost = 0;
	in.ep_item_cost = 0;
	memtune_policy_compute(&in, &out);
	KUNIT_EXPECT_FALSE(test,
			   out.computed & BIT(MEMTUNE_T_INOTIFY_MAX_USER_WATCHES));
	KUNIT_EXPECT_FALSE(test,
			   out.computed & BIT(MEMTUNE_T_EPOLL_MAX_USER_WATCHES));

	/* nonsense input computes nothing rather than garbage */
	x86_64_input(&in, 0, 0);
	memtune_policy_compute(&in, &out);
	KUNIT_EXPECT_EQ(test, out.computed, 0U);
	x86_64_input(&in, 262144, 262144);
	in.page_shift = 0;
	memtune_policy_compute(&in, &out);
	KUNIT_EXPECT_EQ(test, out.computed, 0U);

	/* every tunable is computed from complete input */
	x86_64_input(&in, 262144, 262144);
	memtune_policy_compute(&in, &out);
	KUNIT_EXPECT_EQ(test, out.computed, (u32)BIT(MEMTUNE_NR_TUNABLES) - 1);
}

/* The load-time estimators, on numbers worked by hand. */
static void policy_test_estimators(struct kunit *test)
{
	struct memtune_policy_input in;
	struct memtune_values out;

	/* user reserve 6403 kB: free = 6403 * 32 + 16 kB = 51228 pages */
	KUNIT_EXPECT_EQ(test, memtune_policy_boot_used_pages(51231, 6403, 12), 3ULL);
	KUNIT_EXPECT_EQ(test, memtune_policy_boot_used_pages(60000, 6403, 12),
			8772ULL);
	/* capped or missing: says nothing */
	KUNIT_EXPECT_EQ(test, memtune_policy_boot_used_pages(1ULL << 21, 131072, 12),
			0ULL);
	KUNIT_EXPECT_EQ(test, memtune_policy_boot_used_pages(60000, 0, 12), 0ULL);

	/* threads-max 1600: start_kernel saw 1600 * 32 + 16 pages */
	KUNIT_EXPECT_EQ(test,
			memtune_policy_boot_init_pages(1600, 60000, 16384, 12),
			51216ULL);
	/* clamped, or more than the RAM present (an admin raised it): unknown */
	KUNIT_EXPECT_EQ(test,
			memtune_policy_boot_init_pages(20, 60000, 16384, 12),
			0ULL);
	KUNIT_EXPECT_EQ(test,
			memtune_policy_boot_init_pages(4194304, 60000, 16384, 12),
			0ULL);
	KUNIT_EXPECT_EQ(test, memtune_policy_late_freed_pages(51231, 51216), 15ULL);
	KUNIT_EXPECT_EQ(test, memtune_policy_late_freed_pages(60000, 51216),
			8784ULL);
	KUNIT_EXPECT_EQ(test, memtune_policy_late_freed_pages(60000, 0), 0ULL);
	/* HVM/PVH booted below maxmem: the boot saw more than there is now */
	KUNIT_EXPECT_EQ(test, memtune_policy_late_freed_pages(40000, 51216), 0ULL);

	/* (244767 / 25 pages) * 4096 / 217933 = 184.0 */
	KUNIT_EXPECT_EQ(test, memtune_policy_derive_cost(244767, 25, 217933, 12),
			184ULL);
	/* (1018911 / 100) * 4096 / 31052 = 1343.99: nearest multiple of 8 */
	KUNIT_EXPECT_EQ(test,
			memtune_policy_derive_cost(1018911, 100, 31052, 12),
			1344ULL);
	KUNIT_EXPECT_EQ(test, memtune_policy_derive_cost(1018911, 100, 0, 12),
			0ULL);

	/* late frees come off every boot-time value, not conntrack */
	x86_64_input(&in, 262144 + 8192, 262144 + 8192);
	in.boot_late_freed_pages = 8192;
	memtune_policy_compute(&in, &out);
	KUNIT_EXPECT_EQ(test, out.val[MEMTUNE_T_THREADS_MAX][0], 8192ULL);
	KUNIT_EXPECT_EQ(test, out.val[MEMTUNE_T_MIN_FREE_KBYTES][0], 4096ULL);
	KUNIT_EXPECT_EQ(test, out.val[MEMTUNE_T_TCP_MEM][1], 16384ULL);
	KUNIT_EXPECT_EQ(test, out.val[MEMTUNE_T_NF_CONNTRACK_MAX][0], 65536ULL);
}

/* __setup_per_zone_wmarks(): high = min + 2 * max(min / 4, managed / 1000) */
static void policy_test_estimate_nfb(struct kunit *test)
{
	/* 1 GiB, min_free 4096 kB = 1024 pages: gap 262, high 1548 */
	KUNIT_EXPECT_EQ(test, memtune_policy_estimate_nfb(262144, 4096, 10, 12),
			262144ULL - 1548);
	/* 16 GiB, 16384 kB: gap max(1024, 4194) = 4194, high 12484 */
	KUNIT_EXPECT_EQ(test,
			memtune_policy_estimate_nfb(4194304, 16384, 10, 12),
			4194304ULL - 12484);
	/* nothing left */
	KUNIT_EXPECT_EQ(test, memtune_policy_estimate_nfb(100, 262144, 10, 12),
			0ULL);
}

static void policy_test_input_at(struct kunit *test)
{
	struct memtune_policy_input now, at;
	struct memtune_values a, b;

	x86_64_input(&now, 262144, 262144 - 1548);
	now.nr_kernel_pages = 262144;
	now.nr_all_pages = 262144;

	/* the same size gives the same values */
	memtune_policy_input_at(&now, 262144 * 4, &at);
	memtune_policy_compute(&now, &a);
	memtune_policy_compute(&at, &b);
	KUNIT_EXPECT_EQ(test, memcmp(&a, &b, sizeof(a)), 0);

	/* 4x the memory: totalram and lowmem move, nfb follows */
	memtune_policy_input_at(&now, 4 * 262144 * 4, &at);
	KUNIT_EXPECT_EQ(test, at.totalram_pages, 4ULL * 262144);
	/* present memory (boot hash sizes) does not follow the balloon */
	KUNIT_EXPECT_EQ(test, at.nr_kernel_pages, 262144ULL);
	KUNIT_EXPECT_EQ(test, at.nr_all_pages, 262144ULL);
	KUNIT_EXPECT_EQ(test, at.lowmem_pages, 4ULL * 262144);
	/* min_free int_sqrt(4 GiB in kB * 16) = 8192 kB = 2048 pages: gap 1048 */
	KUNIT_EXPECT_EQ(test, at.nr_free_buffer_pages, 4ULL * 262144 - 4144);
	memtune_policy_compute(&at, &b);
	KUNIT_EXPECT_EQ(test, b.val[MEMTUNE_T_THREADS_MAX][0], 32768ULL);

	/* a shrink below what the kernel holds keeps at least a page */
	memtune_policy_input_at(&now, 0, &at);
	KUNIT_EXPECT_EQ(test, at.totalram_pages, 0ULL);
	KUNIT_EXPECT_GE(test, at.lowmem_pages, 1ULL);
}

/*
 * The boot basis from what the kernel recorded at boot, in every state a
 * guest is in when the module loads.  A PV guest booted at 512 MiB with
 * maxmem 2048 MiB (the golden 512 MiB row's boot: totalram 116752 pages,
 * threads-max 3511, user_reserve 13852 kB, epoll 100040; nr_pages 131072).
 * Whatever the balloon did before the load, the basis is the boot's:
 * totalram at the end of the boot, 4400 pages (17 MiB) of late frees.
 */
#define BOOT_TRP	116752ULL
#define BOOT_NR_PAGES	131072ULL
#define BOOT_NPROC	1755ULL	/* threads-max 3511 / 2 */
#define BOOT_THREADS	3511ULL
#define BOOT_USER_KB	13852ULL
#define BOOT_EPOLL	100040ULL
#define MIB_PAGES	256ULL

/* NEEDS_INIT_PAGES of policy.c: every tunable but the hash and conntrack ones */
static u32 needs_init_pages(void)
{
	return (u32)(BIT(MEMTUNE_NR_TUNABLES) - 1) &
	       ~(u32)(BIT(MEMTUNE_T_TCP_MAX_ORPHANS) |
		      BIT(MEMTUNE_T_TCP_MAX_TW_BUCKETS) |
		      BIT(MEMTUNE_T_TCP_MAX_SYN_BACKLOG) |
		      BIT(MEMTUNE_T_NF_CONNTRACK_BUCKETS) |
		      BIT(MEMTUNE_T_NF_CONNTRACK_MAX) |
		      BIT(MEMTUNE_T_NF_CONNTRACK_EXPECT_MAX));
}

#define NEEDS_BOOT_USED_BITS (BIT(MEMTUNE_T_ADMIN_RESERVE_KBYTES) |	\
	BIT(MEMTUNE_T_USER_RESERVE_KBYTES) | BIT(MEMTUNE_T_FILE_MAX))

struct boot_case {
	const char *what;
	s64 moved_mib;		/* balloon moved since boot, MiB (+ grow) */
	u64 boot_balloon;	/* what the module reads as the boot balloon */
	u64 nproc, user_kb, epoll;
	u64 threads;		/* kernel.threads-max at load; 0: the boot's */
	enum memtune_boot_doubt doubt;
	u32 unknown;		/* 0, or ~0 for needs_init_pages() */
};

static const struct boot_case boot_cases[] = {
	{ "loaded at boot", 0, BOOT_NR_PAGES, BOOT_NPROC, BOOT_USER_KB,
	  BOOT_EPOLL, 0, MEMTUNE_BOOT_OK, 0 },
	{ "loaded after grow 512 -> 2048", 1536, BOOT_NR_PAGES, BOOT_NPROC,
	  BOOT_USER_KB, BOOT_EPOLL, 0, MEMTUNE_BOOT_OK, 0 },
	{ "loaded after shrink 512 -> 384", -128, BOOT_NR_PAGES, BOOT_NPROC,
	  BOOT_USER_KB, BOOT_EPOLL, 0, MEMTUNE_BOOT_OK, 0 },
	/* rmmod restored the boot values (restore_on_unload=1, the default) */
	{ "reloaded after grow, restored", 1536, BOOT_NR_PAGES, BOOT_NPROC,
	  BOOT_USER_KB, BOOT_EPOLL, 0, MEMTUNE_BOOT_OK, 0 },
	/*
	 * restore_on_unload=0: the previous load's values for 2048 MiB are
	 * still there (user_reserve 61950, epoll 442813): the reserves,
	 * file-max and epoll have no basis; the rest still does (init_task).
	 */
	{ "reloaded after grow, not restored", 1536, BOOT_NR_PAGES, BOOT_NPROC,
	  61950, 442813, 15472, MEMTUNE_BOOT_OK,
	  NEEDS_BOOT_USED_BITS | BIT(MEMTUNE_T_EPOLL_MAX_USER_WATCHES) },
	/* PVH grown by hotplug: present pages grew with the balloon */
	{ "present pages moved (hotplug)", 1536, BOOT_NR_PAGES + 1536 * MIB_PAGES,
	  BOOT_NPROC, BOOT_USER_KB, BOOT_EPOLL, 0, MEMTUNE_BOOT_DISAGREE, ~0U },
	{ "boot balloon unknown", 1536, 0, BOOT_NPROC, BOOT_USER_KB,
	  BOOT_EPOLL, 0, MEMTUNE_BOOT_NO_BALLOON, ~0U },
	{ "init nproc at the floor", 0, BOOT_NR_PAGES, 10, BOOT_USER_KB,
	  BOOT_EPOLL, 0, MEMTUNE_BOOT_NO_INIT_NPROC, ~0U },
	/* a boot balloon below what the guest holds beyond its totalram */
	{ "boot balloon absurd", 0, 1000, BOOT_NPROC, BOOT_USER_KB,
	  BOOT_EPOLL, 0, MEMTUNE_BOOT_DISAGREE, ~0U },
};

static void boot_record(const struct boot_case *bc,
			struct memtune_boot_record *r)
{
	s64 moved = bc->moved_mib * (s64)MIB_PAGES;

	memset(r, 0, sizeof(*r));
	r->totalram_pages = (u64)max_t(s64, (s64)BOOT_TRP + moved, 0);
	r->balloon_pages = (u64)max_t(s64, (s64)BOOT_NR_PAGES + moved, 0);
	r->boot_balloon_pages = bc->boot_balloon;
	r->init_nproc = bc->nproc;
	r->user_reserve_kbytes = bc->user_kb;
	r->epoll_max_user_watches = bc->epoll;
	r->threads_max = bc->threads ?: BOOT_THREADS;
	r->thread_size = 16384;
	r->page_shift = 12;
}

static void policy_test_boot_basis(struct kunit *test)
{
	struct memtune_boot_record r;
	struct memtune_boot_basis at_boot, b;
	unsigned int c;

	boot_record(&boot_cases[0], &r);
	memtune_policy_boot_basis(&r, &at_boot);
	/* threads-max 3511 (2n + 1): 3511 * 32 = 112352; 4400 pages of late frees */
	KUNIT_EXPECT_EQ(test, at_boot.boot_totalram_pages, BOOT_TRP);
	KUNIT_EXPECT_EQ(test, at_boot.init_pages, 112352ULL);
	KUNIT_EXPECT_EQ(test, at_boot.late_freed_pages, 4400ULL);
	/* free at subsys_initcall: (13852 * 32 + 16) / 4 = 110820 pages */
	KUNIT_EXPECT_EQ(test, at_boot.boot_used_pages, BOOT_TRP - 110820);
	KUNIT_EXPECT_EQ(test, at_boot.ep_item_cost, (u64)X86_EP_ITEM_COST);

	for (c = 0; c < ARRAY_SIZE(boot_cases); c++) {
		const struct boot_case *bc = &boot_cases[c];
		u32 unknown = bc->unknown == ~0U ? needs_init_pages() : bc->unknown;

		boot_record(bc, &r);
		memtune_policy_boot_basis(&r, &b);
		KUNIT_EXPECT_EQ_MSG(test, b.doubt, bc->doubt, "%s", bc->what);
		KUNIT_EXPECT_EQ_MSG(test, b.unknown, unknown, "%s", bc->what);
		if (b.doubt != MEMTUNE_BOOT_OK)
			continue;
		/* the same boot, whatever happened before the load */
		KUNIT_EXPECT_EQ_MSG(test, b.boot_totalram_pages, BOOT_TRP, "%s", bc->what);
		/* threads-max rewritten: 2n, at most one thread's pages more */
		KUNIT_EXPECT_TRUE_MSG(test, b.late_freed_pages >= at_boot.late_freed_pages &&
				      b.late_freed_pages <= at_boot.late_freed_pages + 32,
				      "%s: %llu", bc->what, b.late_freed_pages);
		if (!(b.unknown & NEEDS_BOOT_USED_BITS))
			KUNIT_EXPECT_EQ_MSG(test, b.boot_used_pages,
					    at_boot.boot_used_pages, "%s", bc->what);
	}
}

/*
 * Loaded after a grow 512 -> 2048 MiB, then shrunk to 768: the values are
 * those of the module loaded at boot (the bug: late frees of 1536 MiB, so
 * threads-max for 512 MiB at 2048 and the floor of 20 at 768: no fork).
 * Every computed value is at or above its kernel floor, whatever the
 * basis.
 */
static void policy_test_late_load_values(struct kunit *test)
{
	static const u64 sizes_mib[] = { 2048, 768, 384 };
	struct memtune_boot_record r;
	struct memtune_boot_basis at_boot, late;
	unsigned int s, id;

	boot_record(&boot_cases[0], &r);
	memtune_policy_boot_basis(&r, &at_boot);
	boot_record(&boot_cases[1], &r);
	memtune_policy_boot_basis(&r, &late);

	for (s = 0; s < ARRAY_SIZE(sizes_mib); s++) {
		struct memtune_policy_input in;
		struct memtune_values a, b;
		u64 trp = sizes_mib[s] * MIB_PAGES * 89 / 100;

		x86_64_input(&in, trp, trp - trp / 100);
		in.boot_late_freed_pages = at_boot.late_freed_pages;
		in.boot_used_pages = at_boot.boot_used_pages;
		memtune_policy_compute(&in, &a);
		in.boot_late_freed_pages = late.late_freed_pages;
		in.boot_used_pages = late.boot_used_pages;
		in.unknown = late.unknown;
		memtune_policy_compute(&in, &b);
		KUNIT_EXPECT_EQ_MSG(test, memcmp(&a, &b, sizeof(a)), 0,
				    "%llu MiB", sizes_mib[s]);
		/* RAM / 128 KiB, less the 17 MiB the boot had not freed yet */
		KUNIT_EXPECT_EQ_MSG(test, b.val[MEMTUNE_T_THREADS_MAX][0],
				    (trp - 4400) / 32, "%llu MiB", sizes_mib[s]);
	}

	/* absurd late frees: never below half the memory, nor the floors */
	for (s = 0; s < ARRAY_SIZE(sizes_mib); s++) {
		struct memtune_policy_input in;
		struct memtune_values v;
		u64 trp = sizes_mib[s] * MIB_PAGES;

		x86_64_input(&in, trp, trp);
		in.boot_late_freed_pages = 1ULL << 40;
		in.boot_used_pages = 1ULL << 40;
		memtune_policy_compute(&in, &v);
		KUNIT_EXPECT_EQ(test, v.val[MEMTUNE_T_THREADS_MAX][0], trp / 2 / 32);
		KUNIT_EXPECT_GE(test, v.val[MEMTUNE_T_MIN_FREE_KBYTES][0], 128ULL);
		KUNIT_EXPECT_GE(test, v.val[MEMTUNE_T_FILE_MAX][0], 8192ULL);
		KUNIT_EXPECT_GE(test, v.val[MEMTUNE_T_TCP_MEM][1], 128ULL);
		KUNIT_EXPECT_GE(test, v.val[MEMTUNE_T_INET_PEER_THRESHOLD][0], 4096ULL);
		KUNIT_EXPECT_GE(test, v.val[MEMTUNE_T_FANOTIFY_MAX_USER_MARKS][0], 8192ULL);
	}

	/* an unknown basis computes nothing that depends on it */
	{
		struct memtune_policy_input in;
		struct memtune_values v;

		x86_64_input(&in, 524288, 520000);
		in.unknown = needs_init_pages();
		memtune_policy_compute(&in, &v);
		for (id = 0; id < MEMTUNE_NR_TUNABLES; id++)
			KUNIT_EXPECT_EQ_MSG(test, !!(v.computed & BIT(id)),
					    !(in.unknown & BIT(id)), "%s",
					    memtune_tunables[id].name);
	}
}

/*
 * TCP limits from the ehash: after a shrink, those of a guest booted at
 * that size (memory = maxmem); after a grow, at most this kernel's own.
 */
static void policy_test_tcp_hash_follow(struct kunit *test)
{
	static const struct {
		u64 boot_mib, domain_mib;
		u64 orphans, syn;
	} cases[] = {
		/* booted at 3072: ehash 32768 (nkp 3024 MiB * 8 -> 2^15) */
		{ 3072, 3072, 16384, 256 },
		/* shrunk to 768: a 768 MiB boot has 8192 buckets */
		{ 3072, 768, 4096, 128 },
		{ 3072, 2048, 8192, 128 },
		/* booted at 512, grown to 2048: stays at the 512 MiB ehash */
		{ 512, 2048, 2048, 128 },
		/* domain unknown: the boot ehash */
		{ 3072, 0, 16384, 256 },
	};
	unsigned int c;

	for (c = 0; c < ARRAY_SIZE(cases); c++) {
		struct memtune_policy_input in;
		struct memtune_values v;
		u64 nkp = cases[c].boot_mib * MIB_PAGES * 63 / 64;

		x86_64_input(&in, cases[c].boot_mib * MIB_PAGES,
			     cases[c].boot_mib * MIB_PAGES);
		in.nr_kernel_pages = nkp;
		in.nr_all_pages = nkp;
		in.domain_pages = cases[c].domain_mib * MIB_PAGES;
		memtune_policy_compute(&in, &v);
		KUNIT_EXPECT_EQ_MSG(test, v.val[MEMTUNE_T_TCP_MAX_ORPHANS][0],
				    cases[c].orphans, "case %u", c);
		KUNIT_EXPECT_EQ_MSG(test, v.val[MEMTUNE_T_TCP_MAX_TW_BUCKETS][0],
				    cases[c].orphans, "case %u", c);
		KUNIT_EXPECT_EQ_MSG(test, v.val[MEMTUNE_T_TCP_MAX_SYN_BACKLOG][0],
				    cases[c].syn, "case %u", c);
	}
}

static struct kunit_case policy_test_cases[] = {
	KUNIT_CASE(policy_test_golden),
	KUNIT_CASE(policy_test_input_at_golden),
	KUNIT_CASE(policy_test_formulas),
	KUNIT_CASE(policy_test_thp),
	KUNIT_CASE(policy_test_hashes),
	KUNIT_CASE(policy_test_table),
	KUNIT_CASE(policy_test_apply_order),
	KUNIT_CASE(policy_test_skips),
	KUNIT_CASE(policy_test_estimators),
	KUNIT_CASE(policy_test_estimate_nfb),
	KUNIT_CASE(policy_test_input_at),
	KUNIT_CASE(policy_test_boot_basis),
	KUNIT_CASE(policy_test_late_load_values),
	KUNIT_CASE(policy_test_tcp_hash_follow),
	{}
};

static struct kunit_suite policy_test_suite = {
	.name = "xen_memtune_policy",
	.test_cases = policy_test_cases,
};

kunit_test_suites(&policy_test_suite);
