// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "cidr.h"

/*
 * Decimal, 1 to 3 digits, no leading zero: "08" is refused rather than
 * read as 8 (or, as ip(8)'s strtoul() base 0 would, as an octal error).
 */
static enum cidr_status parse_prefix(const char *s, size_t len, unsigned int max, unsigned int *out)
{
	unsigned int v = 0;
	size_t i;

	if (!len || (s[0] == '0' && len > 1))
		return CIDR_NOT_NUMBER;
	for (i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return CIDR_NOT_NUMBER;
	if (len > 3)
		return CIDR_PREFIX_RANGE;
	for (i = 0; i < len; i++)
		v = v * 10 + (unsigned int)(s[i] - '0');
	if (v > max)
		return CIDR_PREFIX_RANGE;
	*out = v;
	return CIDR_OK;
}

enum cidr_status cidr_parse(const char *s, size_t len, struct cidr *c)
{
	const char *slash = memchr(s, '/', len);
	size_t alen = slash ? (size_t)(slash - s) : len;
	char text[INET6_ADDRSTRLEN];
	enum cidr_status st;
	unsigned int max, i;
	bool host_bits = false;

	memset(c, 0, sizeof(*c));
	/* Longer than any address: none, not one cut short. */
	if (alen >= sizeof(text) || memchr(s, '\0', alen))
		return CIDR_NOT_ADDRESS;
	memcpy(text, s, alen);
	text[alen] = '\0';
	if (inet_pton(AF_INET, text, c->addr) == 1)
		c->family = AF_INET;
	else if (inet_pton(AF_INET6, text, c->addr) == 1)
		c->family = AF_INET6;
	else
		return CIDR_NOT_ADDRESS;
	max = c->family == AF_INET ? 32 : 128;
	c->prefix = max;
	if (slash) {
		st = parse_prefix(slash + 1, len - alen - 1, max, &c->prefix);
		if (st != CIDR_OK) {
			memset(c->addr, 0, sizeof(c->addr));
			c->prefix = 0;
			return st;
		}
	}
	for (i = c->prefix; i < max; i++) {
		uint8_t bit = (uint8_t)(0x80 >> (i % 8));

		if (c->addr[i / 8] & bit) {
			host_bits = true;
			c->addr[i / 8] &= (uint8_t)~bit;
		}
	}
	return host_bits ? CIDR_HOST_BITS : CIDR_OK;
}

bool cidr_equal(const struct cidr *a, const struct cidr *b)
{
	return a->family == b->family && a->prefix == b->prefix &&
	       !memcmp(a->addr, b->addr, sizeof(a->addr));
}

char *cidr_format(const struct cidr *c, char *buf, size_t size)
{
	char text[INET6_ADDRSTRLEN];

	if (!inet_ntop(c->family, c->addr, text, sizeof(text)))
		strcpy(text, "?");
	snprintf(buf, size, "%s/%u", text, c->prefix);
	return buf;
}
