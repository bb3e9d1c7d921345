// SPDX-License-Identifier: GPL-2.0
/*
 * tcpbulk STREAMS SECONDS read|noread: bulk TCP over loopback.
 *
 * STREAMS connections to 127.0.0.1; one sender thread per connection writes
 * 64 KiB chunks for SECONDS. With "read" a receiver thread per connection reads
 * everything (throughput); with "noread" nobody reads, so the data piles up in
 * the socket buffers until the kernel's TCP limits (tcp_mem, tcp_[rw]mem) stop
 * the senders, or memory runs out. The main thread samples /proc/net/sockstat
 * every 100 ms for the TCP memory in use (pages).
 *
 * Prints "tcpbulk streams <n> mode <m> seconds <s> bytes <sent> mbit_s <rate>
 *         peak_tcp_pages <p> send_errors <e> connected <c>".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static volatile int stopping;
static unsigned long long bytes_sent;
static unsigned long send_errors;

struct stream {
	int tx;
	int rx;
};

static void set_timeout(int fd, int opt)
{
	struct timeval tv = { .tv_sec = 0, .tv_usec = 200000 };

	setsockopt(fd, SOL_SOCKET, opt, &tv, sizeof(tv));
}

static void *sender(void *arg)
{
	struct stream *s = arg;
	static char chunk[64 * 1024];

	while (!stopping) {
		ssize_t n = send(s->tx, chunk, sizeof(chunk), MSG_NOSIGNAL);

		if (n > 0)
			__atomic_add_fetch(&bytes_sent, (unsigned long long)n, __ATOMIC_RELAXED);
		else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
			__atomic_add_fetch(&send_errors, 1, __ATOMIC_RELAXED);
			usleep(10000);
		}
	}
	return NULL;
}

static void *receiver(void *arg)
{
	struct stream *s = arg;
	static __thread char buf[64 * 1024];

	while (!stopping)
		if (recv(s->rx, buf, sizeof(buf), 0) == 0)
			break;
	return NULL;
}

/* "TCP: inuse 5 orphan 0 tw 0 alloc 7 mem 123" -> 123 */
static long tcp_mem_pages(void)
{
	FILE *f = fopen("/proc/net/sockstat", "r");
	char line[256];
	long mem = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, " mem ");

		if (!strncmp(line, "TCP:", 4) && p)
			mem = atol(p + 5);
	}
	fclose(f);
	return mem;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 8;
	int seconds = argc > 2 ? atoi(argv[2]) : 10;
	int reading = !(argc > 3 && !strcmp(argv[3], "noread"));
	struct sockaddr_in addr = { .sin_family = AF_INET };
	socklen_t len = sizeof(addr);
	struct stream *st = calloc(n, sizeof(*st));
	pthread_t *th = calloc(2 * n, sizeof(*th));
	int lfd, i, nth = 0, connected = 0;
	long peak = 0;
	double t0, t;

	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) ||
	    listen(lfd, n + 16) || getsockname(lfd, (struct sockaddr *)&addr, &len)) {
		perror("tcpbulk: listen");
		return 1;
	}
	for (i = 0; i < n; i++) {
		st[i].tx = socket(AF_INET, SOCK_STREAM, 0);
		if (st[i].tx < 0 || connect(st[i].tx, (struct sockaddr *)&addr, sizeof(addr)))
			break;
		st[i].rx = accept(lfd, NULL, NULL);
		if (st[i].rx < 0)
			break;
		set_timeout(st[i].tx, SO_SNDTIMEO);
		set_timeout(st[i].rx, SO_RCVTIMEO);
		connected++;
	}
	t0 = now_s();
	for (i = 0; i < connected; i++) {
		if (pthread_create(&th[nth], NULL, sender, &st[i]) == 0)
			nth++;
		if (reading && pthread_create(&th[nth], NULL, receiver, &st[i]) == 0)
			nth++;
	}
	while ((t = now_s()) - t0 < seconds) {
		long m = tcp_mem_pages();

		if (m > peak)
			peak = m;
		usleep(100000);
	}
	stopping = 1;
	for (i = 0; i < nth; i++)
		pthread_join(th[i], NULL);
	t = now_s() - t0;
	printf("tcpbulk streams %d mode %s seconds %.1f bytes %llu mbit_s %.1f peak_tcp_pages %ld send_errors %lu connected %d\n",
	       n, reading ? "read" : "noread", t, bytes_sent, bytes_sent * 8 / t / 1e6,
	       peak, send_errors, connected);
	return 0;
}
