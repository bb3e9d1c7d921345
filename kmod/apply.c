// SPDX-License-Identifier: GPL-2.0
/*
 * Read, compute and write the managed values.
 *
 * Values with an exported variable behind them (sysctl_tcp_mem,
 * sysctl_udp_mem, init_net.ipv4 fields, init_user_ns.ucount_max[]) are set
 * with WRITE_ONCE: their sysctl handlers are plain proc_do*vec* and their
 * readers use READ_ONCE, so the effect is the same as the sysctl write.
 * Everything else is written through its /proc/sys or module parameter
 * file with kernel_write(), from the module's workqueue, so the kernel's
 * own handler runs with its side effects (min_free_kbytes ->
 * setup_per_zone_wmarks(), hashsize -> nf_conntrack_hash_resize()).
 *
 * Every value written is owned on its own (owner.h): each field of
 * tcp_mem/udp_mem and each of the eight user.max_*_namespaces is the
 * module's only while it holds its boot value or the module's last write,
 * checked before every write and at restore; anything else is an
 * administrator's and is never written again.  A kernel module's values
 * that appear later (nf_conntrack) are managed only when they are what
 * that module computes for itself at the current size.
 *
 * Path I/O (the /proc/sys and /sys files) runs in the module's worker and
 * at load, never from sysfs, through kfile.c: the path is resolved from
 * init's root (the initial mount namespace, whatever the caller's), and
 * only a regular file on procfs or sysfs is opened, so no user can put a
 * FIFO or another file in its place.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/file.h>
#include <linux/fs.h>
#include <linux/fsnotify_backend.h>
#include <linux/highmem.h>
#include <linux/kernel.h>
#include <linux/limits.h>
#include <linux/list.h>
#include <linux/list_nulls.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/nodemask.h>
#include <linux/pageblock-flags.h>
#include <linux/sched/signal.h>
#include <linux/string.h>
#include <linux/swap.h>
#include <linux/thread_info.h>
#include <linux/user_namespace.h>

#include <asm/xen/hypervisor.h>

#include <net/inetpeer.h>
#include <net/net_namespace.h>
#include <net/tcp.h>
#include <net/udp.h>

#include <xen/balloon.h>
#include <xen/xen.h>

#include "kfile.h"
#include "memtune.h"
#include "owner.h"
#include "parse.h"

#define THP_ENABLED_PATH	"/sys/kernel/mm/transparent_hugepage/enabled"
#define WSF_PATH		"/proc/sys/vm/watermark_scale_factor"
#define FILE_MAX_PATH		"/proc/sys/fs/file-max"
#define LOWMEM_RESERVE_PATH	"/proc/sys/vm/lowmem_reserve_ratio"

/*
 * fs/notify/inotify/inotify.h keeps struct inotify_inode_mark private; its
 * layout (a mark and an int) is mirrored here so INOTIFY_WATCH_COST
 * (inotify_user.c) comes out exact for the headers the module is built
 * against, even when the boot value sat at its clamp.
 */
struct memtune_inotify_inode_mark {
	struct fsnotify_mark fsn_mark;
	int wd;
};

#define INOTIFY_WATCH_COST \
	(sizeof(struct memtune_inotify_inode_mark) + 2 * sizeof(struct inode))

/*
 * fs/notify/fanotify/fanotify_user.c: INODE_MARK_COST; net/ipv4/inetpeer.c:
 * what inet_initpeers() divides 1 % of RAM by.
 */
#define FANOTIFY_MARK_COST	(2 * sizeof(struct inode))
#define INET_PEER_COST		L1_CACHE_ALIGN(sizeof(struct inet_peer))

/*
 * The boot as the module established it at load (memtune_policy_boot_basis()
 * from what the kernel recorded at boot), fixed before any pass and
 * read-only afterwards: no lock needed.
 */
static struct memtune_boot_basis boot_basis;

/* totalram (KiB) the last pass wrote for: tells shrink from grow. */
static u64 last_written_kb;

const char *memtune_tunable_name(unsigned int id)
{
	return id < MEMTUNE_NR_TUNABLES ? memtune_tunables[id].name : "?";
}

/* Fields the sysctl file prints (more than the module computes for rmem/wmem). */
static unsigned int file_fields(unsigned int id)
{
	const struct memtune_tunable_desc *d = &memtune_tunables[id];

	return (d->flags & MEMTUNE_TF_LAST_OF_THREE) ? 3 : d->nr_fields;
}

int memtune_format_values(char *buf, size_t size, const u64 *vals,
			  unsigned int nr_values)
{
	unsigned int i;
	int len = 0;

	if (size)
		buf[0] = '\0';
	for (i = 0; i < nr_values; i++)
		len += scnprintf(buf + len, size - len, "%s%llu", i ? " " : "",
				 vals[i]);
	return len;
}

/* Read a /proc or /sys file holding nr decimal fields. */
static int file_read_fields(const char *path, u64 *vals, unsigned int nr)
{
	struct file *f;
	char buf[128];
	loff_t pos = 0;
	ssize_t len;

	f = memtune_open_kernel_file(path, O_RDONLY);
	if (IS_ERR(f))
		return PTR_ERR(f);
	len = kernel_read(f, buf, sizeof(buf) - 1, &pos);
	fput(f);
	if (len < 0)
		return len;
	return memtune_parse_fields(buf, len, vals, nr);
}

/* Write nr fields as the sysctl prints them; runs the file's own handler. */
static int file_write_fields(const char *path, const u64 *vals, unsigned int nr)
{
	struct file *f;
	char buf[128];
	loff_t pos = 0;
	ssize_t ret;
	int len;

	len = memtune_format_values(buf, sizeof(buf) - 1, vals, nr);
	buf[len++] = '\n';
	f = memtune_open_kernel_file(path, O_WRONLY);
	if (IS_ERR(f))
		return PTR_ERR(f);
	ret = kernel_write(f, buf, len, &pos);
	fput(f);
	if (ret < 0)
		return ret;
	return ret == len ? 0 : -EIO;
}

/* Where the exported variables live; NULL for tunables without one. */
static long *exported_long(unsigned int id, unsigned int field)
{
	switch (id) {
	case MEMTUNE_T_TCP_MEM:
		return &sysctl_tcp_mem[field];
	case MEMTUNE_T_UDP_MEM:
		return &sysctl_udp_mem[field];
	case MEMTUNE_T_INOTIFY_MAX_USER_WATCHES:
		return &init_user_ns.ucount_max[UCOUNT_INOTIFY_WATCHES];
	case MEMTUNE_T_FANOTIFY_MAX_USER_MARKS:
		return &init_user_ns.ucount_max[UCOUNT_FANOTIFY_MARKS];
	default:
		return NULL;
	}
}

static int *exported_int(unsigned int id)
{
	switch (id) {
	case MEMTUNE_T_TCP_RMEM_MAX:
		return &init_net.ipv4.sysctl_tcp_rmem[2];
	case MEMTUNE_T_TCP_WMEM_MAX:
		return &init_net.ipv4.sysctl_tcp_wmem[2];
	case MEMTUNE_T_TCP_MAX_TW_BUCKETS:
		return &init_net.ipv4.tcp_death_row.sysctl_max_tw_buckets;
	case MEMTUNE_T_TCP_MAX_SYN_BACKLOG:
		return &init_net.ipv4.sysctl_max_syn_backlog;
	default:
		return NULL;
	}
}

/* user.max_{user,pid,uts,ipc,net,mnt,cgroup,time}_namespaces: one value. */
#define NS_FIRST	UCOUNT_USER_NAMESPACES
#define NS_LAST		UCOUNT_TIME_NAMESPACES

int memtune_tunable_read(unsigned int id, u64 vals[MEMTUNE_MAX_VALUES])
{
	const struct memtune_tunable_desc *d;
	u64 raw[3];
	unsigned int i;
	long *lp;
	int *ip, err;

	if (id >= MEMTUNE_NR_TUNABLES)
		return -EINVAL;
	d = &memtune_tunables[id];

	if (id == MEMTUNE_T_MAX_USER_NAMESPACES) {
		vals[0] = READ_ONCE(init_user_ns.ucount_max[NS_FIRST]);
		return 0;
	}
	lp = exported_long(id, 0);
	if (lp) {
		for (i = 0; i < d->nr_fields; i++)
			vals[i] = READ_ONCE(*exported_long(id, i));
		return 0;
	}
	ip = exported_int(id);
	if (ip) {
		vals[0] = READ_ONCE(*ip);
		return 0;
	}

	if (!d->paths || !d->paths[0])
		return -ENOENT;
	err = file_read_fields(d->paths[0], raw, file_fields(id));
	if (err)
		return err;
	if (d->flags & MEMTUNE_TF_LAST_OF_THREE)
		vals[0] = raw[2];
	else
		for (i = 0; i < d->nr_fields; i++)
			vals[i] = raw[i];
	return 0;
}

/* Slots (owner.h) of a tunable: one per namespace type, else one per field. */
static unsigned int tunable_slots(unsigned int id)
{
	if (id == MEMTUNE_T_MAX_USER_NAMESPACES)
		return NS_LAST - NS_FIRST + 1;
	return memtune_tunables[id].nr_fields;
}

/* The value each slot should hold, from the policy's fields. */
static void slots_of_fields(unsigned int id, const u64 *fields, u64 *slots)
{
	unsigned int s;

	for (s = 0; s < tunable_slots(id); s++)
		slots[s] = id == MEMTUNE_T_MAX_USER_NAMESPACES ? fields[0] : fields[s];
}

/* Read every slot of a tunable; returns 0 or -errno. */
static int read_slots(unsigned int id, u64 slots[MEMTUNE_MAX_SLOTS])
{
	u64 fields[MEMTUNE_MAX_VALUES];
	unsigned int s;
	int err;

	if (id == MEMTUNE_T_MAX_USER_NAMESPACES) {
		for (s = 0; s < tunable_slots(id); s++)
			slots[s] = READ_ONCE(init_user_ns.ucount_max[NS_FIRST + s]);
		return 0;
	}
	err = memtune_tunable_read(id, fields);
	if (err)
		return err;
	for (s = 0; s < tunable_slots(id); s++)
		slots[s] = fields[s];
	return 0;
}

/* Write the slots in mask (and only those) to want[]; returns 0 or -errno. */
static int tunable_write(unsigned int id, const u64 *want, u32 mask)
{
	const struct memtune_tunable_desc *d = &memtune_tunables[id];
	const char *const *path;
	unsigned int s;
	u64 raw[3];
	int *ip, err;

	if (id == MEMTUNE_T_MAX_USER_NAMESPACES) {
		for (s = 0; s < tunable_slots(id); s++)
			if ((mask & BIT(s)) && want[s] > INT_MAX)
				return -ERANGE;
		for (s = 0; s < tunable_slots(id); s++)
			if (mask & BIT(s))
				WRITE_ONCE(init_user_ns.ucount_max[NS_FIRST + s],
					   (long)want[s]);
		return 0;
	}
	if (exported_long(id, 0)) {
		for (s = 0; s < d->nr_fields; s++)
			if ((mask & BIT(s)) && want[s] > LONG_MAX)
				return -ERANGE;
		for (s = 0; s < d->nr_fields; s++)
			if (mask & BIT(s))
				WRITE_ONCE(*exported_long(id, s), (long)want[s]);
		return 0;
	}
	/* The rest have one slot. */
	if (!(mask & BIT(0)))
		return 0;
	ip = exported_int(id);
	if (ip) {
		if (!want[0] || want[0] > INT_MAX)
			return -ERANGE;
		WRITE_ONCE(*ip, (int)want[0]);
		return 0;
	}

	if (!d->paths || !d->paths[0])
		return -ENOENT;
	for (path = d->paths; *path; path++) {
		if (d->flags & MEMTUNE_TF_LAST_OF_THREE) {
			err = file_read_fields(*path, raw, 3);
			if (err)
				return err;
			raw[2] = want[0];
			err = file_write_fields(*path, raw, 3);
		} else {
			err = file_write_fields(*path, want, d->nr_fields);
		}
		if (err)
			return err;
	}
	return 0;
}

static u64 read_one(const char *path, u64 fallback)
{
	u64 v;

	return file_read_fields(path, &v, 1) ? fallback : v;
}

static bool thp_enabled(void)
{
	struct file *f;
	char buf[64];
	loff_t pos = 0;
	ssize_t len;

	/* Absent on Xen PV: no PSE, so hugepage_init() gives up. */
	f = memtune_open_kernel_file(THP_ENABLED_PATH, O_RDONLY);
	if (IS_ERR(f))
		return false;
	len = kernel_read(f, buf, sizeof(buf) - 1, &pos);
	fput(f);
	if (len <= 0)
		return false;
	buf[len] = '\0';
	return !strstr(buf, "[never]");
}

/*
 * The policy inputs that only a file tells, read by refresh_file_inputs()
 * at load and at the start of every pass (never from sysfs: preview
 * computes with the last ones read).  Written under memtune.lock with
 * WRITE_ONCE, read with READ_ONCE (preview reads them without the lock).
 */
static struct {
	unsigned int watermark_scale_factor;
	bool thp_enabled;
	bool file_max_is_long_max;
} file_inputs = { .watermark_scale_factor = 10 };

static void refresh_file_inputs(void)
{
	WRITE_ONCE(file_inputs.thp_enabled, thp_enabled());
	WRITE_ONCE(file_inputs.watermark_scale_factor, read_one(WSF_PATH, 10));
	WRITE_ONCE(file_inputs.file_max_is_long_max,
		   read_one(FILE_MAX_PATH, 0) == LONG_MAX);
}

/* Everything policy reads, from the live kernel. */
static void fill_input(struct memtune_policy_input *in)
{
	int nid;
	enum zone_type z;

	memset(in, 0, sizeof(*in));
	in->totalram_pages = totalram_pages();
	in->totalhigh_pages = totalhigh_pages();
	in->nr_free_buffer_pages = nr_free_buffer_pages();

	/* for_each_zone() is not exported: walk the online nodes. */
	for_each_online_node(nid) {
		pg_data_t *pgdat = NODE_DATA(nid);

		for (z = 0; z < MAX_NR_ZONES; z++) {
			struct zone *zone = &pgdat->node_zones[z];

			if (!populated_zone(zone))
				continue;
			in->nr_all_pages += zone->present_pages;
			if (z > gfp_zone(GFP_USER))
				continue;
			in->lowmem_pages += zone_managed_pages(zone);
			in->nr_kernel_pages += zone->present_pages;
			in->nr_thp_zones++;
		}
	}

	in->boot_used_pages = boot_basis.boot_used_pages;
	in->boot_late_freed_pages = boot_basis.late_freed_pages;
	in->unknown = boot_basis.unknown;
	in->domain_pages = READ_ONCE(balloon_stats.current_pages);
	in->page_shift = PAGE_SHIFT;
	in->thread_size = THREAD_SIZE;
	in->thp_enabled = READ_ONCE(file_inputs.thp_enabled);
	in->pageblock_pages = pageblock_nr_pages;
	in->watermark_scale_factor = READ_ONCE(file_inputs.watermark_scale_factor);
	in->inotify_watch_cost = INOTIFY_WATCH_COST;
	in->ep_item_cost = boot_basis.ep_item_cost;
	in->fanotify_mark_cost = FANOTIFY_MARK_COST;
	in->inet_peer_size = INET_PEER_COST;
	in->hlist_head_size = sizeof(struct hlist_head);
	in->hlist_nulls_head_size = sizeof(struct hlist_nulls_head);
	in->file_max_is_long_max = READ_ONCE(file_inputs.file_max_is_long_max);
}

int memtune_compute_at(u64 size_kb, struct memtune_values *out)
{
	struct memtune_policy_input now, at;

	if (!size_kb)
		return -EINVAL;
	fill_input(&now);
	memtune_policy_input_at(&now, size_kb, &at);
	memtune_policy_compute(&at, out);
	return 0;
}

/*
 * value[] or boot_value[] of a tunable from the first slots of live[]:
 * sysfs shows read them with READ_ONCE and no lock (memtune.h).
 */
static void publish_values(u64 *dst, const u64 *live)
{
	unsigned int i;

	for (i = 0; i < MEMTUNE_MAX_VALUES; i++)
		WRITE_ONCE(dst[i], live[i]);
}

/* memtune.lock held. */
static void store_computed(const struct memtune_values *out)
{
	unsigned int id, i;

	for (id = 0; id < MEMTUNE_NR_TUNABLES; id++) {
		struct memtune_tunable *t = &memtune.tunables[id];

		WRITE_ONCE(t->has_computed, out->computed & BIT(id));
		for (i = 0; i < t->nr_values; i++)
			WRITE_ONCE(t->computed[i],
				   t->has_computed ? out->val[id][i] : 0);
	}
}

void memtune_compute_now(void)
{
	struct memtune_policy_input in;
	struct memtune_values out;

	fill_input(&in);
	memtune_policy_compute(&in, &out);
	store_computed(&out);
}

/* Tunables that exist only with kernel module kmod (MEMTUNE_TF_NEEDS_KMOD). */
static bool of_kmod(unsigned int id, const char *kmod)
{
	const struct memtune_tunable_desc *d = &memtune_tunables[id];

	return (d->flags & MEMTUNE_TF_NEEDS_KMOD) && d->kmod && !strcmp(d->kmod, kmod);
}

/*
 * BIT(id) of the MEMTUNE_TF_NEEDS_KMOD tunables that were there when this
 * module loaded (nf_conntrack loaded before it), until adopt_kmod() takes
 * them.  Set at load, then only under memtune.lock.
 */
static u32 kmod_at_load;

/*
 * A kernel module's values appeared (it loaded after this one, or before
 * this one's first pass): take all of them at once, as the module's when
 * every one is what that module computes for itself at load at the memory
 * the guest has now, or, for a module already loaded when this one
 * loaded, at the established boot size (nf_conntrack loaded at boot, the
 * balloon moved before this module came); otherwise as the
 * administrator's (owner.h).  All at once, before any is written: a write
 * to one would make the others look foreign.  memtune.lock held; reads
 * live values.
 */
static void adopt_kmod(const char *kmod)
{
	struct memtune_policy_input in, boot_in;
	u64 live[MEMTUNE_MAX_SLOTS], self;
	bool sized_now = true, sized_boot = false, self_sized;
	unsigned int id;

	fill_input(&in);
	boot_in = in;
	boot_in.totalram_pages = boot_basis.boot_totalram_pages;
	for (id = 0; id < MEMTUNE_NR_TUNABLES; id++)
		if (of_kmod(id, kmod) && (kmod_at_load & BIT(id)))
			sized_boot = boot_basis.doubt == MEMTUNE_BOOT_OK &&
				     boot_in.totalram_pages;
	for (id = 0; id < MEMTUNE_NR_TUNABLES; id++) {
		if (!of_kmod(id, kmod))
			continue;
		kmod_at_load &= ~BIT(id);
		if (read_slots(id, live))
			continue;
		if (tunable_slots(id) != 1 ||
		    !memtune_owner_self_sized(live, &self, 1,
					      memtune_policy_kmod_load_value(&in, id, &self)))
			sized_now = false;
		if (tunable_slots(id) != 1 ||
		    !memtune_owner_self_sized(live, &self, 1,
					      memtune_policy_kmod_load_value(&boot_in, id, &self)))
			sized_boot = false;
	}
	self_sized = sized_now || sized_boot;
	for (id = 0; id < MEMTUNE_NR_TUNABLES; id++) {
		struct memtune_tunable *t = &memtune.tunables[id];

		if (!of_kmod(id, kmod) || read_slots(id, live))
			continue;
		memtune_owner_adopt(&t->own, tunable_slots(id), live, self_sized);
		publish_values(t->boot_value, live);
		t->present = true;
		if (!self_sized)
			pr_info("%s was set before this module saw it; leaving it alone\n",
				memtune_tunables[id].name);
	}
}

/* The owner sysfs shows: "admin" as soon as one slot is the admin's. */
static enum memtune_owner owner_of(const struct memtune_tunable *t)
{
	if (!t->enabled || !t->present)
		return MEMTUNE_OWNER_OFF;
	/* Sized from a boot the module could not establish: never written. */
	if (boot_basis.unknown & BIT(t - memtune.tunables))
		return MEMTUNE_OWNER_UNKNOWN;
	return t->own.admin_mask ? MEMTUNE_OWNER_ADMIN : MEMTUNE_OWNER_MODULE;
}

/*
 * Refresh t->value from the kernel and decide who owns each slot.
 * Returns the slots the module may write (0: none); live[] gets what
 * every slot holds.  memtune.lock held.
 */
static u32 tunable_managed(unsigned int id, u64 live[MEMTUNE_MAX_SLOTS])
{
	const struct memtune_tunable_desc *d = &memtune_tunables[id];
	struct memtune_tunable *t = &memtune.tunables[id];
	u32 admin;
	int err;

	err = read_slots(id, live);
	if (err) {
		/* nf_conntrack not loaded (or unloaded): nothing to manage. */
		if (!(d->flags & MEMTUNE_TF_NEEDS_KMOD) || err != -ENOENT) {
			atomic64_inc(&memtune.stats.errors);
			pr_warn_ratelimited("cannot read %s: %d\n", d->name, err);
		}
		if (d->flags & MEMTUNE_TF_NEEDS_KMOD) {
			t->present = false;
			WRITE_ONCE(t->owner, MEMTUNE_OWNER_OFF);
		}
		return 0;
	}
	if (!t->present && (d->flags & MEMTUNE_TF_NEEDS_KMOD))
		adopt_kmod(d->kmod);	/* first seen: the module's or the admin's */
	t->present = true;
	publish_values(t->value, live);
	memcpy(t->seen, live, sizeof(t->seen));

	if (!t->enabled) {
		WRITE_ONCE(t->owner, MEMTUNE_OWNER_OFF);
		return 0;
	}
	admin = memtune_owner_admin_slots(&t->own, live);
	if ((d->flags & MEMTUNE_TF_SKIP_IF_LONG_MAX) && live[0] == LONG_MAX)
		admin = memtune_owner_all_slots(&t->own);
	if (admin & ~t->own.admin_mask)
		pr_info("%s was changed by someone else; leaving it alone\n",
			d->name);
	t->own.admin_mask = admin;
	WRITE_ONCE(t->owner, owner_of(t));
	if (t->owner == MEMTUNE_OWNER_UNKNOWN)
		return 0;
	return memtune_owner_all_slots(&t->own) & ~admin;
}

/* t->value and t->seen after want[] was written to the slots in mask. */
static void note_written(struct memtune_tunable *t, u64 *live, const u64 *want,
			 u32 mask)
{
	unsigned int s;

	for (s = 0; s < t->own.nr_slots; s++)
		if (mask & BIT(s))
			live[s] = want[s];
	memcpy(t->seen, live, sizeof(t->seen));
	publish_values(t->value, live);
}

void memtune_tunable_set_enabled(unsigned int id, bool enabled)
{
	struct memtune_tunable *t = &memtune.tunables[id];

	WRITE_ONCE(t->enabled, enabled);
	if (enabled && t->present) {
		/*
		 * Root hands it back: the module's again where it still holds
		 * its boot value or the module's last write, as the last pass
		 * read it.  The pass this store requests checks the kernel.
		 */
		t->own.admin_mask = memtune_owner_reclaim_slots(&t->own, t->seen);
		if ((memtune_tunables[id].flags & MEMTUNE_TF_SKIP_IF_LONG_MAX) &&
		    t->seen[0] == LONG_MAX)
			t->own.admin_mask = memtune_owner_all_slots(&t->own);
	}
	WRITE_ONCE(t->owner, owner_of(t));
}

/* One pass over every tunable in the safe order.  memtune.lock held. */
static int apply_pass(bool shrinking)
{
	u64 live[MEMTUNE_MAX_SLOTS], want[MEMTUNE_MAX_SLOTS];
	unsigned int i, id;
	int errors = 0, err;
	u32 mask;

	for (i = 0; i < MEMTUNE_NR_TUNABLES; i++) {
		struct memtune_tunable *t;

		id = memtune_apply_order(shrinking, i);
		if (id >= MEMTUNE_NR_TUNABLES)
			continue;
		t = &memtune.tunables[id];
		mask = tunable_managed(id, live);
		if (!mask || !t->has_computed ||
		    memtune.mode != MEMTUNE_MODE_APPLY)
			continue;
		slots_of_fields(id, t->computed, want);
		mask = memtune_owner_write_slots(&t->own, ~mask, live, want);
		if (!mask)
			continue;

		err = tunable_write(id, want, mask);
		if (err) {
			errors++;
			atomic64_inc(&memtune.stats.errors);
			pr_warn_ratelimited("cannot write %s: %d\n",
					    memtune_tunables[id].name, err);
			continue;
		}
		memtune_owner_record_write(&t->own, mask, want);
		note_written(t, live, want, mask);
	}
	return errors;
}

int memtune_apply_computed(void)
{
	bool shrinking = memtune.applied_kb < last_written_kb;
	int errors;

	refresh_file_inputs();
	errors = apply_pass(shrinking);
	last_written_kb = memtune.applied_kb;
	return errors;
}

/* Write back what a sysctl file holds, so its handler runs again. */
static int rewrite_sysctl(const char *path)
{
	struct file *f;
	char buf[128];
	loff_t pos = 0;
	ssize_t len, ret;

	f = memtune_open_kernel_file(path, O_RDONLY);
	if (IS_ERR(f))
		return PTR_ERR(f);
	len = kernel_read(f, buf, sizeof(buf), &pos);
	fput(f);
	if (len <= 0 || len == sizeof(buf))
		return len < 0 ? len : -EINVAL;
	f = memtune_open_kernel_file(path, O_WRONLY);
	if (IS_ERR(f))
		return PTR_ERR(f);
	pos = 0;
	ret = kernel_write(f, buf, len, &pos);
	fput(f);
	if (ret < 0)
		return ret;
	return ret == len ? 0 : -EIO;
}

/*
 * Everything the kernel derives from the zones' managed pages, as a boot
 * (or memory hotplug: init_per_zone_wmark_min()) does, for the pages the
 * zones hold now.  The balloon moves managed pages without it, and a
 * min_free_kbytes written before the balloon settled (the shrink-first
 * pass), or not written because it did not change, left them sized for
 * the old memory.  Both handlers recompute on every write, even of the
 * same value, and neither marks anything as set by the user:
 * watermark_scale_factor runs setup_per_zone_wmarks() (min/low/high,
 * then zone_pcp_update(): pcp high/batch, and totalreserve_pages);
 * lowmem_reserve_ratio runs setup_per_zone_lowmem_reserve().
 */
static int refresh_zone_limits(void)
{
	static const char *const paths[] = { WSF_PATH, LOWMEM_RESERVE_PATH };
	unsigned int i;
	int err, errors = 0;

	for (i = 0; i < ARRAY_SIZE(paths); i++) {
		err = rewrite_sysctl(paths[i]);
		if (!err)
			continue;
		errors++;
		atomic64_inc(&memtune.stats.errors);
		pr_warn_ratelimited("cannot refresh %s: %d\n", paths[i], err);
	}
	return errors;
}

int memtune_apply_now(void)
{
	bool shrinking;
	int errors;

	memtune.applied_kb = (u64)totalram_pages() << (PAGE_SHIFT - 10);
	shrinking = memtune.applied_kb < last_written_kb;
	refresh_file_inputs();
	memtune_compute_now();
	errors = apply_pass(shrinking);
	if (memtune.mode != MEMTUNE_MODE_APPLY)
		goto out;
	errors += refresh_zone_limits();
	/*
	 * The tcp/udp limits come from nr_free_buffer_pages(), which moves
	 * with the watermarks just refreshed; a boot computes them after its
	 * watermarks too.  Second pass with the real number (writes only
	 * what changed).
	 */
	memtune_compute_now();
	errors += apply_pass(shrinking);
out:
	last_written_kb = memtune.applied_kb;
	return errors;
}

void memtune_restore_all(void)
{
	bool shrinking = memtune.boot_kb < last_written_kb;
	u64 live[MEMTUNE_MAX_SLOTS];
	unsigned int i, id, restored = 0;
	u32 mask, admin;

	for (i = 0; i < MEMTUNE_NR_TUNABLES; i++) {
		struct memtune_tunable *t;

		id = memtune_apply_order(shrinking, i);
		if (id >= MEMTUNE_NR_TUNABLES)
			continue;
		t = &memtune.tunables[id];
		if (!t->enabled || !t->present || !t->own.written_mask ||
		    read_slots(id, live))
			continue;
		/* Slots someone changed since our last write are theirs now. */
		mask = memtune_owner_restore_slots(&t->own, live, &admin);
		t->own.admin_mask = admin;
		WRITE_ONCE(t->owner, owner_of(t));
		if (!mask)
			continue;
		if (tunable_write(id, t->own.boot, mask)) {
			atomic64_inc(&memtune.stats.errors);
			pr_warn("cannot restore %s\n", memtune_tunables[id].name);
			continue;
		}
		t->own.written_mask &= ~mask;
		note_written(t, live, t->own.boot, mask);
		restored++;
	}
	if (restored)
		pr_info("restored the boot values of %u tunables\n", restored);
}

static const char *const boot_doubts[] = {
	[MEMTUNE_BOOT_OK] = "established",
	[MEMTUNE_BOOT_NO_INIT_NPROC] = "init_task's RLIMIT_NPROC is clamped",
	[MEMTUNE_BOOT_NO_BALLOON] = "the balloon's boot size is unknown",
	[MEMTUNE_BOOT_DISAGREE] = "the balloon and fork_init() disagree",
};

/*
 * The boot size from what the kernel recorded at boot and nothing moves
 * afterwards: the balloon's starting point (PV: the domain builder's
 * nr_pages in start_info; HVM/PVH: present pages, which balloon_init()
 * started from) and fork_init()'s RLIMIT_NPROC of the idle task.  Not
 * totalram_pages() at load: the balloon may have moved before the module
 * was loaded (a late modprobe, a reload, a DKMS upgrade).
 */
static void establish_boot(void)
{
	struct memtune_tunable *t = memtune.tunables;
	struct memtune_boot_record r = {
		.totalram_pages = totalram_pages(),
		.balloon_pages = READ_ONCE(balloon_stats.current_pages),
		.init_nproc = READ_ONCE(init_task.signal->rlim[RLIMIT_NPROC].rlim_cur),
		.threads_max = t[MEMTUNE_T_THREADS_MAX].boot_value[0],
		.user_reserve_kbytes = t[MEMTUNE_T_USER_RESERVE_KBYTES].boot_value[0],
		.epoll_max_user_watches = t[MEMTUNE_T_EPOLL_MAX_USER_WATCHES].boot_value[0],
		.totalhigh_pages = totalhigh_pages(),
		.thread_size = THREAD_SIZE,
		.page_shift = PAGE_SHIFT,
	};
	const struct memtune_boot_basis *b = &boot_basis;

	if (xen_pv_domain())
		r.boot_balloon_pages = xen_start_info->nr_pages;
	else if (xen_domain())
		r.boot_balloon_pages = get_num_physpages();
	memtune_policy_boot_basis(&r, &boot_basis);

	if (b->doubt == MEMTUNE_BOOT_OK)
		pr_info("boot: %llu kB, %llu kB at the initcalls; now %llu kB\n",
			b->boot_totalram_pages << (PAGE_SHIFT - 10),
			b->init_pages << (PAGE_SHIFT - 10),
			r.totalram_pages << (PAGE_SHIFT - 10));
	else
		pr_warn("boot size not established (%s: balloon %llu pages, %llu at boot, init nproc %llu); the values sized from it are left alone (owner unknown)\n",
			boot_doubts[b->doubt], r.balloon_pages,
			r.boot_balloon_pages, r.init_nproc);
	if (b->doubt == MEMTUNE_BOOT_OK && b->unknown)
		pr_warn("user_reserve_kbytes or epoll max_user_watches is not its boot value; the values derived from it are left alone (owner unknown)\n");
}

int memtune_apply_init(void)
{
	struct memtune_tunable *t = memtune.tunables;
	struct memtune_tunable *ns = &t[MEMTUNE_T_MAX_USER_NAMESPACES];
	unsigned int id;

	refresh_file_inputs();
	for (id = 0; id < MEMTUNE_NR_TUNABLES; id++) {
		const struct memtune_tunable_desc *d = &memtune_tunables[id];
		u64 live[MEMTUNE_MAX_SLOTS];

		t[id].nr_values = min_t(unsigned int, d->nr_fields, MEMTUNE_MAX_VALUES);
		t[id].enabled = true;
		t[id].present = false;
		t[id].owner = MEMTUNE_OWNER_OFF;
		/*
		 * A kernel module's values are not boot values: the first
		 * pass adopts them, or not (tunable_managed()).
		 */
		if (d->flags & MEMTUNE_TF_NEEDS_KMOD) {
			if (!read_slots(id, live))
				kmod_at_load |= BIT(id);
			continue;
		}
		if (read_slots(id, live)) {
			pr_info("%s not found on this kernel\n", d->name);
			continue;
		}
		memtune_owner_init(&t[id].own, tunable_slots(id), live);
		memcpy(t[id].boot_value, live, sizeof(t[id].boot_value));
		memcpy(t[id].value, live, sizeof(t[id].value));
		memcpy(t[id].seen, live, sizeof(t[id].seen));
		t[id].present = true;
		t[id].owner = MEMTUNE_OWNER_MODULE;
	}
	/*
	 * kernel/fork.c: fork_init() set all eight namespace limits to
	 * max_threads / 2; one that differs was set before this load
	 * (threads_max comes first in the enum, so it is read by now).
	 */
	if (ns->present && t[MEMTUNE_T_THREADS_MAX].present) {
		ns->own.admin_mask = memtune_owner_load_admin_slots(ns->seen,
				ns->own.nr_slots,
				t[MEMTUNE_T_THREADS_MAX].boot_value[0] / 2);
		ns->own.foreign_boot_mask = ns->own.admin_mask;
		ns->owner = owner_of(ns);
		if (ns->own.admin_mask)
			pr_info("%s: some namespace types were set before load; leaving those alone\n",
				memtune_tunable_name(MEMTUNE_T_MAX_USER_NAMESPACES));
	}

	establish_boot();
	last_written_kb = memtune.boot_kb;
	return 0;
}

void memtune_apply_exit(void)
{
}
