/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xen_memtune floor guard: what guard.c offers sysfs.c beyond memtune.h.
 */
#ifndef _XEN_MEMTUNE_GUARD_H
#define _XEN_MEMTUNE_GUARD_H

#include <linux/types.h>

/* A snapshot of the guard's own numbers (the rest is in memtune.stats). */
struct memtune_guard_info {
	u64 refusals;		/* targets the guard refused or undid */
	u64 dip_kb;		/* last: deepest fall below the restored target */
	u64 last_guard_ns;	/* ktime_get_ns() of the last correction, 0 = none */
	u64 static_max_kb;	/* memory/static-max, 0 = unknown */
	const char *floor_reason;	/* largest term of the auto floor, or mode */
};

void memtune_guard_get_info(struct memtune_guard_info *info);

/*
 * floor_mode or floor_fixed_kb changed (sysfs, memtune.lock held): compute
 * the floor now, publish it and correct the balloon target if needed, so
 * floor_kb reads the new value as soon as the write returns.
 */
void memtune_guard_settings_changed(void);

#endif /* _XEN_MEMTUNE_GUARD_H */
