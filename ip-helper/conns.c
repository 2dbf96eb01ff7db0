// SPDX-License-Identifier: GPL-2.0
/* mprox conns: a device's live flows, filtered by endpoint or upstream. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "devstate.h"

/* An address with a prefix length, as "10.0.0.0/8" or "2001:db8::1". */
struct prefix {
	int family;
	unsigned char addr[16];
	unsigned int len;
};

static int parse_addr(const char *s, size_t n, struct prefix *p)
{
	char buf[INET6_ADDRSTRLEN + 2];

	if (n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	if (inet_pton(AF_INET, buf, p->addr) == 1) {
		p->family = AF_INET;
		p->len = 32;
	} else if (inet_pton(AF_INET6, buf, p->addr) == 1) {
		p->family = AF_INET6;
		p->len = 128;
	} else {
		return -1;
	}
	return 0;
}

static int parse_prefix(const char *s, struct prefix *p)
{
	const char *slash = strchr(s, '/');
	unsigned long len;

	if (parse_addr(s, slash ? (size_t)(slash - s) : strlen(s), p))
		return -1;
	if (slash) {
		if (cli_parse_ulong(slash + 1, 0, p->len, &len))
			return -1;
		p->len = len;
	}
	return 0;
}

static bool prefix_match(const struct prefix *p, const struct prefix *a)
{
	unsigned int full = p->len / 8, rest = p->len % 8;

	if (p->family != a->family || memcmp(p->addr, a->addr, full))
		return false;
	return !rest || !((p->addr[full] ^ a->addr[full]) & (0xff << (8 - rest)));
}

/* "1.2.3.4:80" or "[2001:db8::1]:80", as the driver writes endpoints. */
static int parse_endpoint(const char *s, struct prefix *a, unsigned long *port)
{
	const char *colon = strrchr(s, ':');

	if (!colon || cli_parse_ulong(colon + 1, 0, 65535, port))
		return -1;
	if (*s == '[')
		return colon - s < 2 || colon[-1] != ']' ? -1 : parse_addr(s + 1, colon - s - 2, a);
	return parse_addr(s, colon - s, a);
}

struct filter {
	struct prefix src, dst;
	bool has_src, has_dst;
	long sport, dport; /* -1: any */
	const char *upstream, *state;
};

static bool endpoint_match(struct json_object *c, const char *key, bool has, const struct prefix *p,
			   long port)
{
	struct prefix a;
	unsigned long pt;

	if (!has && port < 0)
		return true;
	if (parse_endpoint(jstr(c, key), &a, &pt))
		return false;
	return (!has || prefix_match(p, &a)) && (port < 0 || (unsigned long)port == pt);
}

static bool conn_match(const struct filter *f, struct json_object *c)
{
	return endpoint_match(c, "src", f->has_src, &f->src, f->sport) &&
	       endpoint_match(c, "dst", f->has_dst, &f->dst, f->dport) &&
	       (!f->upstream || !strcmp(f->upstream, jstr(c, "upstream"))) &&
	       (!f->state || !strcmp(f->state, jstr(c, "state")));
}

static int parse_filter(int argc, char **argv, struct filter *f)
{
	unsigned long v;
	int i;

	for (i = 0; i < argc; i += 2) {
		const char *key = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!val)
			return cli_usage("conns", "'%s' needs a value", key);
		if (!strcmp(key, "dst") || !strcmp(key, "src")) {
			bool dst = key[0] == 'd';

			if (parse_prefix(val, dst ? &f->dst : &f->src))
				return cli_usage("conns", "%s '%s': not an address or prefix", key,
						 val);
			*(dst ? &f->has_dst : &f->has_src) = true;
		} else if (!strcmp(key, "dport") || !strcmp(key, "sport")) {
			if (cli_parse_ulong(val, 1, 65535, &v))
				return cli_usage("conns", "%s '%s': a port is 1-65535", key, val);
			*(key[0] == 'd' ? &f->dport : &f->sport) = (long)v;
		} else if (!strcmp(key, "upstream")) {
			f->upstream = val;
		} else if (!strcmp(key, "state")) {
			f->state = val;
		} else {
			return cli_usage("conns", "unknown filter '%s'", key);
		}
	}
	return CLI_OK;
}

int cmd_conns(const struct cli *cli, int argc, char **argv)
{
	struct filter f = { .sport = -1, .dport = -1 };
	struct json_object *st, *conns, *out;
	size_t i, n;
	int fd, ret;

	if (argc > 1 && cli_is_help(argv[1])) {
		printf("Usage: mprox conns NAME [dst PREFIX] [dport PORT] [src PREFIX] [sport "
		       "PORT]\n"
		       "                       [upstream UPSTREAM] [state STATE]\n\n"
		       "Lists the device's live flows: protocol, application address, "
		       "destination,\n"
		       "upstream, state, bytes each way and age. Filters combine (all must "
		       "match);\n"
		       "PREFIX is an address or ADDRESS/LENGTH. With -j, a JSON array.\n");
		return CLI_OK;
	}
	if (argc < 2)
		return cli_usage("conns", "needs the device's name");
	ret = parse_filter(argc - 2, argv + 2, &f);
	if (ret)
		return ret;
	fd = dev_open(argv[1]);
	if (fd < 0)
		return CLI_FAILED;
	st = dev_state(fd, argv[1]);
	close(fd);
	if (!st)
		return CLI_FAILED;
	conns = jget(st, "conns");
	n = jlen(conns);
	out = json_object_new_array();
	if (!cli->json)
		printf("%-5s %-46s %-46s %-12s %-10s %10s %10s %8s\n", "proto", "source",
		       "destination", "upstream", "state", "up", "down", "age");
	for (i = 0; i < n; i++) {
		struct json_object *c = json_object_array_get_idx(conns, i);

		if (!conn_match(&f, c))
			continue;
		if (cli->json) {
			json_object_array_add(out, json_object_get(c));
			continue;
		}
		printf("%-5s %-46s %-46s %-12s %-10s %10lld %10lld %7.1fs\n", jstr(c, "proto"),
		       jstr(c, "src"), jstr(c, "dst"), jstr(c, "upstream"), jstr(c, "state"),
		       jint(c, "bytes_up"), jint(c, "bytes_down"),
		       (double)jint(c, "age_ms") / 1000);
	}
	if (json_object_get_boolean(jget(st, "conns_truncated")))
		fprintf(stderr, "mprox: the driver listed only the first %zu flows\n", n);
	if (cli->json)
		cli_print_json(cli, out);
	else
		json_object_put(out);
	json_object_put(st);
	return CLI_OK;
}
