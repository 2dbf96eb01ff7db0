// SPDX-License-Identifier: GPL-2.0
/*
 * mprox: command-line control of mprox devices, in the manner of wg(8) and
 * ip(8). Global options come before the command; every command takes
 * --help.
 */
#include <stdio.h>
#include <string.h>

#include "commands.h"

static const struct command {
	const char *name;
	int (*run)(const struct cli *cli, int argc, char **argv);
	const char *summary;
} commands[] = {
	{ "add", cmd_add, "create a persistent device" },
	{ "del", cmd_del, "delete a device" },
	{ "show", cmd_show, "devices, upstreams, flows and rates" },
	{ "set", cmd_set, "set a device's tunable, fwmark or persistence" },
	{ "upstream", cmd_upstream, "add, delete or list a device's proxy servers" },
	{ "rule", cmd_rule, "a device's rules (directives passed through)" },
	{ "dns", cmd_dns, "a device's DNS settings (directives passed through)" },
	{ "conns", cmd_conns, "a device's live connections" },
	{ "monitor", cmd_monitor, "stream a device's state changes" },
	{ "up", cmd_up, "create and route a device from its configuration file" },
	{ "down", cmd_down, "undo 'mprox up'" },
	{ "reload", cmd_reload, "apply a changed configuration file to a running device" },
	{ "save", cmd_save, "write a device's running configuration to its file" },
	{ "version", cmd_version, "versions of this tool and of the loaded module" },
	{ "route", cmd_route, "policy routing into a device, or --off to undo it" },
	{ "exec", cmd_exec, "run a command whose process tree goes through a device" },
};

static void usage(FILE *out)
{
	size_t i;

	fprintf(out, "Usage: mprox [-j|--json] [-p|--pretty] COMMAND [ARGS...]\n\nCommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fprintf(out, "\nmprox COMMAND --help shows a command's arguments.\n");
}

int main(int argc, char **argv)
{
	struct cli cli = { 0 };
	size_t i;
	int arg = 1;

	for (; arg < argc && argv[arg][0] == '-'; arg++) {
		if (!strcmp(argv[arg], "-j") || !strcmp(argv[arg], "--json")) {
			cli.json = true;
		} else if (!strcmp(argv[arg], "-p") || !strcmp(argv[arg], "--pretty")) {
			cli.pretty = true;
		} else if (!strcmp(argv[arg], "-h") || !strcmp(argv[arg], "--help")) {
			usage(stdout);
			return CLI_OK;
		} else if (!strcmp(argv[arg], "-V") || !strcmp(argv[arg], "--version")) {
			return cmd_version(&cli, 1, (char *[]){ "version", NULL });
		} else {
			fprintf(stderr, "mprox: unknown option '%s'\n", argv[arg]);
			usage(stderr);
			return CLI_USAGE;
		}
	}
	if (arg >= argc) {
		usage(stderr);
		return CLI_USAGE;
	}
	if (!strcmp(argv[arg], "help")) {
		usage(stdout);
		return CLI_OK;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[arg], commands[i].name))
			return commands[i].run(&cli, argc - arg, argv + arg);
	fprintf(stderr, "mprox: unknown command '%s'; 'mprox help' lists them.\n", argv[arg]);
	return CLI_USAGE;
}
