/* SPDX-License-Identifier: GPL-2.0 */
/*
 * SOCKS4 and SOCKS4a client codecs: the request mprox sends to an upstream
 * proxy and an incremental parser for the reply. SOCKS4 is the 1990s NEC
 * protocol (SOCKS4.protocol), SOCKS4a its extension that lets the proxy
 * resolve a name (SOCKS4A.protocol); neither has an RFC.
 *
 * Pure functions, like parse.c and socks5.c: no allocation, no locks, no
 * global state, no access outside the (pointer, length) they are given.
 * Every byte from the proxy is hostile. The same file builds into mprox.ko,
 * into the KUnit suite and, with tests/shim/kernel_shim.h, into the host
 * unit test and the libFuzzer target.
 *
 * The exchange, one kernel socket per application connection, nothing
 * before the request (open() is READY at once):
 *
 *   mprox                                         proxy
 *   CONNECT   04 01 DSTPORT DSTIP USERID 00 ->
 *   SOCKS4a, a name:
 *             04 01 DSTPORT 0.0.0.1 USERID 00 NAME 00 ->
 *                                           <-    VN CD DSTPORT DSTIP
 *
 * DSTPORT is 2 bytes and DSTIP 4, in network byte order. USERID is the
 * user of the upstream's URL (cr->user), empty without one; the password
 * is not sent (SOCKS4 has none). The reply is 8 bytes; the bytes after it
 * are the destination's.
 *
 * What is asked for each destination:
 *
 *   destination        socks4                     socks4a
 *   IPv4 a.b.c.d       DSTIP a.b.c.d              DSTIP a.b.c.d
 *   IPv4 0.0.0.x, x>0  not asked: NET_UNREACH     NAME "0.0.0.x"
 *   IPv6               not asked: NET_UNREACH     NAME "2001:db8::1"
 *   a name             not asked: NET_UNREACH     NAME as given
 *
 * 0.0.0.x with x != 0 is how SOCKS4a marks a name request: a SOCKS4a
 * server given that address would wait for a name that never comes, so
 * SOCKS4 cannot ask for it and SOCKS4a asks for it as text. An IPv6
 * destination goes to a SOCKS4a proxy as its RFC 5952 text (lower case,
 * the longest run of two or more zero groups as "::", the first of equal
 * runs; ::ffff:0:0/96 as ::ffff:a.b.c.d, as inet_ntop() writes it):
 * servers that resolve the name with getaddrinfo(), as Dante does, take a
 * numeric IPv6 literal as the address it spells. A server that only asks
 * DNS fails it like any unknown name.
 *
 * What the application sees (enum mprox_connect_result, docs/upstreams.md):
 *
 *   proxy says                       result             app's SYN gets  connect()
 *   CD 90 request granted            OK                 released        success
 *   CD 91 rejected or failed         REFUSED            RST             ECONNREFUSED
 *   CD 92 cannot reach the client's  AUTH_FAILED        RST             ECONNREFUSED
 *         identd
 *   CD 93 identd's user id differs   AUTH_FAILED        RST             ECONNREFUSED
 *   any other CD, VN other than 0    PROXY_ERROR        ICMP host unr.  EHOSTUNREACH
 *   or 4, early close
 *   (not asked) IPv6 or a name       NET_UNREACH        ICMP net unr.   ENETUNREACH
 *   through socks4, 0.0.0.x (x>0)
 *
 * VN is 0 in the protocol; some servers send 4, the request's version, and
 * that is taken too. CD 92 and 93 are about the user id, SOCKS4's only
 * credential: counted as auth failures like SOCKS5's. A reply is judged
 * as soon as the byte that decides it is there: a VN other than 0 or 4 at
 * the first byte, any CD other than 90 at the second; only CD 90 waits for
 * all 8 bytes. ICMP means ICMPv6 for an IPv6 connection, as in socks5.h.
 *
 * Requests mprox cannot make, none of which a URL or a packet leads to
 * today, and what the codec answers:
 *   - a user over 255 bytes (MPROX_SOCKS4_USER_MAX) or with a NUL in it:
 *     PROXY_ERROR. driver/parse.c already refuses both (parse_cred: 1..255
 *     bytes decoded, no control character, so no %00); the codec checks
 *     again because a user with a NUL would reach the proxy as a shorter
 *     one. Not AUTH_FAILED (the proxy never saw the user) nor
 *     GENERAL_FAILURE (which is about the destination): the upstream is
 *     misconfigured, which is what PROXY_ERROR counts and logs.
 *   - a name (or socks4a's text of an address) empty, over 255 bytes or
 *     with a NUL, or an unknown family: GENERAL_FAILURE, as socks5.c.
 *   - an output buffer under the request's length, a request() before
 *     open() or a second one: PROXY_ERROR.
 */
#ifndef _MPROX_SOCKS4_H
#define _MPROX_SOCKS4_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/socket.h>
#else
#include "kernel_shim.h"
#endif
#include <linux/mprox.h>
#include "codec.h"

#define MPROX_SOCKS4_VERSION		4
#define MPROX_SOCKS4_REPLY_VERSION	0
#define MPROX_SOCKS4_CMD_CONNECT	1

/* Reply field CD. */
#define MPROX_SOCKS4_CD_GRANTED		90
#define MPROX_SOCKS4_CD_REJECTED	91
#define MPROX_SOCKS4_CD_NO_IDENTD	92
#define MPROX_SOCKS4_CD_IDENT_MISMATCH	93

/* Longest user id: a URL's user (MPROX_CRED_MAX with its NUL). */
#define MPROX_SOCKS4_USER_MAX		(MPROX_CRED_MAX - 1)
/* Longest SOCKS4a name, as a SOCKS5 one. */
#define MPROX_SOCKS4_NAME_MAX		255

#define MPROX_SOCKS4_REQUEST_MAX	(8 + MPROX_SOCKS4_USER_MAX + 1 + \
					 MPROX_SOCKS4_NAME_MAX + 1)
#define MPROX_SOCKS4_REPLY_LEN		8

/*
 * The CONNECT request for @dest, with user id @user (@user_len bytes, may
 * be 0; @user may then be NULL), SOCKS4a when @socks4a: written at the
 * start of @buf, which has @size bytes. Returns its length, or a negative
 * errno with @buf untouched:
 *   -EAFNOSUPPORT  SOCKS4 and a destination it cannot ask for (an IPv6
 *                  address, a name, 0.0.0.x with x != 0)
 *   -EINVAL        a user with a NUL; a name empty or with a NUL; an
 *                  unknown family
 *   -ENAMETOOLONG  a user or a name over 255 bytes
 *   -ENOSPC        @size too small for the request
 * The destination is checked first, then the user, then @size. Port 0 is
 * passed on, as socks5.c does.
 */
int mprox_socks4_request(u8 *buf, size_t size, const struct mprox_dest *dest,
			 const char *user, size_t user_len, bool socks4a);

/*
 * The reply, from the @len bytes received so far at @buf: 0 when more are
 * needed, 8 (never more than @len) for a complete CD 90 reply, or a
 * negative errno as soon as a byte shows the outcome:
 *   -ECONNREFUSED  CD 91
 *   -EACCES        CD 92 or 93
 *   -EPROTO        VN other than 0 or 4, any other CD
 * The result for a prefix of the bytes is 0 or the result for all of them.
 */
int mprox_socks4_parse_reply(const u8 *buf, size_t len);

#endif /* _MPROX_SOCKS4_H */
