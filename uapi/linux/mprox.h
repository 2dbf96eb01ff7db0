/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * mprox: a network interface whose transmit path is a SOCKS/HTTP CONNECT proxy
 *
 * This header is the whole user/kernel ABI of the mprox driver. It is shared
 * by the kernel module (driver/), libmprox and the mprox command, and is
 * installed as <linux/mprox.h>.
 *
 * Overview
 * --------
 * An mprox device (mproxN) is an L3 point-to-point netdevice, like tun in
 * IFF_TUN mode, that never hands packets to userspace: connections that
 * policy routing sends into it are carried to their destination through the
 * device's configured proxy upstreams, entirely in the kernel.
 *
 * The device is controlled through a file descriptor bound to it. The fd
 * interface (text directives on write(), typed ioctl()s, a JSON state
 * document on read(), poll() for changes) is specified in the sections below
 * as it is implemented.
 *
 * Stability
 * ---------
 * Everything defined here is ABI: it is only ever extended. Structures carry
 * their own size so that old binaries keep working with new modules and the
 * other way round.
 */
#ifndef _UAPI_LINUX_MPROX_H
#define _UAPI_LINUX_MPROX_H

/* Name of the driver, as shown by ethtool -i and "ip -d link" (kind). */
#define MPROX_DRIVER_NAME "mprox"

#endif /* _UAPI_LINUX_MPROX_H */
