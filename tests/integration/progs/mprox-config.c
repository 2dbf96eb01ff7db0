// SPDX-License-Identifier: GPL-2.0
/*
 * Configure an existing mprox device from the shell, for the integration
 * cases (tests/integration/lib/mprox.sh).
 *
 *   mprox-config DEV            attach to DEV, read all of stdin and apply
 *                               it as one transaction (one write())
 *   mprox-config DEV --repeat N apply stdin N times, one write() each,
 *                               as fast as they go (to race the data path)
 *   mprox-config DEV --status   print DEV's JSON state document
 *
 * Exits 0, or prints "mprox-config: DEV: <strerror>" and exits 1.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mprox.h"

static int die(const char *dev, int err)
{
	fprintf(stderr, "mprox-config: %s: %s\n", dev, strerror(err));
	return 1;
}

/* All of stdin as a NUL-terminated string; NULL with errno on failure. */
static char *read_all(int fd)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap + 1), *tmp;
	ssize_t n;

	if (!buf)
		return NULL;
	for (;;) {
		if (len == cap) {
			cap *= 2;
			tmp = realloc(buf, cap + 1);
			if (!tmp)
				goto err;
			buf = tmp;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto err;
		if (n == 0)
			break;
		len += n;
	}
	/* mprox_apply() takes a string: a NUL would cut the input short. */
	if (memchr(buf, '\0', len)) {
		errno = EINVAL;
		goto err;
	}
	buf[len] = '\0';
	return buf;
err:
	free(buf);
	return NULL;
}

int main(int argc, char **argv)
{
	unsigned long repeat = 1;
	const char *dev;
	char *text, *end;
	size_t len;
	int fd, err;

	if (argc == 4 && !strcmp(argv[2], "--repeat")) {
		errno = 0;
		repeat = strtoul(argv[3], &end, 10);
		if (errno || *end || !repeat || argv[3][0] == '-')
			repeat = 0;
		argc = 2;
	}
	if (argc < 2 || argc > 3 || (argc == 3 && strcmp(argv[2], "--status")) || !repeat) {
		fprintf(stderr, "usage: mprox-config DEV [--status | --repeat N]\n");
		return 2;
	}
	dev = argv[1];
	fd = mprox_attach(dev, MPROX_CLOEXEC);
	if (fd < 0)
		return die(dev, errno);

	if (argc == 3) {
		text = mprox_status_json(fd);
		if (!text)
			return die(dev, errno);
		len = strlen(text);
		if (fputs(text, stdout) == EOF ||
		    ((!len || text[len - 1] != '\n') && fputc('\n', stdout) == EOF) ||
		    fflush(stdout) == EOF)
			return die(dev, errno);
		free(text);
		close(fd);
		return 0;
	}

	text = read_all(STDIN_FILENO);
	if (!text)
		return die(dev, errno);
	while (repeat--) {
		if (mprox_apply(fd, text) < 0) {
			err = errno;
			free(text);
			return die(dev, err);
		}
	}
	free(text);
	if (close(fd) < 0)
		return die(dev, errno);
	return 0;
}
