/* SPDX-License-Identifier: GPL-2.0 */
/* The JSON state document that read() on an mprox fd returns. */
#ifndef _MPROX_STATUS_H
#define _MPROX_STATUS_H

#include <linux/types.h>

struct mprox_dev;

/*
 * A new snapshot of @md's state as JSON (kvmalloc'd, free with kvfree),
 * its length in *len. Never contains a password. Sleeps.
 */
char *mprox_status_json(struct mprox_dev *md, size_t *len);

#endif /* _MPROX_STATUS_H */
