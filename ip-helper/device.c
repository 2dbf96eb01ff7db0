// SPDX-License-Identifier: GPL-2.0
/* mprox add, del, set: devices and their settings. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "devstate.h"
#include "parse.h"

int cmd_add(const struct cli *cli, int argc, char **argv)
{
	char name[MPROX_IFNAMSIZ];
	struct mprox_ioc_info info = { .size = sizeof(info) };
	int fd;

	if (argc > 1 && cli_is_help(argv[1])) {
		printf("Usage: mprox add [NAME]\n\n"
		       "Creates a persistent mprox device, as 'ip link add NAME type mprox'.\n"
		       "NAME may hold one %%d (default mprox%%d); the name made is printed.\n"
		       "It stays until 'mprox del NAME'.\n");
		return CLI_OK;
	}
	if (argc > 2)
		return cli_usage("add", "too many arguments");
	if (argc == 2 && strlen(argv[1]) >= MPROX_IFNAMSIZ)
		return cli_usage("add", "'%s': interface names have at most %d characters", argv[1],
				 MPROX_IFNAMSIZ - 1);
	fd = mprox_create(argc == 2 ? argv[1] : NULL, MPROX_PERSIST | MPROX_CLOEXEC);
	if (fd < 0) {
		int err = errno;

		if (err == EEXIST)
			return cli_fail("%s: an interface by that name exists; pick another name, "
					"or 'mprox del %s' if it is an old mprox device",
					argv[1], argv[1]);
		if (err == ENOENT)
			return cli_fail("the mprox module is not loaded: run 'modprobe mprox'");
		if (err == EPERM || err == EACCES)
			return cli_fail("creating a device needs CAP_NET_ADMIN: run it as root");
		return cli_fail("cannot create the device: %s", mprox_strerror(err));
	}
	if (mprox_ifname(fd, name) < 0 || mprox_get_info(fd, &info) < 0) {
		cli_fail("the device was made but cannot be read: %s", strerror(errno));
		close(fd);
		return CLI_FAILED;
	}
	close(fd);
	if (cli->json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "name", json_object_new_string(name));
		json_object_object_add(o, "ifindex", json_object_new_int64(info.ifindex));
		cli_print_json(cli, o);
	} else {
		printf("%s\n", name);
	}
	return CLI_OK;
}

int cmd_del(const struct cli *cli, int argc, char **argv)
{
	(void)cli;
	if (argc > 1 && cli_is_help(argv[1])) {
		printf("Usage: mprox del NAME\n\n"
		       "Deletes the mprox device NAME and every connection through it, as\n"
		       "'ip link del NAME'. Programs holding its fd see ENODEV.\n");
		return CLI_OK;
	}
	if (argc != 2)
		return cli_usage("del", "needs the device's name");
	return dev_delete(argv[1]) ? CLI_FAILED : CLI_OK;
}

static bool tunable_takes_words(const char *key)
{
	const struct mprox_tunable_info *t = mprox_tunable_named(key);

	return t && t->words;
}

/* The settings whose value is a word: an address, or one of a list. */
static bool value_is_word(const char *key)
{
	return tunable_takes_words(key) || !strcmp(key, "probe_target");
}

/* "fwmark" and "persist" are directives of their own; the rest are tunables. */
static int set_directive(const char *key, const char *value, char *buf, size_t len)
{
	unsigned long v;
	int n;

	if (!strcmp(key, "persist")) {
		if (strcmp(value, "on") && strcmp(value, "off"))
			return -1;
		n = snprintf(buf, len, "persist %s\n", value);
	} else if (!strcmp(key, "fwmark")) {
		if (cli_parse_ulong(value, 1, 0xffffffffUL, &v))
			return -1;
		n = snprintf(buf, len, "fwmark %lu\n", v);
	} else if (!strcmp(key, "probe_target")) {
		/* An address and port, or none: the driver checks them. */
		if (strlen(value) > 63 || strpbrk(value, " \t\n"))
			return -1;
		n = snprintf(buf, len, "set probe_target %s\n", value);
	} else if (tunable_takes_words(key)) {
		/* The driver checks the word. */
		if (strlen(value) > 32 || strpbrk(value, " \t\n"))
			return -1;
		n = snprintf(buf, len, "set %s %s\n", key, value);
	} else {
		if (cli_parse_ulong(value, 0, 0xffffffffUL, &v))
			return -1;
		n = snprintf(buf, len, "set %s %lu\n", key, v);
	}
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

int cmd_set(const struct cli *cli, int argc, char **argv)
{
	char directive[256];
	int fd, ret;

	(void)cli;
	if (argc > 1 && cli_is_help(argv[1])) {
		printf("Usage: mprox set NAME KEY VALUE\n\n"
		       "Changes one setting of the device NAME; the others keep their values.\n"
		       "KEY is fwmark (1-0xffffffff), persist (on|off), or a tunable:\n"
		       "  connect_timeout_ms, handshake_timeout_ms, tcp_idle_timeout_s,\n"
		       "  udp_idle_timeout_s, max_flows, spare_conns, spare_idle_s,\n"
		       "  balance (weighted, round-robin or least-connections),\n"
		       "  probe_interval_s (0 is off), dns_ttl_s, dns_cache_size (0 is off),\n"
		       "  probe_target (ADDR:PORT, [ADDR6]:PORT or none)\n"
		       "(ranges in mprox(8)). 'mprox show NAME' shows the current values.\n"
		       "'mprox set NAME add|flush|list SET ...' changes or lists prefix sets:\n"
		       "mprox set NAME add --help.\n");
		return CLI_OK;
	}
	if (argc >= 3 &&
	    (!strcmp(argv[2], "add") || !strcmp(argv[2], "flush") || !strcmp(argv[2], "list")))
		return cmd_set_prefixes(cli, argc, argv);
	if (argc != 4)
		return cli_usage("set", "needs NAME KEY VALUE");
	if (strlen(argv[2]) > 64 || set_directive(argv[2], argv[3], directive, sizeof(directive)))
		return cli_usage("set", "'%s %s': %s", argv[2], argv[3],
				 !strcmp(argv[2], "persist") ? "persist is on or off"
				 : value_is_word(argv[2])    ? "the value is one word"
							     : "the value is a number");
	fd = dev_open(argv[1]);
	if (fd < 0)
		return CLI_FAILED;
	ret = dev_apply(fd, argv[1], directive, argv[2]) ? CLI_FAILED : CLI_OK;
	close(fd);
	return ret;
}
