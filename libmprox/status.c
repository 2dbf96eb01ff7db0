// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Reading the JSON state document.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "mprox.h"
#include "internal.h"

/* The kernel bounds the document at 512 KiB; this bounds us the same. */
#define STATUS_MAX (1024 * 1024)

MPROX_EXPORT char *mprox_status_json(int fd)
{
	size_t cap = 4096, len = 0;
	char *buf = NULL, *tmp;
	ssize_t n;

	for (;;) {
		if (cap - len < 2) {
			if (cap >= STATUS_MAX) {
				errno = EOVERFLOW;
				goto err;
			}
			cap *= 2;
		}
		tmp = realloc(buf, cap);
		if (!tmp)
			goto err;
		buf = tmp;
		/*
		 * Offset 0 takes a new snapshot; the later offsets read the
		 * rest of that same snapshot, so the document is consistent.
		 */
		n = pread(fd, buf + len, cap - len - 1, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto err;
		if (n == 0)
			break;
		len += n;
	}
	buf[len] = '\0';
	return buf;
err:
	free(buf);
	return NULL;
}
