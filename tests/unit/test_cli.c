// SPDX-License-Identifier: GPL-2.0
/*
 * The mprox command's helpers (ip-helper/cli.c): cli_parse_ulong() and
 * cli_list_item() on tables of cases, and cli_write_file() failing without leaking its file
 * descriptor or leaving its temporary file. Prints TAP.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cli.h"
#include "unit_tap.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
	const char *s;
	unsigned long min, max, want;
	int err; /* 0: parses to @want */
} numbers[] = {
	{ "0", 0, 100, 0, 0 },
	{ "42", 0, 100, 42, 0 },
	/* Decimal, as cli.h says: a leading zero is not octal. */
	{ "010", 0, 100, 10, 0 },
	{ "060", 0, 100, 60, 0 },
	{ "08", 0, 100, 8, 0 },
	{ "0x10", 0, 100, 16, 0 },
	{ "0XfF", 0, 1000, 255, 0 },
	{ "4294967295", 0, 4294967295UL, 4294967295UL, 0 },
	{ "101", 0, 100, 0, ERANGE },
	{ "0", 1, 100, 0, ERANGE },
	{ "99999999999999999999999", 0, ~0UL, 0, ERANGE },
	{ "", 0, 100, 0, EINVAL },
	{ "0x", 0, 100, 0, EINVAL },
	{ "0x0x5", 0, 100, 0, EINVAL },
	{ "0xg", 0, 100, 0, EINVAL },
	{ "-1", 0, ~0UL, 0, EINVAL },
	{ "+1", 0, 100, 0, EINVAL },
	{ " 1", 0, 100, 0, EINVAL },
	{ "1 ", 0, 100, 0, EINVAL },
	{ "1k", 0, 100, 0, EINVAL },
	{ "a", 0, 100, 0, EINVAL },
};

static void test_numbers(void)
{
	char desc[64];
	size_t i;

	for (i = 0; i < ARRAY_LEN(numbers); i++) {
		unsigned long v = 12345;
		int rc;

		errno = 0;
		rc = cli_parse_ulong(numbers[i].s, numbers[i].min, numbers[i].max, &v);
		snprintf(desc, sizeof(desc), "cli_parse_ulong(\"%s\")", numbers[i].s);
		if (numbers[i].err)
			result(rc == -1 && errno == numbers[i].err && v == 12345 ? NULL
										 : "want an error",
			       desc);
		else
			result(!rc && v == numbers[i].want ? NULL : "wrong value", desc);
	}
}

static const struct {
	const char *line, *want;
} list_items[] = {
	{ "10.0.0.0/8\n", "10.0.0.0/8" },
	{ "10.0.0.0/8", "10.0.0.0/8" },
	{ "  \t2001:db8::/32 \t\r\n", "2001:db8::/32" },
	{ "192.0.2.1 # a host\n", "192.0.2.1" },
	{ "192.0.2.1#no space\n", "192.0.2.1" },
	{ "# 10.0.0.0/8\n", "" },
	{ "   # indented comment\n", "" },
	{ "\n", "" },
	{ "\r\n", "" },
	{ " \t \n", "" },
	{ "", "" },
	/* Inner blanks stay: the caller refuses them, as no prefix has any. */
	{ "10.0.0.0 /8\n", "10.0.0.0 /8" },
	/* The line ends at its first line end, whatever follows. */
	{ "10.0.0.0/8\r20.0.0.0/8\n", "10.0.0.0/8" },
};

static void test_list_items(void)
{
	char desc[80], line[64];
	const char *got;
	size_t i;

	for (i = 0; i < ARRAY_LEN(list_items); i++) {
		snprintf(line, sizeof(line), "%s", list_items[i].line);
		got = cli_list_item(line);
		snprintf(desc, sizeof(desc), "cli_list_item() of case %zu gives \"%s\"", i + 1,
			 list_items[i].want);
		result_detail(strcmp(got, list_items[i].want) ? "got " : NULL, desc, got);
	}
}

/* The lowest free descriptor: what the next open() gets. */
static int next_fd(void)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		abort();
	close(fd);
	return fd;
}

/* Entries in @dir besides "." and "..". */
static int entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		abort();
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

static void test_write_file(void)
{
	char dir[] = "/tmp/mprox-test-cli-XXXXXX", path[64], text[4096];
	struct rlimit old, small = { .rlim_cur = 16 };
	int before, rc, err;

	if (!mkdtemp(dir))
		abort();
	snprintf(path, sizeof(path), "%s/state", dir);
	memset(text, 'x', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';

	result(!cli_write_file(path, "ok\n") && entries(dir) == 1 ? NULL : "failed",
	       "cli_write_file() writes the file");

	/* A short write: the file size limit stops it after 16 bytes. */
	before = next_fd();
	signal(SIGXFSZ, SIG_IGN);
	if (getrlimit(RLIMIT_FSIZE, &old))
		abort();
	/* The hard limit as it is: raising it would need privilege. */
	small.rlim_max = old.rlim_max;
	if (setrlimit(RLIMIT_FSIZE, &small))
		abort();
	rc = cli_write_file(path, text);
	err = errno;
	if (setrlimit(RLIMIT_FSIZE, &old))
		abort();
	result(rc == -1 && err ? NULL : "want -1 and an errno", "cli_write_file() cut short fails");
	result(next_fd() == before ? NULL : "a descriptor leaked",
	       "cli_write_file() cut short closes its descriptor");
	result(entries(dir) == 1 ? NULL : "a temporary file is left",
	       "cli_write_file() cut short removes its temporary file");
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	test_numbers();
	test_list_items();
	test_write_file();
	printf("1..%d\n", n);
	return failed ? 1 : 0;
}
