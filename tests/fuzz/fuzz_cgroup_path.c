// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for cgroup_path() (ip-helper/cgroup_path.c), which
 * stands between a user's cgroup path and nftables' quoted string. Besides
 * the sanitizers' checks: a path taken fits, is the input's own bytes
 * without the outer '/', and holds nothing that could end the quotes (a
 * backslash escapes nothing there: nft's scanner takes "[^"]*"), no empty
 * component and no "..".
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup_path.h"
#include "fuzz_check.h"

static void check_components(const char *path)
{
	const char *p = path, *slash;
	size_t n;

	for (;;) {
		slash = strchr(p, '/');
		n = slash ? (size_t)(slash - p) : strlen(p);
		CHECK(n > 0);
		CHECK(!(n == 2 && p[0] == '.' && p[1] == '.'));
		if (!slash)
			break;
		p = slash + 1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char out[CGROUP_PATH_MAX], *s;
	const char *p;
	int rc;

	s = fuzz_string(data, size);
	if (!s)
		return 0;
	errno = 0;
	rc = cgroup_path(s, out, sizeof(out));
	if (rc) {
		CHECK(rc == -1 && (errno == EINVAL || errno == ENAMETOOLONG));
		goto done;
	}
	CHECK(strlen(out) < sizeof(out) && out[0]);
	CHECK(out[0] != '/' && out[strlen(out) - 1] != '/');
	p = strstr(s, out);
	CHECK(p && strspn(s, "/") == (size_t)(p - s));
	for (p = out; *p; p++)
		CHECK(*p >= ' ' && *p <= '~' && *p != '"');
	check_components(out);
done:
	free(s);
	return 0;
}
