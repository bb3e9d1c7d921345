// SPDX-License-Identifier: GPL-2.0
/*
 * threadstorm MAX HOLD_S [PROGRESS_FILE]: creates up to MAX threads that only
 * sleep, stops at the first failure, holds them HOLD_S seconds, exits.
 * Prints "threads <created> stop <reason> create_ms <ms>". Every 256 threads
 * the count so far goes into PROGRESS_FILE, so a run the OOM killer ends
 * still says how far it got.
 *
 * Each thread gets a small stack (64 KiB, touched only at its top) so what
 * limits the count is the kernel (threads-max, kernel stacks), not the
 * process's address space. Root is not held back by RLIMIT_NPROC. The stacks
 * are carved from mappings of STACKS_PER_MAP stacks each, without guard
 * pages: glibc would otherwise mmap and mprotect for every thread, which
 * under TCG costs more than the thread itself, and the storm runs until the
 * kernel stops it (tens of thousands of threads).
 */
#include <errno.h>
#include <sys/mman.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define STACK_SIZE (64 * 1024)
#define STACKS_PER_MAP 1024

static pthread_mutex_t hold_lock = PTHREAD_MUTEX_INITIALIZER;

static void *sleeper(void *arg)
{
	(void)arg;
	/* Blocks until main exits: the mutex is held for the whole run. */
	pthread_mutex_lock(&hold_lock);
	return NULL;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static void write_progress(const char *file, long n)
{
	FILE *f = fopen(file, "w");

	if (f) {
		fprintf(f, "%ld\n", n);
		fclose(f);
	}
}

int main(int argc, char **argv)
{
	long max = argc > 1 ? atol(argv[1]) : 10000;
	int hold_s = argc > 2 ? atoi(argv[2]) : 5;
	const char *progress = argc > 3 ? argv[3] : NULL;
	const char *stop = "max";
	pthread_attr_t attr;
	long long t0;
	long n;
	int err;

	char *stacks = NULL;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_mutex_lock(&hold_lock);
	t0 = now_ms();
	for (n = 0; n < max; n++) {
		pthread_t t;

		if (n % STACKS_PER_MAP == 0) {
			stacks = mmap(NULL, (size_t)STACK_SIZE * STACKS_PER_MAP,
				      PROT_READ | PROT_WRITE,
				      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
			if (stacks == MAP_FAILED) {
				stop = "mmap";
				break;
			}
		}
		pthread_attr_setstack(&attr, stacks + (size_t)(n % STACKS_PER_MAP) * STACK_SIZE,
				      STACK_SIZE);
		err = pthread_create(&t, &attr, sleeper, NULL);
		if (err) {
			stop = err == EAGAIN ? "EAGAIN" : strerror(err);
			break;
		}
		if (progress && n % 256 == 0)
			write_progress(progress, n);
	}
	if (progress)
		write_progress(progress, n);
	printf("threads %ld stop %s create_ms %lld\n", n, stop, now_ms() - t0);
	fflush(stdout);
	sleep(hold_s);
	_exit(0);
}
