// SPDX-License-Identifier: GPL-2.0
/*
 * Where the host of an upstream URL is (ip-helper/url.c, url_host()): the
 * part the mprox command resolves before the driver sees the URL. A table
 * of cases, and url_resolve() on URLs whose host is an address: an '@'
 * past the authority must not make it look up a name. Prints TAP.
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>

#include "unit_tap.h"
#include "url.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static char long_host[400];

static const struct {
	const char *url;
	const char *host; /* NULL: nothing to resolve; "!": EINVAL */
} cases[] = {
	{ "socks5://10.0.0.1:1080", "10.0.0.1" },
	{ "socks5://proxy.example:1080", "proxy.example" },
	{ "socks5://proxy.example", "proxy.example" },
	{ "http://proxy.example:3128/", "proxy.example" },
	{ "socks5://user:pw@proxy.example:1080", "proxy.example" },
	{ "socks5://user@proxy.example", "proxy.example" },
	/* An '@' in the password is escaped; a bare one ends it all the same. */
	{ "http://user:p%40ss@proxy.example:3128", "proxy.example" },
	{ "http://user:p@ss@proxy.example:3128", "proxy.example" },
	/* An '@' after the authority is no user's: the host stays. */
	{ "socks5://proxy.example:1080/x@evil.example", "proxy.example" },
	{ "socks5://proxy.example:1080#x@evil.example", "proxy.example" },
	{ "socks5://proxy.example?x@evil.example", "proxy.example" },
	{ "socks5://proxy.example#", "proxy.example" },
	/* IPv6 addresses are not resolved, with or without a user. */
	{ "socks5://[::1]:1080", NULL },
	{ "socks5://user:pw@[2001:db8::1]:1080", NULL },
	/* No host at all: left for the driver to refuse. */
	{ "socks5://", NULL },
	{ "socks5://:1080", NULL },
	{ "socks5://user@:1080", NULL },
	{ "socks5://user@", NULL },
	{ "socks5:///path", NULL },
	{ long_host, NULL },
	/* Not a URL. */
	{ "proxy.example:1080", "!" },
	{ "socks5:/proxy.example", "!" },
	{ "", "!" },
};

static void test_resolve(void)
{
	static const char *const verbatim[] = {
		"socks5://10.0.0.1:1080",
		"socks5://10.0.0.1:1080#x@localhost",
		"socks5://10.0.0.1:1080/x@localhost",
		"socks5://u:p@[::1]:1080",
	};
	char out[128], addr[64], desc[96];
	size_t i;
	int rc;

	for (i = 0; i < ARRAY_LEN(verbatim); i++) {
		snprintf(desc, sizeof(desc), "url_resolve(\"%s\") leaves it as it is", verbatim[i]);
		strcpy(addr, "x");
		rc = url_resolve(verbatim[i], out, sizeof(out), addr);
		result_detail(rc || strcmp(out, verbatim[i]) || addr[0] ? "got " : NULL, desc,
			      rc ? gai_strerror(rc) : out);
	}
	errno = 0;
	rc = url_resolve(verbatim[0], out, 8, addr);
	result(rc == EAI_SYSTEM && errno == ENAMETOOLONG ? NULL : "want ENAMETOOLONG",
	       "url_resolve() into a buffer too small");
}

int main(void)
{
	char desc[96], got[300];
	size_t i, off, len;
	int rc;

	/* "socks5://" and a host of 256 bytes: longer than a DNS name. */
	strcpy(long_host, "socks5://");
	memset(long_host + 9, 'a', 256);
	strcpy(long_host + 9 + 256, ":1080");

	printf("1..%zu\n", ARRAY_LEN(cases) + 5);
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		const char *want = cases[i].host;

		snprintf(desc, sizeof(desc), "url_host(\"%.60s\")", cases[i].url);
		off = len = 12345;
		errno = 0;
		rc = url_host(cases[i].url, &off, &len);
		if (want && !strcmp(want, "!")) {
			result(rc == -1 && errno == EINVAL && !len ? NULL : "want EINVAL", desc);
			continue;
		}
		if (rc) {
			result("failed", desc);
			continue;
		}
		if (off > strlen(cases[i].url) || len > strlen(cases[i].url) - off) {
			result("out of the URL", desc);
			continue;
		}
		snprintf(got, sizeof(got), "%.*s", (int)len, cases[i].url + off);
		if (!want)
			result_detail(len ? "want nothing to resolve, got " : NULL, desc, got);
		else
			result_detail(strcmp(got, want) ? "got " : NULL, desc, got);
	}
	test_resolve();
	return failed != 0;
}
