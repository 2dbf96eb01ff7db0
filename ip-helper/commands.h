/* SPDX-License-Identifier: GPL-2.0 */
/* The subcommands of the mprox command, one file each group. */
#ifndef MPROX_COMMANDS_H
#define MPROX_COMMANDS_H

#include "cli.h"

/* version.c */
int cmd_version(const struct cli *cli, int argc, char **argv);

#endif /* MPROX_COMMANDS_H */
