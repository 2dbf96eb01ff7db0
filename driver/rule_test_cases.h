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
struct mprox_rule_parse_case {
	const char *line;
	int ret;
	const char *back;
};

static const struct mprox_rule_parse_case mprox_rule_parse_cases[] = {
	/* Rules that parse, written back as they were written */
	{ "rule add reject", 0, NULL },
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
	/* Reserved for later features */
	{ "rule add direct", -EOPNOTSUPP, NULL },
	{ "rule add to 10.0.0.0/8 direct", -EOPNOTSUPP, NULL },
	{ "rule add to-set cn upstream a", -EOPNOTSUPP, NULL },
	{ "rule add cgroup /user.slice reject", -EOPNOTSUPP, NULL },
	{ "rule add domain example.com reject", -EOPNOTSUPP, NULL },
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
	struct mprox_directive d;
	char text[256];
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

/* NULL when @c passes, else what went wrong (in @buf when it says more). */
static const char *mprox_rule_match_case_run(const struct mprox_rule_match_case *c,
					     char *buf, size_t size)
{
	struct mprox_rule rules[4];
	struct mprox_rule_pkt pkt = {
		.family = c->family, .proto = c->proto, .dport = c->dport,
		.saddr = (const u8 *)c->src, .daddr = (const u8 *)c->dst,
		.has_uid = c->has_uid, .kuid = c->uid,
	};
	const char *p = c->rules;
	unsigned int n = 0;
	int got;

	while (*p) {
		char line[200] = "rule add ";
		size_t len = strcspn(p, ";");
		struct mprox_directive d;

		if (n == ARRAY_SIZE(rules) || len > sizeof(line) - 10)
			return "too many or too long rules in the case";
		memcpy(line + 9, p, len);
		line[9 + len] = '\0';
		if (mprox_parse_line(line, 9 + len, &d) || d.op != MPROX_OP_RULE_ADD) {
			snprintf(buf, size, "\"%.100s\" does not parse", line);
			return buf;
		}
		d.rule.kuid_lo = d.rule.uid_lo;
		d.rule.kuid_hi = d.rule.uid_hi;
		rules[n++] = d.rule;
		p += len + (p[len] == ';');
	}
	got = mprox_rule_match(rules, n, &pkt);
	if (got != c->want) {
		snprintf(buf, size, "matched rule %d, not %d", got, c->want);
		return buf;
	}
	return NULL;
}

#endif /* _MPROX_RULE_TEST_CASES_H */
