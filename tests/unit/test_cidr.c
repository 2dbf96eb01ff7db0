// SPDX-License-Identifier: GPL-2.0
/*
 * Networks in CIDR notation (ip-helper/cidr.c, cidr_parse()): what "mprox
 * route --exclude" and the configuration file's "Exclude" accept, the
 * network each means, and which two are the same. A table of cases, each
 * parsed from a buffer of exactly its length (no NUL after it), then
 * formatted back. Prints TAP.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cidr.h"
#include "unit_tap.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
	const char *text;
	enum cidr_status want;
	const char *net; /* CIDR_OK, CIDR_HOST_BITS: cidr_format() of it */
} cases[] = {
	{ "10.0.0.0/8", CIDR_OK, "10.0.0.0/8" },
	{ "10.1.2.3", CIDR_OK, "10.1.2.3/32" },
	{ "0.0.0.0/0", CIDR_OK, "0.0.0.0/0" },
	{ "192.168.1.0/24", CIDR_OK, "192.168.1.0/24" },
	{ "255.255.255.255/32", CIDR_OK, "255.255.255.255/32" },
	{ "2001:db8::/32", CIDR_OK, "2001:db8::/32" },
	{ "2001:0db8:0::/32", CIDR_OK, "2001:db8::/32" },
	{ "::1", CIDR_OK, "::1/128" },
	{ "::/0", CIDR_OK, "::/0" },
	{ "fe80::/10", CIDR_OK, "fe80::/10" },
	{ "::ffff:10.0.0.0/104", CIDR_OK, "::ffff:10.0.0.0/104" },
	/* Host bits: refused, with the network they mean. */
	{ "10.0.0.1/8", CIDR_HOST_BITS, "10.0.0.0/8" },
	{ "10.200.2.2/24", CIDR_HOST_BITS, "10.200.2.0/24" },
	{ "1.2.3.4/0", CIDR_HOST_BITS, "0.0.0.0/0" },
	{ "2001:db8::1/64", CIDR_HOST_BITS, "2001:db8::/64" },
	{ "fe80::1/10", CIDR_HOST_BITS, "fe80::/10" },
	/* Prefixes: decimal, no leading zero, within the family's bits. */
	{ "10.0.0.0/33", CIDR_PREFIX_RANGE, NULL },
	{ "::/129", CIDR_PREFIX_RANGE, NULL },
	{ "10.0.0.0/999", CIDR_PREFIX_RANGE, NULL },
	{ "10.0.0.0/4294967304", CIDR_PREFIX_RANGE, NULL },
	{ "10.0.0.0/08", CIDR_NOT_NUMBER, NULL },
	{ "10.0.0.0/00", CIDR_NOT_NUMBER, NULL },
	{ "10.0.0.0/0x8", CIDR_NOT_NUMBER, NULL },
	{ "10.0.0.0/", CIDR_NOT_NUMBER, NULL },
	{ "10.0.0.0/-8", CIDR_NOT_NUMBER, NULL },
	{ "10.0.0.0/+8", CIDR_NOT_NUMBER, NULL },
	{ "10.0.0.0/ 8", CIDR_NOT_NUMBER, NULL },
	{ "10.0.0.0/8/8", CIDR_NOT_NUMBER, NULL },
	/* Not an address before the '/'. */
	{ "", CIDR_NOT_ADDRESS, NULL },
	{ "/8", CIDR_NOT_ADDRESS, NULL },
	{ "example.com/8", CIDR_NOT_ADDRESS, NULL },
	{ "10.0.0/8", CIDR_NOT_ADDRESS, NULL },
	{ "010.0.0.0/8", CIDR_NOT_ADDRESS, NULL },
	{ "10.0.0.256", CIDR_NOT_ADDRESS, NULL },
	{ " 10.0.0.0/8", CIDR_NOT_ADDRESS, NULL },
	{ "[::1]/128", CIDR_NOT_ADDRESS, NULL },
	{ "fe80::1%eth0/64", CIDR_NOT_ADDRESS, NULL },
	{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/0", CIDR_NOT_ADDRESS, NULL },
};

static const char *const status_names[] = {
	[CIDR_OK] = "ok",
	[CIDR_NOT_ADDRESS] = "not an address",
	[CIDR_NOT_NUMBER] = "not a number",
	[CIDR_PREFIX_RANGE] = "prefix out of range",
	[CIDR_HOST_BITS] = "host bits",
};

/* @text from a buffer of exactly its length: nothing may read past it. */
static enum cidr_status parse_exact(const char *text, struct cidr *c)
{
	size_t len = strlen(text);
	char *copy = malloc(len ? len : 1);
	enum cidr_status st;

	if (!copy)
		abort();
	memcpy(copy, text, len);
	st = cidr_parse(copy, len, c);
	free(copy);
	return st;
}

static void test_equal(void)
{
	struct cidr a, b, c, d;

	parse_exact("2001:db8::/32", &a);
	parse_exact("2001:0db8:0:0::/32", &b);
	parse_exact("2001:db8::/33", &c);
	parse_exact("0.0.0.0/0", &d);
	result(cidr_equal(&a, &b) ? NULL : "not equal", "2001:db8::/32 is 2001:0db8:0:0::/32");
	result(!cidr_equal(&a, &c) ? NULL : "equal", "/32 is not /33");
	parse_exact("::/0", &a);
	result(!cidr_equal(&a, &d) ? NULL : "equal", "0.0.0.0/0 is not ::/0");
}

static void test_embedded_nul(void)
{
	struct cidr c;

	result(cidr_parse("10.0.0.1\0/8", 11, &c) == CIDR_NOT_ADDRESS ? NULL : "parsed",
	       "a NUL inside the address");
	result(cidr_parse("10.0.0.0/8\0", 11, &c) == CIDR_NOT_NUMBER ? NULL : "parsed",
	       "a NUL inside the prefix");
	result(cidr_parse("10.0.0.0/8", 9, &c) == CIDR_NOT_NUMBER ? NULL : "parsed",
	       "the length, not the NUL, ends it");
}

int main(void)
{
	char desc[128], got[CIDR_TEXT_MAX + 64];
	struct cidr c;
	size_t i;

	printf("1..%zu\n", ARRAY_LEN(cases) + 6);
	for (i = 0; i < ARRAY_LEN(cases); i++) {
		enum cidr_status st;

		snprintf(desc, sizeof(desc), "cidr_parse(\"%s\")", cases[i].text);
		memset(&c, 0xa5, sizeof(c));
		st = parse_exact(cases[i].text, &c);
		if (st != cases[i].want) {
			snprintf(got, sizeof(got), "%s, want %s", status_names[st],
				 status_names[cases[i].want]);
			result_detail("got ", desc, got);
			continue;
		}
		if (!cases[i].net) {
			result(c.prefix == 0 ? NULL : "a prefix left set", desc);
			continue;
		}
		cidr_format(&c, got, sizeof(got));
		result_detail(strcmp(got, cases[i].net) ? "got " : NULL, desc, got);
	}
	test_equal();
	test_embedded_nul();
	return failed != 0;
}
