// SPDX-License-Identifier: GPL-2.0
/*
 * The configuration file parser of the mprox command; the format is in
 * mprox.conf(5), the contract in conf.h.
 *
 * Every byte is hostile: lines are (pointer, length) spans of the caller's
 * buffer, nothing is read past them, numbers are checked before they can
 * wrap, and what is allocated is bounded by the input, itself at most
 * MPROX_CONF_SIZE_MAX bytes. No recursion.
 *
 * Upstream URLs and tunables are checked with the driver's own parser and
 * table (driver/parse.c, built in with tests/shim/kernel_shim.h), so that
 * the file and the device fd accept exactly the same URLs and ranges.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cgroup_path.h"
#include "conf.h"
#include "parse.h"

_Static_assert(MPROX_TUNE_COUNT <= MPROX_CONF_SETS_MAX, "room for every tunable");
_Static_assert(MPROX_CONF_LINE_MAX == MPROX_LINE_MAX, "lines as long as the fd's");
_Static_assert(MPROX_CONF_URL_MAX == MPROX_URL_MAX, "URLs as long as the driver's");

/* Most bytes of the input quoted in a message. */
#define QUOTE_MAX 64
/* Keys and words compared for a suggestion: longer ones get none. */
#define SUGGEST_LEN_MAX 32
/* The largest id: (uid_t)-1 means "no id" to the kernel. */
#define ID_MAX 4294967294U

/* A piece of the input: never NUL terminated. */
struct span {
	const char *p;
	size_t len;
};

/* For "%.*s": at most QUOTE_MAX bytes of @s. */
#define QUOTE(s) (int)((s).len < QUOTE_MAX ? (s).len : QUOTE_MAX), (s).p

enum section {
	SEC_NONE,
	SEC_DEVICE,
	SEC_UPSTREAM,
	SEC_ROUTE,
	SEC_SET,
	SEC_RULE,
	SEC_DNS,
	SEC_COUNT
};

static const struct {
	const char *name;
	bool named; /* [Upstream NAME] */
	const char *directive; /* [Set], [Rule], [DNS]: lines are these directives */
} sections[SEC_COUNT] = {
	[SEC_DEVICE] = { .name = "Device" },
	[SEC_UPSTREAM] = { .name = "Upstream", .named = true },
	[SEC_ROUTE] = { .name = "Route" },
	/* "set add" only: "set KEY VALUE" belongs in [Device], as "Set =". */
	[SEC_SET] = { .name = "Set", .directive = "set add" },
	[SEC_RULE] = { .name = "Rule", .directive = "rule" },
	[SEC_DNS] = { .name = "DNS", .directive = "dns" },
};

struct parser;
struct key;
typedef int parse_fn(struct parser *p, const struct key *k, struct span v);

struct key {
	const char *name;
	enum section sec;
	bool repeatable;
	parse_fn *parse;
};

static parse_fn parse_fwmark, parse_set, parse_url, parse_priority, parse_weight, parse_dev,
	parse_uid, parse_gid, parse_cgroup, parse_route_fwmark, parse_all, parse_exclude,
	parse_kill_switch;

/* Every key of every section: the one place that knows them. */
static const struct key keys[] = {
	{ "FwMark", SEC_DEVICE, false, parse_fwmark },
	{ "Set", SEC_DEVICE, true, parse_set },
	{ "URL", SEC_UPSTREAM, false, parse_url },
	{ "Priority", SEC_UPSTREAM, false, parse_priority },
	{ "Weight", SEC_UPSTREAM, false, parse_weight },
	{ "Dev", SEC_UPSTREAM, false, parse_dev },
	{ "Uid", SEC_ROUTE, false, parse_uid },
	{ "Gid", SEC_ROUTE, false, parse_gid },
	{ "Cgroup", SEC_ROUTE, false, parse_cgroup },
	{ "FwMark", SEC_ROUTE, false, parse_route_fwmark },
	{ "All", SEC_ROUTE, false, parse_all },
	{ "Exclude", SEC_ROUTE, true, parse_exclude },
	{ "KillSwitch", SEC_ROUTE, false, parse_kill_switch },
};

struct parser {
	struct mprox_conf *conf;
	struct mprox_conf_error *err;
	unsigned int line;
	enum section sec;
	unsigned int sec_line[SEC_COUNT]; /* where each section began; 0: not yet */
	unsigned int key_line[ARRAY_SIZE(keys)]; /* in the current section */
};

/* Report an error on the current line; returns -@errnum. */
static int __attribute__((format(printf, 3, 4)))
fail(struct parser *p, int errnum, const char *fmt, ...)
{
	va_list ap;

	p->err->line = p->line;
	va_start(ap, fmt);
	vsnprintf(p->err->msg, sizeof(p->err->msg), fmt, ap);
	va_end(ap);
	return -errnum;
}

/* Not the ctype macros: those depend on the locale. */
static char to_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* Printable ASCII, space excluded. */
static bool is_graph(char c)
{
	return c > ' ' && c < 0x7f;
}

static bool is_control(char c)
{
	return ((unsigned char)c < 0x20 && c != '\t') || c == 0x7f;
}

static size_t find_byte(struct span s, char c)
{
	const char *hit = s.len ? memchr(s.p, c, s.len) : NULL;

	return hit ? (size_t)(hit - s.p) : s.len;
}

static struct span trim(struct span s)
{
	while (s.len && is_blank(s.p[0])) {
		s.p++;
		s.len--;
	}
	while (s.len && is_blank(s.p[s.len - 1]))
		s.len--;
	return s;
}

/* Bytes [from, to) of @s. */
static struct span sub(struct span s, size_t from, size_t to)
{
	return (struct span){ s.p + from, to - from };
}

/* The first word of @s in @word, the trimmed rest in @rest. */
static void split_word(struct span s, struct span *word, struct span *rest)
{
	size_t i;

	for (i = 0; i < s.len && !is_blank(s.p[i]); i++)
		;
	*word = sub(s, 0, i);
	*rest = trim(sub(s, i, s.len));
}

static bool span_is_nocase(struct span s, const char *lit)
{
	size_t i;

	if (s.len != strlen(lit))
		return false;
	for (i = 0; i < s.len; i++)
		if (to_lower(s.p[i]) != to_lower(lit[i]))
			return false;
	return true;
}

static bool span_is(struct span s, const char *lit)
{
	return s.len == strlen(lit) && !memcmp(s.p, lit, s.len);
}

/* Case-insensitive Levenshtein distance; large for words too long to be typos. */
static unsigned int distance(struct span a, const char *b)
{
	unsigned int row[SUGGEST_LEN_MAX + 1], diag, up;
	size_t blen = strlen(b), i, j;

	if (a.len > SUGGEST_LEN_MAX || blen > SUGGEST_LEN_MAX)
		return UINT32_MAX;
	for (j = 0; j <= blen; j++)
		row[j] = j;
	for (i = 1; i <= a.len; i++) {
		diag = row[0];
		row[0] = i;
		for (j = 1; j <= blen; j++) {
			unsigned int best = diag + (to_lower(a.p[i - 1]) != to_lower(b[j - 1]));

			up = row[j];
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	return row[blen];
}

/* Keep @name in *@best if it is the closest to @word so far, within 2 edits. */
static void consider(struct span word, const char *name, const char **best, unsigned int *best_d)
{
	unsigned int d = distance(word, name);

	if (d <= 2 && d < *best_d) {
		*best = name;
		*best_d = d;
	}
}

/* " (did you mean NAME?)" or "", for an error message. */
static const char *suggestion(const char *best, char *buf, size_t size)
{
	if (!best)
		return "";
	snprintf(buf, size, " (did you mean %s?)", best);
	return buf;
}

/* 0-15 for a hexadecimal digit, 16 for anything else. */
static unsigned int digit_value(char c)
{
	c = to_lower(c);
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return 16;
}

/*
 * An unsigned number as the driver reads one: decimal, or with @hex also
 * 0x hexadecimal; no sign, no blanks. Malformed is EINVAL even when also
 * too large; too large is ERANGE, never wrapped.
 */
static int read_number(struct span s, bool hex, uint64_t *out)
{
	unsigned int base = 10;
	bool overflow = false;
	uint64_t v = 0;
	size_t i = 0;

	if (hex && s.len > 2 && s.p[0] == '0' && to_lower(s.p[1]) == 'x') {
		base = 16;
		i = 2;
	}
	if (!s.len)
		return -EINVAL;
	for (; i < s.len; i++) {
		unsigned int d = digit_value(s.p[i]);

		if (d >= base)
			return -EINVAL;
		if (v > (UINT64_MAX - d) / base)
			overflow = true;
		else
			v = v * base + d;
	}
	*out = v;
	return overflow ? -ERANGE : 0;
}

/* A number in [@min, @max] for @what, which names it in messages. */
static int number_in(struct parser *p, const char *what, struct span s, bool hex, uint64_t min,
		     uint64_t max, uint32_t *out)
{
	uint64_t v = 0;
	int ret = read_number(s, hex, &v);

	if (ret == -EINVAL)
		return fail(p, EINVAL, "%s: '%.*s' is not a number", what, QUOTE(s));
	if (ret || v < min || v > max) {
		if (hex)
			return fail(p, ERANGE, "%s: %.*s is out of range %" PRIu64 "-0x%" PRIx64,
				    what, QUOTE(s), min, max);
		return fail(p, ERANGE, "%s: %.*s is out of range %" PRIu64 "-%" PRIu64, what,
			    QUOTE(s), min, max);
	}
	*out = (uint32_t)v;
	return 0;
}

/*
 * Room for one more element of @size bytes in @v, which holds @n of *@cap.
 * Returns the (maybe moved) array, or NULL with @v untouched.
 */
static void *grow(void *v, size_t n, size_t *cap, size_t size)
{
	size_t c = *cap ? *cap * 2 : 8;
	void *nv;

	if (n < *cap)
		return v;
	nv = reallocarray(v, c, size);
	if (nv)
		*cap = c;
	return nv;
}

static char *dup_span(struct span s)
{
	char *d = malloc(s.len + 1);

	if (d) {
		memcpy(d, s.p, s.len);
		d[s.len] = '\0';
	}
	return d;
}

static int out_of_memory(struct parser *p)
{
	return fail(p, ENOMEM, "out of memory");
}

/* ---- [Device] ---------------------------------------------------------- */

static int parse_fwmark(struct parser *p, const struct key *k, struct span v)
{
	p->conf->have_fwmark = true;
	return number_in(p, k->name, v, true, 1, UINT32_MAX, &p->conf->fwmark);
}

/* "a, b or c": the words a tunable takes. */
static const char *tunable_words(const struct mprox_tunable_info *t, char *buf, size_t len)
{
	size_t i, n = 0, used = 0;

	while (t->words[n])
		n++;
	buf[0] = '\0';
	for (i = 0; i < n && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s",
					 i == 0	      ? ""
					 : i + 1 == n ? " or "
						      : ", ",
					 t->words[i]);
	return buf;
}

/* A tunable's value as the driver's grammar writes it: a number or a word. */
static void print_tunable(FILE *f, const char *fmt, const struct mprox_conf_set *set)
{
	const struct mprox_tunable_info *t = mprox_tunable_named(set->key);
	const char *word = t ? mprox_tunable_word(t, set->value) : NULL;
	char num[24];

	snprintf(num, sizeof(num), "%" PRIu32, set->value);
	fprintf(f, fmt, set->key, word ? word : num);
}

/*
 * "Set = probe_target ADDR:PORT|[ADDR6]:PORT|none": checked by the
 * driver's own parser, as the device will check it.
 */
static int parse_probe_target(struct parser *p, const struct key *k, struct span value)
{
	struct mprox_conf *conf = p->conf;
	struct mprox_directive d;
	/* "set probe_target ", the longest value the driver keeps, its NUL */
	char line[sizeof("set probe_target ") + sizeof(conf->probe_target)];
	int ret, n;

	if (conf->probe_target_line)
		return fail(p, EINVAL, "%s: probe_target set twice (first at line %u)", k->name,
			    conf->probe_target_line);
	n = snprintf(line, sizeof(line), "set probe_target %.*s", QUOTE(value));
	ret = value.len >= sizeof(conf->probe_target) ? -ENAMETOOLONG
						      : mprox_parse_line(line, (size_t)n, &d);
	if (ret)
		return fail(p, ret == -ERANGE ? ERANGE : EINVAL,
			    "%s: probe_target '%.*s': want ADDR:PORT, [ADDR6]:PORT or none%s",
			    k->name, QUOTE(value), ret == -ERANGE ? " (port 1-65535)" : "");
	memcpy(conf->probe_target, value.p, value.len);
	conf->probe_target[value.len] = '\0';
	conf->probe_target_line = p->line;
	return 0;
}

/* "Set = KEY VALUE" with a tunable of the driver's table, each KEY once. */
static int parse_set(struct parser *p, const struct key *k, struct span v)
{
	struct mprox_conf *conf = p->conf;
	const char *best = NULL;
	unsigned int best_d = UINT32_MAX;
	struct span name, value, rest;
	char what[64], hint[64];
	size_t i, j;
	int ret;

	split_word(v, &name, &value);
	split_word(value, &value, &rest);
	if (!value.len || rest.len)
		return fail(p, EINVAL, "%s: want KEY VALUE, as in %s = max_flows 4096", k->name,
			    k->name);
	if (span_is_nocase(name, "probe_target"))
		return parse_probe_target(p, k, value);
	for (i = 0; i < MPROX_TUNE_COUNT; i++) {
		if (span_is_nocase(name, mprox_tunables[i].key))
			break;
		consider(name, mprox_tunables[i].key, &best, &best_d);
	}
	if (i == MPROX_TUNE_COUNT)
		return fail(p, EINVAL, "%s: unknown tunable '%.*s'%s", k->name, QUOTE(name),
			    suggestion(best, hint, sizeof(hint)));
	for (j = 0; j < conf->n_set; j++)
		if (conf->set[j].key == mprox_tunables[i].key)
			return fail(p, EINVAL, "%s: %s set twice (first at line %u)", k->name,
				    conf->set[j].key, conf->set[j].line);

	snprintf(what, sizeof(what), "%s: %s", k->name, mprox_tunables[i].key);
	conf->set[conf->n_set] = (struct mprox_conf_set){ mprox_tunables[i].key, 0, p->line };
	if (mprox_tunables[i].words) {
		uint64_t w;

		if (mprox_tunable_word_value(&mprox_tunables[i], value.p, value.len, &w))
			return fail(p, EINVAL, "%s: '%.*s' is none of %s", what, QUOTE(value),
				    tunable_words(&mprox_tunables[i], hint, sizeof(hint)));
		conf->set[conf->n_set++].value = w;
		return 0;
	}
	ret = number_in(p, what, value, false, mprox_tunables[i].min, mprox_tunables[i].max,
			&conf->set[conf->n_set].value);
	if (!ret)
		conf->n_set++;
	return ret;
}

/* ---- [Upstream NAME] ----------------------------------------------------- */

static struct mprox_conf_upstream *current_upstream(struct parser *p)
{
	return &p->conf->upstream[p->conf->n_upstream - 1];
}

/*
 * Whether the driver accepts the URL @prefix @part @suffix: a way to check
 * one part of a URL alone with the driver's parser, to say what is wrong.
 * @prefix must hold every separator before @part ("://", '@', ':') so
 * that the driver cannot find one inside @part instead.
 */
static int probe(const char *prefix, struct span part, const char *suffix)
{
	char buf[MPROX_URL_MAX + 32];
	struct mprox_upstream_spec spec;
	int n;

	n = snprintf(buf, sizeof(buf), "%s%.*s%s", prefix, (int)part.len, part.p, suffix);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return -ENAMETOOLONG;
	return mprox_parse_url(buf, n, &spec);
}

static int explain_cred(struct parser *p, const char *what, const char *prefix, struct span s)
{
	int ret;

	if (!s.len)
		return fail(p, EINVAL, "URL: empty %s", what);
	ret = probe(prefix, s, "@h");
	if (ret == -ENAMETOOLONG)
		return fail(p, ENAMETOOLONG, "URL: %s longer than %d bytes", what,
			    MPROX_CRED_MAX - 1);
	if (ret)
		return fail(p, -ret,
			    "URL: bad %s: write '%%', ':', '@', '/' and other reserved "
			    "characters as %%XX; no control characters",
			    what);
	return 0;
}

static int explain_host(struct parser *p, struct span host)
{
	int ret;

	if (!host.len)
		return fail(p, EINVAL, "URL: no host");
	if (host.p[0] == '[') {
		if (probe("socks5://u@", host, ""))
			return fail(p, EINVAL, "URL: bad IPv6 address '%.*s'", QUOTE(host));
		return 0;
	}
	ret = probe("socks5://u@", host, "");
	if (ret == -ENAMETOOLONG)
		return fail(p, ENAMETOOLONG,
			    "URL: host name longer than %d characters or a label "
			    "longer than 63",
			    MPROX_HOST_MAX - 1);
	if (ret)
		return fail(p, -ret,
			    "URL: bad host '%.*s': not an IPv4 address, [IPv6] address "
			    "or DNS name",
			    QUOTE(host));
	return 0;
}

/*
 * Why the driver refused @url with @err: each part is checked alone, left
 * to right as the driver does, to find the first bad one.
 */
static int explain_url(struct parser *p, struct span url, int err)
{
	struct span scheme, auth, user, host, port;
	size_t i, at, colon, close;
	int ret;

	for (i = 0; i < url.len; i++)
		if (!is_graph(url.p[i]))
			return fail(p, EINVAL, "URL: blank or non-ASCII character");
	for (i = 0; i + 3 <= url.len && memcmp(url.p + i, "://", 3); i++)
		;
	if (i + 3 > url.len)
		return fail(p, EINVAL,
			    "URL: no SCHEME:// (socks5, socks5h, socks4, socks4a, http)");
	scheme = sub(url, 0, i);
	if (probe("", scheme, "://h"))
		return fail(p, EINVAL,
			    "URL: unknown scheme '%.*s' (socks5, socks5h, socks4, socks4a, http)",
			    QUOTE(scheme));
	auth = sub(url, i + 3, url.len);
	i = find_byte(auth, '/');
	if (i + 1 < auth.len)
		return fail(p, EINVAL,
			    "URL: has a path; the form is "
			    "SCHEME://[USER[:PASSWORD]@]HOST[:PORT]");
	auth.len = i;

	at = find_byte(auth, '@');
	if (at < auth.len) {
		user = sub(auth, 0, at);
		colon = find_byte(user, ':');
		ret = explain_cred(p, "user name", "socks5://", sub(user, 0, colon));
		if (!ret && colon < user.len)
			ret = explain_cred(p, "password", "socks5://u:", sub(user, colon + 1, at));
		if (ret)
			return ret;
		auth = sub(auth, at + 1, auth.len);
	}

	host = auth;
	if (auth.len && auth.p[0] == '[') {
		close = find_byte(auth, ']');
		if (close == auth.len)
			return fail(p, EINVAL, "URL: no ']' after the IPv6 address");
		colon = close + 1;
		if (colon < auth.len && auth.p[colon] != ':')
			return fail(p, EINVAL, "URL: '%.*s' after ']'",
				    QUOTE(sub(auth, colon, auth.len)));
	} else {
		colon = find_byte(auth, ':');
	}
	if (colon < auth.len) {
		host = sub(auth, 0, colon);
		port = sub(auth, colon + 1, auth.len);
	}
	if (!host.len && colon < auth.len)
		return fail(p, EINVAL,
			    "URL: no host before ':' (an IPv6 address goes in brackets)");
	ret = explain_host(p, host);
	if (ret)
		return ret;
	if (colon < auth.len) {
		ret = probe("socks5://u@h:", port, "");
		if (ret == -ERANGE)
			return fail(p, ERANGE, "URL: port %.*s is out of range 1-65535",
				    QUOTE(port));
		if (ret)
			return fail(p, -ret, "URL: bad port '%.*s'", QUOTE(port));
	}
	/* Not reached as long as the above follows driver/parse.c (fuzz_conf checks). */
	return fail(p, -err, "URL: refused (%s)", strerror(-err));
}

static int parse_url(struct parser *p, const struct key *k, struct span v)
{
	struct mprox_conf_upstream *up = current_upstream(p);
	struct mprox_upstream_spec spec;
	int ret;

	(void)k;
	if (v.len > MPROX_URL_MAX)
		return fail(p, ENAMETOOLONG, "URL: longer than %d characters", MPROX_URL_MAX);
	ret = mprox_parse_url(v.p, v.len, &spec);
	if (ret)
		return explain_url(p, v, ret);
	memcpy(up->url, v.p, v.len);
	up->url[v.len] = '\0';
	up->has_password = spec.password[0] != '\0';
	return 0;
}

static int parse_priority(struct parser *p, const struct key *k, struct span v)
{
	struct mprox_conf_upstream *up = current_upstream(p);
	uint32_t prio;
	int ret = number_in(p, k->name, v, false, 0, 255, &prio);

	if (ret)
		return ret;
	up->have_priority = true;
	up->priority = prio;
	return 0;
}

static int parse_weight(struct parser *p, const struct key *k, struct span v)
{
	uint32_t w;
	int ret = number_in(p, k->name, v, false, 1, 1000, &w);

	if (!ret)
		current_upstream(p)->weight = w;
	return ret;
}

/*
 * An interface name as the kernel takes one (dev_valid_name()) and the
 * driver's grammar allows: 1-15 printable ASCII characters, not "." or "..",
 * no '/' or ':'. Nor '%': the kernel takes "vpn%d" for a template and makes
 * "vpn0" of it, so the name would not be the one the file says.
 */
static int check_ifname(struct span s)
{
	size_t i;

	if (!s.len || span_is(s, ".") || span_is(s, ".."))
		return -EINVAL;
	for (i = 0; i < s.len; i++)
		if (!is_graph(s.p[i]) || s.p[i] == '/' || s.p[i] == ':' || s.p[i] == '%')
			return -EINVAL;
	return s.len < MPROX_IFNAMSIZ ? 0 : -ENAMETOOLONG;
}

static int parse_dev(struct parser *p, const struct key *k, struct span v)
{
	int ret = check_ifname(v);

	if (ret)
		return fail(p, -ret,
			    "%s: '%.*s' is not an interface name (1-15 characters, "
			    "no '/', ':' or blanks)",
			    k->name, QUOTE(v));
	memcpy(current_upstream(p)->dev, v.p, v.len);
	current_upstream(p)->dev[v.len] = '\0';
	return 0;
}

/* ---- [Route] --------------------------------------------------------------- */

static int parse_uid(struct parser *p, const struct key *k, struct span v)
{
	struct mprox_conf_route *r = &p->conf->route;
	size_t dash = find_byte(v, '-');
	int ret;

	ret = number_in(p, k->name, sub(v, 0, dash), false, 0, ID_MAX, &r->uid_first);
	r->uid_last = r->uid_first;
	if (!ret && dash < v.len)
		ret = number_in(p, k->name, sub(v, dash + 1, v.len), false, 0, ID_MAX,
				&r->uid_last);
	if (!ret && r->uid_last < r->uid_first)
		ret = fail(p, ERANGE, "%s: %.*s is an empty range", k->name, QUOTE(v));
	r->have_uid = true;
	return ret;
}

static int parse_gid(struct parser *p, const struct key *k, struct span v)
{
	p->conf->route.have_gid = true;
	return number_in(p, k->name, v, false, 0, ID_MAX, &p->conf->route.gid);
}

/* As mprox route --cgroup takes it (cgroup_path()), and absolute. */
static int parse_cgroup(struct parser *p, const struct key *k, struct span v)
{
	char *path, rel[CGROUP_PATH_MAX];

	if (v.p[0] != '/')
		return fail(p, EINVAL, "%s: '%.*s' is not an absolute path", k->name, QUOTE(v));
	path = dup_span(v);
	if (!path)
		return out_of_memory(p);
	if (cgroup_path(path, rel, sizeof(rel))) {
		free(path);
		if (errno == ENAMETOOLONG)
			return fail(p, ENAMETOOLONG, "%s: longer than %d bytes", k->name,
				    CGROUP_PATH_MAX - 1);
		return fail(p, EINVAL,
			    "%s: '%.*s' is not a cgroup mprox can route: not the root, printable,"
			    " no quotes, '//' or '..'",
			    k->name, QUOTE(v));
	}
	p->conf->route.cgroup = path;
	return 0;
}

static int parse_route_fwmark(struct parser *p, const struct key *k, struct span v)
{
	struct mprox_conf_route *r = &p->conf->route;
	size_t slash = find_byte(v, '/');
	int ret;

	/*
	 * As "mprox route --fwmark" checks them, so that a file it would
	 * refuse fails here, before "mprox reload" changes the device.
	 */
	r->have_fwmark = true;
	r->mask = UINT32_MAX;
	ret = number_in(p, k->name, sub(v, 0, slash), true, 1, UINT32_MAX, &r->mark);
	if (!ret && slash < v.len)
		ret = number_in(p, k->name, sub(v, slash + 1, v.len), true, 1, UINT32_MAX,
				&r->mask);
	if (!ret && (r->mark & ~r->mask))
		ret = fail(p, EINVAL, "%s: mark 0x%x has bits outside mask 0x%x", k->name, r->mark,
			   r->mask);
	return ret;
}

/* A boolean, as systemd's files spell it; *@have and *@value set. */
static int parse_boolean(struct parser *p, const struct key *k, struct span v, bool *have,
			 bool *value)
{
	static const struct {
		const char *word;
		bool value;
	} words[] = {
		{ "yes", true }, { "true", true },   { "on", true },   { "1", true },
		{ "no", false }, { "false", false }, { "off", false }, { "0", false },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(words); i++) {
		if (span_is_nocase(v, words[i].word)) {
			*have = true;
			*value = words[i].value;
			return 0;
		}
	}
	return fail(p, EINVAL, "%s: '%.*s' is not yes, no, true, false, on, off, 1 or 0", k->name,
		    QUOTE(v));
}

static int parse_all(struct parser *p, const struct key *k, struct span v)
{
	return parse_boolean(p, k, v, &p->conf->route.have_all, &p->conf->route.all);
}

static int parse_kill_switch(struct parser *p, const struct key *k, struct span v)
{
	return parse_boolean(p, k, v, &p->conf->route.have_kill_switch,
			     &p->conf->route.kill_switch);
}

/* ADDRESS[/PREFIX], IPv4 or IPv6; without a prefix, the one address. */
static int parse_exclude(struct parser *p, const struct key *k, struct span v)
{
	struct mprox_conf_route *r = &p->conf->route;
	size_t slash = find_byte(v, '/');
	char net[CIDR_TEXT_MAX];
	struct cidr c;
	void *grown;
	size_t i;

	switch (cidr_parse(v.p, v.len, &c)) {
	case CIDR_OK:
		break;
	case CIDR_NOT_ADDRESS:
		return fail(p, EINVAL, "%s: '%.*s' is not an IPv4 or IPv6 address", k->name,
			    QUOTE(sub(v, 0, slash)));
	case CIDR_NOT_NUMBER:
		return fail(p, EINVAL, "%s: '%.*s' is not a prefix length", k->name,
			    QUOTE(sub(v, slash + 1, v.len)));
	case CIDR_PREFIX_RANGE:
		return fail(p, ERANGE, "%s: %.*s is out of range 0-%u", k->name,
			    QUOTE(sub(v, slash + 1, v.len)), c.family == AF_INET6 ? 128 : 32);
	case CIDR_HOST_BITS:
		return fail(p, EINVAL, "%s: %.*s has host bits set past /%u: did you mean %s?",
			    k->name, QUOTE(v), c.prefix, cidr_format(&c, net, sizeof(net)));
	}
	/* mprox route would refuse the same network twice. */
	for (i = 0; i < r->n_exclude; i++)
		if (cidr_equal(&r->exclude[i], &c))
			return fail(p, EINVAL, "%s: %.*s given twice", k->name, QUOTE(v));
	if (r->n_exclude == MPROX_CONF_EXCLUDES_MAX)
		return fail(p, E2BIG, "more than %d %s lines", MPROX_CONF_EXCLUDES_MAX, k->name);

	grown = grow(r->exclude, r->n_exclude, &r->cap_exclude, sizeof(*r->exclude));
	if (!grown)
		return out_of_memory(p);
	r->exclude = grown;
	r->exclude[r->n_exclude++] = c;
	return 0;
}

/* ---- [Set], [Rule], [DNS] ------------------------------------------------------ */

/* A directive line, kept as written: the driver checks it. */
static int add_directive(struct parser *p, struct span s)
{
	struct mprox_conf_lines *l = p->sec == SEC_RULE	 ? &p->conf->rules
				     : p->sec == SEC_SET ? &p->conf->sets
							 : &p->conf->dns;
	const char *directive = sections[p->sec].directive;
	struct span word, rest, second;
	void *grown;

	split_word(s, &word, &rest);
	split_word(rest, &second, &rest);
	if (p->sec == SEC_SET && (!span_is(word, "set") || !span_is(second, "add")))
		return fail(p, EINVAL, "[%s] holds '%s ...' directives, not '%.*s'",
			    sections[p->sec].name, directive, QUOTE(s));
	if (p->sec != SEC_SET && !span_is(word, directive))
		return fail(p, EINVAL, "[%s] holds '%s ...' directives, not '%.*s'",
			    sections[p->sec].name, directive, QUOTE(word));
	grown = grow(l->line, l->n, &l->cap, sizeof(*l->line));
	if (!grown)
		return out_of_memory(p);
	l->line = grown;
	l->line[l->n] = dup_span(s);
	if (!l->line[l->n])
		return out_of_memory(p);
	l->n++;
	return 0;
}

int mprox_conf_lines_add(struct mprox_conf_lines *l, char *line)
{
	void *grown;

	if (!line) {
		errno = ENOMEM;
		return -1;
	}
	grown = grow(l->line, l->n, &l->cap, sizeof(*l->line));
	if (!grown) {
		free(line);
		errno = ENOMEM;
		return -1;
	}
	l->line = grown;
	l->line[l->n++] = line;
	return 0;
}

bool mprox_conf_names_set(const struct mprox_conf *conf, const char *name)
{
	size_t i;

	for (i = 0; i < conf->sets.n; i++) {
		struct span line = { conf->sets.line[i], strlen(conf->sets.line[i]) };
		struct span set, add, word;

		/* "set add NAME ...", as add_directive() checked it. */
		split_word(trim(line), &set, &line);
		split_word(line, &add, &line);
		split_word(line, &word, &line);
		if (span_is(word, name))
			return true;
	}
	return false;
}

/* ---- sections and lines ----------------------------------------------------------- */

/* What a section must have, checked when it ends. */
static int end_section(struct parser *p)
{
	struct mprox_conf_upstream *up;

	if (p->sec != SEC_UPSTREAM)
		return 0;
	up = current_upstream(p);
	if (up->url[0])
		return 0;
	/* Reported where the section begins: that is where the URL is missing. */
	p->line = up->line;
	return fail(p, EINVAL, "[Upstream %s] has no URL", up->name);
}

/* [A-Za-z0-9_.-], 1-31 of them, as the driver's upstream names. */
static int check_upstream_name(struct span s)
{
	size_t i;

	if (!s.len)
		return -EINVAL;
	for (i = 0; i < s.len; i++) {
		char c = to_lower(s.p[i]);

		if (!(c >= 'a' && c <= 'z') && !(c >= '0' && c <= '9') && c != '_' && c != '.' &&
		    c != '-')
			return -EINVAL;
	}
	return s.len < MPROX_UPSTREAM_NAME_MAX ? 0 : -ENAMETOOLONG;
}

static int begin_upstream(struct parser *p, struct span name)
{
	struct mprox_conf *conf = p->conf;
	struct mprox_conf_upstream *up;
	void *grown;
	size_t i;
	int ret;

	ret = check_upstream_name(name);
	if (!name.len)
		return fail(p, EINVAL, "[Upstream] needs a name: [Upstream NAME]");
	if (ret)
		return fail(p, -ret, "[Upstream %.*s]: a name is 1-31 of A-Z a-z 0-9 _ . -",
			    QUOTE(name));
	for (i = 0; i < conf->n_upstream; i++)
		if (span_is(name, conf->upstream[i].name))
			return fail(p, EINVAL, "duplicate section [Upstream %s] (first at line %u)",
				    conf->upstream[i].name, conf->upstream[i].line);
	if (conf->n_upstream == MPROX_UPSTREAMS_MAX)
		return fail(p, E2BIG, "more than %d upstreams", MPROX_UPSTREAMS_MAX);

	grown = grow(conf->upstream, conf->n_upstream, &conf->cap_upstream, sizeof(*up));
	if (!grown)
		return out_of_memory(p);
	conf->upstream = grown;
	up = &conf->upstream[conf->n_upstream++];
	memset(up, 0, sizeof(*up));
	memcpy(up->name, name.p, name.len);
	up->line = p->line;
	return 0;
}

/* "[Keyword]" or "[Upstream NAME]". */
static int parse_header(struct parser *p, struct span s)
{
	const char *best = NULL;
	unsigned int best_d = UINT32_MAX;
	struct span word, name;
	enum section sec;
	char hint[64];
	int ret;

	/* The section that ends first: its errors are on earlier lines. */
	ret = end_section(p);
	if (ret)
		return ret;
	if (s.p[s.len - 1] != ']')
		return fail(p, EINVAL, "no ']' at the end of the section header");
	split_word(trim(sub(s, 1, s.len - 1)), &word, &name);
	for (sec = SEC_DEVICE; sec < SEC_COUNT; sec++) {
		if (span_is_nocase(word, sections[sec].name))
			break;
		consider(word, sections[sec].name, &best, &best_d);
	}
	if (sec == SEC_COUNT)
		return fail(p, EINVAL, "unknown section [%.*s]%s", QUOTE(word),
			    suggestion(best, hint, sizeof(hint)));
	if (!sections[sec].named && name.len)
		return fail(p, EINVAL, "[%s] takes no name", sections[sec].name);
	if (!sections[sec].named && p->sec_line[sec])
		return fail(p, EINVAL, "duplicate section [%s] (first at line %u)",
			    sections[sec].name, p->sec_line[sec]);
	if (sections[sec].named) {
		ret = begin_upstream(p, name);
		if (ret)
			return ret;
	}
	p->sec = sec;
	p->sec_line[sec] = p->line;
	memset(p->key_line, 0, sizeof(p->key_line));
	return 0;
}

/* The key of the current section spelt as @name, case-insensitively. */
static const struct key *find_key(struct parser *p, struct span name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(keys); i++)
		if (keys[i].sec == p->sec && span_is_nocase(name, keys[i].name))
			return &keys[i];
	return NULL;
}

static int unknown_key(struct parser *p, struct span name)
{
	const char *best = NULL, *where = sections[p->sec].named ? " NAME" : "";
	unsigned int best_d = UINT32_MAX;
	char hint[64];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(keys); i++)
		if (keys[i].sec != p->sec && span_is_nocase(name, keys[i].name))
			return fail(p, EINVAL, "%s is not a key of [%s%s] but of [%s%s]",
				    keys[i].name, sections[p->sec].name, where,
				    sections[keys[i].sec].name,
				    sections[keys[i].sec].named ? " NAME" : "");
	for (i = 0; i < ARRAY_SIZE(keys); i++)
		if (keys[i].sec == p->sec)
			consider(name, keys[i].name, &best, &best_d);
	return fail(p, EINVAL, "unknown key '%.*s' in [%s%s]%s", QUOTE(name), sections[p->sec].name,
		    where, suggestion(best, hint, sizeof(hint)));
}

/* "KEY = VALUE" */
static int parse_key(struct parser *p, struct span s)
{
	size_t eq = find_byte(s, '=');
	struct span name = trim(sub(s, 0, eq)), value;
	const struct key *k;
	size_t i;

	if (p->sec == SEC_NONE)
		return fail(p, EINVAL,
			    "'%.*s' is outside any section; begin with a header such "
			    "as [Device]",
			    QUOTE(s));
	if (eq == s.len)
		return fail(p, EINVAL, "missing '=' in '%.*s' (KEY = VALUE)", QUOTE(s));
	if (!name.len)
		return fail(p, EINVAL, "missing key before '='");
	k = find_key(p, name);
	if (!k)
		return unknown_key(p, name);
	i = (size_t)(k - keys);
	if (!k->repeatable && p->key_line[i])
		return fail(p, EINVAL, "%s given twice (first at line %u)", k->name,
			    p->key_line[i]);
	value = trim(sub(s, eq + 1, s.len));
	if (!value.len)
		return fail(p, EINVAL, "%s: empty value", k->name);
	p->key_line[i] = p->line;
	return k->parse(p, k, value);
}

static int parse_line(struct parser *p, struct span s)
{
	size_t i;

	if (s.len > MPROX_CONF_LINE_MAX)
		return fail(p, E2BIG, "line longer than %d bytes", MPROX_CONF_LINE_MAX);
	if (find_byte(s, '\0') < s.len)
		return fail(p, EINVAL, "NUL byte");
	s = trim(sub(s, 0, find_byte(s, '#')));
	if (!s.len)
		return 0;
	for (i = 0; i < s.len; i++)
		if (is_control(s.p[i]))
			return fail(p, EINVAL, "control character 0x%02x", (unsigned char)s.p[i]);
	if (s.p[0] == '[')
		return parse_header(p, s);
	if (sections[p->sec].directive)
		return add_directive(p, s);
	return parse_key(p, s);
}

/*
 * Exclude lines are holes in what [Route] routes, and the kill switch keeps
 * it from going direct: without a selector there is nothing to make holes
 * in or to keep, and mprox route would refuse it.
 */
static int check_route(struct parser *p)
{
	const struct mprox_conf_route *r = &p->conf->route;
	bool kill = r->have_kill_switch && r->kill_switch;

	if ((!r->n_exclude && !kill) || r->have_uid || r->have_gid || r->have_fwmark ||
	    (r->have_all && r->all) || r->cgroup)
		return 0;
	p->line = p->sec_line[SEC_ROUTE];
	return fail(p, EINVAL,
		    "[Route] has %s but routes nothing: add Uid, Gid, Cgroup, FwMark or All = yes",
		    r->n_exclude ? "Exclude" : "KillSwitch = yes");
}

int mprox_conf_parse(const char *text, size_t len, struct mprox_conf *conf,
		     struct mprox_conf_error *err)
{
	struct parser p = { .conf = conf, .err = err };
	size_t pos = 0;
	int ret = 0;

	memset(conf, 0, sizeof(*conf));
	memset(err, 0, sizeof(*err));
	if (len > MPROX_CONF_SIZE_MAX)
		ret = fail(&p, E2BIG, "larger than %d bytes", MPROX_CONF_SIZE_MAX);
	while (!ret && pos < len) {
		size_t n = find_byte((struct span){ text + pos, len - pos }, '\n');

		p.line++;
		ret = parse_line(&p, (struct span){ text + pos, n });
		pos += n + 1;
	}
	if (!ret)
		ret = end_section(&p);
	if (!ret)
		ret = check_route(&p);
	if (ret) {
		mprox_conf_free(conf);
		errno = -ret;
		return -1;
	}
	return 0;
}

static void free_lines(struct mprox_conf_lines *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->line[i]);
	free(l->line);
}

void mprox_conf_free(struct mprox_conf *conf)
{
	free(conf->upstream);
	free(conf->route.cgroup);
	free(conf->route.exclude);
	free_lines(&conf->sets);
	free_lines(&conf->rules);
	free_lines(&conf->dns);
	memset(conf, 0, sizeof(*conf));
}

bool mprox_conf_has_secrets(const struct mprox_conf *conf)
{
	size_t i;

	for (i = 0; i < conf->n_upstream; i++)
		if (conf->upstream[i].has_password)
			return true;
	return false;
}

int mprox_conf_name_from_path(const char *path, char name[MPROX_IFNAMSIZ])
{
	const char *base = strrchr(path, '/');
	struct span s;
	int ret;

	s.p = base ? base + 1 : path;
	s.len = strlen(s.p);
	if (s.len < 5 || strcmp(s.p + s.len - 5, ".conf")) {
		errno = EINVAL;
		return -1;
	}
	s.len -= 5;
	/* "mprox route -vpn" and the like would take it for an option. */
	ret = s.len && s.p[0] == '-' ? -EINVAL : check_ifname(s);
	if (ret) {
		errno = -ret;
		return -1;
	}
	memcpy(name, s.p, s.len);
	name[s.len] = '\0';
	return 0;
}

/* ---- output -------------------------------------------------------------------------- */

/*
 * The text of memstream @f, whose buffer is *@buf: only final once @f is
 * closed. NULL with errno ENOMEM if writing it failed.
 */
static char *finish(FILE *f, char **buf)
{
	bool bad = ferror(f);

	if (fclose(f) || bad) {
		free(*buf);
		errno = ENOMEM;
		return NULL;
	}
	return *buf;
}

static void print_lines(FILE *f, const struct mprox_conf_lines *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		fprintf(f, "%s\n", l->line[i]);
}

char *mprox_conf_directives(const struct mprox_conf *conf)
{
	char *buf = NULL;
	size_t size, i;
	FILE *f = open_memstream(&buf, &size);

	if (!f)
		return NULL;
	if (conf->have_fwmark)
		fprintf(f, "fwmark %" PRIu32 "\n", conf->fwmark);
	for (i = 0; i < conf->n_set; i++)
		print_tunable(f, "set %s %s\n", &conf->set[i]);
	if (conf->probe_target[0])
		fprintf(f, "set probe_target %s\n", conf->probe_target);
	for (i = 0; i < conf->n_upstream; i++) {
		const struct mprox_conf_upstream *up = &conf->upstream[i];

		fprintf(f, "upstream add %s %s", up->name, up->url);
		if (up->weight)
			fprintf(f, " weight %u", up->weight);
		if (up->dev[0])
			fprintf(f, " dev %s", up->dev);
		/* The driver refuses it for now, rather than ignore it. */
		if (up->have_priority)
			fprintf(f, " priority %u", up->priority);
		fputc('\n', f);
	}
	print_lines(f, &conf->sets);
	print_lines(f, &conf->rules);
	print_lines(f, &conf->dns);
	return finish(f, &buf);
}

/* A section header, after a blank line unless it is the first. */
static void header(FILE *f, const char *name)
{
	fprintf(f, "%s[%s]\n", ftell(f) > 0 ? "\n" : "", name);
}

/* @url without ":PASSWORD", which the driver has found in it. */
static void print_url(FILE *f, const struct mprox_conf_upstream *up, bool secrets)
{
	const char *auth, *at, *colon;

	if (secrets || !up->has_password) {
		fputs(up->url, f);
		return;
	}
	/* The driver's split: the first '@' and the first ':' before it. */
	auth = strstr(up->url, "://") + 3;
	at = strchr(auth, '@');
	colon = memchr(auth, ':', at - auth);
	fprintf(f, "%.*s%s", (int)(colon - up->url), up->url, at);
}

static void format_route(FILE *f, const struct mprox_conf_route *r)
{
	char net[CIDR_TEXT_MAX];
	size_t i;

	if (!r->have_uid && !r->have_gid && !r->cgroup && !r->have_fwmark && !r->have_all &&
	    !r->n_exclude && !r->have_kill_switch)
		return;
	header(f, "Route");
	if (r->have_uid && r->uid_first == r->uid_last)
		fprintf(f, "Uid = %" PRIu32 "\n", r->uid_first);
	else if (r->have_uid)
		fprintf(f, "Uid = %" PRIu32 "-%" PRIu32 "\n", r->uid_first, r->uid_last);
	if (r->have_gid)
		fprintf(f, "Gid = %" PRIu32 "\n", r->gid);
	if (r->cgroup)
		fprintf(f, "Cgroup = %s\n", r->cgroup);
	if (r->have_fwmark && r->mask == UINT32_MAX)
		fprintf(f, "FwMark = 0x%" PRIx32 "\n", r->mark);
	else if (r->have_fwmark)
		fprintf(f, "FwMark = 0x%" PRIx32 "/0x%" PRIx32 "\n", r->mark, r->mask);
	if (r->have_all)
		fprintf(f, "All = %s\n", r->all ? "yes" : "no");
	for (i = 0; i < r->n_exclude; i++) {
		fprintf(f, "Exclude = %s\n", cidr_format(&r->exclude[i], net, sizeof(net)));
	}
	if (r->have_kill_switch)
		fprintf(f, "KillSwitch = %s\n", r->kill_switch ? "yes" : "no");
}

char *mprox_conf_format(const struct mprox_conf *conf, bool secrets)
{
	char *buf = NULL;
	size_t size, i;
	FILE *f = open_memstream(&buf, &size);

	if (!f)
		return NULL;
	if (conf->have_fwmark || conf->n_set || conf->probe_target[0])
		header(f, "Device");
	if (conf->have_fwmark)
		fprintf(f, "FwMark = 0x%" PRIx32 "\n", conf->fwmark);
	for (i = 0; i < conf->n_set; i++)
		print_tunable(f, "Set = %s %s\n", &conf->set[i]);
	if (conf->probe_target[0])
		fprintf(f, "Set = probe_target %s\n", conf->probe_target);
	for (i = 0; i < conf->n_upstream; i++) {
		const struct mprox_conf_upstream *up = &conf->upstream[i];

		fprintf(f, "%s[Upstream %s]\nURL = ", ftell(f) > 0 ? "\n" : "", up->name);
		print_url(f, up, secrets);
		fputc('\n', f);
		if (up->have_priority)
			fprintf(f, "Priority = %u\n", up->priority);
		if (up->weight)
			fprintf(f, "Weight = %u\n", up->weight);
		if (up->dev[0])
			fprintf(f, "Dev = %s\n", up->dev);
	}
	format_route(f, &conf->route);
	if (conf->sets.n)
		header(f, "Set");
	print_lines(f, &conf->sets);
	if (conf->rules.n)
		header(f, "Rule");
	print_lines(f, &conf->rules);
	if (conf->dns.n)
		header(f, "DNS");
	print_lines(f, &conf->dns);
	return finish(f, &buf);
}
