// SPDX-License-Identifier: GPL-2.0
/*
 * Parsers for what userspace writes to an mprox fd: directive lines and the
 * upstream URLs in them. The contract is in parse.h, the grammar in
 * uapi/linux/mprox.h ("Directives").
 *
 * Every input is a (pointer, length) pair straight from userspace, not NUL
 * terminated: no byte is trusted, no index reaches the length, and numbers
 * are checked before they can wrap. Where an input has several faults, the
 * first one found scanning left to right decides the errno, after the
 * checks on the whole line or URL (length, NUL, character set).
 *
 * The same file builds in the kernel and, with tests/shim/kernel_shim.h, in
 * userspace, so it uses no kernel helper without a libc twin (not even
 * in4_pton or the ctype macros, whose libc versions depend on the locale).
 */
#ifdef __KERNEL__
#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/limits.h>
#include <linux/string.h>
#else
#include "kernel_shim.h"
#endif
#include "parse.h"

/* Longest DNS label (RFC 1035). */
#define MPROX_LABEL_MAX		63

const struct mprox_tunable_info mprox_tunables[MPROX_TUNE_COUNT] = {
	[MPROX_TUNE_CONNECT_TIMEOUT_MS] = {
		.key = "connect_timeout_ms", .min = 100, .max = 300000, .def = 10000,
	},
	[MPROX_TUNE_TCP_IDLE_TIMEOUT_S] = {
		.key = "tcp_idle_timeout_s", .min = 10, .max = 604800, .def = 7440,
	},
	[MPROX_TUNE_UDP_IDLE_TIMEOUT_S] = {
		.key = "udp_idle_timeout_s", .min = 5, .max = 86400, .def = 60,
	},
	[MPROX_TUNE_MAX_FLOWS] = {
		.key = "max_flows", .min = 1, .max = 1048576, .def = 65536,
	},
	[MPROX_TUNE_SPARE_CONNS] = {
		.key = "spare_conns", .min = 0, .max = 16, .def = 0,
	},
	[MPROX_TUNE_SPARE_IDLE_S] = {
		.key = "spare_idle_s", .min = 1, .max = 3600, .def = 10,
	},
	/* What connect() itself waits with tcp_syn_retries 6. */
	[MPROX_TUNE_HANDSHAKE_TIMEOUT_MS] = {
		.key = "handshake_timeout_ms", .min = 100, .max = 300000, .def = 127000,
	},
	[MPROX_TUNE_BALANCE] = {
		.key = "balance", .min = 0, .max = 2, .def = MPROX_BALANCE_WEIGHTED,
		.words = (const char *const []){
			[MPROX_BALANCE_WEIGHTED] = "weighted",
			[MPROX_BALANCE_ROUND_ROBIN] = "round-robin",
			[MPROX_BALANCE_LEAST_CONNECTIONS] = "least-connections",
			NULL,
		},
	},
	/* Active health checks (probe.h): 0 is off. */
	[MPROX_TUNE_PROBE_INTERVAL_S] = {
		.key = "probe_interval_s", .min = 0, .max = 3600, .def = 0,
	},
	/* The TTL of the kernel's fake-IP answers (resolver.h). */
	[MPROX_TUNE_DNS_TTL_S] = {
		.key = "dns_ttl_s", .min = 1, .max = 3600, .def = 10,
	},
	/* Answers the resolver and the direct lookups keep (dnscache.h): 0 is none. */
	[MPROX_TUNE_DNS_CACHE_SIZE] = {
		.key = "dns_cache_size", .min = 0, .max = 4096, .def = 256,
	},
};

const struct mprox_tunable_info *mprox_tunable_named(const char *key)
{
	size_t i;

	for (i = 0; i < MPROX_TUNE_COUNT; i++)
		if (!strcmp(mprox_tunables[i].key, key))
			return &mprox_tunables[i];
	return NULL;
}

const char *mprox_tunable_word(const struct mprox_tunable_info *t, u64 v)
{
	if (!t->words || v > t->max)
		return NULL;
	return t->words[v];
}

int mprox_tunable_word_value(const struct mprox_tunable_info *t,
			     const char *word, size_t len, u64 *v)
{
	size_t i;

	for (i = 0; t->words && t->words[i]; i++) {
		if (strlen(t->words[i]) == len && !memcmp(t->words[i], word, len)) {
			*v = i;
			return 0;
		}
	}
	return -EINVAL;
}

/* A piece of the input: never NUL terminated. */
struct mprox_span {
	const char *p;
	size_t len;
};

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Printable ASCII, space excluded. */
static bool is_graph(char c)
{
	return c > ' ' && c < 0x7f;
}

static char to_lower(char c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static int hex_val(char c)
{
	if (is_digit(c))
		return c - '0';
	c = to_lower(c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Index of the first @c in @s, or @len. Unlike memchr, fine with s == NULL. */
static size_t find_byte(const char *s, size_t len, char c)
{
	size_t i;

	for (i = 0; i < len && s[i] != c; i++)
		;
	return i;
}

static bool span_is(struct mprox_span s, const char *lit)
{
	size_t n = strlen(lit);

	return s.len == n && !memcmp(s.p, lit, n);
}

static bool span_is_nocase(struct mprox_span s, const char *lit)
{
	size_t i;

	if (s.len != strlen(lit))
		return false;
	for (i = 0; i < s.len; i++)
		if (to_lower(s.p[i]) != lit[i])
			return false;
	return true;
}

/* "on" or "off"; anything else is EINVAL. */
static int parse_on_off(struct mprox_span s, bool *out)
{
	*out = span_is(s, "on");
	return *out || span_is(s, "off") ? 0 : -EINVAL;
}

/*
 * An unsigned number: decimal, or with @hex also 0x/0X hexadecimal. No sign,
 * no blanks, no octal (a leading 0 is just a digit). Malformed input is
 * EINVAL even when it is also too large; too large is ERANGE, never wrapped.
 */
static int parse_u64(struct mprox_span s, bool hex, u64 *out)
{
	unsigned int base = 10;
	size_t i, start = 0;
	u64 v = 0;

	if (hex && s.len > 2 && s.p[0] == '0' && (s.p[1] == 'x' || s.p[1] == 'X')) {
		base = 16;
		start = 2;
	}
	if (!s.len)
		return -EINVAL;
	for (i = start; i < s.len; i++)
		if (base == 16 ? hex_val(s.p[i]) < 0 : !is_digit(s.p[i]))
			return -EINVAL;
	for (i = start; i < s.len; i++) {
		unsigned int d = hex_val(s.p[i]);

		if (v > (U64_MAX - d) / base)
			return -ERANGE;
		v = v * base + d;
	}
	*out = v;
	return 0;
}

/*
 * Dotted quad, exactly four decimal parts of 0-255. A part with a leading
 * zero is refused: inet_aton() and resolvers would read it as octal, so
 * "010.0.0.1" means different hosts to different programs.
 */
static int parse_in4(struct mprox_span s, u8 *out)
{
	unsigned int part = 0, val = 0, digits = 0;
	size_t i;

	for (i = 0; i <= s.len; i++) {
		if (i == s.len || s.p[i] == '.') {
			if (!digits || part > 3)
				return -EINVAL;
			out[part++] = val;
			val = 0;
			digits = 0;
			continue;
		}
		if (!is_digit(s.p[i]) || (digits == 1 && val == 0))
			return -EINVAL;
		val = val * 10 + (s.p[i] - '0');
		if (++digits > 3 || val > 255)
			return -EINVAL;
	}
	return part == 4 ? 0 : -EINVAL;
}

/*
 * RFC 4291 section 2.2 text form: eight groups of 1-4 hex digits, at most
 * one "::" standing for one or more zero groups, and optionally a dotted
 * quad in place of the last two groups. No zone id, no brackets.
 */
static int parse_in6(struct mprox_span s, u8 *out)
{
	u8 buf[16];
	size_t i = 0, n = 0;	/* input index, bytes of buf filled */
	int gap = -1;		/* where "::" is, in bytes of buf */

	if (s.len >= 2 && s.p[0] == ':' && s.p[1] == ':') {
		gap = 0;
		i = 2;
	}
	while (i < s.len) {
		size_t start = i, digits;
		unsigned int v = 0;

		for (; i < s.len && hex_val(s.p[i]) >= 0; i++)
			if (i - start < 4)
				v = v << 4 | hex_val(s.p[i]);
		digits = i - start;
		if (i < s.len && s.p[i] == '.') {
			struct mprox_span tail = { s.p + start, s.len - start };

			/* The dotted quad must be last and have room. */
			if (n > 12 || parse_in4(tail, buf + n))
				return -EINVAL;
			n += 4;
			break;
		}
		if (!digits || digits > 4 || n == 16)
			return -EINVAL;
		buf[n++] = v >> 8;
		buf[n++] = v & 0xff;
		if (i == s.len)
			break;
		if (s.p[i] != ':' || ++i == s.len)
			return -EINVAL;
		if (s.p[i] == ':') {
			if (gap >= 0)
				return -EINVAL;
			gap = n;
			i++;
		}
	}
	if (gap < 0) {
		if (n != 16)
			return -EINVAL;
		memcpy(out, buf, 16);
		return 0;
	}
	/* "::" must stand for at least one group. */
	if (n > 14)
		return -EINVAL;
	memset(out, 0, 16);
	memcpy(out, buf, gap);
	memcpy(out + 16 - (n - gap), buf + gap, n - gap);
	return 0;
}

/*
 * A DNS name of LDH labels (RFC 1123), lower-cased into @out, which has room
 * for MPROX_HOST_MAX bytes. No trailing dot. A name whose last label is all
 * digits is refused: it is a malformed IPv4 address ("1.2.3", "1.2.3.04"),
 * which resolvers would read in incompatible ways, and no TLD is numeric.
 * A label over 63 characters is ENAMETOOLONG, like a too long path
 * component.
 */
static int parse_hostname(struct mprox_span s, char *out)
{
	size_t i, label = 0;
	bool numeric = true;

	if (s.len > MPROX_HOST_MAX - 1)
		return -ENAMETOOLONG;
	for (i = 0; i <= s.len; i++) {
		char c = i < s.len ? s.p[i] : '.';

		if (c == '.') {
			if (!label || s.p[i - 1] == '-')
				return -EINVAL;
			if (i == s.len && numeric)
				return -EINVAL;
			label = 0;
			numeric = true;
		} else if (c == '-') {
			if (!label)
				return -EINVAL;
			numeric = false;
		} else if (is_alpha(c)) {
			numeric = false;
		} else if (!is_digit(c)) {
			return -EINVAL;
		}
		if (c != '.' && ++label > MPROX_LABEL_MAX)
			return -ENAMETOOLONG;
		if (i < s.len)
			out[i] = to_lower(c);
	}
	out[s.len] = '\0';
	return 0;
}

/* RFC 3986 userinfo characters that need no escape: unreserved, sub-delims, ':'. */
static bool is_userinfo_char(char c)
{
	static const char other[] = "-._~!$&'()*+,;=:";
	size_t n = sizeof(other) - 1;

	return is_alpha(c) || is_digit(c) || find_byte(other, n, c) < n;
}

/*
 * A user name or password: percent-decoded into @out (MPROX_CRED_MAX bytes
 * with the NUL). Decoded it is 1-255 bytes with no NUL or control
 * character; bytes >= 0x80 are allowed, so that UTF-8 survives.
 */
static int parse_cred(struct mprox_span s, char *out)
{
	size_t i, n = 0;

	for (i = 0; i < s.len; i++) {
		char c = s.p[i];

		if (c == '%') {
			int hi, lo;

			if (s.len - i < 3)
				return -EINVAL;
			hi = hex_val(s.p[i + 1]);
			lo = hex_val(s.p[i + 2]);
			if (hi < 0 || lo < 0)
				return -EINVAL;
			c = (char)(hi << 4 | lo);
			i += 2;
			if ((u8)c < 0x20 || c == 0x7f)
				return -EINVAL;
		} else if (!is_userinfo_char(c)) {
			return -EINVAL;
		}
		if (n == MPROX_CRED_MAX - 1)
			return -ENAMETOOLONG;
		out[n++] = c;
	}
	if (!n)
		return -EINVAL;
	out[n] = '\0';
	return 0;
}

static int parse_scheme(struct mprox_span s, enum mprox_proto *proto)
{
	static const struct {
		const char *name;
		enum mprox_proto proto;
	} schemes[] = {
		{ "socks5", MPROX_PROTO_SOCKS5 },
		{ "socks5h", MPROX_PROTO_SOCKS5H },
		{ "socks4", MPROX_PROTO_SOCKS4 },
		{ "socks4a", MPROX_PROTO_SOCKS4A },
		{ "http", MPROX_PROTO_HTTP },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(schemes); i++) {
		if (span_is_nocase(s, schemes[i].name)) {
			*proto = schemes[i].proto;
			return 0;
		}
	}
	return -EINVAL;
}

/* "[USER[:PASSWORD]@]": empty user or empty password is EINVAL. */
static int parse_userinfo(struct mprox_span s, struct mprox_upstream_spec *out)
{
	size_t colon = find_byte(s.p, s.len, ':');
	struct mprox_span user = { s.p, colon };
	int err;

	err = parse_cred(user, out->user);
	if (err || colon == s.len)
		return err;
	return parse_cred((struct mprox_span){ s.p + colon + 1, s.len - colon - 1 },
			  out->password);
}

/*
 * HOST[:PORT] with HOST a dotted quad, a bracketed IPv6 address or a DNS
 * name. @out->host gets the host as written, lower-cased, without brackets:
 * for an address literal that is the text that was parsed, not a
 * canonical form.
 */
static int parse_hostport(struct mprox_span s, struct mprox_upstream_spec *out)
{
	struct mprox_span host = s, port = { NULL, 0 };
	bool has_port;
	size_t i;
	u64 v;
	int err;

	if (s.len && s.p[0] == '[') {
		size_t close = find_byte(s.p, s.len, ']');

		if (close == s.len)
			return -EINVAL;
		host = (struct mprox_span){ s.p + 1, close - 1 };
		if (close + 1 < s.len && s.p[close + 1] != ':')
			return -EINVAL;
		has_port = close + 1 < s.len;
		if (has_port)
			port = (struct mprox_span){ s.p + close + 2, s.len - close - 2 };
		/* Zone ids ("%eth0") name an interface of this host: refused. */
		if (parse_in6(host, out->addr.v6.s6_addr))
			return -EINVAL;
		out->family = AF_INET6;
		for (i = 0; i < host.len; i++)
			out->host[i] = to_lower(host.p[i]);
		out->host[host.len] = '\0';
	} else {
		host.len = find_byte(s.p, s.len, ':');
		has_port = host.len < s.len;
		if (has_port)
			port = (struct mprox_span){ s.p + host.len + 1, s.len - host.len - 1 };
		if (!host.len)
			return -EINVAL;
		if (!parse_in4(host, (u8 *)&out->addr.v4.s_addr)) {
			out->family = AF_INET;
			memcpy(out->host, host.p, host.len);
			out->host[host.len] = '\0';
		} else {
			memset(&out->addr, 0, sizeof(out->addr));
			err = parse_hostname(host, out->host);
			if (err)
				return err;
			out->family = AF_UNSPEC;
		}
	}

	out->port = 1080;
	if (!has_port)
		return 0;
	err = parse_u64(port, false, &v);
	if (err)
		return err;
	if (v == 0 || v > 65535)
		return -ERANGE;
	out->port = v;
	return 0;
}

int mprox_parse_url(const char *url, size_t len, struct mprox_upstream_spec *out)
{
	struct mprox_span scheme, auth;
	size_t i, at;
	int err;

	if (len > MPROX_URL_MAX)
		return -ENAMETOOLONG;
	for (i = 0; i < len; i++)
		if (!is_graph(url[i]))
			return -EINVAL;

	out->proto = MPROX_PROTO_NONE;
	out->family = AF_UNSPEC;
	out->port = 0;
	memset(&out->addr, 0, sizeof(out->addr));
	out->host[0] = '\0';
	out->user[0] = '\0';
	out->password[0] = '\0';

	for (i = 0; i + 3 <= len && memcmp(url + i, "://", 3); i++)
		;
	if (i + 3 > len)
		return -EINVAL;
	scheme = (struct mprox_span){ url, i };
	err = parse_scheme(scheme, &out->proto);
	if (err)
		return err;

	/* The authority ends at a '/', which may only be a lone trailing one. */
	auth.p = url + i + 3;
	auth.len = find_byte(auth.p, len - i - 3, '/');
	if (auth.p + auth.len < url + len && auth.p + auth.len + 1 != url + len)
		return -EINVAL;

	at = find_byte(auth.p, auth.len, '@');
	if (at < auth.len) {
		err = parse_userinfo((struct mprox_span){ auth.p, at }, out);
		if (err)
			return err;
		auth.p += at + 1;
		auth.len -= at + 1;
	}
	return parse_hostport(auth, out);
}

/* [A-Za-z0-9_.-], 1 to MPROX_UPSTREAM_NAME_MAX - 1 of them. */
static int parse_name(struct mprox_span s, char *out)
{
	size_t i;

	if (s.len > MPROX_UPSTREAM_NAME_MAX - 1)
		return -ENAMETOOLONG;
	for (i = 0; i < s.len; i++) {
		char c = s.p[i];

		if (!is_alpha(c) && !is_digit(c) && c != '_' && c != '.' && c != '-')
			return -EINVAL;
		out[i] = c;
	}
	out[s.len] = '\0';
	return 0;
}

/*
 * An interface name as the kernel accepts one (dev_valid_name()): 1-15
 * bytes, not "." or "..", no '/' or ':' (the grammar has no whitespace in
 * a word, and no bytes outside printable ASCII).
 */
static int parse_ifname(struct mprox_span s, char out[MPROX_IFNAMSIZ])
{
	size_t i;

	if (!s.len)
		return -EINVAL;
	if (s.len >= MPROX_IFNAMSIZ)
		return -ENAMETOOLONG;
	if (span_is(s, ".") || span_is(s, ".."))
		return -EINVAL;
	for (i = 0; i < s.len; i++) {
		if (s.p[i] == '/' || s.p[i] == ':')
			return -EINVAL;
		out[i] = s.p[i];
	}
	out[s.len] = '\0';
	return 0;
}

/*
 * The options after "upstream add NAME URL": "priority N", "weight N",
 * "dev IFNAME", in any order, each once.
 */
static int parse_upstream_options(const struct mprox_span *w, size_t n,
				  struct mprox_upstream_spec *spec)
{
	bool have_weight = false, have_dev = false, have_priority = false;
	u64 weight = 1, priority = 0;
	size_t i;
	int err;

	spec->dev[0] = '\0';
	if (n % 2)
		return -EINVAL;
	for (i = 0; i < n; i += 2) {
		if (span_is(w[i], "weight") && !have_weight) {
			have_weight = true;
			err = parse_u64(w[i + 1], false, &weight);
			if (err)
				return err;
			if (weight < 1 || weight > 1000)
				return -ERANGE;
		} else if (span_is(w[i], "priority") && !have_priority) {
			have_priority = true;
			err = parse_u64(w[i + 1], false, &priority);
			if (err)
				return err;
			if (priority > 255)
				return -ERANGE;
		} else if (span_is(w[i], "dev") && !have_dev) {
			have_dev = true;
			err = parse_ifname(w[i + 1], spec->dev);
			if (err)
				return err;
		} else {
			return -EINVAL;
		}
	}
	spec->weight = weight;
	spec->priority = priority;
	return 0;
}

/* "upstream add|del|flush ...", @w and @n counting from the word after "upstream". */
static int parse_upstream(const struct mprox_span *w, size_t n, struct mprox_directive *out)
{
	struct mprox_upstream_spec *spec = &out->upstream;
	int err;

	if (n == 1 && span_is(w[0], "flush")) {
		out->op = MPROX_OP_UPSTREAM_FLUSH;
		return 0;
	}
	if (n == 2 && span_is(w[0], "del")) {
		out->op = MPROX_OP_UPSTREAM_DEL;
		return parse_name(w[1], out->name);
	}
	if (n < 3 || !span_is(w[0], "add"))
		return -EINVAL;

	out->op = MPROX_OP_UPSTREAM_ADD;
	err = parse_name(w[1], spec->name);
	if (err)
		return err;
	err = mprox_parse_url(w[2].p, w[2].len, spec);
	if (err)
		return err;
	return parse_upstream_options(w + 3, n - 3, spec);
}

/*
 * An address and a port: "ADDR:PORT" or "[ADDR6]:PORT", and with @def_port
 * (not 0) also "ADDR", "[ADDR6]" and a bare "ADDR6", which take that port
 * (a bare IPv6 address has no port: its last group would read as one).
 * Addresses only, no names: EINVAL. The port is 1-65535 (ERANGE).
 */
static int parse_addr_port(struct mprox_span s, u16 def_port, struct mprox_probe_target *out)
{
	struct mprox_span addr = s;
	size_t sep;			/* where the ':' before the port is, or s.len */
	u64 v;
	int err;

	memset(out, 0, sizeof(*out));
	if (s.len && s.p[0] == '[') {
		sep = find_byte(s.p, s.len, ']');
		if (sep == s.len || (sep + 1 < s.len && s.p[sep + 1] != ':'))
			return -EINVAL;
		addr = (struct mprox_span){ s.p + 1, sep - 1 };
		sep++;
		out->family = AF_INET6;
	} else {
		sep = find_byte(s.p, s.len, ':');
		if (sep < s.len &&
		    sep + 1 + find_byte(s.p + sep + 1, s.len - sep - 1, ':') < s.len) {
			/* More than one ':': a bare IPv6 address. */
			sep = s.len;
			out->family = AF_INET6;
		} else {
			addr.len = sep;
			out->family = AF_INET;
		}
	}
	if (sep == s.len && !def_port)
		return -EINVAL;
	err = out->family == AF_INET6 ? parse_in6(addr, out->addr) : parse_in4(addr, out->addr);
	if (err)
		return err;
	out->port = def_port;
	if (sep == s.len)
		return 0;
	err = parse_u64((struct mprox_span){ s.p + sep + 1, s.len - sep - 1 }, false, &v);
	if (err)
		return err;
	if (!v || v > 65535)
		return -ERANGE;
	out->port = v;
	return 0;
}

/*
 * "set probe_target ADDR:PORT", "[ADDR6]:PORT" or "none". Addresses only:
 * a name would be resolved by the proxy, and a probe is there to say
 * whether the proxy can reach a place the admin knows, not a resolver.
 */
static int parse_probe_target(struct mprox_span s, struct mprox_probe_target *out)
{
	if (span_is(s, "none")) {
		memset(out, 0, sizeof(*out));
		return 0;
	}
	return parse_addr_port(s, 0, out);
}

static int parse_set(struct mprox_span key, struct mprox_span value, struct mprox_directive *out)
{
	const struct mprox_tunable_info *t;
	size_t i;
	u64 v;
	int err;

	if (span_is(key, "probe_target")) {
		err = parse_probe_target(value, &out->probe_target);
		if (!err)
			out->op = MPROX_OP_PROBE_TARGET;
		return err;
	}
	for (i = 0; i < MPROX_TUNE_COUNT; i++)
		if (span_is(key, mprox_tunables[i].key))
			break;
	if (i == MPROX_TUNE_COUNT)
		return -EINVAL;
	t = &mprox_tunables[i];
	if (t->words)
		err = mprox_tunable_word_value(t, value.p, value.len, &v);
	else
		err = parse_u64(value, false, &v);
	if (err)
		return err;
	if (v < t->min || v > t->max)
		return -ERANGE;
	out->op = MPROX_OP_SET;
	out->set.key = i;
	out->set.value = v;
	return 0;
}

/*
 * "ADDR[/LEN]": an IPv4 or IPv6 prefix. Host bits set after LEN are
 * EINVAL, as ip-route(8) refuses them: "10.1.0.0/8" is more likely a typo
 * than a wish for 10.0.0.0/8. LEN out of the family's range is ERANGE.
 */
static int parse_prefix(struct mprox_span s, struct mprox_rule_prefix *out)
{
	size_t slash = find_byte(s.p, s.len, '/');
	struct mprox_span addr = { s.p, slash };
	unsigned int max, i;
	u64 len;
	int err;

	out->family = find_byte(addr.p, addr.len, ':') < addr.len ? AF_INET6 : AF_INET;
	max = out->family == AF_INET6 ? 128 : 32;
	err = out->family == AF_INET6 ? parse_in6(addr, out->addr) : parse_in4(addr, out->addr);
	if (err)
		return err;
	len = max;
	if (slash < s.len) {
		err = parse_u64((struct mprox_span){ s.p + slash + 1, s.len - slash - 1 },
				false, &len);
		if (err)
			return err;
		if (len > max)
			return -ERANGE;
	}
	out->len = len;
	for (i = len; i < max; i++)
		if (out->addr[i / 8] & (0x80 >> (i % 8)))
			return -EINVAL;
	return 0;
}

/* "N" or "N-M" with min <= N <= M <= max. */
static int parse_range(struct mprox_span s, u64 min, u64 max, u32 *lo, u32 *hi)
{
	size_t dash = find_byte(s.p, s.len, '-');
	u64 a, b;
	int err;

	err = parse_u64((struct mprox_span){ s.p, dash }, false, &a);
	if (err)
		return err;
	b = a;
	if (dash < s.len) {
		err = parse_u64((struct mprox_span){ s.p + dash + 1, s.len - dash - 1 },
				false, &b);
		if (err)
			return err;
	}
	if (a < min || a > max || b < min || b > max)
		return -ERANGE;
	if (a > b)
		return -EINVAL;
	*lo = a;
	*hi = b;
	return 0;
}

static bool is_rule_action(struct mprox_span s)
{
	return span_is(s, "upstream") || span_is(s, "priority") || span_is(s, "direct") ||
	       span_is(s, "reject");
}

/*
 * "cgroup PATH": absolute, written the one way the kernel would show it
 * (no empty, "." or ".." component, no trailing slash but in "/"), so
 * that two rules for one cgroup are the same match. The line's checks
 * have left printable ASCII without blanks.
 */
static int parse_cgroup_path(struct mprox_span v, char *out)
{
	size_t i, start = 1;

	if (v.len >= MPROX_CGROUP_PATH_MAX)
		return -ENAMETOOLONG;
	if (!v.len || v.p[0] != '/')
		return -EINVAL;
	for (i = 1; v.len > 1 && i <= v.len; i++) {
		struct mprox_span c = { v.p + start, i - start };

		if (i < v.len && v.p[i] != '/')
			continue;
		if (!c.len || span_is(c, ".") || span_is(c, ".."))
			return -EINVAL;
		start = i + 1;
	}
	memcpy(out, v.p, v.len);
	out[v.len] = '\0';
	return 0;
}

/*
 * A name for "domain" or "domain-exact" (dns.h, mprox_dns_name_valid()),
 * kept as the resolver keeps the names it hands addresses out for:
 * lowercase, without the trailing dot.
 */
static int parse_domain(struct mprox_span v, char *out)
{
	/* The trailing dot is not part of the name's 253 bytes. */
	size_t i, len = v.len && v.p[v.len - 1] == '.' ? v.len - 1 : v.len;

	if (len > MPROX_DNS_NAME_MAX)
		return -ENAMETOOLONG;
	if (!mprox_dns_name_valid(v.p, v.len))
		return -EINVAL;
	v.len = len;
	for (i = 0; i < v.len; i++)
		out[i] = v.p[i] >= 'A' && v.p[i] <= 'Z' ? v.p[i] - 'A' + 'a' : v.p[i];
	out[v.len] = '\0';
	return 0;
}

/* The ACTION that ends "rule add": @w holds its @n words. */
static int parse_rule_action(const struct mprox_span *w, size_t n, struct mprox_rule *r)
{
	u64 v;
	int err;

	if (n == 1 && span_is(w[0], "reject")) {
		r->action = MPROX_RULE_REJECT;
		return 0;
	}
	if (n == 1 && span_is(w[0], "direct")) {
		r->action = MPROX_RULE_DIRECT;
		return 0;
	}
	if (n == 2 && span_is(w[0], "upstream")) {
		r->action = MPROX_RULE_UPSTREAM;
		return parse_name(w[1], r->upstream);
	}
	if (n == 2 && span_is(w[0], "priority")) {
		err = parse_u64(w[1], false, &v);
		if (err)
			return err;
		if (v > 255)
			return -ERANGE;
		r->action = MPROX_RULE_PRIORITY;
		r->priority = v;
		return 0;
	}
	return -EINVAL;
}

/*
 * "rule add [MATCH VALUE]... ACTION": each MATCH once, in any order, the
 * ACTION last; "domain" and "domain-exact" count as one.
 */
static int parse_rule_add(const struct mprox_span *w, size_t n, struct mprox_rule *r)
{
	bool to = false, from = false, port = false, proto = false, uid = false;
	u32 lo = 0, hi = 0;
	size_t i;
	int err;

	for (i = 0; i < n && !is_rule_action(w[i]); i += 2) {
		struct mprox_span v;

		if (i + 1 == n)
			return -EINVAL;
		v = w[i + 1];
		if (span_is(w[i], "to") && !to) {
			to = true;
			err = parse_prefix(v, &r->to);
		} else if (span_is(w[i], "from") && !from) {
			from = true;
			err = parse_prefix(v, &r->from);
		} else if (span_is(w[i], "port") && !port) {
			port = true;
			err = parse_range(v, 1, 65535, &lo, &hi);
			r->port_lo = lo;
			r->port_hi = hi;
		} else if (span_is(w[i], "proto") && !proto) {
			proto = true;
			r->proto = span_is(v, "tcp") ? IPPROTO_TCP :
				   span_is(v, "udp") ? IPPROTO_UDP : 0;
			err = r->proto ? 0 : -EINVAL;
		} else if (span_is(w[i], "uid") && !uid) {
			uid = true;
			r->has_uid = true;
			/* (uid_t)-1 is no user: chown(2)'s "leave alone". */
			err = parse_range(v, 0, U32_MAX - 1, &r->uid_lo, &r->uid_hi);
		} else if (span_is(w[i], "to-set") && !to) {
			to = true;
			err = parse_name(v, r->set);
		} else if (span_is(w[i], "cgroup") && !r->cgroup[0]) {
			err = parse_cgroup_path(v, r->cgroup);
		} else if ((span_is(w[i], "domain") ||
			    span_is(w[i], "domain-exact")) && !r->domain[0]) {
			r->domain_exact = w[i].len > strlen("domain");
			err = parse_domain(v, r->domain);
		} else {
			err = -EINVAL;
		}
		if (err)
			return err;
	}
	if (r->to.family && r->from.family && r->to.family != r->from.family)
		return -EINVAL;
	return parse_rule_action(w + i, n - i, r);
}

/* "rule add|del|flush ...", @w and @n counting from the word after "rule". */
static int parse_rule(const struct mprox_span *w, size_t n, struct mprox_directive *out)
{
	u64 v;
	int err;

	if (n == 1 && span_is(w[0], "flush")) {
		out->op = MPROX_OP_RULE_FLUSH;
		return 0;
	}
	if (n == 2 && span_is(w[0], "del")) {
		err = parse_u64(w[1], false, &v);
		if (err)
			return err;
		if (v < 1 || v > MPROX_RULES_MAX)
			return -ERANGE;
		out->op = MPROX_OP_RULE_DEL;
		out->index = v;
		return 0;
	}
	if (n < 2 || !span_is(w[0], "add"))
		return -EINVAL;
	out->op = MPROX_OP_RULE_ADD;
	return parse_rule_add(w + 1, n - 1, &out->rule);
}

/*
 * "set add SET CIDR..." and "set flush SET", @w and @n counting from the
 * word after "set". Tunables have no such names, so "set KEY VALUE" is
 * told apart by the word.
 */
static int parse_pset(const struct mprox_span *w, size_t n, struct mprox_directive *out)
{
	size_t i;
	int err;

	if (n == 2 && span_is(w[0], "flush")) {
		out->op = MPROX_OP_PSET_FLUSH;
		return parse_name(w[1], out->pset.name);
	}
	if (n < 3 || !span_is(w[0], "add"))
		return -EINVAL;
	out->op = MPROX_OP_PSET_ADD;
	err = parse_name(w[1], out->pset.name);
	if (err)
		return err;
	for (i = 2; i < n; i++) {
		err = parse_prefix(w[i], &out->pset.prefix[out->pset.n++]);
		if (err)
			return err;
	}
	return 0;
}

/*
 * "dns fake-ip CIDR [CIDR]": a pool of each family at most, in any order,
 * its length within the family's bounds (parse.h).
 */
static int parse_dns_pools(const struct mprox_span *w, size_t n, struct mprox_dns_directive *dns)
{
	struct mprox_rule_prefix p, *pool;
	unsigned int min, max;
	size_t i;
	int err;

	if (n < 1 || n > 2)
		return -EINVAL;
	for (i = 0; i < n; i++) {
		/* parse_prefix() writes 4 bytes of an IPv4 address: the rest stay 0. */
		memset(&p, 0, sizeof(p));
		err = parse_prefix(w[i], &p);
		if (err)
			return err;
		pool = p.family == AF_INET6 ? &dns->pool6 : &dns->pool4;
		if (pool->family)
			return -EINVAL;
		min = p.family == AF_INET6 ? MPROX_DNS_POOL6_LEN_MIN : MPROX_DNS_POOL4_LEN_MIN;
		max = p.family == AF_INET6 ? MPROX_DNS_POOL6_LEN_MAX : MPROX_DNS_POOL4_LEN_MAX;
		if (p.len < min || p.len > max)
			return -ERANGE;
		*pool = p;
	}
	return 0;
}

/* "dns fake-ip|server|hijack|off ...", @w and @n counting from the word after "dns". */
static int parse_dns(const struct mprox_span *w, size_t n, struct mprox_directive *out)
{
	struct mprox_dns_directive *dns = &out->dns;

	out->op = MPROX_OP_DNS;
	if (n >= 1 && span_is(w[0], "fake-ip")) {
		dns->op = MPROX_DNS_FAKE_IP;
		return parse_dns_pools(w + 1, n - 1, dns);
	}
	if (n == 2 && span_is(w[0], "server")) {
		dns->op = MPROX_DNS_SERVER;
		return parse_addr_port(w[1], MPROX_DNS_PORT, &dns->server);
	}
	if (n == 2 && span_is(w[0], "hijack")) {
		dns->op = MPROX_DNS_HIJACK;
		return parse_on_off(w[1], &dns->hijack);
	}
	if (n == 1 && span_is(w[0], "off")) {
		dns->op = MPROX_DNS_OFF;
		return 0;
	}
	return -EINVAL;
}

/* Words of a line that holds only blanks and printable ASCII. */
static int split_words(const char *line, size_t len, struct mprox_span *w, size_t *n)
{
	size_t i = 0, start;

	*n = 0;
	for (;;) {
		while (i < len && is_blank(line[i]))
			i++;
		if (i == len)
			return 0;
		if (*n == MPROX_WORDS_MAX)
			return -E2BIG;
		start = i;
		while (i < len && !is_blank(line[i]))
			i++;
		w[(*n)++] = (struct mprox_span){ line + start, i - start };
	}
}

int mprox_parse_line(const char *line, size_t len, struct mprox_directive *out)
{
	struct mprox_span w[MPROX_WORDS_MAX];
	size_t i, n;
	u64 v;
	int err;

	if (len > MPROX_LINE_MAX)
		return -E2BIG;
	if (find_byte(line, len, '\0') < len)
		return -EINVAL;
	for (i = 0; i < len && is_blank(line[i]); i++)
		;
	if (i == len || line[i] == '#')
		return 1;
	for (; i < len; i++)
		if (!is_blank(line[i]) && !is_graph(line[i]))
			return -EINVAL;
	err = split_words(line, len, w, &n);
	if (err)
		return err;

	memset(out, 0, sizeof(*out));
	if (span_is(w[0], "dns"))
		return parse_dns(w + 1, n - 1, out);
	if (span_is(w[0], "rule"))
		return parse_rule(w + 1, n - 1, out);
	if (span_is(w[0], "upstream"))
		return parse_upstream(w + 1, n - 1, out);
	if (span_is(w[0], "set") && n >= 2 && (span_is(w[1], "add") || span_is(w[1], "flush")))
		return parse_pset(w + 1, n - 1, out);
	if (span_is(w[0], "set"))
		return n == 3 ? parse_set(w[1], w[2], out) : -EINVAL;
	if (span_is(w[0], "persist") && n == 2) {
		out->op = MPROX_OP_PERSIST;
		return parse_on_off(w[1], &out->persist);
	}
	if (span_is(w[0], "fwmark") && n == 2) {
		err = parse_u64(w[1], true, &v);
		if (err)
			return err;
		if (v == 0 || v > U32_MAX)
			return -ERANGE;
		out->op = MPROX_OP_FWMARK;
		out->fwmark = v;
		return 0;
	}
	return -EINVAL;
}

size_t mprox_next_line(const char *buf, size_t len, size_t pos, const char **line,
		       size_t *line_len)
{
	size_t nl;

	if (pos >= len)
		return 0;
	nl = find_byte(buf + pos, len - pos, '\n');
	*line = buf + pos;
	*line_len = nl;
	return nl < len - pos ? pos + nl + 1 : len;
}
