// SPDX-License-Identifier: GPL-2.0
/* Finding, reading and changing devices, for every subcommand. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <netlink/route/link.h>

#include "devstate.h"

/* What to do about an errno from opening a device. */
static const char *open_hint(int err)
{
	switch (err) {
	case ENOENT:
		return "the mprox module is not loaded: run 'modprobe mprox'";
	case ENODEV:
		return "'mprox show' lists the devices, 'mprox add NAME' creates one";
	case EPERM:
	case EACCES:
		return "this needs CAP_NET_ADMIN: run it as root";
	default:
		return "see 'dmesg' for the driver's messages";
	}
}

int dev_open(const char *name)
{
	int fd;

	if (strlen(name) >= MPROX_IFNAMSIZ) {
		errno = ENAMETOOLONG;
		cli_fail("'%s': interface names have at most %d characters", name,
			 MPROX_IFNAMSIZ - 1);
		return -1;
	}
	fd = mprox_attach(name, MPROX_CLOEXEC);
	if (fd < 0) {
		int err = errno;

		cli_fail("%s: %s; %s", name, err == ENODEV ? "no such mprox device" : strerror(err),
			 open_hint(err));
		errno = err;
	}
	return fd;
}

struct json_object *dev_state_read(int fd)
{
	struct json_object *o;
	char *doc = mprox_status_json(fd);

	if (!doc)
		return NULL;
	o = json_tokener_parse(doc);
	free(doc);
	if (!o || !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		errno = EPROTO;
		return NULL;
	}
	return o;
}

struct json_object *dev_state(int fd, const char *name)
{
	struct json_object *o = dev_state_read(fd);

	if (o)
		return o;
	if (errno == EPROTO)
		cli_fail("%s: the driver's state document is not a JSON object; is the module "
			 "older than this tool? ('mprox version')",
			 name);
	else
		cli_fail("%s: cannot read the device's state: %s", name, strerror(errno));
	return NULL;
}

struct json_object *dev_state_of(const char *name)
{
	struct json_object *st;
	int fd = dev_open(name);

	if (fd < 0)
		return NULL;
	st = dev_state(fd, name);
	close(fd);
	return st;
}

int dev_apply(int fd, const char *name, const char *directives, const char *what)
{
	int err;

	if (mprox_apply(fd, directives) == 0)
		return 0;
	err = errno;
	cli_fail("%s: %s: %s; nothing changed", name, what, mprox_strerror(err));
	errno = err;
	return -1;
}

int dev_set_fwmark(int fd, const char *name, uint32_t mark)
{
	char line[32];

	snprintf(line, sizeof(line), "fwmark %" PRIu32 "\n", mark);
	return dev_apply(fd, name, line, "fwmark");
}

static struct nl_sock *rtnl_open(void)
{
	struct nl_sock *sk = nl_socket_alloc();
	int err;

	if (!sk) {
		cli_fail("out of memory");
		return NULL;
	}
	err = nl_connect(sk, NETLINK_ROUTE);
	if (err < 0) {
		cli_fail("rtnetlink: %s", nl_geterror(err));
		nl_socket_free(sk);
		return NULL;
	}
	return sk;
}

int dev_list(char (*names)[MPROX_IFNAMSIZ], size_t max)
{
	struct nl_cache *cache;
	struct nl_object *obj;
	struct nl_sock *sk;
	size_t n = 0;
	int err;

	sk = rtnl_open();
	if (!sk)
		return -1;
	err = rtnl_link_alloc_cache(sk, AF_UNSPEC, &cache);
	if (err < 0) {
		nl_socket_free(sk);
		cli_fail("listing interfaces: %s", nl_geterror(err));
		return -1;
	}
	/* The cache is sorted by nothing in particular; ifindex order is. */
	for (obj = nl_cache_get_first(cache); obj; obj = nl_cache_get_next(obj)) {
		struct rtnl_link *link = (struct rtnl_link *)obj;
		const char *type = rtnl_link_get_type(link);
		size_t i;

		if (!type || strcmp(type, MPROX_DRIVER_NAME) || n >= max)
			continue;
		for (i = n; i > 0; i--) {
			struct rtnl_link *prev = rtnl_link_get_by_name(cache, names[i - 1]);
			int before =
				prev && rtnl_link_get_ifindex(prev) > rtnl_link_get_ifindex(link);

			rtnl_link_put(prev);
			if (!before)
				break;
			memcpy(names[i], names[i - 1], MPROX_IFNAMSIZ);
		}
		snprintf(names[i], MPROX_IFNAMSIZ, "%s", rtnl_link_get_name(link));
		n++;
	}
	nl_cache_free(cache);
	nl_socket_free(sk);
	return (int)n;
}

int dev_delete(const char *name)
{
	struct rtnl_link *link;
	struct nl_sock *sk;
	int fd, err;

	/* Only mprox devices: "mprox del eth0" must not delete eth0. */
	fd = dev_open(name);
	if (fd < 0)
		return -1;
	close(fd);
	sk = rtnl_open();
	if (!sk)
		return -1;
	link = rtnl_link_alloc();
	if (!link) {
		nl_socket_free(sk);
		cli_fail("out of memory");
		return -1;
	}
	rtnl_link_set_name(link, name);
	err = rtnl_link_delete(sk, link);
	rtnl_link_put(link);
	nl_socket_free(sk);
	if (err < 0) {
		cli_fail("%s: cannot delete it: %s", name, nl_geterror(err));
		return -1;
	}
	return 0;
}

void cli_print_json(const struct cli *cli, struct json_object *o)
{
	puts(json_object_to_json_string_ext(o, cli->pretty ? JSON_C_TO_STRING_PRETTY
							   : JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
}

/* @path: keys separated by '.', as "stats.flows.active". */
struct json_object *jget(struct json_object *o, const char *path)
{
	char key[64];

	while (o && *path) {
		size_t len = strcspn(path, ".");

		if (len >= sizeof(key))
			return NULL;
		memcpy(key, path, len);
		key[len] = '\0';
		if (!json_object_object_get_ex(o, key, &o))
			return NULL;
		path += len + (path[len] == '.');
	}
	return o;
}

long long jint(struct json_object *o, const char *path)
{
	return json_object_get_int64(jget(o, path));
}

size_t jlen(struct json_object *o)
{
	return json_object_is_type(o, json_type_array) ? json_object_array_length(o) : 0;
}

const char *jstr(struct json_object *o, const char *path)
{
	const char *s = json_object_get_string(jget(o, path));

	return s ? s : "";
}
