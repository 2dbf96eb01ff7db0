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

/* Remove whatever "mprox route" installed for @dev; 0 or -1. */
int route_remove(const struct cli *cli, const char *dev);

#endif /* MPROX_ROUTE_H */
