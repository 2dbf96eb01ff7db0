/* SPDX-License-Identifier: GPL-2.0 */
/* The subcommands of the mprox command, one file each group. */
#ifndef MPROX_COMMANDS_H
#define MPROX_COMMANDS_H

#include "cli.h"

/* device.c: devices and their settings */
int cmd_add(const struct cli *cli, int argc, char **argv);
int cmd_del(const struct cli *cli, int argc, char **argv);
int cmd_set(const struct cli *cli, int argc, char **argv);
int cmd_set_prefixes(const struct cli *cli, int argc, char **argv);

/* show.c, conns.c, monitor.c: what a device does */
int cmd_show(const struct cli *cli, int argc, char **argv);
int cmd_conns(const struct cli *cli, int argc, char **argv);
int cmd_monitor(const struct cli *cli, int argc, char **argv);

/* upstream.c: upstreams, and the directives passed through as written */
int cmd_upstream(const struct cli *cli, int argc, char **argv);
int cmd_rule(const struct cli *cli, int argc, char **argv);
int cmd_dns(const struct cli *cli, int argc, char **argv);

/* quick.c: devices from configuration files */
int cmd_up(const struct cli *cli, int argc, char **argv);
int cmd_down(const struct cli *cli, int argc, char **argv);
int cmd_reload(const struct cli *cli, int argc, char **argv);
int cmd_save(const struct cli *cli, int argc, char **argv);

/* version.c */
int cmd_version(const struct cli *cli, int argc, char **argv);

/* route.c */
int cmd_route(const struct cli *cli, int argc, char **argv);

/* exec.c */
int cmd_exec(const struct cli *cli, int argc, char **argv);

#endif /* MPROX_COMMANDS_H */
