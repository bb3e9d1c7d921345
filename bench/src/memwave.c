// SPDX-License-Identifier: GPL-2.0
/*
 * memwave LOW_MiB HIGH_MiB PERIOD_S SECONDS: a changing load for the agent
 * footprint benchmark. Every PERIOD_S it switches between holding LOW_MiB and
 * HIGH_MiB of touched anonymous memory, and writes then drops a file of
 * (HIGH - LOW) MiB in /tmp (page cache), for SECONDS in all.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void write_file(const char *path, size_t mib)
{
	static char buf[1 << 20];
	int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0600);
	size_t i;

	if (fd < 0)
		return;
	memset(buf, 7, sizeof(buf));
	for (i = 0; i < mib; i++)
		if (write(fd, buf, sizeof(buf)) < 0)
			break;
	close(fd);
}

int main(int argc, char **argv)
{
	size_t low = argc > 1 ? atol(argv[1]) : 32;
	size_t high = argc > 2 ? atol(argv[2]) : 256;
	int period = argc > 3 ? atoi(argv[3]) : 10;
	int seconds = argc > 4 ? atoi(argv[4]) : 60;
	time_t end = time(NULL) + seconds;
	int up = 0;

	while (time(NULL) < end) {
		size_t mib = up ? high : low;
		char *mem = malloc(mib << 20);

		if (mem)
			memset(mem, 3, mib << 20);
		if (up)
			write_file("/tmp/memwave.cache", high - low);
		else
			unlink("/tmp/memwave.cache");
		sleep(period);
		free(mem);
		up = !up;
	}
	unlink("/tmp/memwave.cache");
	return 0;
}
