// SPDX-License-Identifier: GPL-2.0
/* Checking a cgroup v2 path before rules and nftables name it. */
#include <errno.h>
#include <string.h>

#include "cgroup_path.h"

bool cgroup_path_valid(const char *rel)
{
	size_t n = strlen(rel);
	const char *p;

	if (!n || rel[0] == '/' || rel[n - 1] == '/')
		return false;
	for (p = rel; *p; p++)
		if (*p < ' ' || *p > '~' || *p == '"' || (p[0] == '/' && p[1] == '/'))
			return false;
	return strcmp(rel, "..") && strncmp(rel, "../", 3) && !strstr(rel, "/../") &&
	       !(n >= 3 && !strcmp(rel + n - 3, "/.."));
}

int cgroup_path(const char *s, char *out, size_t len)
{
	const char *p = s, *end;
	size_t n;

	while (*p == '/')
		p++;
	end = p + strlen(p);
	while (end > p && end[-1] == '/')
		end--;
	n = (size_t)(end - p);
	if (!n)
		goto invalid;
	if (n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(out, p, n);
	out[n] = '\0';
	if (cgroup_path_valid(out))
		return 0;
invalid:
	if (len)
		out[0] = '\0';
	errno = EINVAL;
	return -1;
}
