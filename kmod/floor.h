/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xen_memtune safety floor: the smallest balloon target the guest can be
 * held at without swapping itself to death or deadlocking on memory.
 * Pure arithmetic; guard.c fills the input from si_meminfo(),
 * global_node_page_state()/global_zone_page_state(), balloon_stats and
 * min_free_kbytes, and keeps balloon_stats.target_pages at or above it.
 *
 * Formula (all terms KiB; cited by docs/ARCHITECTURE.md):
 *
 *   floor = unmanaged
 *         + max(unevictable, mlocked)
 *         + kernel_stack + slab_unreclaimable + page_tables
 *         + min_free
 *         + max(0, anon + shmem - (swap_free - zram_swap_free))
 *         + margin
 *
 *   unmanaged    memory the domain owns but the kernel never manages
 *                (kernel image, memmap, reserved): balloon current_pages
 *                minus totalram_pages.  The balloon target counts it, the
 *                kernel cannot give it back.
 *   unevictable  Unevictable / Mlocked: cannot be reclaimed or swapped;
 *                Mlocked is a subset of Unevictable, so the larger counts.
 *   kernel_stack, slab_unreclaimable, page_tables: kernel memory that
 *                reclaim cannot free while the processes live.
 *   min_free     vm.min_free_kbytes: below it only atomic/reclaim
 *                allocations succeed; the guest must keep it free.
 *   anon + shmem - swap_free: anonymous and tmpfs pages can only leave
 *                RAM through swap; what swap cannot absorb stays.  Free
 *                space on zram devices does not count: zram keeps what it
 *                swaps out in the guest's own memory (compressed), so it
 *                moves anonymous memory around instead of out.
 *   margin       room for the page cache the workload needs to make
 *                progress (its executables and hot files) and for
 *                allocations between two guard checks.
 *
 * The floor is rounded up to a whole MiB.  The reason is the term that
 * contributes most (margin included), so an operator sees what to fix.
 */
#ifndef _XEN_MEMTUNE_FLOOR_H
#define _XEN_MEMTUNE_FLOOR_H

#include <linux/types.h>

/*
 * Default margin: 64 MiB or 5 % of the memory the guest has now,
 * whichever is larger (memtune_floor_default_margin_kb()).
 */
#define MEMTUNE_FLOOR_MARGIN_MIN_KB	65536ULL
#define MEMTUNE_FLOOR_MARGIN_PERCENT	5

struct memtune_floor_input {
	u64 unmanaged_kb;		/* balloon current - totalram */
	u64 unevictable_kb;		/* NR_UNEVICTABLE (Unevictable:) */
	u64 mlocked_kb;			/* NR_MLOCK (Mlocked:) */
	u64 kernel_stack_kb;		/* NR_KERNEL_STACK_KB (KernelStack:) */
	u64 slab_unreclaimable_kb;	/* NR_SLAB_UNRECLAIMABLE_B (SUnreclaim:) */
	u64 page_tables_kb;		/* NR_PAGETABLE (PageTables:) */
	u64 min_free_kb;		/* vm.min_free_kbytes now */
	u64 anon_kb;			/* NR_ANON_MAPPED (AnonPages:) */
	u64 shmem_kb;			/* NR_SHMEM (Shmem:) */
	u64 swap_free_kb;		/* si_swapinfo() freeswap (SwapFree:) */
	u64 zram_swap_free_kb;		/* ... of it on zram devices (/proc/swaps) */
	u64 margin_kb;			/* see MEMTUNE_FLOOR_MARGIN_* */
};

/* Which term of the formula contributes most. */
enum memtune_floor_reason {
	MEMTUNE_FLOOR_REASON_UNMANAGED,
	MEMTUNE_FLOOR_REASON_UNEVICTABLE,
	MEMTUNE_FLOOR_REASON_KERNEL_STACK,
	MEMTUNE_FLOOR_REASON_SLAB,
	MEMTUNE_FLOOR_REASON_PAGE_TABLES,
	MEMTUNE_FLOOR_REASON_MIN_FREE,
	MEMTUNE_FLOOR_REASON_ANON_NO_SWAP,
	MEMTUNE_FLOOR_REASON_MARGIN,
	MEMTUNE_NR_FLOOR_REASONS
};

/*
 * "unmanaged", "unevictable", "kernel-stack", "slab", "page-tables",
 * "min-free", "anon-no-swap", "margin" (xenstore floor-reason, sysfs).
 */
const char *memtune_floor_reason_name(enum memtune_floor_reason r);

/* The floor in KiB (formula above); *reason gets the largest term (may be NULL). */
u64 memtune_floor_kb(const struct memtune_floor_input *in,
		     enum memtune_floor_reason *reason);

/*
 * Free swap on zram devices, KiB, from the text of /proc/swaps (len bytes,
 * not NUL-terminated): the sum of Size - Used over the lines whose Filename
 * is /dev/zram<N>.  The header line and malformed lines are skipped; a NUL
 * in the text is refused.  Returns 0 or -EINVAL.
 */
int memtune_floor_zram_swap_free_kb(const char *text, size_t len, u64 *kb);

/* max(MEMTUNE_FLOOR_MARGIN_MIN_KB, MEMTUNE_FLOOR_MARGIN_PERCENT % of mem_kb) */
u64 memtune_floor_default_margin_kb(u64 mem_kb);

#endif /* _XEN_MEMTUNE_FLOOR_H */
