/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The text of a destination's address and port, as the codecs that name a
 * destination in text write it: HTTP CONNECT's host (http.c) and SOCKS4a's
 * name for an address it cannot send as one (socks4.c).
 *
 * Pure, like the codecs: no allocation, no locks, no global state, nothing
 * written outside the buffer given, nothing read outside the address. The
 * same file builds into mprox.ko, into the KUnit suite and, with
 * tests/shim/kernel_shim.h, into the host unit tests and the libFuzzer
 * targets: no kernel helper without a libc twin, and so no %pI4 or %pI6c.
 * The text is not NUL terminated.
 */
#ifndef _MPROX_DEST_H
#define _MPROX_DEST_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/in.h>
#include <linux/in6.h>
#else
#include "kernel_shim.h"
#endif

/* The longest texts: 65535, 255.255.255.255, and IPv6 with a dotted tail. */
#define MPROX_DEST_PORT_TEXT_MAX	5
#define MPROX_DEST_V4_TEXT_MAX		15
/* ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255 */
#define MPROX_DEST_V6_TEXT_MAX		45

/* @port in decimal without leading zeros at @buf; returns its length (1..5). */
size_t mprox_dest_port_text(char *buf, u16 port);

/* The dotted quad of @a at @buf; returns its length (7..15). */
size_t mprox_dest_v4_text(char *buf, const struct in_addr *a);

/*
 * The RFC 5952 text of @a at @buf, which has room for
 * MPROX_DEST_V6_TEXT_MAX bytes: groups in lower-case hex without leading
 * zeros, the longest run of two or more zero groups as "::" (the first of
 * equal runs). With @mapped_dotted, an IPv4-mapped address (::ffff:0:0/96)
 * ends in its dotted quad, ::ffff:192.0.2.1, as inet_ntop() writes it
 * (section 5); without, it is hex like any other, ::ffff:c000:201, and the
 * text is at most 39 bytes. Returns its length.
 */
size_t mprox_dest_v6_text(char *buf, const struct in6_addr *a, bool mapped_dotted);

#endif /* _MPROX_DEST_H */
