// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the configuration file parser (ip-helper/conf.c,
 * with the driver's URL parser built in). Besides the sanitizers' checks:
 * a refused file gives a documented errno, a message and an empty conf; a
 * good one goes round format -> parse with the same directives and text,
 * and every directive it makes, other than those it leaves to the driver
 * ([Rule], [DNS], priority), is one the driver's parser accepts.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "parse.h"
#include "fuzz_check.h"

static bool all_zero(const void *p, size_t size)
{
	const unsigned char *b = p;
	size_t i;

	for (i = 0; i < size; i++)
		if (b[i])
			return false;
	return true;
}

static void check_refused(const char *text, size_t size, const struct mprox_conf *conf,
			  const struct mprox_conf_error *err)
{
	size_t lines = 1, i;

	CHECK(errno == EINVAL || errno == ERANGE || errno == E2BIG || errno == ENAMETOOLONG);
	CHECK(memchr(err->msg, '\0', sizeof(err->msg)) && err->msg[0]);
	/* Every URL the driver refuses is explained. */
	CHECK(strncmp(err->msg, "URL: refused", 12));
	for (i = 0; i < size; i++)
		lines += text[i] == '\n';
	CHECK(err->line <= lines);
	CHECK(all_zero(conf, sizeof(*conf)));
}

/* Whether @line (@len bytes) begins with the word @word. */
static bool first_word_is(const char *line, size_t len, const char *word)
{
	size_t n = strlen(word);

	return len >= n && !memcmp(line, word, n) &&
	       (len == n || line[n] == ' ' || line[n] == '\t');
}

/* Each line of @directives, as the device fd would take it. */
static void check_driver_accepts(const char *directives)
{
	const char *line = directives, *end;
	struct mprox_directive d;

	for (; (end = strchr(line, '\n')); line = end + 1) {
		size_t len = end - line;

		if (first_word_is(line, len, "rule") || first_word_is(line, len, "dns"))
			continue;
		if (memmem(line, len, " priority ", 10))
			continue;
		CHECK(mprox_parse_line(line, len, &d) == 0);
	}
	CHECK(!*line);
}

/* @text, made by mprox_conf_format(), parses with these @directives. */
static void check_reparse(const char *text, const char *directives, bool secrets)
{
	struct mprox_conf_error err;
	struct mprox_conf conf;
	char *again, *text2;

	CHECK(mprox_conf_parse(text, strlen(text), &conf, &err) == 0);
	if (secrets) {
		again = mprox_conf_directives(&conf);
		text2 = mprox_conf_format(&conf, true);
		CHECK(again && text2);
		CHECK(!strcmp(again, directives));
		CHECK(!strcmp(text2, text));
		free(again);
		free(text2);
	} else {
		CHECK(!mprox_conf_has_secrets(&conf));
	}
	mprox_conf_free(&conf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct mprox_conf_error err;
	struct mprox_conf conf;
	char *directives, *full, *bare;

	memset(&err, 0xa5, sizeof(err));
	if (mprox_conf_parse(text, size, &conf, &err)) {
		check_refused(text, size, &conf, &err);
		return 0;
	}
	CHECK(conf.n_upstream <= MPROX_UPSTREAMS_MAX);
	directives = mprox_conf_directives(&conf);
	full = mprox_conf_format(&conf, true);
	bare = mprox_conf_format(&conf, false);
	CHECK(directives && full && bare);
	check_driver_accepts(directives);
	check_reparse(full, directives, true);
	check_reparse(bare, directives, false);
	free(directives);
	free(full);
	free(bare);
	mprox_conf_free(&conf);
	return 0;
}
