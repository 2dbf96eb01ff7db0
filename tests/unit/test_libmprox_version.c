// SPDX-License-Identifier: GPL-2.0
/*
 * libmprox's version calls, linked against the shared library so the
 * version script is exercised too. Prints TAP.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mprox.h"

static int n, failed;

static void result(int ok, const char *desc)
{
	n++;
	if (!ok)
		failed++;
	printf("%sok %d - %s\n", ok ? "" : "not ", n, desc);
}

int main(void)
{
	const char *v = mprox_version();
	char buf[64];
	int rc;

	printf("1..3\n");
	result(v && !strcmp(v, EXPECTED_VERSION), "mprox_version() is the build's git describe");

	/*
	 * The host running unit tests has no mprox module loaded (the host
	 * kernel here cannot load modules at all); on a machine where it is
	 * loaded, the call must succeed instead.
	 */
	rc = mprox_module_version(buf, sizeof(buf));
	if (access("/sys/module/mprox", F_OK) == 0)
		result(rc == 0 && buf[0], "mprox_module_version() reads the loaded module");
	else
		result(rc == -1 && errno == ENOENT,
		       "mprox_module_version() fails with ENOENT without the module");

	errno = 0;
	rc = mprox_module_version(buf, 0);
	result(rc == -1 && (errno == ENOENT || errno == ERANGE),
	       "mprox_module_version() with no room fails cleanly");
	return failed ? 1 : 0;
}
