// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Versions of the library and of the loaded kernel module.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "mprox.h"

#define MPROX_EXPORT __attribute__((visibility("default")))

#ifndef MPROX_VERSION
#define MPROX_VERSION "unknown"
#endif

/* Where the kernel publishes MODULE_VERSION() of a loaded module. */
#define MODULE_VERSION_PATH "/sys/module/mprox/version"

MPROX_EXPORT const char *mprox_version(void)
{
	return MPROX_VERSION;
}

MPROX_EXPORT int mprox_module_version(char *buf, unsigned long len)
{
	char tmp[128];
	ssize_t n;
	int fd, saved;

	fd = open(MODULE_VERSION_PATH, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, tmp, sizeof(tmp));
	saved = errno;
	close(fd);
	if (n < 0) {
		errno = saved;
		return -1;
	}
	/* sysfs ends the value with a newline; a full buffer means truncation. */
	if (n == (ssize_t)sizeof(tmp)) {
		errno = EOVERFLOW;
		return -1;
	}
	while (n > 0 && (tmp[n - 1] == '\n' || tmp[n - 1] == '\0'))
		n--;
	if ((unsigned long)n >= len) {
		errno = ERANGE;
		return -1;
	}
	memcpy(buf, tmp, n);
	buf[n] = '\0';
	return 0;
}
