// SPDX-License-Identifier: GPL-2.0
/* mprox version: this tool's and the loaded module's versions. */
#include <errno.h>
#include <string.h>

#include <json-c/json.h>

#include "commands.h"
#include "mprox.h"

int cmd_version(const struct cli *cli, int argc, char **argv)
{
	char mod[64];
	int have_mod, err;

	if (argc > 1 && cli_is_help(argv[1])) {
		printf("Usage: mprox version\n\nShows the versions of this tool and of the loaded "
		       "mprox module.\n");
		return CLI_OK;
	}
	if (argc > 1)
		return cli_usage("version", "takes no arguments");
	have_mod = mprox_module_version(mod, sizeof(mod)) == 0;
	/* Before printf, which may set errno (isatty() on stdout). */
	err = errno;
	if (cli->json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "tool", json_object_new_string(mprox_version()));
		json_object_object_add(o, "module", have_mod ? json_object_new_string(mod) : NULL);
		puts(json_object_to_json_string_ext(o, cli->pretty ? JSON_C_TO_STRING_PRETTY
								   : JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
		return CLI_OK;
	}
	printf("mprox %s\n", mprox_version());
	if (have_mod)
		printf("module %s\n", mod);
	else if (err == ENOENT)
		printf("module not loaded\n");
	else
		printf("module version unreadable: %s\n", strerror(err));
	return CLI_OK;
}
