// SPDX-License-Identifier: GPL-2.0
/*
 * The mprox fd API from a user's side: lifetime, binding, inheritance,
 * permissions, atomic directives, the JSON document and poll(). Runs as
 * root in the test guest with mprox.ko loaded; prints TAP.
 *
 *   fd-api run                 all tests
 *   fd-api hold NAME           create NAME, print "ready", wait for EOF
 *   fd-api apply NAME TEXT     attach to NAME and apply TEXT
 *   fd-api json NAME           attach to NAME and print its JSON
 *   fd-api read-loop NAME      attach to NAME and read its JSON at offset
 *                              0 (a new snapshot each time) until SIGTERM:
 *                              print "ready" after the first document, and
 *                              the number of documents read at the end
 *   fd-api exec-check FD NAME  (internal) is FD bound to NAME?
 *   fd-api path                which way mprox_create() made its fd:
 *                              "syscall" (the mprox_create() system call)
 *                              or "ioctl" (/dev/mprox and MPROX_IOC_CREATE)
 */
#include <fcntl.h>
#include <grp.h>
#include <linux/userfaultfd.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mprox.h"
#include "tap.h"

static bool dev_exists(const char *name)
{
	return if_nametoindex(name) != 0;
}

static char *json_of(int fd)
{
	char *j = mprox_status_json(fd);

	if (!j) {
		tap_diag("mprox_status_json: %s", strerror(errno));
		return strdup("");
	}
	return j;
}

static int run_cmd(const char *cmd)
{
	int rc = system(cmd);

	return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* Wait up to @ms for poll() events on @fd; returns revents. */
static short wait_events(int fd, short events, int ms)
{
	struct pollfd p = { .fd = fd, .events = events };

	if (poll(&p, 1, ms) <= 0)
		return 0;
	return p.revents;
}

static void test_create_close(void)
{
	char name[IFNAMSIZ] = "";
	int fd;

	fd = mprox_create("mproxt%d", MPROX_CLOEXEC);
	if (!tap_ok(fd >= 0, "mprox_create(\"mproxt%%d\") gives an fd (%s)", strerror(errno)))
		return;
	tap_ok(mprox_ifname(fd, name) == 0 && !strncmp(name, "mproxt", 6),
	       "the name's %%d is resolved: %s", name);
	tap_ok(dev_exists(name), "%s exists", name);
	close(fd);
	tap_ok(!dev_exists(name), "closing the only fd deletes %s", name);

	fd = mprox_create(NULL, 0);
	tap_ok(fd >= 0 && mprox_ifname(fd, name) == 0 && !strncmp(name, "mprox", 5),
	       "no name gives mprox%%d: %s", name);
	close(fd);

	tap_errno(mprox_create("bad name", 0), EINVAL, "a name with a space is EINVAL");
	tap_errno(mprox_create("waytoolongnamexxx", 0), ENAMETOOLONG,
		  "a 17-char name is ENAMETOOLONG");
	fd = mprox_create("mproxdup", 0);
	tap_errno(mprox_create("mproxdup", 0), EEXIST, "a taken name is EEXIST");
	close(fd);
	tap_errno(mprox_create("x", 0x100), EINVAL, "unknown flags are EINVAL");
}

static void test_persist(void)
{
	int fd, fd2;

	fd = mprox_create("mproxp0", MPROX_PERSIST);
	close(fd);
	tap_ok(dev_exists("mproxp0"), "MPROX_PERSIST keeps the device after close");
	fd = mprox_attach("mproxp0", 0);
	tap_ok(fd >= 0, "attach to the persistent device");
	tap_ok(mprox_apply(fd, "persist off\n") == 0, "persist off");
	close(fd);
	tap_ok(!dev_exists("mproxp0"), "after persist off the last close deletes it");

	fd = mprox_create("mproxp1", 0);
	tap_ok(mprox_set_persist(fd, 1) == 0, "MPROX_IOC_SET_PERSIST 1");
	close(fd);
	tap_ok(dev_exists("mproxp1"), "persistent by ioctl survives close");
	fd = mprox_attach("mproxp1", 0);
	fd2 = mprox_attach("mproxp1", 0);
	tap_ok(fd >= 0 && fd2 >= 0, "two fds on one device");
	mprox_set_persist(fd, 0);
	close(fd);
	tap_ok(dev_exists("mproxp1"), "closing one of two fds keeps the device");
	close(fd2);
	tap_ok(!dev_exists("mproxp1"), "closing the last deletes it");
}

static void test_attach(void)
{
	int fd, fd2;
	struct mprox_ioc_info info;

	tap_errno(mprox_attach("mproxnone", 0), ENODEV, "attach to a missing device is ENODEV");
	tap_errno(mprox_attach("lo", 0), ENODEV, "attach to a non-mprox device is ENODEV");
	fd = mprox_create("mproxa0", 0);
	fd2 = mprox_attach("mproxa0", 0);
	tap_ok(fd2 >= 0, "attach to a live device");
	tap_ok(mprox_apply(fd2, "upstream add a socks5://10.0.0.1:1080\n") == 0,
	       "apply through the attached fd");
	tap_ok(mprox_get_info(fd, &info) == 0 && info.upstreams == 1,
	       "the creating fd sees the change");
	{
		struct mprox_ioc_bind b = { .size = sizeof(b) };

		strcpy(b.name, "mproxa0");
		tap_errno(ioctl(fd, MPROX_IOC_ATTACH, &b), EBUSY,
			  "binding a bound fd again is EBUSY");
	}
	close(fd2);
	close(fd);
}

static void test_unbound(void)
{
	int fd = open(MPROX_DEVICE_PATH, O_RDWR);
	struct mprox_ioc_info info;
	char buf[16];

	if (!tap_ok(fd >= 0, "open /dev/mprox"))
		return;
	tap_errno(mprox_get_info(fd, &info), EBADFD, "ioctl on an unbound fd is EBADFD");
	tap_errno(write(fd, "persist on\n", 11), EBADFD, "write on an unbound fd is EBADFD");
	tap_errno(read(fd, buf, sizeof(buf)), EBADFD, "read on an unbound fd is EBADFD");
	tap_errno(ioctl(fd, _IO('T', 1), 0), ENOTTY, "a foreign ioctl is ENOTTY");
	tap_errno(ioctl(fd, _IO(MPROX_IOC_MAGIC, 0x7f), 0), ENOTTY,
		  "an unknown mprox ioctl is ENOTTY");
	close(fd);
}

/* Every line here must be refused, and the configuration left alone. */
static const struct bad_input {
	const char *text;
	size_t len; /* 0: strlen */
	int err;
} bad_inputs[] = {
	{ "upstream add a\n", 0, EINVAL },
	{ "upstream add a ftp://1.2.3.4:21\n", 0, EINVAL },
	{ "upstream add a socks5://\n", 0, EINVAL },
	{ "upstream add a socks5://1.2.3.4:0\n", 0, ERANGE },
	{ "upstream add a socks5://1.2.3.4:65536\n", 0, ERANGE },
	{ "upstream add a socks5://1.2.3.4:12x\n", 0, EINVAL },
	{ "upstream add a socks5://1.2.3.999\n", 0, EINVAL },
	{ "upstream add a socks5://[fe80::1%eth0]:1080\n", 0, EINVAL },
	{ "upstream add a socks5://[::1\n", 0, EINVAL },
	{ "upstream add a socks5://u:p@@1.2.3.4\n", 0, EINVAL },
	{ "upstream add a socks5://1.2.3.4 weight 0\n", 0, ERANGE },
	{ "upstream add a socks5://1.2.3.4 weight 1001\n", 0, ERANGE },
	{ "upstream add a socks5://1.2.3.4 colour blue\n", 0, EINVAL },
	{ "upstream add abcdefghijabcdefghijabcdefghij12 socks5://1.2.3.4\n", 0, ENAMETOOLONG },
	{ "upstream add bad/name socks5://1.2.3.4\n", 0, EINVAL },
	{ "upstream add keep socks5://1.2.3.4\n", 0, EEXIST }, /* duplicate */
	{ "upstream del nothere\n", 0, ENOENT },
	{ "upstream\n", 0, EINVAL },
	{ "upstream frob\n", 0, EINVAL },
	{ "persist maybe\n", 0, EINVAL },
	{ "fwmark 0\n", 0, ERANGE },
	{ "fwmark 4294967296\n", 0, ERANGE },
	{ "fwmark -1\n", 0, EINVAL },
	{ "set connect_timeout_ms 1\n", 0, ERANGE },
	{ "set max_flows 99999999999999999999999\n", 0, ERANGE },
	{ "set no_such_key 1\n", 0, EINVAL },
	{ "set max_flows\n", 0, EINVAL },
	{ "dns fake-ip 0.0.0.0/7\n", 0, ERANGE },
	{ "dns fake-ip 198.18.0.1/15\n", 0, EINVAL },
	{ "rule add uid 1000\n", 0, EINVAL }, /* no action */
	{ "rule add uid 1000 cgroup /mprox-nosuch reject\n", 0, ENOENT }, /* no such cgroup */
	{ "rule add uid 1000 upstream nothere\n", 0, ENOENT },
	{ "rule del 1\n", 0, ENOENT },
	{ "frobnicate\n", 0, EINVAL },
	{ "persist on\nupstream add b socks5://1.2.3.4\0\n", 40, EINVAL }, /* NUL */
	{ "upstream add caf\xc3\xa9 socks5://1.2.3.4\n", 0, EINVAL }, /* UTF-8 */
	{ "upstream add b socks5://1.2.3.4\xff\n", 0, EINVAL },
	{ "upstream add b socks5://1.2.3.4\x01\n", 0, EINVAL },
	/* The first lines are fine; the last one spoils the whole write. */
	{ "persist on\nfwmark 7\nupstream add c socks5://1.1.1.1\nbogus\n", 0, EINVAL },
};

static void test_bad_directives(void)
{
	static char big[1024 * 1024];
	char *before, *after;
	unsigned int i, same = 0;
	size_t line_len;
	int fd;
	char *line;

	fd = mprox_create("mproxbad", 0);
	if (!tap_ok(fd >= 0, "create mproxbad"))
		return;
	tap_ok(mprox_apply(
		       fd,
		       "# a config\n\n  upstream add keep socks5://u:pw@10.1.1.1:1080 weight 3\n"
		       "fwmark 0x1234\nset connect_timeout_ms 5000\n") == 0,
	       "a good configuration applies");
	before = json_of(fd);
	for (i = 0; i < sizeof(bad_inputs) / sizeof(bad_inputs[0]); i++) {
		const struct bad_input *b = &bad_inputs[i];
		size_t len = b->len ? b->len : strlen(b->text);
		char shown[64];
		size_t k;

		for (k = 0; k < sizeof(shown) - 1 && k < len && b->text[k] != '\n'; k++)
			shown[k] = (b->text[k] >= 0x20 && b->text[k] < 0x7f) ? b->text[k] : '?';
		shown[k] = '\0';
		tap_errno(write(fd, b->text, len), b->err, "'%s' is refused", shown);
		after = json_of(fd);
		same += !strcmp(before, after);
		free(after);
	}
	tap_ok(same == i, "configuration byte-identical after every refused write (%u/%u)", same,
	       i);

	memset(big, 'x', sizeof(big));
	tap_errno(write(fd, big, sizeof(big)), E2BIG, "a 1 MiB write is E2BIG");
	tap_errno(write(fd, big, 64 * 1024 + 1), E2BIG, "a write of 64 KiB + 1 is E2BIG");
	line_len = 3000;
	line = malloc(line_len + 2);
	memcpy(line, "upstream add ", 13);
	memset(line + 13, 'a', line_len - 13);
	line[line_len] = '\n';
	tap_errno(write(fd, line, line_len + 1), E2BIG, "a 3000-byte line is E2BIG");
	free(line);
	{
		/* 64 upstreams fit, the 65th does not, and none of them lands. */
		char text[64 * 64], *p = text;
		int k;

		for (k = 0; k < 65; k++)
			p += sprintf(p, "upstream add u%d socks5://10.2.0.%d\n", k, k + 1);
		tap_errno(write(fd, text, p - text), E2BIG, "65 upstreams in one write is E2BIG");
	}
	after = json_of(fd);
	tap_ok(!strcmp(before, after), "configuration still byte-identical");
	free(after);
	free(before);
	close(fd);
}

static void test_ioctl_upstreams(void)
{
	struct mprox_ioc_info info;
	int fd = mprox_create("mproxio", 0);

	tap_ok(mprox_add_upstream(fd, "p1", "http://user:pw@10.3.0.1:3128", 5) == 0,
	       "MPROX_IOC_ADD_UPSTREAM");
	tap_errno(mprox_add_upstream(fd, "p1", "http://10.3.0.2", 0), EEXIST,
		  "ioctl add of a taken name is EEXIST");
	tap_errno(mprox_add_upstream(fd, "p2", "socks5://10.3.0.2 weight 2", 0), EINVAL,
		  "an ioctl URL cannot smuggle extra words");
	tap_errno(mprox_add_upstream(fd, "p2\nfwmark", "socks5://10.3.0.2", 0), EINVAL,
		  "an ioctl name cannot smuggle a second line");
	tap_ok(mprox_get_info(fd, &info) == 0 && info.upstreams == 1 && info.fwmark == 0x6d70,
	       "GET_INFO: one upstream, default fwmark 0x6d70");
	tap_ok(mprox_del_upstream(fd, "p1") == 0, "MPROX_IOC_DEL_UPSTREAM");
	tap_errno(mprox_del_upstream(fd, "p1"), ENOENT, "deleting it again is ENOENT");
	{
		char *json;

		tap_ok(mprox_add_upstream_priority(fd, "p3", "socks5://10.3.0.3", 3, 7) == 0,
		       "MPROX_IOC_ADD_UPSTREAM with priority 7, weight 3");
		json = json_of(fd);
		tap_ok(json && strstr(json, "\"priority\":7,\"weight\":3"),
		       "the document says priority 7, weight 3");
		free(json);
		tap_errno(mprox_add_upstream_priority(fd, "p4", "socks5://10.3.0.4", 0, 256),
			  ERANGE, "ioctl priority 256 is ERANGE");
		tap_errno(mprox_add_upstream_priority(fd, "p4", "socks5://10.3.0.4", 1001, 0),
			  ERANGE, "ioctl weight 1001 is ERANGE");
	}
	{
		/* What the first libmprox sent: the struct up to url. */
		struct mprox_ioc_upstream u = { 0 };
		unsigned long older = _IOW(MPROX_IOC_MAGIC, _IOC_NR(MPROX_IOC_ADD_UPSTREAM),
					   char[offsetof(struct mprox_ioc_upstream, priority)]);

		u.size = offsetof(struct mprox_ioc_upstream, priority);
		strcpy(u.name, "p5");
		strcpy(u.url, "socks5://10.3.0.5");
		tap_ok(ioctl(fd, older, &u) == 0, "the struct without priority still adds");
		u.size = sizeof(u);
		u.reserved = 1;
		strcpy(u.name, "p6");
		tap_errno(ioctl(fd, MPROX_IOC_ADD_UPSTREAM, &u), EINVAL,
			  "reserved not zero is EINVAL");
		tap_ok(mprox_del_upstream(fd, "p3") == 0 && mprox_del_upstream(fd, "p5") == 0,
		       "both deleted");
	}
	{
		struct mprox_ioc_prefix *p = NULL, one = { .len = 77 };
		struct mprox_ioc_set s = { .size = sizeof(s), .count = 1, .name = "s" };
		size_t n = 0;

		tap_ok(mprox_apply(fd, "set add s 2001:db8::/32 192.168.1.0/24 10.0.0.0/8\n") == 0,
		       "a set of three prefixes");
		tap_ok(mprox_get_set(fd, "s", &p, &n) == 0 && n == 3 && p[0].family == AF_INET &&
			       p[0].len == 8 && p[0].addr[0] == 10 && p[1].addr[0] == 192 &&
			       p[1].len == 24 && p[2].family == AF_INET6 && p[2].len == 32 &&
			       p[2].addr[0] == 0x20 && p[2].addr[3] == 0xb8,
		       "MPROX_IOC_GET_SET: the three, by family and address");
		free(p);
		s.prefixes = (uintptr_t)&one;
		tap_ok(ioctl(fd, MPROX_IOC_GET_SET, &s) == 0 && s.count == 3 && one.len == 77,
		       "room for one: the count, and nothing written");
		tap_errno(mprox_get_set(fd, "nosuch", &p, &n), ENOENT,
			  "a set that is not there: ENOENT");
		tap_errno(mprox_get_set(fd, "abcdefghijklmnopqrstuvwxyz0123456", &p, &n),
			  ENAMETOOLONG, "a name of 33 bytes: ENAMETOOLONG");
		tap_ok(mprox_apply(fd, "set flush s\n") == 0, "the set flushed");
	}
	{
		/* A newer, bigger struct with a non-zero unknown tail. */
		char raw[sizeof(struct mprox_ioc_info) + 8] = { 0 };
		struct mprox_ioc_info *i = (void *)raw;

		/* What a newer libmprox would send: the bigger size in cmd too. */
		unsigned long newer = _IOR(MPROX_IOC_MAGIC, _IOC_NR(MPROX_IOC_GET_INFO), raw);

		i->size = sizeof(raw);
		tap_ok(ioctl(fd, MPROX_IOC_GET_INFO, raw) == 0,
		       "a larger zero-tailed struct is fine");
		i->size = sizeof(raw);
		tap_ok(ioctl(fd, newer, raw) == 0 && i->size == sizeof(struct mprox_ioc_info),
		       "a command number encoding a larger size is the same command");
		i->size = sizeof(raw); /* the kernel wrote back its own size */
		raw[sizeof(raw) - 1] = 1;
		tap_errno(ioctl(fd, MPROX_IOC_GET_INFO, raw), E2BIG,
			  "a larger struct with unknown non-zero fields is E2BIG");
		i->size = 4;
		tap_errno(ioctl(fd, MPROX_IOC_GET_INFO, raw), EINVAL,
			  "a truncated struct is EINVAL");
	}
	{
		/*
		 * An fd opened read-only changes nothing, by ioctl as by
		 * write(): it may be handed to a reader.
		 */
		struct mprox_ioc_bind b = { .size = sizeof(b), .name = "mproxio" };
		int ro = open(MPROX_DEVICE_PATH, O_RDONLY | O_CLOEXEC);
		char buf[64];

		tap_errno(mprox_add_upstream(ro, "ro", "socks5://10.3.0.9", 0), EBADFD,
			  "MPROX_IOC_ADD_UPSTREAM on it unbound is EBADFD, as on any unbound fd");
		tap_ok(ro >= 0 && ioctl(ro, MPROX_IOC_ATTACH, &b) == 0,
		       "a read-only fd attaches to the device");
		tap_ok(mprox_get_info(ro, &info) == 0 && read(ro, buf, sizeof(buf)) > 0,
		       "and reads its state");
		tap_errno(write(ro, "fwmark 7\n", 9), EBADF, "write() on it is EBADF");
		tap_errno(mprox_add_upstream(ro, "ro", "socks5://10.3.0.9", 0), EBADF,
			  "MPROX_IOC_ADD_UPSTREAM on it is EBADF");
		tap_ok(mprox_add_upstream(fd, "keep", "socks5://10.3.0.9", 0) == 0,
		       "an upstream added through the read-write fd");
		tap_errno(mprox_del_upstream(ro, "keep"), EBADF,
			  "MPROX_IOC_DEL_UPSTREAM on it is EBADF");
		tap_errno(mprox_set_persist(ro, 1), EBADF, "MPROX_IOC_SET_PERSIST on it is EBADF");
		tap_ok(mprox_get_info(fd, &info) == 0 && info.upstreams == 1 &&
			       !(info.flags & MPROX_F_PERSIST),
		       "the device as before: its one upstream, not persistent");
		tap_ok(mprox_del_upstream(fd, "keep") == 0, "deleted through the read-write fd");
		if (ro >= 0)
			close(ro);
	}
	close(fd);
}

static void test_fork_exec(const char *self)
{
	char fdstr[16];
	int fd, keep, status;
	pid_t pid;

	fd = mprox_create("mproxfx", MPROX_CLOEXEC);
	keep = mprox_attach("mproxfx", 0);
	mprox_apply(fd, "upstream add inherited socks5://10.4.0.1\n");
	pid = fork();
	if (pid == 0) {
		struct mprox_ioc_info info;

		_exit(mprox_get_info(fd, &info) == 0 && info.upstreams == 1 ? 0 : 1);
	}
	waitpid(pid, &status, 0);
	tap_ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "a forked child uses the fd");

	pid = fork();
	if (pid == 0) {
		snprintf(fdstr, sizeof(fdstr), "%d", keep);
		execl(self, self, "exec-check", fdstr, "mproxfx", (char *)NULL);
		_exit(99);
	}
	waitpid(pid, &status, 0);
	tap_ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	       "an fd without close-on-exec survives exec, bound and configured");

	pid = fork();
	if (pid == 0) {
		snprintf(fdstr, sizeof(fdstr), "%d", fd);
		execl(self, self, "exec-check", fdstr, "mproxfx", (char *)NULL);
		_exit(99);
	}
	waitpid(pid, &status, 0);
	tap_ok(WIFEXITED(status) && WEXITSTATUS(status) == 3,
	       "an MPROX_CLOEXEC fd is closed by exec (status %d)", WEXITSTATUS(status));
	close(keep);
	close(fd);
	tap_ok(!dev_exists("mproxfx"), "device gone once every copy is closed");
}

static int exec_check(int fd, const char *name)
{
	struct mprox_ioc_info info;

	if (fcntl(fd, F_GETFD) < 0)
		return 3;
	if (mprox_get_info(fd, &info) < 0)
		return 4;
	return strcmp(info.name, name) || info.upstreams != 1 ? 5 : 0;
}

/* One byte of data carrying room for one SCM_RIGHTS fd. */
struct rights_msg {
	char byte;
	struct iovec iov;
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr msg;
};

static void rights_msg_init(struct rights_msg *m)
{
	memset(m, 0, sizeof(*m));
	m->byte = 'x';
	m->iov.iov_base = &m->byte;
	m->iov.iov_len = 1;
	m->msg.msg_iov = &m->iov;
	m->msg.msg_iovlen = 1;
	m->msg.msg_control = m->u.buf;
	m->msg.msg_controllen = sizeof(m->u.buf);
}

static int send_fd(int sock, int fd)
{
	struct rights_msg m;
	struct cmsghdr *c0;

	rights_msg_init(&m);
	c0 = CMSG_FIRSTHDR(&m.msg);
	c0->cmsg_level = SOL_SOCKET;
	c0->cmsg_type = SCM_RIGHTS;
	c0->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c0), &fd, sizeof(int));
	return sendmsg(sock, &m.msg, 0) == 1 ? 0 : -1;
}

static int recv_fd(int sock)
{
	struct rights_msg m;
	struct cmsghdr *c0;
	int fd;

	rights_msg_init(&m);
	if (recvmsg(sock, &m.msg, 0) != 1)
		return -1;
	c0 = CMSG_FIRSTHDR(&m.msg);
	if (!c0 || c0->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(c0), sizeof(int));
	return fd;
}

static void test_scm_rights(void)
{
	int sv[2], fd, status, got;
	pid_t pid;
	char *before, *after;

	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		fd = mprox_create("mproxscm", 0);
		if (fd < 0 ||
		    mprox_apply(fd, "upstream add passed socks5://u:hidden@10.5.0.1\n"
				    "set max_flows 77\n") ||
		    send_fd(sv[1], fd))
			_exit(1);
		_exit(0); /* our copy closes: the device must live on in the parent */
	}
	close(sv[1]);
	got = recv_fd(sv[0]);
	waitpid(pid, &status, 0);
	tap_ok(got >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	       "an fd arrives over SCM_RIGHTS from a child that then exits");
	before = json_of(got);
	tap_ok(strstr(before, "\"passed\"") && strstr(before, "\"max_flows\":77"),
	       "its configuration came with it");
	tap_ok(dev_exists("mproxscm"), "the device outlived the sender");
	after = json_of(got);
	tap_ok(!strcmp(before, after), "two reads give the same document");
	free(before);
	free(after);
	close(got);
	close(sv[0]);
	tap_ok(!dev_exists("mproxscm"), "closing the passed fd deletes the device");
}

static void test_permissions(void)
{
	int status;
	pid_t pid;

	pid = fork();
	if (pid == 0) {
		if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
			_exit(10);
		errno = 0;
		_exit(mprox_create("mproxeperm", 0) < 0 && errno == EPERM ? 0 : 1);
	}
	waitpid(pid, &status, 0);
	tap_ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	       "an unprivileged user gets EPERM (status %d)", WEXITSTATUS(status));
	tap_ok(!dev_exists("mproxeperm"), "and no device");

	pid = fork();
	if (pid == 0) {
		char map[64];
		int f, fd;

		if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
			_exit(10);
		/* setuid() made us non-dumpable: /proc/self would be root's. */
		prctl(PR_SET_DUMPABLE, 1);
		if (unshare(CLONE_NEWUSER | CLONE_NEWNET))
			_exit(11);
		f = open("/proc/self/setgroups", O_WRONLY);
		if (f < 0 || write(f, "deny", 4) != 4)
			_exit(12);
		close(f);
		snprintf(map, sizeof(map), "0 65534 1");
		f = open("/proc/self/uid_map", O_WRONLY);
		if (f < 0 || write(f, map, strlen(map)) != (ssize_t)strlen(map))
			_exit(13);
		close(f);
		fd = mprox_create("mproxuserns", 0);
		if (fd < 0)
			_exit(14);
		/* In the new namespace, not in the initial one. */
		_exit(if_nametoindex("mproxuserns") ? 0 : 15);
	}
	waitpid(pid, &status, 0);
	tap_ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	       "root in a new user+net namespace may create a device there (status %d)",
	       WEXITSTATUS(status));
	tap_ok(!dev_exists("mproxuserns"), "and it is not in the initial namespace");
}

static void test_poll(void)
{
	char buf[4096];
	int fd, other;
	ssize_t n;
	short ev;

	fd = mprox_create("mproxpoll", 0);
	other = mprox_attach("mproxpoll", 0);
	tap_ok(wait_events(fd, POLLIN, 0) == 0, "no POLLIN before any change");
	tap_ok(wait_events(fd, POLLOUT, 0) & POLLOUT, "POLLOUT while bound");
	mprox_apply(other, "fwmark 99\n");
	tap_ok(wait_events(fd, POLLIN, 2000) & POLLIN, "POLLIN after another fd's change");
	/* A read of 0 bytes gave the reader nothing of it. */
	tap_ok(pread(fd, buf, 0, 0) == 0 && (wait_events(fd, POLLIN, 0) & POLLIN),
	       "a read of 0 bytes leaves POLLIN");
	tap_ok(pread(fd, buf, sizeof(buf), 0) > 0, "read the new state");
	tap_ok(wait_events(fd, POLLIN, 0) == 0, "no POLLIN once read");
	run_cmd("ip link set mproxpoll up");
	tap_ok(wait_events(fd, POLLIN, 2000) & POLLIN, "POLLIN when the link goes up");
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	tap_ok(strstr(buf, "\"up\":true") != NULL, "and the document read then says up");
	run_cmd("ip link set mproxpoll mtu 1400");
	tap_ok(wait_events(fd, POLLIN, 2000) & POLLIN, "POLLIN when the MTU changes");
	pread(fd, buf, sizeof(buf), 0);
	run_cmd("ip link set mproxpoll down"); /* a running link cannot be renamed */
	tap_ok(wait_events(fd, POLLIN, 2000) & POLLIN, "POLLIN when the link goes down");
	pread(fd, buf, sizeof(buf), 0);
	run_cmd("ip link set mproxpoll name mproxpoll2");
	tap_ok(wait_events(fd, POLLIN, 2000) & POLLIN, "POLLIN when the device is renamed");
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	buf[n > 0 ? n : 0] = '\0';
	tap_ok(strstr(buf, "\"mproxpoll2\"") != NULL, "and the document has the new name");
	run_cmd("ip link set mproxpoll2 name mproxpoll");
	pread(fd, buf, sizeof(buf), 0);
	run_cmd("ip link del mproxpoll");
	ev = wait_events(fd, POLLIN, 2000);
	tap_ok((ev & (POLLERR | POLLHUP)) == (POLLERR | POLLHUP),
	       "POLLERR|POLLHUP after ip link del (revents 0x%x)", ev);
	tap_errno(write(fd, "fwmark 1\n", 9), ENODEV, "write after deletion is ENODEV");
	tap_errno(pread(fd, buf, sizeof(buf), 0), ENODEV, "read after deletion is ENODEV");
	tap_errno(mprox_get_stats(other, &(struct mprox_ioc_stats){ 0 }), ENODEV,
		  "ioctl after deletion is ENODEV");
	close(fd);
	close(other);
}

/*
 * Task @tid of this process sleeps in system call @nr, or @pid sleeps
 * there if @tid is 0: waits up to 30 s for that.
 */
static bool wait_sleeping_in(pid_t pid, pid_t tid, long nr)
{
	char path[64], buf[256];
	double end = tap_now() + 30;
	FILE *fp;

	do {
		long got = -1;
		char state = 0;

		snprintf(path, sizeof(path),
			 tid ? "/proc/self/task/%d/syscall" : "/proc/%d/syscall", tid ? tid : pid);
		fp = fopen(path, "r");
		if (fp && fscanf(fp, "%ld", &got) != 1)
			got = -1;
		if (fp)
			fclose(fp);
		snprintf(path, sizeof(path), tid ? "/proc/self/task/%d/stat" : "/proc/%d/stat",
			 tid ? tid : pid);
		fp = fopen(path, "r");
		if (fp && fgets(buf, sizeof(buf), fp) && strrchr(buf, ')'))
			state = strrchr(buf, ')')[2];
		if (fp)
			fclose(fp);
		if (got == nr && (state == 'S' || state == 'D'))
			return true;
		usleep(10000);
	} while (tap_now() < end);
	return false;
}

/* A poll() on an unbound fd wakes when another thread binds it. */
static void test_poll_bind(void)
{
	struct mprox_ioc_bind b = { .size = sizeof(b) };
	int fd, owner, status;
	double t0;
	pid_t pid;

	owner = mprox_create("mproxpb", 0);
	fd = open(MPROX_DEVICE_PATH, O_RDWR);
	if (!tap_ok(owner >= 0 && fd >= 0, "a device and an unbound fd")) {
		close(owner);
		close(fd);
		return;
	}
	tap_errno(ioctl(fd, MPROX_IOC_GET_INFO, NULL), EBADFD,
		  "an unbound fd is EBADFD, before the argument is looked at");
	tap_ok(wait_events(fd, POLLOUT, 0) == 0, "no POLLOUT while unbound");
	pid = fork();
	if (pid == 0)
		_exit(wait_events(fd, POLLOUT, 60000) & POLLOUT ? 0 : 1);
	t0 = tap_now();
	tap_ok(wait_sleeping_in(pid, 0, SYS_poll), "a process sleeps in poll() on it");
	strcpy(b.name, "mproxpb");
	tap_ok(ioctl(fd, MPROX_IOC_ATTACH, &b) == 0, "then the fd is attached");
	waitpid(pid, &status, 0);
	tap_ok(WIFEXITED(status) && WEXITSTATUS(status) == 0 && tap_now() - t0 < 30,
	       "and the poll() wakes with POLLOUT (status %d, after %.1f s)", WEXITSTATUS(status),
	       tap_now() - t0);
	tap_errno(ioctl(fd, _IO(MPROX_IOC_MAGIC, 0x7f), 0), ENOTTY,
		  "an unknown mprox ioctl on a bound fd is ENOTTY too");
	close(fd);
	close(owner);
}

struct blocked_call {
	int fd;
	bool read; /* pread() at offset 0, else MPROX_IOC_GET_INFO */
	void *buf;
	pid_t tid;
	long rc;
	int err;
};

static void *blocked_call_run(void *arg)
{
	struct blocked_call *c = arg;

	__atomic_store_n(&c->tid, (pid_t)syscall(SYS_gettid), __ATOMIC_RELEASE);
	errno = 0;
	c->rc = c->read ? pread(c->fd, c->buf, 4096, 0) : ioctl(c->fd, MPROX_IOC_GET_INFO, c->buf);
	c->err = errno;
	return NULL;
}

static bool blocked_call_start(pthread_t *th, struct blocked_call *c)
{
	return pthread_create(th, NULL, blocked_call_run, c) == 0;
}

/* The thread's id once it has run (up to 30 s), else 0. */
static pid_t blocked_call_tid(struct blocked_call *c)
{
	double end = tap_now() + 30;
	pid_t tid;

	while (!(tid = __atomic_load_n(&c->tid, __ATOMIC_ACQUIRE)) && tap_now() < end)
		usleep(1000);
	return tid;
}

/* Wait up to 30 s for the userfaultfd's next fault; its address or 0. */
static unsigned long uffd_next_fault(int uffd)
{
	struct uffd_msg msg;

	if (!(wait_events(uffd, POLLIN, 30000) & POLLIN) ||
	    read(uffd, &msg, sizeof(msg)) != sizeof(msg) || msg.event != UFFD_EVENT_PAGEFAULT)
		return 0;
	return msg.arg.pagefault.address;
}

/* Fill the page at @addr with @src: the faulting call goes on. */
static bool uffd_resolve(int uffd, void *addr, const void *src, long page)
{
	struct uffdio_copy cp = {
		.dst = (unsigned long)addr,
		.src = (unsigned long)src,
		.len = page,
	};

	return ioctl(uffd, UFFDIO_COPY, &cp) == 0;
}

/* "ip link del @name" in the background: its pid. */
static pid_t link_del_start(const char *name)
{
	pid_t pid = fork();

	if (pid == 0) {
		execlp("ip", "ip", "link", "del", name, (char *)NULL);
		_exit(127);
	}
	return pid;
}

/*
 * @pid's exit status if it exits within @secs (reaped), else -1: it is
 * still stuck, and the caller reaps it once it has freed what it waits on.
 */
static int link_del_wait(pid_t pid, double secs)
{
	double end = tap_now() + secs;
	int status;

	while (waitpid(pid, &status, WNOHANG) == 0) {
		if (tap_now() > end)
			return -1;
		usleep(10000);
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/*
 * A call whose user buffer faults for ever (userfaultfd here; FUSE, a
 * stalled NFS mapping) must not pin the device: "ip link del", and with
 * it the namespace cleanup of the whole machine, would wait on it. Two
 * ways in: an ioctl that copies its argument in, and a read() queued
 * behind another read() whose copy out faults.
 */
static void test_faulting_buffers(void)
{
	long page = sysconf(_SC_PAGESIZE);
	struct uffdio_register reg = { 0 };
	struct uffdio_api api = { .api = UFFD_API };
	struct mprox_ioc_info info = { .size = sizeof(info) };
	struct blocked_call call, first, second;
	pthread_t th, th2;
	char *mem, *src, other[4096];
	int uffd, fd = -1, rc;
	pid_t del, tid;

	uffd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (uffd < 0 && errno == ENOSYS) {
		/* A kernel built without it (the debug kernel's fragment has it). */
		printf("ok %d - a userfaultfd # SKIP not in this kernel\n", ++tap_n);
		return;
	}
	if (!tap_ok(uffd >= 0 && ioctl(uffd, UFFDIO_API, &api) == 0, "a userfaultfd%s%s",
		    uffd < 0 ? ": " : "", uffd < 0 ? strerror(errno) : "")) {
		close(uffd);
		return;
	}
	mem = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	src = calloc(1, page);
	reg.range.start = (unsigned long)mem;
	reg.range.len = 2 * page;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	if (!tap_ok(mem != MAP_FAILED && src && ioctl(uffd, UFFDIO_REGISTER, &reg) == 0,
		    "two pages that fault until we fill them"))
		goto out;

	fd = mprox_create("mproxuf", 0);
	call = (struct blocked_call){ .fd = fd, .buf = mem };
	if (!tap_ok(fd >= 0 && blocked_call_start(&th, &call), "a thread calls MPROX_IOC_GET_INFO"))
		goto out;
	tap_ok(uffd_next_fault(uffd) == (unsigned long)mem, "its argument faults");
	del = link_del_start("mproxuf");
	rc = link_del_wait(del, 30);
	tap_ok(rc == 0, "ip link del finishes while it waits on the fault (%d; -1: not in 30 s)",
	       rc);
	memcpy(src, &info, sizeof(info));
	uffd_resolve(uffd, mem, src, page);
	pthread_join(th, NULL);
	if (rc < 0)
		link_del_wait(del, 60);
	tap_ok(call.rc == -1 && call.err == ENODEV,
	       "and the ioctl then fails with ENODEV (rc %ld, %s)", call.rc, strerror(call.err));
	close(fd);

	fd = mprox_create("mproxuf", 0);
	first = (struct blocked_call){ .fd = fd, .read = true, .buf = mem + page };
	second = (struct blocked_call){ .fd = fd, .read = true, .buf = other };
	if (!tap_ok(fd >= 0 && blocked_call_start(&th, &first), "a thread reads the document"))
		goto out;
	tap_ok(uffd_next_fault(uffd) == (unsigned long)(mem + page), "its buffer faults");
	if (!tap_ok(blocked_call_start(&th2, &second), "a second thread reads it too")) {
		uffd_resolve(uffd, mem + page, src, page);
		pthread_join(th, NULL);
		goto out;
	}
	tid = blocked_call_tid(&second);
	tap_ok(tid && wait_sleeping_in(0, tid, SYS_pread64), "and waits behind the first");
	del = link_del_start("mproxuf");
	rc = link_del_wait(del, 30);
	tap_ok(rc == 0, "ip link del finishes while both wait (%d; -1: not in 30 s)", rc);
	uffd_resolve(uffd, mem + page, src, page);
	pthread_join(th, NULL);
	pthread_join(th2, NULL);
	if (rc < 0)
		link_del_wait(del, 60);
	tap_ok(first.rc > 0, "the first read() gets the document it began (rc %ld)", first.rc);
	tap_ok(second.rc == -1 && second.err == ENODEV, "the second fails with ENODEV (rc %ld, %s)",
	       second.rc, strerror(second.err));
out:
	if (fd >= 0)
		close(fd);
	if (mem != MAP_FAILED)
		munmap(mem, 2 * page);
	free(src);
	close(uffd);
}

/* Offset 0 takes a snapshot; later offsets continue it, even after a change. */
static void test_snapshot_reads(void)
{
	char whole[8192], pieces[8192];
	ssize_t n, total = 0;
	int fd;

	fd = mprox_create("mproxsnap", 0);
	mprox_apply(fd, "upstream add first socks5://10.8.0.1\n");
	n = pread(fd, whole, sizeof(whole) - 1, 0);
	whole[n > 0 ? n : 0] = '\0';
	n = pread(fd, pieces, 7, 0);
	total = n > 0 ? n : 0;
	mprox_apply(fd, "upstream add second socks5://10.8.0.2\n");
	while ((n = pread(fd, pieces + total, 7, total)) > 0)
		total += n;
	pieces[total] = '\0';
	tap_ok(!strcmp(whole, pieces), "7-byte reads continue the snapshot taken at offset 0");
	tap_ok(!strstr(pieces, "second"), "a change after the snapshot is not mixed into it");
	n = pread(fd, pieces, sizeof(pieces) - 1, 0);
	pieces[n > 0 ? n : 0] = '\0';
	tap_ok(strstr(pieces, "second") != NULL, "reading at offset 0 again shows the change");
	close(fd);
}

static void test_netns_teardown(void)
{
	int sv[2], fd, status;
	short ev;
	pid_t pid;

	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	pid = fork();
	if (pid == 0) {
		if (unshare(CLONE_NEWNET))
			_exit(1);
		fd = mprox_create("mproxns", 0);
		_exit(fd < 0 || send_fd(sv[1], fd) ? 2 : 0);
	}
	fd = recv_fd(sv[0]);
	waitpid(pid, &status, 0);
	tap_ok(fd >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0,
	       "a device made in a namespace whose last process exits");
	ev = wait_events(fd, POLLIN, 20000);
	tap_ok(ev & POLLHUP, "its fd reports POLLHUP once the namespace is gone (0x%x)", ev);
	tap_errno(write(fd, "fwmark 1\n", 9), ENODEV, "and ENODEV on write");
	close(fd);
	close(sv[0]);
	close(sv[1]);
}

static void test_fdinfo(void)
{
	char path[64], buf[512];
	int fd, f;
	ssize_t n;

	fd = mprox_create("mproxinfo", 0);
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = open(path, O_RDONLY);
	n = read(f, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	tap_ok(strstr(buf, "mprox-iff:\tmproxinfo\n") != NULL, "fdinfo names the device");
	close(f);
	close(fd);
}

static void test_cycles(void)
{
	int i, bad = 0, fd;

	for (i = 0; i < 1000; i++) {
		fd = mprox_create("mproxcyc", 0);
		if (fd < 0 || mprox_apply(fd, "upstream add a socks5://u:p@10.6.0.1\n")) {
			bad++;
			if (fd >= 0)
				close(fd);
			continue;
		}
		close(fd);
	}
	tap_ok(bad == 0, "1000 create/configure/close cycles (%d failed)", bad);
	tap_ok(!dev_exists("mproxcyc"), "no device left behind");
}

static int cmd_hold(const char *name)
{
	char c;
	int fd = mprox_create(name, 0);

	if (fd < 0) {
		perror("mprox_create");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	while (read(0, &c, 1) > 0)
		;
	return 0;
}

static int cmd_apply(const char *name, const char *text)
{
	int fd = mprox_attach(name, 0);

	if (fd < 0 || mprox_apply(fd, text) < 0) {
		fprintf(stderr, "fd-api: %s\n", mprox_strerror(errno));
		return 1;
	}
	return 0;
}

static int cmd_json(const char *name)
{
	int fd = mprox_attach(name, 0);
	char *j = fd < 0 ? NULL : mprox_status_json(fd);

	if (!j) {
		fprintf(stderr, "fd-api: %s\n", mprox_strerror(errno));
		return 1;
	}
	fputs(j, stdout);
	free(j);
	return 0;
}

static volatile sig_atomic_t read_loop_stop;

static void read_loop_term(int sig)
{
	(void)sig;
	read_loop_stop = 1;
}

/*
 * One read() of a buffer bigger than any document is one snapshot (libmprox
 * starts smaller and reads again with more room).
 */
static int cmd_read_loop(const char *name)
{
	struct sigaction sa = { .sa_handler = read_loop_term };
	static char buf[1 << 20];
	int fd = mprox_attach(name, 0);
	unsigned long reads = 0;
	ssize_t n;

	sigaction(SIGTERM, &sa, NULL);
	if (fd < 0) {
		fprintf(stderr, "fd-api: %s\n", mprox_strerror(errno));
		return 1;
	}
	while (!read_loop_stop) {
		n = pread(fd, buf, sizeof(buf), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 2 || buf[0] != '{' || buf[n - 1] != '\n') {
			fprintf(stderr, "fd-api: read %zd: %s\n", n,
				n < 0 ? mprox_strerror(errno) : "not one document");
			return 1;
		}
		if (!reads++) {
			printf("ready\n");
			fflush(stdout);
		}
	}
	printf("%lu\n", reads);
	return 0;
}

static int cmd_path(void)
{
	char link[32], target[64];
	ssize_t n;
	int fd;

	fd = mprox_create("mproxpath", MPROX_CLOEXEC);
	if (fd < 0) {
		perror("fd-api: mprox_create");
		return 1;
	}
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	target[n < 0 ? 0 : n] = '\0';
	close(fd);
	if (!strcmp(target, "anon_inode:[mprox]"))
		puts("syscall");
	else if (!strcmp(target, MPROX_DEVICE_PATH))
		puts("ioctl");
	else
		printf("unknown: %s\n", target);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "path"))
		return cmd_path();
	if (argc == 3 && !strcmp(argv[1], "hold"))
		return cmd_hold(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "apply"))
		return cmd_apply(argv[2], argv[3]);
	if (argc == 3 && !strcmp(argv[1], "json"))
		return cmd_json(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "read-loop"))
		return cmd_read_loop(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "exec-check"))
		return exec_check(atoi(argv[2]), argv[3]);
	if (argc != 2 || strcmp(argv[1], "run")) {
		fprintf(stderr, "usage: fd-api run|path|hold NAME|apply NAME TEXT|json "
				"NAME|read-loop NAME\n");
		return 2;
	}

	signal(SIGPIPE, SIG_IGN);
	test_create_close();
	test_persist();
	test_attach();
	test_unbound();
	test_bad_directives();
	test_ioctl_upstreams();
	test_fork_exec("/proc/self/exe");
	test_scm_rights();
	test_permissions();
	test_poll();
	test_poll_bind();
	test_faulting_buffers();
	test_snapshot_reads();
	test_netns_teardown();
	test_fdinfo();
	test_cycles();
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}
