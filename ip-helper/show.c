// SPDX-License-Identifier: GPL-2.0
/*
 * mprox show: each device's state, upstreams, flows and traffic, as a
 * table for people (like "wg show") or the driver's document with -j.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "devstate.h"

#define DEVICES_MAX 256

static void print_bytes(double b)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	unsigned int i = 0;

	while (b >= 1024 && i < 4) {
		b /= 1024;
		i++;
	}
	printf(i ? "%.2f %s" : "%.0f %s", b, unit[i]);
}

/*
 * Rates are "since the last call": the last call's counters are kept in
 * the runtime directory, one small file per device (netns inode and
 * ifindex name it, so a renamed or recreated device starts afresh).
 */
struct rate_sample {
	int64_t ns;
	long long up, down;
};

static int rate_path(struct json_object *st, char *buf, size_t len)
{
	return cli_runtime_path(buf, len, "/rate-%lld-%lld", jint(st, "device.netns_inode"),
				jint(st, "device.ifindex"));
}

/* Store this call's sample; give the previous one. Returns 0 if there was one. */
static int rate_swap(struct json_object *st, const struct rate_sample *now,
		     struct rate_sample *prev)
{
	char path[512];
	int fd, ok;

	if (rate_path(st, path, sizeof(path)))
		return -1;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return -1;
	ok = pread(fd, prev, sizeof(*prev), 0) == sizeof(*prev);
	if (pwrite(fd, now, sizeof(*now), 0) != sizeof(*now))
		ok = 0;
	close(fd);
	/* A counter that went back means a new device or data path. */
	return ok && prev->ns < now->ns && prev->up <= now->up && prev->down <= now->down ? 0 : -1;
}

static void show_rates(struct json_object *st)
{
	struct rate_sample now, prev;
	struct timespec ts;
	double dt;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now.ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	now.up = jint(st, "stats.bytes.up");
	now.down = jint(st, "stats.bytes.down");
	if (rate_swap(st, &now, &prev))
		return;
	dt = (double)(now.ns - prev.ns) / 1e9;
	printf("  rate: ");
	print_bytes((double)(now.up - prev.up) / dt);
	printf("/s up, ");
	print_bytes((double)(now.down - prev.down) / dt);
	printf("/s down (over the last %.1f s)\n", dt);
}

/* Counters of one object, "name value" for those that are not zero. */
static void print_nonzero(const char *label, struct json_object *o)
{
	const char *sep = "";

	if (!o)
		return;
	printf("  %s:", label);
	json_object_object_foreach(o, key, val)
	{
		if (json_object_get_int64(val)) {
			printf("%s %s %" PRId64, sep, key, json_object_get_int64(val));
			sep = ",";
		}
	}
	printf("%s\n", *sep ? "" : " none");
}

static int upstream_flows(struct json_object *st, const char *name)
{
	struct json_object *conns = jget(st, "conns");
	size_t i, n = jlen(conns);
	int count = 0;

	for (i = 0; i < n; i++)
		count += !strcmp(jstr(json_object_array_get_idx(conns, i), "upstream"), name);
	return count;
}

/* "0.4 s", "13 s", "5 min 2 s", "2 h 5 min". */
static void print_duration(long long ms)
{
	if (ms < 10000)
		printf("%.1f s", (double)ms / 1000);
	else if (ms < 60000)
		printf("%lld s", ms / 1000);
	else if (ms < 3600000)
		printf("%lld min %lld s", ms / 60000, ms / 1000 % 60);
	else
		printf("%lld h %lld min", ms / 3600000, ms / 60000 % 60);
}

/*
 * "health: down for 13 s (upstream_down), tried again in 1.7 s, 2 failures";
 * or, when the driver waits for a probe to bring it back, "back at a good
 * probe".
 */
static void show_health(struct json_object *up)
{
	bool down;

	if (!jget(up, "state"))
		return;
	down = !strcmp(jstr(up, "state"), "down");
	printf("  health: %s", jstr(up, "state"));
	if (jget(up, "since_ms")) {
		printf(" for ");
		print_duration(jint(up, "since_ms"));
	}
	if (down && jget(up, "last_error"))
		printf(" (%s)", jstr(up, "last_error"));
	if (down && jget(up, "back_by") && !strcmp(jstr(up, "back_by"), "probe")) {
		printf(", back at a good probe");
	} else if (down && jint(up, "retry_in_ms")) {
		printf(", tried again in ");
		print_duration(jint(up, "retry_in_ms"));
	} else if (down) {
		printf(", its backoff over");
	}
	if (jint(up, "failures"))
		printf(", %lld failure%s", jint(up, "failures"),
		       jint(up, "failures") == 1 ? "" : "s");
	printf("\n");
}

/* "probes: 12 ok, 1 failed, the last (ok) 0.8 s ago" */
static void show_probes(struct json_object *up)
{
	if (!jint(up, "probes.ok") && !jint(up, "probes.failed"))
		return;
	printf("  probes: %lld ok, %lld failed", jint(up, "probes.ok"), jint(up, "probes.failed"));
	if (jget(up, "probes.last")) {
		printf(", the last (%s) ", jstr(up, "probes.last"));
		print_duration(jint(up, "probes.last_ms"));
		printf(" ago");
	}
	printf("\n");
}

static void show_upstream(struct json_object *st, struct json_object *up)
{
	const char *host = jstr(up, "host");
	bool v6 = strchr(host, ':');

	printf("\nupstream: %s\n", jstr(up, "name"));
	printf("  url: %s://", jstr(up, "proto"));
	if (jget(up, "user"))
		printf("%s%s@", jstr(up, "user"),
		       json_object_get_boolean(jget(up, "password_set")) ? ":(hidden)" : "");
	printf(v6 ? "[%s]:%lld\n" : "%s:%lld\n", host, jint(up, "port"));
	printf("  priority: %lld, weight: %lld", jint(up, "priority"), jint(up, "weight"));
	if (jget(up, "dev"))
		printf(", leaves through %s", jstr(up, "dev"));
	printf("\n");
	show_health(up);
	show_probes(up);
	if (jget(up, "active"))
		printf("  flows: %lld active\n", jint(up, "active"));
	else
		printf("  flows: %d active\n", upstream_flows(st, jstr(up, "name")));
	if (jint(up, "handshake_us"))
		printf("  handshake: %.1f ms on average\n",
		       (double)jint(up, "handshake_us") / 1000);
	print_nonzero("connects", jget(up, "connects"));
	if (jget(up, "bytes")) {
		printf("  transfer: ");
		print_bytes((double)jint(up, "bytes.up"));
		printf(" up, ");
		print_bytes((double)jint(up, "bytes.down"));
		printf(" down\n");
	}
	if (jint(up, "auth_failed"))
		printf("  authentication failures: %lld\n", jint(up, "auth_failed"));
}

/* What rules that say "direct" did, once they did anything. */
static void show_direct(struct json_object *st)
{
	struct json_object *connects = jget(st, "stats.direct.connects");
	bool any = jint(st, "stats.direct.active") != 0;

	/* Absent from a module older than direct rules. */
	if (json_object_is_type(connects, json_type_object)) {
		json_object_object_foreach(connects, key, val)
		{
			(void)key;
			any |= json_object_get_int64(val) != 0;
		}
	}
	if (!any)
		return;
	printf("  direct: %lld active\n", jint(st, "stats.direct.active"));
	print_nonzero("direct connects", jget(st, "stats.direct.connects"));
}

/* The rules in order, numbered as "mprox rule DEVICE del N" takes them. */
static void show_rules(struct json_object *rules)
{
	size_t i, n = jlen(rules);

	if (n)
		printf("\nrules:\n");
	for (i = 0; i < n; i++) {
		struct json_object *r = json_object_array_get_idx(rules, i);

		printf("  %lld: %s\n", jint(r, "index"), jstr(r, "rule"));
	}
}

static void show_human(struct json_object *st)
{
	struct json_object *ups = jget(st, "config.upstreams");
	size_t i, n = jlen(ups);

	printf("device: %s\n", jstr(st, "device.name"));
	printf("  state: %s%s, mtu %lld",
	       json_object_get_boolean(jget(st, "device.up")) ? "up" : "down",
	       json_object_get_boolean(jget(st, "config.persist")) ? ", persistent" : "",
	       jint(st, "device.mtu"));
	if (jint(st, "config.fwmark"))
		printf(", fwmark 0x%llx", jint(st, "config.fwmark"));
	printf("\n  upstreams: %zu\n", n);
	printf("  flows: %lld active, %lld total", jint(st, "stats.flows.active"),
	       jint(st, "stats.flows.total"));
	if (jint(st, "stats.flows.refused_limit"))
		printf(", %lld refused at max_flows", jint(st, "stats.flows.refused_limit"));
	printf("\n");
	if (jint(st, "config.tunables.probe_interval_s")) {
		printf("  probes: every %lld s", jint(st, "config.tunables.probe_interval_s"));
		if (jget(st, "config.probe_target") &&
		    json_object_get_type(jget(st, "config.probe_target")) == json_type_string)
			printf(", a CONNECT to %s", jstr(st, "config.probe_target"));
		printf("\n");
	}
	print_nonzero("connects", jget(st, "stats.connects"));
	show_direct(st);
	printf("  transfer: ");
	print_bytes((double)jint(st, "stats.bytes.up"));
	printf(" up, ");
	print_bytes((double)jint(st, "stats.bytes.down"));
	printf(" down\n");
	show_rates(st);
	print_nonzero("closes", jget(st, "stats.closes"));
	if (jint(st, "stats.spares.ready") || jint(st, "stats.spares.opened"))
		printf("  spares: %lld ready, %lld used of %lld opened\n",
		       jint(st, "stats.spares.ready"), jint(st, "stats.spares.used"),
		       jint(st, "stats.spares.opened"));
	print_nonzero("drops", jget(st, "stats.drops"));
	for (i = 0; i < n; i++)
		show_upstream(st, json_object_array_get_idx(ups, i));
	show_rules(jget(st, "config.rules"));
}

static int show_one(const struct cli *cli, const char *name, struct json_object *all)
{
	struct json_object *st;
	int fd = dev_open(name);

	if (fd < 0)
		return -1;
	st = dev_state(fd, name);
	close(fd);
	if (!st)
		return -1;
	if (cli->json) {
		json_object_array_add(all, st);
		return 0;
	}
	show_human(st);
	json_object_put(st);
	return 0;
}

int cmd_show(const struct cli *cli, int argc, char **argv)
{
	static char names[DEVICES_MAX][MPROX_IFNAMSIZ];
	struct json_object *all = json_object_new_array();
	int i, n, ret = CLI_OK;

	if (argc > 1 && cli_is_help(argv[1])) {
		json_object_put(all);
		printf("Usage: mprox show [NAME | --names]\n\n"
		       "Shows each mprox device (or NAME): its state, flows, traffic and the\n"
		       "rate since the last 'mprox show', and its upstreams. With -j, the\n"
		       "driver's state documents as a JSON array. --names lists the names.\n");
		return CLI_OK;
	}
	if (argc > 2) {
		json_object_put(all);
		return cli_usage("show", "too many arguments");
	}
	/* The device names alone, one a line: for scripts and completion. */
	if (argc == 2 && !strcmp(argv[1], "--names")) {
		json_object_put(all);
		n = dev_list(names, DEVICES_MAX);
		for (i = 0; i < n; i++)
			printf("%s\n", names[i]);
		return n < 0 ? CLI_FAILED : CLI_OK;
	}
	if (argc == 2) {
		if (strlen(argv[1]) >= MPROX_IFNAMSIZ) {
			json_object_put(all);
			return cli_usage("show", "'%s': interface names have at most %d characters",
					 argv[1], MPROX_IFNAMSIZ - 1);
		}
		n = 1;
		snprintf(names[0], MPROX_IFNAMSIZ, "%s", argv[1]);
	} else {
		n = dev_list(names, DEVICES_MAX);
		if (n < 0) {
			json_object_put(all);
			return CLI_FAILED;
		}
	}
	for (i = 0; i < n; i++) {
		if (i && !cli->json)
			printf("\n");
		if (show_one(cli, names[i], all))
			ret = CLI_FAILED;
	}
	if (cli->json)
		cli_print_json(cli, all);
	else
		json_object_put(all);
	return ret;
}
