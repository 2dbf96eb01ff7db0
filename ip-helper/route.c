// SPDX-License-Identifier: GPL-2.0
/*
 * mprox route NAME [--uid RANGE] [--gid GID] [--cgroup PATH]
 *                  [--fwmark MARK[/MASK]] [--all] [--exclude CIDR]...
 *                  [--kill-switch]
 * mprox route NAME --off
 *
 * Policy routing into an mprox device in one step, undone in one step.
 *
 * Numbers. The device with interface index I gets table and mark
 * ROUTE_BASE + I (0x6d700000 + I: "mp" and the index, 1836056576 + I in
 * decimal), one number for both, as wg-quick does. Before anything is
 * added, "route" checks that no rule, route or nft chain already uses that
 * number; one that mprox did not make is someone else's, and route stops.
 * Rule priorities are fixed, per family:
 *   10590  fwmark 0x6d800000+P lookup 0x6d800000+P   ("mprox exec", exec.c:
 *                                                     its own numbers)
 *   10600  to CIDR lookup main                       (--exclude)
 *   10610  uidrange / fwmark ... lookup TABLE        (--uid, --fwmark,
 *                                                     --gid and --cgroup
 *                                                     through the mark)
 *   10620  lookup main suppress_prefixlength 0       (--all)
 *   10630  not fwmark DRIVERMARK lookup TABLE        (--all)
 * The table holds "default dev NAME" (both families) and, with
 * --kill-switch, "unreachable default metric 4294967295" below it: the
 * kernel flushes a link's routes when it goes down or away, and without
 * it the rules would then find the table empty and let what they select
 * go by main, direct.
 * Every rule and route carries protocol 109; those that look up main carry
 * the label "fwmark TABLE/0" (mask 0 matches every packet), so "--off"
 * finds exactly this device's objects in the kernel (rtnl_rules.h).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cgroup_path.h"
#include "cidr.h"
#include "commands.h"
#include "devstate.h"
#include "mprox.h"
#include "nft.h"
#include "route.h"
#include "rtnl_rules.h"

#define ROUTE_BASE 0x6d700000u
#define ROUTE_MAX_IFINDEX 0xfffff
/* The most tables of devices, live or gone, one look at the rules finds. */
#define ROUTE_SCAN_MAX 65536
#define PRIO_EXCLUDE 10600
#define PRIO_SELECT 10610
#define PRIO_SUPPRESS 10620
#define PRIO_ALL 10630
#define MAX_EXCLUDES MPROX_CONF_EXCLUDES_MAX
/* The rules one invocation can add: per family, excludes and 5 more. */
#define MAX_RULES (MAX_EXCLUDES + 2 * 5)
/*
 * The mark "route --all" gives a device whose fwmark reads 0. The driver
 * starts every device at 0x6d70 and refuses "fwmark 0", so this is for a
 * driver that would not.
 */
#define DEFAULT_DRIVER_MARK 0x6d70u
#define SRC_VALID_MARK "/proc/sys/net/ipv4/conf/all/src_valid_mark"

struct route_args {
	const char *dev;
	bool off, all, has_uid, has_gid, has_fwmark, kill_switch;
	bool quiet; /* a reload with -j: its JSON is reload's, print nothing */
	uint32_t uid_lo, uid_hi, gid, fwmark, fwmask;
	const char *cgroup; /* as given */
	char cgpath[CGROUP_PATH_MAX]; /* below the cgroup2 root, no leading or trailing '/' */
	struct cidr excl[MAX_EXCLUDES];
	size_t nexcl;
};

struct route_plan {
	uint32_t table; /* also the mark of --gid and --cgroup */
	int ifindex;
	uint32_t driver_mark;
	struct rr_rule rules[MAX_RULES];
	size_t nrules;
	struct nft_spec nft;
};

static void help(void)
{
	printf("Usage: mprox route NAME [--uid RANGE] [--gid GID] [--cgroup PATH]\n"
	       "                        [--fwmark MARK[/MASK]] [--all] [--exclude CIDR]...\n"
	       "                        [--kill-switch]\n"
	       "       mprox route NAME --off\n"
	       "\n"
	       "Sends traffic into the mprox device NAME by policy routing, IPv4 and IPv6:\n"
	       "  --uid RANGE        sockets of these users (UID or FIRST-LAST)\n"
	       "  --gid GID          sockets of this group\n"
	       "  --cgroup PATH      sockets of this cgroup v2 (as in /proc/PID/cgroup)\n"
	       "                     --gid and --cgroup are an nftables mark, set after\n"
	       "                     connect() looked the destination up: it needs a\n"
	       "                     route in main (any default route will do)\n"
	       "  --fwmark MARK[/MASK]\n"
	       "                     packets carrying this firewall mark\n"
	       "  --all              everything but the device's own connections to its\n"
	       "                     proxies, local and on-link destinations (wg-quick's\n"
	       "                     technique); sets the device's fwmark when it has none\n"
	       "  --exclude CIDR     these destinations go direct: looked up in main\n"
	       "                     first (repeatable)\n"
	       "  --kill-switch      while NAME is down or deleted, what the rules select\n"
	       "                     fails (no route to host) instead of going direct\n"
	       "  --off              remove what 'mprox route NAME' added, nothing else\n"
	       "                     (for a deleted NAME: its chains, and the rules and\n"
	       "                     routes deleted devices of that name left)\n"
	       "\n"
	       "The device with interface index I gets routing table and mark 0x6d700000+I;\n"
	       "rules at priorities 10600 (--exclude), 10610 (selectors), 10620 and 10630\n"
	       "(--all), protocol 109. With -j, what was installed is printed as JSON.\n");
}

static int parse_u32(const char *s, unsigned long min, unsigned long max, uint32_t *out)
{
	unsigned long v;

	if (cli_parse_ulong(s, min, max, &v))
		return -1;
	*out = (uint32_t)v;
	return 0;
}

static int parse_uid(const char *s, struct route_args *a)
{
	char buf[32], *dash;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	dash = strchr(buf, '-');
	if (dash)
		*dash = '\0';
	if (parse_u32(buf, 0, 0xfffffffe, &a->uid_lo))
		return -1;
	a->uid_hi = a->uid_lo;
	if (dash && parse_u32(dash + 1, a->uid_lo, 0xfffffffe, &a->uid_hi))
		return -1;
	return 0;
}

static int parse_fwmark(const char *s, struct route_args *a)
{
	char buf[32], *slash;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash)
		*slash = '\0';
	if (parse_u32(buf, 1, 0xffffffff, &a->fwmark))
		return -1;
	a->fwmask = 0xffffffff;
	if (slash && parse_u32(slash + 1, 1, 0xffffffff, &a->fwmask))
		return -1;
	return (a->fwmark & ~a->fwmask) ? -1 : 0;
}

static int parse_args(int argc, char **argv, struct route_args *a)
{
	int i;

	memset(a, 0, sizeof(*a));
	if (argc < 2)
		return cli_usage("route", "missing the device NAME");
	if (argv[1][0] == '-')
		return cli_usage("route", "the device NAME comes first, before '%s'", argv[1]);
	if (!cli_ifname(argv[1]))
		return cli_usage("route", "'%s': not an interface name", argv[1]);
	a->dev = argv[1];
	for (i = 2; i < argc; i++) {
		const char *opt = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		bool takes = strcmp(opt, "--all") && strcmp(opt, "--off") &&
			     strcmp(opt, "--kill-switch");

		if (cli_is_help(opt))
			return cli_usage("route", "--help goes alone: 'mprox route --help'");
		if (takes &&
		    (!strcmp(opt, "--uid") || !strcmp(opt, "--gid") || !strcmp(opt, "--cgroup") ||
		     !strcmp(opt, "--fwmark") || !strcmp(opt, "--exclude"))) {
			if (!val)
				return cli_usage("route", "%s needs a value", opt);
			i++;
		}
		if (!strcmp(opt, "--off")) {
			a->off = true;
		} else if (!strcmp(opt, "--all")) {
			if (a->all)
				return cli_usage("route", "--all given twice");
			a->all = true;
		} else if (!strcmp(opt, "--kill-switch")) {
			if (a->kill_switch)
				return cli_usage("route", "--kill-switch given twice");
			a->kill_switch = true;
		} else if (!strcmp(opt, "--uid")) {
			if (a->has_uid)
				return cli_usage("route", "--uid given twice; one RANGE "
							  "(FIRST-LAST) covers several users");
			if (parse_uid(val, a))
				return cli_usage("route",
						 "--uid '%s': want UID or FIRST-LAST, "
						 "0-4294967294, FIRST <= LAST",
						 val);
			a->has_uid = true;
		} else if (!strcmp(opt, "--gid")) {
			if (a->has_gid)
				return cli_usage("route", "--gid given twice");
			if (parse_u32(val, 0, 0xfffffffe, &a->gid))
				return cli_usage("route", "--gid '%s': want a number, 0-4294967294",
						 val);
			a->has_gid = true;
		} else if (!strcmp(opt, "--cgroup")) {
			if (a->cgroup)
				return cli_usage("route", "--cgroup given twice");
			if (cgroup_path(val, a->cgpath, sizeof(a->cgpath)))
				return cli_usage("route",
						 "--cgroup '%s': want a cgroup v2 path as "
						 "in /proc/PID/cgroup (/a/b), printable, no "
						 "quotes, '//' or '..'",
						 val);
			a->cgroup = val;
		} else if (!strcmp(opt, "--fwmark")) {
			if (a->has_fwmark)
				return cli_usage("route", "--fwmark given twice");
			if (parse_fwmark(val, a))
				return cli_usage("route",
						 "--fwmark '%s': want MARK or MARK/MASK, "
						 "1-0xffffffff each, MARK within MASK",
						 val);
			a->has_fwmark = true;
		} else if (!strcmp(opt, "--exclude")) {
			struct cidr *c = &a->excl[a->nexcl];
			enum cidr_status st;
			char net[CIDR_TEXT_MAX];
			size_t j;

			if (a->nexcl == MAX_EXCLUDES)
				return cli_usage("route", "at most %d --exclude", MAX_EXCLUDES);
			st = cidr_parse(val, strlen(val), c);
			if (st == CIDR_HOST_BITS)
				return cli_usage("route",
						 "--exclude '%s': host bits set past /%u: did you "
						 "mean %s?",
						 val, c->prefix, cidr_format(c, net, sizeof(net)));
			if (st != CIDR_OK)
				return cli_usage("route",
						 "--exclude '%s': want an IPv4 or IPv6 "
						 "network, ADDRESS[/PREFIXLEN]",
						 val);
			/* A second rule the same would fail with EEXIST. */
			for (j = 0; j < a->nexcl; j++)
				if (cidr_equal(&a->excl[j], c))
					return cli_usage("route", "--exclude '%s' given twice",
							 val);
			a->nexcl++;
		} else {
			return cli_usage("route", "unknown argument '%s'", opt);
		}
	}
	if (a->off && (a->all || a->has_uid || a->has_gid || a->cgroup || a->has_fwmark ||
		       a->nexcl || a->kill_switch))
		return cli_usage("route",
				 "--off takes no other option: it removes all that "
				 "'mprox route %s' added",
				 a->dev);
	if (!a->off && !(a->all || a->has_uid || a->has_gid || a->cgroup || a->has_fwmark))
		return cli_usage("route", "say what to route: --uid, --gid, --cgroup, --fwmark "
					  "or --all (or --off to undo)");
	/*
	 * Only these make nftables chains, named after the device; rules
	 * and routes go by number, and any name the kernel takes will do.
	 */
	if ((a->has_gid || a->cgroup || a->all) && !cli_nft_ifname(a->dev))
		return cli_usage("route",
				 "'%s': --gid, --cgroup and --all make nftables chains named "
				 "after the device, which take 1-15 letters, digits, '_', '.' "
				 "and '-'; rename the device, or use --uid or --fwmark",
				 a->dev);
	return CLI_OK;
}

static const char *family_name(int family)
{
	return family == AF_INET ? "inet" : "inet6";
}

/* The rule as ip-rule(8) shows it, without the priority. */
static void rule_text(const struct rr_rule *r, char *buf, size_t len)
{
	char dst[INET6_ADDRSTRLEN] = "";
	char table[16];
	int n = 0;

	if (r->has_dst)
		inet_ntop(r->family, &r->dst, dst, sizeof(dst));
	if (r->table == 254)
		strcpy(table, "main");
	else
		snprintf(table, sizeof(table), "%u", r->table);
	n += snprintf(buf + n, len - (size_t)n, "%s", r->invert ? "not " : "");
	n += snprintf(buf + n, len - (size_t)n, "from all");
	if (r->has_dst)
		n += snprintf(buf + n, len - (size_t)n, " to %s/%u", dst, r->dst_len);
	if (r->has_mark && r->mask == 0xffffffff)
		n += snprintf(buf + n, len - (size_t)n, " fwmark 0x%x", r->mark);
	else if (r->has_mark)
		n += snprintf(buf + n, len - (size_t)n, " fwmark 0x%x/0x%x", r->mark, r->mask);
	if (r->has_uid)
		n += snprintf(buf + n, len - (size_t)n, " uidrange %u-%u", r->uid_lo, r->uid_hi);
	n += snprintf(buf + n, len - (size_t)n, " lookup %s", table);
	if (r->suppress_prefixlen >= 0)
		snprintf(buf + n, len - (size_t)n, " suppress_prefixlength %d",
			 r->suppress_prefixlen);
}

static struct rr_rule *plan_rule(struct route_plan *p, int family, uint32_t prio, uint32_t table)
{
	struct rr_rule *r = &p->rules[p->nrules++];

	memset(r, 0, sizeof(*r));
	r->family = family;
	r->prio = prio;
	r->table = table;
	r->suppress_prefixlen = -1;
	return r;
}

static void plan_rules(const struct route_args *a, struct route_plan *p)
{
	static const int families[] = { AF_INET, AF_INET6 };
	size_t f, i;

	for (f = 0; f < 2; f++) {
		int fam = families[f];
		struct rr_rule *r;

		for (i = 0; i < a->nexcl; i++) {
			if (a->excl[i].family != fam)
				continue;
			r = plan_rule(p, fam, PRIO_EXCLUDE, 254);
			r->has_dst = true;
			memcpy(&r->dst, a->excl[i].addr, sizeof(r->dst));
			r->dst_len = a->excl[i].prefix;
			r->has_mark = true; /* the label */
			r->mark = p->table;
			r->mask = 0;
		}
		if (a->has_uid) {
			r = plan_rule(p, fam, PRIO_SELECT, p->table);
			r->has_uid = true;
			r->uid_lo = a->uid_lo;
			r->uid_hi = a->uid_hi;
		}
		if (a->has_fwmark) {
			r = plan_rule(p, fam, PRIO_SELECT, p->table);
			r->has_mark = true;
			r->mark = a->fwmark;
			r->mask = a->fwmask;
		}
		if (a->has_gid || a->cgroup) {
			r = plan_rule(p, fam, PRIO_SELECT, p->table);
			r->has_mark = true;
			r->mark = p->table;
			r->mask = 0xffffffff;
		}
		if (a->all) {
			r = plan_rule(p, fam, PRIO_SUPPRESS, 254);
			r->suppress_prefixlen = 0;
			r->has_mark = true; /* the label */
			r->mark = p->table;
			r->mask = 0;
			r = plan_rule(p, fam, PRIO_ALL, p->table);
			r->invert = true;
			r->has_mark = true;
			r->mark = p->driver_mark;
			r->mask = 0xffffffff;
		}
	}
}

/* config.fwmark of the device's JSON document. */
static int device_fwmark(int fd, uint32_t *mark)
{
	char *doc = mprox_status_json(fd);
	struct json_object *o, *cfg, *fw;
	int ret = -1;

	if (!doc)
		return -1;
	o = json_tokener_parse(doc);
	free(doc);
	if (o && json_object_object_get_ex(o, "config", &cfg) &&
	    json_object_object_get_ex(cfg, "fwmark", &fw)) {
		*mark = (uint32_t)json_object_get_int64(fw);
		ret = 0;
	} else {
		errno = EPROTO;
	}
	json_object_put(o);
	return ret;
}

/* What an mprox_attach() failure means, and what to do. */
static int attach_failed(const char *dev)
{
	if (errno == ENODEV)
		return cli_fail("no mprox device %s; create it with 'mprox add %s'", dev, dev);
	if (errno == EPERM || errno == EACCES)
		return cli_fail("%s: %s; run as root (CAP_NET_ADMIN)", dev, strerror(errno));
	if (errno == ENOENT)
		return cli_fail("%s: the mprox module is not loaded; 'modprobe mprox'", dev);
	return cli_fail("%s: cannot attach: %s", dev, mprox_strerror(errno));
}

static json_object *rule_json(const struct rr_rule *r)
{
	json_object *o = json_object_new_object();
	char text[200];

	rule_text(r, text, sizeof(text));
	json_object_object_add(o, "family", json_object_new_string(family_name(r->family)));
	json_object_object_add(o, "priority", json_object_new_int64(r->prio));
	json_object_object_add(o, "rule", json_object_new_string(text));
	return o;
}

static void print_json(const struct cli *cli, json_object *o)
{
	int flags = JSON_C_TO_STRING_NOSLASHESCAPE;

	flags |= cli->pretty ? JSON_C_TO_STRING_PRETTY : JSON_C_TO_STRING_PLAIN;
	puts(json_object_to_json_string_ext(o, flags));
	json_object_put(o);
}

struct route_done {
	bool route4, route6;
	bool unreach4, unreach6; /* --kill-switch */
	size_t rules; /* p->rules[0..rules) were added */
	bool fwmark_set, src_valid_mark_set;
};

/* --all on a device without a fwmark: give it one, so its sockets stay out. */
static int set_driver_mark(const struct route_args *a, int fd, const struct route_plan *p)
{
	if (dev_set_fwmark(fd, a->dev, p->driver_mark))
		return -1;
	fprintf(stderr,
		"mprox: %s had no fwmark; set it to 0x%x so that its own connections stay out "
		"of it\n",
		a->dev, p->driver_mark);
	return 0;
}

/* wg-quick's src_valid_mark: replies keep the driver's mark (nft.h). */
static bool src_valid_mark_on(void)
{
	int sfd = open(SRC_VALID_MARK, O_RDWR | O_CLOEXEC);
	bool set = false;
	char v = '0';

	if (sfd >= 0 && pread(sfd, &v, 1, 0) == 1 && v == '0' && pwrite(sfd, "1\n", 2, 0) == 2)
		set = true;
	if (sfd >= 0)
		close(sfd);
	return set;
}

/*
 * What "route" installed, so that a reload can change it rule by rule: the
 * device's fwmark then, and the arguments after NAME, one per line, in the
 * runtime directory, named by the network namespace and the table (the
 * interface index).
 */
static int record_path(uint32_t table, char *buf, size_t len)
{
	struct stat st;

	if (stat("/proc/self/ns/net", &st))
		return -1;
	return cli_runtime_path(buf, len, "/route-%llu-%u", (unsigned long long)st.st_ino, table);
}

static void record_write(const struct route_plan *p, int argc, char **argv)
{
	char path[512] = "the runtime directory", *text = NULL;
	size_t len = 0;
	bool ok = false;
	FILE *f;
	int i;

	f = open_memstream(&text, &len);
	if (f) {
		/* The device's name: what is left once it is gone says whose it was. */
		fprintf(f, "%u %s\n", p->driver_mark, argv[1]);
		for (i = 2; i < argc; i++)
			fprintf(f, "%s\n", argv[i]);
		ok = !fclose(f) && record_path(p->table, path, sizeof(path)) == 0 &&
		     cli_write_file(path, text) == 0;
	}
	free(text);
	if (!ok)
		fprintf(stderr,
			"mprox: cannot record the routing in %s: %s; a reload will install it "
			"anew\n",
			path, strerror(errno));
}

static void record_remove(uint32_t table)
{
	char path[512];

	if (record_path(table, path, sizeof(path)) == 0)
		unlink(path);
}

/* The record of @table, open for reading; NULL with errno when there is none. */
static FILE *record_open(uint32_t table)
{
	char path[512];

	return record_path(table, path, sizeof(path)) ? NULL : fopen(path, "re");
}

/*
 * The recorded arguments as an argument list ("route", @dev, ...) in
 * @buf, @argv; how many, or -1 when there is no record or it is not one.
 */
static int record_read(uint32_t table, const char *dev, uint32_t *mark, char *buf, size_t len,
		       char **argv, int max)
{
	FILE *f = record_open(table);
	char *line, *save = NULL;
	unsigned long m;
	size_t n = 0;
	int argc = 0;

	if (!f)
		return -1;
	n = fread(buf, 1, len - 1, f);
	fclose(f);
	if (n == len - 1)
		return -1;
	buf[n] = '\0';
	line = strtok_r(buf, "\n", &save);
	if (line)
		line[strcspn(line, " ")] = '\0'; /* the mark; the device's name follows */
	if (!line || cli_parse_ulong(line, 0, UINT32_MAX, &m))
		return -1;
	*mark = (uint32_t)m;
	argv[argc++] = "route";
	argv[argc++] = (char *)dev;
	for (line = strtok_r(NULL, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (argc == max)
			return -1;
		argv[argc++] = line;
	}
	return argc;
}

/*
 * Whose the record of @table is: 1 @dev's, 0 another device's, -1 nobody
 * knows (no record, or one from before records named their device).
 */
static int record_names(uint32_t table, const char *dev)
{
	FILE *f = record_open(table);
	char line[64], *name = NULL;

	if (!f)
		return -1;
	if (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		name = strchr(line, ' ');
	}
	fclose(f);
	return name ? !strcmp(name + 1, dev) : -1;
}

/* Remove what this invocation added; returns how many objects stayed. */
static unsigned int undo(struct nl_sock *sk, const struct route_plan *p, struct route_done *d,
			 unsigned int *rules, unsigned int *routes)
{
	unsigned int stayed = 0;
	int i;

	*rules = *routes = 0;
	while (d->rules) {
		const struct rr_rule *r = &p->rules[--d->rules];

		if (rr_rule_del(sk, r)) {
			char text[200];

			rule_text(r, text, sizeof(text));
			fprintf(stderr, "mprox: could not remove rule %u %s again: %s\n", r->prio,
				text, strerror(errno));
			stayed++;
		} else {
			(*rules)++;
		}
	}
	if (d->route6 && rr_default_del(sk, AF_INET6, p->table, p->ifindex)) {
		fprintf(stderr, "mprox: could not remove the IPv6 route of table %u: %s\n",
			p->table, strerror(errno));
		stayed++;
	} else if (d->route6) {
		(*routes)++;
	}
	if (d->route4 && rr_default_del(sk, AF_INET, p->table, p->ifindex)) {
		fprintf(stderr, "mprox: could not remove the IPv4 route of table %u: %s\n",
			p->table, strerror(errno));
		stayed++;
	} else if (d->route4) {
		(*routes)++;
	}
	for (i = 0; i < 2; i++) {
		bool *done = i ? &d->unreach6 : &d->unreach4;

		if (!*done)
			continue;
		if (rr_unreachable_del(sk, i ? AF_INET6 : AF_INET, p->table, RR_METRIC_LAST)) {
			fprintf(stderr,
				"mprox: could not remove the %s unreachable route of "
				"table %u: %s\n",
				family_name(i ? AF_INET6 : AF_INET), p->table, strerror(errno));
			stayed++;
		} else {
			(*routes)++;
		}
		*done = false;
	}
	d->route4 = d->route6 = false;
	return stayed;
}

/* The rules and nftables chains @a asks for, into @p (table, marks set). */
static void plan(const struct route_args *a, struct route_plan *p)
{
	p->nrules = 0;
	plan_rules(a, p);
	p->nft.dev = a->dev;
	p->nft.mark = p->table;
	p->nft.driver_mark = p->driver_mark;
	p->nft.has_gid = a->has_gid;
	p->nft.gid = a->gid;
	p->nft.cgroup = a->cgroup ? a->cgpath : NULL;
	p->nft.all = a->all;
}

/*
 * @up: whether the device is; a down one takes no routes through it (the
 * kernel refuses them, ENETDOWN), and a reload once it is up adds them.
 */
static int install(const struct cli *cli, const struct route_args *a, int fd, struct nl_sock *sk,
		   struct route_plan *p, bool fwmark_unset, bool up)
{
	struct route_done d = { 0 };
	unsigned int rules, routes;
	char nfterr[256] = "";
	size_t i;
	int ret;

	if (fwmark_unset) {
		if (set_driver_mark(a, fd, p))
			return CLI_FAILED;
		d.fwmark_set = true;
	}
	if (up && rr_default_add(sk, AF_INET, p->table, p->ifindex)) {
		ret = cli_fail("%s: cannot add 'default dev %s table %u': %s", a->dev, a->dev,
			       p->table, strerror(errno));
		goto fail;
	}
	d.route4 = up;
	if (up && rr_default_add(sk, AF_INET6, p->table, p->ifindex)) {
		ret = cli_fail("%s: cannot add IPv6 'default dev %s table %u': %s; is IPv6 "
			       "disabled on %s?",
			       a->dev, a->dev, p->table, strerror(errno), a->dev);
		goto fail;
	}
	d.route6 = up;
	for (i = 0; a->kill_switch && i < 2; i++) {
		int family = i ? AF_INET6 : AF_INET;

		if (rr_unreachable_add(sk, family, p->table, RR_METRIC_LAST)) {
			ret = cli_fail(
				"%s: cannot add %s 'unreachable default table %u metric %u': "
				"%s",
				a->dev, family_name(family), p->table, RR_METRIC_LAST,
				strerror(errno));
			goto fail;
		}
		*(i ? &d.unreach6 : &d.unreach4) = true;
	}
	for (i = 0; i < p->nrules; i++) {
		if (rr_rule_add(sk, &p->rules[i])) {
			char text[200];

			rule_text(&p->rules[i], text, sizeof(text));
			ret = cli_fail("%s: cannot add %s rule %u '%s': %s", a->dev,
				       family_name(p->rules[i].family), p->rules[i].prio, text,
				       strerror(errno));
			goto fail;
		}
		d.rules++;
	}
	if (mprox_nft_add(&p->nft, nfterr, sizeof(nfterr))) {
		if (a->cgroup && strstr(nfterr, "cgroup"))
			ret = cli_fail("%s: nftables: %s; is '%s' a cgroup under /sys/fs/cgroup? "
				       "Create it or give an existing one",
				       a->dev, nfterr, a->cgroup);
		else
			ret = cli_fail("%s: nftables refused table inet mprox: %s; is nf_tables "
				       "available ('modprobe nf_tables')?",
				       a->dev, nfterr);
		goto fail;
	}
	if (a->all)
		d.src_valid_mark_set = src_valid_mark_on();

	if (a->quiet)
		return CLI_OK;
	if (cli->json) {
		json_object *o = json_object_new_object(), *rules = json_object_new_array();
		json_object *routes = json_object_new_array(), *chains = json_object_new_array();
		static const int fams[] = { AF_INET, AF_INET6 };
		char dst[64];

		json_object_object_add(o, "dev", json_object_new_string(a->dev));
		json_object_object_add(o, "ifindex", json_object_new_int(p->ifindex));
		json_object_object_add(o, "table", json_object_new_int64(p->table));
		json_object_object_add(o, "mark", json_object_new_int64(p->table));
		json_object_object_add(o, "fwmark", json_object_new_int64(p->driver_mark));
		json_object_object_add(o, "fwmark_set", json_object_new_boolean(d.fwmark_set));
		for (i = 0; i < p->nrules; i++)
			json_object_array_add(rules, rule_json(&p->rules[i]));
		json_object_object_add(o, "rules", rules);
		for (i = 0; i < 2; i++) {
			json_object *r;

			if (!(i ? d.route6 : d.route4))
				continue;
			r = json_object_new_object();
			snprintf(dst, sizeof(dst), "default dev %s table %u", a->dev, p->table);
			json_object_object_add(r, "family",
					       json_object_new_string(family_name(fams[i])));
			json_object_object_add(r, "route", json_object_new_string(dst));
			json_object_array_add(routes, r);
		}
		for (i = 0; a->kill_switch && i < 2; i++) {
			json_object *r = json_object_new_object();

			snprintf(dst, sizeof(dst), "unreachable default table %u metric %u",
				 p->table, RR_METRIC_LAST);
			json_object_object_add(r, "family",
					       json_object_new_string(family_name(fams[i])));
			json_object_object_add(r, "route", json_object_new_string(dst));
			json_object_array_add(routes, r);
		}
		json_object_object_add(o, "routes", routes);
		json_object_object_add(o, "kill_switch", json_object_new_boolean(a->kill_switch));
		if (a->has_gid || a->cgroup) {
			snprintf(dst, sizeof(dst), "route-%s", a->dev);
			json_object_array_add(chains, json_object_new_string(dst));
		}
		if (a->all) {
			snprintf(dst, sizeof(dst), "pre-%s", a->dev);
			json_object_array_add(chains, json_object_new_string(dst));
			snprintf(dst, sizeof(dst), "post-%s", a->dev);
			json_object_array_add(chains, json_object_new_string(dst));
		}
		json_object_object_add(o, "nft_table", json_object_new_string("inet mprox"));
		json_object_object_add(o, "nft_chains", chains);
		json_object_object_add(o, "src_valid_mark_set",
				       json_object_new_boolean(d.src_valid_mark_set));
		print_json(cli, o);
		return CLI_OK;
	}
	printf("%s: table %u, mark 0x%x, the device's own fwmark 0x%x\n", a->dev, p->table,
	       p->table, p->driver_mark);
	for (i = 0; i < p->nrules; i++) {
		char text[200];

		rule_text(&p->rules[i], text, sizeof(text));
		printf("rule   %-5s %u: %s proto 109\n", family_name(p->rules[i].family),
		       p->rules[i].prio, text);
	}
	if (d.route4)
		printf("route  inet  default dev %s table %u proto 109\n", a->dev, p->table);
	if (d.route6)
		printf("route  inet6 default dev %s table %u proto 109\n", a->dev, p->table);
	if (a->kill_switch) {
		printf("route  inet  unreachable default table %u metric %u proto 109\n", p->table,
		       RR_METRIC_LAST);
		printf("route  inet6 unreachable default table %u metric %u proto 109\n", p->table,
		       RR_METRIC_LAST);
		printf("kill switch: while %s is down or deleted, what the rules select is not "
		       "sent\n",
		       a->dev);
	}
	if (a->has_gid || a->cgroup)
		printf("nft    table inet mprox chain route-%s: marks 0x%x\n", a->dev, p->table);
	if (a->all)
		printf("nft    table inet mprox chains pre-%s, post-%s: the device's mark "
		       "follows its connections\n",
		       a->dev, a->dev);
	if (d.src_valid_mark_set)
		printf("sysctl net.ipv4.conf.all.src_valid_mark=1 (as wg-quick; --off leaves "
		       "it)\n");
	return CLI_OK;

fail:
	if (undo(sk, p, &d, &rules, &routes))
		fprintf(stderr, "mprox: 'mprox route %s --off' removes what is left\n", a->dev);
	else
		fprintf(stderr,
			"mprox: removed again the %u rules and %u routes this 'mprox route %s' "
			"had added: routing is as before\n",
			rules, routes, a->dev);
	if (d.fwmark_set)
		fprintf(stderr, "mprox: %s keeps fwmark 0x%x (harmless)\n", a->dev, p->driver_mark);
	return ret;
}

static int remove_all(const struct cli *cli, const struct route_args *a, struct nl_sock *sk,
		      uint32_t table)
{
	unsigned int rules = 0, routes = 0, chains = 0;
	char nfterr[256] = "";
	int ret = CLI_OK;

	if (rr_remove(sk, table, &rules, &routes))
		ret = cli_fail("%s: could not remove every rule and route of table %u: %s; run "
			       "'mprox route %s --off' again",
			       a->dev, table, strerror(errno), a->dev);
	if (mprox_nft_remove(a->dev, &chains, nfterr, sizeof(nfterr)))
		ret = cli_fail("%s: could not remove its chains from table inet mprox: %s; run "
			       "'mprox route %s --off' again",
			       a->dev, nfterr, a->dev);
	if (a->quiet)
		return ret;
	if (cli->json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "dev", json_object_new_string(a->dev));
		json_object_object_add(o, "table", json_object_new_int64(table));
		json_object_object_add(o, "removed_rules", json_object_new_int(rules));
		json_object_object_add(o, "removed_routes", json_object_new_int(routes));
		json_object_object_add(o, "removed_nft_chains", json_object_new_int(chains));
		print_json(cli, o);
	} else if (!rules && !routes && !chains && ret == CLI_OK) {
		printf("%s: no routing of 'mprox route' to remove\n", a->dev);
	} else {
		printf("%s: removed %u rules, %u routes, %u nftables chains\n", a->dev, rules,
		       routes, chains);
	}
	return ret;
}

/*
 * The routing deleted devices left in the kernel (their rules; the routes
 * of a kill switch, which are not through the device) whose record names
 * @dev, and with @unknown_too those whose record names nobody. Another
 * deleted device's stays, kill switch and all, for its own --off. 0, or
 * -1 with errno: the first failure's.
 */
static int remove_leftovers(const char *dev, bool unknown_too, unsigned int *rules,
			    unsigned int *routes)
{
	char name[IF_NAMESIZE];
	struct nl_sock *sk;
	uint32_t *tables;
	int ret = 0, err = 0;
	size_t i, n;

	*rules = *routes = 0;
	tables = calloc(ROUTE_SCAN_MAX, sizeof(*tables));
	sk = tables ? rr_open() : NULL;
	if (!sk || rr_tables(sk, ROUTE_BASE + 1, ROUTE_BASE + ROUTE_MAX_IFINDEX, tables,
			     ROUTE_SCAN_MAX, &n)) {
		err = tables ? errno : ENOMEM;
		ret = -1;
		goto out;
	}
	for (i = 0; i < n; i++) {
		unsigned int r, rt;
		int owner;

		/* Gone is ENXIO; out of fds or sockets says nothing of the device. */
		if (if_indextoname(tables[i] - ROUTE_BASE, name) || errno != ENXIO)
			continue;
		owner = record_names(tables[i], dev);
		if (owner == 0 || (owner < 0 && !unknown_too))
			continue;
		if (rr_remove(sk, tables[i], &r, &rt)) {
			if (!ret)
				err = errno;
			ret = -1;
		} else {
			record_remove(tables[i]);
		}
		*rules += r;
		*routes += rt;
	}
out:
	rr_close(sk);
	free(tables);
	if (ret)
		errno = err;
	return ret;
}

/*
 * --off for a device that is gone: its routes through it went with it; its
 * chains are found by name, its rules and its kill switch's routes as
 * those of a table whose interface index nothing has any more.
 */
static int remove_orphans(const struct cli *cli, const struct route_args *a)
{
	unsigned int rules = 0, routes = 0, chains = 0;
	char nfterr[256] = "";
	int ret = CLI_OK;

	if (remove_leftovers(a->dev, true, &rules, &routes))
		ret = cli_fail("could not remove every rule and route of deleted devices: %s; run "
			       "'mprox route %s --off' again",
			       strerror(errno), a->dev);
	if (mprox_nft_remove(a->dev, &chains, nfterr, sizeof(nfterr)))
		ret = cli_fail("could not remove the chains of %s from table inet mprox: %s; run "
			       "'mprox route %s --off' again",
			       a->dev, nfterr, a->dev);
	if (cli->json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "dev", json_object_new_string(a->dev));
		json_object_object_add(o, "table", NULL);
		json_object_object_add(o, "removed_rules", json_object_new_int((int)rules));
		json_object_object_add(o, "removed_routes", json_object_new_int((int)routes));
		json_object_object_add(o, "removed_nft_chains", json_object_new_int((int)chains));
		print_json(cli, o);
	} else if (!rules && !routes && !chains && ret == CLI_OK) {
		fprintf(stderr,
			"mprox: no mprox device %s, and nothing of 'mprox route' left by a "
			"deleted one\n",
			a->dev);
	} else {
		printf("%s is gone: removed %u rules and %u routes of deleted devices, %u nftables "
		       "chains\n",
		       a->dev, rules, routes, chains);
	}
	return ret;
}

/* Whether "route" installed anything for @dev (table @table). */
static bool installed(struct nl_sock *sk, const char *dev, uint32_t table)
{
	unsigned int chains = 0;
	char nfterr[256];
	struct rr_usage use;

	return rr_usage(sk, table, table, &use) || use.our_rules || use.our_routes ||
	       mprox_nft_count(dev, &chains, nfterr, sizeof(nfterr)) || chains;
}

void route_saved_read(const char *dev, struct route_saved *s)
{
	unsigned int ifindex = if_nametoindex(dev);
	struct route_args *a = calloc(1, sizeof(*a));
	struct nl_sock *sk;
	uint32_t mark;

	s->argc = -1;
	s->known = true;
	if (a && ifindex && ifindex <= ROUTE_MAX_IFINDEX)
		s->argc = record_read(ROUTE_BASE + ifindex, dev, &mark, s->buf, sizeof(s->buf),
				      s->argv, (int)(sizeof(s->argv) / sizeof(s->argv[0])));
	/* One the parser refuses is no record to the reload either. */
	if (s->argc >= 0 && parse_args(s->argc, s->argv, a) != CLI_OK)
		s->argc = -1;
	free(a);
	if (s->argc >= 0)
		return;
	s->argv[0] = "route";
	s->argv[1] = (char *)dev;
	s->argc = 2;
	/* No record: nothing, unless something is there all the same. */
	sk = ifindex && ifindex <= ROUTE_MAX_IFINDEX ? rr_open() : NULL;
	s->known = sk && !installed(sk, dev, ROUTE_BASE + ifindex);
	rr_close(sk);
}

static bool plan_has(const struct route_plan *p, const struct rr_rule *r)
{
	size_t i;

	for (i = 0; i < p->nrules; i++)
		if (!memcmp(&p->rules[i], r, sizeof(*r)))
			return true;
	return false;
}

static bool nft_same(const struct nft_spec *x, const struct nft_spec *y)
{
	return x->mark == y->mark && x->driver_mark == y->driver_mark && x->has_gid == y->has_gid &&
	       (!x->has_gid || x->gid == y->gid) && !x->cgroup == !y->cgroup &&
	       (!x->cgroup || !strcmp(x->cgroup, y->cgroup)) && x->all == y->all;
}

/* No record of what is installed: remove it all, and install @p. */
static int reinstall(const struct cli *cli, const struct route_args *a, int fd, struct nl_sock *sk,
		     struct route_plan *p, bool fwmark_unset, bool up, int argc, char **argv)
{
	unsigned int rules, routes, chains;
	char nfterr[256] = "";

	fprintf(stderr, "mprox: %s: no record of the routing installed; installing it anew\n",
		a->dev);
	if (rr_remove(sk, p->table, &rules, &routes) ||
	    mprox_nft_remove(a->dev, &chains, nfterr, sizeof(nfterr)))
		return cli_fail("%s: could not remove its routing: %s; run 'mprox route %s --off'",
				a->dev, nfterr[0] ? nfterr : strerror(errno), a->dev);
	if (install(cli, a, fd, sk, p, fwmark_unset, up) != CLI_OK)
		return cli_fail("%s: what was installed before is removed: the device has no "
				"routing now",
				a->dev);
	record_write(p, argc, argv);
	return CLI_OK;
}

/*
 * A reload: take the routing installed (as recorded) to what @a asks for.
 * New rules go in before old ones go out, so that traffic both select
 * never leaves the device; the nftables chains are replaced only when
 * they change (their traffic may see them missing for that instant).
 */
static int update_installed(const struct cli *cli, const struct route_args *a, int fd,
			    struct nl_sock *sk, struct route_plan *p, bool fwmark_unset,
			    bool complete, bool up, int argc, char **argv)
{
	char buf[8192], *oldv[2 * MAX_EXCLUDES + 16], nfterr[256] = "", text[200];
	unsigned int n_add = 0, n_del = 0, n_routes = 0, n_unreach = 0, chains;
	bool added[MAX_RULES] = { 0 }, unreach_added[2] = { 0 }, same_nft;
	struct route_args *olda = calloc(1, sizeof(*olda));
	struct route_plan *oldp = calloc(1, sizeof(*oldp));
	int oldc, ret = CLI_FAILED;
	size_t i;

	if (!olda || !oldp) {
		ret = cli_fail("out of memory");
		goto out;
	}
	oldc = record_read(p->table, a->dev, &oldp->driver_mark, buf, sizeof(buf), oldv,
			   (int)(sizeof(oldv) / sizeof(oldv[0])));
	if (oldc < 0 || parse_args(oldc, oldv, olda) != CLI_OK) {
		ret = reinstall(cli, a, fd, sk, p, fwmark_unset, up, argc, argv);
		goto out;
	}
	oldp->table = p->table;
	oldp->ifindex = p->ifindex;
	plan(olda, oldp);
	if (fwmark_unset && set_driver_mark(a, fd, p))
		goto out;
	/*
	 * @complete (putting back after a failed reload): what is installed
	 * may be less than its record says; every object is added again. The
	 * default routes whenever the device is up: taking it down removed
	 * them (the kernel flushes a link's routes), and bringing it up does
	 * not put them back. A down device takes none (ENETDOWN).
	 */
	for (i = 0; up && i < 2; i++) {
		int family = i ? AF_INET6 : AF_INET;

		if (!rr_default_add(sk, family, p->table, p->ifindex)) {
			n_routes++;
		} else if (errno != EEXIST) {
			cli_fail("%s: cannot add %s 'default dev %s table %u': %s", a->dev,
				 family_name(family), a->dev, p->table, strerror(errno));
			goto undo;
		}
	}
	/* The kill switch stays in whatever the device's state. */
	for (i = 0; a->kill_switch && (complete || !olda->kill_switch) && i < 2; i++) {
		int family = i ? AF_INET6 : AF_INET;

		if (!rr_unreachable_add(sk, family, p->table, RR_METRIC_LAST)) {
			unreach_added[i] = true;
			n_unreach++;
		} else if (errno != EEXIST) {
			cli_fail("%s: cannot add %s 'unreachable default table %u metric %u': %s; "
				 "the routing is as before",
				 a->dev, family_name(family), p->table, RR_METRIC_LAST,
				 strerror(errno));
			goto undo;
		}
	}
	for (i = 0; i < p->nrules; i++) {
		if (!complete && plan_has(oldp, &p->rules[i]))
			continue;
		if (rr_rule_add(sk, &p->rules[i])) {
			if (errno == EEXIST)
				continue; /* there already (a reload cut short): not ours to undo */
			rule_text(&p->rules[i], text, sizeof(text));
			cli_fail("%s: cannot add %s rule %u '%s': %s; the routing is as before",
				 a->dev, family_name(p->rules[i].family), p->rules[i].prio, text,
				 strerror(errno));
			goto undo;
		}
		added[i] = true;
		n_add++;
	}
	same_nft = !complete && nft_same(&p->nft, &oldp->nft);
	if (!same_nft && (mprox_nft_remove(a->dev, &chains, nfterr, sizeof(nfterr)) ||
			  mprox_nft_add(&p->nft, nfterr, sizeof(nfterr)))) {
		cli_fail("%s: nftables: %s; the routing is as before", a->dev, nfterr);
		if (mprox_nft_remove(a->dev, &chains, nfterr, sizeof(nfterr)) ||
		    mprox_nft_add(&oldp->nft, nfterr, sizeof(nfterr)))
			fprintf(stderr, "mprox: %s: nor could its old chains be put back: %s\n",
				a->dev, nfterr);
		goto undo;
	}
	/* What is installed now is the new routing, whatever removal does. */
	record_write(p, argc, argv);
	ret = CLI_OK;
	for (i = 0; i < oldp->nrules; i++) {
		if (plan_has(p, &oldp->rules[i]))
			continue;
		if (rr_rule_del(sk, &oldp->rules[i]) && errno != ENOENT) {
			rule_text(&oldp->rules[i], text, sizeof(text));
			ret = cli_fail("%s: could not remove %s rule %u '%s': %s; 'mprox route %s "
				       "--off' removes it",
				       a->dev, family_name(oldp->rules[i].family),
				       oldp->rules[i].prio, text, strerror(errno), a->dev);
			continue;
		}
		n_del++;
	}
	/* Off only now: until the old rules are gone, they may need it. */
	for (i = 0; olda->kill_switch && !a->kill_switch && i < 2; i++) {
		int family = i ? AF_INET6 : AF_INET;

		if (rr_unreachable_del(sk, family, p->table, RR_METRIC_LAST) && errno != ENOENT &&
		    errno != ESRCH) {
			ret = cli_fail(
				"%s: could not remove %s 'unreachable default table %u': %s; "
				"'mprox route %s --off' removes it",
				a->dev, family_name(family), p->table, strerror(errno), a->dev);
			continue;
		}
		n_unreach++;
	}
	if (a->all)
		src_valid_mark_on();
	if (a->quiet)
		goto out;
	if (cli->json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "dev", json_object_new_string(a->dev));
		json_object_object_add(o, "table", json_object_new_int64(p->table));
		json_object_object_add(o, "added_rules", json_object_new_int((int)n_add));
		json_object_object_add(o, "removed_rules", json_object_new_int((int)n_del));
		json_object_object_add(o, "added_routes", json_object_new_int((int)n_routes));
		json_object_object_add(o, "nft_chains_replaced",
				       json_object_new_boolean(!same_nft));
		json_object_object_add(o, "kill_switch", json_object_new_boolean(a->kill_switch));
		json_object_object_add(o, "kill_switch_changed",
				       json_object_new_boolean(n_unreach > 0));
		print_json(cli, o);
	} else if (n_add || n_del || n_routes || n_unreach || !same_nft) {
		printf("%s: routing changed: %u rules added, %u removed%s%s%s\n", a->dev, n_add,
		       n_del, n_routes ? ", default routes put back" : "",
		       !n_unreach	? ""
		       : a->kill_switch ? ", kill switch on"
					: ", kill switch off",
		       same_nft ? "" : ", nftables chains replaced");
	}
	goto out;
undo:
	for (i = 0; i < p->nrules; i++)
		if (added[i] && rr_rule_del(sk, &p->rules[i]))
			fprintf(stderr, "mprox: %s: could not remove a rule added just now: %s\n",
				a->dev, strerror(errno));
	for (i = 0; i < 2; i++)
		if (unreach_added[i] &&
		    rr_unreachable_del(sk, i ? AF_INET6 : AF_INET, p->table, RR_METRIC_LAST))
			fprintf(stderr, "mprox: %s: could not remove a route added just now: %s\n",
				a->dev, strerror(errno));
out:
	free(olda);
	free(oldp);
	return ret;
}

static int route_run(const struct cli *cli, int argc, char **argv, bool update, bool complete)
{
	struct route_args *a = NULL;
	struct route_plan *p = NULL;
	struct nl_sock *sk = NULL;
	struct rr_usage use;
	unsigned int chains;
	char nfterr[256] = "";
	bool up, nothing, fwmark_unset = false;
	unsigned int left_rules, left_routes;
	int ret, fd = -1, lock = -1;

	a = calloc(1, sizeof(*a));
	p = calloc(1, sizeof(*p));
	if (!a || !p) {
		ret = cli_fail("out of memory");
		goto out;
	}
	/* A reload to a file without [Route]: whatever is installed goes. */
	nothing = update && argc == 2;
	ret = nothing ? parse_args(3, (char *[]){ argv[0], argv[1], "--off" }, a)
		      : parse_args(argc, argv, a);
	if (ret != CLI_OK)
		goto out;
	a->quiet = update && cli->json;
	lock = cli_lock();

	fd = mprox_attach(a->dev, MPROX_CLOEXEC);
	if (fd < 0 && a->off && errno == ENODEV) {
		ret = remove_orphans(cli, a);
		goto out;
	}
	if (fd < 0) {
		ret = attach_failed(a->dev);
		goto out;
	}
	if (device_fwmark(fd, &p->driver_mark)) {
		ret = cli_fail("%s: cannot read the device's state: %s", a->dev,
			       mprox_strerror(errno));
		goto out;
	}
	sk = rr_open();
	if (!sk) {
		ret = cli_fail("cannot open a routing netlink socket: %s", strerror(errno));
		goto out;
	}
	if (rr_link(sk, a->dev, &p->ifindex, &up)) {
		ret = cli_fail("%s: cannot read the link: %s", a->dev, strerror(errno));
		goto out;
	}
	if (p->ifindex <= 0 || p->ifindex > ROUTE_MAX_IFINDEX) {
		ret = cli_fail("%s: interface index %d is beyond the %u tables mprox numbers "
			       "(0x6d700000 + index); recreate the device",
			       a->dev, p->ifindex, ROUTE_MAX_IFINDEX);
		goto out;
	}
	p->table = ROUTE_BASE + (uint32_t)p->ifindex;
	if (a->off) {
		if (nothing && !installed(sk, a->dev, p->table)) {
			ret = CLI_OK;
			goto out;
		}
		ret = remove_all(cli, a, sk, p->table);
		if (ret == CLI_OK)
			record_remove(p->table);
		goto out;
	}

	/* Everything is checked before anything changes. */
	if (!p->driver_mark) {
		fwmark_unset = a->all;
		if (a->all)
			p->driver_mark = DEFAULT_DRIVER_MARK;
	}
	if (a->has_fwmark && p->driver_mark && (p->driver_mark & a->fwmask) == a->fwmark) {
		ret = cli_usage("route",
				"--fwmark 0x%x/0x%x matches %s's own fwmark 0x%x: its "
				"connections to the proxy would loop; pick another mark",
				a->fwmark, a->fwmask, a->dev, p->driver_mark);
		goto out;
	}
	if (a->has_fwmark && (p->table & a->fwmask) == a->fwmark) {
		ret = cli_usage("route",
				"--fwmark 0x%x is the mark mprox gives %s itself; "
				"use --gid or --cgroup, or another mark",
				a->fwmark, a->dev);
		goto out;
	}
	if (rr_usage(sk, p->table, p->table, &use)) {
		ret = cli_fail("cannot read the routing rules: %s", strerror(errno));
		goto out;
	}
	if (mprox_nft_count(a->dev, &chains, nfterr, sizeof(nfterr))) {
		ret = cli_fail("cannot read nftables: %s", nfterr);
		goto out;
	}
	/* Its routes need it up; a reload of what is installed does not. */
	if (!up && !(update && (use.our_rules || use.our_routes || chains))) {
		ret = cli_fail("%s is down; 'ip link set %s up' first", a->dev, a->dev);
		goto out;
	}
	if (!update && (use.our_rules || use.our_routes || chains)) {
		ret = cli_fail("%s is already routed by 'mprox route' (%u rules, %u routes, %u "
			       "nftables chains); 'mprox route %s --off' first",
			       a->dev, use.our_rules, use.our_routes, chains, a->dev);
		goto out;
	}
	if (use.their_rules || use.their_routes) {
		ret = cli_fail("table and mark %u (0x%x) of %s are used by %u rules and %u "
			       "routes that mprox did not add; remove them ('ip rule', 'ip route "
			       "show table %u') or recreate %s to get another number",
			       p->table, p->table, a->dev, use.their_rules, use.their_routes,
			       p->table, a->dev);
		goto out;
	}
	plan(a, p);
	if (update && (use.our_rules || use.our_routes || chains)) {
		ret = update_installed(cli, a, fd, sk, p, fwmark_unset, complete, up, argc, argv);
		goto out;
	}
	/*
	 * A device of this name deleted without --off (ip link del, rmmod)
	 * left its rules, and its kill switch, ahead of the ones to come.
	 * Only those its record names: what nobody's record names may be
	 * another device's kill switch, for its --off.
	 */
	if (!remove_leftovers(a->dev, false, &left_rules, &left_routes) &&
	    (left_rules || left_routes))
		fprintf(stderr,
			"mprox: %s: removed what a deleted %s had left: %u rules, %u routes\n",
			a->dev, a->dev, left_rules, left_routes);
	ret = install(cli, a, fd, sk, p, fwmark_unset, true);
	if (ret == CLI_OK)
		record_write(p, argc, argv);
out:
	rr_close(sk);
	cli_unlock(lock);
	if (fd >= 0)
		close(fd);
	free(p);
	free(a);
	return ret;
}

int route_install(const struct cli *cli, int argc, char **argv)
{
	return route_run(cli, argc, argv, false, false);
}

int cmd_route(const struct cli *cli, int argc, char **argv)
{
	if (argc > 1 && cli_is_help(argv[1])) {
		help();
		return CLI_OK;
	}
	return route_install(cli, argc, argv);
}

int route_update(const struct cli *cli, int argc, char **argv)
{
	return route_run(cli, argc, argv, true, false);
}

int route_restore(const struct cli *cli, struct route_saved *s)
{
	/* Quiet: what it changes back is not news to whoever reloaded. */
	struct cli quiet = *cli;

	quiet.json = true;
	return route_run(&quiet, s->argc, s->argv, true, true) == CLI_OK ? 0 : -1;
}
