// SPDX-License-Identifier: GPL-2.0
/*
 * xen_memtune_sysfs_test: the sysfs ABI of the live xen_memtune module, as
 * docs/ABI/testing/sysfs-kernel-xen_memtune documents it.
 *
 * Runs as root inside a Xen guest with the module loaded (the e2e rig).
 * Without the module every test fails: the subject is the live module.
 * Every test that changes a setting puts the old value back.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"

#define SYSFS_DIR	"/sys/kernel/xen_memtune"
#define BALLOON_DIR	"/sys/devices/system/xen_memory/xen_memory0"

/* sysfs hands a store at most one page; kernfs refuses longer writes. */
#define SYSFS_PAGE	4096

/* Every file of the top directory and of stats/, with its mode. */
static const struct {
	const char *path;
	mode_t mode;
} abi_files[] = {
	{ "enabled", 0644 },
	{ "mode", 0644 },
	{ "settle_ms", 0644 },
	{ "stall_ms", 0644 },
	{ "target_kb", 0444 },
	{ "current_kb", 0444 },
	{ "boot_kb", 0444 },
	{ "state", 0444 },
	{ "resize", 0200 },
	{ "preview_kb", 0644 },
	{ "preview", 0444 },
	{ "floor_kb", 0444 },
	{ "floor_reason", 0444 },
	{ "floor_mode", 0644 },
	{ "floor_fixed_kb", 0644 },
	{ "stats/events", 0444 },
	{ "stats/coalesced", 0444 },
	{ "stats/rejected", 0444 },
	{ "stats/applies", 0444 },
	{ "stats/stalls", 0444 },
	{ "stats/errors", 0444 },
	{ "stats/last_event_ns", 0444 },
	{ "stats/last_settle_ns", 0444 },
	{ "stats/last_apply_ns", 0444 },
	{ "stats/settle_duration_ns", 0444 },
	{ "stats/apply_duration_ns", 0444 },
	{ "stats/event_to_apply_ns", 0444 },
	{ "stats/guard_raises", 0444 },
	{ "stats/guard_caps", 0444 },
	{ "stats/guard_restores", 0444 },
	{ "stats/guard_refusals", 0444 },
	{ "stats/guard_released_kb", 0444 },
	{ "stats/guard_dip_kb", 0444 },
	{ "stats/guard_reaction_ns", 0444 },
	{ "stats/last_guard_ns", 0444 },
};

/* Files that hold one unsigned decimal number. */
static const char *const numeric_files[] = {
	"enabled", "settle_ms", "stall_ms", "target_kb", "current_kb",
	"boot_kb", "preview_kb", "floor_kb", "floor_fixed_kb",
	"stats/events", "stats/coalesced", "stats/rejected", "stats/applies",
	"stats/stalls", "stats/errors", "stats/last_event_ns",
	"stats/last_settle_ns",
	"stats/last_apply_ns", "stats/settle_duration_ns",
	"stats/apply_duration_ns", "stats/event_to_apply_ns",
	"stats/guard_raises", "stats/guard_caps", "stats/guard_restores",
	"stats/guard_refusals", "stats/guard_released_kb",
	"stats/guard_dip_kb", "stats/guard_reaction_ns",
	"stats/last_guard_ns",
};

/* Timestamps: ktime_get_ns(), so CLOCK_MONOTONIC in user space. */
static const char *const timestamp_files[] = {
	"stats/last_event_ns", "stats/last_settle_ns", "stats/last_apply_ns",
	"stats/last_guard_ns",
};

/* The tunable names of docs/ARCHITECTURE.md ("Tunable names"). */
static const struct {
	const char *name;
	unsigned int nr_values;
} contract_tunables[] = {
	{ "min_free_kbytes", 1 },
	{ "admin_reserve_kbytes", 1 },
	{ "user_reserve_kbytes", 1 },
	{ "threads_max", 1 },
	{ "file_max", 1 },
	{ "inotify_max_user_watches", 1 },
	{ "epoll_max_user_watches", 1 },
	{ "tcp_mem", 3 },
	{ "tcp_rmem_max", 1 },
	{ "tcp_wmem_max", 1 },
	{ "udp_mem", 3 },
	{ "tcp_max_orphans", 1 },
	{ "tcp_max_tw_buckets", 1 },
	{ "tcp_max_syn_backlog", 1 },
	{ "max_user_namespaces", 1 },
	{ "nf_conntrack_buckets", 1 },
	{ "nf_conntrack_max", 1 },
	{ "fanotify_max_user_marks", 1 },
	{ "inet_peer_threshold", 1 },
	{ "nf_conntrack_expect_max", 1 },
};

static const struct {
	const char *file;
	mode_t mode;
} tunable_files[] = {
	{ "value", 0444 },
	{ "boot_value", 0444 },
	{ "computed", 0444 },
	{ "owner", 0444 },
	{ "enabled", 0644 },
};

/*
 * Hostile inputs for every numeric knob.  Each must fail with EINVAL (or
 * E2BIG from kernfs past one page) and leave the file as it was.
 */
struct junk {
	const char *what;
	const char *buf;
	size_t len;		/* 0: strlen(buf) */
};

static const struct junk numeric_junk[] = {
	{ "newline only", "\n", 0 },
	{ "space", " ", 0 },
	{ "leading space", " 100", 0 },
	{ "trailing space", "100 ", 0 },
	{ "tab", "100\t", 0 },
	{ "two newlines", "100\n\n", 0 },
	{ "plus sign", "+100", 0 },
	{ "minus sign", "-1", 0 },
	{ "minus zero", "-0", 0 },
	{ "hex", "0x64", 0 },
	{ "octal-looking prefix", "0o7", 0 },
	{ "exponent", "1e6", 0 },
	{ "suffix", "100abc", 0 },
	{ "unit suffix", "100K", 0 },
	{ "non-numeric", "abc", 0 },
	{ "decimal point", "1.5", 0 },
	{ "embedded NUL", "10\0" "0", 4 },
	{ "trailing NUL", "100\0", 4 },
	{ "u64 max + 1", "18446744073709551616", 0 },
	{ "huge", "99999999999999999999999999999999", 0 },
};

static const char *const word_junk[] = {
	"\n", " ", "apply ", " apply", "APPLY", "applyx", "dry_run", "Auto",
	"auto\n\n", "0", "1", "-1", "fixed off", "off\t",
};

static char path_buf[PATH_MAX];

static const char *at(const char *rel)
{
	snprintf(path_buf, sizeof(path_buf), SYSFS_DIR "/%s", rel);
	return path_buf;
}

/* Whole file into buf (NUL-terminated); bytes read or -errno. */
static int read_path(const char *path, char *buf, size_t size)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	if (n < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	buf[n] = '\0';
	close(fd);
	return n;
}

/* One write(2) of exactly len bytes; 0 or -errno. */
static int write_path(const char *path, const char *buf, size_t len)
{
	ssize_t n;
	int fd, err = 0;

	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	n = write(fd, buf, len);
	if (n < 0)
		err = -errno;
	else if ((size_t)n != len)
		err = -EIO;
	close(fd);
	return err;
}

static int write_str(const char *path, const char *s)
{
	return write_path(path, s, strlen(s));
}

/* "123\n" and nothing else; 0 or -EINVAL/-errno. */
static int parse_u64_line(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return -EINVAL;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10)
			return -ERANGE;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (p[0] != '\n' || p[1] != '\0')
		return -EINVAL;
	*out = v;
	return 0;
}

static int read_u64(const char *path, uint64_t *out)
{
	char buf[64];
	int n = read_path(path, buf, sizeof(buf));

	if (n < 0)
		return n;
	return parse_u64_line(buf, out);
}

static int read_word(const char *path, char *buf, size_t size)
{
	int n = read_path(path, buf, size);

	if (n <= 0 || buf[n - 1] != '\n')
		return n < 0 ? n : -EINVAL;
	buf[n - 1] = '\0';
	return 0;
}

static bool word_in(const char *w, const char *const *set, size_t nr)
{
	for (size_t i = 0; i < nr; i++)
		if (!strcmp(w, set[i]))
			return true;
	return false;
}

/* Space-separated decimal values ending in one newline; count or -EINVAL. */
static int parse_values(const char *s, uint64_t *vals, int max)
{
	int n = 0;

	for (;;) {
		uint64_t v = 0;

		if (*s < '0' || *s > '9' || n == max)
			return -EINVAL;
		for (; *s >= '0' && *s <= '9'; s++)
			v = v * 10 + (uint64_t)(*s - '0');
		vals[n++] = v;
		if (*s == ' ') {
			s++;
			continue;
		}
		return (s[0] == '\n' && s[1] == '\0') ? n : -EINVAL;
	}
}

/* "name v1[ v2 v3]" line of preview for name; count of values, 0 for "-", or -ENOENT. */
static int preview_lookup(const char *preview, const char *name,
			  uint64_t *vals, int max)
{
	size_t len = strlen(name);
	const char *line = preview;

	while (line && *line) {
		const char *end = strchr(line, '\n');

		if (!strncmp(line, name, len) && line[len] == ' ') {
			char tmp[256];
			size_t l = end ? (size_t)(end - line - len - 1) + 1 :
					 strlen(line + len + 1);

			if (l >= sizeof(tmp) - 1)
				return -EINVAL;
			memcpy(tmp, line + len + 1, l);
			tmp[l] = '\0';
			if (!end)
				return -EINVAL;
			/* "-": the policy has no value for it on this kernel */
			if (!strcmp(tmp, "-\n"))
				return 0;
			return parse_values(tmp, vals, max);
		}
		line = end ? end + 1 : NULL;
	}
	return -ENOENT;
}

static uint64_t now_monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The writable files of the top directory, read as they are before a test. */
struct saved_settings {
	char enabled[32], mode[32], settle_ms[32], stall_ms[32];
	char preview_kb[32], floor_mode[32], floor_fixed_kb[32];
};

static const struct {
	const char *file;
	size_t offset;
} saved_fields[] = {
	{ "enabled", offsetof(struct saved_settings, enabled) },
	{ "mode", offsetof(struct saved_settings, mode) },
	{ "settle_ms", offsetof(struct saved_settings, settle_ms) },
	{ "stall_ms", offsetof(struct saved_settings, stall_ms) },
	{ "floor_fixed_kb", offsetof(struct saved_settings, floor_fixed_kb) },
	{ "floor_mode", offsetof(struct saved_settings, floor_mode) },
	{ "preview_kb", offsetof(struct saved_settings, preview_kb) },
};

static int save_settings(struct saved_settings *s)
{
	for (size_t i = 0; i < ARRAY_SIZE(saved_fields); i++) {
		char *dst = (char *)s + saved_fields[i].offset;
		int n = read_path(at(saved_fields[i].file), dst, 32);

		if (n <= 0)
			return n < 0 ? n : -EINVAL;
	}
	return 0;
}

/*
 * preview_kb and floor_fixed_kb read 0 until a size is written, and 0 is not
 * writable: leave those as the test left them.
 */
static int restore_settings(const struct saved_settings *s)
{
	int err = 0;

	for (size_t i = 0; i < ARRAY_SIZE(saved_fields); i++) {
		const char *src = (const char *)s + saved_fields[i].offset;

		if ((!strcmp(saved_fields[i].file, "preview_kb") ||
		     !strcmp(saved_fields[i].file, "floor_fixed_kb")) &&
		    !strcmp(src, "0\n"))
			continue;
		if (write_str(at(saved_fields[i].file), src))
			err = -EIO;
	}
	return err;
}

FIXTURE(xm) {
	struct saved_settings saved;
};

FIXTURE_SETUP(xm)
{
	struct stat st;

	ASSERT_EQ(0, stat(SYSFS_DIR, &st))
		TH_LOG("%s missing: is xen_memtune loaded?", SYSFS_DIR);
	ASSERT_EQ(0u, geteuid()) TH_LOG("run as root");
	ASSERT_EQ(0, save_settings(&self->saved));
}

FIXTURE_TEARDOWN(xm)
{
	EXPECT_EQ(0, restore_settings(&self->saved));
}

TEST_F(xm, files_exist_with_modes)
{
	struct stat st;

	for (size_t i = 0; i < ARRAY_SIZE(abi_files); i++) {
		ASSERT_EQ(0, stat(at(abi_files[i].path), &st))
			TH_LOG("%s: %s", abi_files[i].path, strerror(errno));
		EXPECT_TRUE(S_ISREG(st.st_mode));
		EXPECT_EQ(abi_files[i].mode, st.st_mode & 07777)
			TH_LOG("%s: mode %o", abi_files[i].path,
			       st.st_mode & 07777);
		EXPECT_EQ(0u, st.st_uid) TH_LOG("%s", abi_files[i].path);
	}
	EXPECT_EQ(0, stat(at("tunables"), &st));
	EXPECT_TRUE(S_ISDIR(st.st_mode));
	EXPECT_EQ(0, stat(at("hashes"), &st));
	EXPECT_TRUE(S_ISDIR(st.st_mode));
}

TEST_F(xm, numeric_reads_parse)
{
	for (size_t i = 0; i < ARRAY_SIZE(numeric_files); i++) {
		uint64_t v;

		EXPECT_EQ(0, read_u64(at(numeric_files[i]), &v))
			TH_LOG("%s does not read as one number",
			       numeric_files[i]);
	}
}

TEST_F(xm, word_reads_parse)
{
	static const char *const modes[] = { "apply", "dry-run", "notify" };
	static const char *const floor_modes[] = { "auto", "fixed", "off" };
	static const char *const states[] = {
		"idle", "settling", "applying", "disabled", "stalled",
	};
	static const char *const floor_reasons[] = {
		"unmanaged", "unevictable", "kernel-stack", "slab",
		"page-tables", "min-free", "anon-no-swap", "margin",
		"fixed", "off",
	};
	char w[64];

	ASSERT_EQ(0, read_word(at("mode"), w, sizeof(w)));
	EXPECT_TRUE(word_in(w, modes, ARRAY_SIZE(modes))) TH_LOG("mode %s", w);
	ASSERT_EQ(0, read_word(at("floor_mode"), w, sizeof(w)));
	EXPECT_TRUE(word_in(w, floor_modes, ARRAY_SIZE(floor_modes)))
		TH_LOG("floor_mode %s", w);
	ASSERT_EQ(0, read_word(at("state"), w, sizeof(w)));
	EXPECT_TRUE(word_in(w, states, ARRAY_SIZE(states))) TH_LOG("state %s", w);
	ASSERT_EQ(0, read_word(at("floor_reason"), w, sizeof(w)));
	EXPECT_TRUE(word_in(w, floor_reasons, ARRAY_SIZE(floor_reasons)))
		TH_LOG("floor_reason %s", w);
}

TEST_F(xm, timestamps_are_monotonic_ns)
{
	uint64_t now = now_monotonic_ns();

	for (size_t i = 0; i < ARRAY_SIZE(timestamp_files); i++) {
		uint64_t t;

		ASSERT_EQ(0, read_u64(at(timestamp_files[i]), &t));
		EXPECT_LE(t, now) TH_LOG("%s = %llu is in the future",
					 timestamp_files[i],
					 (unsigned long long)t);
	}
}

/* target_kb and current_kb are the balloon driver's own numbers. */
TEST_F(xm, balloon_view_matches_xen_memory)
{
	uint64_t ours, theirs, boot;
	int tries;

	for (tries = 0; tries < 5; tries++) {
		ASSERT_EQ(0, read_u64(BALLOON_DIR "/target_kb", &theirs));
		ASSERT_EQ(0, read_u64(at("target_kb"), &ours));
		if (ours == theirs)
			break;
		usleep(200000);
	}
	EXPECT_EQ(theirs, ours);
	for (tries = 0; tries < 25; tries++) {
		ASSERT_EQ(0, read_u64(BALLOON_DIR "/info/current_kb", &theirs));
		ASSERT_EQ(0, read_u64(at("current_kb"), &ours));
		if (ours == theirs)
			break;
		usleep(200000);
	}
	EXPECT_EQ(theirs, ours);
	ASSERT_EQ(0, read_u64(at("boot_kb"), &boot));
	EXPECT_GT(boot, 0u);
}

/* Writes are for root only: nobody else may even open a knob for writing. */
TEST_F(xm, writes_are_root_only)
{
	static const char *const knobs[] = {
		"enabled", "mode", "settle_ms", "stall_ms", "resize",
		"preview_kb", "floor_mode", "floor_fixed_kb",
		"tunables/threads_max/enabled",
	};
	pid_t pid;
	int status;

	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		int bad = 0;

		if (setgid(65534) || setuid(65534))
			_exit(100);
		for (size_t i = 0; i < ARRAY_SIZE(knobs); i++) {
			int fd = open(at(knobs[i]), O_WRONLY);

			if (fd >= 0 || errno != EACCES) {
				fprintf(stderr, "# nobody opened %s for writing\n",
					knobs[i]);
				bad++;
			}
			if (fd >= 0)
				close(fd);
		}
		_exit(bad);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

/* Read-only files refuse a write even from root. */
TEST_F(xm, read_only_files_refuse_root)
{
	for (size_t i = 0; i < ARRAY_SIZE(abi_files); i++) {
		if (abi_files[i].mode & 0200)
			continue;
		EXPECT_EQ(-EACCES, write_str(at(abi_files[i].path), "1\n"))
			TH_LOG("%s", abi_files[i].path);
	}
}

static void check_junk_numeric(struct __test_metadata *_metadata,
			       const char *file)
{
	char before[128], after[128];

	ASSERT_GE(read_path(at(file), before, sizeof(before)), 0);
	for (size_t i = 0; i < ARRAY_SIZE(numeric_junk); i++) {
		const struct junk *j = &numeric_junk[i];
		size_t len = j->len ? j->len : strlen(j->buf);

		EXPECT_EQ(-EINVAL, write_path(at(file), j->buf, len))
			TH_LOG("%s: %s accepted", file, j->what);
		ASSERT_GE(read_path(at(file), after, sizeof(after)), 0);
		EXPECT_STREQ(before, after) TH_LOG("%s: %s changed it", file,
						    j->what);
	}
}

static const char *const numeric_knobs[] = {
	"enabled", "settle_ms", "stall_ms", "preview_kb", "floor_fixed_kb",
	"tunables/threads_max/enabled", "tunables/tcp_mem/enabled",
};

TEST_F(xm, junk_writes_give_einval_and_change_nothing)
{
	for (size_t i = 0; i < ARRAY_SIZE(numeric_knobs); i++)
		check_junk_numeric(_metadata, numeric_knobs[i]);
}

/* resize accepts "1" and nothing else. */
TEST_F(xm, resize_refuses_junk)
{
	static const char *const bad[] = { "0\n", "2\n", "11", "+1", " 1",
					   "1 ", "yes", "\n", "-1" };

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(-EINVAL, write_str(at("resize"), bad[i]))
			TH_LOG("resize accepted \"%s\"", bad[i]);
	}
	EXPECT_EQ(-EINVAL, write_path(at("resize"), "1\0", 2));
}

/* An empty write never reaches the store: it must change nothing either. */
TEST_F(xm, empty_write_changes_nothing)
{
	char before[64], after[64];

	for (size_t i = 0; i < ARRAY_SIZE(numeric_knobs); i++) {
		ASSERT_GE(read_path(at(numeric_knobs[i]), before,
				    sizeof(before)), 0);
		EXPECT_EQ(0, write_path(at(numeric_knobs[i]), "", 0));
		ASSERT_GE(read_path(at(numeric_knobs[i]), after,
				    sizeof(after)), 0);
		EXPECT_STREQ(before, after);
	}
}

TEST_F(xm, too_long_writes_refused)
{
	static char digits[SYSFS_PAGE + 100];
	char before[64], after[64];
	static const size_t lengths[] = { 21, 100, SYSFS_PAGE - 1, SYSFS_PAGE + 50 };

	memset(digits, '7', sizeof(digits));
	ASSERT_GE(read_path(at("settle_ms"), before, sizeof(before)), 0);
	for (size_t i = 0; i < ARRAY_SIZE(lengths); i++) {
		int err = write_path(at("settle_ms"), digits, lengths[i]);

		EXPECT_TRUE(err == -EINVAL || err == -E2BIG)
			TH_LOG("%zu digits: %d", lengths[i], err);
		err = write_path(at("floor_mode"), digits, lengths[i]);
		EXPECT_TRUE(err == -EINVAL || err == -E2BIG)
			TH_LOG("floor_mode, %zu bytes: %d", lengths[i], err);
	}
	ASSERT_GE(read_path(at("settle_ms"), after, sizeof(after)), 0);
	EXPECT_STREQ(before, after);
}

TEST_F(xm, word_knobs_refuse_junk)
{
	static const char *const files[] = { "mode", "floor_mode" };
	char before[64], after[64];

	for (size_t f = 0; f < ARRAY_SIZE(files); f++) {
		ASSERT_GE(read_path(at(files[f]), before, sizeof(before)), 0);
		for (size_t i = 0; i < ARRAY_SIZE(word_junk); i++) {
			EXPECT_EQ(-EINVAL, write_str(at(files[f]), word_junk[i]))
				TH_LOG("%s accepted \"%s\"", files[f],
				       word_junk[i]);
			ASSERT_GE(read_path(at(files[f]), after,
					    sizeof(after)), 0);
			EXPECT_STREQ(before, after);
		}
		EXPECT_EQ(-EINVAL, write_path(at(files[f]), "off\0", 4));
	}
}

/* Valid values take effect, with or without echo's newline. */
TEST_F(xm, valid_numeric_writes_take_effect)
{
	static const char *const files[] = { "settle_ms", "stall_ms" };

	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		uint64_t old, v;
		char buf[32];

		ASSERT_EQ(0, read_u64(at(files[i]), &old));
		snprintf(buf, sizeof(buf), "%llu", (unsigned long long)old + 7);
		ASSERT_EQ(0, write_str(at(files[i]), buf)) TH_LOG("%s", files[i]);
		ASSERT_EQ(0, read_u64(at(files[i]), &v));
		EXPECT_EQ(old + 7, v);
		snprintf(buf, sizeof(buf), "%llu\n", (unsigned long long)old);
		ASSERT_EQ(0, write_str(at(files[i]), buf));
		ASSERT_EQ(0, read_u64(at(files[i]), &v));
		EXPECT_EQ(old, v);
	}
}

TEST_F(xm, settle_and_stall_ranges)
{
	EXPECT_EQ(-EINVAL, write_str(at("settle_ms"), "0\n"));
	EXPECT_EQ(-EINVAL, write_str(at("stall_ms"), "0\n"));
	EXPECT_EQ(-EINVAL, write_str(at("settle_ms"), "4294967296\n"));
	EXPECT_EQ(-EINVAL, write_str(at("stall_ms"), "4294967296\n"));
}

TEST_F(xm, mode_switching)
{
	static const char *const modes[] = { "dry-run", "notify", "apply" };
	char w[32];

	for (size_t i = 0; i < ARRAY_SIZE(modes); i++) {
		char buf[32];

		snprintf(buf, sizeof(buf), "%s\n", modes[i]);
		ASSERT_EQ(0, write_str(at("mode"), buf));
		ASSERT_EQ(0, read_word(at("mode"), w, sizeof(w)));
		EXPECT_STREQ(modes[i], w);
	}
}

TEST_F(xm, enabled_switching)
{
	uint64_t v;
	char w[32];

	ASSERT_EQ(0, write_str(at("enabled"), "0\n"));
	ASSERT_EQ(0, read_u64(at("enabled"), &v));
	EXPECT_EQ(0u, v);
	ASSERT_EQ(0, read_word(at("state"), w, sizeof(w)));
	EXPECT_STREQ("disabled", w);
	ASSERT_EQ(0, write_str(at("enabled"), "1"));
	ASSERT_EQ(0, read_u64(at("enabled"), &v));
	EXPECT_EQ(1u, v);
	EXPECT_EQ(-EINVAL, write_str(at("enabled"), "2\n"));
}

TEST_F(xm, floor_mode_switching)
{
	uint64_t floor, cur;
	char w[32];

	ASSERT_EQ(0, read_u64(at("current_kb"), &cur));

	/* A fixed floor well below the guest's memory: nothing moves. */
	ASSERT_EQ(0, write_str(at("floor_fixed_kb"), "65536\n"));
	ASSERT_EQ(0, write_str(at("floor_mode"), "fixed\n"));
	ASSERT_EQ(0, read_word(at("floor_mode"), w, sizeof(w)));
	EXPECT_STREQ("fixed", w);
	ASSERT_EQ(0, read_u64(at("floor_kb"), &floor));
	EXPECT_EQ(65536u, floor);

	/* Changing the fixed value while fixed moves the floor at once. */
	ASSERT_EQ(0, write_str(at("floor_fixed_kb"), "98304"));
	ASSERT_EQ(0, read_u64(at("floor_kb"), &floor));
	EXPECT_EQ(98304u, floor);

	ASSERT_EQ(0, write_str(at("floor_mode"), "off"));
	ASSERT_EQ(0, read_word(at("floor_mode"), w, sizeof(w)));
	EXPECT_STREQ("off", w);
	ASSERT_EQ(0, read_u64(at("floor_kb"), &floor));
	EXPECT_EQ(0u, floor);

	/* auto: something positive the guest can live at, below its memory. */
	ASSERT_EQ(0, write_str(at("floor_mode"), "auto\n"));
	ASSERT_EQ(0, read_word(at("floor_mode"), w, sizeof(w)));
	EXPECT_STREQ("auto", w);
	ASSERT_EQ(0, read_u64(at("floor_kb"), &floor));
	EXPECT_GT(floor, 0u);
	EXPECT_LT(floor, cur);
}

TEST_F(xm, floor_fixed_kb_ranges)
{
	/* Zero is no floor at all: that is floor_mode=off, not a size. */
	EXPECT_EQ(-EINVAL, write_str(at("floor_fixed_kb"), "0\n"));
	EXPECT_EQ(-EINVAL, write_str(at("floor_fixed_kb"),
				     "18446744073709551615\n"));
}

TEST_F(xm, preview_shows_values_for_written_size)
{
	static const char *const always_computed[] = {
		"min_free_kbytes", "admin_reserve_kbytes",
		"user_reserve_kbytes", "threads_max", "tcp_mem", "udp_mem",
		"max_user_namespaces",
	};
	static char preview[SYSFS_PAGE + 1];
	uint64_t v, one[3], two[3];
	int n;

	ASSERT_EQ(0, write_str(at("preview_kb"), "1048576\n"));
	ASSERT_EQ(0, read_u64(at("preview_kb"), &v));
	EXPECT_EQ(1048576u, v);
	ASSERT_GT(read_path(at("preview"), preview, sizeof(preview)), 0);
	for (size_t i = 0; i < ARRAY_SIZE(contract_tunables); i++) {
		n = preview_lookup(preview, contract_tunables[i].name, one, 3);
		EXPECT_TRUE(n == (int)contract_tunables[i].nr_values || n == 0)
			TH_LOG("preview line for %s: %d",
			       contract_tunables[i].name, n);
	}
	/* Pure functions of memory: always computed. */
	for (size_t i = 0; i < ARRAY_SIZE(always_computed); i++) {
		n = preview_lookup(preview, always_computed[i], one, 3);
		EXPECT_GT(n, 0) TH_LOG("%s has no preview value",
				       always_computed[i]);
		EXPECT_GT(one[0], 0u) TH_LOG("%s", always_computed[i]);
	}
	ASSERT_EQ(1, preview_lookup(preview, "threads_max", one, 3));
	ASSERT_EQ(3, preview_lookup(preview, "tcp_mem", one, 3));
	EXPECT_LT(one[0], one[1]);
	EXPECT_LT(one[1], one[2]);

	/*
	 * kernel/fork.c:set_max_threads(): threads-max is totalram / 128 KiB,
	 * so twice the memory gives (within rounding) twice the threads.
	 */
	ASSERT_EQ(1, preview_lookup(preview, "threads_max", one, 3));
	ASSERT_EQ(0, write_str(at("preview_kb"), "2097152"));
	ASSERT_GT(read_path(at("preview"), preview, sizeof(preview)), 0);
	ASSERT_EQ(1, preview_lookup(preview, "threads_max", two, 3));
	EXPECT_GE(two[0] * 100, one[0] * 195);
	EXPECT_LE(two[0] * 100, one[0] * 205);
	/* tcp_mem follows nr_free_buffer_pages(): it grows too. */
	ASSERT_EQ(3, preview_lookup(preview, "tcp_mem", two, 3));
	preview_lookup(preview, "tcp_mem", two, 3);
	EXPECT_GT(two[2], one[2]);

	EXPECT_EQ(-EINVAL, write_str(at("preview_kb"), "0\n"));
	ASSERT_EQ(0, read_u64(at("preview_kb"), &v));
	EXPECT_EQ(2097152u, v);
}

TEST_F(xm, tunables_have_their_files)
{
	static const char *const owners[] = { "module", "admin", "off", "unknown" };

	for (size_t i = 0; i < ARRAY_SIZE(contract_tunables); i++) {
		const char *name = contract_tunables[i].name;

		for (size_t f = 0; f < ARRAY_SIZE(tunable_files); f++) {
			char rel[128];
			struct stat st;

			snprintf(rel, sizeof(rel), "tunables/%s/%s", name,
				 tunable_files[f].file);
			ASSERT_EQ(0, stat(at(rel), &st)) TH_LOG("%s", rel);
			EXPECT_EQ(tunable_files[f].mode, st.st_mode & 07777)
				TH_LOG("%s", rel);
		}
		for (size_t f = 0; f < 3; f++) {
			static char buf[256];
			char rel[128];
			uint64_t vals[3];
			int n;

			snprintf(rel, sizeof(rel), "tunables/%s/%s", name,
				 tunable_files[f].file);
			ASSERT_GT(read_path(at(rel), buf, sizeof(buf)), 0);
			/* computed: "-" when the policy has no value for it */
			if (f == 2 && !strcmp(buf, "-\n"))
				continue;
			n = parse_values(buf, vals, 3);
			EXPECT_EQ((int)contract_tunables[i].nr_values, n)
				TH_LOG("%s reads \"%s\"", rel, buf);
		}
		{
			char rel[128], w[32];
			uint64_t en;

			snprintf(rel, sizeof(rel), "tunables/%s/owner", name);
			ASSERT_EQ(0, read_word(at(rel), w, sizeof(w)));
			EXPECT_TRUE(word_in(w, owners, ARRAY_SIZE(owners)))
				TH_LOG("%s = %s", rel, w);
			snprintf(rel, sizeof(rel), "tunables/%s/enabled", name);
			ASSERT_EQ(0, read_u64(at(rel), &en));
			EXPECT_LE(en, 1u);
		}
	}
}

/* A tunable shows what the kernel's sysctl file says (nobody changed it since the last pass). */
TEST_F(xm, tunable_value_matches_sysctl)
{
	static const struct {
		const char *name, *sysctl;
	} pairs[] = {
		{ "min_free_kbytes", "/proc/sys/vm/min_free_kbytes" },
		{ "threads_max", "/proc/sys/kernel/threads-max" },
		{ "tcp_mem", "/proc/sys/net/ipv4/tcp_mem" },
		{ "udp_mem", "/proc/sys/net/ipv4/udp_mem" },
		{ "epoll_max_user_watches", "/proc/sys/fs/epoll/max_user_watches" },
		{ "max_user_namespaces", "/proc/sys/user/max_user_namespaces" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(pairs); i++) {
		char rel[128], ours[256], theirs[256];
		uint64_t a[3], b[3];
		int na, nb;

		/* sysctl prints tcp_mem tab-separated; compare numbers. */
		ASSERT_GT(read_path(pairs[i].sysctl, theirs, sizeof(theirs)), 0);
		for (char *p = theirs; *p; p++)
			if (*p == '\t')
				*p = ' ';
		snprintf(rel, sizeof(rel), "tunables/%s/value", pairs[i].name);
		ASSERT_GT(read_path(at(rel), ours, sizeof(ours)), 0);
		na = parse_values(ours, a, 3);
		nb = parse_values(theirs, b, 3);
		ASSERT_GT(na, 0) TH_LOG("%s: \"%s\"", rel, ours);
		ASSERT_EQ(nb, na) TH_LOG("%s", pairs[i].name);
		for (int k = 0; k < na; k++) {
			EXPECT_EQ(b[k], a[k]) TH_LOG("%s[%d]", pairs[i].name, k);
		}
	}
}

TEST_F(xm, tunable_enabled_switching)
{
	char w[32];
	uint64_t en;

	ASSERT_EQ(0, write_str(at("tunables/threads_max/enabled"), "0\n"));
	ASSERT_EQ(0, read_u64(at("tunables/threads_max/enabled"), &en));
	EXPECT_EQ(0u, en);
	ASSERT_EQ(0, read_word(at("tunables/threads_max/owner"), w, sizeof(w)));
	EXPECT_STREQ("off", w);
	ASSERT_EQ(0, write_str(at("tunables/threads_max/enabled"), "1\n"));
	ASSERT_EQ(0, read_u64(at("tunables/threads_max/enabled"), &en));
	EXPECT_EQ(1u, en);
	ASSERT_EQ(0, read_word(at("tunables/threads_max/owner"), w, sizeof(w)));
	EXPECT_STRNE("off", w);
}

/* Each boot-only hash table: the size now and what a boot here would pick. */
TEST_F(xm, hashes_report_two_sizes)
{
	static const char *const names[] = {
		"dentry", "inode", "mount", "mountpoint", "tcp_established",
		"tcp_bind", "udp", "ip_idents",
	};

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		char rel[128];
		uint64_t now, at_size;

		snprintf(rel, sizeof(rel), "hashes/%s/entries", names[i]);
		ASSERT_EQ(0, read_u64(at(rel), &now)) TH_LOG("%s", rel);
		EXPECT_GT(now, 0u);
		snprintf(rel, sizeof(rel), "hashes/%s/computed_entries", names[i]);
		ASSERT_EQ(0, read_u64(at(rel), &at_size)) TH_LOG("%s", rel);
		EXPECT_GT(at_size, 0u);
		/* alloc_large_system_hash() sizes are powers of two. */
		EXPECT_EQ(0u, now & (now - 1));
		EXPECT_EQ(0u, at_size & (at_size - 1));
	}
}

/*
 * The guard, through the balloon's own sysfs (no xenstore event): a target
 * written below a fixed floor comes back to the floor, and guard_raises
 * counts it.  The balloon target is put back afterwards.
 */
TEST_F(xm, guard_raises_a_target_below_the_floor)
{
	uint64_t target, floor, raises0, raises, now_kb = 0, low;
	char buf[32];
	int waited_ms = 0;

	ASSERT_EQ(0, read_u64(BALLOON_DIR "/target_kb", &target));
	ASSERT_GT(target, 3 * 32768u);
	ASSERT_EQ(0, read_u64(at("stats/guard_raises"), &raises0));

	floor = target - 32768;
	snprintf(buf, sizeof(buf), "%llu\n", (unsigned long long)floor);
	ASSERT_EQ(0, write_str(at("floor_fixed_kb"), buf));
	ASSERT_EQ(0, write_str(at("floor_mode"), "fixed\n"));
	ASSERT_EQ(0, read_u64(at("floor_kb"), &now_kb));
	EXPECT_EQ(floor, now_kb);
	/* A floor below the target leaves the target alone. */
	ASSERT_EQ(0, read_u64(BALLOON_DIR "/target_kb", &now_kb));
	EXPECT_EQ(target, now_kb);

	low = floor - 32768;
	snprintf(buf, sizeof(buf), "%llu\n", (unsigned long long)low);
	ASSERT_EQ(0, write_str(BALLOON_DIR "/target_kb", buf));
	do {
		usleep(50000);
		waited_ms += 50;
		ASSERT_EQ(0, read_u64(BALLOON_DIR "/target_kb", &now_kb));
	} while (now_kb != floor && waited_ms < 5000);
	EXPECT_EQ(floor, now_kb) TH_LOG("target %llu kB after %d ms",
					 (unsigned long long)now_kb, waited_ms);
	ASSERT_EQ(0, read_u64(at("stats/guard_raises"), &raises));
	EXPECT_GT(raises, raises0);
	TH_LOG("balloon target written %llu kB, held at the floor %llu kB after %d ms",
	       (unsigned long long)low, (unsigned long long)floor, waited_ms);

	snprintf(buf, sizeof(buf), "%llu\n", (unsigned long long)target);
	ASSERT_EQ(0, write_str(BALLOON_DIR "/target_kb", buf));
	ASSERT_EQ(0, read_u64(BALLOON_DIR "/target_kb", &now_kb));
	EXPECT_EQ(target, now_kb);
}

/* resize runs a pass: stats/applies moves within stall_ms plus a margin. */
TEST_F(xm, resize_runs_a_pass)
{
	uint64_t before, after, stall;
	int waited_ms = 0;

	ASSERT_EQ(0, write_str(at("enabled"), "1\n"));
	ASSERT_EQ(0, write_str(at("mode"), "dry-run\n"));
	ASSERT_EQ(0, read_u64(at("stall_ms"), &stall));
	ASSERT_EQ(0, read_u64(at("stats/applies"), &before));
	ASSERT_EQ(0, write_str(at("resize"), "1\n"));
	do {
		usleep(100000);
		waited_ms += 100;
		ASSERT_EQ(0, read_u64(at("stats/applies"), &after));
	} while (after == before && (uint64_t)waited_ms < stall + 20000);
	EXPECT_GT(after, before) TH_LOG("no pass after %d ms", waited_ms);
}

/*
 * Reading a tunable reads no file in the reader's mount namespace: with a
 * FIFO bound over /proc/sys/vm/min_free_kbytes in a private mount
 * namespace, every tunables/<name>/value and preview still answer at once,
 * and a pass asked for from there completes.  Before the fix, the first
 * read blocked in open() of the FIFO holding the module's mutex.
 */
TEST_F(xm, reads_ignore_the_readers_mount_namespace)
{
	static const char fifo[] = "/tmp/xen_memtune_test.fifo";
	static const char target[] = "/proc/sys/vm/min_free_kbytes";
	int status;
	pid_t pid;

	ASSERT_EQ(0, write_str(at("enabled"), "1\n"));
	ASSERT_EQ(0, write_str(at("preview_kb"), "1048576\n"));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		char rel[128], buf[4096];
		uint64_t before, after;
		struct stat st;
		int waited_ms = 0;

		/* A stuck read ends the child with SIGALRM: a failure. */
		alarm(25);
		if (unshare(CLONE_NEWNS) ||
		    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
			_exit(10);
		unlink(fifo);
		if (mkfifo(fifo, 0600) || mount(fifo, target, NULL, MS_BIND, NULL))
			_exit(11);
		if (stat(target, &st) || !S_ISFIFO(st.st_mode))
			_exit(12);
		for (size_t i = 0; i < ARRAY_SIZE(contract_tunables); i++) {
			snprintf(rel, sizeof(rel), "tunables/%s/value",
				 contract_tunables[i].name);
			if (read_path(at(rel), buf, sizeof(buf)) <= 0)
				_exit(13);
		}
		if (read_path(at("preview"), buf, sizeof(buf)) <= 0)
			_exit(14);
		if (read_u64(at("stats/applies"), &before) ||
		    write_str(at("resize"), "1\n"))
			_exit(15);
		do {
			usleep(100000);
			waited_ms += 100;
			if (read_u64(at("stats/applies"), &after))
				_exit(16);
		} while (after == before && waited_ms < 20000);
		_exit(after > before ? 0 : 17);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	unlink(fifo);
	EXPECT_TRUE(WIFEXITED(status)) TH_LOG("child killed by signal %d (a read blocked)",
					      WTERMSIG(status));
	EXPECT_EQ(0, WEXITSTATUS(status))
		TH_LOG("10 unshare, 11 FIFO bind, 12 not a FIFO, 13 value, 14 preview, "
		       "15/16 resize, 17 no pass");
	write_str(at("preview_kb"), "0\n");
}

TEST_HARNESS_MAIN
