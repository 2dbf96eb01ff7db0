/* SPDX-License-Identifier: GPL-2.0 */
/*
 * HTTP CONNECT client codec (RFC 9110 section 9.3.6, RFC 9112, with RFC 7617
 * Basic proxy authentication): the request mprox sends to an upstream HTTP
 * proxy and an incremental parser of the response's header block.
 *
 * Pure functions, like parse.c and socks5.c: no allocation, no locks, no
 * global state, no access outside the (pointer, length) they are given.
 * Every byte from the proxy is hostile. The same file builds into mprox.ko,
 * into the KUnit suite and, with tests/shim/kernel_shim.h, into the host
 * unit test and the libFuzzer target.
 *
 * The exchange, one kernel socket per application connection; nothing goes
 * before the request:
 *
 *   mprox                                   proxy
 *   CONNECT host:port HTTP/1.1\r\n   ->
 *   Host: host:port\r\n
 *   [Proxy-Authorization: Basic B64\r\n]
 *   \r\n
 *                                    <-     HTTP/1.1 200 Connection established\r\n
 *                                           [header lines]
 *                                           \r\n
 *                                           (the destination's bytes from here)
 *
 * host is a dotted IPv4 address, an [IPv6] address in the RFC 5952 text
 * form (v4-mapped addresses in hex: [::ffff:c000:201]), or a domain name.
 * The response is read as far as the blank line that ends its header
 * block, over as many reads as it takes: status line HTTP/1.0 or HTTP/1.1,
 * SP, a status code 100..599, then SP and any reason, or the line end.
 * Lines end in CRLF or in a bare LF. Header lines are counted, not parsed
 * (a 2xx to CONNECT has no body, and a body after any other status is not
 * looked at). At most MPROX_HTTP_REPLY_MAX bytes for the status line and
 * headers together, and MPROX_HTTP_LINES_MAX header lines: a response that
 * breaks either, or the syntax above, is a protocol violation as soon as
 * the byte that shows it is there. An interim 1xx response is not skipped:
 * it is a final answer like any other non-2xx one.
 *
 * What the application sees (enum mprox_connect_result, docs/upstreams.md):
 *
 *   proxy says                       result             app's SYN gets  connect()
 *   2xx (200 Connection established) OK                 released        success
 *   407 proxy auth. required         AUTH_FAILED        RST             ECONNREFUSED
 *   401 unauthorized (tinyproxy's    AUTH_FAILED        RST             ECONNREFUSED
 *     answer to a wrong password)
 *   403 forbidden                    REFUSED            RST             ECONNREFUSED
 *   405 method not allowed           REFUSED            RST             ECONNREFUSED
 *   502 bad gateway                  HOST_UNREACH       ICMP host unr.  EHOSTUNREACH
 *   503 service unavailable          HOST_UNREACH       ICMP host unr.  EHOSTUNREACH
 *   504 gateway timeout              HOST_UNREACH       ICMP host unr.  EHOSTUNREACH
 *   any other status (1xx, 3xx,      GENERAL_FAILURE    ICMP host unr.  EHOSTUNREACH
 *     other 4xx and 5xx)
 *   malformed response, over the     PROXY_ERROR        ICMP host unr.  EHOSTUNREACH
 *     limits, early close
 *   (not sent) user with ':', or     AUTH_FAILED        RST             ECONNREFUSED
 *     user or password > 255 bytes
 *   (not sent) name mprox cannot     GENERAL_FAILURE    ICMP host unr.  EHOSTUNREACH
 *     put in a request line
 *
 * ICMP means ICMPv6 for an IPv6 connection: host unreachable is code 3
 * (address unreachable). The errno is what Linux's TCP makes of each in
 * SYN-SENT (icmp_err_convert, icmpv6_err_convert).
 */
#ifndef _MPROX_HTTP_H
#define _MPROX_HTTP_H

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

/* Longest domain name in a request. */
#define MPROX_HTTP_NAME_MAX		255
/* Longest user name or password (the upstream URL's limit). */
#define MPROX_HTTP_CRED_MAX		(MPROX_CRED_MAX - 1)

/* Base64 length of @n bytes, with padding. */
#define MPROX_HTTP_BASE64_LEN(n)	(((n) + 2) / 3 * 4)

/* The longest host:port, a 255-byte name and ":65535". */
#define MPROX_HTTP_HOSTPORT_MAX		(MPROX_HTTP_NAME_MAX + 6)

/* The longest request: two host:port, and user:password in base64. */
#define MPROX_HTTP_REQUEST_MAX \
	(sizeof("CONNECT  HTTP/1.1\r\nHost: \r\n\r\n") - 1 + \
	 2 * MPROX_HTTP_HOSTPORT_MAX + \
	 sizeof("Proxy-Authorization: Basic \r\n") - 1 + \
	 MPROX_HTTP_BASE64_LEN(2 * MPROX_HTTP_CRED_MAX + 1))

/* The status line and header lines together, through the blank line. */
#define MPROX_HTTP_REPLY_MAX		8192
/* Header lines, not counting the status line and the blank line. */
#define MPROX_HTTP_LINES_MAX		100

/*
 * The CONNECT request for @dest at the start of @buf, which has @size bytes,
 * with a Proxy-Authorization header when @cr (may be NULL) has a user. Returns
 * its length, or a negative errno with @buf untouched:
 *   -EINVAL        @dest of another family, or a name that cannot be put in
 *                  a request line: empty, NULL, or with a control
 *                  character, space, DEL or one of the URI delimiters
 *                  : / ? # [ ] @ in it
 *   -ENAMETOOLONG  a name over 255 bytes
 *   -EACCES        credentials Basic cannot carry: a user with ':' in it
 *                  (RFC 7617), a user or password over 255 bytes, or a
 *                  NULL pointer with a length
 *   -ENOSPC        @size too small for the request
 * In that order: the destination is checked first, @size last. Any byte
 * may be in the user (but ':') and in the password: base64 carries them.
 * Port 0 is passed on.
 */
int mprox_http_connect_request(u8 *buf, size_t size, const struct mprox_dest *dest,
			       const struct mprox_codec_creds *cr);

/*
 * The response to CONNECT, of the @len bytes received so far at @buf, all
 * of them from the first. @st keeps the progress between calls (zeroed
 * before the first): ->scanned, the bytes looked at and known not to hold
 * the end of the header block, ->lines, the header lines among them, and
 * ->status, the status code once the status line is complete. So each byte
 * is looked at once however the response is split, given @buf of the same
 * bytes each time, one call longer than the one before. Returns 0 when more
 * bytes are needed, the length of the header block through its blank line
 * (bytes after it are not looked at) with ->status set, or -EPROTO when the
 * response breaks the syntax or the limits above. A result other than 0 is
 * final.
 */
int mprox_http_parse_reply(const u8 *buf, size_t len, struct mprox_codec_state *st);

/* The result for a status code. */
enum mprox_connect_result mprox_http_result(u16 status);

#endif /* _MPROX_HTTP_H */
