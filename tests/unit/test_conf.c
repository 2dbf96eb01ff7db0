// SPDX-License-Identifier: GPL-2.0
/*
 * The configuration file parser (ip-helper/conf.c, with the driver's URL
 * parser built in): the cases of conf_test_cases.h, each good file also
 * round-tripped through mprox_conf_format(); then the file functions of
 * conf_file.c and mprox_conf_name_from_path(). Prints TAP.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "conf_test_cases.h"
#include "unit_tap.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static char why[512];

/* The input of @c, built as conf_test_cases.h says; malloc'd. */
static char *build_input(const struct conf_case *c, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	unsigned int i;

	if (!f)
		abort();
	if (c->text)
		fwrite(c->text, 1, c->len ? c->len : strlen(c->text), f);
	for (i = 0; i < c->times; i++)
		fprintf(f, c->body, i);
	if (c->tail)
		fputs(c->tail, f);
	if (fclose(f))
		abort();
	return buf;
}

/* NULL, or why @text does not go round format -> parse unchanged. */
static const char *round_trip(const struct mprox_conf *conf, const char *directives)
{
	char *text = mprox_conf_format(conf, true), *again = NULL, *text2 = NULL;
	struct mprox_conf_error err;
	struct mprox_conf conf2;
	const char *ret = NULL;

	if (mprox_conf_parse(text, strlen(text), &conf2, &err)) {
		snprintf(why, sizeof(why), "format() output fails line %u: %s", err.line, err.msg);
		ret = why;
	} else {
		again = mprox_conf_directives(&conf2);
		text2 = mprox_conf_format(&conf2, true);
		if (strcmp(again, directives))
			ret = "directives differ after format -> parse";
		else if (strcmp(text, text2))
			ret = "format() differs after format -> parse";
		mprox_conf_free(&conf2);
	}
	free(text);
	free(text2);
	free(again);
	return ret;
}

static const char *check_good(const struct conf_case *c, const struct mprox_conf *conf)
{
	char *directives = mprox_conf_directives(conf), *text = mprox_conf_format(conf, false);
	const char *ret = NULL;

	if (c->want && strcmp(directives, c->want)) {
		snprintf(why, sizeof(why), "directives:\n%s", directives);
		ret = why;
	} else if (c->format && strcmp(text, c->format)) {
		snprintf(why, sizeof(why), "format:\n%s", text);
		ret = why;
	} else if (strstr(text, ":p") || strstr(text, "s%40cret")) {
		ret = "format() without secrets shows a password";
	} else {
		ret = round_trip(conf, directives);
	}
	free(directives);
	free(text);
	return ret;
}

static const char *run_case(const struct conf_case *c)
{
	struct mprox_conf_error err;
	struct mprox_conf conf;
	const char *ret = NULL;
	size_t len;
	char *text = build_input(c, &len);
	int rc;

	errno = 0;
	rc = mprox_conf_parse(text, len, &conf, &err);
	free(text);
	if (!rc && c->err) {
		mprox_conf_free(&conf);
		return "parsed, want an error";
	}
	if (!rc)
		ret = check_good(c, &conf);
	else if (!c->err || errno != c->err || err.line != c->line || !strstr(err.msg, c->want)) {
		snprintf(why, sizeof(why), "errno %d line %u \"%s\"", errno, err.line, err.msg);
		ret = why;
	}
	mprox_conf_free(&conf);
	return ret;
}

static const struct {
	const char *path, *name;
	int err;
} names[] = {
	{ "/etc/mprox/mprox0.conf", "mprox0", 0 },
	{ "work.conf", "work", 0 },
	{ "/etc/mprox/abcdefghijklmno.conf", "abcdefghijklmno", 0 },
	{ "/etc/mprox/abcdefghijklmnop.conf", NULL, ENAMETOOLONG },
	{ "/etc/mprox/.conf", NULL, EINVAL },
	{ "/etc/mprox/a:b.conf", NULL, EINVAL },
	{ "/etc/mprox/mprox0", NULL, EINVAL },
	{ "/etc/mprox/..conf", NULL, EINVAL },
	{ "/etc/mprox/a b.conf", NULL, EINVAL },
	/* A template: the kernel would make vpn0 of it. */
	{ "/etc/mprox/vpn%d.conf", NULL, EINVAL },
	/* Every command would take it for an option. */
	{ "/etc/mprox/-vpn.conf", NULL, EINVAL },
	{ "./-.conf", NULL, EINVAL },
};

static void test_names(void)
{
	size_t i;

	for (i = 0; i < ARRAY_LEN(names); i++) {
		char name[MPROX_IFNAMSIZ] = "";
		int rc = mprox_conf_name_from_path(names[i].path, name);

		if (names[i].err)
			result(rc == -1 && errno == names[i].err ? NULL : "want an error",
			       names[i].path);
		else
			result(!rc && !strcmp(name, names[i].name) ? NULL : "wrong name",
			       names[i].path);
	}
}

/* mprox_conf_read_file() of @text in a file of @mode: errno, 0 when it succeeds. */
static int read_file(const char *text, size_t len, mode_t mode, bool insecure,
		     struct mprox_conf_error *err)
{
	char path[] = "/tmp/mprox-test-conf-XXXXXX";
	struct mprox_conf conf;
	int fd = mkstemp(path), rc;

	if (fd < 0 || (size_t)write(fd, text, len) != len || fchmod(fd, mode))
		abort();
	close(fd);
	rc = mprox_conf_read_file(path, insecure, &conf, err) ? errno : 0;
	unlink(path);
	mprox_conf_free(&conf);
	return rc;
}

static void test_files(void)
{
	static const char secret[] = "[Upstream a]\nURL = socks5://u:p@h\n";
	static const char plain[] = "[Upstream a]\nURL = socks5://u@h\n";
	struct mprox_conf_error err;
	struct mprox_conf conf;
	char *big = calloc(1, MPROX_CONF_SIZE_MAX + 1), fifo[64];

	result(read_file(secret, strlen(secret), 0600, false, &err) ? "refused" : NULL,
	       "read_file: a password in a 0600 file");
	result(read_file(secret, strlen(secret), 0644, false, &err) == EACCES &&
			       strstr(err.msg, "chmod 600") && strstr(err.msg, "--insecure-perms")
		       ? NULL
		       : err.msg,
	       "read_file: a password in a 0644 file is refused");
	result(read_file(secret, strlen(secret), 0640, true, &err) ? "refused" : NULL,
	       "read_file: a password in a 0640 file with insecure_perms");
	result(read_file(plain, strlen(plain), 0644, false, &err) ? "refused" : NULL,
	       "read_file: no password in a 0644 file");
	result(read_file("[Bad]\n", 6, 0600, false, &err) == EINVAL && err.line == 1 ? NULL
										     : err.msg,
	       "read_file: a parse error keeps its line");
	memset(big, '\n', MPROX_CONF_SIZE_MAX + 1);
	result(read_file(big, MPROX_CONF_SIZE_MAX + 1, 0600, false, &err) == E2BIG ? NULL : err.msg,
	       "read_file: larger than 1 MiB");
	result(read_file(big, MPROX_CONF_SIZE_MAX, 0600, false, &err) ? err.msg : NULL,
	       "read_file: exactly 1 MiB");
	free(big);
	result(mprox_conf_read_file("/nonexistent/x.conf", false, &conf, &err) && errno == ENOENT
		       ? NULL
		       : "want ENOENT",
	       "read_file: a missing file");
	result(mprox_conf_read_file("/tmp", false, &conf, &err) && errno == EINVAL ? NULL
										   : "want EINVAL",
	       "read_file: a directory");
	/* Refused without waiting for a writer (main()'s alarm ends a hang). */
	snprintf(fifo, sizeof(fifo), "/tmp/mprox-test-conf-%d.fifo", (int)getpid());
	result(mkfifo(fifo, 0600)						   ? strerror(errno)
	       : mprox_conf_read_file(fifo, false, &conf, &err) && errno == EINVAL ? NULL
										   : "want EINVAL",
	       "read_file: a FIFO");
	unlink(fifo);
}

int main(void)
{
	size_t i;

	alarm(60);
	printf("1..%zu\n", ARRAY_LEN(conf_cases) + ARRAY_LEN(names) + 10);
	for (i = 0; i < ARRAY_LEN(conf_cases); i++)
		result(run_case(&conf_cases[i]), conf_cases[i].desc);
	test_names();
	test_files();
	return failed ? 1 : 0;
}
