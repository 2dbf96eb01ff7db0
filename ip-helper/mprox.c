// SPDX-License-Identifier: GPL-2.0
/*
 * mprox: command-line control of mprox devices.
 *
 * Subcommands arrive with the features they control; see "mprox help".
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "mprox.h"

static int cmd_version(void)
{
	char mod[64];

	printf("mprox %s\n", mprox_version());
	if (mprox_module_version(mod, sizeof(mod)) == 0)
		printf("module %s\n", mod);
	else if (errno == ENOENT)
		printf("module not loaded\n");
	else
		printf("module version unreadable: %s\n", strerror(errno));
	return 0;
}

static void usage(FILE *out)
{
	fprintf(out, "Usage: mprox COMMAND\n"
		     "\n"
		     "Commands:\n"
		     "  version   show the versions of this tool and of the loaded module\n"
		     "  help      show this text\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version"))
		return cmd_version();
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help")) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "mprox: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
