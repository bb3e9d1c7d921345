/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xen_memtune: the module's shared state and the calls between its files.
 *
 * Data flow: xenstore event (watch.c) -> settle (watch.c) -> policy
 * (policy.c) -> apply (apply.c) -> sysfs/uevent (sysfs.c, main.c) ->
 * xenstore acknowledgement (xs_ack.c).  guard.c sits beside the
 * memory/target watch and keeps the balloon target above a safety floor.
 *
 * There is exactly one instance, the global "memtune" below.
 */
#ifndef _XEN_MEMTUNE_H
#define _XEN_MEMTUNE_H

#include <linux/atomic.h>
#include <linux/kobject.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <linux/workqueue.h>

#include "owner.h"
#include "policy.h"

/* Most values a tunable has: tcp_mem and udp_mem have three (policy.h). */
#define MEMTUNE_MAX_VALUES	MEMTUNE_MAX_FIELDS

/* Longest memtune/resize token echoed back (xenstore nodes are small). */
#define MEMTUNE_TOKEN_MAX	64

/* Longest refused memory/target value kept for the acknowledgement. */
#define MEMTUNE_REFUSED_MAX	64

enum memtune_mode {
	MEMTUNE_MODE_APPLY,	/* compute, write the values, uevent */
	MEMTUNE_MODE_DRY_RUN,	/* compute and report only */
	MEMTUNE_MODE_NOTIFY,	/* compute, report and uevent; write nothing */
};

enum memtune_owner {
	MEMTUNE_OWNER_MODULE,	/* every slot holds its boot value or our last write */
	MEMTUNE_OWNER_ADMIN,	/* someone else owns a slot (owner.h): never written */
	MEMTUNE_OWNER_OFF,	/* disabled, or absent on this kernel */
};

/* Where the settle/apply machine is; shown in sysfs "state". */
enum memtune_state {
	MEMTUNE_STATE_IDLE,	/* balloon at target, values applied */
	MEMTUNE_STATE_SETTLING,	/* waiting for current == target or a stall */
	MEMTUNE_STATE_APPLYING,	/* writing values */
	MEMTUNE_STATE_DISABLED,	/* enabled == 0 */
};

enum memtune_floor_mode {
	MEMTUNE_FLOOR_AUTO,	/* computed from what the guest cannot give back */
	MEMTUNE_FLOOR_FIXED,	/* floor_fixed_kb */
	MEMTUNE_FLOOR_OFF,	/* no guard */
};

/*
 * One managed kernel value.  Indexed by enum memtune_tunable_id (policy.h);
 * names come from memtune_tunable_name().  All fields are protected by
 * memtune.lock; sysfs shows read value[], boot_value[], computed[] and
 * owner without it (READ_ONCE, one u64 at a time: a show during a pass may
 * mix two passes' fields), so a show never waits for a pass.
 */
struct memtune_tunable {
	u64 value[MEMTUNE_MAX_VALUES];		/* last read or written by a pass */
	u64 boot_value[MEMTUNE_MAX_VALUES];	/* at load, or when its kmod appeared */
	u64 computed[MEMTUNE_MAX_VALUES];	/* policy's last result */
	u64 seen[MEMTUNE_MAX_SLOTS];		/* every slot, as value[] */
	struct memtune_owner_state own;		/* per-slot ownership (owner.h) */
	unsigned int nr_values;			/* 1 or 3 */
	enum memtune_owner owner;		/* summary of own (owner_of()) */
	bool enabled;		/* root's switch (sysfs tunables/<name>/enabled) */
	bool present;		/* exists now (nf_conntrack may be unloaded) */
	bool has_computed;	/* policy produced computed[] (not for every input) */
};

/*
 * Counters are atomics: they are bumped from the xenwatch thread, the
 * workqueue and sysfs without memtune.lock.  Timestamps are
 * ktime_get_ns() values (CLOCK_MONOTONIC), durations are ns; each has one
 * writer at a time (last_event_ns: the watch callbacks, serialised by the
 * xenwatch thread; the others: the pass or the guard) using WRITE_ONCE,
 * and readers use READ_ONCE, so no lock is needed (u64 is one store on
 * 64-bit, the only place Xen's balloon runs this module).
 */
struct memtune_stats {
	atomic64_t events;	/* watch events (both nodes), refused ones included */
	atomic64_t coalesced;	/* events folded into an already pending pass */
	atomic64_t rejected;	/* memory/target values refused by the parser */
	atomic64_t applies;	/* passes that wrote (or reported) values */
	atomic64_t errors;	/* failed writes or reads */

	u64 last_event_ns;	/* first event of the current/last burst */
	u64 last_settle_ns;	/* when the balloon was last seen settled */
	u64 last_apply_ns;	/* when the last pass finished writing */
	u64 settle_duration_ns;	/* last burst: event -> settled */
	u64 apply_duration_ns;	/* last pass: first write -> last write */
	u64 event_to_apply_ns;	/* last burst: event -> last value written */

	/* floor guard (guard.c owns these) */
	atomic64_t guard_raises;	/* target raised back to the floor */
	atomic64_t guard_caps;		/* target capped at static-max */
	atomic64_t guard_restores;	/* last good target restored */
	u64 guard_released_kb;		/* released before the guard acted (last) */
	u64 guard_reaction_ns;		/* last: watch event -> new target set */
};

/* A memory/target event as the watch saw it, handed to the guard. */
struct memtune_target_event {
	const char *raw;	/* node contents, NUL-terminated; NULL if unreadable */
	int parse_err;		/* 0 if raw is a valid size, else -EINVAL/-ERANGE */
	u64 target_kb;		/* parsed value (valid when parse_err == 0) */
	u64 static_max_kb;	/* memory/static-max, 0 if unknown */
	u64 event_ns;		/* ktime_get_ns() at the callback */
};

struct memtune {
	/*
	 * Serialises everything below that is not an atomic: settings,
	 * tunables[], the balloon view, state, token and floor settings.
	 * Taken by the workqueue (watch.c/apply.c), at load and unload, and by
	 * sysfs stores; never by the xenwatch callback, which must not block
	 * on a pass that writes sysctls, nor by guard.c (its own spinlock),
	 * nor by the tunables/ shows, which read with READ_ONCE so that no
	 * reader waits for a pass.  The pass does path I/O under it, but only
	 * on procfs/sysfs files looked up from init's root (apply.c:
	 * open_kernel_file()), which no user can replace with something that
	 * blocks.  Sleeping lock: everything that takes it runs in process
	 * context.
	 */
	struct mutex lock;

	struct kobject *kobj;			/* /sys/kernel/xen_memtune */
	struct workqueue_struct *wq;		/* ordered, private */
	struct delayed_work settle_work;	/* watch.c: settle + apply pass */
	struct work_struct ack_work;		/* xs_ack.c: xenstore writes */

	/* settings (sysfs) */
	bool enabled;
	enum memtune_mode mode;
	unsigned int settle_ms;		/* poll period while settling */
	unsigned int stall_ms;		/* no progress this long == settled */

	/* balloon view, KiB, refreshed by each pass */
	u64 target_kb;		/* effective target (balloon_stats.target_pages) */
	u64 current_kb;		/* balloon_stats.current_pages */
	u64 boot_kb;		/* totalram at module load */
	u64 applied_kb;		/* totalram the last applied values were sized for */
	/* last memory/target value accepted, KiB; WRITE_ONCE/READ_ONCE like floor_kb */
	u64 last_good_target_kb;
	/*
	 * memory/target (KiB) that the last settled pass followed, echoed as
	 * data/memtune/kmod/target-kb: Dom0 matches it with the target it set,
	 * with no need to compare its clock with the guest's.
	 */
	u64 answered_target_kb;
	enum memtune_state state;

	/* memtune/resize token last read; echoed into data/memtune/kmod/token */
	char token[MEMTUNE_TOKEN_MAX];

	struct memtune_tunable tunables[MEMTUNE_NR_TUNABLES];

	/* preview (sysfs preview_kb / preview) */
	u64 preview_kb;

	/*
	 * Floor guard settings and result; guard.c owns the logic.  Written
	 * with WRITE_ONCE under memtune.lock (sysfs, guard work), read with
	 * READ_ONCE anywhere: the guard hook runs in the xenwatch thread and
	 * must not wait for a pass that holds the lock.
	 */
	enum memtune_floor_mode floor_mode;
	u64 floor_fixed_kb;
	u64 floor_kb;

	struct memtune_stats stats;
};

extern struct memtune memtune;

/* Module parameter (main.c): restore boot values of managed tunables at unload. */
extern bool memtune_restore_on_unload;

/* main.c */
void memtune_send_uevent(const char *reason);	/* memtune.lock held */
const char *memtune_mode_name(enum memtune_mode mode);	/* "apply" ... */
const char *memtune_state_name(enum memtune_state state);	/* "idle" ... */
const char *memtune_owner_name(enum memtune_owner owner);	/* "module" ... */

/* watch.c: xenstore watches, burst coalescing, settle detection */
int memtune_watch_init(void);
void memtune_watch_exit(void);
/* Ask for a pass now (sysfs "resize", settings changes); any context. */
void memtune_request_resize(void);

/* apply.c: read, compute, write, restore */
int memtune_apply_init(void);		/* reads boot values, fills tunables[] */
void memtune_apply_exit(void);
/* Compute every tunable for the memory the kernel has now; lock held. */
void memtune_compute_now(void);
/*
 * The settled pass: applied_kb = totalram, compute, write per mode, then
 * once more with the nr_free_buffer_pages() the new watermarks give.
 * Returns the number of failed writes.  memtune.lock held.
 */
int memtune_apply_now(void);
/*
 * Compute what a kernel with size_kb of managed memory (totalram) would
 * set, from the kernel's current state (shrink-first pass, sysfs preview).
 * Returns 0 or -errno.  Takes no lock; reads live kernel counters.
 */
int memtune_compute_at(u64 size_kb, struct memtune_values *out);
/* Write computed[] of every managed tunable per mode; lock held. Returns errors. */
int memtune_apply_computed(void);
/* Put back boot values of what the module still manages; lock held. */
void memtune_restore_all(void);
/*
 * Read the live kernel value of one tunable; returns 0 or -errno.  Path
 * I/O for most tunables: only from the worker or at load, never from
 * sysfs (sysfs shows what the last pass read).
 */
int memtune_tunable_read(unsigned int id, u64 vals[MEMTUNE_MAX_VALUES]);
/*
 * tunables/<name>/enabled: switch root's flag and decide the owner again
 * from what the last pass read (no I/O).  memtune.lock held.
 */
void memtune_tunable_set_enabled(unsigned int id, bool enabled);
const char *memtune_tunable_name(unsigned int id);
/* Format vals as the sysctl prints them ("a b c"), returns length. */
int memtune_format_values(char *buf, size_t size, const u64 *vals,
			  unsigned int nr_values);

/*
 * xs_ack.c: acknowledgement into data/memtune/kmod/.  Each call records the
 * keys and queues the write on memtune.wq; none sleeps.  The watch writes
 * refused-value/-reason/-count for every refused memory/target; the guard
 * adds restored-kb (memtune_ack_restored) when it puts a target back, and
 * floor-kb when the floor changes.
 */
void memtune_ack_init(void);
void memtune_ack_xenstore_ready(void);	/* watch.c's xenstore notifier */
void memtune_ack_applied(void);		/* memtune.lock held */
void memtune_ack_state(void);		/* memtune.lock held */
void memtune_ack_floor(u64 floor_kb);
void memtune_ack_refusal(const char *value, const char *reason, u64 restored_kb);
void memtune_ack_restored(u64 restored_kb);
void memtune_ack_flush(void);		/* exit: wait for queued writes */

/* sysfs.c (kmod-sysfs): files under parent (/sys/kernel/xen_memtune) */
int memtune_sysfs_init(struct kobject *parent);
void memtune_sysfs_exit(void);

/* guard.c (kmod-sysfs): balloon floor guard */
int memtune_guard_init(void);
void memtune_guard_exit(void);
/*
 * Called from the memory/target watch callback (xenwatch thread) for every
 * event, before the settle pass is queued.  Must not take memtune.lock or
 * sleep long; may call balloon_set_new_target() and memtune_ack_*().
 */
void memtune_guard_target_event(const struct memtune_target_event *ev);

#endif /* _XEN_MEMTUNE_H */
