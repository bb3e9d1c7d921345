// SPDX-License-Identifier: GPL-2.0
/*
 * canary MiB FILE: keeps MiB of anonymous memory resident, touching every page
 * once a second, and writes a heartbeat counter into FILE. It stands for the
 * guest's real service: the question is whether it survives a workload.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	size_t size = (size_t)(argc > 1 ? atol(argv[1]) : 32) << 20;
	const char *file = argc > 2 ? argv[2] : "/tmp/canary.beat";
	unsigned long beat = 0;
	char *mem = malloc(size);
	size_t off;

	if (!mem)
		return 1;
	memset(mem, 1, size);
	for (;;) {
		FILE *f;

		for (off = 0; off < size; off += 4096)
			mem[off]++;
		f = fopen(file, "w");
		if (f) {
			fprintf(f, "%lu\n", ++beat);
			fclose(f);
		}
		sleep(1);
	}
}
