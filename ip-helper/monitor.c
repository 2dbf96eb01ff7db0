// SPDX-License-Identifier: GPL-2.0
/*
 * mprox monitor: a stream of a device's state changes. The driver wakes
 * poll() when its state changed since this fd's last read; each wake
 * reads the document again and reports what differs from the last one.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "devstate.h"

struct monitor {
	const struct cli *cli;
	const char *dev;
};

/* One event: a line "DEV: EVENT [DETAIL]" or a JSON object. */
static void emit(const struct monitor *m, const char *event, const char *key, const char *detail)
{
	if (m->cli->json) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "device", json_object_new_string(m->dev));
		json_object_object_add(o, "event", json_object_new_string(event));
		if (key)
			json_object_object_add(o, "name", json_object_new_string(key));
		if (detail)
			json_object_object_add(o, "detail", json_object_new_string(detail));
		puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
	} else {
		printf("%s: %s%s%s%s%s\n", m->dev, event, key ? " " : "", key ? key : "",
		       detail ? " " : "", detail ? detail : "");
	}
	fflush(stdout);
}

static const char *str_or_empty(struct json_object *o)
{
	const char *s = json_object_get_string(o);

	return s ? s : "";
}

static struct json_object *find_upstream(struct json_object *ups, const char *name)
{
	size_t i, n = jlen(ups);

	for (i = 0; i < n; i++)
		if (!strcmp(jstr(json_object_array_get_idx(ups, i), "name"), name))
			return json_object_array_get_idx(ups, i);
	return NULL;
}

/* The configured parts of an upstream, not its counters or health. */
static bool same_upstream(struct json_object *a, struct json_object *b)
{
	static const char *const keys[] = { "proto",	"host", "port", "weight",
					    "priority", "dev",	"user", "password_set" };
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!json_object_equal(jget(a, keys[i]), jget(b, keys[i])))
			return false;
	return true;
}

static void diff_upstreams(const struct monitor *m, struct json_object *old,
			   struct json_object *new)
{
	struct json_object *o = jget(old, "config.upstreams"), *n = jget(new, "config.upstreams");
	size_t i;

	for (i = 0; i < jlen(o); i++) {
		struct json_object *up = json_object_array_get_idx(o, i);

		if (!find_upstream(n, jstr(up, "name")))
			emit(m, "upstream-del", jstr(up, "name"), NULL);
	}
	for (i = 0; i < jlen(n); i++) {
		struct json_object *up = json_object_array_get_idx(n, i);
		struct json_object *was = find_upstream(o, jstr(up, "name"));
		char url[600];

		snprintf(url, sizeof(url), "%s %s port %lld", jstr(up, "proto"), jstr(up, "host"),
			 jint(up, "port"));
		if (!was) {
			emit(m, "upstream-add", jstr(up, "name"), url);
			continue;
		}
		/* Health, once the driver reports it per upstream. */
		if (strcmp(jstr(was, "state"), jstr(up, "state")))
			emit(m, "upstream-state", jstr(up, "name"), jstr(up, "state"));
		if (!same_upstream(was, up))
			emit(m, "upstream-change", jstr(up, "name"), url);
	}
}

static void diff(const struct monitor *m, struct json_object *old, struct json_object *new)
{
	bool up = json_object_get_boolean(jget(new, "device.up"));
	struct json_object *tunables, *old_tunables;
	char detail[64];

	if (strcmp(jstr(old, "device.name"), jstr(new, "device.name")))
		emit(m, "rename", jstr(old, "device.name"), jstr(new, "device.name"));
	if (json_object_get_boolean(jget(old, "device.up")) != up)
		emit(m, up ? "up" : "down", NULL, NULL);
	if (jint(old, "device.mtu") != jint(new, "device.mtu")) {
		snprintf(detail, sizeof(detail), "%lld", jint(new, "device.mtu"));
		emit(m, "config", "mtu", detail);
	}
	if (jint(old, "config.fwmark") != jint(new, "config.fwmark")) {
		snprintf(detail, sizeof(detail), "0x%llx", jint(new, "config.fwmark"));
		emit(m, "config", "fwmark", detail);
	}
	if (json_object_get_boolean(jget(old, "config.persist")) !=
	    json_object_get_boolean(jget(new, "config.persist")))
		emit(m, "config", "persist",
		     json_object_get_boolean(jget(new, "config.persist")) ? "on" : "off");
	tunables = jget(new, "config.tunables");
	old_tunables = jget(old, "config.tunables");
	if (json_object_is_type(tunables, json_type_object)) {
		json_object_object_foreach(tunables, key, val)
		{
			struct json_object *was = NULL;

			/* By key, not by path: a key is not split at dots. */
			if (json_object_is_type(old_tunables, json_type_object))
				json_object_object_get_ex(old_tunables, key, &was);
			/* Numbers and words alike ("balance"). */
			if (strcmp(str_or_empty(was), str_or_empty(val))) {
				snprintf(detail, sizeof(detail), "%s", str_or_empty(val));
				emit(m, "config", key, detail);
			}
		}
	}
	diff_upstreams(m, old, new);
}

int cmd_monitor(const struct cli *cli, int argc, char **argv)
{
	struct monitor m = { .cli = cli };
	struct json_object *last, *now;
	struct pollfd pfd;
	int fd;

	if (argc > 1 && cli_is_help(argv[1])) {
		printf("Usage: mprox monitor NAME\n\n"
		       "Prints the device's state changes as they happen, one line each (with -j,\n"
		       "one JSON object each): up, down, rename, config KEY VALUE, upstream-add,\n"
		       "upstream-del, upstream-change, upstream-state, and deleted (then it "
		       "exits).\n");
		return CLI_OK;
	}
	if (argc != 2)
		return cli_usage("monitor", "needs the device's name");
	m.dev = argv[1];
	fd = dev_open(m.dev);
	if (fd < 0)
		return CLI_FAILED;
	/* Reading arms poll(): POLLIN means changed since this read. */
	last = dev_state(fd, m.dev);
	if (!last) {
		close(fd);
		return CLI_FAILED;
	}
	pfd = (struct pollfd){ .fd = fd, .events = POLLIN };
	for (;;) {
		if (poll(&pfd, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			cli_fail("%s: poll: %s", m.dev, strerror(errno));
			break;
		}
		now = pfd.revents & (POLLERR | POLLHUP) ? NULL : dev_state_read(fd);
		/* Gone, or going: a read after the wake may already fail. */
		if (!now && (pfd.revents & (POLLERR | POLLHUP) || errno == ENODEV)) {
			emit(&m, "deleted", NULL, NULL);
			json_object_put(last);
			close(fd);
			return CLI_OK;
		}
		if (!now) {
			cli_fail("%s: cannot read the device's state: %s", m.dev, strerror(errno));
			break;
		}
		diff(&m, last, now);
		json_object_put(last);
		last = now;
		m.dev = jstr(last, "device.name");
	}
	json_object_put(last);
	close(fd);
	return CLI_FAILED;
}
