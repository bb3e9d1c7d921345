// SPDX-License-Identifier: GPL-2.0
/*
 * xen_memtune safety floor: the formula is in floor.h.
 */

#include <linux/kernel.h>
#include <linux/math64.h>
#include <linux/minmax.h>

#include "floor.h"

static const char *const reason_names[MEMTUNE_NR_FLOOR_REASONS] = {
	[MEMTUNE_FLOOR_REASON_UNMANAGED] = "unmanaged",
	[MEMTUNE_FLOOR_REASON_UNEVICTABLE] = "unevictable",
	[MEMTUNE_FLOOR_REASON_KERNEL_STACK] = "kernel-stack",
	[MEMTUNE_FLOOR_REASON_SLAB] = "slab",
	[MEMTUNE_FLOOR_REASON_PAGE_TABLES] = "page-tables",
	[MEMTUNE_FLOOR_REASON_MIN_FREE] = "min-free",
	[MEMTUNE_FLOOR_REASON_ANON_NO_SWAP] = "anon-no-swap",
	[MEMTUNE_FLOOR_REASON_MARGIN] = "margin",
};

const char *memtune_floor_reason_name(enum memtune_floor_reason r)
{
	if ((unsigned int)r >= MEMTUNE_NR_FLOOR_REASONS)
		return "unknown";
	return reason_names[r];
}

/* Saturating add: counters are untrusted sums, the floor must not wrap. */
static u64 add_sat(u64 a, u64 b)
{
	return a + b < a ? U64_MAX : a + b;
}

u64 memtune_floor_kb(const struct memtune_floor_input *in,
		     enum memtune_floor_reason *reason)
{
	u64 term[MEMTUNE_NR_FLOOR_REASONS];
	u64 swap_backed, floor = 0;
	unsigned int i, top = 0;

	term[MEMTUNE_FLOOR_REASON_UNMANAGED] = in->unmanaged_kb;
	term[MEMTUNE_FLOOR_REASON_UNEVICTABLE] = max(in->unevictable_kb,
						     in->mlocked_kb);
	term[MEMTUNE_FLOOR_REASON_KERNEL_STACK] = in->kernel_stack_kb;
	term[MEMTUNE_FLOOR_REASON_SLAB] = in->slab_unreclaimable_kb;
	term[MEMTUNE_FLOOR_REASON_PAGE_TABLES] = in->page_tables_kb;
	term[MEMTUNE_FLOOR_REASON_MIN_FREE] = in->min_free_kb;
	swap_backed = add_sat(in->anon_kb, in->shmem_kb);
	term[MEMTUNE_FLOOR_REASON_ANON_NO_SWAP] =
		swap_backed > in->swap_free_kb ? swap_backed - in->swap_free_kb : 0;
	term[MEMTUNE_FLOOR_REASON_MARGIN] = in->margin_kb;

	for (i = 0; i < MEMTUNE_NR_FLOOR_REASONS; i++) {
		floor = add_sat(floor, term[i]);
		/* ties go to the earlier term: the more specific cause */
		if (term[i] > term[top])
			top = i;
	}
	if (reason)
		*reason = top;
	/* whole MiB: the balloon moves in pages, operators think in MiB */
	if (floor > U64_MAX - 1023)
		return U64_MAX & ~1023ULL;
	return (floor + 1023) & ~1023ULL;
}

u64 memtune_floor_default_margin_kb(u64 mem_kb)
{
	return max(MEMTUNE_FLOOR_MARGIN_MIN_KB,
		   div64_u64(mem_kb, 100) * MEMTUNE_FLOOR_MARGIN_PERCENT);
}
