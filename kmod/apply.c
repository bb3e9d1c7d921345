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
 * A value is managed only while it holds its boot value or the module's
 * last write; anything else means an administrator changed it, and the
 * module never touches it again (owner "admin").
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

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
#include <linux/sched/task.h>
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

#include "memtune.h"
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

	f = filp_open(path, O_RDONLY, 0);
	if (IS_ERR(f))
		return PTR_ERR(f);
	len = kernel_read(f, buf, sizeof(buf) - 1, &pos);
	filp_close(f, NULL);
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
	f = filp_open(path, O_WRONLY, 0);
	if (IS_ERR(f))
		return PTR_ERR(f);
	ret = kernel_write(f, buf, len, &pos);
	filp_close(f, NULL);
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

static int tunable_write(unsigned int id, const u64 *vals)
{
	const struct memtune_tunable_desc *d = &memtune_tunables[id];
	const char *const *path;
	unsigned int i, ns;
	u64 raw[3];
	int *ip, err;

	if (id == MEMTUNE_T_MAX_USER_NAMESPACES) {
		if (vals[0] > INT_MAX)
			return -ERANGE;
		for (ns = NS_FIRST; ns <= NS_LAST; ns++)
			WRITE_ONCE(init_user_ns.ucount_max[ns], (long)vals[0]);
		return 0;
	}
	if (exported_long(id, 0)) {
		for (i = 0; i < d->nr_fields; i++)
			if (vals[i] > LONG_MAX)
				return -ERANGE;
		for (i = 0; i < d->nr_fields; i++)
			WRITE_ONCE(*exported_long(id, i), (long)vals[i]);
		return 0;
	}
	ip = exported_int(id);
	if (ip) {
		if (!vals[0] || vals[0] > INT_MAX)
			return -ERANGE;
		WRITE_ONCE(*ip, (int)vals[0]);
		return 0;
	}

	if (!d->paths || !d->paths[0])
		return -ENOENT;
	for (path = d->paths; *path; path++) {
		if (d->flags & MEMTUNE_TF_LAST_OF_THREE) {
			err = file_read_fields(*path, raw, 3);
			if (err)
				return err;
			raw[2] = vals[0];
			err = file_write_fields(*path, raw, 3);
		} else {
			err = file_write_fields(*path, vals, d->nr_fields);
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
	f = filp_open(THP_ENABLED_PATH, O_RDONLY, 0);
	if (IS_ERR(f))
		return false;
	len = kernel_read(f, buf, sizeof(buf) - 1, &pos);
	filp_close(f, NULL);
	if (len <= 0)
		return false;
	buf[len] = '\0';
	return !strstr(buf, "[never]");
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
	in->thp_enabled = thp_enabled();
	in->pageblock_pages = pageblock_nr_pages;
	in->watermark_scale_factor = read_one(WSF_PATH, 10);
	in->inotify_watch_cost = INOTIFY_WATCH_COST;
	in->ep_item_cost = boot_basis.ep_item_cost;
	in->fanotify_mark_cost = FANOTIFY_MARK_COST;
	in->inet_peer_size = INET_PEER_COST;
	in->hlist_head_size = sizeof(struct hlist_head);
	in->hlist_nulls_head_size = sizeof(struct hlist_nulls_head);
	in->file_max_is_long_max = read_one(FILE_MAX_PATH, 0) == LONG_MAX;
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

/* memtune.lock held. */
static void store_computed(const struct memtune_values *out)
{
	unsigned int id, i;

	for (id = 0; id < MEMTUNE_NR_TUNABLES; id++) {
		struct memtune_tunable *t = &memtune.tunables[id];

		t->has_computed = out->computed & BIT(id);
		for (i = 0; i < t->nr_values; i++)
			t->computed[i] = t->has_computed ? out->val[id][i] : 0;
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

static bool same(const u64 *a, const u64 *b, unsigned int n)
{
	return !memcmp(a, b, n * sizeof(*a));
}

/*
 * Refresh t->value from the kernel and decide who owns the tunable.
 * Returns true if the module may write it.  memtune.lock held.
 */
static bool tunable_managed(unsigned int id)
{
	const struct memtune_tunable_desc *d = &memtune_tunables[id];
	struct memtune_tunable *t = &memtune.tunables[id];
	u64 live[MEMTUNE_MAX_VALUES];
	int err;

	err = memtune_tunable_read(id, live);
	if (err) {
		/* nf_conntrack not loaded (or unloaded): nothing to manage. */
		if (!(d->flags & MEMTUNE_TF_NEEDS_KMOD) || err != -ENOENT) {
			atomic64_inc(&memtune.stats.errors);
			pr_warn_ratelimited("cannot read %s: %d\n", d->name, err);
		}
		if (d->flags & MEMTUNE_TF_NEEDS_KMOD) {
			t->present = false;
			t->owner = MEMTUNE_OWNER_OFF;
		}
		return false;
	}
	if (!t->present && (d->flags & MEMTUNE_TF_NEEDS_KMOD)) {
		/* First seen now (module loaded later): its value is the boot one. */
		memcpy(t->boot_value, live, sizeof(live));
		t->has_written = false;
	}
	t->present = true;
	memcpy(t->value, live, sizeof(live));

	if (!t->enabled) {
		t->owner = MEMTUNE_OWNER_OFF;
		return false;
	}
	if (t->owner == MEMTUNE_OWNER_ADMIN)
		return false;
	if (boot_basis.unknown & BIT(id)) {
		t->owner = MEMTUNE_OWNER_UNKNOWN;
		return false;
	}
	if ((d->flags & MEMTUNE_TF_SKIP_IF_LONG_MAX) && live[0] == LONG_MAX) {
		t->owner = MEMTUNE_OWNER_ADMIN;
		return false;
	}
	if (!same(live, t->boot_value, t->nr_values) &&
	    !(t->has_written && same(live, t->written, t->nr_values))) {
		t->owner = MEMTUNE_OWNER_ADMIN;
		pr_info("%s was changed by someone else; leaving it alone\n",
			d->name);
		return false;
	}
	t->owner = MEMTUNE_OWNER_MODULE;
	return true;
}

/* One pass over every tunable in the safe order.  memtune.lock held. */
static int apply_pass(bool shrinking)
{
	unsigned int i, id;
	int errors = 0, err;

	for (i = 0; i < MEMTUNE_NR_TUNABLES; i++) {
		struct memtune_tunable *t;

		id = memtune_apply_order(shrinking, i);
		if (id >= MEMTUNE_NR_TUNABLES)
			continue;
		t = &memtune.tunables[id];
		if (!tunable_managed(id) || !t->has_computed)
			continue;
		if (memtune.mode != MEMTUNE_MODE_APPLY ||
		    same(t->value, t->computed, t->nr_values))
			continue;

		err = tunable_write(id, t->computed);
		if (err) {
			errors++;
			atomic64_inc(&memtune.stats.errors);
			pr_warn_ratelimited("cannot write %s: %d\n",
					    memtune_tunables[id].name, err);
			continue;
		}
		memcpy(t->written, t->computed, sizeof(t->written));
		memcpy(t->value, t->computed, sizeof(t->value));
		t->has_written = true;
	}
	return errors;
}

int memtune_apply_computed(void)
{
	bool shrinking = memtune.applied_kb < last_written_kb;
	int errors;

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

	f = filp_open(path, O_RDONLY, 0);
	if (IS_ERR(f))
		return PTR_ERR(f);
	len = kernel_read(f, buf, sizeof(buf), &pos);
	filp_close(f, NULL);
	if (len <= 0 || len == sizeof(buf))
		return len < 0 ? len : -EINVAL;
	f = filp_open(path, O_WRONLY, 0);
	if (IS_ERR(f))
		return PTR_ERR(f);
	pos = 0;
	ret = kernel_write(f, buf, len, &pos);
	filp_close(f, NULL);
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
	unsigned int i, id, restored = 0;
	u64 live[MEMTUNE_MAX_VALUES];

	for (i = 0; i < MEMTUNE_NR_TUNABLES; i++) {
		struct memtune_tunable *t;

		id = memtune_apply_order(shrinking, i);
		if (id >= MEMTUNE_NR_TUNABLES)
			continue;
		t = &memtune.tunables[id];
		if (t->owner != MEMTUNE_OWNER_MODULE || !t->has_written || !t->present)
			continue;
		/* Someone changed it since our last write: theirs now. */
		if (memtune_tunable_read(id, live) ||
		    !same(live, t->written, t->nr_values)) {
			t->owner = MEMTUNE_OWNER_ADMIN;
			continue;
		}
		if (same(live, t->boot_value, t->nr_values))
			continue;
		if (tunable_write(id, t->boot_value)) {
			atomic64_inc(&memtune.stats.errors);
			pr_warn("cannot restore %s\n", memtune_tunables[id].name);
			continue;
		}
		memcpy(t->value, t->boot_value, sizeof(t->value));
		t->has_written = false;
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
	unsigned int id;

	for (id = 0; id < MEMTUNE_NR_TUNABLES; id++) {
		const struct memtune_tunable_desc *d = &memtune_tunables[id];

		t[id].nr_values = min_t(unsigned int, d->nr_fields, MEMTUNE_MAX_VALUES);
		t[id].enabled = true;
		t[id].owner = MEMTUNE_OWNER_MODULE;
		if (memtune_tunable_read(id, t[id].boot_value)) {
			/* Absent now; picked up if its module loads later. */
			t[id].present = false;
			t[id].owner = MEMTUNE_OWNER_OFF;
			if (!(d->flags & MEMTUNE_TF_NEEDS_KMOD))
				pr_info("%s not found on this kernel\n", d->name);
			continue;
		}
		memcpy(t[id].value, t[id].boot_value, sizeof(t[id].value));
		t[id].present = true;
	}

	establish_boot();
	last_written_kb = memtune.boot_kb;
	return 0;
}

void memtune_apply_exit(void)
{
}
