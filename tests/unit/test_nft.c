// SPDX-License-Identifier: GPL-2.0
/*
 * The cgroup paths ip-helper/nft.c puts between the double quotes of an
 * nftables rule: what could end the string is refused before libnftables
 * sees anything (EINVAL, with the reason), for "mprox route --cgroup" and
 * for "mprox exec", whose path comes from the caller's own cgroup. Only
 * refusals are tested, in a network namespace of the test's own: one that
 * got through would change the ruleset (before the check, "" and ".."
 * made rules for the cgroup2 root and beyond it). Prints TAP.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "nft.h"
#include "unit_tap.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const char *const refused[] = {
	"a\"b", /* would end the string */
	"a\\\"b", /* a quote after a backslash */
	"user.slice/\"x", "a\nb", /* a second command */
	"/a/b", /* below the root: no leading '/' */
	"a/b/",		  "a//b", "a/../b", "..", "a\x7f", "",
};

/*
 * What a systemd unit's cgroup looks like, backslash and all: taken
 * (libnftables then finds no such cgroup here, which is its error).
 */
static const char backslash[] = "system.slice/system-wg\\x2dquick.slice/mprox.exec/mprox0-1";

static void check(const char *what, const char *cgroup, int ret, int err, const char *msg)
{
	char desc[160];

	snprintf(desc, sizeof(desc), "%s, cgroup of %zu bytes, byte 0 0x%02x", what, strlen(cgroup),
		 (unsigned char)cgroup[0]);
	if (ret != -1)
		result("taken", desc);
	else if (err != EINVAL)
		result_detail("not EINVAL: ", desc, strerror(err));
	else if (!strstr(msg, "cannot be named in a rule"))
		result_detail("not refused by mprox: ", desc, msg);
	else
		result(NULL, desc);
}

int main(void)
{
	size_t i;

	/* Without the privilege to make one, there is none to change a ruleset. */
	if (unshare(CLONE_NEWNET) && errno != EPERM) {
		printf("Bail out! unshare(CLONE_NEWNET): %s\n", strerror(errno));
		return 1;
	}
	for (i = 0; i < ARRAY_LEN(refused); i++) {
		struct nft_spec s = {
			.dev = "mprox0",
			.mark = 0x6d700005,
			.driver_mark = 0x6d70,
			.cgroup = refused[i],
		};
		char msg[256] = "";
		int ret;

		errno = 0;
		ret = mprox_nft_add(&s, msg, sizeof(msg));
		check("route --cgroup", refused[i], ret, errno, msg);
		msg[0] = '\0';
		errno = 0;
		ret = mprox_nft_exec_add("exec-mprox0-1", 0x6d70, refused[i], 0x6d800001, msg,
					 sizeof(msg));
		check("exec", refused[i], ret, errno, msg);
	}
	{
		char msg[256] = "";
		int ret = mprox_nft_exec_add("exec-mprox0-1", 0x6d70, backslash, 0x6d800001, msg,
					     sizeof(msg));

		result(ret == 0 || !strstr(msg, "cannot be named") ? NULL : "refused by mprox",
		       "exec, a systemd unit's cgroup with a backslash: not refused by mprox");
	}
	printf("1..%d\n", n);
	return failed != 0;
}
