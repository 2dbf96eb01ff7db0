/* SPDX-License-Identifier: GPL-2.0 */
/*
 * SOCKS5 client codec (RFC 1928, with RFC 1929 username/password
 * authentication): builders for the requests mprox sends to an upstream
 * proxy and incremental parsers for the replies it gets back.
 *
 * Pure functions, like parse.c: no allocation, no locks, no global state,
 * no access outside the (pointer, length) they are given. Every byte from
 * the proxy is hostile. The same file builds into mprox.ko, into the KUnit
 * suite and, with tests/shim/kernel_shim.h, into the host unit test and the
 * libFuzzer target.
 *
 * The exchange, one kernel socket per application connection:
 *
 *   mprox                                   proxy
 *   greeting        05 n METHODS     ->
 *                                    <-     05 METHOD           method reply
 *   (METHOD 02 only)
 *   auth request    01 ULEN U PLEN P ->
 *                                    <-     01 STATUS           auth reply
 *   CONNECT         05 01 00 ATYP DST.ADDR DST.PORT ->
 *                                    <-     05 REP RSV ATYP BND.ADDR BND.PORT
 *
 * Replies are parsed from the bytes received so far: 0 means "need more",
 * N > 0 means a complete message of N bytes (bytes after it are the
 * application's data, pipelined by the proxy, and are not looked at), a
 * negative errno means a protocol violation. A result other than 0 is
 * final: feeding more bytes gives the same one. Violations are reported as
 * soon as the byte that makes them is there, without waiting for the rest.
 *
 * What the application sees (enum mprox_connect_result, docs/upstreams.md):
 *
 *   proxy says                       result             app's SYN gets  connect()
 *   REP 0 succeeded                  OK                 released        success
 *   REP 1 general failure            GENERAL_FAILURE    ICMP host unr.  EHOSTUNREACH
 *   REP 2 not allowed by ruleset     NOT_ALLOWED        ICMP admin      EHOSTUNREACH (v4)
 *                                                       prohibited      EACCES (v6)
 *   REP 3 network unreachable        NET_UNREACH        ICMP net unr.   ENETUNREACH
 *   REP 4 host unreachable           HOST_UNREACH       ICMP host unr.  EHOSTUNREACH
 *   REP 5 connection refused         REFUSED            RST             ECONNREFUSED
 *   REP 6 TTL expired                TTL_EXPIRED        ICMP time exc.  EHOSTUNREACH
 *   REP 7 command not supported      CMD_UNSUPPORTED    ICMP host unr.  EHOSTUNREACH
 *   REP 8 address type not supp.     ATYP_UNSUPPORTED   ICMP net unr.   ENETUNREACH
 *   REP 9..255 (unassigned)          GENERAL_FAILURE    ICMP host unr.  EHOSTUNREACH
 *   method FF, or auth STATUS != 0   AUTH_FAILED        RST             ECONNREFUSED
 *   malformed reply, early close     PROXY_ERROR        ICMP host unr.  EHOSTUNREACH
 *
 * ICMP means ICMPv6 for an IPv6 connection: net unreachable is code 0 (no
 * route), host unreachable code 3 (address unreachable), admin prohibited
 * code 1; time exceeded is ICMPv6 type 3. The errno is what Linux's TCP
 * makes of each in SYN-SENT (icmp_err_convert, icmpv6_err_convert).
 */
#ifndef _MPROX_SOCKS5_H
#define _MPROX_SOCKS5_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/socket.h>
#else
#include "kernel_shim.h"
#endif
#include "codec.h"

#define MPROX_SOCKS5_VERSION		5
#define MPROX_SOCKS5_AUTH_VERSION	1	/* RFC 1929 sub-negotiation */

#define MPROX_SOCKS5_METHOD_NONE	0x00
#define MPROX_SOCKS5_METHOD_USERPASS	0x02
#define MPROX_SOCKS5_METHOD_REJECT	0xff	/* no acceptable methods */

#define MPROX_SOCKS5_CMD_CONNECT	1
#define MPROX_SOCKS5_CMD_UDP_ASSOCIATE	3

#define MPROX_SOCKS5_ATYP_IPV4		1
#define MPROX_SOCKS5_ATYP_NAME		3
#define MPROX_SOCKS5_ATYP_IPV6		4

/* Reply field REP (RFC 1928 section 6). */
#define MPROX_SOCKS5_REP_SUCCEEDED	0
#define MPROX_SOCKS5_REP_FAILURE	1
#define MPROX_SOCKS5_REP_NOT_ALLOWED	2
#define MPROX_SOCKS5_REP_NET_UNREACH	3
#define MPROX_SOCKS5_REP_HOST_UNREACH	4
#define MPROX_SOCKS5_REP_REFUSED	5
#define MPROX_SOCKS5_REP_TTL_EXPIRED	6
#define MPROX_SOCKS5_REP_CMD_UNSUPP	7
#define MPROX_SOCKS5_REP_ATYP_UNSUPP	8

/* Longest domain name, user name or password: one length byte. */
#define MPROX_SOCKS5_FIELD_MAX		255

/* Longest message of each kind, in bytes. */
#define MPROX_SOCKS5_GREETING_MAX	4	/* 05 02 00 02 */
#define MPROX_SOCKS5_AUTH_MAX		(3 + 2 * MPROX_SOCKS5_FIELD_MAX)
#define MPROX_SOCKS5_REQUEST_MAX	(5 + MPROX_SOCKS5_FIELD_MAX + 2)
#define MPROX_SOCKS5_METHOD_REPLY_LEN	2
#define MPROX_SOCKS5_AUTH_REPLY_LEN	2
#define MPROX_SOCKS5_REPLY_MAX		(5 + MPROX_SOCKS5_FIELD_MAX + 2)

/* A parsed CONNECT reply. */
struct mprox_socks5_reply {
	u8 rep;				/* MPROX_SOCKS5_REP_*, or any other value */
	struct mprox_dest bnd;	/* BND.ADDR and BND.PORT */
};

/*
 * Builders. Each writes one message at the start of @buf, which has @size
 * bytes, and returns its length, or a negative errno with @buf untouched:
 *   -EINVAL        a field empty, or otherwise invalid (see each)
 *   -ENAMETOOLONG  a name, user or password over 255 bytes
 *   -ENOSPC        @size too small for the message
 * The arguments are checked before @size, so an invalid request is never
 * -ENOSPC.
 */

/*
 * The method selection request: NO AUTHENTICATION always, and
 * USERNAME/PASSWORD too when @userpass (credentials are configured):
 * 05 01 00, or 05 02 00 02.
 */
int mprox_socks5_greeting(u8 *buf, size_t size, bool userpass);

/*
 * The RFC 1929 request: 01 ULEN UNAME PLEN PASSWD. @user and @password are
 * 1..255 bytes each, any bytes (RFC 1929 allows any octet).
 */
int mprox_socks5_auth_request(u8 *buf, size_t size, const char *user, size_t user_len,
			      const char *password, size_t password_len);

/*
 * The CONNECT request for @dest: 05 01 00 ATYP DST.ADDR DST.PORT, with ATYP
 * 1 (AF_INET), 4 (AF_INET6) or 3 (AF_UNSPEC: the name, 1..255 bytes, no
 * NUL byte in it). Another family is -EINVAL, as is a name with a NUL
 * (a proxy written in C would see a shorter name than mprox sent). Port 0
 * is passed on: whether to connect to it is the caller's policy.
 */
int mprox_socks5_connect_request(u8 *buf, size_t size, const struct mprox_dest *dest);

/*
 * The UDP ASSOCIATE request (RFC 1928 section 7): 05 03 00 ATYP DST.ADDR
 * DST.PORT, where DST is the address the datagrams will come from, or
 * zeros when the client does not know it yet. Only AF_INET and AF_INET6:
 * a name is -EINVAL. The reply is read by
 * mprox_socks5_parse_connect_reply(): its BND.ADDR and BND.PORT are the
 * relay's, the address to send the datagrams to.
 */
int mprox_socks5_udp_associate_request(u8 *buf, size_t size, const struct mprox_dest *from);

/*
 * Parsers, of the @len bytes received so far at @buf. Each returns 0 when
 * more bytes are needed, the length of the complete reply (never more than
 * @len) with the output filled, or a negative errno with the output
 * untouched:
 *   -EPROTO  the proxy broke the protocol
 *   -EACCES  the proxy turned the client down (see each)
 */

/*
 * The method selection reply: VER 5, METHOD 00, or 02 if @userpass was
 * offered, stored in *@method. METHOD FF (no acceptable method) is -EACCES;
 * any other method, or 02 when it was not offered, is -EPROTO.
 */
int mprox_socks5_parse_method(const u8 *buf, size_t len, bool userpass, u8 *method);

/*
 * The RFC 1929 reply: VER 1, or 5 as many servers send it, and STATUS 0 for
 * success; another STATUS is -EACCES, another VER -EPROTO.
 */
int mprox_socks5_parse_auth_reply(const u8 *buf, size_t len);

/*
 * The CONNECT reply: VER 5, REP (any value: map it with
 * mprox_socks5_result()), RSV (ignored), ATYP 1, 3 or 4 with BND.ADDR of
 * its length and BND.PORT. A name (ATYP 3) of length 0 or an unknown ATYP
 * is -EPROTO. On success @out->bnd.name points into @buf for ATYP 3.
 */
int mprox_socks5_parse_connect_reply(const u8 *buf, size_t len, struct mprox_socks5_reply *out);

/*
 * ATYP, the address and the port: the part every SOCKS5 message that names
 * an address shares, at offset 3 of each (the CONNECT request and reply
 * above, the UDP request header of socks5_udp.h), so that all of them
 * encode and decode it alike: ATYP 1 and 4 bytes (AF_INET), ATYP 4 and 16
 * bytes (AF_INET6), ATYP 3, a length byte and the name (AF_UNSPEC); then
 * the port, network order.
 */
#define MPROX_SOCKS5_ADDR_MAX		(2 + MPROX_SOCKS5_FIELD_MAX + 2)

/*
 * The length of @dest's part, 5..259, or -EINVAL or -ENAMETOOLONG as for
 * mprox_socks5_connect_request(): checks @dest and nothing else.
 */
int mprox_socks5_addr_len(const struct mprox_dest *dest);

/* Write @dest's part at @p, which has mprox_socks5_addr_len() bytes (> 0). */
void mprox_socks5_put_addr(u8 *p, const struct mprox_dest *dest);

/*
 * Read the part at @p, of which @len bytes are there, field by field as
 * the parsers above do: its length with @dest filled (a name points into
 * @p), 0 while the bytes there cannot tell, -EAFNOSUPPORT for an unknown
 * ATYP or -EPROTO for a name of length 0, @dest untouched. Any byte may be
 * in a name.
 */
int mprox_socks5_get_addr(const u8 *p, size_t len, struct mprox_dest *dest);

/* The result for REP, any value of it. */
enum mprox_connect_result mprox_socks5_result(u8 rep);

#endif /* _MPROX_SOCKS5_H */
