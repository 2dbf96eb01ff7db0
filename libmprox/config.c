// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Changing a device's configuration: directives and upstream ioctls.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mprox.h"
#include "internal.h"

MPROX_EXPORT int mprox_apply(int fd, const char *directives)
{
	size_t len = strlen(directives);
	ssize_t n;

	/* One write() is one transaction: it must not be split. */
	do {
		n = write(fd, directives, len);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -1;
	if ((size_t)n != len) {
		errno = EIO;
		return -1;
	}
	return 0;
}

static int fill_upstream(struct mprox_ioc_upstream *u, const char *name, const char *url)
{
	memset(u, 0, sizeof(*u));
	u->size = sizeof(*u);
	if (!name || (url && strlen(url) >= sizeof(u->url)) || strlen(name) >= sizeof(u->name)) {
		errno = name ? ENAMETOOLONG : EINVAL;
		return -1;
	}
	strcpy(u->name, name);
	if (url)
		strcpy(u->url, url);
	return 0;
}

MPROX_EXPORT int mprox_add_upstream_priority(int fd, const char *name, const char *url,
					     unsigned int weight, unsigned int priority)
{
	struct mprox_ioc_upstream u;

	if (!url) {
		errno = EINVAL;
		return -1;
	}
	if (fill_upstream(&u, name, url) < 0)
		return -1;
	u.weight = weight;
	u.priority = priority;
	return mprox_ioctl(fd, MPROX_IOC_ADD_UPSTREAM, &u) < 0 ? -1 : 0;
}

MPROX_EXPORT int mprox_add_upstream(int fd, const char *name, const char *url, unsigned int weight)
{
	return mprox_add_upstream_priority(fd, name, url, weight, 0);
}

MPROX_EXPORT int mprox_get_set(int fd, const char *name, struct mprox_ioc_prefix **prefixes,
			       size_t *count)
{
	struct mprox_ioc_prefix *p = NULL;
	struct mprox_ioc_set s;
	uint32_t room = 0;
	int tries;

	if (!name || !prefixes || !count) {
		errno = EINVAL;
		return -1;
	}
	if (strlen(name) >= sizeof(s.name)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	/* Its size, then the prefixes; again if a write grew it between. */
	for (tries = 0; tries < 8; tries++) {
		memset(&s, 0, sizeof(s));
		s.size = sizeof(s);
		strcpy(s.name, name);
		s.count = room;
		s.prefixes = (uintptr_t)p;
		if (mprox_ioctl(fd, MPROX_IOC_GET_SET, &s) < 0) {
			free(p);
			return -1;
		}
		if (s.count <= room) {
			if (!s.count) {
				free(p);
				p = NULL;
			}
			*prefixes = p;
			*count = s.count;
			return 0;
		}
		free(p);
		room = s.count;
		p = malloc((size_t)room * sizeof(*p));
		if (!p)
			return -1;
	}
	free(p);
	errno = EAGAIN;
	return -1;
}

MPROX_EXPORT int mprox_del_upstream(int fd, const char *name)
{
	struct mprox_ioc_upstream u;

	if (fill_upstream(&u, name, NULL) < 0)
		return -1;
	return mprox_ioctl(fd, MPROX_IOC_DEL_UPSTREAM, &u) < 0 ? -1 : 0;
}
