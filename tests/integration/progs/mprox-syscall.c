// SPDX-License-Identifier: GPL-2.0
/*
 * The mprox_create() system call itself (driver/patches/, mprox_create(2)),
 * called raw, without libmprox: what it gives and refuses. Built against
 * headers that have __NR_mprox_create (make progs-syscall, the debug
 * kernel's); built without them it can only say so and fail. Runs as root
 * in the test guest; prints TAP.
 *
 *   mprox-syscall run                 the cases (mprox.ko loaded)
 *   mprox-syscall once NAME [nobody]  one call, as root or as nobody:
 *                                     prints "ok IFNAME" or the errno's
 *                                     name (the fd is closed again)
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mprox.h"
#include "tap.h"

#ifdef __NR_mprox_create
static long create(const char *name, unsigned int flags)
{
	return syscall(__NR_mprox_create, name, flags);
}

static bool dev_exists(const char *name)
{
	return if_nametoindex(name) != 0;
}

/* What /proc says fd @fd is. */
static const char *fd_path(int fd)
{
	static char buf[64];
	char link[32];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, buf, sizeof(buf) - 1);
	buf[n < 0 ? 0 : n] = '\0';
	return buf;
}

static void test_create(void)
{
	char name[IFNAMSIZ] = "", buf[4096];
	long fd;
	ssize_t n;

	fd = create("mproxsc%d", MPROX_CREATE_CLOEXEC);
	if (!tap_ok(fd >= 0, "mprox_create(\"mproxsc%%d\", CLOEXEC) gives an fd (%s)",
		    strerror(errno)))
		return;
	tap_ok(!strcmp(fd_path(fd), "anon_inode:[mprox]"), "it is an mprox fd: %s", fd_path(fd));
	tap_ok(fcntl(fd, F_GETFD) == FD_CLOEXEC, "close-on-exec");
	tap_ok(!(fcntl(fd, F_GETFL) & O_NONBLOCK), "blocking");
	tap_ok(mprox_ifname(fd, name) == 0 && !strncmp(name, "mproxsc", 7), "bound to %s", name);
	tap_ok(mprox_apply(fd, "upstream add p socks5://127.0.0.1:1080\n") == 0,
	       "directives written to it apply");
	n = pread(fd, buf, sizeof(buf) - 1, 0);
	buf[n < 0 ? 0 : n] = '\0';
	tap_ok(n > 0 && strstr(buf, "\"name\":\"p\""), "pread() at 0 gives its JSON, with them");
	tap_ok(read(fd, buf, 16) == 16 && lseek(fd, 0, SEEK_CUR) == 16 &&
		       lseek(fd, 0, SEEK_SET) == 0,
	       "read() moves the offset and lseek() takes it back, as on /dev/mprox");
	close(fd);
	tap_ok(!dev_exists(name), "closing the only fd deletes %s", name);

	fd = create(NULL, MPROX_CREATE_NONBLOCK);
	tap_ok(fd >= 0 && (fcntl(fd, F_GETFL) & O_NONBLOCK) && fcntl(fd, F_GETFD) == 0,
	       "NULL name, NONBLOCK: a non-blocking fd without close-on-exec");
	tap_ok(fd >= 0 && mprox_ifname(fd, name) == 0 && !strncmp(name, "mprox", 5) &&
		       name[5] >= '0' && name[5] <= '9',
	       "named mprox%%d: %s", name);
	close(fd);
	fd = create("", 0);
	tap_ok(fd >= 0 && mprox_ifname(fd, name) == 0 && !strncmp(name, "mprox", 5),
	       "\"\" is mprox%%d too: %s", name);
	close(fd);

	fd = create("mproxscp", MPROX_CREATE_PERSIST);
	tap_ok(fd >= 0, "PERSIST gives an fd");
	close(fd);
	tap_ok(dev_exists("mproxscp"), "and the device outlives it");
	tap_ok(system("ip link del mproxscp") == 0, "ip link del deletes it");
}

static void test_errors(void)
{
	int status;
	pid_t pid;
	long fd;

	tap_errno(create((const char *)1, 0), EFAULT, "a bad name pointer is EFAULT");
	tap_errno(create("abcdefghijklmnop", 0), ENAMETOOLONG, "a 16-byte name is ENAMETOOLONG");
	fd = create("abcdefghijklmno", 0);
	tap_ok(fd >= 0 && dev_exists("abcdefghijklmno"), "a 15-byte name is taken");
	tap_errno(create("abcdefghijklmno", 0), EEXIST, "a taken name is EEXIST, as for the ioctl");
	close(fd);
	tap_errno(create("bad name", 0), EINVAL, "a name with a space is EINVAL, as for the ioctl");
	tap_errno(create("mproxscf", 0x8), EINVAL, "an unknown flag is EINVAL");
	tap_errno(create("mproxscf", 0x80000000U), EINVAL, "the top flag too");
	tap_ok(!dev_exists("mproxscf"), "and no device");

	pid = fork();
	if (pid == 0) {
		if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
			_exit(10);
		errno = 0;
		_exit(create("mproxsceperm", 0) < 0 && errno == EPERM ? 0 : 1);
	}
	waitpid(pid, &status, 0);
	tap_ok(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	       "without CAP_NET_ADMIN: EPERM (status %d)", WEXITSTATUS(status));
	tap_ok(!dev_exists("mproxsceperm"), "and no device");
}

static int cmd_once(const char *name, bool nobody)
{
	char ifname[IFNAMSIZ] = "";
	long fd;

	if (nobody && (setgroups(0, NULL) || setgid(65534) || setuid(65534))) {
		perror("mprox-syscall: setuid");
		return 2;
	}
	fd = create(name, MPROX_CREATE_CLOEXEC);
	if (fd < 0) {
		printf("%s\n", strerrorname_np(errno) ? strerrorname_np(errno) : "?");
		return 1;
	}
	mprox_ifname(fd, ifname);
	printf("ok %s\n", ifname);
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && argc <= 4 && !strcmp(argv[1], "once"))
		return cmd_once(argv[2], argc == 4 && !strcmp(argv[3], "nobody"));
	if (argc != 2 || strcmp(argv[1], "run")) {
		fprintf(stderr, "usage: mprox-syscall run|once NAME [nobody]\n");
		return 2;
	}
	test_create();
	test_errors();
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}
#else
int main(void)
{
	tap_ok(false, "built without __NR_mprox_create: use make progs-syscall");
	printf("1..%d\n", tap_n);
	return 1;
}
#endif
