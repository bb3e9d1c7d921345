// SPDX-License-Identifier: GPL-2.0
/*
 * sysfs knobs: /sys/kernel/xen_memtune (docs/ABI/testing/sysfs-kernel-xen_memtune).
 *
 *   <top>          settings, the balloon view, preview, the floor
 *   stats/         counters and timings (a named group on the same kobject)
 *   tunables/<n>/  one directory per managed value
 *   hashes/<n>/    the boot-only hash tables: size now, size a boot here picks
 *
 * Every write is root-only (modes 0644/0200), parsed strictly (decimal
 * digits, one optional trailing newline, nothing else) and refused with
 * -EINVAL otherwise, before anything changes.  Settings change under
 * memtune.lock; counters are atomics or READ_ONCE values and need no lock.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kernel.h>
#include <linux/kobject.h>
#include <linux/mm.h>
#include <linux/mmzone.h>
#include <linux/nodemask.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include <net/inet_hashtables.h>
#include <net/tcp.h>
#include <net/udp.h>

#include <xen/balloon.h>

#include "memtune.h"
#include "parse.h"
#include "policy.h"

#define PAGES_TO_KB(p)	((u64)(p) << (PAGE_SHIFT - 10))

/* Accepted ranges of the numeric settings (the ABI file repeats them). */
#define SETTLE_MS_MIN		1
#define SETTLE_MS_MAX		60000
#define STALL_MS_MIN		10
#define STALL_MS_MAX		3600000
#define SIZE_KB_MIN		1024ULL			/* 1 MiB */
#define SIZE_KB_MAX		(1ULL << 32)		/* 4 TiB */

/*
 * A decimal number in [min, max], as the store() got it.  Everything the
 * parser refuses (blanks, signs, prefixes, suffixes, NUL, overflow) and
 * anything out of range is -EINVAL.
 */
static int parse_ranged(const char *buf, size_t count, u64 min, u64 max,
			u64 *val)
{
	u64 v;

	if (memtune_parse_u64(buf, count, &v) || v < min || v > max)
		return -EINVAL;
	*val = v;
	return 0;
}

/*
 * One of nr words, with at most the newline echo adds.  A NUL inside the
 * write would let "off\0junk" pass sysfs_streq(), so it is refused first.
 */
static int parse_word(const char *buf, size_t count,
		      const char *(*name)(unsigned int), unsigned int nr)
{
	unsigned int i;

	if (!count || memchr(buf, '\0', count))
		return -EINVAL;
	for (i = 0; i < nr; i++)
		if (sysfs_streq(buf, name(i)))
			return i;
	return -EINVAL;
}

/* ---- top directory ------------------------------------------------------ */

static ssize_t enabled_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%d\n", READ_ONCE(memtune.enabled));
}

static ssize_t enabled_store(struct kobject *kobj, struct kobj_attribute *attr,
			     const char *buf, size_t count)
{
	u64 v;

	if (parse_ranged(buf, count, 0, 1, &v))
		return -EINVAL;
	mutex_lock(&memtune.lock);
	WRITE_ONCE(memtune.enabled, v);
	if (!v)
		WRITE_ONCE(memtune.state, MEMTUNE_STATE_DISABLED);
	else if (memtune.state == MEMTUNE_STATE_DISABLED)
		WRITE_ONCE(memtune.state, MEMTUNE_STATE_SETTLING);
	memtune_ack_state();
	mutex_unlock(&memtune.lock);
	/* A pass brings the state and, once enabled, the values up to date. */
	memtune_request_resize();
	return count;
}

static const char *mode_word(unsigned int i)
{
	return memtune_mode_name(i);
}

static ssize_t mode_show(struct kobject *kobj, struct kobj_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%s\n", memtune_mode_name(READ_ONCE(memtune.mode)));
}

static ssize_t mode_store(struct kobject *kobj, struct kobj_attribute *attr,
			  const char *buf, size_t count)
{
	int mode = parse_word(buf, count, mode_word, MEMTUNE_MODE_NOTIFY + 1);

	if (mode < 0)
		return -EINVAL;
	mutex_lock(&memtune.lock);
	WRITE_ONCE(memtune.mode, mode);
	mutex_unlock(&memtune.lock);
	memtune_request_resize();
	return count;
}

static ssize_t settle_ms_show(struct kobject *kobj, struct kobj_attribute *attr,
			      char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(memtune.settle_ms));
}

static ssize_t settle_ms_store(struct kobject *kobj, struct kobj_attribute *attr,
			       const char *buf, size_t count)
{
	u64 v;

	if (parse_ranged(buf, count, SETTLE_MS_MIN, SETTLE_MS_MAX, &v))
		return -EINVAL;
	mutex_lock(&memtune.lock);
	WRITE_ONCE(memtune.settle_ms, v);
	mutex_unlock(&memtune.lock);
	return count;
}

static ssize_t stall_ms_show(struct kobject *kobj, struct kobj_attribute *attr,
			     char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(memtune.stall_ms));
}

static ssize_t stall_ms_store(struct kobject *kobj, struct kobj_attribute *attr,
			      const char *buf, size_t count)
{
	u64 v;

	if (parse_ranged(buf, count, STALL_MS_MIN, STALL_MS_MAX, &v))
		return -EINVAL;
	mutex_lock(&memtune.lock);
	WRITE_ONCE(memtune.stall_ms, v);
	mutex_unlock(&memtune.lock);
	return count;
}

/* The balloon's own numbers, live: the same as xen_memory0/target_kb. */
static ssize_t target_kb_show(struct kobject *kobj, struct kobj_attribute *attr,
			      char *buf)
{
	return sysfs_emit(buf, "%llu\n",
			  PAGES_TO_KB(READ_ONCE(balloon_stats.target_pages)));
}

static ssize_t current_kb_show(struct kobject *kobj, struct kobj_attribute *attr,
			       char *buf)
{
	return sysfs_emit(buf, "%llu\n",
			  PAGES_TO_KB(READ_ONCE(balloon_stats.current_pages)));
}

static ssize_t boot_kb_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%llu\n", memtune.boot_kb);
}

static ssize_t state_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	return sysfs_emit(buf, "%s\n", memtune_state_name(READ_ONCE(memtune.state)));
}

static ssize_t resize_store(struct kobject *kobj, struct kobj_attribute *attr,
			    const char *buf, size_t count)
{
	u64 v;

	if (parse_ranged(buf, count, 1, 1, &v))
		return -EINVAL;
	memtune_request_resize();
	return count;
}

static ssize_t preview_kb_show(struct kobject *kobj, struct kobj_attribute *attr,
			       char *buf)
{
	return sysfs_emit(buf, "%llu\n", READ_ONCE(memtune.preview_kb));
}

static ssize_t preview_kb_store(struct kobject *kobj, struct kobj_attribute *attr,
				const char *buf, size_t count)
{
	u64 v;

	if (parse_ranged(buf, count, SIZE_KB_MIN, SIZE_KB_MAX, &v))
		return -EINVAL;
	mutex_lock(&memtune.lock);
	WRITE_ONCE(memtune.preview_kb, v);
	mutex_unlock(&memtune.lock);
	return count;
}

/*
 * "name v1[ v2 v3]" per tunable, for the size in preview_kb; "name -" for a
 * value the policy cannot compute on this kernel.  Empty until a size is
 * written.
 */
static ssize_t preview_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	u64 size_kb = READ_ONCE(memtune.preview_kb);
	struct memtune_values *vals;
	unsigned int id;
	char line[96];
	int len = 0, err;

	if (!size_kb)
		return 0;
	vals = kzalloc(sizeof(*vals), GFP_KERNEL);
	if (!vals)
		return -ENOMEM;
	err = memtune_compute_at(size_kb, vals);
	if (err) {
		kfree(vals);
		return err;
	}
	for (id = 0; id < MEMTUNE_NR_TUNABLES; id++) {
		if (vals->computed & BIT(id))
			memtune_format_values(line, sizeof(line), vals->val[id],
					      memtune_tunables[id].nr_fields);
		else
			strscpy(line, "-", sizeof(line));
		len += sysfs_emit_at(buf, len, "%s %s\n",
				     memtune_tunable_name(id), line);
	}
	kfree(vals);
	return len;
}

static ssize_t floor_kb_show(struct kobject *kobj, struct kobj_attribute *attr,
			     char *buf)
{
	return sysfs_emit(buf, "%llu\n", READ_ONCE(memtune.floor_kb));
}

static ssize_t floor_reason_show(struct kobject *kobj,
				 struct kobj_attribute *attr, char *buf)
{
	struct memtune_guard_info info;

	memtune_guard_get_info(&info);
	return sysfs_emit(buf, "%s\n", info.floor_reason);
}

static const char * const floor_mode_names[] = {
	[MEMTUNE_FLOOR_AUTO] = "auto",
	[MEMTUNE_FLOOR_FIXED] = "fixed",
	[MEMTUNE_FLOOR_OFF] = "off",
};

static const char *floor_mode_word(unsigned int i)
{
	return floor_mode_names[i];
}

static ssize_t floor_mode_show(struct kobject *kobj, struct kobj_attribute *attr,
			       char *buf)
{
	unsigned int mode = READ_ONCE(memtune.floor_mode);

	return sysfs_emit(buf, "%s\n", mode < ARRAY_SIZE(floor_mode_names) ?
			  floor_mode_names[mode] : "?");
}

static ssize_t floor_mode_store(struct kobject *kobj,
				struct kobj_attribute *attr,
				const char *buf, size_t count)
{
	int mode = parse_word(buf, count, floor_mode_word,
			      ARRAY_SIZE(floor_mode_names));

	if (mode < 0)
		return -EINVAL;
	mutex_lock(&memtune.lock);
	WRITE_ONCE(memtune.floor_mode, mode);
	memtune_guard_settings_changed();
	mutex_unlock(&memtune.lock);
	return count;
}

static ssize_t floor_fixed_kb_show(struct kobject *kobj,
				   struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%llu\n", READ_ONCE(memtune.floor_fixed_kb));
}

static ssize_t floor_fixed_kb_store(struct kobject *kobj,
				    struct kobj_attribute *attr,
				    const char *buf, size_t count)
{
	u64 v;

	if (parse_ranged(buf, count, SIZE_KB_MIN, SIZE_KB_MAX, &v))
		return -EINVAL;
	mutex_lock(&memtune.lock);
	WRITE_ONCE(memtune.floor_fixed_kb, v);
	memtune_guard_settings_changed();
	mutex_unlock(&memtune.lock);
	return count;
}

static struct kobj_attribute enabled_attr = __ATTR_RW(enabled);
static struct kobj_attribute mode_attr = __ATTR_RW(mode);
static struct kobj_attribute settle_ms_attr = __ATTR_RW(settle_ms);
static struct kobj_attribute stall_ms_attr = __ATTR_RW(stall_ms);
static struct kobj_attribute target_kb_attr = __ATTR_RO(target_kb);
static struct kobj_attribute current_kb_attr = __ATTR_RO(current_kb);
static struct kobj_attribute boot_kb_attr = __ATTR_RO(boot_kb);
static struct kobj_attribute state_attr = __ATTR_RO(state);
static struct kobj_attribute resize_attr = __ATTR_WO(resize);
static struct kobj_attribute preview_kb_attr = __ATTR_RW(preview_kb);
static struct kobj_attribute preview_attr = __ATTR_RO(preview);
static struct kobj_attribute floor_kb_attr = __ATTR_RO(floor_kb);
static struct kobj_attribute floor_reason_attr = __ATTR_RO(floor_reason);
static struct kobj_attribute floor_mode_attr = __ATTR_RW(floor_mode);
static struct kobj_attribute floor_fixed_kb_attr = __ATTR_RW(floor_fixed_kb);

static struct attribute *memtune_attrs[] = {
	&enabled_attr.attr,
	&mode_attr.attr,
	&settle_ms_attr.attr,
	&stall_ms_attr.attr,
	&target_kb_attr.attr,
	&current_kb_attr.attr,
	&boot_kb_attr.attr,
	&state_attr.attr,
	&resize_attr.attr,
	&preview_kb_attr.attr,
	&preview_attr.attr,
	&floor_kb_attr.attr,
	&floor_reason_attr.attr,
	&floor_mode_attr.attr,
	&floor_fixed_kb_attr.attr,
	NULL,
};

static const struct attribute_group memtune_attr_group = {
	.attrs = memtune_attrs,
};

/* ---- stats/ ------------------------------------------------------------- */

#define STATS_COUNTER(field)						\
static ssize_t field##_show(struct kobject *kobj,			\
			    struct kobj_attribute *attr, char *buf)	\
{									\
	return sysfs_emit(buf, "%lld\n",				\
			  atomic64_read(&memtune.stats.field));		\
}									\
static struct kobj_attribute stats_##field##_attr = __ATTR_RO(field)

#define STATS_VALUE(field)						\
static ssize_t field##_show(struct kobject *kobj,			\
			    struct kobj_attribute *attr, char *buf)	\
{									\
	return sysfs_emit(buf, "%llu\n", READ_ONCE(memtune.stats.field)); \
}									\
static struct kobj_attribute stats_##field##_attr = __ATTR_RO(field)

#define STATS_GUARD(name, field)					\
static ssize_t name##_show(struct kobject *kobj,			\
			    struct kobj_attribute *attr, char *buf)	\
{									\
	struct memtune_guard_info info;					\
									\
	memtune_guard_get_info(&info);					\
	return sysfs_emit(buf, "%llu\n", info.field);			\
}									\
static struct kobj_attribute stats_##name##_attr = __ATTR_RO(name)

STATS_COUNTER(events);
STATS_COUNTER(coalesced);
STATS_COUNTER(rejected);
STATS_COUNTER(applies);
STATS_COUNTER(stalls);
STATS_COUNTER(errors);
STATS_VALUE(last_event_ns);
STATS_VALUE(last_settle_ns);
STATS_VALUE(last_apply_ns);
STATS_VALUE(settle_duration_ns);
STATS_VALUE(apply_duration_ns);
STATS_VALUE(event_to_apply_ns);
STATS_COUNTER(guard_raises);
STATS_COUNTER(guard_caps);
STATS_COUNTER(guard_restores);
STATS_VALUE(guard_released_kb);
STATS_VALUE(guard_reaction_ns);

STATS_GUARD(guard_refusals, refusals);
STATS_GUARD(guard_dip_kb, dip_kb);
STATS_GUARD(last_guard_ns, last_guard_ns);

static struct attribute *stats_attrs[] = {
	&stats_events_attr.attr,
	&stats_coalesced_attr.attr,
	&stats_rejected_attr.attr,
	&stats_applies_attr.attr,
	&stats_stalls_attr.attr,
	&stats_errors_attr.attr,
	&stats_last_event_ns_attr.attr,
	&stats_last_settle_ns_attr.attr,
	&stats_last_apply_ns_attr.attr,
	&stats_settle_duration_ns_attr.attr,
	&stats_apply_duration_ns_attr.attr,
	&stats_event_to_apply_ns_attr.attr,
	&stats_guard_raises_attr.attr,
	&stats_guard_caps_attr.attr,
	&stats_guard_restores_attr.attr,
	&stats_guard_released_kb_attr.attr,
	&stats_guard_reaction_ns_attr.attr,
	&stats_guard_refusals_attr.attr,
	&stats_guard_dip_kb_attr.attr,
	&stats_last_guard_ns_attr.attr,
	NULL,
};

static const struct attribute_group stats_attr_group = {
	.name = "stats",
	.attrs = stats_attrs,
};

/* ---- tunables/<name>/ and hashes/<name>/ -------------------------------- */

/* A directory for one tunable or one hash table; id indexes its table. */
struct memtune_child {
	struct kobject kobj;
	unsigned int id;
};

static unsigned int child_id(struct kobject *kobj)
{
	return container_of(kobj, struct memtune_child, kobj)->id;
}

static void child_release(struct kobject *kobj)
{
	kfree(container_of(kobj, struct memtune_child, kobj));
}

/* "a[ b c]\n" of the first nr values. */
static ssize_t emit_values(char *buf, const u64 *vals, unsigned int nr)
{
	char line[96];

	memtune_format_values(line, sizeof(line), vals, nr);
	return sysfs_emit(buf, "%s\n", line);
}

/*
 * Shows read the tunable without memtune.lock (memtune.h): a pass may hold
 * it while it writes sysctls, and a show must never wait for that.  No
 * show reads a file: value is what the last pass read or wrote.
 */
static void read_values(const u64 *src, u64 *vals, unsigned int nr)
{
	unsigned int i;

	for (i = 0; i < nr; i++)
		vals[i] = READ_ONCE(src[i]);
}

static ssize_t value_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	const struct memtune_tunable *t = &memtune.tunables[child_id(kobj)];
	u64 vals[MEMTUNE_MAX_VALUES];

	read_values(t->value, vals, t->nr_values);
	return emit_values(buf, vals, t->nr_values);
}

static ssize_t boot_value_show(struct kobject *kobj,
			       struct kobj_attribute *attr, char *buf)
{
	const struct memtune_tunable *t = &memtune.tunables[child_id(kobj)];
	u64 vals[MEMTUNE_MAX_VALUES];

	read_values(t->boot_value, vals, t->nr_values);
	return emit_values(buf, vals, t->nr_values);
}

/* The policy's last result, "-" when it has none for this kernel. */
static ssize_t computed_show(struct kobject *kobj, struct kobj_attribute *attr,
			     char *buf)
{
	const struct memtune_tunable *t = &memtune.tunables[child_id(kobj)];
	u64 vals[MEMTUNE_MAX_VALUES];

	if (!READ_ONCE(t->has_computed))
		return sysfs_emit(buf, "-\n");
	read_values(t->computed, vals, t->nr_values);
	return emit_values(buf, vals, t->nr_values);
}

static ssize_t owner_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	enum memtune_owner owner = READ_ONCE(memtune.tunables[child_id(kobj)].owner);

	return sysfs_emit(buf, "%s\n", memtune_owner_name(owner));
}

static ssize_t tunable_enabled_show(struct kobject *kobj,
				    struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%d\n",
			  READ_ONCE(memtune.tunables[child_id(kobj)].enabled));
}

/*
 * 0: the module leaves this value alone from now on (owner "off").  1: it
 * manages it again where it still holds the boot value or the module's
 * last write (owner.h), decided from what the last pass read, so owner
 * reads right as soon as the write returns; the pass it asks for checks
 * the kernel's value.
 */
static ssize_t tunable_enabled_store(struct kobject *kobj,
				     struct kobj_attribute *attr,
				     const char *buf, size_t count)
{
	u64 v;

	if (parse_ranged(buf, count, 0, 1, &v))
		return -EINVAL;
	mutex_lock(&memtune.lock);
	memtune_tunable_set_enabled(child_id(kobj), v);
	mutex_unlock(&memtune.lock);
	memtune_request_resize();
	return count;
}

static struct kobj_attribute value_attr = __ATTR_RO(value);
static struct kobj_attribute boot_value_attr = __ATTR_RO(boot_value);
static struct kobj_attribute computed_attr = __ATTR_RO(computed);
static struct kobj_attribute owner_attr = __ATTR_RO(owner);
static struct kobj_attribute tunable_enabled_attr =
	__ATTR(enabled, 0644, tunable_enabled_show, tunable_enabled_store);

static struct attribute *tunable_attrs[] = {
	&value_attr.attr,
	&boot_value_attr.attr,
	&computed_attr.attr,
	&owner_attr.attr,
	&tunable_enabled_attr.attr,
	NULL,
};
ATTRIBUTE_GROUPS(tunable);

static const struct kobj_type tunable_ktype = {
	.release = child_release,
	.sysfs_ops = &kobj_sysfs_ops,
	.default_groups = tunable_groups,
};

/*
 * Policy input for the hash sizes.  as_booted: present pages, as
 * mm/page_alloc.c counted nr_kernel_pages/nr_all_pages at boot (on PV they
 * include the ballooned extra memory up to maxmem).  Otherwise: the memory
 * the kernel manages now, as a kernel booted with exactly that would see.
 */
static void hash_input(struct memtune_policy_input *in, bool as_booted)
{
	int nid;
	enum zone_type z;

	memset(in, 0, sizeof(*in));
	in->totalram_pages = totalram_pages();
	in->page_shift = PAGE_SHIFT;
	in->hlist_head_size = sizeof(struct hlist_head);
	in->hlist_nulls_head_size = sizeof(struct hlist_nulls_head);
	for_each_online_node(nid) {
		pg_data_t *pgdat = NODE_DATA(nid);

		for (z = 0; z < MAX_NR_ZONES; z++) {
			struct zone *zone = &pgdat->node_zones[z];
			unsigned long pages;

			if (!populated_zone(zone))
				continue;
			pages = as_booted ? zone->present_pages :
					    zone_managed_pages(zone);
			in->nr_all_pages += pages;
			if (z <= gfp_zone(GFP_USER))
				in->nr_kernel_pages += pages;
		}
	}
}

/* Entries the table has: the kernel's own size where it is exported. */
static ssize_t entries_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	struct memtune_policy_input in;
	unsigned int id = child_id(kobj);

	switch (id) {
	case MEMTUNE_HASH_TCP_ESTABLISHED:
		return sysfs_emit(buf, "%u\n", tcp_hashinfo.ehash_mask + 1);
	case MEMTUNE_HASH_TCP_BIND:
		return sysfs_emit(buf, "%u\n", tcp_hashinfo.bhash_size);
	case MEMTUNE_HASH_UDP:
		return sysfs_emit(buf, "%u\n", udp_table.mask + 1);
	default:
		hash_input(&in, true);
		return sysfs_emit(buf, "%llu\n", memtune_boot_hash_entries(id, &in));
	}
}

static ssize_t computed_entries_show(struct kobject *kobj,
				     struct kobj_attribute *attr, char *buf)
{
	struct memtune_policy_input in;

	hash_input(&in, false);
	return sysfs_emit(buf, "%llu\n",
			  memtune_boot_hash_entries(child_id(kobj), &in));
}

static struct kobj_attribute entries_attr = __ATTR_RO(entries);
static struct kobj_attribute computed_entries_attr = __ATTR_RO(computed_entries);

static struct attribute *hash_attrs[] = {
	&entries_attr.attr,
	&computed_entries_attr.attr,
	NULL,
};
ATTRIBUTE_GROUPS(hash);

static const struct kobj_type hash_ktype = {
	.release = child_release,
	.sysfs_ops = &kobj_sysfs_ops,
	.default_groups = hash_groups,
};

/* ---- init/exit ---------------------------------------------------------- */

static struct kobject *memtune_parent;
static struct kobject *tunables_kobj;
static struct kobject *hashes_kobj;
static struct memtune_child *tunable_dirs[MEMTUNE_NR_TUNABLES];
static struct memtune_child *hash_dirs[MEMTUNE_NR_HASHES];

static struct memtune_child *add_child(struct kobject *parent,
				       const struct kobj_type *ktype,
				       unsigned int id, const char *name)
{
	struct memtune_child *child = kzalloc(sizeof(*child), GFP_KERNEL);

	if (!child)
		return NULL;
	child->id = id;
	if (kobject_init_and_add(&child->kobj, ktype, parent, "%s", name)) {
		kobject_put(&child->kobj);
		return NULL;
	}
	return child;
}

static void put_children(struct memtune_child **dirs, unsigned int nr)
{
	unsigned int i;

	for (i = 0; i < nr; i++) {
		if (dirs[i])
			kobject_put(&dirs[i]->kobj);
		dirs[i] = NULL;
	}
}

int memtune_sysfs_init(struct kobject *parent)
{
	unsigned int i;
	int err;

	err = sysfs_create_group(parent, &memtune_attr_group);
	if (err)
		return err;
	err = sysfs_create_group(parent, &stats_attr_group);
	if (err)
		goto err_attrs;
	memtune_parent = parent;

	err = -ENOMEM;
	tunables_kobj = kobject_create_and_add("tunables", parent);
	if (!tunables_kobj)
		goto err_stats;
	for (i = 0; i < MEMTUNE_NR_TUNABLES; i++) {
		tunable_dirs[i] = add_child(tunables_kobj, &tunable_ktype, i,
					    memtune_tunable_name(i));
		if (!tunable_dirs[i])
			goto err_tunables;
	}

	hashes_kobj = kobject_create_and_add("hashes", parent);
	if (!hashes_kobj)
		goto err_tunables;
	for (i = 0; i < MEMTUNE_NR_HASHES; i++) {
		hash_dirs[i] = add_child(hashes_kobj, &hash_ktype, i,
					 memtune_hashes[i].name);
		if (!hash_dirs[i])
			goto err_hashes;
	}
	return 0;

err_hashes:
	put_children(hash_dirs, MEMTUNE_NR_HASHES);
	kobject_put(hashes_kobj);
	hashes_kobj = NULL;
err_tunables:
	put_children(tunable_dirs, MEMTUNE_NR_TUNABLES);
	kobject_put(tunables_kobj);
	tunables_kobj = NULL;
err_stats:
	sysfs_remove_group(parent, &stats_attr_group);
err_attrs:
	sysfs_remove_group(parent, &memtune_attr_group);
	memtune_parent = NULL;
	pr_err("cannot create sysfs files: %d\n", err);
	return err;
}

void memtune_sysfs_exit(void)
{
	if (!memtune_parent)
		return;
	put_children(hash_dirs, MEMTUNE_NR_HASHES);
	kobject_put(hashes_kobj);
	hashes_kobj = NULL;
	put_children(tunable_dirs, MEMTUNE_NR_TUNABLES);
	kobject_put(tunables_kobj);
	tunables_kobj = NULL;
	sysfs_remove_group(memtune_parent, &stats_attr_group);
	sysfs_remove_group(memtune_parent, &memtune_attr_group);
	memtune_parent = NULL;
}
