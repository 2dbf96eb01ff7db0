// SPDX-License-Identifier: GPL-2.0
/*
 * The cgroup v2 paths mprox routes (ip-helper/cgroup_path.c), as mprox
 * route --cgroup and a configuration file's Cgroup give them: a table of
 * cases. Prints TAP.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cgroup_path.h"
#include "unit_tap.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static char long_path[CGROUP_PATH_MAX + 8], longest[CGROUP_PATH_MAX + 8];

static const struct {
	const char *s;
	const char *want; /* NULL: refused with @err */
	int err;
} cases[] = {
	{ "/user.slice/app.scope", "user.slice/app.scope", 0 },
	{ "user.slice", "user.slice", 0 },
	{ "///a/b///", "a/b", 0 },
	{ "/a b/c-d_e.f@1", "a b/c-d_e.f@1", 0 },
	/* Dots that are no ".." component. */
	{ "/a/..b/c..", "a/..b/c..", 0 },
	{ "/.../x", ".../x", 0 },
	/* systemd's escapes: nftables reads a backslash literally. */
	{ "/system.slice/system-wg\\x2dquick.slice", "system.slice/system-wg\\x2dquick.slice", 0 },
	{ "/a\\", "a\\", 0 },
	{ longest, longest + 1, 0 },
	/* The root would route everything. */
	{ "/", NULL, EINVAL },
	{ "////", NULL, EINVAL },
	{ "", NULL, EINVAL },
	{ "/..", NULL, EINVAL },
	{ "/../a", NULL, EINVAL },
	{ "/a/../b", NULL, EINVAL },
	{ "/a/..", NULL, EINVAL },
	{ "/a/../", NULL, EINVAL },
	{ "/a//b", NULL, EINVAL },
	/* nftables' quoting, and what no terminal shows. */
	{ "/a\"b", NULL, EINVAL },
	{ "/a\tb", NULL, EINVAL },
	{ "/a\x7f", NULL, EINVAL },
	{ "/caf\xc3\xa9", NULL, EINVAL },
	{ long_path, NULL, ENAMETOOLONG },
};

int main(void)
{
	char desc[96], out[CGROUP_PATH_MAX];
	size_t i;
	int rc;

	/* "/" and CGROUP_PATH_MAX - 1 bytes: the longest; one more: too long. */
	longest[0] = '/';
	memset(longest + 1, 'a', CGROUP_PATH_MAX - 1);
	long_path[0] = '/';
	memset(long_path + 1, 'a', CGROUP_PATH_MAX);

	printf("1..%zu\n", ARRAY_LEN(cases));
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		snprintf(desc, sizeof(desc), "cgroup_path(\"%.40s\")", cases[i].s);
		memset(out, 'x', sizeof(out));
		errno = 0;
		rc = cgroup_path(cases[i].s, out, sizeof(out));
		if (!cases[i].want)
			result_detail(rc == -1 && errno == cases[i].err ? NULL
									: "want an error, got ",
				      desc, rc ? strerror(errno) : out);
		else
			result_detail(rc || strcmp(out, cases[i].want) ? "got " : NULL, desc,
				      rc ? strerror(errno) : out);
	}
	return failed != 0;
}
