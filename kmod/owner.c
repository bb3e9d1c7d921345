// SPDX-License-Identifier: GPL-2.0
/*
 * Who owns each value the module writes (owner.h): pure decisions.
 */
#include <linux/bitops.h>
#include <linux/bits.h>
#include <linux/kernel.h>
#include <linux/string.h>

#include "owner.h"

u32 memtune_owner_all_slots(const struct memtune_owner_state *st)
{
	unsigned int n = min_t(unsigned int, st->nr_slots, MEMTUNE_MAX_SLOTS);

	return n ? (u32)GENMASK(n - 1, 0) : 0;
}

static bool slot_is_module(const struct memtune_owner_state *st,
			   unsigned int slot, u64 live)
{
	if (live == st->boot[slot])
		return true;
	return (st->written_mask & BIT(slot)) && live == st->written[slot];
}

u32 memtune_owner_admin_slots(const struct memtune_owner_state *st,
			      const u64 *live)
{
	u32 admin = st->admin_mask & memtune_owner_all_slots(st);
	unsigned int slot;

	for (slot = 0; slot < st->nr_slots && slot < MEMTUNE_MAX_SLOTS; slot++)
		if (!slot_is_module(st, slot, live[slot]))
			admin |= BIT(slot);
	return admin;
}

u32 memtune_owner_write_slots(const struct memtune_owner_state *st,
			      u32 admin_mask, const u64 *live, const u64 *want)
{
	u32 mask = 0;
	unsigned int slot;

	for (slot = 0; slot < st->nr_slots && slot < MEMTUNE_MAX_SLOTS; slot++)
		if (!(admin_mask & BIT(slot)) && live[slot] != want[slot])
			mask |= BIT(slot);
	return mask;
}

void memtune_owner_record_write(struct memtune_owner_state *st, u32 mask,
				const u64 *want)
{
	unsigned int slot;

	mask &= memtune_owner_all_slots(st);
	for (slot = 0; slot < st->nr_slots && slot < MEMTUNE_MAX_SLOTS; slot++)
		if (mask & BIT(slot))
			st->written[slot] = want[slot];
	st->written_mask |= mask;
}

u32 memtune_owner_restore_slots(const struct memtune_owner_state *st,
				const u64 *live, u32 *admin_mask)
{
	u32 admin = memtune_owner_admin_slots(st, live);
	u32 restore = 0;
	unsigned int slot;

	for (slot = 0; slot < st->nr_slots && slot < MEMTUNE_MAX_SLOTS; slot++) {
		/* Only what we wrote and still holds our write goes back. */
		if ((admin & BIT(slot)) || !(st->written_mask & BIT(slot)) ||
		    live[slot] != st->written[slot])
			continue;
		if (live[slot] != st->boot[slot])
			restore |= BIT(slot);
	}
	*admin_mask = admin;
	return restore;
}

/* BIT(slot) for each of the n slots that differ from value. */
static u32 slots_not(const u64 *live, unsigned int n, u64 value)
{
	u32 mask = 0;
	unsigned int slot;

	for (slot = 0; slot < n; slot++)
		if (live[slot] != value)
			mask |= BIT(slot);
	return mask;
}

u32 memtune_owner_load_admin_slots(const u64 *live, unsigned int n,
				   u64 kernel_value)
{
	unsigned int i;

	n = min_t(unsigned int, n, MEMTUNE_MAX_SLOTS);
	if (!n)
		return 0;
	if (slots_not(live, n, kernel_value) != GENMASK(n - 1, 0))
		return slots_not(live, n, kernel_value);
	for (i = 0; i < n; i++)
		if (2 * (n - hweight32(slots_not(live, n, live[i]))) > n)
			return slots_not(live, n, live[i]);
	return 0;
}

void memtune_owner_init(struct memtune_owner_state *st, unsigned int nr_slots,
			const u64 *live)
{
	memset(st, 0, sizeof(*st));
	st->nr_slots = min_t(unsigned int, nr_slots, MEMTUNE_MAX_SLOTS);
	memcpy(st->boot, live, st->nr_slots * sizeof(*live));
}

bool memtune_owner_self_sized(const u64 *live, const u64 *self, unsigned int n,
			      bool has_self)
{
	unsigned int i;

	if (!has_self)
		return false;
	for (i = 0; i < n; i++)
		if (live[i] != self[i])
			return false;
	return true;
}

void memtune_owner_adopt(struct memtune_owner_state *st, unsigned int nr_slots,
			 const u64 *live, bool self_sized)
{
	memtune_owner_init(st, nr_slots, live);
	if (!self_sized) {
		st->admin_mask = memtune_owner_all_slots(st);
		st->foreign_boot_mask = st->admin_mask;
	}
}

u32 memtune_owner_reclaim_slots(const struct memtune_owner_state *st,
				const u64 *live)
{
	struct memtune_owner_state fresh = *st;

	fresh.admin_mask = st->foreign_boot_mask;
	return memtune_owner_admin_slots(&fresh, live);
}
