// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Binding fds to devices, and the ioctls that describe a device.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "mprox.h"
#include "internal.h"

int mprox_ioctl(int fd, unsigned long cmd, void *arg)
{
	int rc;

	do {
		rc = ioctl(fd, cmd, arg);
	} while (rc < 0 && errno == EINTR);
	return rc < 0 ? -1 : rc;
}

static int open_control(unsigned int flags)
{
	int oflags = O_RDWR;

	if (flags & MPROX_CLOEXEC)
		oflags |= O_CLOEXEC;
	if (flags & MPROX_NONBLOCK)
		oflags |= O_NONBLOCK;
	return open(MPROX_DEVICE_PATH, oflags);
}

/*
 * Bind a /dev/mprox fd with @cmd. @sys_err: the errno of a failed
 * mprox_create(2) before it, or 0; when /dev/mprox cannot even be opened
 * (a container without the node), that one is the answer.
 */
static int bind_fd(unsigned long cmd, const char *name, unsigned int flags, int sys_err)
{
	struct mprox_ioc_bind b = { .size = sizeof(b) };
	int fd, saved;

	if (name && strlen(name) >= sizeof(b.name)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (name)
		strcpy(b.name, name);
	if (flags & MPROX_PERSIST)
		b.flags |= MPROX_F_PERSIST;
	fd = open_control(flags);
	if (fd < 0) {
		if (sys_err && sys_err != ENOSYS)
			errno = sys_err;
		return -1;
	}
	if (mprox_ioctl(fd, cmd, &b) < 0) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

/* The system call takes the library's flags as they are. */
_Static_assert(MPROX_PERSIST == MPROX_CREATE_PERSIST && MPROX_CLOEXEC == MPROX_CREATE_CLOEXEC &&
		       MPROX_NONBLOCK == MPROX_CREATE_NONBLOCK,
	       "libmprox's flags are mprox_create(2)'s");

MPROX_EXPORT int mprox_create(const char *name, unsigned int flags)
{
	int sys_err = 0;

	if (flags & ~(MPROX_CLOEXEC | MPROX_NONBLOCK | MPROX_PERSIST)) {
		errno = EINVAL;
		return -1;
	}
#ifdef __NR_mprox_create
	/*
	 * Built against headers with the system call (driver/patches/).
	 * Its number is not reserved upstream: on another kernel it may be
	 * another call (451 is cachestat() from 6.5), which fails on these
	 * arguments with some errno, ENOSYS or not. So any failure is tried
	 * again through /dev/mprox, which gives the same errors as the real
	 * call when that is what failed.
	 */
	{
		long fd = syscall(__NR_mprox_create, name, flags);

		if (fd >= 0)
			return (int)fd;
		sys_err = errno;
	}
#endif
	return bind_fd(MPROX_IOC_CREATE, name, flags, sys_err);
}

MPROX_EXPORT int mprox_attach(const char *name, unsigned int flags)
{
	if (!name || !*name || (flags & ~(MPROX_CLOEXEC | MPROX_NONBLOCK))) {
		errno = EINVAL;
		return -1;
	}
	return bind_fd(MPROX_IOC_ATTACH, name, flags, 0);
}

MPROX_EXPORT int mprox_get_info(int fd, struct mprox_ioc_info *info)
{
	memset(info, 0, sizeof(*info));
	info->size = sizeof(*info);
	return mprox_ioctl(fd, MPROX_IOC_GET_INFO, info) < 0 ? -1 : 0;
}

MPROX_EXPORT int mprox_ifname(int fd, char name[MPROX_IFNAMSIZ])
{
	struct mprox_ioc_info info;

	if (mprox_get_info(fd, &info) < 0)
		return -1;
	memcpy(name, info.name, MPROX_IFNAMSIZ);
	name[MPROX_IFNAMSIZ - 1] = '\0';
	return 0;
}

MPROX_EXPORT int mprox_get_stats(int fd, struct mprox_ioc_stats *stats)
{
	memset(stats, 0, sizeof(*stats));
	stats->size = sizeof(*stats);
	return mprox_ioctl(fd, MPROX_IOC_GET_STATS, stats) < 0 ? -1 : 0;
}

MPROX_EXPORT int mprox_set_persist(int fd, int persist)
{
	__u32 val = !!persist;

	return mprox_ioctl(fd, MPROX_IOC_SET_PERSIST, &val) < 0 ? -1 : 0;
}
