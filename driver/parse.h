/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Parsers for everything userspace writes to an mprox fd: the directive
 * lines and the upstream URLs in them.
 *
 * These are pure functions: no allocation, no locks, no global state, no
 * access past the (pointer, length) they are given, which need not be NUL
 * terminated. The same file is compiled into the module, into the KUnit
 * suite and, with tests/shim/kernel_shim.h standing in for the kernel
 * headers, into the host unit tests and the libFuzzer target.
 *
 * The grammar is specified in uapi/linux/mprox.h ("Directives").
 */
#ifndef _MPROX_PARSE_H
#define _MPROX_PARSE_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/socket.h>
#else
#include "kernel_shim.h"
#endif
#include <linux/mprox.h>

#include "dns.h"

/*
 * Longest directive line, newline excluded; a longer one is E2BIG. Room for
 * the longest upstream: "upstream add" with a 31-byte name, a URL of
 * MPROX_URL_MAX - 1 bytes, "priority 255", "weight 1000" and "dev" with
 * a 15-byte interface name, so that an overlong URL is
 * reported as ENAMETOOLONG, not as a long line.
 */
#define MPROX_LINE_MAX		2048
/* Longest upstream URL; a longer one is ENAMETOOLONG. */
#define MPROX_URL_MAX		1024
/* Most words on one line. */
#define MPROX_WORDS_MAX		32

/* A proxy server, as parsed from "upstream add NAME URL [key value ...]". */
struct mprox_upstream_spec {
	char name[MPROX_UPSTREAM_NAME_MAX];
	enum mprox_proto proto;
	/*
	 * AF_INET or AF_INET6 when the URL gave an address literal (addr
	 * holds it, network byte order), AF_UNSPEC when it gave a host name
	 * (host holds it, lower-cased).
	 */
	u16 family;
	u16 port;			/* host byte order */
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} addr;
	/*
	 * Always set: the name, or the address literal as written (without
	 * brackets); lower-cased either way.
	 */
	char host[MPROX_HOST_MAX];
	/* Percent-decoded RFC 3986 userinfo; empty when absent. */
	char user[MPROX_CRED_MAX];
	char password[MPROX_CRED_MAX];
	u32 weight;			/* "weight N", 1..1000, default 1 */
	u8 priority;			/* "priority N", 0..255, default 0 */
	/* "dev IFNAME": the upstream's sockets are bound to it; "" if none. */
	char dev[MPROX_IFNAMSIZ];
};

/*
 * A rule: "rule add [MATCH...] ACTION" (uapi/linux/mprox.h, "Directives";
 * rule.h matches and writes them). A MATCH left out matches anything.
 */
#define MPROX_RULES_MAX		256	/* per device; more is E2BIG */
/*
 * Prefix sets, "set add SET CIDR...": sets per device, prefixes in all of
 * a device's sets together, and prefixes one line may add (its words less
 * "set add SET"). More is E2BIG.
 */
#define MPROX_SETS_MAX		16
#define MPROX_SET_PREFIXES_MAX	100000
#define MPROX_SET_LINE_MAX	(MPROX_WORDS_MAX - 3)
/*
 * "cgroup PATH": a cgroup v2 path, NUL included (a systemd scope's path
 * is about 100 bytes); a longer one is ENAMETOOLONG.
 */
#define MPROX_CGROUP_PATH_MAX	256

enum mprox_rule_action {
	MPROX_RULE_UPSTREAM,		/* "upstream NAME" */
	MPROX_RULE_PRIORITY,		/* "priority N": that group */
	MPROX_RULE_REJECT,		/* "reject" */
	MPROX_RULE_DIRECT,		/* "direct": no proxy (choice.h) */
};

/* "to CIDR", "from CIDR": family AF_UNSPEC when absent. */
struct mprox_rule_prefix {
	u16 family;
	u8 len;				/* prefix length, bits */
	u8 addr[16];			/* network order, host bits zero */
};

struct mprox_rule {
	struct mprox_rule_prefix to, from;
	/* "to-set SET" (then to is unset): its name, "" when none. */
	char set[MPROX_UPSTREAM_NAME_MAX];
	/* config.c's: that set's sorted prefixes (rule.h). */
	const struct mprox_rule_prefix *set_prefixes;
	u32 set_len;
	u16 port_lo, port_hi;		/* destination port; 0, 0: any */
	u8 proto;			/* IPPROTO_TCP or _UDP; 0: any */
	bool has_uid;
	/*
	 * The application socket's owner: as written, and as the kernel's
	 * uids that config.c made of them in the writer's user namespace
	 * (what the match compares; the parser leaves them 0).
	 */
	u32 uid_lo, uid_hi;
	u32 kuid_lo, kuid_hi;
	/*
	 * "cgroup PATH": the path as written ("" when none), and config.c's:
	 * the id and depth of the cgroup that had that path when the rule
	 * was added (what the match compares, as xt_cgroup holds the cgroup
	 * itself: a cgroup made again at the path is another one).
	 */
	char cgroup[MPROX_CGROUP_PATH_MAX];
	u64 cgroup_id;
	u16 cgroup_level;
	/*
	 * "domain NAME" (NAME and every name below it) or "domain-exact
	 * NAME": the name in dns.h's form (lowercase, no trailing dot), ""
	 * when none. Only a destination that stands for a name, a fake-IP
	 * pool address (fakeip.h), has one to match.
	 */
	char domain[MPROX_DNS_NAME_MAX + 1];
	bool domain_exact;
	enum mprox_rule_action action;
	u8 priority;			/* PRIORITY */
	char upstream[MPROX_UPSTREAM_NAME_MAX];	/* UPSTREAM */
	/* config.c's: where that upstream is in the configuration. */
	u8 up_index;
};

/* Tunables set with "set KEY VALUE". */
enum mprox_tunable {
	MPROX_TUNE_CONNECT_TIMEOUT_MS,
	MPROX_TUNE_TCP_IDLE_TIMEOUT_S,
	MPROX_TUNE_UDP_IDLE_TIMEOUT_S,
	MPROX_TUNE_MAX_FLOWS,
	MPROX_TUNE_SPARE_CONNS,
	MPROX_TUNE_SPARE_IDLE_S,
	MPROX_TUNE_HANDSHAKE_TIMEOUT_MS,
	MPROX_TUNE_BALANCE,
	MPROX_TUNE_PROBE_INTERVAL_S,
	MPROX_TUNE_DNS_TTL_S,		/* fake-IP answers' TTL (resolver.h) */
	MPROX_TUNE_DNS_CACHE_SIZE,	/* DNS answers kept (dnscache.h) */
	MPROX_TUNE_COUNT
};

/* "set balance WORD": the values of MPROX_TUNE_BALANCE (balance.h). */
enum mprox_balance_mode {
	MPROX_BALANCE_WEIGHTED,
	MPROX_BALANCE_ROUND_ROBIN,
	MPROX_BALANCE_LEAST_CONNECTIONS,
};

struct mprox_tunable_info {
	const char *key;		/* as written after "set" */
	u64 min, max, def;
	/*
	 * NULL for a number; else the words it takes, NULL-terminated, the
	 * value being the word's index (min 0, max the last index).
	 */
	const char *const *words;
};

/* The tunable called @key, or NULL. */
const struct mprox_tunable_info *mprox_tunable_named(const char *key);

/* The word of value @v of a tunable that takes words, or NULL. */
const char *mprox_tunable_word(const struct mprox_tunable_info *t, u64 v);

/*
 * The value of @word (@len bytes) for tunable @t: 0, or -EINVAL when @t
 * takes no words or not this one.
 */
int mprox_tunable_word_value(const struct mprox_tunable_info *t,
			     const char *word, size_t len, u64 *v);

/* Indexed by enum mprox_tunable. */
extern const struct mprox_tunable_info mprox_tunables[MPROX_TUNE_COUNT];

enum mprox_op {
	MPROX_OP_UPSTREAM_ADD,
	MPROX_OP_UPSTREAM_DEL,
	MPROX_OP_UPSTREAM_FLUSH,
	MPROX_OP_PERSIST,
	MPROX_OP_FWMARK,
	MPROX_OP_SET,
	MPROX_OP_RULE_ADD,
	MPROX_OP_RULE_DEL,
	MPROX_OP_RULE_FLUSH,
	MPROX_OP_PSET_ADD,		/* "set add SET CIDR..." */
	MPROX_OP_PSET_FLUSH,		/* "set flush SET" */
	MPROX_OP_PROBE_TARGET,		/* "set probe_target ..." */
	MPROX_OP_DNS,			/* "dns ..." */
};

/*
 * "set probe_target ADDR:PORT": where an active probe asks the proxy to
 * connect to (probe.h).
 */
struct mprox_probe_target {
	u8 family;			/* AF_INET, AF_INET6; 0: "none" */
	u8 addr[16];			/* network byte order */
	u16 port;
};

/*
 * "dns ...": the resolver in the kernel (resolver.h) and its fake-IP pools
 * (fakeip.h).
 */
enum mprox_dns_op {
	MPROX_DNS_FAKE_IP,		/* "dns fake-ip CIDR [CIDR]" */
	MPROX_DNS_SERVER,		/* "dns server ADDR[:PORT]" */
	MPROX_DNS_HIJACK,		/* "dns hijack on|off" */
	MPROX_DNS_OFF,			/* "dns off": all of it off */
};

/*
 * A fake-IP pool's prefix: IPv4 /8../30, IPv6 /32../126, host bits zero.
 * Shorter is ERANGE (a pool that takes in a whole network's addresses),
 * longer too (too few addresses to hand out).
 */
#define MPROX_DNS_POOL4_LEN_MIN		8
#define MPROX_DNS_POOL4_LEN_MAX		30
#define MPROX_DNS_POOL6_LEN_MIN		32
#define MPROX_DNS_POOL6_LEN_MAX		126
#define MPROX_DNS_PORT			53	/* "dns server ADDR" */

struct mprox_dns_directive {
	enum mprox_dns_op op;
	/* FAKE_IP: one prefix of each family at most; family 0 when absent. */
	struct mprox_rule_prefix pool4, pool6;
	/* SERVER: family AF_INET or AF_INET6, port 1..65535 (53 if none). */
	struct mprox_probe_target server;
	bool hijack;			/* HIJACK */
};

struct mprox_directive {
	enum mprox_op op;
	union {
		struct mprox_upstream_spec upstream;	/* UPSTREAM_ADD */
		char name[MPROX_UPSTREAM_NAME_MAX];	/* UPSTREAM_DEL */
		bool persist;				/* PERSIST */
		u32 fwmark;				/* FWMARK */
		struct {
			enum mprox_tunable key;
			u64 value;
		} set;					/* SET */
		struct mprox_rule rule;			/* RULE_ADD */
		u32 index;				/* RULE_DEL, from 1 */
		struct {
			char name[MPROX_UPSTREAM_NAME_MAX];
			u32 n;				/* 0 for FLUSH */
			struct mprox_rule_prefix prefix[MPROX_SET_LINE_MAX];
		} pset;					/* PSET_ADD, _FLUSH */
		struct mprox_probe_target probe_target;	/* PROBE_TARGET */
		struct mprox_dns_directive dns;		/* DNS */
	};
};

/*
 * Parse an upstream URL: scheme://[user[:password]@]host[:port].
 * Returns 0 and fills proto, family, addr, host, port, user, password of
 * @out (other fields untouched), or a negative errno:
 *   -EINVAL        malformed, unknown scheme, bad characters
 *   -ENAMETOOLONG  URL, host (or one of its labels), user or password too
 *                  long
 *   -ERANGE        port 0 or above 65535
 * On error the fields it fills hold no meaningful value.
 */
int mprox_parse_url(const char *url, size_t len,
		    struct mprox_upstream_spec *out);

/*
 * Parse one directive line (without its newline). Returns 1 for a line
 * that is blank or a comment (first non-blank character '#'), 0 with @out
 * filled for a directive, or a negative errno:
 *   -EINVAL        unknown directive or key, wrong arity, bad characters
 *                  (NUL, control characters other than tab, bytes >= 0x7f)
 *   -ENAMETOOLONG  a name, host, user, password or URL too long
 *   -ERANGE        a number out of its range
 *   -E2BIG         line longer than MPROX_LINE_MAX or too many words
 * The checks of the whole line (length, NUL, characters, word count) come
 * first, so a valid directive with a control character is EINVAL. @out is
 * zeroed before a directive is parsed and left untouched for a comment.
 */
int mprox_parse_line(const char *line, size_t len,
		     struct mprox_directive *out);

/*
 * Split a write() buffer into lines. @pos is the offset to start at; on
 * return *line and *line_len describe the next line (newline excluded) and
 * the return value is the offset after it, or 0 when no line is left (@pos
 * at or past @len). The last line need not end with a newline; an empty
 * buffer has no line, "\n" has one empty line.
 */
size_t mprox_next_line(const char *buf, size_t len, size_t pos,
		       const char **line, size_t *line_len);

#endif /* _MPROX_PARSE_H */
