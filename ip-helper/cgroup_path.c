// SPDX-License-Identifier: GPL-2.0
/* Checking a cgroup v2 path before rules and nftables name it. */
#include <errno.h>
#include <string.h>

#include "cgroup_path.h"

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
	for (p = out; *p; p++)
		if (*p < ' ' || *p > '~' || *p == '"' || *p == '\\' || (p[0] == '/' && p[1] == '/'))
			goto invalid;
	if (!strcmp(out, "..") || !strncmp(out, "../", 3) || strstr(out, "/../") ||
	    (n >= 3 && !strcmp(out + n - 3, "/..")))
		goto invalid;
	return 0;
invalid:
	if (len)
		out[0] = '\0';
	errno = EINVAL;
	return -1;
}
