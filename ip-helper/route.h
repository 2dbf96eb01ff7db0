/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The [Route] section of a configuration file, applied and removed as
 * "mprox route NAME ..." and "mprox route NAME --off" would.
 */
#ifndef MPROX_ROUTE_H
#define MPROX_ROUTE_H

#include <stdbool.h>

#include "cli.h"
#include "conf.h"

/* Whether @r asks for any routing. */
bool route_conf_wanted(const struct mprox_conf_route *r);

/* Install what @r says for device @dev; 0, or -1 with nothing left behind. */
int route_conf_apply(const struct cli *cli, const char *dev, const struct mprox_conf_route *r);

/*
 * Take @dev's routing to what @r says, for a reload: rule by rule, the new
 * rules added before the old ones go (nothing installed: as apply; @r
 * asks for nothing: as remove). 0, or -1 with the routing as before.
 */
int route_conf_reload(const struct cli *cli, const char *dev, const struct mprox_conf_route *r);

/*
 * "mprox route" for a file (route.c): argv as cmd_route()'s, argv[1]
 * always the device, even one named "help".
 */
int route_install(const struct cli *cli, int argc, char **argv);

/*
 * "mprox route" for a reload (route.c): argv as cmd_route()'s; "route
 * NAME" alone removes whatever is installed.
 */
int route_update(const struct cli *cli, int argc, char **argv);

/*
 * What "mprox route" recorded as installed for a device: kept by a reload,
 * so that it can put the routing back when its next step fails.
 */
struct route_saved {
	int argc; /* 2 ("route NAME" alone): nothing recorded */
	/* False: something is installed that has no record, and cannot be put back. */
	bool known;
	char *argv[2 * MPROX_CONF_EXCLUDES_MAX + 16];
	char buf[8192];
};

/* @dev's record into @s; @dev must outlive @s. */
void route_saved_read(const char *dev, struct route_saved *s);

/*
 * Take the routing back to @s, as a reload would, printing nothing but
 * errors; 0 or -1. @s must be known: routing without a record cannot be
 * put back.
 */
int route_restore(const struct cli *cli, struct route_saved *s);

/* Remove whatever "mprox route" installed for @dev; 0 or -1. */
int route_remove(const struct cli *cli, const char *dev);

#endif /* MPROX_ROUTE_H */
