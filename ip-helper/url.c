// SPDX-License-Identifier: GPL-2.0
/* Resolving the host name of an upstream URL. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>

#include "url.h"

/* The longest DNS name, and then some: anything longer is no name. */
#define URL_NAME_MAX 255

int url_host(const char *url, size_t *off, size_t *len)
{
	const char *auth, *host, *at, *end, *colon;

	*off = 0;
	*len = 0;
	auth = strstr(url, "://");
	if (!auth) {
		errno = EINVAL;
		return -1;
	}
	auth += 3;
	end = auth + strcspn(auth, "/?#");
	/* The password may hold '@' only escaped, so the last '@' ends it. */
	at = memrchr(auth, '@', end - auth);
	host = at ? at + 1 : auth;
	*off = host - url;
	if (*host == '[')
		return 0;
	colon = memchr(host, ':', end - host);
	if (colon)
		end = colon;
	if (end - host <= URL_NAME_MAX)
		*len = end - host;
	return 0;
}

int url_resolve(const char *url, char *out, size_t len, char *addr)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_ADDRCONFIG };
	char name[URL_NAME_MAX + 1];
	struct addrinfo *res;
	size_t off, host_len;
	struct in_addr v4;
	void *a;
	int n, err;

	addr[0] = '\0';
	if (url_host(url, &off, &host_len))
		return EAI_SYSTEM;
	if (!host_len)
		goto verbatim; /* an IPv6 address, or nothing the driver accepts */
	memcpy(name, url + off, host_len);
	name[host_len] = '\0';
	if (inet_pton(AF_INET, name, &v4) == 1)
		goto verbatim;
	err = getaddrinfo(name, NULL, &hints, &res);
	if (err)
		return err;
	a = res->ai_family == AF_INET6 ? (void *)&((struct sockaddr_in6 *)res->ai_addr)->sin6_addr
				       : (void *)&((struct sockaddr_in *)res->ai_addr)->sin_addr;
	inet_ntop(res->ai_family, a, addr, INET6_ADDRSTRLEN);
	n = snprintf(out, len, res->ai_family == AF_INET6 ? "%.*s[%s]%s" : "%.*s%s%s", (int)off,
		     url, addr, url + off + host_len);
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
