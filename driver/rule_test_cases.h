/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The rules' test cases, shared by the KUnit suite (rule_test.c) and the
 * host unit test (tests/unit/test_rule.c): "rule ..." lines as parse.c
 * reads them and rule.c writes them back, and which rule of a list a
 * packet matches. Include after parse.h, rule.h and <linux/string.h> or
 * the shim.
 */
#ifndef _MPROX_RULE_TEST_CASES_H
#define _MPROX_RULE_TEST_CASES_H

/*
 * A line, what parsing it returns and, for "rule add", the rule written
 * back by mprox_rule_format() (NULL: the line as given after "rule add ").
 */
/* 64 characters: four, with the leading slash, are too long a cgroup path */
#define T_C64	"cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
/* 62 of them: with three T_C64 and the slash, the longest path (255) */
#define T_C62	"cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
/* For the longest rule: a full IPv6 host, ranges, a 31-byte name */
#define T_A128	"1111:2222:3333:4444:5555:6666:7777:8888/128"
#define T_NUMS	" port 10000-65535 proto tcp uid 1000000000-4294967294 "
#define T_U31	"uuuuuuuuuuuuuuuuuuuuuuuuuuuuuuu"
/* Labels of 63 and 61 characters: three and one make a 253-byte name. */
#define T_D63	"ddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
#define T_D61	"ddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd"
/* Six host addresses, for lines of many. */
#define T_IP6	"1.1.1.1 1.1.1.2 1.1.1.3 1.1.1.4 1.1.1.5 1.1.1.6 "

struct mprox_rule_parse_case {
	const char *line;
	int ret;
	const char *back;
};

static const struct mprox_rule_parse_case mprox_rule_parse_cases[] = {
	/* Rules that parse, written back as they were written */
	{ "rule add reject", 0, NULL },
	{ "rule add direct", 0, NULL },
	{ "rule add to 10.0.0.0/8 direct", 0, NULL },
	{ "rule add direct x", -EINVAL, NULL },
	{ "rule add upstream a", 0, NULL },
	{ "rule add priority 0", 0, NULL },
	{ "rule add priority 255", 0, NULL },
	{ "rule add to 10.0.0.0/8 upstream a", 0, NULL },
	{ "rule add to 0.0.0.0/0 reject", 0, NULL },
	{ "rule add to 192.0.2.1/32 reject", 0, NULL },
	{ "rule add from 10.1.0.0/16 priority 1", 0, NULL },
	{ "rule add to 2001:db8::/32 upstream b", 0, NULL },
	{ "rule add to ::/0 reject", 0, NULL },
	{ "rule add to ::1/128 reject", 0, NULL },
	{ "rule add to 1:0:0:2::/64 reject", 0, NULL },
	{ "rule add to 2001:db8::2:0:0:1/128 reject", 0, NULL },
	{ "rule add port 443 reject", 0, NULL },
	{ "rule add port 1-65535 reject", 0, NULL },
	{ "rule add proto tcp reject", 0, NULL },
	{ "rule add proto udp reject", 0, NULL },
	{ "rule add uid 0 reject", 0, NULL },
	{ "rule add uid 1000-1999 upstream a", 0, NULL },
	{ "rule add uid 4294967294 reject", 0, NULL },
	{ "rule add to 10.0.0.0/8 from 10.1.0.0/16 port 80-90 proto tcp uid 5 upstream x",
	  0, NULL },
	/* ...or in their canonical form */
	{ "rule add uid 7 to 10.0.0.0/8 reject", 0, "to 10.0.0.0/8 uid 7 reject" },
	{ "rule add to 10.0.0.1 reject", 0, "to 10.0.0.1/32 reject" },
	{ "rule add to 2001:DB8:0:0:0:0:0:1 reject", 0, "to 2001:db8::1/128 reject" },
	{ "rule add to 0:0:1:0:0:0:1:0/128 reject", 0, "to 0:0:1::1:0/128 reject" },
	{ "rule add to 1:0:0:1:0:0:1:1/128 reject", 0, "to 1::1:0:0:1:1/128 reject" },
	{ "rule add port 80-80 reject", 0, "port 80 reject" },
	{ "rule add port 443 to-set cn upstream a", 0, "to-set cn port 443 upstream a" },
	{ "set add cn 10.0.0.0/8 192.0.2.0/24 2001:db8::/32", 0, NULL },
	{ "set add cn 10.0.0.1", 0, NULL },
	{ "set flush cn", 0, NULL },
	{ "rule add\tport 80   reject  ", 0, "port 80 reject" },
	{ "rule del 1", 0, NULL },
	{ "rule del 256", 0, NULL },
	{ "rule flush", 0, NULL },
	/* Malformed */
	{ "rule", -EINVAL, NULL },
	{ "rule add", -EINVAL, NULL },
	{ "rule add to 10.0.0.0/8", -EINVAL, NULL },
	{ "rule add to", -EINVAL, NULL },
	{ "rule add to upstream a", -EINVAL, NULL },
	{ "rule add reject reject", -EINVAL, NULL },
	{ "rule add reject to 10.0.0.0/8", -EINVAL, NULL },
	{ "rule add upstream", -EINVAL, NULL },
	{ "rule add upstream a b", -EINVAL, NULL },
	{ "rule add upstream a/b", -EINVAL, NULL },
	{ "rule add priority", -EINVAL, NULL },
	{ "rule add priority x", -EINVAL, NULL },
	{ "rule add to 10.0.0.0/8 to 10.0.0.0/8 reject", -EINVAL, NULL },
	{ "rule add port 1 port 2 reject", -EINVAL, NULL },
	{ "rule add to 10.1.0.0/8 reject", -EINVAL, NULL },
	{ "rule add to 10.0.0.1/31 reject", -EINVAL, NULL },
	{ "rule add to 2001:db8::1/64 reject", -EINVAL, NULL },
	{ "rule add to 10.0.0.0/ reject", -EINVAL, NULL },
	{ "rule add to 10.0.0.0/x reject", -EINVAL, NULL },
	{ "rule add to 10.0.0/8 reject", -EINVAL, NULL },
	{ "rule add to example.com reject", -EINVAL, NULL },
	{ "rule add to 10.0.0.0/8 from ::/0 reject", -EINVAL, NULL },
	{ "rule add port 90-80 reject", -EINVAL, NULL },
	{ "rule add port -80 reject", -EINVAL, NULL },
	{ "rule add port 80- reject", -EINVAL, NULL },
	{ "rule add port http reject", -EINVAL, NULL },
	{ "rule add proto icmp reject", -EINVAL, NULL },
	{ "rule add proto TCP reject", -EINVAL, NULL },
	{ "rule add uid 9-1 reject", -EINVAL, NULL },
	{ "rule add uid root reject", -EINVAL, NULL },
	{ "rule add colour red reject", -EINVAL, NULL },
	{ "rule del", -EINVAL, NULL },
	{ "rule del x", -EINVAL, NULL },
	{ "rule del 1 2", -EINVAL, NULL },
	{ "rule flush all", -EINVAL, NULL },
	{ "rule list", -EINVAL, NULL },
	{ "rule add to 10.0.0.0/8 to-set cn reject", -EINVAL, NULL },
	{ "rule add to-set cn to 10.0.0.0/8 reject", -EINVAL, NULL },
	{ "rule add to-set reject", -EINVAL, NULL },
	{ "rule add to-set a/b reject", -EINVAL, NULL },
	{ "set add cn", -EINVAL, NULL },
	{ "set add cn 10.1.0.0/8", -EINVAL, NULL },
	{ "set add cn 10.0.0.0/8 x", -EINVAL, NULL },
	{ "set add a/b 10.0.0.0/8", -EINVAL, NULL },
	{ "set flush", -EINVAL, NULL },
	{ "set flush cn cn", -EINVAL, NULL },
	{ "set flush cn 10.0.0.0/8", -EINVAL, NULL },
	{ "set del cn 10.0.0.0/8", -EINVAL, NULL },
	/* 30 prefixes: 33 words */
	{ "set add cn " T_IP6 T_IP6 T_IP6 T_IP6 T_IP6, -E2BIG, NULL },
	/* Out of range */
	{ "rule add to 10.0.0.0/33 reject", -ERANGE, NULL },
	{ "rule add to ::/129 reject", -ERANGE, NULL },
	{ "rule add port 0 reject", -ERANGE, NULL },
	{ "rule add port 65536 reject", -ERANGE, NULL },
	{ "rule add port 1-65536 reject", -ERANGE, NULL },
	{ "rule add uid 4294967295 reject", -ERANGE, NULL },
	{ "rule add priority 256", -ERANGE, NULL },
	{ "rule del 0", -ERANGE, NULL },
	{ "rule del 257", -ERANGE, NULL },
	{ "rule add upstream abcdefghijklmnopqrstuvwxyz0123456", -ENAMETOOLONG, NULL },
	{ "set add abcdefghijklmnopqrstuvwxyz0123456 10.0.0.0/8", -ENAMETOOLONG, NULL },
	{ "set add cn 10.0.0.0/33", -ERANGE, NULL },
	/* cgroup PATH: absolute, one way of writing it */
	{ "rule add cgroup / direct", 0, NULL },
	{ "rule add cgroup /user.slice/app-1.scope uid 7 reject", 0,
	  "uid 7 cgroup /user.slice/app-1.scope reject" },
	{ "rule add cgroup user.slice reject", -EINVAL, NULL },
	{ "rule add cgroup /a/ reject", -EINVAL, NULL },
	{ "rule add cgroup /a//b reject", -EINVAL, NULL },
	{ "rule add cgroup /a/./b reject", -EINVAL, NULL },
	{ "rule add cgroup /a/.. reject", -EINVAL, NULL },
	{ "rule add cgroup // reject", -EINVAL, NULL },
	{ "rule add cgroup /a cgroup /b reject", -EINVAL, NULL },
	{ "rule add cgroup reject", -EINVAL, NULL },
	{ "rule add cgroup /" T_C64 T_C64 T_C64 T_C64 " reject", -ENAMETOOLONG, NULL },
	/* The longest rule there is: its text fits MPROX_RULE_TEXT_MAX. */
	{ "rule add to " T_A128 " from " T_A128 T_NUMS "cgroup /" T_C64 T_C64 T_C64 T_C62
	  " domain-exact " T_D63 "." T_D63 "." T_D63 "." T_D61 " upstream " T_U31, 0, NULL },
	/* domain NAME, domain-exact NAME: names as the resolver keeps them */
	{ "rule add domain example.com reject", 0, NULL },
	{ "rule add domain test upstream a", 0, NULL },
	{ "rule add domain-exact www.example.com priority 3", 0, NULL },
	{ "rule add domain _sip._tcp.example.com reject", 0, NULL },
	{ "rule add domain Example.COM. reject", 0, "domain example.com reject" },
	{ "rule add domain-exact a-b.C reject", 0, "domain-exact a-b.c reject" },
	{ "rule add domain example.com port 443 uid 7 upstream a", 0,
	  "port 443 uid 7 domain example.com upstream a" },
	{ "rule add domain " T_D63 "." T_D63 "." T_D63 "." T_D61 " reject", 0, NULL },
	{ "rule add domain " T_D63 "." T_D63 "." T_D63 "." T_D61 ". reject", 0,
	  "domain " T_D63 "." T_D63 "." T_D63 "." T_D61 " reject" },
	{ "rule add domain reject", -EINVAL, NULL },
	{ "rule add domain . reject", -EINVAL, NULL },
	{ "rule add domain .example.com reject", -EINVAL, NULL },
	{ "rule add domain example..com reject", -EINVAL, NULL },
	{ "rule add domain example.com.. reject", -EINVAL, NULL },
	{ "rule add domain *.example.com reject", -EINVAL, NULL },
	{ "rule add domain exa/mple.com reject", -EINVAL, NULL },
	{ "rule add domain 10.0.0.0/8 reject", -EINVAL, NULL },
	{ "rule add domain " T_D63 "d.com reject", -EINVAL, NULL },
	{ "rule add domain a.b domain c.d reject", -EINVAL, NULL },
	{ "rule add domain a.b domain-exact a.b reject", -EINVAL, NULL },
	{ "rule add domain-exact a.b domain a.b reject", -EINVAL, NULL },
	/* 254 bytes without a trailing dot: too long, as a URL's host */
	{ "rule add domain " T_D63 "." T_D63 "." T_D63 "." T_D61 "d reject", -ENAMETOOLONG,
	  NULL },
	{ "rule add domain " T_D63 "." T_D63 "." T_D63 "." T_D61 "d. reject", -ENAMETOOLONG,
	  NULL },
	{ "rule add domain " T_D63 "." T_D63 "." T_D63 "." T_D63 " reject", -ENAMETOOLONG,
	  NULL },
	/* A name to connect to directly: looked up at "dns server" (lookup.h) */
	{ "rule add domain example.com direct", 0, NULL },
	{ "rule add domain-exact example.com direct", 0, NULL },
};

/* The words after "rule add " in @line, or "" for another directive. */
static inline const char *mprox_rule_case_body(const char *line)
{
	static const char add[] = "rule add";

	if (strncmp(line, add, sizeof(add) - 1))
		return "";
	line += sizeof(add) - 1;
	while (*line == ' ' || *line == '\t')
		line++;
	return line;
}

/* NULL when @c passes, else what went wrong (in @buf when it says more). */
static const char *mprox_rule_parse_case_run(const struct mprox_rule_parse_case *c,
					     char *buf, size_t size)
{
	/* Not on the stack: a directive is 1.5 KiB; cases run one at a time. */
	static struct mprox_directive d;
	static char text[MPROX_RULE_TEXT_MAX];
	const char *want;
	int ret;

	memset(&d, 0xa5, sizeof(d));
	ret = mprox_parse_line(c->line, strlen(c->line), &d);
	if (ret != c->ret) {
		snprintf(buf, size, "returned %d, not %d", ret, c->ret);
		return buf;
	}
	if (ret || d.op != MPROX_OP_RULE_ADD)
		return NULL;
	mprox_rule_format(&d.rule, text, sizeof(text));
	want = c->back ? c->back : mprox_rule_case_body(c->line);
	if (strcmp(text, want)) {
		snprintf(buf, size, "written back as \"%.100s\", not \"%.100s\"", text, want);
		return buf;
	}
	return NULL;
}

/*
 * A list of rules (the words after "rule add", ';'-separated), a packet
 * and the index of the rule it must match (-1: none). uids here are the
 * kernel's (the runner makes kuid = uid).
 */
struct mprox_rule_match_case {
	const char *desc;
	const char *rules;
	u16 family;
	u8 proto;
	const char *src, *dst;		/* 4 or 16 bytes */
	u16 dport;
	bool has_uid;
	u32 uid;
	int want;
};

#define V4_10_1_2_3	"\x0a\x01\x02\x03"
#define V4_10_2_0_1	"\x0a\x02\x00\x01"
#define V4_192_0_2_1	"\xc0\x00\x02\x01"
#define V6_DB8_1	"\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01"
#define V6_DB9_1	"\x20\x01\x0d\xb9\0\0\0\0\0\0\0\0\0\0\0\x01"

static const struct mprox_rule_match_case mprox_rule_match_cases[] = {
	{ "no rules", "", AF_INET, IPPROTO_TCP, V4_10_1_2_3, V4_192_0_2_1, 80, false, 0, -1 },
	{ "a rule with no match words takes everything", "reject",
	  AF_INET, IPPROTO_TCP, V4_10_1_2_3, V4_192_0_2_1, 80, false, 0, 0 },
	{ "first match wins", "to 192.0.2.0/24 upstream a;to 192.0.2.1/32 reject",
	  AF_INET, IPPROTO_TCP, V4_10_1_2_3, V4_192_0_2_1, 80, false, 0, 0 },
	{ "to: outside the prefix", "to 192.0.3.0/24 reject;upstream b",
	  AF_INET, IPPROTO_TCP, V4_10_1_2_3, V4_192_0_2_1, 80, false, 0, 1 },
	{ "to: prefix of 23 bits, last bit differs", "to 192.0.2.0/23 reject",
	  AF_INET, IPPROTO_TCP, V4_10_1_2_3, V4_192_0_2_1, 80, false, 0, 0 },
	{ "to: prefix of 25 bits, host in the other half", "to 192.0.2.128/25 reject",
	  AF_INET, IPPROTO_TCP, V4_10_1_2_3, V4_192_0_2_1, 80, false, 0, -1 },
	{ "to: /0 of the family", "to 0.0.0.0/0 reject",
	  AF_INET, IPPROTO_TCP, V4_10_1_2_3, V4_192_0_2_1, 80, false, 0, 0 },
	{ "to: IPv4 rule, IPv6 packet", "to 0.0.0.0/0 reject",
	  AF_INET6, IPPROTO_TCP, V6_DB8_1, V6_DB9_1, 80, false, 0, -1 },
	{ "to: IPv6 /32", "to 2001:db9::/32 reject",
	  AF_INET6, IPPROTO_TCP, V6_DB8_1, V6_DB9_1, 80, false, 0, 0 },
	{ "to: IPv6 /31 takes db8 and db9", "to 2001:db8::/31 reject",
	  AF_INET6, IPPROTO_TCP, V6_DB8_1, V6_DB9_1, 80, false, 0, 0 },
	{ "from: matches the source", "from 10.1.0.0/16 reject",
	  AF_INET, IPPROTO_TCP, V4_10_1_2_3, V4_192_0_2_1, 80, false, 0, 0 },
	{ "from: another source", "from 10.1.0.0/16 reject",
	  AF_INET, IPPROTO_TCP, V4_10_2_0_1, V4_192_0_2_1, 80, false, 0, -1 },
	{ "port: in the range", "port 80-90 reject",
	  AF_INET, IPPROTO_TCP, V4_10_1_2_3, V4_192_0_2_1, 90, false, 0, 0 },
	{ "port: below it", "port 80-90 reject",
	  AF_INET, IPPROTO_TCP, V4_10_1_2_3, V4_192_0_2_1, 79, false, 0, -1 },
	{ "port: above it", "port 80-90 reject",
	  AF_INET, IPPROTO_TCP, V4_10_1_2_3, V4_192_0_2_1, 91, false, 0, -1 },
	{ "proto: udp rule, TCP packet", "proto udp reject;proto tcp upstream a",
	  AF_INET, IPPROTO_TCP, V4_10_1_2_3, V4_192_0_2_1, 80, false, 0, 1 },
	{ "uid: in the range", "uid 1000-1999 reject",
	  AF_INET, IPPROTO_TCP, V4_10_1_2_3, V4_192_0_2_1, 80, true, 1999, 0 },
	{ "uid: outside it", "uid 1000-1999 reject",
	  AF_INET, IPPROTO_TCP, V4_10_1_2_3, V4_192_0_2_1, 80, true, 2000, -1 },
	{ "uid: a packet without a local socket never matches", "uid 0-4294967294 reject",
	  AF_INET, IPPROTO_TCP, V4_10_1_2_3, V4_192_0_2_1, 80, false, 0, -1 },
	{ "all matches must hold", "to 192.0.2.0/24 port 443 reject;to 192.0.2.0/24 priority 2",
	  AF_INET, IPPROTO_TCP, V4_10_1_2_3, V4_192_0_2_1, 80, false, 0, 1 },
};

/*
 * A case's cgroups are their paths: the id of a rule's cgroup is a hash of
 * its path and its level the number of components, as config.c would have
 * them of the kernel's cgroup; a socket's cgroup is a path in pkt->sk.
 */
static inline u64 mprox_rule_case_cgroup_id(const char *path, size_t len)
{
	u64 h = 0xcbf29ce484222325ULL;	/* FNV-1a */

	while (len--)
		h = (h ^ (u8)*path++) * 0x100000001b3ULL;
	return h;
}

static inline u16 mprox_rule_case_cgroup_level(const char *path)
{
	u16 n = 0;

	for (; *path; path++)
		n += path[0] == '/' && path[1] && path[1] != '/';
	return n;
}

static inline bool mprox_rule_case_in_cgroup(const struct mprox_rule_pkt *pkt, u64 id,
					     u16 level)
{
	const char *path = pkt->sk;
	size_t end = 0;		/* the ancestor at @level: path[0, end) */
	u16 n;

	for (n = 0; n < level; n++) {
		if (path[end] != '/' || !path[end + 1])
			return false;
		end++;
		while (path[end] && path[end] != '/')
			end++;
	}
	return mprox_rule_case_cgroup_id(path, end ? end : 1) == id;
}

/*
 * @text's rules (the words after "rule add", ';'-separated) into @rules,
 * as config.c would keep them (uids as the kernel's); NULL or what went
 * wrong.
 */
static const char *mprox_rule_case_rules(const char *text, struct mprox_rule *rules,
					 unsigned int max, unsigned int *n, char *buf,
					 size_t size)
{
	/* Not on the stack: a directive is 1.5 KiB; cases run one at a time. */
	static struct mprox_directive d;
	const char *p = text;

	*n = 0;
	while (*p) {
		char line[200] = "rule add ";
		size_t len = strcspn(p, ";");

		if (*n == max || len > sizeof(line) - 10)
			return "too many or too long rules in the case";
		memcpy(line + 9, p, len);
		line[9 + len] = '\0';
		if (mprox_parse_line(line, 9 + len, &d) || d.op != MPROX_OP_RULE_ADD) {
			snprintf(buf, size, "\"%.100s\" does not parse", line);
			return buf;
		}
		d.rule.kuid_lo = d.rule.uid_lo;
		d.rule.kuid_hi = d.rule.uid_hi;
		d.rule.cgroup_id = mprox_rule_case_cgroup_id(d.rule.cgroup, strlen(d.rule.cgroup));
		d.rule.cgroup_level = mprox_rule_case_cgroup_level(d.rule.cgroup);
		rules[(*n)++] = d.rule;
		p += len + (p[len] == ';');
	}
	return NULL;
}

/* NULL when @pkt matches rule @want (-1: none) of @text, else why not. */
static const char *mprox_rule_case_expect(const char *text, const struct mprox_rule_pkt *pkt,
					  int want, char *buf, size_t size)
{
	static struct mprox_rule rules[4];
	const char *err;
	unsigned int n;
	int got;

	err = mprox_rule_case_rules(text, rules, ARRAY_SIZE(rules), &n, buf, size);
	if (err)
		return err;
	got = mprox_rule_match(rules, n, pkt);
	if (got != want) {
		snprintf(buf, size, "matched rule %d, not %d", got, want);
		return buf;
	}
	return NULL;
}

/* NULL when @c passes, else what went wrong (in @buf when it says more). */
static const char *mprox_rule_match_case_run(const struct mprox_rule_match_case *c,
					     char *buf, size_t size)
{
	struct mprox_rule_pkt pkt = {
		.family = c->family, .proto = c->proto, .dport = c->dport,
		.saddr = (const u8 *)c->src, .daddr = (const u8 *)c->dst,
		.has_uid = c->has_uid, .kuid = c->uid,
	};
	return mprox_rule_case_expect(c->rules, &pkt, c->want, buf, size);
}

/*
 * "cgroup PATH" against a socket in the cgroup @sock (NULL: a packet
 * without a local socket); uid 0.
 */
struct mprox_rule_cgroup_case {
	const char *desc;
	const char *rules;
	const char *sock;
	int want;
};

static const struct mprox_rule_cgroup_case mprox_rule_cgroup_cases[] = {
	{ "the socket's own cgroup", "cgroup /a/b reject", "/a/b", 0 },
	{ "a cgroup below the rule's", "cgroup /a reject", "/a/b/c", 0 },
	{ "a sibling whose name starts the same", "cgroup /a/b reject", "/a/bc", -1 },
	{ "the rule's parent", "cgroup /a/b reject", "/a", -1 },
	{ "another tree at the same depth", "cgroup /a/b reject", "/c/b", -1 },
	{ "the root holds every socket", "cgroup / reject", "/x/y", 0 },
	{ "a socket in the root", "cgroup /a reject;cgroup / upstream b", "/", 1 },
	{ "no local socket: no cgroup rule matches", "cgroup / reject", NULL, -1 },
	{ "all matches must hold", "cgroup /a uid 5 reject;cgroup /a/b upstream b", "/a/b", 1 },
};

static const char *mprox_rule_cgroup_case_run(const struct mprox_rule_cgroup_case *c,
					      char *buf, size_t size)
{
	struct mprox_rule_pkt pkt = {
		.family = AF_INET, .proto = IPPROTO_TCP, .dport = 80,
		.saddr = (const u8 *)V4_10_1_2_3, .daddr = (const u8 *)V4_192_0_2_1,
	};
	if (c->sock) {
		pkt.has_uid = true;
		pkt.in_cgroup = mprox_rule_case_in_cgroup;
		pkt.sk = c->sock;
	}
	return mprox_rule_case_expect(c->rules, &pkt, c->want, buf, size);
}

/*
 * "domain" and "domain-exact" against a connection to an address that
 * stands for @name (NULL: an address that stands for none); port 80.
 */
struct mprox_rule_domain_case {
	const char *desc;
	const char *rules;
	const char *name;
	int want;
};

static const struct mprox_rule_domain_case mprox_rule_domain_cases[] = {
	{ "the name itself", "domain example.com reject", "example.com", 0 },
	{ "a name below it", "domain example.com reject", "www.example.com", 0 },
	{ "a name two labels below it", "domain example.com reject", "a.b.example.com", 0 },
	{ "a top-level domain holds its names", "domain test reject", "name.test", 0 },
	{ "the same tail, not on a label boundary", "domain example.com reject",
	  "badexample.com", -1 },
	{ "one letter of the last label", "domain m reject", "example.com", -1 },
	{ "the rule's parent", "domain www.example.com reject", "example.com", -1 },
	{ "a longer rule than the name", "domain www.example.com reject", "e.com", -1 },
	{ "written in capitals, matched in lowercase", "domain EXAMPLE.Com reject",
	  "www.example.com", 0 },
	{ "exact: the name", "domain-exact example.com reject", "example.com", 0 },
	{ "exact: not a name below it", "domain-exact example.com reject;upstream b",
	  "www.example.com", 1 },
	{ "no name: no domain rule matches", "domain example.com reject;upstream b", NULL, 1 },
	{ "no name: neither does domain-exact", "domain-exact a.b reject", NULL, -1 },
	{ "all matches must hold",
	  "domain example.com port 443 reject;domain example.com upstream b", "example.com", 1 },
	{ "first match wins", "domain www.example.com upstream a;domain example.com reject",
	  "www.example.com", 0 },
};

static const char *mprox_rule_domain_case_run(const struct mprox_rule_domain_case *c,
					      char *buf, size_t size)
{
	struct mprox_rule_pkt pkt = {
		.family = AF_INET, .proto = IPPROTO_TCP, .dport = 80,
		.saddr = (const u8 *)V4_10_1_2_3, .daddr = (const u8 *)V4_192_0_2_1,
		.name = c->name, .name_len = c->name ? strlen(c->name) : 0,
	};
	return mprox_rule_case_expect(c->rules, &pkt, c->want, buf, size);
}

/*
 * A prefix set (one "set add" line's prefixes), what sorting it returns
 * and, when that is 0, whether an address is in it.
 */
struct mprox_prefix_set_case {
	const char *desc;
	const char *prefixes;
	int ret;
	u16 family;
	const char *addr;
	bool in;
};

static const struct mprox_prefix_set_case mprox_prefix_set_cases[] = {
	{ "in the only prefix", "10.0.0.0/8", 0, AF_INET, V4_10_1_2_3, true },
	{ "past the only prefix", "10.0.0.0/8", 0, AF_INET, V4_192_0_2_1, false },
	{ "before the first", "192.0.2.0/24 10.2.0.0/16", 0, AF_INET, V4_10_1_2_3, false },
	{ "between two", "10.0.0.0/16 10.2.0.0/16", 0, AF_INET, V4_10_1_2_3, false },
	{ "in the second, given first", "192.0.2.0/24 10.1.0.0/16", 0, AF_INET, V4_10_1_2_3, true },
	{ "in the last", "1.0.0.0/8 2.0.0.0/8 10.1.2.3/32", 0, AF_INET, V4_10_1_2_3, true },
	{ "host prefixes next to it", "10.1.2.2/32 10.1.2.4/32", 0, AF_INET, V4_10_1_2_3, false },
	{ "/0 takes every IPv4 address", "0.0.0.0/0", 0, AF_INET, V4_192_0_2_1, true },
	{ "an IPv4 /0 no IPv6 one", "0.0.0.0/0", 0, AF_INET6, V6_DB8_1, false },
	{ "IPv6 in a /31", "10.0.0.0/8 2001:db8::/31", 0, AF_INET6, V6_DB9_1, true },
	{ "IPv6 past a /32", "10.0.0.0/8 2001:db8::/32", 0, AF_INET6, V6_DB9_1, false },
	{ "the same prefix twice: EEXIST", "10.0.0.0/8 192.0.2.0/24 10.0.0.0/8", -EEXIST,
	  0, NULL, false },
	{ "one inside another: EEXIST", "10.1.0.0/16 10.0.0.0/8", -EEXIST, 0, NULL, false },
	{ "inside one, with others between: EEXIST", "10.0.0.0/8 10.1.0.0/16 10.2.0.0/16",
	  -EEXIST, 0, NULL, false },
	{ "IPv6 inside IPv6: EEXIST", "2001:db8::/32 2001:db8:1::/48", -EEXIST, 0, NULL, false },
	{ "the same bits in both families: no overlap", "10.0.0.0/8 a00::/8", 0, AF_INET6,
	  "\x0a\0\0\0\0\0\0\0\0\0\0\0\0\0\0\x01", true },
};

/* NULL when @c passes, else what went wrong (in @buf when it says more). */
static const char *mprox_prefix_set_case_run(const struct mprox_prefix_set_case *c,
					     char *buf, size_t size)
{
	static struct mprox_directive d;
	char line[400];
	int len, ret;

	len = snprintf(line, sizeof(line), "set add s %s", c->prefixes);
	if (mprox_parse_line(line, len, &d) || d.op != MPROX_OP_PSET_ADD)
		return "the prefixes do not parse";
	ret = mprox_prefixes_sort(d.pset.prefix, d.pset.n);
	if (ret != c->ret) {
		snprintf(buf, size, "sorting returned %d, not %d", ret, c->ret);
		return buf;
	}
	if (!ret && mprox_prefixes_contain(d.pset.prefix, d.pset.n, c->family,
					   (const u8 *)c->addr) != c->in)
		return c->in ? "the address is not in the set" : "the address is in the set";
	return NULL;
}

#endif /* _MPROX_RULE_TEST_CASES_H */
