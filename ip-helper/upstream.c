// SPDX-License-Identifier: GPL-2.0
/*
 * mprox upstream: a device's proxy servers. mprox rule and mprox dns: the
 * driver's directives of those names, passed through as written.
 */
#include <errno.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "devstate.h"
#include "parse.h"
#include "url.h"

/* The driver's longest line, its newline and a NUL. */
#define DIRECTIVE_MAX (MPROX_LINE_MAX + 2)

static int upstream_usage(FILE *out)
{
	fprintf(out,
		"Usage: mprox upstream add DEVICE NAME URL [priority N] [weight N] [dev IFNAME]\n"
		"       mprox upstream del DEVICE NAME\n"
		"       mprox upstream list DEVICE\n\n"
		"URL is SCHEME://[USER[:PASSWORD]@]HOST[:PORT] with SCHEME socks5, socks5h,\n"
		"socks4, socks4a or http; PORT defaults to 1080. A HOST name is resolved here\n"
		"(the driver takes addresses) and the address used is printed. priority 0-255\n"
		"(lower first), weight 1-1000; dev: the proxy is reached through IFNAME.\n");
	return out == stdout ? CLI_OK : CLI_USAGE;
}

static int upstream_add(const struct cli *cli, int argc, char **argv)
{
	char url[MPROX_URL_MAX + 1], addr[INET6_ADDRSTRLEN], line[DIRECTIVE_MAX], what[64];
	size_t used;
	unsigned long v;
	int i, fd, err, ret;

	if (argc < 3)
		return cli_usage("upstream", "add needs DEVICE NAME URL");
	/* One line only: a newline would smuggle in another directive. */
	if (strpbrk(argv[1], "\n\r") || strpbrk(argv[2], "\n\r"))
		return cli_usage("upstream", "no line breaks in NAME or URL");
	err = url_resolve(argv[2], url, sizeof(url), addr);
	/* Not the URL itself in a message: it may hold a password. */
	if (err == EAI_SYSTEM && errno == EINVAL)
		return cli_fail("%s: the URL has no scheme: want SCHEME://[USER[:PASSWORD]@]HOST"
				"[:PORT], SCHEME socks5, socks5h, socks4, socks4a or http; "
				"nothing was changed",
				argv[1]);
	if (err == EAI_SYSTEM && errno == ENAMETOOLONG)
		return cli_fail("%s: the URL is longer than %zu bytes; nothing was changed",
				argv[1], sizeof(url) - 1);
	if (err)
		return cli_fail("%s: the proxy's host name does not resolve: %s; check the URL "
				"and the system's resolver",
				argv[1], err == EAI_SYSTEM ? strerror(errno) : gai_strerror(err));
	used = snprintf(line, sizeof(line), "upstream add %s %s", argv[1], url);
	for (i = 3; i < argc; i += 2) {
		const char *key = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!val)
			return cli_usage("upstream", "'%s' needs a value", key);
		if (!strcmp(key, "priority")) {
			if (cli_parse_ulong(val, 0, 255, &v))
				return cli_usage("upstream", "priority '%s': 0-255", val);
		} else if (!strcmp(key, "weight")) {
			if (cli_parse_ulong(val, 1, 1000, &v))
				return cli_usage("upstream", "weight '%s': 1-1000", val);
		} else if (!strcmp(key, "dev")) {
			if (!*val || strlen(val) >= MPROX_IFNAMSIZ || strpbrk(val, "/: \t\n"))
				return cli_usage("upstream", "dev '%s': not an interface name",
						 val);
		} else {
			return cli_usage("upstream", "unknown option '%s'", key);
		}
		used += snprintf(line + used, used < sizeof(line) ? sizeof(line) - used : 0,
				 " %s %s", key, val);
	}
	if (used > MPROX_LINE_MAX)
		return cli_usage("upstream", "the upstream is longer than the driver takes");
	strcat(line, "\n");
	fd = dev_open(argv[0]);
	if (fd < 0)
		return CLI_FAILED;
	snprintf(what, sizeof(what), "upstream add %s", argv[1]);
	ret = dev_apply(fd, argv[0], line, what) ? CLI_FAILED : CLI_OK;
	close(fd);
	if (ret == CLI_OK && addr[0]) {
		if (cli->json) {
			struct json_object *o = json_object_new_object();

			json_object_object_add(o, "name", json_object_new_string(argv[1]));
			json_object_object_add(o, "address", json_object_new_string(addr));
			cli_print_json(cli, o);
		} else {
			printf("%s: the proxy's host name resolved to %s\n", argv[1], addr);
		}
	}
	return ret;
}

static void list_human(struct json_object *ups)
{
	size_t i, n = jlen(ups);

	printf("%-16s %-8s %-40s %6s %8s %6s %-5s %-10s %s\n", "name", "proto", "address", "port",
	       "priority", "weight", "state", "dev", "user");
	for (i = 0; i < n; i++) {
		struct json_object *up = json_object_array_get_idx(ups, i);

		printf("%-16s %-8s %-40s %6lld %8lld %6lld %-5s %-10s %s\n", jstr(up, "name"),
		       jstr(up, "proto"), jstr(up, "host"), jint(up, "port"), jint(up, "priority"),
		       jint(up, "weight"), jget(up, "state") ? jstr(up, "state") : "-",
		       jget(up, "dev") ? jstr(up, "dev") : "-",
		       jget(up, "user") ? jstr(up, "user") : "-");
	}
}

static int upstream_list(const struct cli *cli, const char *dev)
{
	struct json_object *st = dev_state_of(dev);

	if (!st)
		return CLI_FAILED;
	if (cli->json)
		cli_print_json(cli, json_object_get(jget(st, "config.upstreams")));
	else
		list_human(jget(st, "config.upstreams"));
	json_object_put(st);
	return CLI_OK;
}

/* @prefix and @argv joined by spaces, as one directive line. */
static int join_directive(const char *cmd, const char *prefix, int argc, char **argv, char *line,
			  size_t len)
{
	size_t used = snprintf(line, len, "%s", prefix);
	int i;

	for (i = 0; i < argc; i++) {
		/* One line only: a newline would smuggle in another directive. */
		if (strpbrk(argv[i], "\n\r"))
			return cli_usage(cmd, "'%s': no line breaks in arguments", argv[i]);
		used += snprintf(line + used, used < len ? len - used : 0, " %s", argv[i]);
	}
	if (used > len - 2)
		return cli_usage(cmd, "longer than the driver's %zu bytes per directive", len - 2);
	strcat(line, "\n");
	return CLI_OK;
}

static int passthrough(const char *cmd, int argc, char **argv)
{
	char line[DIRECTIVE_MAX];
	int fd, ret;

	ret = join_directive(cmd, cmd, argc - 2, argv + 2, line, sizeof(line));
	if (ret)
		return ret;
	fd = dev_open(argv[1]);
	if (fd < 0)
		return CLI_FAILED;
	ret = dev_apply(fd, argv[1], line, cmd) ? CLI_FAILED : CLI_OK;
	close(fd);
	return ret;
}

static int upstream_del(const char *dev, const char *name)
{
	char line[DIRECTIVE_MAX];
	int fd, ret;

	ret = join_directive("upstream", "upstream del", 1, (char **)&name, line, sizeof(line));
	if (ret)
		return ret;
	fd = dev_open(dev);
	if (fd < 0)
		return CLI_FAILED;
	ret = dev_apply(fd, dev, line, "upstream del") ? CLI_FAILED : CLI_OK;
	close(fd);
	return ret;
}

int cmd_upstream(const struct cli *cli, int argc, char **argv)
{
	if (argc < 2 || cli_is_help(argv[1]))
		return upstream_usage(argc < 2 ? stderr : stdout);
	if (!strcmp(argv[1], "add"))
		return upstream_add(cli, argc - 2, argv + 2);
	if (!strcmp(argv[1], "del")) {
		if (argc != 4)
			return cli_usage("upstream", "del needs DEVICE NAME");
		return upstream_del(argv[2], argv[3]);
	}
	if (!strcmp(argv[1], "list")) {
		if (argc != 3)
			return cli_usage("upstream", "list needs DEVICE");
		return upstream_list(cli, argv[2]);
	}
	return cli_usage("upstream", "unknown subcommand '%s'", argv[1]);
}

/* The device's rules, in order, as "rule add" takes them. */
static int rule_list(const struct cli *cli, const char *dev)
{
	struct json_object *st = dev_state_of(dev), *rules;
	size_t i, n;

	if (!st)
		return CLI_FAILED;
	rules = jget(st, "config.rules");
	if (cli->json) {
		cli_print_json(cli, json_object_get(rules));
	} else {
		n = jlen(rules);
		for (i = 0; i < n; i++) {
			struct json_object *r = json_object_array_get_idx(rules, i);

			printf("%3lld  %s\n", jint(r, "index"), jstr(r, "rule"));
		}
	}
	json_object_put(st);
	return CLI_OK;
}

int cmd_rule(const struct cli *cli, int argc, char **argv)
{
	if (argc < 2 || cli_is_help(argv[1])) {
		fprintf(argc < 2 ? stderr : stdout,
			"Usage: mprox rule DEVICE add [to CIDR|to-set SET] [from CIDR] [port "
			"N[-M]]\n"
			"                  [proto tcp|udp] [uid N[-M]] [cgroup PATH]\n"
			"                  [domain NAME|domain-exact NAME]\n"
			"                  upstream NAME|priority N|direct|reject\n"
			"       mprox rule DEVICE del N\n"
			"       mprox rule DEVICE flush\n"
			"       mprox rule DEVICE list\n\n"
			"A new connection takes the first rule that matches (N counts from 1, as\n"
			"list shows); one that none matches goes to the lowest priority with an\n"
			"upstream up. add, del and flush pass 'rule ...' to the device as written\n"
			"(the grammar is in mprox(8)).\n");
		return argc < 2 ? CLI_USAGE : CLI_OK;
	}
	if (argc == 3 && !strcmp(argv[2], "list"))
		return rule_list(cli, argv[1]);
	return passthrough("rule", argc, argv);
}

int cmd_dns(const struct cli *cli, int argc, char **argv)
{
	(void)cli;
	if (argc < 2 || cli_is_help(argv[1])) {
		fprintf(argc < 2 ? stderr : stdout,
			"Usage: mprox dns DEVICE fake-ip CIDR [CIDR]\n"
			"       mprox dns DEVICE server ADDR[:PORT]\n"
			"       mprox dns DEVICE hijack on|off\n"
			"       mprox dns DEVICE off\n\n"
			"Passes 'dns ...' to the device as written (the grammar is in "
			"mprox(8)).\n");
		return argc < 2 ? CLI_USAGE : CLI_OK;
	}
	return passthrough("dns", argc, argv);
}
