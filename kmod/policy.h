/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xen_memtune policy: the kernel's own boot-time formulas, as pure
 * arithmetic.  Memory counters in, tunable values out: no Xen, no globals,
 * no I/O, no locks, so KUnit (UML, other arch constants) checks x86_64
 * numbers deterministically.
 *
 * Kbuild links policy.o parse.o floor.o (this file, parse.h, floor.h).
 *
 * Every formula is Linux 6.1 (Debian linux-source-6.1, 6.1.192); the
 * source function is named next to each one in policy.c.
 */
#ifndef _XEN_MEMTUNE_POLICY_H
#define _XEN_MEMTUNE_POLICY_H

#include <linux/types.h>

/* Most fields a tunable has: tcp_mem and udp_mem have three (pages). */
#define MEMTUNE_MAX_FIELDS	3

/*
 * The managed tunables.  Names (memtune_tunables[id].name) are exactly the
 * ones of docs/ARCHITECTURE.md.
 *
 * The enum order is the safe order to apply values when memory GROWS:
 * reserves first (so the extra room the limits open up is never eaten
 * into the watermarks), then the consumer limits, and the conntrack table
 * before its entry limit (capacity before the limit that fills it).
 * When memory SHRINKS apply in reverse (memtune_apply_order()): consumer
 * limits come down first, while the memory is still there, the conntrack
 * entry limit before its table, and the reserves last.
 */
enum memtune_tunable_id {
	MEMTUNE_T_MIN_FREE_KBYTES,
	MEMTUNE_T_ADMIN_RESERVE_KBYTES,
	MEMTUNE_T_USER_RESERVE_KBYTES,
	MEMTUNE_T_THREADS_MAX,
	MEMTUNE_T_FILE_MAX,
	MEMTUNE_T_INOTIFY_MAX_USER_WATCHES,
	MEMTUNE_T_EPOLL_MAX_USER_WATCHES,
	MEMTUNE_T_TCP_MEM,
	MEMTUNE_T_TCP_RMEM_MAX,
	MEMTUNE_T_TCP_WMEM_MAX,
	MEMTUNE_T_UDP_MEM,
	MEMTUNE_T_TCP_MAX_ORPHANS,
	MEMTUNE_T_TCP_MAX_TW_BUCKETS,
	MEMTUNE_T_TCP_MAX_SYN_BACKLOG,
	MEMTUNE_T_MAX_USER_NAMESPACES,
	MEMTUNE_T_NF_CONNTRACK_BUCKETS,
	MEMTUNE_T_NF_CONNTRACK_MAX,
	/*
	 * Consumer limits added later; appended so the ids above stay.  The
	 * expectation limit follows the conntrack table it belongs to.
	 */
	MEMTUNE_T_FANOTIFY_MAX_USER_MARKS,
	MEMTUNE_T_INET_PEER_THRESHOLD,
	MEMTUNE_T_NF_CONNTRACK_EXPECT_MAX,
	MEMTUNE_NR_TUNABLES
};

/* memtune_tunable_desc.flags */
/* Exists only while this kernel module is loaded (desc.kmod names it). */
#define MEMTUNE_TF_NEEDS_KMOD		0x1
/*
 * An exported variable holds the value (see desc.symbol): a module may
 * WRITE_ONCE it instead of writing the sysctl file.  The sysctl handler
 * for these is plain proc_do*vec*, so both ways have the same effect.
 */
#define MEMTUNE_TF_EXPORTED		0x2
/* Per network namespace; the path resolves to init_net from a kworker. */
#define MEMTUNE_TF_PER_NETNS		0x4
/* Derived from a boot-only hash table size (TCP ehash), see policy.c. */
#define MEMTUNE_TF_FROM_BOOT_HASH	0x8
/* Leave alone when it reads LONG_MAX (systemd raised it; Debian 12 does). */
#define MEMTUNE_TF_SKIP_IF_LONG_MAX	0x10
/*
 * The sysctl has more fields than the module manages: only the last one
 * (index 2, the maximum) of "min default max" is computed.  Read all three,
 * replace the last, write all three back.
 */
#define MEMTUNE_TF_LAST_OF_THREE	0x20

struct memtune_tunable_desc {
	const char *name;	/* sysfs tunables/<name>, golden column */
	/*
	 * Files to write, NULL-terminated: the sysctl (or module parameter)
	 * that runs the kernel's own handler.  max_user_namespaces has one per
	 * namespace type, all set to the same value.
	 */
	const char *const *paths;
	unsigned int nr_fields;	/* fields the module computes: 1 or 3 */
	unsigned int flags;	/* MEMTUNE_TF_* */
	const char *kmod;	/* module that must be loaded, or NULL */
	const char *symbol;	/* exported variable (MEMTUNE_TF_EXPORTED), or NULL */
	const char *unit;	/* "kB", "pages", "bytes" or "count" */
};

extern const struct memtune_tunable_desc memtune_tunables[MEMTUNE_NR_TUNABLES];

/*
 * The i-th tunable to apply (0 <= i < MEMTUNE_NR_TUNABLES): enum order when
 * growing, reverse when shrinking (see enum memtune_tunable_id).
 */
unsigned int memtune_apply_order(bool shrinking, unsigned int i);

/*
 * Everything the formulas read, as plain numbers.  The caller fills it
 * from the live kernel (the kernel call for each field is named); the
 * KUnit tests fill it with x86_64 Debian 6.1 numbers.
 */
struct memtune_policy_input {
	/* totalram_pages(): managed pages (ballooned-out pages excluded) */
	u64 totalram_pages;
	/* totalhigh_pages(): 0 on x86_64 */
	u64 totalhigh_pages;
	/*
	 * Lowmem managed pages: sum of zone_managed_pages() of the populated
	 * zones <= ZONE_NORMAL (for_each_online_node + NODE_DATA()).  This is
	 * what nr_free_buffer_pages() returned when the boot computed
	 * min_free_kbytes (postcore_initcall: watermarks still 0).  0 = use
	 * nr_free_buffer_pages instead.
	 */
	u64 lowmem_pages;
	/*
	 * nr_free_buffer_pages() (GPL export): lowmem managed minus high
	 * watermarks.  tcp/udp limits and the THP minimum use it.  For the
	 * closest match with a boot, read it after min_free_kbytes for the new
	 * size has been applied (the watermarks move with it), or estimate it
	 * with memtune_policy_estimate_nfb().
	 */
	u64 nr_free_buffer_pages;
	/*
	 * Pages the kernel itself held when the boot computed the reserves and
	 * file-max: totalram_pages() now - NR_FREE_PAGES at that point (so it
	 * includes boot_late_freed_pages).  It cannot be read later; estimate
	 * it once at load with memtune_policy_boot_used_pages(), or pass 0
	 * (values then come out a little above a boot's: user/admin reserve
	 * by boot_used/32 pages at most, file-max by 0.6 kB per used page).
	 */
	u64 boot_used_pages;
	/*
	 * Pages freed after the boot computed its values: init memory and the
	 * initramfs (free_initmem(), free_initrd_mem() run after the
	 * fs_initcalls), which totalram_pages() counts now but the boot
	 * formulas did not.  Subtracted from totalram, lowmem and
	 * nr_free_buffer_pages for every value a boot computes before them
	 * (all but the conntrack ones: nf_conntrack loads later).  Estimate it
	 * once at load with memtune_policy_late_freed_pages(), or pass 0.
	 */
	u64 boot_late_freed_pages;
	/*
	 * What a boot at this memory would have as nr_kernel_pages /
	 * nr_all_pages (mm/page_alloc.c, __initdata): present lowmem pages.
	 * On PV they include the ballooned extra memory up to maxmem.  Used
	 * only for the boot-only hash sizes and the values derived from the
	 * TCP ehash.  The sum of zone->present_pages is close enough: the
	 * hash sizes round it to whole MiB and to powers of two.
	 * 0 = use totalram_pages.
	 */
	u64 nr_kernel_pages;
	u64 nr_all_pages;

	unsigned int page_shift;	/* PAGE_SHIFT (12) */
	u64 thread_size;		/* THREAD_SIZE (16384 on x86_64) */
	/*
	 * THP min_free_kbytes raise (mm/khugepaged.c:
	 * set_recommended_min_free_kbytes()) applies: hugepage_flags_enabled()
	 * and khugepaged running, i.e. /sys/kernel/mm/transparent_hugepage/
	 * enabled is not [never].  False on Xen PV (no PSE, so THP is
	 * unsupported) and after a boot below 512 MiB (hugepage_init()).
	 */
	bool thp_enabled;
	/* populated zones <= ZONE_NORMAL (zone_idx(z) <= gfp_zone(GFP_USER)) */
	unsigned int nr_thp_zones;
	/* pageblock_nr_pages (512); the name differs: that one is a macro */
	u64 pageblock_pages;
	/* vm.watermark_scale_factor (10); only memtune_policy_estimate_nfb() */
	unsigned int watermark_scale_factor;

	/*
	 * INOTIFY_WATCH_COST = sizeof(struct inotify_inode_mark) +
	 * 2 * sizeof(struct inode) (fs/notify/inotify/inotify_user.c) and
	 * EP_ITEM_COST = sizeof(struct epitem) + sizeof(struct eppoll_entry)
	 * (fs/eventpoll.c), bytes.  Both structs are private to their .c
	 * files: derive them from the boot values with
	 * memtune_policy_derive_cost(), or mirror the layout.  Debian 6.1
	 * amd64: 1344 and 184 (sizeof() against linux-headers-6.1.0-56-amd64;
	 * tests/data/golden-6.1.tsv agrees).  0 = do not compute that tunable.
	 */
	u64 inotify_watch_cost;
	u64 ep_item_cost;
	/* sizeof(struct hlist_head), sizeof(struct hlist_nulls_head) (8) */
	unsigned int hlist_head_size;
	unsigned int hlist_nulls_head_size;
	/* fs.file-max reads LONG_MAX (systemd raised it): leave it */
	bool file_max_is_long_max;
	/*
	 * INODE_MARK_COST = 2 * sizeof(struct inode)
	 * (fs/notify/fanotify/fanotify_user.c) and
	 * L1_CACHE_ALIGN(sizeof(struct inet_peer)) (net/ipv4/inetpeer.c),
	 * bytes.  0 = do not compute that tunable.
	 */
	u64 fanotify_mark_cost;
	u64 inet_peer_size;
	/*
	 * Pages the domain holds (balloon_stats.current_pages): the memory a
	 * guest booted natively at this size would have been given (memory =
	 * maxmem).  The TCP limits a boot derives from its ehash are computed
	 * for it, capped at the ehash this kernel really has (nr_kernel_pages
	 * above).  0 = unknown: the boot ehash alone.
	 */
	u64 domain_pages;
	/*
	 * BIT(id) of the tunables whose boot basis could not be established
	 * (struct memtune_boot_basis.unknown): never computed.
	 */
	u32 unknown;
};

/* Output: one value per field of each tunable, and which were computed. */
struct memtune_values {
	u64 val[MEMTUNE_NR_TUNABLES][MEMTUNE_MAX_FIELDS];
	u32 computed;		/* BIT(id) when val[id] holds a result */
};

/* Fill out from in; never fails (a zero-cost tunable is left uncomputed). */
void memtune_policy_compute(const struct memtune_policy_input *in,
			    struct memtune_values *out);

/*
 * The input a kernel would see at size_kb of managed memory, from the
 * input it sees now: totalram and lowmem move by the difference,
 * nr_free_buffer_pages is estimated, nr_kernel/all pages stay (present
 * memory does not follow the balloon).  For the shrink-first
 * pass (values for the target before the balloon reaches it) and preview.
 * size_kb is totalram (MemTotal), not a balloon target: from a target,
 * subtract what the domain holds but the kernel does not manage
 * (balloon current_pages - totalram_pages(); ~50 MiB on a 256 MiB PV
 * guest, tests/data/golden-6.1.tsv).
 */
void memtune_policy_input_at(const struct memtune_policy_input *now,
			     u64 size_kb, struct memtune_policy_input *at);

/*
 * What the kernel module behind a MEMTUNE_TF_NEEDS_KMOD tunable computes
 * for itself when it loads with in's totalram (no module parameter, no
 * sysctl): nf_conntrack's table size and nf_conntrack_max.  A late module
 * whose values differ was configured by someone (owner.h).  False when
 * unknown for id (then the module never manages what it finds).
 */
bool memtune_policy_kmod_load_value(const struct memtune_policy_input *in,
				    unsigned int id, u64 *val);

/*
 * nr_free_buffer_pages() after min_free_kbytes is applied: lowmem minus
 * the high watermarks __setup_per_zone_wmarks() derives (one-zone view).
 */
u64 memtune_policy_estimate_nfb(u64 lowmem_pages, u64 min_free_kbytes,
				unsigned int watermark_scale_factor,
				unsigned int page_shift);

/*
 * What the kernel recorded at boot and still holds, read at load.  None of
 * it moves with the balloon, so the boot basis below is right whether the
 * module loads at boot, after a grow or a shrink, or again after a reload.
 */
struct memtune_boot_record {
	u64 totalram_pages;	/* totalram_pages() now */
	/* balloon_stats.current_pages now */
	u64 balloon_pages;
	/*
	 * balloon_stats.current_pages as balloon_init() set it at boot: PV:
	 * xen_start_info->nr_pages; HVM/PVH: get_num_physpages() (present
	 * pages; memory hot-added since makes it too large, which the check
	 * against init_nproc catches).  0 = unknown.
	 */
	u64 boot_balloon_pages;
	/*
	 * init_task's RLIMIT_NPROC: kernel/fork.c: fork_init() sets it to
	 * max_threads / 2 and nothing changes it afterwards (no process can
	 * setrlimit() the idle task), unlike kernel.threads-max.
	 */
	u64 init_nproc;
	/* live at load: boot values unless someone (a previous load) wrote them */
	u64 threads_max;
	u64 user_reserve_kbytes;
	u64 epoll_max_user_watches;
	u64 totalhigh_pages;
	u64 thread_size;
	unsigned int page_shift;
};

/* Why a boot basis is not established (memtune_boot_basis.why). */
enum memtune_boot_doubt {
	MEMTUNE_BOOT_OK,
	MEMTUNE_BOOT_NO_INIT_NPROC,	/* init_task's limit clamped or absurd */
	MEMTUNE_BOOT_NO_BALLOON,	/* the boot balloon size is unknown */
	MEMTUNE_BOOT_DISAGREE,		/* balloon and fork_init() disagree */
};

/*
 * The module's view of the boot: every estimate the policy input needs
 * that a boot computes once and that cannot be read later.
 */
struct memtune_boot_basis {
	enum memtune_boot_doubt doubt;
	/* totalram_pages() at the end of the boot (balloon at its boot size) */
	u64 boot_totalram_pages;
	/*
	 * totalram_pages() as fork_init() and the initcalls saw it, rounded
	 * down to what the boot's threads-max implies (so the late frees are
	 * never underestimated: no value comes out above a boot's)
	 */
	u64 init_pages;
	u64 late_freed_pages;	/* policy input boot_late_freed_pages */
	u64 boot_used_pages;	/* policy input boot_used_pages */
	u64 ep_item_cost;	/* policy input ep_item_cost, 0 unknown */
	u32 unknown;		/* policy input unknown */
};

/*
 * Establish the boot from r: boot totalram = totalram now moved back by
 * what the balloon moved since boot; init totalram from init_nproc; the
 * two must agree (init below boot by less than half: init memory and
 * the initramfs, freed after the initcalls).  The reserves' boot use
 * comes from user_reserve_kbytes and the epoll cost from
 * epoll_max_user_watches, each only when it is still plausibly the
 * boot's.  Whatever cannot be established lands in b->unknown.
 */
void memtune_policy_boot_basis(const struct memtune_boot_record *r,
			       struct memtune_boot_basis *b);

/*
 * boot_used_pages from the boot value of vm.user_reserve_kbytes
 * (mm/mmap.c: init_user_reserve() = min(free_kb / 32, 128 MiB)) and
 * totalram at boot.  0 when the reserve was capped (then it says nothing).
 */
u64 memtune_policy_boot_used_pages(u64 boot_totalram_pages,
				   u64 boot_user_reserve_kbytes,
				   unsigned int page_shift);

/*
 * totalram_pages() as start_kernel() and the boot's initcalls saw it, from
 * the boot value of kernel.threads-max, which kernel/fork.c:
 * set_max_threads() computed as totalram * PAGE_SIZE / (8 * THREAD_SIZE).
 * In a HVM or PVH guest booted below maxmem it is maxmem's (the kernel
 * counted every page of its e820 until the balloon gave the rest back),
 * so it can be above totalram now.  0 when unknown: threads-max clamped,
 * or implying more pages than present_pages (an admin raised it).
 */
u64 memtune_policy_boot_init_pages(u64 boot_threads_max, u64 present_pages,
				   u64 thread_size, unsigned int page_shift);

/*
 * boot_late_freed_pages: totalram now minus boot_init_pages (init memory
 * and the initramfs, freed after the initcalls).  Valid while the balloon
 * has not moved since boot (call it at load, before any resize); 0 when
 * init_pages is unknown (0) or not below totalram.
 */
u64 memtune_policy_late_freed_pages(u64 totalram_pages, u64 boot_init_pages);

/*
 * Per-item cost (bytes) behind a boot value of the form
 * ((lowmem / divisor) << page_shift) / cost: divisor 100 for
 * inotify_max_user_watches, 25 for epoll_max_user_watches.  Returns 0 when
 * boot_value is 0.  Do not use an inotify boot value that sits at its
 * clamp (8192 or 1048576): it says nothing about the cost.
 */
u64 memtune_policy_derive_cost(u64 lowmem_pages, unsigned int divisor,
			       u64 boot_value, unsigned int page_shift);

/*
 * Boot-only hash tables (mm/page_alloc.c: alloc_large_system_hash()).
 * They cannot be resized; sysfs hashes/ reports their size now and what
 * a boot at this memory would pick.
 */
enum memtune_hash_id {
	MEMTUNE_HASH_DENTRY,
	MEMTUNE_HASH_INODE,
	MEMTUNE_HASH_MOUNT,
	MEMTUNE_HASH_MOUNTPOINT,
	MEMTUNE_HASH_TCP_ESTABLISHED,
	MEMTUNE_HASH_TCP_BIND,
	MEMTUNE_HASH_UDP,
	MEMTUNE_HASH_IP_IDENTS,
	MEMTUNE_NR_HASHES
};

struct memtune_hash_desc {
	const char *name;	/* sysfs hashes/<name> */
	const char *boot_name;	/* as the boot log prints it */
	unsigned int scale;	/* one bucket per 2^scale bytes of lowmem */
	unsigned int bucket_size;	/* x86_64 6.1 bytes, for the 1/16 cap */
	u64 low_limit;		/* 0 = none */
	u64 high_limit;		/* 0 = 1/16 of all memory */
	/* entries are not from memory but the TCP ehash size (TCP bind) */
	bool follows_tcp_ehash;
};

extern const struct memtune_hash_desc memtune_hashes[MEMTUNE_NR_HASHES];

/*
 * Entries alloc_large_system_hash() picks for hash id with no command line
 * override, given nr_kernel_pages and nr_all_pages (the input's, or
 * totalram when 0).
 */
u64 memtune_boot_hash_entries(enum memtune_hash_id id,
			      const struct memtune_policy_input *in);

#endif /* _XEN_MEMTUNE_POLICY_H */
