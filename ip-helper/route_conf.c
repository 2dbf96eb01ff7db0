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

/* "route DEV" and the options @r asks for, into @b. */
static int route_conf_argv(const char *dev, const struct mprox_conf_route *r, struct argv_buf *b)
{
	char net[CIDR_TEXT_MAX];
	size_t e;

	b->argv = calloc(r->n_exclude * 2 + 16, sizeof(*b->argv));
	if (!b->argv || push(b, "route") || push(b, "%s", dev))
		return -1;
	if (r->have_uid && (push(b, "--uid") || push(b, "%u-%u", r->uid_first, r->uid_last)))
		return -1;
	if (r->have_gid && (push(b, "--gid") || push(b, "%u", r->gid)))
		return -1;
	if (r->cgroup && (push(b, "--cgroup") || push(b, "%s", r->cgroup)))
		return -1;
	if (r->have_fwmark && (push(b, "--fwmark") || push(b, "0x%x/0x%x", r->mark, r->mask)))
		return -1;
	if (r->have_all && r->all && push(b, "--all"))
		return -1;
	if (r->have_kill_switch && r->kill_switch && push(b, "--kill-switch"))
		return -1;
	for (e = 0; e < r->n_exclude; e++) {
		if (push(b, "--exclude") ||
		    push(b, "%s", cidr_format(&r->exclude[e], net, sizeof(net))))
			return -1;
	}
	return 0;
}

static int route_conf_run(const struct cli *cli, const char *dev, const struct mprox_conf_route *r,
			  int (*fn)(const struct cli *cli, int argc, char **argv))
{
	struct argv_buf b = { 0 };
	int ret = -1, i;

	if (route_conf_argv(dev, r, &b) == 0)
		ret = fn(cli, b.argc, b.argv) == CLI_OK ? 0 : -1;
	else
		cli_fail("out of memory");
	for (i = 0; b.argv && i < b.argc; i++)
		free(b.argv[i]);
	free(b.argv);
	return ret;
}

int route_conf_apply(const struct cli *cli, const char *dev, const struct mprox_conf_route *r)
{
	return route_conf_run(cli, dev, r, route_install);
}

int route_conf_reload(const struct cli *cli, const char *dev, const struct mprox_conf_route *r)
{
	return route_conf_run(cli, dev, r, route_update);
}

int route_remove(const struct cli *cli, const char *dev)
{
	char *argv[] = { "route", (char *)dev, "--off", NULL };

	return route_install(cli, 3, argv) == CLI_OK ? 0 : -1;
}
