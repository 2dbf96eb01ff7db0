/* SPDX-License-Identifier: GPL-2.0 */
/* TAP results for the host unit tests that run a shared case table. */
#ifndef MPROX_UNIT_TAP_H
#define MPROX_UNIT_TAP_H

#include <stdio.h>

static int n, failed;

/*
 * One result: @why is NULL for a pass, the reason for a failure, which
 * @detail (may be "") follows.
 */
static inline void result_detail(const char *why, const char *desc, const char *detail)
{
	n++;
	if (why)
		failed++;
	printf("%sok %d - %s%s%s%s\n", why ? "not " : "", n, desc, why ? ": " : "", why ? why : "",
	       why ? detail : "");
}

/* One result: @why is NULL for a pass, the reason for a failure. */
static inline void result(const char *why, const char *desc)
{
	result_detail(why, desc, "");
}

#endif /* MPROX_UNIT_TAP_H */
