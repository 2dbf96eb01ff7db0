// SPDX-License-Identifier: GPL-2.0
/*
 * mprox set NAME add|flush SET ...: a device's prefix sets, which rules
 * name with "to-set SET" (routing.md, "Prefix sets"). A list from a file
 * goes in as many directive lines of MPROX_SET_LINE_MAX prefixes, and as
 * many writes of at most MPROX_WRITE_MAX bytes, as it takes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "devstate.h"
#include "parse.h"

/* The longest address (an IPv4 tail on 6 full groups), "/128", a space. */
#define PREFIX_TEXT_MAX (INET6_ADDRSTRLEN + 4)

struct pset_writer {
	const char *dev, *set;
	int fd;
	char *buf;
	size_t len;
	unsigned int in_line; /* prefixes on the current line */
	unsigned long applied; /* prefixes the driver took */
	unsigned long pending; /* in buf */
};

static int pset_flush_buf(struct pset_writer *w)
{
	if (!w->len)
		return 0;
	if (w->in_line)
		w->buf[w->len++] = '\n';
	w->buf[w->len] = '\0';
	if (dev_apply(w->fd, w->dev, w->buf, "set add"))
		return -1;
	w->applied += w->pending;
	w->pending = 0;
	w->len = 0;
	w->in_line = 0;
	return 0;
}

/* One prefix, as written: the driver checks it. */
static int pset_put(struct pset_writer *w, const char *prefix)
{
	size_t need = strlen(prefix) + 1;

	if (need > PREFIX_TEXT_MAX || strpbrk(prefix, " \t\n\r"))
		return cli_fail("%s: '%s' is not a prefix", w->set, prefix);
	/* "set add SET " and the prefix, and the newline ending the write. */
	if (w->len + strlen(w->set) + 10 + need + 1 > MPROX_WRITE_MAX && pset_flush_buf(w))
		return -1;
	if (w->in_line == MPROX_SET_LINE_MAX) {
		w->buf[w->len++] = '\n';
		w->in_line = 0;
	}
	if (!w->in_line)
		w->len += sprintf(w->buf + w->len, "set add %s", w->set);
	w->len += sprintf(w->buf + w->len, " %s", prefix);
	w->in_line++;
	w->pending++;
	return 0;
}

/*
 * One prefix a line; blank lines and '#' comments skipped. Whole lines, of
 * any length: a long comment must not end up read as a prefix.
 */
static int pset_from_file(struct pset_writer *w, const char *path)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	char *line = NULL;
	size_t cap = 0;
	int ret = 0;

	if (!f)
		return cli_fail("%s: %s", path, strerror(errno));
	while (!ret && getline(&line, &cap, f) >= 0) {
		char *p = cli_list_item(line);

		if (*p)
			ret = pset_put(w, p);
	}
	/* A directory, an I/O error: not an empty file. */
	if (!ret && ferror(f))
		ret = cli_fail("%s: %s", path, strerror(errno));
	free(line);
	if (f != stdin)
		fclose(f);
	return ret;
}

/* Set @set of device @dev, one prefix a line (a JSON array with -j). */
static int pset_list(const struct cli *cli, const char *dev, const char *set)
{
	struct mprox_ioc_prefix *p;
	char addr[INET6_ADDRSTRLEN];
	size_t i, n;
	int fd;

	fd = dev_open(dev);
	if (fd < 0)
		return CLI_FAILED;
	if (mprox_get_set(fd, set, &p, &n)) {
		cli_fail("%s: set %s: %s", dev, set, mprox_strerror(errno));
		close(fd);
		return CLI_FAILED;
	}
	close(fd);
	if (cli->json)
		putchar('[');
	for (i = 0; i < n; i++) {
		if (!inet_ntop(p[i].family, p[i].addr, addr, sizeof(addr)))
			snprintf(addr, sizeof(addr), "?");
		if (cli->json)
			printf("%s\"%s/%u\"", i ? "," : "", addr, p[i].len);
		else
			printf("%s/%u\n", addr, p[i].len);
	}
	if (cli->json)
		printf("]\n");
	free(p);
	return CLI_OK;
}

static int pset_usage(FILE *out)
{
	fprintf(out, "Usage: mprox set NAME add SET CIDR...\n"
		     "       mprox set NAME add SET --file FILE|-\n"
		     "       mprox set NAME flush SET\n"
		     "       mprox set NAME list SET\n\n"
		     "Prefix sets, which rules name with 'to-set SET'. add makes SET if it is\n"
		     "new; prefixes may not overlap one another. A device holds up to 100,000\n"
		     "prefixes. --file reads one prefix a line ('#' starts a comment); a long\n"
		     "list goes in as several writes of 64 KiB, each one atomic: on an error\n"
		     "the count of prefixes already added is printed. list prints the set's\n"
		     "prefixes, one a line, in the driver's order.\n");
	return out == stdout ? CLI_OK : CLI_USAGE;
}

int cmd_set_prefixes(const struct cli *cli, int argc, char **argv)
{
	struct pset_writer w = { .dev = argv[1] };
	int i, ret = CLI_FAILED;
	char line[64];

	if (argc < 4 || cli_is_help(argv[3]))
		return pset_usage(argc < 4 ? stderr : stdout);
	w.set = argv[3];
	if (!strcmp(argv[2], "list")) {
		if (argc != 4)
			return cli_usage("set", "list needs NAME list SET");
		return pset_list(cli, w.dev, w.set);
	}
	if (!strcmp(argv[2], "flush")) {
		if (argc != 4)
			return cli_usage("set", "flush needs NAME flush SET");
		if (snprintf(line, sizeof(line), "set flush %s\n", w.set) >= (int)sizeof(line))
			return cli_usage("set", "'%s': not a set name", w.set);
		w.fd = dev_open(w.dev);
		if (w.fd < 0)
			return CLI_FAILED;
		ret = dev_apply(w.fd, w.dev, line, "set flush") ? CLI_FAILED : CLI_OK;
		close(w.fd);
		return ret;
	}
	if (argc < 5)
		return cli_usage("set", "add needs NAME add SET CIDR... or --file FILE");
	if (strlen(w.set) >= MPROX_UPSTREAM_NAME_MAX)
		return cli_usage("set", "'%s': not a set name", w.set);
	w.buf = malloc(MPROX_WRITE_MAX + 1);
	if (!w.buf)
		return cli_fail("out of memory");
	w.fd = dev_open(w.dev);
	if (w.fd < 0)
		goto out;
	if (!strcmp(argv[4], "--file")) {
		if (argc != 6) {
			ret = cli_usage("set", "--file needs one FILE");
			goto out_close;
		}
		if (pset_from_file(&w, argv[5]))
			goto failed;
	} else {
		for (i = 4; i < argc; i++)
			if (pset_put(&w, argv[i]))
				goto failed;
	}
	if (pset_flush_buf(&w))
		goto failed;
	ret = CLI_OK;
	goto out_close;
failed:
	if (w.applied)
		fprintf(stderr, "mprox: %s: %lu prefixes were added to %s before that\n", w.dev,
			w.applied, w.set);
out_close:
	close(w.fd);
out:
	free(w.buf);
	return ret;
}
