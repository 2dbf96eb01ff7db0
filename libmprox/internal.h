/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the library's files share and do not export. */
#ifndef MPROX_INTERNAL_H
#define MPROX_INTERNAL_H

#define MPROX_EXPORT __attribute__((visibility("default")))

/* ioctl() with errno preserved and EINTR retried. */
int mprox_ioctl(int fd, unsigned long cmd, void *arg);

#endif /* MPROX_INTERNAL_H */
