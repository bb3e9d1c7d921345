// SPDX-License-Identifier: GPL-2.0
/*
 * latency-probe: the neighbour's fixed-rate random-read probe of the rig's rogue-swapper
 * scenario (tests/e2e/scenarios/arbiter-rogue.sh), and the summary of what it measured.
 *
 *   latency-probe run DEVICE RATE      reads one 4 KiB block at a random aligned offset of
 *                                      DEVICE, O_DIRECT, RATE times a second, one at a time,
 *                                      until killed; one line per read on stdout:
 *                                      "<CLOCK_BOOTTIME ms> <latency us>"
 *   latency-probe summary FROM TO      reads such lines on stdin, prints, for the reads that
 *                                      started in [FROM, TO) ms: "n=N p50=X p90=X p99=X
 *                                      mean=X max=X" (latencies in ms, 2 decimals)
 *
 * The schedule is absolute (start + i / RATE), so a slow read does not shift the rest; a read
 * later than one period skips the slots it missed instead of catching up in a burst: the probe
 * keeps its rate as a neighbour's service would, and never adds load of its own. fio's
 * equivalent: --rw=randread --bs=4k --direct=1 --iodepth=1 --rate_iops=RATE.
 * CLOCK_BOOTTIME is what /proc/uptime counts, so the rig's phase marks (uptime in the guest)
 * and the probe's times are on one clock.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define BLOCK_BYTES 4096

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* xorshift64*: a fixed seed, so every run reads the same offsets in the same order. */
static uint64_t next_random(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545f4914f6cdd1dull;
}

static int device_bytes(int fd, uint64_t *bytes)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -1;
	if (S_ISBLK(st.st_mode))
		return ioctl(fd, BLKGETSIZE64, bytes);
	*bytes = (uint64_t)st.st_size;
	return 0;
}

static int run(const char *path, long rate)
{
	uint64_t bytes, blocks, state = 0x9e3779b97f4a7c15ull, period_ns, slot_ns;
	struct timespec wake;
	void *buf;
	int fd;

	fd = open(path, O_RDONLY | O_DIRECT);
	if (fd < 0 || device_bytes(fd, &bytes) < 0) {
		fprintf(stderr, "latency-probe: %s: %s\n", path, strerror(errno));
		return 1;
	}
	blocks = bytes / BLOCK_BYTES;
	if (blocks == 0 || posix_memalign(&buf, BLOCK_BYTES, BLOCK_BYTES) != 0) {
		fprintf(stderr, "latency-probe: %s: too small, or no memory\n", path);
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	period_ns = 1000000000ull / (uint64_t)rate;
	slot_ns = now_ns();
	for (;;) {
		uint64_t offset = next_random(&state) % blocks * BLOCK_BYTES;
		uint64_t t0 = now_ns(), t1;
		ssize_t got = pread(fd, buf, BLOCK_BYTES, (off_t)offset);

		t1 = now_ns();
		if (got != BLOCK_BYTES) {
			fprintf(stderr, "latency-probe: read at %" PRIu64 ": %s\n", offset,
				got < 0 ? strerror(errno) : "short read");
			return 1;
		}
		printf("%" PRIu64 " %" PRIu64 "\n", t0 / 1000000, (t1 - t0) / 1000);
		slot_ns += period_ns;
		if (t1 > slot_ns + period_ns)
			slot_ns = t1 - (t1 - slot_ns) % period_ns + period_ns;
		wake.tv_sec = (time_t)(slot_ns / 1000000000ull);
		wake.tv_nsec = (long)(slot_ns % 1000000000ull);
		while (clock_nanosleep(CLOCK_BOOTTIME, TIMER_ABSTIME, &wake, NULL) == EINTR)
			;
	}
}

static int compare_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Nearest-rank percentile of n sorted values, p in percent. */
static uint64_t percentile(const uint64_t *sorted, size_t n, unsigned int p)
{
	size_t rank = (n * p + 99) / 100;

	return sorted[rank ? rank - 1 : 0];
}

static int summary(uint64_t from_ms, uint64_t to_ms)
{
	uint64_t t, us, sum = 0, *lat = NULL;
	size_t n = 0, cap = 0;

	while (scanf("%" SCNu64 " %" SCNu64, &t, &us) == 2) {
		if (t < from_ms || t >= to_ms)
			continue;
		if (n == cap) {
			uint64_t *grown;

			cap = cap ? cap * 2 : 1024;
			grown = realloc(lat, cap * sizeof(*lat));
			if (!grown)
				return 1;
			lat = grown;
		}
		lat[n++] = us;
		sum += us;
	}
	if (n == 0) {
		printf("n=0\n");
		return 0;
	}
	qsort(lat, n, sizeof(*lat), compare_u64);
	printf("n=%zu p50=%.2f p90=%.2f p99=%.2f mean=%.2f max=%.2f\n", n,
	       percentile(lat, n, 50) / 1000.0, percentile(lat, n, 90) / 1000.0,
	       percentile(lat, n, 99) / 1000.0, (double)sum / (double)n / 1000.0,
	       lat[n - 1] / 1000.0);
	free(lat);
	return 0;
}

int main(int argc, char **argv)
{
	char *end;

	if (argc == 4 && strcmp(argv[1], "run") == 0) {
		long rate = strtol(argv[3], &end, 10);

		if (*end || rate < 1 || rate > 1000) {
			fprintf(stderr, "latency-probe: RATE must be 1..1000 reads/s\n");
			return 2;
		}
		return run(argv[2], rate);
	}
	if (argc == 4 && strcmp(argv[1], "summary") == 0) {
		uint64_t from = strtoull(argv[2], &end, 10);

		if (*end)
			return 2;
		return summary(from, strtoull(argv[3], &end, 10));
	}
	fprintf(stderr, "usage: latency-probe run DEVICE RATE | summary FROM_MS TO_MS <log\n");
	return 2;
}
