// SPDX-License-Identifier: GPL-2.0
/* Resolving the host name of an upstream URL. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>

#include "url.h"

int url_resolve(const char *url, char *out, size_t len, char *addr)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_ADDRCONFIG };
	const char *auth, *host, *end, *at;
	struct addrinfo *res;
	struct in_addr v4;
	char name[256];
	void *a;
	int n, err;

	addr[0] = '\0';
	auth = strstr(url, "://");
	if (!auth) {
		errno = EINVAL;
		return EAI_SYSTEM;
	}
	auth += 3;
	/* The password may hold '@' only escaped, so the last '@' ends it. */
	at = strrchr(auth, '@');
	host = at ? at + 1 : auth;
	end = host + strcspn(host, ":/");
	if (*host == '[' || end == host || (size_t)(end - host) >= sizeof(name))
		goto verbatim; /* an IPv6 address, or nothing the driver accepts */
	memcpy(name, host, end - host);
	name[end - host] = '\0';
	if (inet_pton(AF_INET, name, &v4) == 1)
		goto verbatim;
	err = getaddrinfo(name, NULL, &hints, &res);
	if (err)
		return err;
	a = res->ai_family == AF_INET6 ? (void *)&((struct sockaddr_in6 *)res->ai_addr)->sin6_addr
				       : (void *)&((struct sockaddr_in *)res->ai_addr)->sin_addr;
	inet_ntop(res->ai_family, a, addr, INET6_ADDRSTRLEN);
	n = snprintf(out, len, res->ai_family == AF_INET6 ? "%.*s[%s]%s" : "%.*s%s%s",
		     (int)(host - url), url, addr, end);
	freeaddrinfo(res);
	goto check;
verbatim:
	n = snprintf(out, len, "%s", url);
check:
	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return EAI_SYSTEM;
	}
	return 0;
}
