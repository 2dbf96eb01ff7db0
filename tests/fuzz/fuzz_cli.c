// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the text the mprox command reads itself
 * (ip-helper/cli.c): numbers (cli_parse_ulong()) and the lines of a list
 * file (cli_list_item()). Besides the sanitizers' checks: a number is
 * taken only if it is all digits, decimal or 0x, and in range, and
 * prints back the same; an item lies inside its line, holds no comment
 * or line end, and has no blank at either end.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "fuzz_check.h"

static void check_number(const char *s)
{
	unsigned long v = 12345, min = 10, max = 100000;
	const char *digits;
	char back[32];
	int rc;

	errno = 0;
	rc = cli_parse_ulong(s, min, max, &v);
	if (rc) {
		CHECK(rc == -1 && (errno == EINVAL || errno == ERANGE) && v == 12345);
		return;
	}
	CHECK(v >= min && v <= max);
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		CHECK(s[2] && strspn(s + 2, "0123456789abcdefABCDEF") == strlen(s + 2));
		CHECK(strtoul(s + 2, NULL, 16) == v);
	} else {
		CHECK(s[0] && strspn(s, "0123456789") == strlen(s));
		/* Leading zeros aside, the digits print back. */
		snprintf(back, sizeof(back), "%lu", v);
		digits = s + strspn(s, "0");
		CHECK(!strcmp(*digits ? digits : "0", back));
	}
}

static void check_item(char *line, size_t size)
{
	char *copy = strdup(line), *item;
	size_t len;

	if (!copy)
		return;
	item = cli_list_item(line);
	len = strlen(item);
	CHECK(item >= line && item + len <= line + size);
	CHECK(!memcmp(item, copy + (item - line), len));
	CHECK(!strpbrk(item, "#\n\r"));
	CHECK(!len || (item[0] != ' ' && item[0] != '\t'));
	CHECK(!len || (item[len - 1] != ' ' && item[len - 1] != '\t'));
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_string(data, size);

	if (!s)
		return 0;
	check_number(s);
	check_item(s, strlen(s));
	free(s);
	return 0;
}
