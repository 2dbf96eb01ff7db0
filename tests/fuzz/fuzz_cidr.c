// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for cidr_parse() (ip-helper/cidr.c), on bytes with no
 * NUL after them. Besides the sanitizers' checks: a network it accepts
 * has no host bits, and its text parses back to the same network; one
 * with host bits comes back as that network, which then parses clean.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cidr.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char text[CIDR_TEXT_MAX];
	enum cidr_status st;
	struct cidr c, again;
	char *copy;

	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	st = cidr_parse(copy, size, &c);
	free(copy);
	CHECK(st <= CIDR_HOST_BITS);
	if (st != CIDR_OK && st != CIDR_HOST_BITS) {
		CHECK(!c.prefix);
		return 0;
	}
	CHECK(c.family == AF_INET || c.family == AF_INET6);
	CHECK(c.prefix <= (c.family == AF_INET ? 32u : 128u));
	cidr_format(&c, text, sizeof(text));
	CHECK(cidr_parse(text, strlen(text), &again) == CIDR_OK);
	CHECK(cidr_equal(&c, &again));
	return 0;
}
