/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Upstream URLs with host names: the driver connects to addresses only,
 * so the command resolves a name when it applies a configuration.
 */
#ifndef MPROX_URL_H
#define MPROX_URL_H

#include <stddef.h>

/*
 * Where the host of @url is: *@off and *@len, bytes from the start of
 * @url. The authority runs from "://" to the first '/', '?' or '#'; the
 * last '@' in it ends the user and password (an '@' in those must be
 * escaped); the host ends at ':' or with the authority. *@len is 0 when
 * there is no host to resolve: an IPv6 address in brackets, an empty
 * host, or one longer than a DNS name (255 bytes). Returns 0, or -1 with
 * errno EINVAL when there is no "://". Pure: no lookups, no allocation.
 */
int url_host(const char *url, size_t *off, size_t *len);

/*
 * Copy @url into @out (@len bytes) with its host replaced by an address
 * when it is a name (url_host()); @addr (at least 46 bytes) gets the
 * address used, or "" when the URL already had one. The rest of the URL
 * is left for the driver to judge. Returns 0, or a getaddrinfo() EAI_*
 * error (EAI_SYSTEM with errno ENAMETOOLONG when @out is too small,
 * EINVAL when there is no "://").
 */
int url_resolve(const char *url, char *out, size_t len, char *addr);

#endif /* MPROX_URL_H */
