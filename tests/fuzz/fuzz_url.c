// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for url_host() (ip-helper/url.c): where the mprox
 * command finds the host name it resolves in an upstream URL. Besides the
 * sanitizers' checks: a refusal means there is no "://"; a host lies
 * after it, inside the URL, holds no delimiter, is no longer than a DNS
 * name and ends where the authority or the port begins.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_check.h"
#include "url.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *sep;
	size_t off, len;
	char *url;
	int rc;

	url = fuzz_string(data, size);
	if (!url)
		return 0;
	errno = 0;
	rc = url_host(url, &off, &len);
	sep = strstr(url, "://");
	if (rc) {
		CHECK(rc == -1 && errno == EINVAL && !sep && !len);
		goto out;
	}
	CHECK(sep);
	CHECK(off >= (size_t)(sep - url) + 3 && off <= strlen(url));
	CHECK(len <= 255 && len <= strlen(url) - off);
	CHECK(!memchr(url + off, '\0', len));
	if (len) {
		CHECK(url[off] != '[');
		CHECK(strcspn(url + off, ":/?#@") >= len);
		CHECK(!url[off + len] || strchr(":/?#", url[off + len]));
	}
out:
	free(url);
	return 0;
}
