/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Upstream URLs with host names: the driver connects to addresses only,
 * so the command resolves a name when it applies a configuration.
 */
#ifndef MPROX_URL_H
#define MPROX_URL_H

#include <stddef.h>

/*
 * Copy @url into @out (@len bytes) with its host replaced by an address
 * when it is a name; @addr (at least 46 bytes) gets the address used, or
 * "" when the URL already had one. The rest of the URL is left for the
 * driver to judge. Returns 0, or a getaddrinfo() EAI_* error (EAI_SYSTEM
 * with errno ENAMETOOLONG when @out is too small, EINVAL when there is no
 * "://").
 */
int url_resolve(const char *url, char *out, size_t len, char *addr);

#endif /* MPROX_URL_H */
