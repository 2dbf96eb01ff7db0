// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for driver/dest.c. The first 16 bytes of the input are
 * an IPv6 address, written both ways (IPv4-mapped dotted, as SOCKS4a sends
 * it, and all in hex, as HTTP does); their first 4 an IPv4 address and
 * their first 2 a port. Each text goes into a heap buffer of exactly the
 * most its kind may take, so that ASan catches a byte written past it, and
 * must read back as what was written (inet_pton, strtoul) and match
 * inet_ntop, but where glibc's choice differs from the one asked for.
 */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "dest.h"
#include "fuzz_check.h"

/* The text of @n bytes at @text, NUL terminated at @str. */
static void terminate(char *str, const char *text, size_t n)
{
	memcpy(str, text, n);
	str[n] = '\0';
}

static void check_v6(const u8 *data, bool dotted)
{
	char *text = malloc(MPROX_DEST_V6_TEXT_MAX), str[MPROX_DEST_V6_TEXT_MAX + 1];
	char ntop[INET6_ADDRSTRLEN];
	struct in6_addr a, back;
	size_t n;

	CHECK(text);
	memcpy(&a, data, 16);
	n = mprox_dest_v6_text(text, &a, dotted);
	CHECK(n >= 2 && n <= (dotted ? MPROX_DEST_V6_TEXT_MAX : 39));
	terminate(str, text, n);
	CHECK(inet_pton(AF_INET6, str, &back) == 1 && !memcmp(&a, &back, 16));
	CHECK(inet_ntop(AF_INET6, &a, ntop, sizeof(ntop)));
	if (dotted) {
		/* glibc writes ::/96 (IPv4-compatible, deprecated) as ::a.b.c.d too. */
		if (memcmp(data, "\0\0\0\0\0\0\0\0\0\0\0\0", 12) || (!data[12] && !data[13]))
			CHECK(!strcmp(str, ntop));
	} else {
		/* All hex: glibc's text where it has no dotted quad. */
		CHECK(!strchr(str, '.'));
		if (!strchr(ntop, '.'))
			CHECK(!strcmp(str, ntop));
	}
	free(text);
}

static void check_v4(const u8 *data)
{
	char *text = malloc(MPROX_DEST_V4_TEXT_MAX), str[MPROX_DEST_V4_TEXT_MAX + 1];
	char ntop[INET_ADDRSTRLEN];
	struct in_addr a;
	size_t n;

	CHECK(text);
	memcpy(&a, data, 4);
	n = mprox_dest_v4_text(text, &a);
	CHECK(n >= 7 && n <= MPROX_DEST_V4_TEXT_MAX);
	terminate(str, text, n);
	CHECK(inet_ntop(AF_INET, &a, ntop, sizeof(ntop)));
	CHECK(!strcmp(str, ntop));
	free(text);
}

static void check_port(const u8 *data)
{
	char *text = malloc(MPROX_DEST_PORT_TEXT_MAX), str[MPROX_DEST_PORT_TEXT_MAX + 1];
	u16 port = data[0] << 8 | data[1];
	size_t n;

	CHECK(text);
	n = mprox_dest_port_text(text, port);
	CHECK(n >= 1 && n <= MPROX_DEST_PORT_TEXT_MAX);
	terminate(str, text, n);
	CHECK(strtoul(str, NULL, 10) == port && (n == 1 || str[0] != '0'));
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size >= 2)
		check_port(data);
	if (size >= 4)
		check_v4(data);
	if (size >= 16) {
		check_v6(data, true);
		check_v6(data, false);
	}
	return 0;
}
