/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xen_memtune: the module's shared state and the calls between its files.
 *
 * Data flow: xenstore event (watch.c) -> pass (pass.c: settle.c decides
 * when the balloon is done) -> policy (policy.c) -> apply (apply.c) ->
 * sysfs/uevent (sysfs.c, pass.c) -> xenstore acknowledgement (xs_ack.c).
 * watch.c also runs the floor guard, whose decisions are guard.c's.
 *
 * Who calls whom (the include and call graph of kmod/ has no cycle):
 *
 *   main.c   -> sysfs.c, watch.c, pass.c, apply.c, xs_ack.c, state.c
 *   sysfs.c  -> watch.c (guard info, floor settings), apply.c, policy.c,
 *               parse.c, xs_ack.c, state.c
 *   watch.c  -> guard.c, floor.c, parse.c, kfile.c, xs_ack.c, state.c
 *   pass.c   -> settle.c, apply.c, xs_ack.c, state.c
 *   apply.c  -> owner.c, policy.c, parse.c, kfile.c, state.c
 *   xs_ack.c -> state.c
 *   state.c, kfile.c, guard.c (-> floor.c), settle.c, owner.c, policy.c,
 *   parse.c: call no other file
 *
 * A file lower in the list never calls one above it: an event source asks
 * for a pass through state.c's inbox, never through the pass itself.
 *
 * There is exactly one instance, the global "memtune" (state.c).
 */
#ifndef _XEN_MEMTUNE_H
#define _XEN_MEMTUNE_H

#include <linux/atomic.h>
#include <linux/kobject.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <linux/workqueue.h>

#include "guard.h"
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
	/*
	 * the boot it is sized from could not be established at load
	 * (apply.c: establish_boot()): reported, never written
	 */
	MEMTUNE_OWNER_UNKNOWN,
};

/* Where the settle/apply machine is; shown in sysfs "state". */
enum memtune_state {
	MEMTUNE_STATE_IDLE,	/* balloon at target, values applied */
	MEMTUNE_STATE_SETTLING,	/* waiting for current == target or a stall */
	MEMTUNE_STATE_APPLYING,	/* writing values */
	MEMTUNE_STATE_DISABLED,	/* enabled == 0 */
	/*
	 * The balloon stopped short of its target (Xen refuses pages): the
	 * values are applied for the memory the guest has, and the pass
	 * keeps watching; they follow when the balloon moves again.
	 */
	MEMTUNE_STATE_STALLED,
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
	atomic64_t stalls;	/* passes that found the balloon stalled */
	atomic64_t errors;	/* failed writes or reads */

	u64 last_event_ns;	/* first event of the current/last burst */
	u64 last_settle_ns;	/* when the balloon was last seen settled */
	u64 last_apply_ns;	/* when the last pass finished writing */
	u64 settle_duration_ns;	/* last burst: event -> settled */
	u64 apply_duration_ns;	/* last pass: first write -> last write */
	u64 event_to_apply_ns;	/* last burst: event -> last value written */

	/* floor guard (watch.c performs what guard.c decides) */
	atomic64_t guard_raises;	/* target raised back to the floor */
	atomic64_t guard_caps;		/* target capped at static-max */
	atomic64_t guard_restores;	/* last good target restored */
	u64 guard_released_kb;		/* released before the guard acted (last) */
	u64 guard_reaction_ns;		/* last: watch event -> new target set */
};

struct memtune {
	/*
	 * Protects everything below that is not an atomic and not marked
	 * otherwise: settings, tunables[], the balloon view, state, token.
	 * Taken by the pass (pass.c, apply.c under it), by sysfs show/store
	 * and at exit; never by the xenwatch callbacks or the guard's poll,
	 * which must not wait for a pass that writes sysctls.  A mutex:
	 * everything that takes it runs in process context and may sleep
	 * under it (sysctl writes).  Lock order: memtune.lock, then the
	 * guard's lock (watch.c), then the leaf spinlocks (state.c's inbox,
	 * xs_ack.c's record), under which no other lock of the module is
	 * taken.  Fields read without it (sysfs shows, the guard) are
	 * written with WRITE_ONCE under it and read with READ_ONCE: enabled,
	 * mode, settle_ms, stall_ms, state, floor_mode, floor_fixed_kb,
	 * preview_kb, and the tunables/ values, so that no sysfs reader waits
	 * for a pass.  The pass does path I/O under it, but only on
	 * procfs/sysfs files looked up from init's root (kfile.c), which
	 * no user can replace with something that blocks.
	 */
	struct mutex lock;

	struct kobject *kobj;			/* /sys/kernel/xen_memtune */
	/* xen_memtune0's kobject (main.c), the source of every uevent; set at load */
	struct kobject *uevent_kobj;
	struct workqueue_struct *wq;		/* ordered, private */
	struct delayed_work settle_work;	/* pass.c; queued through state.c */
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
	 * Floor guard settings (sysfs writes them under memtune.lock, with
	 * WRITE_ONCE) and its result floor_kb (written by watch.c under the
	 * guard's lock, with WRITE_ONCE); read with READ_ONCE anywhere: the
	 * guard runs in the xenwatch thread and must not wait for a pass.
	 */
	enum memtune_floor_mode floor_mode;
	u64 floor_fixed_kb;
	u64 floor_kb;

	struct memtune_stats stats;
};

extern struct memtune memtune;

/* state.c: names, and the inbox every event source asks for a pass through */
const char *memtune_mode_name(enum memtune_mode mode);	/* "apply" ... */
const char *memtune_state_name(enum memtune_state state);	/* "idle" ... */
const char *memtune_owner_name(enum memtune_owner owner);	/* "module" ... */
/* Open (true) or close (false) the inbox: no pass is queued while closed. */
void memtune_pass_allow(bool allow);
/*
 * Ask for a pass now; any context that may take a spinlock.  target_kb:
 * the accepted memory/target that caused it, 0 for other causes.  An event
 * that finds a pass already waiting is folded into it (stats/coalesced).
 */
void memtune_request_pass(u64 now_ns, u64 target_kb);
void memtune_request_resize(void);	/* memtune_request_pass(now, 0) */
/* A memtune/resize token: echoed by the next pass (data/memtune/kmod/token). */
void memtune_request_token(const char *token);
/*
 * The pass (memtune.lock held): did an event arrive since it last looked?
 * Copies the last accepted target into *target_kb (left alone if none) and
 * a pending token into memtune.token.
 */
bool memtune_take_events(u64 *target_kb);
/* The burst's first event time, 0 if none; clears it. */
u64 memtune_take_burst_start(void);
/* The pass asks to run again in delay_ms (not once the inbox is closed). */
void memtune_pass_again(unsigned int delay_ms);

/* pass.c: the settle + apply pass (settle_work) and the uevent */
void memtune_pass_init(void);
void memtune_pass_exit(void);	/* after memtune_pass_allow(false) */
void memtune_send_uevent(const char *reason);	/* memtune.lock held */

/* watch.c: xenstore watches, the balloon floor guard */
int memtune_watch_init(void);
void memtune_watch_exit(void);

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

/* apply.c: read, compute, write, restore */
int memtune_apply_init(void);		/* reads boot values, fills tunables[] */
void memtune_apply_exit(void);
/* Compute every tunable for the memory the kernel has now; lock held. */
void memtune_compute_now(void);
/*
 * The settled pass: applied_kb = totalram, compute, write per mode; in
 * apply mode then recompute the zone watermarks, pcp and lowmem_reserve
 * for the pages the zones hold now, and write once more with the
 * nr_free_buffer_pages() those watermarks give.  Returns the number of
 * failed writes.  memtune.lock held.
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
 * keys and queues the write on memtune.wq; none sleeps.  applied-kb and
 * target-kb name the size the values were computed for and the target the
 * pass followed; state says "stalled" when the balloon stopped short.  The watch writes
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

/* sysfs.c: files under parent (/sys/kernel/xen_memtune) */
int memtune_sysfs_init(struct kobject *parent);
void memtune_sysfs_exit(void);

#endif /* _XEN_MEMTUNE_H */
