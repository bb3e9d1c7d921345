// SPDX-License-Identifier: GPL-2.0
/*
 * xen_memtune safety floor: the formula is in floor.h.
 */

#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/math64.h>
#include <linux/minmax.h>
#include <linux/string.h>

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
	u64 swap_backed, swap_free, floor = 0;
	unsigned int i, top = 0;

	term[MEMTUNE_FLOOR_REASON_UNMANAGED] = in->unmanaged_kb;
	term[MEMTUNE_FLOOR_REASON_UNEVICTABLE] = max(in->unevictable_kb,
						     in->mlocked_kb);
	term[MEMTUNE_FLOOR_REASON_KERNEL_STACK] = in->kernel_stack_kb;
	term[MEMTUNE_FLOOR_REASON_SLAB] = in->slab_unreclaimable_kb;
	term[MEMTUNE_FLOOR_REASON_PAGE_TABLES] = in->page_tables_kb;
	term[MEMTUNE_FLOOR_REASON_MIN_FREE] = in->min_free_kb;
	swap_backed = add_sat(in->anon_kb, in->shmem_kb);
	swap_free = in->swap_free_kb - min(in->zram_swap_free_kb, in->swap_free_kb);
	term[MEMTUNE_FLOOR_REASON_ANON_NO_SWAP] =
		swap_backed > swap_free ? swap_backed - swap_free : 0;
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

/* The next blank-separated word of [*pos, end) of line; false if none. */
static bool next_word(const char **pos, const char *end, const char **word,
		      size_t *wlen)
{
	const char *p = *pos;

	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	*word = p;
	while (p < end && *p != ' ' && *p != '\t')
		p++;
	*wlen = p - *word;
	*pos = p;
	return *wlen != 0;
}

/* A decimal word of /proc/swaps, KiB. */
static bool word_kb(const char *word, size_t wlen, u64 *kb)
{
	char buf[24];

	if (wlen >= sizeof(buf))
		return false;
	memcpy(buf, word, wlen);
	buf[wlen] = '\0';
	return !kstrtoull(buf, 10, kb);
}

/* "/dev/zram<digits>" exactly (mm/swapfile.c prints the device path). */
static bool is_zram(const char *word, size_t wlen)
{
	static const char prefix[] = "/dev/zram";
	size_t i, n = sizeof(prefix) - 1;

	if (wlen <= n || memcmp(word, prefix, n))
		return false;
	for (i = n; i < wlen; i++)
		if (word[i] < '0' || word[i] > '9')
			return false;
	return true;
}

int memtune_floor_zram_swap_free_kb(const char *text, size_t len, u64 *kb)
{
	const char *end = text + len, *line = text;
	u64 sum = 0;

	if (memchr(text, '\0', len))
		return -EINVAL;
	while (line < end) {
		const char *eol = memchr(line, '\n', end - line) ?: end;
		const char *pos = line, *name, *type, *size, *used;
		size_t nlen, tlen, slen, ulen;
		u64 size_kb, used_kb;

		line = eol < end ? eol + 1 : end;
		/* Filename Type Size Used Priority; the header does not parse. */
		if (!next_word(&pos, eol, &name, &nlen) ||
		    !next_word(&pos, eol, &type, &tlen) ||
		    !next_word(&pos, eol, &size, &slen) ||
		    !next_word(&pos, eol, &used, &ulen) ||
		    !word_kb(size, slen, &size_kb) ||
		    !word_kb(used, ulen, &used_kb) || !is_zram(name, nlen))
			continue;
		sum = add_sat(sum, size_kb > used_kb ? size_kb - used_kb : 0);
	}
	*kb = sum;
	return 0;
}
