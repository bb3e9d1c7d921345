// SPDX-License-Identifier: GPL-2.0
/*
 * set-rlimit PID nproc|sigpending SOFT HARD: sets another process's RLIMIT_NPROC or
 * RLIMIT_SIGPENDING with prlimit(2), as an administrator does with util-linux's
 * `prlimit --pid PID --nproc SOFT:HARD`. The rig's systemd guest (scenario agent-systemd) sets
 * init's limit with it to check that the agent leaves an administrator's limit alone; the image
 * has no util-linux (5 MB unpacked for this one system call). Prints "OLD_SOFT OLD_HARD" (what
 * the limit was) on stdout.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/types.h>

/* A decimal number, all of the string. */
static int parse_u64(const char *s, uint64_t *out)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return errno || *end ? -1 : 0;
}

int main(int argc, char **argv)
{
	struct rlimit want, old;
	uint64_t pid, soft, hard;
	int resource;

	if (argc != 5 || parse_u64(argv[1], &pid) || parse_u64(argv[3], &soft) ||
	    parse_u64(argv[4], &hard)) {
		fprintf(stderr, "usage: set-rlimit PID nproc|sigpending SOFT HARD\n");
		return 2;
	}
	if (!strcmp(argv[2], "nproc")) {
		resource = RLIMIT_NPROC;
	} else if (!strcmp(argv[2], "sigpending")) {
		resource = RLIMIT_SIGPENDING;
	} else {
		fprintf(stderr, "set-rlimit: unknown limit '%s'\n", argv[2]);
		return 2;
	}
	want.rlim_cur = soft;
	want.rlim_max = hard;
	if (prlimit((pid_t)pid, resource, &want, &old)) {
		fprintf(stderr, "set-rlimit: prlimit(%" PRIu64 ", %s): %s\n", pid, argv[2],
			strerror(errno));
		return 1;
	}
	printf("%" PRIu64 " %" PRIu64 "\n", (uint64_t)old.rlim_cur, (uint64_t)old.rlim_max);
	return 0;
}
