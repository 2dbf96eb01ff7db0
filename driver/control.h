/* SPDX-License-Identifier: GPL-2.0 */
/* /dev/mprox and its file descriptors. */
#ifndef _MPROX_CONTROL_H
#define _MPROX_CONTROL_H

#include <linux/compiler_types.h>

int mprox_control_init(void);
void mprox_control_exit(void);

/*
 * The mprox_create() system call (driver/patches/, mprox_create(2)): a new
 * device bound to a new fd, as open("/dev/mprox") and MPROX_IOC_CREATE
 * give, with the same errors. @name: NULL or "" for "mprox%d"; @flags:
 * MPROX_CREATE_*. Returns the fd or a negative errno.
 */
long mprox_control_create(const char __user *name, unsigned int flags);

#endif /* _MPROX_CONTROL_H */
