/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Rules (docs/routing.md, "Rules"): what a new flow's first packet and the
 * application's socket say decides where it goes, before the choice of
 * upstream (choice.h). The first rule that matches wins; a flow that none
 * matches goes the default way, to the lowest priority that has an
 * upstream up.
 *
 * Pure, like parse.c (which makes struct mprox_rule): the same file runs
 * in the module, the KUnit suite and the host unit test.
 */
#ifndef _MPROX_RULE_H
#define _MPROX_RULE_H

#include "parse.h"

/* What a rule is matched against. */
struct mprox_rule_pkt {
	u16 family;			/* AF_INET or AF_INET6 */
	u8 proto;			/* IPPROTO_TCP or IPPROTO_UDP */
	u16 dport;			/* host order */
	const u8 *saddr, *daddr;	/* 4 or 16 bytes, network order */
	/* The sending socket's owner, when the packet has a local socket. */
	bool has_uid;
	u32 kuid;
	/*
	 * Whether that socket is in the cgroup of id @id at depth @level or
	 * below it; NULL without a local socket (no "cgroup" rule matches).
	 * Asked only of the rules that have the match, so a device without
	 * them pays nothing for it.
	 */
	bool (*in_cgroup)(const struct mprox_rule_pkt *pkt, u64 id, u16 level);
	const void *sk;			/* in_cgroup()'s */
	/*
	 * The name the destination stands for (a fake-IP pool address, in
	 * dns.h's form: lowercase, no trailing dot), @name_len bytes; NULL
	 * for any other destination, which no "domain" rule matches.
	 */
	const char *name;
	u8 name_len;
};

/*
 * A prefix set (config.c keeps them): its prefixes sorted by
 * mprox_prefixes_sort(), which refuses overlaps, so that an address is
 * in the set when it is in the last prefix that starts at or before it,
 * found by a binary search: a rule costs the same with ten prefixes or
 * MPROX_SET_PREFIXES_MAX.
 */
int mprox_prefixes_sort(struct mprox_rule_prefix *p, u32 n);
bool mprox_prefixes_contain(const struct mprox_rule_prefix *p, u32 n,
			    u16 family, const u8 *addr);

/* The index of the first of @n @rules that @pkt matches, or -1. */
int mprox_rule_match(const struct mprox_rule *rules, unsigned int n,
		     const struct mprox_rule_pkt *pkt);

/*
 * Whether @a and @b match the same packets as written (then the later of
 * them could never match: EEXIST).
 */
bool mprox_rule_same_match(const struct mprox_rule *a,
			   const struct mprox_rule *b);

/*
 * The longest text of a rule, its NUL included: the words, two IPv6
 * prefixes of 43 characters, two ranges and a 31-byte name take 250
 * bytes; a domain name and a cgroup path the rest.
 */
#define MPROX_RULE_TEXT_MAX	(256 + MPROX_DNS_NAME_MAX + MPROX_CGROUP_PATH_MAX)

/*
 * @r as the words after "rule add", the way mprox_parse_line() reads them
 * back (uids as written), into @buf of @size bytes, NUL-terminated;
 * returns the length it needed, as snprintf().
 */
int mprox_rule_format(const struct mprox_rule *r, char *buf, size_t size);

#endif /* _MPROX_RULE_H */
