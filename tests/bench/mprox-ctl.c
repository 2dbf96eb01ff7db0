// SPDX-License-Identifier: GPL-2.0
/*
 * mprox-ctl: the smallest control tool the demo and the benchmark need,
 * over libmprox, until the mprox command grows these subcommands.
 *
 *   mprox-ctl DEV < DIRECTIVES   attach to DEV and apply stdin atomically
 *   mprox-ctl DEV --status       print DEV's JSON state document
 *
 * Exits 1 with the reason on stderr when the device is missing or a
 * directive is refused (nothing is applied then).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mprox.h"

static char *read_all(FILE *in)
{
	size_t len = 0, cap = 4096;
	char *buf = malloc(cap);
	size_t n;

	if (!buf)
		return NULL;
	while ((n = fread(buf + len, 1, cap - len - 1, in)) > 0) {
		len += n;
		if (cap - len - 1 == 0) {
			char *bigger = realloc(buf, cap * 2);

			if (!bigger) {
				free(buf);
				return NULL;
			}
			buf = bigger;
			cap *= 2;
		}
	}
	buf[len] = '\0';
	return buf;
}

int main(int argc, char **argv)
{
	char *text;
	int fd;

	if (argc < 2 || argc > 3 || (argc == 3 && strcmp(argv[2], "--status"))) {
		fprintf(stderr, "usage: mprox-ctl DEV < DIRECTIVES\n"
				"       mprox-ctl DEV --status\n");
		return 2;
	}
	fd = mprox_attach(argv[1], MPROX_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "mprox-ctl: attach %s: %s\n", argv[1], mprox_strerror(errno));
		return 1;
	}
	if (argc == 3) {
		text = mprox_status_json(fd);
		if (!text) {
			fprintf(stderr, "mprox-ctl: status of %s: %s\n", argv[1],
				mprox_strerror(errno));
			return 1;
		}
		fputs(text, stdout);
		if (text[0] && text[strlen(text) - 1] != '\n')
			putchar('\n');
		free(text);
		close(fd);
		return 0;
	}
	text = read_all(stdin);
	if (!text) {
		perror("mprox-ctl: reading directives");
		return 1;
	}
	if (mprox_apply(fd, text) < 0) {
		fprintf(stderr, "mprox-ctl: %s refused the directives: %s\n", argv[1],
			mprox_strerror(errno));
		return 1;
	}
	free(text);
	close(fd);
	return 0;
}
