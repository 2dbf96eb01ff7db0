// SPDX-License-Identifier: GPL-2.0
/*
 * tcpbench: the application of the mprox benchmark (tests/bench/bench.sh).
 * One small program, so that the ways of reaching the server (routed
 * directly, speaking a proxy protocol itself, through mprox0 with no proxy
 * code) differ in nothing but the path.
 *
 *   tcpbench server [--port P]
 *   tcpbench client HOST:PORT [--socks5|--socks4|--http HOST:PORT]
 *                   [--streams N] [--bytes B] [--dir up|down]
 *                   [--latency N [--samples]] [--cps N] [--rr N [--samples]]
 *                   [--hold N] [--timeout S]
 *
 * The server listens on [::]:P (default 5300, IPv4 too) and serves each
 * connection in a thread. Every connection starts with a 16-byte request:
 * "TCPB", an operation and a byte count (big endian):
 *   up    the client sends B bytes; the server answers with the 8-byte count
 *         once it has them all
 *   down  the server sends B bytes and closes
 *   ping  the server answers 64 bytes and closes
 *   echo  the server sends back every byte it gets, until the client closes
 *   hold  the server sends back one byte, then waits, with no timeout, for
 *         the client to close
 *
 * The application can speak a proxy protocol itself, each for a CONNECT to
 * the IP address of HOST:PORT:
 *   --socks5 P  RFC 1928, no authentication
 *   --socks4 P  SOCKS4 (IPv4 only, empty USERID); the 8-byte reply must
 *               say CD 90, "request granted"
 *   --http P    "CONNECT d:p HTTP/1.1" with "Host: d:p" (IPv6 in
 *               brackets); the response is read up to the blank line
 *               that ends its header block and its status must be 2xx
 * Replies are read as they arrive, in as few reads as TCP allows. The server
 * says nothing before it has the request, so a proxy that sends more than
 * its reply is an error.
 *
 * client, throughput (default): --streams N connections (default 1) are
 * opened (through the proxy when one is given), then all start at once and
 * move --bytes B in total
 * (default 200 MB, split evenly) in direction --dir (default down). Time
 * runs from the start to the last byte (up: the last count) and the
 * result is one line:
 *   throughput dir=down streams=4 bytes=200000000 seconds=1.234 rate_MBps=162.07
 *              cpu_ticks=210 hz=100
 * client --latency N: N connections one after another, each timed from
 * socket() to the last byte of the answer (connect, the proxy handshake
 * if any, request, response); connect_ is the part up to connected (and
 * the handshake done):
 *   latency n=500 p50_us=812 p99_us=2050 mean_us=901 max_us=3011
 *           connect_p50_us=400 connect_p99_us=1200 seconds=0.470 cpu_ticks=37 hz=100
 * preceded, with --samples, by one "sample TOTAL_US CONNECT_US" line per
 * connection (so that runs can be pooled).
 * client --rr N: one connection (after connect and the handshake, not
 * timed), then N exchanges of one byte each way on it, one after another,
 * with TCP_NODELAY, each timed from the write to the byte back: the
 * request/response latency of an established connection:
 *   rr n=1000 p50_us=210 p99_us=650 mean_us=240 max_us=900 seconds=0.240
 *      cpu_ticks=20 hz=100
 * preceded, with --samples, by one "rrsample US" line per exchange.
 * client --cps N: N connections as above (connect, handshake, request,
 * response, close), --streams of them at a time (default 1), each stream
 * opening its next as soon as its last is closed; timed from the start to
 * the last close:
 *   cps n=400 parallel=4 seconds=2.345 rate_cps=170.6 cpu_ticks=412 hz=100
 * seconds is the time of all the connections, one after another or at
 * once; cpu_ticks the whole machine's CPU time over it, from /proc/stat
 * (user, nice, system, irq and softirq, in units of 1/hz s), whoever spent
 * it: the application, the proxy, the server and the kernel alike.
 * client --hold N: N connections, one after another, each after its
 * handshake used once (one byte each way, a hold request) and then left
 * idle, all of them open at once; then one line,
 *   held n=10000 seconds=80.123
 * and they stay open until standard input ends (EOF); then all are reset
 * (SO_LINGER 0: no TIME_WAIT left behind to be counted in the next
 * measurement). For measuring what an idle connection costs the kernel.
 * MB are 10^6 bytes. Any error (refused, reset, a proxy's refusal, no
 * progress for --timeout seconds, default 30) is reported on stderr and
 * the exit status is 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <sys/socket.h>

enum op { OP_UP = 1, OP_DOWN = 2, OP_PING = 3, OP_ECHO = 4, OP_HOLD = 5 };

#define REQ_LEN 16
#define PONG_LEN 64
#define BUF_LEN (128 * 1024)
#define MAX_STREAMS 64

struct endpoint {
	struct sockaddr_storage addr;
	socklen_t len;
};

static int io_timeout = 30;
static int print_samples;

static void die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("tcpbench: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* "1.2.3.4:80" or "[::1]:80", numeric only. */
static void parse_endpoint(const char *text, struct endpoint *ep)
{
	char host[256];
	const char *colon, *h = text;
	size_t hlen;
	struct addrinfo hints = { 0 }, *res;
	int err;

	colon = strrchr(text, ':');
	if (!colon)
		die("%s: want HOST:PORT", text);
	hlen = colon - text;
	if (text[0] == '[') {
		if (hlen < 2 || text[hlen - 1] != ']')
			die("%s: want [IPV6]:PORT", text);
		h = text + 1;
		hlen -= 2;
	}
	if (hlen == 0 || hlen >= sizeof(host))
		die("%s: bad host", text);
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	hints.ai_socktype = SOCK_STREAM;
	err = getaddrinfo(host, colon + 1, &hints, &res);
	if (err)
		die("%s: %s", text, gai_strerror(err));
	memcpy(&ep->addr, res->ai_addr, res->ai_addrlen);
	ep->len = res->ai_addrlen;
	freeaddrinfo(res);
}

static void set_timeouts(int fd)
{
	struct timeval tv = { .tv_sec = io_timeout };
	int one = 1;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/* 0, or -1 with errno (ECONNRESET for an early end of stream). */
static int read_full(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len) {
		ssize_t n = read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = ECONNRESET;
			return -1;
		}
		p += n;
		len -= n;
	}
	return 0;
}

static int write_full(int fd, const void *buf, size_t len)
{
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		p += n;
		len -= n;
	}
	return 0;
}

static void put64(unsigned char *p, uint64_t v)
{
	for (int i = 7; i >= 0; i--, v >>= 8)
		p[i] = v & 0xff;
}

static uint64_t get64(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* As many descriptors as the system lets us have: --hold keeps thousands. */
static void raise_nofile(void)
{
	struct rlimit rl;
	FILE *f = fopen("/proc/sys/fs/nr_open", "r");
	unsigned long max = 0;

	if (f && fscanf(f, "%lu", &max) == 1) {
		rl.rlim_cur = rl.rlim_max = max;
		if (!setrlimit(RLIMIT_NOFILE, &rl)) {
			fclose(f);
			return;
		}
	}
	if (f)
		fclose(f);
	if (!getrlimit(RLIMIT_NOFILE, &rl)) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* ---- server ---------------------------------------------------------- */

static void *serve(void *arg)
{
	int fd = (int)(intptr_t)arg;
	unsigned char req[REQ_LEN], ack[8];
	static const char zeroes[BUF_LEN];
	char *buf = NULL;
	uint64_t bytes, left;
	uint32_t op;

	set_timeouts(fd);
	if (read_full(fd, req, REQ_LEN) || memcmp(req, "TCPB", 4))
		goto out;
	op = (uint32_t)req[4] << 24 | req[5] << 16 | req[6] << 8 | req[7];
	bytes = get64(req + 8);
	switch (op) {
	case OP_UP:
		buf = malloc(BUF_LEN);
		if (!buf)
			goto out;
		for (left = bytes; left;) {
			ssize_t n = read(fd, buf, left < BUF_LEN ? left : BUF_LEN);

			if (n < 0 && errno == EINTR)
				continue;
			if (n <= 0)
				goto out;
			left -= n;
		}
		put64(ack, bytes);
		write_full(fd, ack, sizeof(ack));
		break;
	case OP_DOWN:
		for (left = bytes; left;) {
			size_t n = left < BUF_LEN ? left : BUF_LEN;

			if (write_full(fd, zeroes, n))
				goto out;
			left -= n;
		}
		break;
	case OP_PING:
		write_full(fd, zeroes, PONG_LEN);
		break;
	case OP_ECHO: {
		int one = 1;
		char c;

		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		while (!read_full(fd, &c, 1))
			if (write_full(fd, &c, 1))
				break;
		goto out;
	}
	case OP_HOLD: {
		struct timeval forever = { 0 };
		char c;

		if (read_full(fd, &c, 1) || write_full(fd, &c, 1))
			goto out;
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &forever, sizeof(forever));
		while (read(fd, &c, 1) > 0)
			;
		goto out;
	}
	}
	/* Let the client close first: its side keeps TIME_WAIT. */
	shutdown(fd, SHUT_WR);
	while (read(fd, req, sizeof(req)) > 0)
		;
out:
	free(buf);
	close(fd);
	return NULL;
}

_Noreturn static void run_server(int port)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_port = htons(port) };
	pthread_attr_t attr;
	int fd, one = 1, zero = 0;

	fd = socket(AF_INET6, SOCK_STREAM, 0);
	if (fd < 0)
		die("socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 1024))
		die("listen on port %d: %s", port, strerror(errno));
	/* --hold keeps thousands of threads: not 8 MiB of stack each. */
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	raise_nofile();
	for (;;) {
		pthread_t t;
		int c = accept(fd, NULL, NULL);

		if (c < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			die("accept: %s", strerror(errno));
		}
		if (pthread_create(&t, &attr, serve, (void *)(intptr_t)c)) {
			close(c);
			continue;
		}
		pthread_detach(t);
	}
}

/* ---- client ---------------------------------------------------------- */

enum proxy { PROXY_NONE, PROXY_SOCKS5, PROXY_SOCKS4, PROXY_HTTP };

static const char *const proxy_names[] = {
	[PROXY_NONE] = "",
	[PROXY_SOCKS5] = "SOCKS5",
	[PROXY_SOCKS4] = "SOCKS4",
	[PROXY_HTTP] = "HTTP CONNECT",
};

struct client {
	struct endpoint target;
	struct endpoint proxy;
	enum proxy proto;
};

static const char *socks5_reply(int rep)
{
	static const char *const names[] = {
		"succeeded",	       "general failure",	"connection not allowed by ruleset",
		"network unreachable", "host unreachable",	"connection refused",
		"TTL expired",	       "command not supported", "address type not supported",
	};

	return rep >= 0 && rep < 9 ? names[rep] : "unknown reply";
}

/* The client half of RFC 1928, no authentication, CONNECT to an address. */
static int socks5_connect(int fd, const struct endpoint *target, const char **why)
{
	unsigned char msg[4 + 16 + 2], *p = msg;
	size_t skip;

	*why = "proxy closed the connection";
	errno = 0;
	if (write_full(fd, "\x05\x01\x00", 3) || read_full(fd, msg, 2))
		return -1;
	if (msg[0] != 5 || msg[1] != 0) {
		*why = "proxy refused the no-authentication method";
		return -1;
	}
	*p++ = 5;
	*p++ = 1;
	*p++ = 0;
	if (target->addr.ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)&target->addr;

		*p++ = 1;
		memcpy(p, &sin->sin_addr, 4);
		p += 4;
		memcpy(p, &sin->sin_port, 2);
	} else {
		const struct sockaddr_in6 *sin6 = (const void *)&target->addr;

		*p++ = 4;
		memcpy(p, &sin6->sin6_addr, 16);
		p += 16;
		memcpy(p, &sin6->sin6_port, 2);
	}
	p += 2;
	if (write_full(fd, msg, p - msg) || read_full(fd, msg, 4))
		return -1;
	if (msg[0] != 5 || msg[1] != 0) {
		*why = socks5_reply(msg[1]);
		return -1;
	}
	switch (msg[3]) {
	case 1:
		skip = 4 + 2;
		break;
	case 4:
		skip = 16 + 2;
		break;
	case 3:
		if (read_full(fd, msg, 1))
			return -1;
		skip = msg[0] + 2;
		break;
	default:
		*why = "bad address type in the proxy's reply";
		return -1;
	}
	while (skip) {
		size_t n = skip < sizeof(msg) ? skip : sizeof(msg);

		if (read_full(fd, msg, n))
			return -1;
		skip -= n;
	}
	return 0;
}

/*
 * The client half of SOCKS4: CONNECT to an IPv4 address, empty USERID, and
 * the 8-byte reply (VN is not judged: servers send 0 or 4).
 */
static int socks4_connect(int fd, const struct endpoint *target, const char **why)
{
	const struct sockaddr_in *sin = (const void *)&target->addr;
	unsigned char msg[9] = { 4, 1 };

	*why = "proxy closed the connection";
	errno = 0;
	if (target->addr.ss_family != AF_INET) {
		*why = "SOCKS4 carries IPv4 destinations only";
		return -1;
	}
	memcpy(msg + 2, &sin->sin_port, 2);
	memcpy(msg + 4, &sin->sin_addr, 4);
	msg[8] = 0;
	if (write_full(fd, msg, sizeof(msg)) || read_full(fd, msg, 8))
		return -1;
	if (msg[1] != 90) {
		static _Thread_local char text[32];

		snprintf(text, sizeof(text), "request not granted (CD %u)", msg[1]);
		*why = text;
		return -1;
	}
	return 0;
}

/* Where the header block in @buf (@len bytes) ends, or 0 if it does not. */
static size_t http_header_end(const char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (buf[i] != '\n')
			continue;
		/* "\n\n" or "\n\r\n": a blank line, in either line end. */
		if (i + 1 < len && buf[i + 1] == '\n')
			return i + 2;
		if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

/*
 * The client half of HTTP CONNECT: the request, then the response read as
 * it arrives up to the blank line, its status 2xx.
 */
static int http_connect(int fd, const struct endpoint *target, const char **why)
{
	char host[INET6_ADDRSTRLEN], req[2 * (INET6_ADDRSTRLEN + 8) + 40], buf[8192 + 1];
	static _Thread_local char text[32];
	const void *addr;
	unsigned port;
	size_t len = 0, end = 0;
	int n, code;

	*why = "proxy closed the connection";
	errno = 0;
	if (target->addr.ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const void *)&target->addr;

		addr = &sin->sin_addr;
		port = ntohs(sin->sin_port);
	} else {
		const struct sockaddr_in6 *sin6 = (const void *)&target->addr;

		addr = &sin6->sin6_addr;
		port = ntohs(sin6->sin6_port);
	}
	inet_ntop(target->addr.ss_family, addr, host, sizeof(host));
	if (target->addr.ss_family == AF_INET)
		n = snprintf(req, sizeof(req), "CONNECT %s:%u HTTP/1.1\r\nHost: %s:%u\r\n\r\n",
			     host, port, host, port);
	else
		n = snprintf(req, sizeof(req), "CONNECT [%s]:%u HTTP/1.1\r\nHost: [%s]:%u\r\n\r\n",
			     host, port, host, port);
	if (write_full(fd, req, n))
		return -1;
	while (!end) {
		ssize_t got;

		if (len == sizeof(buf) - 1) {
			*why = "response header block over 8192 bytes";
			return -1;
		}
		got = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			return -1;
		len += got;
		end = http_header_end(buf, len);
	}
	buf[len] = '\0';
	if (len != end) {
		*why = "bytes after the proxy's response, before the request";
		return -1;
	}
	if (sscanf(buf, "HTTP/1.%*1[01] %3d", &code) != 1 || code < 100 || code > 599) {
		*why = "not an HTTP response";
		return -1;
	}
	if (code / 100 != 2) {
		snprintf(text, sizeof(text), "status %d", code);
		*why = text;
		return -1;
	}
	return 0;
}

/* A connected socket to the target, through the proxy if there is one. */
static int open_conn(const struct client *cl)
{
	const struct endpoint *ep = cl->proto ? &cl->proxy : &cl->target;
	const char *why;
	int fd, err = 0;

	fd = socket(ep->addr.ss_family, SOCK_STREAM, 0);
	if (fd < 0)
		die("socket: %s", strerror(errno));
	set_timeouts(fd);
	if (connect(fd, (const struct sockaddr *)&ep->addr, ep->len))
		die("connect%s: %s", cl->proto ? " to the proxy" : "",
		    errno == EINPROGRESS ? "timed out" : strerror(errno));
	switch (cl->proto) {
	case PROXY_NONE:
		break;
	case PROXY_SOCKS5:
		err = socks5_connect(fd, &cl->target, &why);
		break;
	case PROXY_SOCKS4:
		err = socks4_connect(fd, &cl->target, &why);
		break;
	case PROXY_HTTP:
		err = http_connect(fd, &cl->target, &why);
		break;
	}
	if (err && errno)
		die("%s: %s: %s", proxy_names[cl->proto], why,
		    errno == EAGAIN ? "timed out" : strerror(errno));
	if (err)
		die("%s: %s", proxy_names[cl->proto], why);
	return fd;
}

static void send_req(int fd, enum op op, uint64_t bytes)
{
	unsigned char req[REQ_LEN] = { 'T', 'C', 'P', 'B', 0, 0, 0, (unsigned char)op };

	put64(req + 8, bytes);
	if (write_full(fd, req, REQ_LEN))
		die("sending the request: %s", strerror(errno));
}

struct stream {
	pthread_t thread;
	int fd;
	enum op op;
	uint64_t bytes;
	pthread_barrier_t *start;
};

static void *stream_run(void *arg)
{
	struct stream *s = arg;
	unsigned char ack[8];
	char *buf = calloc(1, BUF_LEN);
	uint64_t left;

	if (!buf)
		die("out of memory");
	pthread_barrier_wait(s->start);
	send_req(s->fd, s->op, s->bytes);
	for (left = s->bytes; left;) {
		size_t want = left < BUF_LEN ? left : BUF_LEN;
		ssize_t n;

		if (s->op == OP_UP)
			n = write(s->fd, buf, want);
		else
			n = read(s->fd, buf, want);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("%s after %llu of %llu bytes: %s",
			    s->op == OP_UP ? "sending" : "receiving",
			    (unsigned long long)(s->bytes - left), (unsigned long long)s->bytes,
			    n == 0	      ? "connection closed"
			    : errno == EAGAIN ? "timed out"
					      : strerror(errno));
		left -= n;
	}
	if (s->op == OP_UP) {
		if (read_full(s->fd, ack, sizeof(ack)))
			die("waiting for the server's count: %s", strerror(errno));
		if (get64(ack) != s->bytes)
			die("server counted %llu bytes, sent %llu", (unsigned long long)get64(ack),
			    (unsigned long long)s->bytes);
	}
	free(buf);
	return NULL;
}

/*
 * The whole machine's busy CPU time so far, from the first line of
 * /proc/stat: user + nice + system + irq + softirq, in 1/hz s (guest time
 * is in user already; idle, iowait and steal are not work done here).
 */
static unsigned long long cpu_ticks(void)
{
	unsigned long long user, nice, system, idle, iowait, irq, softirq;
	FILE *f = fopen("/proc/stat", "r");
	int n;

	if (!f)
		die("/proc/stat: %s", strerror(errno));
	n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu", &user, &nice, &system, &idle,
		   &iowait, &irq, &softirq);
	fclose(f);
	if (n != 7)
		die("/proc/stat: no cpu line");
	return user + nice + system + irq + softirq;
}

static void run_throughput(const struct client *cl, int streams, uint64_t bytes, enum op op)
{
	struct stream s[MAX_STREAMS];
	pthread_barrier_t start;
	unsigned long long ticks;
	double t0, secs;

	pthread_barrier_init(&start, NULL, streams + 1);
	for (int i = 0; i < streams; i++) {
		s[i].fd = open_conn(cl);
		s[i].op = op;
		s[i].bytes = bytes / streams + (i == 0 ? bytes % streams : 0);
		s[i].start = &start;
	}
	for (int i = 0; i < streams; i++)
		if (pthread_create(&s[i].thread, NULL, stream_run, &s[i]))
			die("pthread_create failed");
	ticks = cpu_ticks();
	pthread_barrier_wait(&start);
	t0 = now();
	for (int i = 0; i < streams; i++)
		pthread_join(s[i].thread, NULL);
	secs = now() - t0;
	ticks = cpu_ticks() - ticks;
	for (int i = 0; i < streams; i++)
		close(s[i].fd);
	printf("throughput dir=%s streams=%d bytes=%llu seconds=%.3f rate_MBps=%.2f cpu_ticks=%llu"
	       " hz=%ld\n",
	       op == OP_UP ? "up" : "down", streams, (unsigned long long)bytes, secs,
	       bytes / secs / 1e6, ticks, sysconf(_SC_CLK_TCK));
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Nearest rank. */
static double percentile(const double *sorted, int n, int p)
{
	int rank = (n * p + 99) / 100;

	return sorted[rank > 0 ? rank - 1 : 0];
}

static void run_latency(const struct client *cl, int n)
{
	unsigned char pong[PONG_LEN];
	double *us = calloc(n, sizeof(*us)), *conn_us = calloc(n, sizeof(*conn_us)), sum = 0, t_all;
	unsigned long long ticks;

	if (!us || !conn_us)
		die("out of memory");
	ticks = cpu_ticks();
	t_all = now();
	for (int i = 0; i < n; i++) {
		double t0 = now();
		int fd = open_conn(cl);

		conn_us[i] = (now() - t0) * 1e6;
		send_req(fd, OP_PING, 0);
		if (read_full(fd, pong, sizeof(pong)))
			die("connection %d: reading the answer: %s", i + 1, strerror(errno));
		us[i] = (now() - t0) * 1e6;
		close(fd);
		sum += us[i];
	}
	t_all = now() - t_all;
	ticks = cpu_ticks() - ticks;
	/* Printed after the loop: the terminal or pipe costs no CPU in it. */
	for (int i = 0; print_samples && i < n; i++)
		printf("sample %.0f %.0f\n", us[i], conn_us[i]);
	qsort(us, n, sizeof(*us), cmp_double);
	qsort(conn_us, n, sizeof(*conn_us), cmp_double);
	printf("latency n=%d p50_us=%.0f p99_us=%.0f mean_us=%.0f max_us=%.0f"
	       " connect_p50_us=%.0f connect_p99_us=%.0f seconds=%.3f cpu_ticks=%llu hz=%ld\n",
	       n, percentile(us, n, 50), percentile(us, n, 99), sum / n, us[n - 1],
	       percentile(conn_us, n, 50), percentile(conn_us, n, 99), t_all, ticks,
	       sysconf(_SC_CLK_TCK));
	free(us);
	free(conn_us);
}

static void run_rr(const struct client *cl, int n)
{
	double *us = calloc(n, sizeof(*us)), sum = 0, t_all;
	unsigned long long ticks;
	int fd = open_conn(cl), one = 1;
	char c = 'x';

	if (!us)
		die("out of memory");
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	send_req(fd, OP_ECHO, 0);
	ticks = cpu_ticks();
	t_all = now();
	for (int i = 0; i < n; i++) {
		double t0 = now();

		if (write_full(fd, &c, 1) || read_full(fd, &c, 1))
			die("exchange %d: %s", i + 1,
			    errno == EAGAIN ? "timed out" : strerror(errno));
		us[i] = (now() - t0) * 1e6;
		sum += us[i];
	}
	t_all = now() - t_all;
	ticks = cpu_ticks() - ticks;
	close(fd);
	for (int i = 0; print_samples && i < n; i++)
		printf("rrsample %.0f\n", us[i]);
	qsort(us, n, sizeof(*us), cmp_double);
	printf("rr n=%d p50_us=%.0f p99_us=%.0f mean_us=%.0f max_us=%.0f seconds=%.3f"
	       " cpu_ticks=%llu hz=%ld\n",
	       n, percentile(us, n, 50), percentile(us, n, 99), sum / n, us[n - 1], t_all, ticks,
	       sysconf(_SC_CLK_TCK));
	free(us);
}

static void run_hold(const struct client *cl, int n)
{
	struct linger reset = { .l_onoff = 1, .l_linger = 0 };
	int *fds = calloc(n, sizeof(*fds));
	char c = 'h', buf[256];
	double t0 = now();

	if (!fds)
		die("out of memory");
	raise_nofile();
	for (int i = 0; i < n; i++) {
		fds[i] = open_conn(cl);
		send_req(fds[i], OP_HOLD, 0);
		if (write_full(fds[i], &c, 1) || read_full(fds[i], &c, 1))
			die("connection %d: the exchange: %s", i + 1,
			    errno == EAGAIN ? "timed out" : strerror(errno));
	}
	printf("held n=%d seconds=%.3f\n", n, now() - t0);
	while (read(0, buf, sizeof(buf)) > 0)
		;
	for (int i = 0; i < n; i++) {
		setsockopt(fds[i], SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
		close(fds[i]);
	}
	free(fds);
}

struct cps_run {
	const struct client *cl;
	atomic_int left;
	pthread_barrier_t start;
};

/* One of the --cps streams: connections one after another while any are left. */
static void *cps_stream(void *arg)
{
	struct cps_run *run = arg;
	unsigned char pong[PONG_LEN];

	pthread_barrier_wait(&run->start);
	while (atomic_fetch_sub(&run->left, 1) > 0) {
		int fd = open_conn(run->cl);

		send_req(fd, OP_PING, 0);
		if (read_full(fd, pong, sizeof(pong)))
			die("reading the answer: %s",
			    errno == EAGAIN ? "timed out" : strerror(errno));
		close(fd);
	}
	return NULL;
}

static void run_cps(const struct client *cl, int n, int parallel)
{
	pthread_t t[MAX_STREAMS];
	struct cps_run run = { .cl = cl };
	unsigned long long ticks;
	double t0, secs;

	atomic_init(&run.left, n);
	pthread_barrier_init(&run.start, NULL, parallel + 1);
	for (int i = 0; i < parallel; i++)
		if (pthread_create(&t[i], NULL, cps_stream, &run))
			die("pthread_create failed");
	ticks = cpu_ticks();
	pthread_barrier_wait(&run.start);
	t0 = now();
	for (int i = 0; i < parallel; i++)
		pthread_join(t[i], NULL);
	secs = now() - t0;
	ticks = cpu_ticks() - ticks;
	printf("cps n=%d parallel=%d seconds=%.3f rate_cps=%.1f cpu_ticks=%llu hz=%ld\n", n,
	       parallel, secs, n / secs, ticks, sysconf(_SC_CLK_TCK));
}

static void usage(void)
{
	fprintf(stderr,
		"usage: tcpbench server [--port P]\n"
		"       tcpbench client HOST:PORT [--socks5|--socks4|--http HOST:PORT]\n"
		"                       [--streams N] [--bytes B] [--dir up|down]\n"
		"                       [--latency N [--samples]] [--cps N] [--rr N [--samples]]\n"
		"                       [--hold N] [--timeout S]\n");
	exit(2);
}

static long number(const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		die("%s: want a number from %ld to %ld", s, min, max);
	return v;
}

int main(int argc, char **argv)
{
	struct client cl = { 0 };
	int streams = 1, latency = 0, cps = 0, rr = 0, hold = 0, port = 5300;
	uint64_t bytes = 200000000;
	enum op op = OP_DOWN;

	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2)
		usage();
	if (!strcmp(argv[1], "server")) {
		for (int i = 2; i < argc; i++) {
			if (!strcmp(argv[i], "--port") && i + 1 < argc)
				port = number(argv[++i], 1, 65535);
			else
				usage();
		}
		run_server(port);
	}
	if (strcmp(argv[1], "client") || argc < 3)
		usage();
	parse_endpoint(argv[2], &cl.target);
	for (int i = 3; i < argc; i++) {
		const char *opt = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(opt, "--samples")) {
			print_samples = 1;
			continue;
		}
		if (!val)
			usage();
		i++;
		if (!strcmp(opt, "--socks5") || !strcmp(opt, "--socks4") ||
		    !strcmp(opt, "--http")) {
			if (cl.proto)
				die("one proxy at most");
			parse_endpoint(val, &cl.proxy);
			if (!strcmp(opt, "--socks5"))
				cl.proto = PROXY_SOCKS5;
			else if (!strcmp(opt, "--socks4"))
				cl.proto = PROXY_SOCKS4;
			else
				cl.proto = PROXY_HTTP;
		} else if (!strcmp(opt, "--streams")) {
			streams = number(val, 1, MAX_STREAMS);
		} else if (!strcmp(opt, "--bytes")) {
			bytes = number(val, 1, 1L << 40);
		} else if (!strcmp(opt, "--dir")) {
			if (!strcmp(val, "up"))
				op = OP_UP;
			else if (!strcmp(val, "down"))
				op = OP_DOWN;
			else
				usage();
		} else if (!strcmp(opt, "--latency")) {
			latency = number(val, 1, 1000000);
		} else if (!strcmp(opt, "--cps")) {
			cps = number(val, 1, 100000000);
		} else if (!strcmp(opt, "--rr")) {
			rr = number(val, 1, 10000000);
		} else if (!strcmp(opt, "--hold")) {
			hold = number(val, 1, 1000000);
		} else if (!strcmp(opt, "--timeout")) {
			io_timeout = number(val, 1, 3600);
		} else {
			usage();
		}
	}
	if (!!latency + !!cps + !!rr + !!hold > 1)
		die("one of --latency, --cps, --rr and --hold");
	if (cl.proto == PROXY_SOCKS4 && cl.target.addr.ss_family != AF_INET)
		die("SOCKS4 carries IPv4 destinations only");
	if (latency)
		run_latency(&cl, latency);
	else if (cps)
		run_cps(&cl, cps, streams);
	else if (rr)
		run_rr(&cl, rr);
	else if (hold)
		run_hold(&cl, hold);
	else
		run_throughput(&cl, streams, bytes, op);
	return 0;
}
