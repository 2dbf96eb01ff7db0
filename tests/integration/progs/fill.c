// SPDX-License-Identifier: GPL-2.0
/*
 * A server that sends, and clients that never read, for
 * tcp-relay-memory.sh: together they fill every buffer between them and
 * hold it full, so that the memory those buffers cost can be measured.
 *
 *   fill server PORT N BYTES CHUNK PROGRESS FLAG
 *       accept N connections on PORT (IPv4), then send each BYTES bytes,
 *       CHUNK bytes per send() (CHUNK 1: one byte per segment, with
 *       TCP_NODELAY), nonblocking, round-robin over the connections.
 *       PROGRESS is rewritten (atomically) with "sent TOTAL" about once a
 *       second, and finally with "done TOTAL complete|stalled MIN MAX"
 *       (the least and the most any connection took): complete when
 *       every byte is sent, stalled when nothing could be sent for 3 s
 *       (the readers' windows and every buffer on the way are full).
 *       Then holds the connections open until FLAG exists, and closes
 *       them.
 *   fill client HOST PORT N STATUS FLAG [PROXY PROXYPORT]
 *       open N connections to HOST:PORT (IPv4), each through the SOCKS5
 *       proxy PROXY:PROXYPORT (no authentication) when given, and never
 *       read. STATUS is rewritten about once a second with "queued Q":
 *       the bytes waiting in the N receive queues (FIONREAD), that is,
 *       delivered to the application. Closes them when FLAG exists.
 *
 * Exits 0, or 1 with the reason on stderr.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define STALL_S 3.0

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int die(const char *what)
{
	fprintf(stderr, "fill: %s: %s\n", what, strerror(errno));
	return 1;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static int parse_addr(struct sockaddr_in *sin, const char *host, const char *port)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(atoi(port));
	if (inet_pton(AF_INET, host, &sin->sin_addr) != 1) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

/* Written to a temporary file and renamed, so a reader never sees half. */
static void status(const char *path, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void status(const char *path, const char *fmt, ...)
{
	char tmp[4096];
	va_list ap;
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	f = fopen(tmp, "w");
	if (!f)
		return;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fputc('\n', f);
	fclose(f);
	rename(tmp, path);
}

static int server(int argc, char **argv)
{
	long n, bytes, chunk, total = 0, min, max, i, live;
	double last_sent, last_report;
	const char *path, *flag;
	struct sockaddr_in sin;
	struct pollfd *pfd;
	int one = 1, lfd;
	struct stat st;
	long *sent;
	char *buf;

	if (argc != 8) {
		fprintf(stderr, "usage: fill server PORT N BYTES CHUNK PROGRESS FLAG\n");
		return 2;
	}
	n = atol(argv[3]);
	bytes = atol(argv[4]);
	chunk = atol(argv[5]);
	path = argv[6];
	flag = argv[7];
	if (n <= 0 || bytes < 0 || chunk <= 0) {
		errno = EINVAL;
		return die("arguments");
	}
	pfd = calloc(n, sizeof(*pfd));
	sent = calloc(n, sizeof(*sent));
	buf = malloc(chunk);
	if (!pfd || !sent || !buf)
		return die("calloc");
	memset(buf, 'x', chunk);
	parse_addr(&sin, "0.0.0.0", argv[2]);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (lfd < 0 || setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(lfd, (struct sockaddr *)&sin, sizeof(sin)) || listen(lfd, n))
		return die("listen");
	status(path, "accepting %ld", n);
	for (i = 0; i < n; i++) {
		int fd = accept(lfd, NULL, NULL);

		if (fd < 0)
			return die("accept");
		/* No Nagle: each send() is a segment of its own if it can be. */
		if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) ||
		    fcntl(fd, F_SETFL, O_NONBLOCK))
			return die("setsockopt");
		pfd[i].fd = fd;
	}
	close(lfd);

	last_sent = last_report = now();
	for (;;) {
		long moved = 0;

		live = 0;
		for (i = 0; i < n; i++) {
			long want = bytes - sent[i] < chunk ? bytes - sent[i] : chunk;
			ssize_t r;

			pfd[i].events = 0;
			if (!want)
				continue;
			live++;
			r = send(pfd[i].fd, buf, want, MSG_DONTWAIT | MSG_NOSIGNAL);
			if (r > 0) {
				sent[i] += r;
				moved += r;
			} else if (errno == EAGAIN) {
				pfd[i].events = POLLOUT;
			} else {
				return die("send");
			}
		}
		total += moved;
		if (!live)
			break;
		if (moved)
			last_sent = now();
		if (now() - last_report >= 1.0) {
			status(path, "sent %ld", total);
			last_report = now();
		}
		if (moved)
			continue;
		/* Every connection is full: wait for room, never spin. */
		if (now() - last_sent >= STALL_S)
			break;
		if (poll(pfd, n, (int)((STALL_S - (now() - last_sent)) * 1000) + 1) < 0 &&
		    errno != EINTR)
			return die("poll");
	}
	min = max = sent[0];
	for (i = 1; i < n; i++) {
		min = sent[i] < min ? sent[i] : min;
		max = sent[i] > max ? sent[i] : max;
	}
	status(path, "done %ld %s %ld %ld", total, live ? "stalled" : "complete", min, max);
	/* The test says when to let go by creating FLAG. */
	while (stat(flag, &st))
		sleep_ms(100);
	for (i = 0; i < n; i++)
		close(pfd[i].fd);
	return 0;
}

static int read_exact(int fd, unsigned char *buf, size_t len)
{
	size_t got = 0;
	ssize_t r;

	while (got < len) {
		r = read(fd, buf + got, len - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (!r)
				errno = ECONNRESET;
			return -1;
		}
		got += r;
	}
	return 0;
}

/* CONNECT to @dst through the SOCKS5 server @fd is connected to. */
static int socks5(int fd, const struct sockaddr_in *dst)
{
	unsigned char req[10] = { 5, 1, 0, 1 }, reply[10];

	if (write(fd, "\x05\x01\x00", 3) != 3 || read_exact(fd, reply, 2))
		return -1;
	if (reply[0] != 5 || reply[1] != 0) {
		errno = EPROTO;
		return -1;
	}
	memcpy(req + 4, &dst->sin_addr, 4);
	memcpy(req + 8, &dst->sin_port, 2);
	/*
	 * Read exactly the reply (10 bytes for an IPv4 bound address) and not
	 * a byte of the data the server sends after it.
	 */
	if (write(fd, req, sizeof(req)) != sizeof(req) || read_exact(fd, reply, sizeof(reply)))
		return -1;
	if (reply[1] != 0 || reply[3] != 1) {
		errno = ECONNREFUSED;
		return -1;
	}
	return 0;
}

static int client(int argc, char **argv)
{
	struct sockaddr_in dst, proxy;
	const char *path, *flag;
	struct stat st;
	long n, i, tick;
	int *fds;

	if (argc != 7 && argc != 9) {
		fprintf(stderr, "usage: fill client HOST PORT N STATUS FLAG [PROXY PROXYPORT]\n");
		return 2;
	}
	n = atol(argv[4]);
	path = argv[5];
	flag = argv[6];
	fds = calloc(n > 0 ? n : 1, sizeof(*fds));
	if (n <= 0 || !fds || parse_addr(&dst, argv[2], argv[3]) ||
	    (argc == 9 && parse_addr(&proxy, argv[7], argv[8])))
		return die("arguments");
	for (i = 0; i < n; i++) {
		const struct sockaddr_in *to = argc == 9 ? &proxy : &dst;

		fds[i] = socket(AF_INET, SOCK_STREAM, 0);
		if (fds[i] < 0 || connect(fds[i], (const struct sockaddr *)to, sizeof(*to)))
			return die("connect");
		if (argc == 9 && socks5(fds[i], &dst))
			return die("socks5");
	}
	for (tick = 0; stat(flag, &st); tick++) {
		long queued = 0;

		if (tick % 10 == 0) {
			for (i = 0; i < n; i++) {
				int q = 0;

				if (ioctl(fds[i], FIONREAD, &q) == 0)
					queued += q;
			}
			status(path, "queued %ld", queued);
		}
		sleep_ms(100);
	}
	for (i = 0; i < n; i++)
		close(fds[i]);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "server"))
		return server(argc, argv);
	if (argc > 1 && !strcmp(argv[1], "client"))
		return client(argc, argv);
	fprintf(stderr, "usage: fill server|client ...\n");
	return 2;
}
