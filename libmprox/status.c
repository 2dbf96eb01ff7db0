// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Reading the JSON state document.
 */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "mprox.h"
#include "internal.h"

/*
 * The kernel bounds the document at about 1.1 MiB (STATUS_MAX_SIZE in
 * driver/status.c); a read must find it shorter than the buffer.
 */
#define STATUS_MAX (2 * 1024 * 1024)

MPROX_EXPORT char *mprox_status_json(int fd)
{
	size_t cap = 16384;
	char *buf = NULL, *tmp;
	ssize_t n;

	/*
	 * Every read is one whole document from offset 0, which takes a new
	 * snapshot: reading a document in pieces at later offsets could mix
	 * two snapshots when another thread reads the same fd meanwhile. A
	 * document that fills the buffer is read again with a bigger one.
	 */
	for (;;) {
		tmp = realloc(buf, cap + 1);
		if (!tmp)
			goto err;
		buf = tmp;
		n = pread(fd, buf, cap, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto err;
		if ((size_t)n < cap)
			break;
		if (cap >= STATUS_MAX) {
			errno = EOVERFLOW;
			goto err;
		}
		cap *= 2;
	}
	buf[n] = '\0';
	return buf;
err:
	free(buf);
	return NULL;
}
