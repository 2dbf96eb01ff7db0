// SPDX-License-Identifier: GPL-2.0
/*
 * [Route] through "mprox route": the section's keys are that command's
 * options, so the file is turned into its argument list and the command's
 * own checks, ordering and undo serve both.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "route.h"

bool route_conf_wanted(const struct mprox_conf_route *r)
{
	return r->have_uid || r->have_gid || r->have_fwmark || (r->have_all && r->all) ||
	       r->cgroup || r->n_exclude;
}

/* The argument list being built; every string is malloc'd. */
struct argv_buf {
	char **argv;
	int argc;
};

static int push(struct argv_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int push(struct argv_buf *b, const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	b->argv[b->argc++] = s;
	return 0;
}

int route_conf_apply(const struct cli *cli, const char *dev, const struct mprox_conf_route *r)
{
	struct argv_buf b = { 0 };
	char addr[INET6_ADDRSTRLEN];
	int ret = -1, i;
	size_t e;

	b.argv = calloc(r->n_exclude * 2 + 16, sizeof(*b.argv));
	if (!b.argv || push(&b, "route") || push(&b, "%s", dev))
		goto out;
	if (r->have_uid && (push(&b, "--uid") || push(&b, "%u-%u", r->uid_first, r->uid_last)))
		goto out;
	if (r->have_gid && (push(&b, "--gid") || push(&b, "%u", r->gid)))
		goto out;
	if (r->cgroup && (push(&b, "--cgroup") || push(&b, "%s", r->cgroup)))
		goto out;
	if (r->have_fwmark && (push(&b, "--fwmark") || push(&b, "0x%x/0x%x", r->mark, r->mask)))
		goto out;
	if (r->have_all && r->all && push(&b, "--all"))
		goto out;
	for (e = 0; e < r->n_exclude; e++) {
		const struct mprox_conf_cidr *c = &r->exclude[e];

		inet_ntop(c->family, c->addr, addr, sizeof(addr));
		if (push(&b, "--exclude") || push(&b, "%s/%u", addr, c->prefix))
			goto out;
	}
	ret = cmd_route(cli, b.argc, b.argv) == CLI_OK ? 0 : -1;
out:
	if (ret && !b.argv)
		cli_fail("out of memory");
	for (i = 0; b.argv && i < b.argc; i++)
		free(b.argv[i]);
	free(b.argv);
	return ret;
}

int route_remove(const struct cli *cli, const char *dev)
{
	char *argv[] = { "route", (char *)dev, "--off", NULL };

	return cmd_route(cli, 3, argv) == CLI_OK ? 0 : -1;
}
