// SPDX-License-Identifier: GPL-2.0
/*
 * memory-hog MIB: the rogue of the rig's rogue-swapper scenario (arbiter-rogue.sh). Maps MIB
 * MiB of anonymous memory and writes one word into every page, in order, over and over until
 * killed: a working set larger than the guest's RAM cycles every page through swap, each pass
 * reading back what the last one swapped out and dirtying it again.
 *
 * Each page holds its index and the pass number, the rest zeros: not a same-filled page (which
 * zram stores without data, mm/zsmalloc never involved), yet it compresses to a few dozen
 * bytes, so swap on zram costs the guest little RAM, as with most real anonymous memory.
 * Prints the passes it finished on stdout, one line each: "pass N <ms>". On SIGTERM it stops
 * and prints how far it got, "stopped pass N pages P mib M" (P pages written since it started,
 * M = P in MiB): the work done, for bench/scenarios/bench-rogue.sh, to the page.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop_requested;

static void request_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

int main(int argc, char **argv)
{
	long page = sysconf(_SC_PAGESIZE);
	unsigned long mib = argc == 2 ? strtoul(argv[1], NULL, 10) : 0;
	size_t bytes = (size_t)mib << 20, pages, i;
	uint64_t pass, t0, written = 0;
	struct sigaction sa = { .sa_handler = request_stop };
	char *mem;

	if (mib == 0 || page <= 0) {
		fprintf(stderr, "usage: memory-hog MIB\n");
		return 2;
	}
	mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED) {
		perror("memory-hog: mmap");
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	pages = bytes / (size_t)page;
	for (pass = 1;; pass++) {
		t0 = now_ms();
		for (i = 0; i < pages; i++) {
			uint64_t *word = (uint64_t *)(mem + i * (size_t)page);

			word[0] = (uint64_t)i;
			word[1] = pass;
			written++;
			if (stop_requested) {
				printf("stopped pass %llu pages %llu mib %llu\n",
				       (unsigned long long)pass, (unsigned long long)written,
				       (unsigned long long)(written * (uint64_t)page >> 20));
				return 0;
			}
		}
		printf("pass %llu %llu\n", (unsigned long long)pass,
		       (unsigned long long)(now_ms() - t0));
	}
}
