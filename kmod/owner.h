/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xen_memtune ownership: who owns each value the module writes.  Pure
 * decisions (state in, decision out): no kernel state, no I/O, no locks,
 * so KUnit checks every case.  apply.c reads the live values, asks here,
 * and performs the writes.
 *
 * A "slot" is one value the module writes: one field of a sysctl (tcp_mem
 * and udp_mem have three), or one of several sysctls set to the same
 * number (the eight user.max_*_namespaces).  Each slot is owned on its
 * own: an administrator who changes one field or one namespace limit owns
 * that slot for good, and the module keeps managing the others.
 *
 * A slot belongs to the module while it holds its boot value or the
 * module's last write to it.  Any other value was written by someone else
 * (sysctl -w, a tuned profile, systemd): the slot becomes the
 * administrator's and is never written again, not even at restore.
 */
#ifndef _XEN_MEMTUNE_OWNER_H
#define _XEN_MEMTUNE_OWNER_H

#include <linux/types.h>

/* Most slots one tunable has: the eight user.max_*_namespaces. */
#define MEMTUNE_MAX_SLOTS	8

/* Ownership state of one tunable's slots; apply.c keeps one per tunable. */
struct memtune_owner_state {
	unsigned int nr_slots;		/* 1, 3 or 8 */
	u64 boot[MEMTUNE_MAX_SLOTS];	/* before the module's first write */
	u64 written[MEMTUNE_MAX_SLOTS];	/* last write, for the slots in written_mask */
	u32 written_mask;		/* BIT(slot): the module wrote it */
	u32 admin_mask;			/* BIT(slot): an administrator owns it */
	/*
	 * BIT(slot): its boot value was already an administrator's (set
	 * before load, or a late kernel module configured by someone), so
	 * holding it proves nothing; subset of admin_mask.
	 */
	u32 foreign_boot_mask;
};

/* BIT(0) .. BIT(nr_slots - 1). */
u32 memtune_owner_all_slots(const struct memtune_owner_state *st);

/*
 * The administrator's slots after reading live[]: those already theirs,
 * plus every slot that holds neither its boot value nor the module's last
 * write.  Once a slot is the administrator's it stays so, whatever it
 * holds later.  Call before every write and at restore.
 */
u32 memtune_owner_admin_slots(const struct memtune_owner_state *st,
			      const u64 *live);

/*
 * Slots to write so that live[] becomes want[]: the module's (not in
 * admin_mask) whose live value differs from want.  admin_mask is the
 * result of memtune_owner_admin_slots() for the same live[].
 */
u32 memtune_owner_write_slots(const struct memtune_owner_state *st,
			      u32 admin_mask, const u64 *live, const u64 *want);

/* After a successful write of want[] to the slots in mask. */
void memtune_owner_record_write(struct memtune_owner_state *st, u32 mask,
				const u64 *want);

/*
 * Slots restore puts back to their boot value: those the module wrote,
 * still holding that write, and not already at boot.  *admin_mask gets
 * memtune_owner_admin_slots() for live[]: a slot someone changed is
 * theirs, and restore leaves it.
 */
u32 memtune_owner_restore_slots(const struct memtune_owner_state *st,
				const u64 *live, u32 *admin_mask);

/*
 * A kernel module's values that appear after load (nf_conntrack loaded
 * later, or already loaded when this module loads) are managed only if
 * each holds what that module computes for itself at load at the memory
 * the guest has now (self[], has_self false when that is unknown).
 * Anything else was chosen by someone (hashsize=, a sysctl.d file, a
 * sysctl -w before the module saw it).  True when all n live[] values are
 * self-sized.
 */
bool memtune_owner_self_sized(const u64 *live, const u64 *self, unsigned int n,
			      bool has_self);

/*
 * Fresh state for such a value, live[] as its boot values: the module's
 * when self_sized (memtune_owner_self_sized() over all its module's
 * values), otherwise every slot the administrator's.
 */
void memtune_owner_adopt(struct memtune_owner_state *st, unsigned int nr_slots,
			 const u64 *live, bool self_sized);

/*
 * At load, for values the kernel sets equal at boot (the eight namespace
 * limits: kernel/fork.c fork_init() sets each to max_threads / 2): the
 * slots an administrator changed before the module loaded (a sysctl.d
 * file applied at boot, such as user.max_net_namespaces = 0).  The
 * kernel's value is kernel_value (threads-max / 2) if any slot still holds
 * it, else the value most slots share (more than half); the slots that
 * differ from it are returned.  0 when neither is known.
 */
u32 memtune_owner_load_admin_slots(const u64 *live, unsigned int n,
				   u64 kernel_value);

/*
 * Root writes tunables/<name>/enabled = 1: the administrator's slots
 * afresh from live[] (what the last pass read).  A slot that holds its
 * boot value or the module's last write is the module's again, except
 * one whose boot value was already an administrator's.
 */
u32 memtune_owner_reclaim_slots(const struct memtune_owner_state *st,
				const u64 *live);

/* Fresh state for a value present at load: live[] are its boot values. */
void memtune_owner_init(struct memtune_owner_state *st, unsigned int nr_slots,
			const u64 *live);

#endif /* _XEN_MEMTUNE_OWNER_H */
