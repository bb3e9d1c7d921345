// SPDX-License-Identifier: GPL-2.0
/*
 * inotifystorm DIR MAX: creates files DIR/0..MAX-1 and adds one inotify watch
 * per file until inotify_add_watch() fails (ENOSPC = fs.inotify.max_user_watches).
 * Prints "watches <added> stop <reason> ms <ms>"; removes the files.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "/tmp/watched";
	long max = argc > 2 ? atol(argv[2]) : 10000;
	const char *stop = "max";
	char path[4096];
	long long t0;
	long n, i;
	int fd;

	fd = inotify_init1(IN_CLOEXEC);
	if (fd < 0) {
		printf("watches 0 stop inotify_init:%s ms 0\n", strerror(errno));
		return 1;
	}
	t0 = now_ms();
	for (n = 0; n < max; n++) {
		int f;

		snprintf(path, sizeof(path), "%s/%ld", dir, n);
		f = open(path, O_CREAT | O_WRONLY, 0600);
		if (f < 0) {
			stop = strerror(errno);
			break;
		}
		close(f);
		if (inotify_add_watch(fd, path, IN_MODIFY) < 0) {
			stop = errno == ENOSPC ? "ENOSPC" : strerror(errno);
			unlink(path);
			break;
		}
	}
	printf("watches %ld stop %s ms %lld\n", n, stop, now_ms() - t0);
	fflush(stdout);
	close(fd);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%ld", dir, i);
		unlink(path);
	}
	return 0;
}
