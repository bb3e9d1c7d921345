// SPDX-License-Identifier: GPL-2.0
/*
 * bench-now: prints CLOCK_MONOTONIC in nanoseconds, the clock the module's
 * stats/ use (ktime_get_ns()), so a shell script's timestamps compare with
 * the module's.
 */
#include <stdio.h>
#include <time.h>

int main(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	printf("%lld\n", (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec);
	return 0;
}
