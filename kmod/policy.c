// SPDX-License-Identifier: GPL-2.0
/*
 * xen_memtune policy: the Linux 6.1 boot formulas for every managed value,
 * as pure arithmetic over struct memtune_policy_input.
 *
 * Each formula names the 6.1 function it reproduces.  The kernel computes
 * these once, at boot, from the memory it had then; here they are computed
 * from the memory the guest has now, so the result is what a boot at this
 * size would have picked.
 */

#include <linux/bitops.h>
#include <linux/bits.h>
#include <linux/kernel.h>
#include <linux/log2.h>
#include <linux/math.h>
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/string.h>

#include "policy.h"

/* mm/page_alloc.c: calculate_min_free_kbytes() clamp */
#define MIN_FREE_KBYTES_LOW	128ULL
#define MIN_FREE_KBYTES_HIGH	262144ULL
/* include/linux/mmzone.h: MIGRATE_PCPTYPES */
#define THP_MIGRATE_PCPTYPES	3ULL
/* mm/mmap.c: init_user_reserve() / init_admin_reserve() caps, KiB */
#define USER_RESERVE_MAX_KB	(1ULL << 17)
#define ADMIN_RESERVE_MAX_KB	(1ULL << 13)
/* kernel/fork.c: MIN_THREADS, MAX_THREADS (= FUTEX_TID_MASK) */
#define THREADS_MIN		20ULL
#define THREADS_MAX		0x3fffffffULL
/* include/linux/fs.h: NR_FILE */
#define FILE_MAX_MIN		8192ULL
/* fs/notify/inotify/inotify_user.c: inotify_user_setup() clamp */
#define INOTIFY_WATCHES_MIN	8192ULL
#define INOTIFY_WATCHES_MAX	1048576ULL
/* net/ipv4/tcp.c: tcp_init() per-socket caps, bytes */
#define TCP_WMEM_MAX_CAP	(4ULL << 20)
#define TCP_RMEM_MAX_CAP	(6ULL << 20)
#define TCP_WMEM_MAX_MIN	65536ULL
#define TCP_RMEM_MAX_MIN	131072ULL
/* net/ipv4/tcp_ipv4.c: tcp_set_hashinfo() */
#define TCP_SYN_BACKLOG_MIN	128ULL
/* fs/notify/fanotify/fanotify_user.c: fanotify_user_setup() clamp */
#define FANOTIFY_MARKS_MIN	8192ULL
#define FANOTIFY_MARKS_MAX	(8192ULL * 128)
/* net/ipv4/inetpeer.c: inet_initpeers() clamp */
#define INET_PEER_MIN		4096ULL
#define INET_PEER_MAX		(65536ULL + 128)
/* net/netfilter/nf_conntrack_expect.c: nf_conntrack_expect_init() */
#define CT_EXPECT_PER_BUCKETS	256ULL
#define CT_EXPECT_PER_HASH	4ULL
/* mm/page_alloc.c: ADAPT_SCALE_BASE (64 GiB), ADAPT_SCALE_SHIFT */
#define HASH_ADAPT_SCALE_BASE	(64ULL << 30)
#define HASH_ADAPT_SCALE_SHIFT	2
#define HASH_MAX_ENTRIES	0x80000000ULL

static const char *const min_free_kbytes_paths[] = {
	"/proc/sys/vm/min_free_kbytes", NULL };
static const char *const admin_reserve_paths[] = {
	"/proc/sys/vm/admin_reserve_kbytes", NULL };
static const char *const user_reserve_paths[] = {
	"/proc/sys/vm/user_reserve_kbytes", NULL };
static const char *const threads_max_paths[] = {
	"/proc/sys/kernel/threads-max", NULL };
static const char *const file_max_paths[] = {
	"/proc/sys/fs/file-max", NULL };
static const char *const inotify_paths[] = {
	"/proc/sys/fs/inotify/max_user_watches", NULL };
static const char *const epoll_paths[] = {
	"/proc/sys/fs/epoll/max_user_watches", NULL };
static const char *const tcp_mem_paths[] = {
	"/proc/sys/net/ipv4/tcp_mem", NULL };
static const char *const tcp_rmem_paths[] = {
	"/proc/sys/net/ipv4/tcp_rmem", NULL };
static const char *const tcp_wmem_paths[] = {
	"/proc/sys/net/ipv4/tcp_wmem", NULL };
static const char *const udp_mem_paths[] = {
	"/proc/sys/net/ipv4/udp_mem", NULL };
static const char *const tcp_max_orphans_paths[] = {
	"/proc/sys/net/ipv4/tcp_max_orphans", NULL };
static const char *const tcp_max_tw_buckets_paths[] = {
	"/proc/sys/net/ipv4/tcp_max_tw_buckets", NULL };
static const char *const tcp_max_syn_backlog_paths[] = {
	"/proc/sys/net/ipv4/tcp_max_syn_backlog", NULL };
/* kernel/fork.c: fork_init() sets every UCOUNT_*_NAMESPACES to max_threads / 2 */
static const char *const namespaces_paths[] = {
	"/proc/sys/user/max_user_namespaces",
	"/proc/sys/user/max_pid_namespaces",
	"/proc/sys/user/max_uts_namespaces",
	"/proc/sys/user/max_ipc_namespaces",
	"/proc/sys/user/max_net_namespaces",
	"/proc/sys/user/max_mnt_namespaces",
	"/proc/sys/user/max_cgroup_namespaces",
	"/proc/sys/user/max_time_namespaces",
	NULL };
/*
 * The init_net sysctl (0644 there) runs nf_conntrack_hash_sysctl() ->
 * nf_conntrack_hash_resize(), the same as the hashsize module parameter.
 */
static const char *const ct_buckets_paths[] = {
	"/proc/sys/net/netfilter/nf_conntrack_buckets", NULL };
static const char *const ct_max_paths[] = {
	"/proc/sys/net/netfilter/nf_conntrack_max", NULL };
static const char *const fanotify_paths[] = {
	"/proc/sys/fs/fanotify/max_user_marks", NULL };
static const char *const inet_peer_paths[] = {
	"/proc/sys/net/ipv4/inet_peer_threshold", NULL };
static const char *const ct_expect_max_paths[] = {
	"/proc/sys/net/netfilter/nf_conntrack_expect_max", NULL };

const struct memtune_tunable_desc memtune_tunables[MEMTUNE_NR_TUNABLES] = {
	[MEMTUNE_T_MIN_FREE_KBYTES] = {
		.name = "min_free_kbytes", .paths = min_free_kbytes_paths,
		.nr_fields = 1, .unit = "kB",
	},
	[MEMTUNE_T_ADMIN_RESERVE_KBYTES] = {
		.name = "admin_reserve_kbytes", .paths = admin_reserve_paths,
		.nr_fields = 1, .unit = "kB",
	},
	[MEMTUNE_T_USER_RESERVE_KBYTES] = {
		.name = "user_reserve_kbytes", .paths = user_reserve_paths,
		.nr_fields = 1, .unit = "kB",
	},
	[MEMTUNE_T_THREADS_MAX] = {
		.name = "threads_max", .paths = threads_max_paths,
		.nr_fields = 1, .unit = "count",
	},
	[MEMTUNE_T_FILE_MAX] = {
		.name = "file_max", .paths = file_max_paths,
		.nr_fields = 1, .flags = MEMTUNE_TF_SKIP_IF_LONG_MAX,
		.unit = "count",
	},
	[MEMTUNE_T_INOTIFY_MAX_USER_WATCHES] = {
		.name = "inotify_max_user_watches", .paths = inotify_paths,
		.nr_fields = 1, .flags = MEMTUNE_TF_EXPORTED,
		.symbol = "init_user_ns.ucount_max[UCOUNT_INOTIFY_WATCHES]",
		.unit = "count",
	},
	[MEMTUNE_T_EPOLL_MAX_USER_WATCHES] = {
		.name = "epoll_max_user_watches", .paths = epoll_paths,
		.nr_fields = 1, .unit = "count",
	},
	[MEMTUNE_T_TCP_MEM] = {
		.name = "tcp_mem", .paths = tcp_mem_paths,
		.nr_fields = 3, .flags = MEMTUNE_TF_EXPORTED,
		.symbol = "sysctl_tcp_mem", .unit = "pages",
	},
	[MEMTUNE_T_TCP_RMEM_MAX] = {
		.name = "tcp_rmem_max", .paths = tcp_rmem_paths,
		.nr_fields = 1,
		.flags = MEMTUNE_TF_EXPORTED | MEMTUNE_TF_PER_NETNS |
			 MEMTUNE_TF_LAST_OF_THREE,
		.symbol = "init_net.ipv4.sysctl_tcp_rmem[2]", .unit = "bytes",
	},
	[MEMTUNE_T_TCP_WMEM_MAX] = {
		.name = "tcp_wmem_max", .paths = tcp_wmem_paths,
		.nr_fields = 1,
		.flags = MEMTUNE_TF_EXPORTED | MEMTUNE_TF_PER_NETNS |
			 MEMTUNE_TF_LAST_OF_THREE,
		.symbol = "init_net.ipv4.sysctl_tcp_wmem[2]", .unit = "bytes",
	},
	[MEMTUNE_T_UDP_MEM] = {
		.name = "udp_mem", .paths = udp_mem_paths,
		.nr_fields = 3, .flags = MEMTUNE_TF_EXPORTED,
		.symbol = "sysctl_udp_mem", .unit = "pages",
	},
	[MEMTUNE_T_TCP_MAX_ORPHANS] = {
		.name = "tcp_max_orphans", .paths = tcp_max_orphans_paths,
		.nr_fields = 1, .flags = MEMTUNE_TF_FROM_BOOT_HASH,
		.unit = "count",
	},
	[MEMTUNE_T_TCP_MAX_TW_BUCKETS] = {
		.name = "tcp_max_tw_buckets", .paths = tcp_max_tw_buckets_paths,
		.nr_fields = 1,
		.flags = MEMTUNE_TF_EXPORTED | MEMTUNE_TF_PER_NETNS |
			 MEMTUNE_TF_FROM_BOOT_HASH,
		.symbol = "init_net.ipv4.tcp_death_row.sysctl_max_tw_buckets",
		.unit = "count",
	},
	[MEMTUNE_T_TCP_MAX_SYN_BACKLOG] = {
		.name = "tcp_max_syn_backlog",
		.paths = tcp_max_syn_backlog_paths,
		.nr_fields = 1,
		.flags = MEMTUNE_TF_EXPORTED | MEMTUNE_TF_PER_NETNS |
			 MEMTUNE_TF_FROM_BOOT_HASH,
		.symbol = "init_net.ipv4.sysctl_max_syn_backlog",
		.unit = "count",
	},
	[MEMTUNE_T_MAX_USER_NAMESPACES] = {
		.name = "max_user_namespaces", .paths = namespaces_paths,
		.nr_fields = 1, .flags = MEMTUNE_TF_EXPORTED,
		.symbol = "init_user_ns.ucount_max[UCOUNT_*_NAMESPACES]",
		.unit = "count",
	},
	[MEMTUNE_T_NF_CONNTRACK_BUCKETS] = {
		.name = "nf_conntrack_buckets", .paths = ct_buckets_paths,
		.nr_fields = 1, .flags = MEMTUNE_TF_NEEDS_KMOD,
		.kmod = "nf_conntrack", .unit = "count",
	},
	[MEMTUNE_T_NF_CONNTRACK_MAX] = {
		.name = "nf_conntrack_max", .paths = ct_max_paths,
		.nr_fields = 1,
		.flags = MEMTUNE_TF_NEEDS_KMOD | MEMTUNE_TF_EXPORTED,
		.kmod = "nf_conntrack", .symbol = "nf_conntrack_max",
		.unit = "count",
	},
	[MEMTUNE_T_FANOTIFY_MAX_USER_MARKS] = {
		.name = "fanotify_max_user_marks", .paths = fanotify_paths,
		.nr_fields = 1, .flags = MEMTUNE_TF_EXPORTED,
		.symbol = "init_user_ns.ucount_max[UCOUNT_FANOTIFY_MARKS]",
		.unit = "count",
	},
	[MEMTUNE_T_INET_PEER_THRESHOLD] = {
		.name = "inet_peer_threshold", .paths = inet_peer_paths,
		.nr_fields = 1, .unit = "count",
	},
	[MEMTUNE_T_NF_CONNTRACK_EXPECT_MAX] = {
		.name = "nf_conntrack_expect_max", .paths = ct_expect_max_paths,
		.nr_fields = 1, .flags = MEMTUNE_TF_NEEDS_KMOD,
		.kmod = "nf_conntrack", .unit = "count",
	},
};

unsigned int memtune_apply_order(bool shrinking, unsigned int i)
{
	if (i >= MEMTUNE_NR_TUNABLES)
		return MEMTUNE_NR_TUNABLES;
	return shrinking ? MEMTUNE_NR_TUNABLES - 1 - i : i;
}

/* Smallest power of two >= n (n >= 1), for u64 on any word size. */
static u64 roundup_pow2_u64(u64 n)
{
	return n <= 1 ? 1 : 1ULL << fls64(n - 1);
}

static u64 kb_of_pages(u64 pages, unsigned int page_shift)
{
	return pages << (page_shift - 10);
}

/*
 * pages minus the pages freed after the initcalls.  Never below half: a
 * guest shrunk far below its boot size must not see its memory as gone
 * (threads-max at its floor of 20 kills it); a boot at that size with
 * those late frees could not have run at all.
 */
static u64 before_late_free(const struct memtune_policy_input *in, u64 pages)
{
	return pages - min(in->boot_late_freed_pages, pages / 2);
}

/* totalram_pages() as the boot's initcalls saw it */
static u64 init_totalram(const struct memtune_policy_input *in)
{
	return before_late_free(in, in->totalram_pages);
}

/* nr_free_buffer_pages() as the boot's fs_initcalls saw it */
static u64 init_nfb(const struct memtune_policy_input *in)
{
	return before_late_free(in, in->nr_free_buffer_pages);
}

/* Lowmem as the boot's min_free_kbytes saw it (watermarks still 0). */
static u64 boot_lowmem_pages(const struct memtune_policy_input *in)
{
	return before_late_free(in, in->lowmem_pages ? in->lowmem_pages :
					in->nr_free_buffer_pages);
}

/* mm/page_alloc.c: calculate_min_free_kbytes(), first boot value */
static u64 min_free_kbytes_sqrt(u64 lowmem_pages, unsigned int page_shift)
{
	u64 lowmem_kb = kb_of_pages(lowmem_pages, page_shift);

	return clamp_t(u64, int_sqrt64(lowmem_kb * 16),
		       MIN_FREE_KBYTES_LOW, MIN_FREE_KBYTES_HIGH);
}

/*
 * mm/khugepaged.c: set_recommended_min_free_kbytes(): two pageblocks per
 * zone free, plus MIGRATE_PCPTYPES^2 per zone for fallbacks, at most 5 %
 * of nr_free_buffer_pages(); only ever raises min_free_kbytes.
 */
static u64 min_free_kbytes_thp(const struct memtune_policy_input *in, u64 nfb)
{
	u64 rec = in->pageblock_pages * in->nr_thp_zones *
		  (2 + THP_MIGRATE_PCPTYPES * THP_MIGRATE_PCPTYPES);

	return kb_of_pages(min(rec, nfb / 20), in->page_shift);
}

/*
 * The THP raise runs at boot (hugepage_init(), a subsys_initcall) under the
 * watermarks of the first, int_sqrt, min_free_kbytes: its 5 % cap is of the
 * nr_free_buffer_pages() of that moment, not of the running kernel's, whose
 * watermarks the raise itself lifted.  Taken live, the cap came out 5 % of
 * a smaller number: 32296 kB where a PVH guest booted at 768 MiB has 34672.
 */
static u64 min_free_kbytes(const struct memtune_policy_input *in)
{
	u64 kb = min_free_kbytes_sqrt(boot_lowmem_pages(in), in->page_shift);
	u64 lowmem = in->lowmem_pages ? in->lowmem_pages :
					 in->nr_free_buffer_pages;
	u64 nfb;

	if (!in->thp_enabled)
		return kb;
	nfb = memtune_policy_estimate_nfb(lowmem, kb, in->watermark_scale_factor,
					  in->page_shift);
	return max(kb, min_free_kbytes_thp(in, before_late_free(in, nfb)));
}

/*
 * mm/mmap.c: init_user_reserve() / init_admin_reserve() use the free
 * pages at subsys_initcall, when nearly all memory is free.  The hotplug
 * notifier reserve_mem_notifier() uses the free pages of the moment
 * instead, but that swings with the page cache and the workload: a busy
 * guest would get a tiny reserve after every resize, and the value would
 * not be what a boot at this size has.  So: totalram minus what the
 * kernel itself held at boot (boot_used_pages), i.e. "free at boot".
 */
static u64 boot_free_kb(const struct memtune_policy_input *in)
{
	u64 used = min(in->boot_used_pages, in->totalram_pages);

	return kb_of_pages(in->totalram_pages - used, in->page_shift);
}

/* kernel/fork.c: set_max_threads(): RAM / (8 * THREAD_SIZE) */
static u64 threads_max(const struct memtune_policy_input *in)
{
	u64 trp = init_totalram(in);
	u64 threads;

	if (fls64(trp) + in->page_shift > 64)
		threads = THREADS_MAX;
	else
		threads = div64_u64(trp << in->page_shift, in->thread_size * 8);
	return clamp_t(u64, threads, THREADS_MIN, THREADS_MAX);
}

/*
 * fs/file_table.c: files_maxfiles_init(): 10 % of the memory not held at
 * boot (the kernel's use counted 3/2 times), one file per KiB.
 */
static u64 file_max(const struct memtune_policy_input *in)
{
	u64 trp = init_totalram(in);
	u64 late = in->boot_late_freed_pages;
	u64 used = in->boot_used_pages > late ? in->boot_used_pages - late : 0;
	u64 reserve = min(used * 3 / 2, trp - 1);
	u64 n = div64_u64((trp - reserve) << (in->page_shift - 10), 10);

	return max(n, FILE_MAX_MIN);
}

/*
 * fs/notify/inotify/inotify_user.c: inotify_user_setup() (1 % of lowmem)
 * and fs/eventpoll.c: eventpoll_init() (4 % of lowmem, no clamp).
 */
static u64 lowmem_share_items(const struct memtune_policy_input *in,
			      unsigned int divisor, u64 cost)
{
	u64 trp = init_totalram(in);
	u64 low = trp - min(in->totalhigh_pages, trp);

	return div64_u64(div64_u64(low, divisor) << in->page_shift, cost);
}

/*
 * net/ipv4/tcp.c: tcp_init_mem(), net/ipv4/udp.c: udp_init():
 * { limit/4*3, limit, limit/4*3*2 } pages with limit = nfb / divisor.
 */
static void proto_mem(u64 nfb, unsigned int divisor, u64 *fields)
{
	u64 limit = max(nfb / divisor, 128ULL);

	fields[0] = limit / 4 * 3;
	fields[1] = limit;
	fields[2] = fields[0] * 2;
}

/*
 * net/netfilter/nf_conntrack_core.c: nf_conntrack_init_start(): one
 * bucket per 16 KiB of RAM, 65536 above 1 GiB, 262144 above 4 GiB (64
 * bit), at least 1024; nf_ct_alloc_hashtable() rounds up to whole pages
 * of buckets.  nf_conntrack_max = 1 * that (auto-sized max_factor).
 */
static u64 conntrack_boot_buckets(const struct memtune_policy_input *in)
{
	u64 trp = in->totalram_pages;
	u64 gib_pages = 1ULL << (30 - in->page_shift);
	u64 per_page = (1ULL << in->page_shift) / in->hlist_nulls_head_size;
	u64 size;

	size = div64_u64((trp << in->page_shift) / 16384, in->hlist_head_size);
	if (trp > 4 * gib_pages)
		size = 262144;
	else if (trp > gib_pages)
		size = 65536;
	size = max(size, 1024ULL);
	return roundup(size, per_page);
}

bool memtune_policy_kmod_load_value(const struct memtune_policy_input *in,
				    unsigned int id, u64 *val)
{
	switch (id) {
	case MEMTUNE_T_NF_CONNTRACK_BUCKETS:
	case MEMTUNE_T_NF_CONNTRACK_MAX:
		if (!in->hlist_head_size || !in->hlist_nulls_head_size ||
		    !in->page_shift)
			return false;
		*val = conntrack_boot_buckets(in);
		return true;
	case MEMTUNE_T_NF_CONNTRACK_EXPECT_MAX:
		/* nf_conntrack_expect_init(): from the table it just sized */
		if (!in->hlist_head_size || !in->hlist_nulls_head_size ||
		    !in->page_shift)
			return false;
		*val = max(conntrack_boot_buckets(in) / CT_EXPECT_PER_BUCKETS,
			   1ULL) * CT_EXPECT_PER_HASH;
		return true;
	default:
		return false;
	}
}

const struct memtune_hash_desc memtune_hashes[MEMTUNE_NR_HASHES] = {
	/* fs/dcache.c: dcache_init(): hlist_bl_head, low limit 2 */
	[MEMTUNE_HASH_DENTRY] = {
		.name = "dentry", .boot_name = "Dentry cache",
		.scale = 13, .bucket_size = 8, .low_limit = 2,
	},
	/* fs/inode.c: inode_init(): hlist_head */
	[MEMTUNE_HASH_INODE] = {
		.name = "inode", .boot_name = "Inode-cache",
		.scale = 14, .bucket_size = 8,
	},
	/* fs/namespace.c: mnt_init() */
	[MEMTUNE_HASH_MOUNT] = {
		.name = "mount", .boot_name = "Mount-cache",
		.scale = 19, .bucket_size = 8,
	},
	[MEMTUNE_HASH_MOUNTPOINT] = {
		.name = "mountpoint", .boot_name = "Mountpoint-cache",
		.scale = 19, .bucket_size = 8,
	},
	/* net/ipv4/tcp.c: tcp_init(): inet_ehash_bucket, high 512Ki */
	[MEMTUNE_HASH_TCP_ESTABLISHED] = {
		.name = "tcp_established", .boot_name = "TCP established",
		.scale = 17, .bucket_size = 8, .high_limit = 512 * 1024,
	},
	/* tcp_init(): 2 * inet_bind_hashbucket (bhash + bhash2), high 64Ki */
	[MEMTUNE_HASH_TCP_BIND] = {
		.name = "tcp_bind", .boot_name = "TCP bind",
		.scale = 17, .bucket_size = 32, .high_limit = 64 * 1024,
		.follows_tcp_ehash = true,
	},
	/* net/ipv4/udp.c: udp_table_init(): 2 * udp_hslot, 256..64Ki */
	[MEMTUNE_HASH_UDP] = {
		.name = "udp", .boot_name = "UDP",
		.scale = 21, .bucket_size = 32, .low_limit = 256,
		.high_limit = 64 * 1024,
	},
	/* net/ipv4/route.c: ip_rt_init(): atomic_t + u32, 2048..256Ki */
	[MEMTUNE_HASH_IP_IDENTS] = {
		.name = "ip_idents", .boot_name = "IP idents",
		.scale = 16, .bucket_size = 8, .low_limit = 2048,
		.high_limit = 256 * 1024,
	},
};

/* mm/page_alloc.c: alloc_large_system_hash(), no command line override */
u64 memtune_boot_hash_entries(enum memtune_hash_id id,
			      const struct memtune_policy_input *in)
{
	const struct memtune_hash_desc *h;
	unsigned int shift = in->page_shift;
	unsigned int scale;
	u64 nkp, nap, n, max;

	if (id >= MEMTUNE_NR_HASHES || !shift)
		return 0;
	h = &memtune_hashes[id];
	scale = h->scale;
	nkp = in->nr_kernel_pages ? in->nr_kernel_pages : in->totalram_pages;
	nap = in->nr_all_pages ? in->nr_all_pages : nkp;

	if (h->follows_tcp_ehash) {
		n = memtune_boot_hash_entries(MEMTUNE_HASH_TCP_ESTABLISHED, in);
	} else {
		/* round up to a whole MiB of memory */
		if (shift < 20)
			n = roundup(nkp, 1ULL << (20 - shift));
		else
			n = nkp;
		/* one scale step per 4x of memory above 64 GiB */
		if (!h->high_limit) {
			u64 adapt;

			for (adapt = HASH_ADAPT_SCALE_BASE >> shift; adapt < n;
			     adapt <<= HASH_ADAPT_SCALE_SHIFT)
				scale++;
		}
		if (scale > shift)
			n >>= scale - shift;
		else
			n <<= shift - scale;
		/* at least one page of buckets */
		if (n * h->bucket_size < (1ULL << shift))
			n = (1ULL << shift) / h->bucket_size;
	}
	n = roundup_pow2_u64(n);

	max = h->high_limit;
	if (!max)
		max = div64_u64((nap << shift) >> 4, h->bucket_size);
	max = min(max, HASH_MAX_ENTRIES);

	n = clamp(n, h->low_limit, max);
	/* log2qty = ilog2(numentries): a non-power-of-two cap rounds down */
	return n ? 1ULL << ilog2(n) : 0;
}

/*
 * tcp_max_orphans (net/ipv4/tcp.c: tcp_init(): ehash/2), tcp_max_tw_buckets
 * (net/ipv4/tcp_ipv4.c: tcp_set_hashinfo(): ehash/2) and
 * tcp_max_syn_backlog (max(128, ehash/128)) follow the TCP established
 * hash, which is sized once at boot and never resized.  They are computed
 * from the ehash a guest booted natively at this size (memory = maxmem =
 * domain_pages) would pick, so after a shrink they come down to what that
 * guest has (the orphans and time-wait sockets hold memory the guest no
 * longer has).  They never go above what this kernel's own ehash gives
 * (nr_kernel_pages: on PV it covers maxmem): a grow raises them back to at
 * most the boot value, since more would only lengthen the chains of a hash
 * that cannot grow.
 */
static void tcp_hash_limits(const struct memtune_policy_input *in,
			    struct memtune_values *out)
{
	u64 ehash = memtune_boot_hash_entries(MEMTUNE_HASH_TCP_ESTABLISHED, in);

	if (in->domain_pages) {
		struct memtune_policy_input native = *in;

		/* present pages minus the memmap (64 B per 4 KiB page) */
		native.nr_kernel_pages = in->domain_pages - in->domain_pages / 64;
		native.nr_all_pages = native.nr_kernel_pages;
		ehash = min(ehash, memtune_boot_hash_entries(
				MEMTUNE_HASH_TCP_ESTABLISHED, &native));
	}

	out->val[MEMTUNE_T_TCP_MAX_ORPHANS][0] = ehash / 2;
	out->val[MEMTUNE_T_TCP_MAX_TW_BUCKETS][0] = ehash / 2;
	out->val[MEMTUNE_T_TCP_MAX_SYN_BACKLOG][0] =
		max(TCP_SYN_BACKLOG_MIN, ehash / 128);
	out->computed |= BIT(MEMTUNE_T_TCP_MAX_ORPHANS) |
			 BIT(MEMTUNE_T_TCP_MAX_TW_BUCKETS) |
			 BIT(MEMTUNE_T_TCP_MAX_SYN_BACKLOG);
}

static void set_one(struct memtune_values *out, enum memtune_tunable_id id,
		    u64 v)
{
	out->val[id][0] = v;
	out->computed |= BIT(id);
}

void memtune_policy_compute(const struct memtune_policy_input *in,
			    struct memtune_values *out)
{
	u64 nfb = init_nfb(in);
	u64 free_kb, threads, limit, ct;

	memset(out, 0, sizeof(*out));
	/* nothing sensible without a page size and some memory */
	if (in->page_shift < 10 || in->page_shift > 20 || !in->totalram_pages)
		return;

	set_one(out, MEMTUNE_T_MIN_FREE_KBYTES, min_free_kbytes(in));

	free_kb = boot_free_kb(in);
	set_one(out, MEMTUNE_T_ADMIN_RESERVE_KBYTES,
		min(free_kb / 32, ADMIN_RESERVE_MAX_KB));
	set_one(out, MEMTUNE_T_USER_RESERVE_KBYTES,
		min(free_kb / 32, USER_RESERVE_MAX_KB));

	if (in->thread_size) {
		threads = threads_max(in);
		set_one(out, MEMTUNE_T_THREADS_MAX, threads);
		/* kernel/fork.c: fork_init(): ucount_max[] = max_threads / 2 */
		set_one(out, MEMTUNE_T_MAX_USER_NAMESPACES, threads / 2);
	}

	if (!in->file_max_is_long_max)
		set_one(out, MEMTUNE_T_FILE_MAX, file_max(in));

	if (in->inotify_watch_cost)
		set_one(out, MEMTUNE_T_INOTIFY_MAX_USER_WATCHES,
			clamp_t(u64, lowmem_share_items(in, 100,
							in->inotify_watch_cost),
				INOTIFY_WATCHES_MIN, INOTIFY_WATCHES_MAX));
	if (in->ep_item_cost)
		set_one(out, MEMTUNE_T_EPOLL_MAX_USER_WATCHES,
			lowmem_share_items(in, 25, in->ep_item_cost));

	proto_mem(nfb, 16, out->val[MEMTUNE_T_TCP_MEM]);
	out->computed |= BIT(MEMTUNE_T_TCP_MEM);
	proto_mem(nfb, 8, out->val[MEMTUNE_T_UDP_MEM]);
	out->computed |= BIT(MEMTUNE_T_UDP_MEM);

	/* net/ipv4/tcp.c: tcp_init(): per socket at most 1/128 of tcp_mem */
	limit = nfb << (in->page_shift - 7);
	set_one(out, MEMTUNE_T_TCP_WMEM_MAX,
		max(TCP_WMEM_MAX_MIN, min(TCP_WMEM_MAX_CAP, limit)));
	set_one(out, MEMTUNE_T_TCP_RMEM_MAX,
		max(TCP_RMEM_MAX_MIN, min(TCP_RMEM_MAX_CAP, limit)));

	tcp_hash_limits(in, out);

	/*
	 * fs/notify/fanotify/fanotify_user.c: fanotify_user_setup(): 1 % of
	 * lowmem in inode marks, 8192 .. 8192 * 128.
	 */
	if (in->fanotify_mark_cost)
		set_one(out, MEMTUNE_T_FANOTIFY_MAX_USER_MARKS,
			clamp_t(u64, lowmem_share_items(in, 100,
							in->fanotify_mark_cost),
				FANOTIFY_MARKS_MIN, FANOTIFY_MARKS_MAX));
	/* net/ipv4/inetpeer.c: inet_initpeers(): 1 % of RAM in peers */
	if (in->inet_peer_size)
		set_one(out, MEMTUNE_T_INET_PEER_THRESHOLD,
			clamp_t(u64, div64_u64(init_totalram(in) << in->page_shift,
					       100 * in->inet_peer_size),
				INET_PEER_MIN, INET_PEER_MAX));

	/*
	 * The conntrack table is resized only in power-of-two steps: a resize
	 * rehashes every entry under all conntrack locks, so the table moves
	 * only when the boot size crosses a power of two, and up (never more
	 * buckets per entry than a boot).  At every size where the boot value
	 * is a power of two (all sizes up to 1 GiB in 2^n MiB, and all above
	 * 1 GiB) this is the boot value.  nf_conntrack_max is the boot value
	 * (max_factor 1 times the boot table size).
	 */
	if (in->hlist_head_size && in->hlist_nulls_head_size) {
		ct = conntrack_boot_buckets(in);
		set_one(out, MEMTUNE_T_NF_CONNTRACK_BUCKETS,
			roundup_pow2_u64(ct));
		set_one(out, MEMTUNE_T_NF_CONNTRACK_MAX, ct);
		/*
		 * nf_conntrack_expect_init(): 4 per expectation bucket, one
		 * bucket per 256 of the boot table.  The expectation hash
		 * itself cannot be resized (expect_hashsize is 0400), so
		 * after a grow its chains hold more than a boot's 4.
		 */
		set_one(out, MEMTUNE_T_NF_CONNTRACK_EXPECT_MAX,
			max(ct / CT_EXPECT_PER_BUCKETS, 1ULL) * CT_EXPECT_PER_HASH);
	}
	out->computed &= ~in->unknown;
}

u64 memtune_policy_estimate_nfb(u64 lowmem_pages, u64 min_free_kbytes,
				unsigned int watermark_scale_factor,
				unsigned int page_shift)
{
	/* mm/page_alloc.c: __setup_per_zone_wmarks(), summed over zones */
	u64 pages_min = min_free_kbytes >> (page_shift - 10);
	u64 gap = max(pages_min / 4,
		      div64_u64(lowmem_pages * watermark_scale_factor, 10000));
	u64 high = pages_min + 2 * gap;

	return lowmem_pages > high ? lowmem_pages - high : 0;
}

static u64 move_pages(u64 pages, u64 from, u64 to)
{
	if (!pages)
		return 0;
	if (to >= from)
		return pages + (to - from);
	return pages > from - to ? pages - (from - to) : 1;
}

void memtune_policy_input_at(const struct memtune_policy_input *now,
			     u64 size_kb, struct memtune_policy_input *at)
{
	unsigned int shift = now->page_shift;
	u64 pages, lowmem, mfk;

	*at = *now;
	if (shift < 10 || shift > 20)
		return;
	pages = size_kb >> (shift - 10);
	at->totalram_pages = pages;
	lowmem = move_pages(now->lowmem_pages ? now->lowmem_pages :
			    now->nr_free_buffer_pages, now->totalram_pages, pages);
	at->lowmem_pages = lowmem;
	at->domain_pages = move_pages(now->domain_pages, now->totalram_pages,
				      pages);
	/*
	 * nr_kernel_pages/nr_all_pages stay: a boot at another target with
	 * the same maxmem sees the same present memory (PV: extra memory up
	 * to maxmem; HVM: static-max), and the settle pass, which reads them
	 * live, must compute the same TCP hash limits as this pass.
	 */

	/*
	 * Boot order: min_free_kbytes from lowmem (postcore) and the THP raise
	 * under those watermarks (subsys), both in min_free_kbytes(), then
	 * the network limits from nr_free_buffer_pages() under the final ones.
	 */
	mfk = min_free_kbytes(at);
	at->nr_free_buffer_pages =
		memtune_policy_estimate_nfb(lowmem, mfk,
					    now->watermark_scale_factor, shift);
}

u64 memtune_policy_boot_used_pages(u64 boot_totalram_pages,
				   u64 boot_user_reserve_kbytes,
				   unsigned int page_shift)
{
	u64 free_pages;

	if (page_shift < 10 || !boot_user_reserve_kbytes ||
	    boot_user_reserve_kbytes >= USER_RESERVE_MAX_KB)
		return 0;
	/* reserve = free_kb / 32, so free_kb is within 31 of reserve * 32 */
	free_pages = (boot_user_reserve_kbytes * 32 + 16) >> (page_shift - 10);
	return boot_totalram_pages > free_pages ?
	       boot_totalram_pages - free_pages : 0;
}

u64 memtune_policy_boot_init_pages(u64 boot_threads_max, u64 present_pages,
				   u64 thread_size, unsigned int page_shift)
{
	u64 per_thread, init_trp;

	if (page_shift < 10 || page_shift > 20 || !thread_size ||
	    boot_threads_max <= THREADS_MIN || boot_threads_max >= THREADS_MAX)
		return 0;
	/* pages per thread (32 on x86_64); the boot rounded down within one */
	per_thread = (thread_size * 8) >> page_shift;
	if (!per_thread)
		return 0;
	init_trp = boot_threads_max * per_thread + per_thread / 2;
	return init_trp <= present_pages ? init_trp : 0;
}

u64 memtune_policy_late_freed_pages(u64 totalram_pages, u64 boot_init_pages)
{
	return boot_init_pages && totalram_pages > boot_init_pages ?
	       totalram_pages - boot_init_pages : 0;
}

u64 memtune_policy_derive_cost(u64 lowmem_pages, unsigned int divisor,
			       u64 boot_value, unsigned int page_shift)
{
	const u64 align = sizeof(void *);
	u64 cost;

	if (!boot_value || !divisor || page_shift < 10)
		return 0;
	cost = div64_u64(div64_u64(lowmem_pages, divisor) << page_shift,
			 boot_value);
	/*
	 * Both costs are sums of struct sizes, so multiples of the word
	 * size: round to the nearest one, which absorbs the few pages
	 * totalram moved between the boot computation and now.
	 */
	cost = (cost + align / 2) / align * align;
	return cost;
}

/* Tunables whose formula reads the late frees (all a boot computes early). */
#define NEEDS_INIT_PAGES (BIT(MEMTUNE_T_MIN_FREE_KBYTES) |		\
	BIT(MEMTUNE_T_ADMIN_RESERVE_KBYTES) |				\
	BIT(MEMTUNE_T_USER_RESERVE_KBYTES) | BIT(MEMTUNE_T_THREADS_MAX) |	\
	BIT(MEMTUNE_T_FILE_MAX) | BIT(MEMTUNE_T_INOTIFY_MAX_USER_WATCHES) |	\
	BIT(MEMTUNE_T_EPOLL_MAX_USER_WATCHES) | BIT(MEMTUNE_T_TCP_MEM) |	\
	BIT(MEMTUNE_T_TCP_RMEM_MAX) | BIT(MEMTUNE_T_TCP_WMEM_MAX) |	\
	BIT(MEMTUNE_T_UDP_MEM) | BIT(MEMTUNE_T_MAX_USER_NAMESPACES) |	\
	BIT(MEMTUNE_T_FANOTIFY_MAX_USER_MARKS) |				\
	BIT(MEMTUNE_T_INET_PEER_THRESHOLD))
/* ... and those that also read the boot's own use of memory */
#define NEEDS_BOOT_USED (BIT(MEMTUNE_T_ADMIN_RESERVE_KBYTES) |		\
	BIT(MEMTUNE_T_USER_RESERVE_KBYTES) | BIT(MEMTUNE_T_FILE_MAX))
/* epoll's per-item cost: sums of pointers and list heads, 184 on x86_64 */
#define EP_ITEM_COST_MIN	64ULL
#define EP_ITEM_COST_MAX	512ULL

void memtune_policy_boot_basis(const struct memtune_boot_record *r,
			       struct memtune_boot_basis *b)
{
	u64 per_thread, threads, boot, free_pages, low;

	memset(b, 0, sizeof(*b));
	b->unknown = NEEDS_INIT_PAGES;
	if (r->page_shift < 10 || r->page_shift > 20 || !r->thread_size) {
		b->doubt = MEMTUNE_BOOT_NO_INIT_NPROC;
		return;
	}

	/*
	 * kernel/fork.c: fork_init(): RLIMIT_NPROC = max_threads / 2, and
	 * max_threads = totalram / per_thread pages, rounded down: the boot
	 * had 2n or 2n + 1 threads.  kernel.threads-max says which while it
	 * is one of the two (nobody wrote it); else take 2n.  Either way the
	 * low end of its pages: the late frees then come out a little high,
	 * never low, and no value above a boot's.
	 */
	per_thread = (r->thread_size * 8) >> r->page_shift;
	threads = r->init_nproc * 2;
	if (!per_thread || threads <= THREADS_MIN || threads + 1 >= THREADS_MAX) {
		b->doubt = MEMTUNE_BOOT_NO_INIT_NPROC;
		return;
	}
	if (r->threads_max == threads + 1)
		threads++;
	b->init_pages = threads * per_thread;

	/*
	 * The balloon and totalram move together (increase_reservation(),
	 * decrease_reservation() adjust both by the same pages), so totalram
	 * at boot is totalram now plus what the balloon gave back since.
	 */
	if (!r->boot_balloon_pages) {
		b->doubt = MEMTUNE_BOOT_NO_BALLOON;
		return;
	}
	if (r->totalram_pages + r->boot_balloon_pages <= r->balloon_pages) {
		b->doubt = MEMTUNE_BOOT_DISAGREE;
		return;
	}
	boot = r->totalram_pages + r->boot_balloon_pages - r->balloon_pages;
	/*
	 * After the initcalls the boot freed its init memory and the
	 * initramfs (26 MiB in the rig's DomUs, 120 MiB in its Dom0, whose
	 * initramfs carries the guest images: 30 % of its 390 MiB): init
	 * below boot, by less than half (policy.c never takes more than half
	 * of the memory as late frees either).  Anything else means one of
	 * the two is not the boot's (memory hot-added, the balloon reset):
	 * nothing computed from them can be trusted.
	 */
	if (b->init_pages > boot + per_thread || boot - b->init_pages > boot / 2) {
		b->doubt = MEMTUNE_BOOT_DISAGREE;
		return;
	}
	b->boot_totalram_pages = boot;
	b->late_freed_pages = memtune_policy_late_freed_pages(boot, b->init_pages);
	b->unknown = 0;

	/*
	 * mm/mmap.c: init_user_reserve(): free pages at subsys_initcall / 32,
	 * below init_pages by what the boot itself held (a few percent).  A
	 * value outside that was written after boot: the reserves and
	 * file-max have no basis then.  At its 128 MiB cap it says nothing
	 * (boot_used 0: those values then come out a little high).
	 */
	free_pages = (r->user_reserve_kbytes * 32 + 16) >> (r->page_shift - 10);
	if (r->user_reserve_kbytes < USER_RESERVE_MAX_KB &&
	    (free_pages > b->init_pages + per_thread ||
	     free_pages < b->init_pages / 4 * 3))
		b->unknown |= NEEDS_BOOT_USED;
	else
		b->boot_used_pages = memtune_policy_boot_used_pages(boot,
					r->user_reserve_kbytes, r->page_shift);

	/* fs/eventpoll.c: eventpoll_init() saw init_pages (fs_initcall) */
	low = b->init_pages - min(r->totalhigh_pages, b->init_pages);
	b->ep_item_cost = memtune_policy_derive_cost(low, 25,
						     r->epoll_max_user_watches,
						     r->page_shift);
	if (b->ep_item_cost < EP_ITEM_COST_MIN ||
	    b->ep_item_cost > EP_ITEM_COST_MAX) {
		b->ep_item_cost = 0;
		b->unknown |= BIT(MEMTUNE_T_EPOLL_MAX_USER_WATCHES);
	}
}
