// SPDX-License-Identifier: GPL-2.0
/*
 * mprox up, down, reload, save: a device from a configuration file, as
 * wg-quick does for WireGuard. The whole file is checked, and its host
 * names resolved, before anything on the system changes; "up" undoes what
 * it did when a later step fails.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <net/if.h>
#include <netdb.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <netlink/route/link.h>

#include "commands.h"
#include "conf.h"
#include "devstate.h"
#include "parse.h"
#include "route.h"
#include "url.h"

#define CONF_DIR "/etc/mprox"

struct quick {
	const struct cli *cli;
	const char *cmd;
	char path[PATH_MAX];
	char name[MPROX_IFNAMSIZ];
	bool insecure_perms;
	struct mprox_conf conf;
};

/*
 * NAME means CONF_DIR/NAME.conf (MPROX_CONF_DIR overrides the directory);
 * anything with a '/' or ending in ".conf" is a file, whose base name
 * names the device.
 */
static int locate(struct quick *q, const char *arg)
{
	const char *dir = getenv("MPROX_CONF_DIR");
	size_t len = strlen(arg);
	int n;

	if (strchr(arg, '/') || (len > 5 && !strcmp(arg + len - 5, ".conf")))
		n = snprintf(q->path, sizeof(q->path), "%s", arg);
	else
		n = snprintf(q->path, sizeof(q->path), "%s/%s.conf", dir && *dir ? dir : CONF_DIR,
			     arg);
	if (n < 0 || (size_t)n >= sizeof(q->path))
		return cli_usage(q->cmd, "'%s': the path is too long", arg);
	if (mprox_conf_name_from_path(q->path, q->name))
		return cli_usage(q->cmd,
				 "'%s': the file's name must be an interface name (1-15 "
				 "characters, not starting with '-') followed by .conf",
				 q->path);
	return CLI_OK;
}

/* FILE:LINE: REASON; errors about the whole file name it themselves. */
static void conf_error(const char *path, const struct mprox_conf_error *err, const char *hint)
{
	if (err->line)
		fprintf(stderr, "mprox: %s:%u: %s%s\n", path, err->line, err->msg, hint);
	else
		fprintf(stderr, "mprox: %s%s\n", err->msg, hint);
}

static int load(struct quick *q)
{
	struct mprox_conf_error err;

	if (mprox_conf_read_file(q->path, q->insecure_perms, &q->conf, &err) == 0)
		return 0;
	conf_error(q->path, &err, "; nothing was changed");
	return -1;
}

/* Every upstream's host name to an address, in place; says which. */
static int resolve(struct quick *q)
{
	size_t i;

	for (i = 0; i < q->conf.n_upstream; i++) {
		struct mprox_conf_upstream *up = &q->conf.upstream[i];
		char url[sizeof(up->url)], addr[INET6_ADDRSTRLEN];
		int err = url_resolve(up->url, url, sizeof(url), addr);

		if (err) {
			fprintf(stderr,
				"mprox: %s:%u: [Upstream %s]: the proxy's host name does not "
				"resolve: %s; nothing was changed\n",
				q->path, up->line, up->name,
				err == EAI_SYSTEM ? strerror(errno) : gai_strerror(err));
			return -1;
		}
		if (addr[0] && !q->cli->json)
			printf("%s: upstream %s: the proxy's host name resolved to %s\n", q->name,
			       up->name, addr);
		memcpy(up->url, url, sizeof(url));
	}
	return 0;
}

static int link_set_up(const char *name)
{
	struct rtnl_link *link = NULL, *change = NULL;
	struct nl_sock *sk = nl_socket_alloc();
	int err = -NLE_NOMEM;

	if (!sk)
		goto out;
	err = nl_connect(sk, NETLINK_ROUTE);
	if (err < 0)
		goto out;
	err = rtnl_link_get_kernel(sk, 0, name, &link);
	if (err < 0)
		goto out;
	change = rtnl_link_alloc();
	if (!change) {
		err = -NLE_NOMEM;
		goto out;
	}
	rtnl_link_set_flags(change, IFF_UP);
	err = rtnl_link_change(sk, link, change, 0);
out:
	if (err < 0)
		cli_fail("%s: cannot bring it up: %s", name, nl_geterror(err));
	rtnl_link_put(change);
	rtnl_link_put(link);
	nl_socket_free(sk);
	return err < 0 ? -1 : 0;
}

static int up_once(struct quick *q)
{
	char *dirs;
	int fd, ret;

	fd = mprox_create(q->name, MPROX_PERSIST | MPROX_CLOEXEC);
	if (fd < 0) {
		if (errno == EEXIST)
			return cli_fail("%s exists: 'mprox reload %s' applies a changed file, "
					"'mprox down %s' takes it down",
					q->name, q->name, q->name);
		if (errno == ENOENT)
			return cli_fail("the mprox module is not loaded: run 'modprobe mprox'");
		return cli_fail("%s: cannot create it: %s", q->name, mprox_strerror(errno));
	}
	dirs = mprox_conf_directives(&q->conf);
	if (!dirs)
		cli_fail("out of memory");
	ret = dirs ? dev_apply(fd, q->name, dirs, q->path) : -1;
	free(dirs);
	close(fd);
	if (!ret)
		ret = link_set_up(q->name);
	if (!ret && route_conf_wanted(&q->conf.route))
		ret = route_conf_apply(q->cli, q->name, &q->conf.route);
	if (ret) {
		/* All or nothing: the device goes, and its routes with it. */
		if (dev_delete(q->name))
			fprintf(stderr,
				"mprox: %s: could not be rolled back; 'mprox down %s' removes "
				"it\n",
				q->name, q->name);
		else
			fprintf(stderr, "mprox: %s: rolled back, nothing was changed\n", q->name);
		return CLI_FAILED;
	}
	if (!q->cli->json)
		printf("%s: up, %zu upstream%s\n", q->name, q->conf.n_upstream,
		       q->conf.n_upstream == 1 ? "" : "s");
	return CLI_OK;
}

static int reload_once(struct quick *q);

/*
 * --watch: apply the file again each time it is written or replaced
 * (editors write a new file and rename it over the old one, so the
 * directory is watched). Runs until killed; the device stays as it is.
 */
static int watch(struct quick *q)
{
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	char dir[PATH_MAX], *slash;
	const char *base;
	int fd;

	snprintf(dir, sizeof(dir), "%s", q->path);
	slash = strrchr(dir, '/');
	base = slash ? q->path + (slash - dir) + 1 : q->path;
	if (slash)
		*(slash == dir ? slash + 1 : slash) = '\0';
	else
		snprintf(dir, sizeof(dir), ".");
	fd = inotify_init1(IN_CLOEXEC);
	if (fd < 0 || inotify_add_watch(fd, dir, IN_CLOSE_WRITE | IN_MOVED_TO) < 0) {
		int err = errno;

		if (fd >= 0)
			close(fd);
		return cli_fail("%s: cannot watch it: %s", dir, strerror(err));
	}
	printf("%s: watching %s\n", q->name, q->path);
	fflush(stdout);
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		bool changed = false;
		char *p;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(fd);
			return cli_fail("%s: inotify: %s", dir, strerror(errno));
		}
		for (p = buf; p < buf + n;) {
			struct inotify_event *ev = (struct inotify_event *)p;

			if (ev->len && !strcmp(ev->name, base))
				changed = true;
			p += sizeof(*ev) + ev->len;
		}
		if (!changed)
			continue;
		mprox_conf_free(&q->conf);
		/* A bad edit is reported and the device keeps what it had. */
		if (load(q) == 0 && resolve(q) == 0)
			reload_once(q);
		fflush(stdout);
	}
}

/* The parts of an upstream the driver shows, as the file would set them. */
static bool upstream_unchanged(struct json_object *run, const struct mprox_conf_upstream *up)
{
	static const char *const proto[] = { "", "socks5", "socks5h", "socks4", "socks4a", "http" };
	struct mprox_upstream_spec s;

	if (mprox_parse_url(up->url, strlen(up->url), &s) ||
	    (size_t)s.proto >= sizeof(proto) / sizeof(proto[0]))
		return false;
	/* The driver never shows a password: one in the file is applied anew. */
	if (s.password[0] || json_object_get_boolean(jget(run, "password_set")))
		return false;
	return !strcmp(jstr(run, "proto"), proto[s.proto]) && !strcmp(jstr(run, "host"), s.host) &&
	       jint(run, "port") == s.port &&
	       jint(run, "weight") == (up->weight ? (long long)up->weight : 1) &&
	       !strcmp(jget(run, "dev") ? jstr(run, "dev") : "", up->dev) &&
	       !strcmp(jget(run, "user") ? jstr(run, "user") : "", s.user) &&
	       jint(run, "priority") == (up->have_priority ? up->priority : 0);
}

static struct json_object *running_upstream(struct json_object *ups, const char *name)
{
	size_t i;

	for (i = 0; i < jlen(ups); i++)
		if (!strcmp(jstr(json_object_array_get_idx(ups, i), "name"), name))
			return json_object_array_get_idx(ups, i);
	return NULL;
}

static bool in_file(const struct mprox_conf *conf, const char *name)
{
	size_t i;

	for (i = 0; i < conf->n_upstream; i++)
		if (!strcmp(conf->upstream[i].name, name))
			return true;
	return false;
}

static bool file_sets(const struct mprox_conf *conf, const char *key)
{
	size_t i;

	for (i = 0; i < conf->n_set; i++)
		if (!strcmp(conf->set[i].key, key))
			return true;
	return false;
}

/*
 * Tunables the file no longer sets go back to their defaults (the driver's
 * own table, mprox_tunables[]), as a device made from the file would have
 * them: bit i of the result for mprox_tunables[i].
 */
_Static_assert(MPROX_TUNE_COUNT < 32, "a bit for every tunable, and probe_target's");

/*
 * A tunable's value in the driver's document: a number, or one of its
 * words. False for a word this program does not know (a newer driver's).
 */
static bool tunable_in_state(const struct mprox_tunable_info *t, struct json_object *v,
			     uint64_t *out)
{
	const char *s = json_object_get_string(v);

	if (t && t->words)
		return s && !mprox_tunable_word_value(t, s, strlen(s), out);
	if (!json_object_is_type(v, json_type_int))
		return false;
	*out = (uint64_t)json_object_get_int64(v);
	return true;
}

static const char *tunable_text(const struct mprox_tunable_info *t, uint64_t v, char *buf,
				size_t len)
{
	const char *word = mprox_tunable_word(t, v);

	if (word)
		return word;
	snprintf(buf, len, "%llu", (unsigned long long)v);
	return buf;
}
static unsigned int reset_tunables(const struct quick *q, struct json_object *st, FILE *f)
{
	struct json_object *run = jget(st, "config.tunables");
	unsigned int i, mask = 0;
	char num[24];
	uint64_t val;

	for (i = 0; i < MPROX_TUNE_COUNT; i++) {
		const struct mprox_tunable_info *t = &mprox_tunables[i];
		struct json_object *v;

		if (file_sets(&q->conf, t->key) || !json_object_object_get_ex(run, t->key, &v) ||
		    (tunable_in_state(t, v, &val) && val == t->def))
			continue;
		fprintf(f, "set %s %s\n", t->key, tunable_text(t, t->def, num, sizeof(num)));
		mask |= 1u << i;
	}
	/* Not a tunable: a bit of its own, past theirs. */
	if (!q->conf.probe_target[0] &&
	    json_object_get_type(jget(st, "config.probe_target")) == json_type_string) {
		fprintf(f, "set probe_target none\n");
		mask |= 1u << MPROX_TUNE_COUNT;
	}
	return mask;
}

/*
 * The directives that take the running device to the file: upstreams the
 * file no longer has go, changed ones are replaced, unchanged ones are
 * left alone (their flows never notice); settings are written again, and
 * those the file dropped are reset (*resets, as reset_tunables()).
 */
static char *reload_directives(const struct quick *q, struct json_object *st, size_t *changes,
			       unsigned int *resets)
{
	struct json_object *ups = jget(st, "config.upstreams"), *sets = jget(st, "config.sets");
	struct mprox_conf only = q->conf;
	char *dirs, *out = NULL;
	size_t i, len = 0, n = 0;
	FILE *f;

	f = open_memstream(&out, &len);
	if (!f)
		return NULL;
	*resets = reset_tunables(q, st, f);
	/*
	 * The file's [Rule] replaces the running rules as a whole (they
	 * come after the upstreams, below); the driver checks the names
	 * they use once the whole write is applied.
	 */
	fputs("rule flush\n", f);
	/*
	 * And its [DNS] the running settings: "dns off" first, then its
	 * lines (below). A pool whose prefix the file names again keeps
	 * every name's address: the driver gives it back within the write.
	 */
	fputs("dns off\n", f);
	/*
	 * The sets the file names are replaced by its [Set] lines (below);
	 * the others stay: large ones are loaded with "mprox set ... --file"
	 * and never written in the file.
	 */
	for (i = 0; i < jlen(sets); i++) {
		const char *name = jstr(json_object_array_get_idx(sets, i), "name");

		if (mprox_conf_names_set(&q->conf, name))
			fprintf(f, "set flush %s\n", name);
	}
	for (i = 0; i < jlen(ups); i++) {
		const char *name = jstr(json_object_array_get_idx(ups, i), "name");

		if (!in_file(&q->conf, name)) {
			fprintf(f, "upstream del %s\n", name);
			n++;
		}
	}
	/* The file's upstreams that need writing, through the formatter. */
	only.upstream = calloc(q->conf.n_upstream ? q->conf.n_upstream : 1, sizeof(*only.upstream));
	only.n_upstream = 0;
	for (i = 0; only.upstream && i < q->conf.n_upstream; i++) {
		const struct mprox_conf_upstream *up = &q->conf.upstream[i];
		struct json_object *run = running_upstream(ups, up->name);

		if (run && upstream_unchanged(run, up))
			continue;
		if (run)
			fprintf(f, "upstream del %s\n", up->name);
		only.upstream[only.n_upstream++] = *up;
		n++;
	}
	dirs = only.upstream ? mprox_conf_directives(&only) : NULL;
	free(only.upstream);
	if (dirs)
		fputs(dirs, f);
	free(dirs);
	if (fclose(f) || !dirs) {
		free(out);
		return NULL;
	}
	*changes = n;
	return out;
}

/* The fwmark a reload changed, back to @old; whether it is. */
static bool fwmark_back(const struct quick *q, int fd, uint32_t old)
{
	if (!dev_set_fwmark(fd, q->name, old))
		return true;
	fprintf(stderr, "mprox: %s: its fwmark stays 0x%" PRIx32 ", not 0x%" PRIx32 "\n", q->name,
		q->conf.fwmark, old);
	return false;
}

/*
 * All or nothing. The device's fwmark goes first, as the routing is
 * planned around it; then the routing, which undoes itself when it fails;
 * then the directives in one write, which the driver takes whole or not
 * at all. A failure puts back what the steps before it did.
 */
static int reload_apply(struct quick *q, int fd, struct json_object *st, const char *dirs)
{
	uint32_t old_mark = (uint32_t)jint(st, "config.fwmark");
	bool new_mark = q->conf.have_fwmark && q->conf.fwmark != old_mark, back;
	struct route_saved *saved = malloc(sizeof(*saved));
	int ret = -1;

	if (!saved)
		return cli_fail("out of memory");
	route_saved_read(q->name, saved);
	if (new_mark && dev_set_fwmark(fd, q->name, q->conf.fwmark))
		goto out;
	/*
	 * A routing step that fails undoes itself, but not always all of
	 * it (an old rule that would not go): it is put back all the same.
	 */
	if (!route_conf_reload(q->cli, q->name, &q->conf.route) &&
	    !dev_apply(fd, q->name, dirs, q->path)) {
		ret = 0;
		goto out;
	}
	/* The old mark first: the routing put back is planned around it. */
	back = !new_mark || fwmark_back(q, fd, old_mark);
	if (!saved->known) {
		fprintf(stderr,
			"mprox: %s: its routing has no record in the runtime directory and "
			"may not be as before; 'mprox route %s --off' and a reload of the old "
			"file install it anew\n",
			q->name, q->name);
		back = false;
	} else if (route_restore(q->cli, saved)) {
		fprintf(stderr,
			"mprox: %s: its routing could not be put back; a reload of the "
			"old file installs it\n",
			q->name);
		back = false;
	}
	if (back)
		fprintf(stderr, "mprox: %s: reload failed, nothing was changed\n", q->name);
out:
	free(saved);
	return ret;
}

static int reload_once(struct quick *q)
{
	unsigned int resets = 0, i;
	struct json_object *st;
	char num[24];
	size_t changes = 0;
	char *dirs;
	int fd, ret;

	fd = dev_open(q->name);
	if (fd < 0)
		return CLI_FAILED;
	st = dev_state(fd, q->name);
	dirs = st ? reload_directives(q, st, &changes, &resets) : NULL;
	if (st && !dirs)
		cli_fail("out of memory");
	ret = dirs && !reload_apply(q, fd, st, dirs) ? CLI_OK : CLI_FAILED;
	free(dirs);
	json_object_put(st);
	close(fd);
	for (i = 0; ret == CLI_OK && !q->cli->json && i < MPROX_TUNE_COUNT; i++)
		if (resets & (1u << i))
			printf("%s: %s back to its default %s\n", q->name, mprox_tunables[i].key,
			       tunable_text(&mprox_tunables[i], mprox_tunables[i].def, num,
					    sizeof(num)));
	if (ret == CLI_OK && !q->cli->json && (resets & (1u << MPROX_TUNE_COUNT)))
		printf("%s: probe_target back to none\n", q->name);
	if (ret == CLI_OK && !q->cli->json)
		printf("%s: reloaded from %s, %zu upstream change%s\n", q->name, q->path, changes,
		       changes == 1 ? "" : "s");
	return ret;
}

/*
 * Options common to the commands. Returns the index of the FILE|NAME
 * argument, -1 after printing the help, -2 after a usage error.
 */
static int options(struct quick *q, int argc, char **argv, bool *watch_opt, const char *usage)
{
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (cli_is_help(argv[i])) {
			printf("%s", usage);
			return -1;
		} else if (!strcmp(argv[i], "--insecure-perms")) {
			q->insecure_perms = true;
		} else if (watch_opt && !strcmp(argv[i], "--watch")) {
			*watch_opt = true;
		} else {
			cli_usage(q->cmd, "unknown option '%s'", argv[i]);
			return -2;
		}
	}
	if (i != argc - 1) {
		cli_usage(q->cmd, "needs one FILE or NAME");
		return -2;
	}
	return i;
}

/*
 * The options, and the file located. Returns the exit code to give at
 * once (help, usage), or -1 when the command goes on.
 */
static int run_options(struct quick *q, int argc, char **argv, bool *watch_opt, const char *usage)
{
	int i = options(q, argc, argv, watch_opt, usage);

	if (i < 0)
		return i == -1 ? CLI_OK : CLI_USAGE;
	return locate(q, argv[i]) ? CLI_USAGE : -1;
}

int cmd_up(const struct cli *cli, int argc, char **argv)
{
	struct quick q = { .cli = cli, .cmd = "up" };
	bool watch_opt = false;
	int ret;

	ret = run_options(
		&q, argc, argv, &watch_opt,
		"Usage: mprox up [--watch] [--insecure-perms] FILE|NAME\n\n"
		"Creates the device a configuration file describes (NAME: " CONF_DIR
		"/NAME.conf),\napplies it, brings the device up and installs its routes; on any\n"
		"failure it undoes all of it. --watch then stays in the foreground and\n"
		"reloads the file whenever it changes. The format is in mprox.conf(5).\n");
	if (ret >= 0)
		return ret;
	if (load(&q) || resolve(&q)) {
		mprox_conf_free(&q.conf);
		return CLI_FAILED;
	}
	ret = up_once(&q);
	if (ret == CLI_OK && watch_opt) {
		fflush(stdout);
		ret = watch(&q);
	}
	mprox_conf_free(&q.conf);
	return ret;
}

int cmd_reload(const struct cli *cli, int argc, char **argv)
{
	struct quick q = { .cli = cli, .cmd = "reload" };
	int ret;

	ret = run_options(&q, argc, argv, NULL,
			  "Usage: mprox reload [--insecure-perms] FILE|NAME\n\n"
			  "Applies a changed configuration file to the running device: upstreams\n"
			  "the file changed are replaced, the others keep their connections;\n"
			  "settings the file no longer has go back to their defaults.\n"
			  "A changed [Route] is applied rule by rule, new rules before the old\n"
			  "ones go, so traffic it keeps selecting never goes out directly.\n");
	if (ret >= 0)
		return ret;
	if (load(&q) || resolve(&q)) {
		mprox_conf_free(&q.conf);
		return CLI_FAILED;
	}
	ret = reload_once(&q);
	mprox_conf_free(&q.conf);
	return ret;
}

int cmd_down(const struct cli *cli, int argc, char **argv)
{
	struct quick q = { .cli = cli, .cmd = "down" };
	int ret, fd;

	ret = run_options(&q, argc, argv, NULL,
			  "Usage: mprox down FILE|NAME\n\n"
			  "Removes the device's routes and deletes it, undoing 'mprox up'.\n");
	if (ret >= 0)
		return ret;
	fd = dev_open(q.name);
	if (fd < 0)
		return CLI_FAILED;
	close(fd);
	ret = route_remove(cli, q.name) ? CLI_FAILED : CLI_OK;
	if (dev_delete(q.name))
		ret = CLI_FAILED;
	if (ret == CLI_OK && !cli->json)
		printf("%s: down\n", q.name);
	return ret;
}

/* RFC 3986 userinfo: what is not unreserved is %-escaped. */
static void put_escaped(FILE *f, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    strchr("-._~", c))
			fputc(c, f);
		else
			fprintf(f, "%%%02X", c);
	}
}

/* The running upstream @run as the file's section; the password from @old. */
static int upstream_from_state(struct json_object *run, const struct mprox_conf *old,
			       struct mprox_conf_upstream *up)
{
	const char *host = jstr(run, "host");
	const char *password = NULL;
	size_t i, len;
	FILE *f;

	memset(up, 0, sizeof(*up));
	snprintf(up->name, sizeof(up->name), "%s", jstr(run, "name"));
	for (i = 0; old && i < old->n_upstream; i++) {
		struct mprox_upstream_spec s;

		if (!strcmp(old->upstream[i].name, up->name) &&
		    !mprox_parse_url(old->upstream[i].url, strlen(old->upstream[i].url), &s) &&
		    s.password[0] && !strcmp(s.user, jstr(run, "user")))
			password = strdupa(s.password);
	}
	f = fmemopen(up->url, sizeof(up->url) - 1, "w");
	if (!f)
		return -1;
	fprintf(f, "%s://", jstr(run, "proto"));
	if (jget(run, "user")) {
		put_escaped(f, jstr(run, "user"));
		if (password) {
			fputc(':', f);
			put_escaped(f, password);
			up->has_password = true;
		}
		fputc('@', f);
	}
	fprintf(f, strchr(host, ':') ? "[%s]:%lld" : "%s:%lld", host, jint(run, "port"));
	len = ftell(f);
	if (fclose(f) || len >= sizeof(up->url) - 1)
		return -1;
	up->url[len] = '\0';
	if (jint(run, "weight") != 1)
		up->weight = jint(run, "weight");
	if (jint(run, "priority")) {
		up->have_priority = true;
		up->priority = jint(run, "priority");
	}
	snprintf(up->dev, sizeof(up->dev), "%s", jget(run, "dev") ? jstr(run, "dev") : "");
	return 0;
}

/*
 * "mprox up" and "reload" write a file's directives in one write(), which
 * the driver takes up to 64 KiB: a file that would not fit is not saved
 * (large sets are loaded with "mprox set NAME add SET --file").
 */
static bool fits_one_write(const struct mprox_conf *c, const char *dev)
{
	char *dirs = mprox_conf_directives(c);
	size_t len;

	if (!dirs) {
		cli_fail("out of memory");
		return false;
	}
	len = strlen(dirs);
	free(dirs);
	/*
	 * Room for what reload adds: rule flush, set flush and upstream del
	 * of every set and upstream, the tunables' resets (under 4 KiB).
	 */
	if (len + 4096 <= MPROX_WRITE_MAX)
		return true;
	cli_fail("%s: its configuration takes %zu bytes of directives, more than one write of "
		 "%u that 'mprox up' and 'reload' make: keep large prefix sets out of the file "
		 "and load them with 'mprox set %s add SET --file FILE'; nothing saved",
		 dev, len, MPROX_WRITE_MAX, dev);
	return false;
}

/* The driver's rules, in order, as [Rule] lines. */
static int rules_from_state(struct json_object *rules, struct mprox_conf_lines *l)
{
	size_t i, n = jlen(rules);

	l->line = calloc(n ? n : 1, sizeof(*l->line));
	if (!l->line)
		return -1;
	l->cap = n;
	for (i = 0; i < n; i++) {
		const char *text = jstr(json_object_array_get_idx(rules, i), "rule");

		if (asprintf(&l->line[i], "rule add %s", text) < 0)
			return -1;
		l->n++;
	}
	return 0;
}

/* The device's prefix sets, read through @fd, as [Set] lines. */
static int sets_from_device(int fd, const char *dev, struct json_object *sets,
			    struct mprox_conf_lines *l)
{
	size_t i, k, n = jlen(sets);
	/* "set add NAME" and 29 prefixes of at most 44 bytes: under 1400. */
	char addr[INET6_ADDRSTRLEN], line[MPROX_UPSTREAM_NAME_MAX + 16 + MPROX_SET_LINE_MAX * 44];

	for (i = 0; i < n; i++) {
		const char *name = jstr(json_object_array_get_idx(sets, i), "name");
		struct mprox_ioc_prefix *p;
		size_t count, len = 0;

		if (mprox_get_set(fd, name, &p, &count))
			return cli_fail("%s: set %s: %s", dev, name, mprox_strerror(errno));
		for (k = 0; k < count; k++) {
			if (k % MPROX_SET_LINE_MAX == 0)
				len = snprintf(line, sizeof(line), "set add %s", name);
			if (!inet_ntop(p[k].family, p[k].addr, addr, sizeof(addr))) {
				unsigned int family = p[k].family;

				free(p);
				return cli_fail("%s: set %s: an entry of address family %u", dev,
						name, family);
			}
			len += snprintf(line + len, sizeof(line) - len, " %s/%u", addr, p[k].len);
			if ((k % MPROX_SET_LINE_MAX == MPROX_SET_LINE_MAX - 1 || k + 1 == count) &&
			    mprox_conf_lines_add(l, strdup(line))) {
				free(p);
				return cli_fail("out of memory");
			}
		}
		free(p);
	}
	return 0;
}

/*
 * The running configuration as a file: what the driver holds (its sets
 * read through @fd), with what only the file knows ([Route], [DNS],
 * passwords) taken from @old.
 */
static int conf_from_state(int fd, const char *dev, struct json_object *st, struct mprox_conf *old,
			   struct mprox_conf *c)
{
	struct json_object *ups = jget(st, "config.upstreams");
	size_t i, n = jlen(ups);

	memset(c, 0, sizeof(*c));
	if (jint(st, "config.fwmark")) {
		c->have_fwmark = true;
		c->fwmark = jint(st, "config.fwmark");
	}
	json_object_object_foreach(jget(st, "config.tunables"), key, val)
	{
		const struct mprox_tunable_info *t = mprox_tunable_named(key);
		uint64_t v;

		if (c->n_set == MPROX_CONF_SETS_MAX)
			break;
		/* A newer driver's: a file with it would not parse (Set refuses it). */
		if (!t) {
			fprintf(stderr,
				"mprox: %s: tunable %s is unknown to this mprox (a newer "
				"driver's?): not saved\n",
				dev, key);
			continue;
		}
		if (!tunable_in_state(t, val, &v))
			continue;
		c->set[c->n_set].key = key;
		c->set[c->n_set++].value = v;
	}
	if (json_object_get_type(jget(st, "config.probe_target")) == json_type_string)
		snprintf(c->probe_target, sizeof(c->probe_target), "%s",
			 jstr(st, "config.probe_target"));
	c->upstream = calloc(n ? n : 1, sizeof(*c->upstream));
	if (!c->upstream)
		return -1;
	c->cap_upstream = n;
	for (i = 0; i < n; i++)
		if (upstream_from_state(json_object_array_get_idx(ups, i), old,
					&c->upstream[c->n_upstream++]))
			return -1;
	if (rules_from_state(jget(st, "config.rules"), &c->rules))
		return -1;
	if (sets_from_device(fd, dev, jget(st, "config.sets"), &c->sets))
		return -1;
	/* Moved, not copied: @old is freed with what it still holds. */
	c->route = old->route;
	c->dns = old->dns;
	memset(&old->route, 0, sizeof(old->route));
	memset(&old->dns, 0, sizeof(old->dns));
	return 0;
}

static void save_usage(void)
{
	printf("Usage: mprox save [--secrets] NAME [FILE|-]\n\n"
	       "Writes the running configuration of device NAME to FILE (default\n" CONF_DIR
	       "/NAME.conf; - for standard output), mode 0600. [Rule] is the device's\n"
	       "running rules; [Route] and [DNS] are kept from the file. The driver\n"
	       "never shows passwords: with\n"
	       "--secrets those of the file are kept, without it none is written.\n");
}

int cmd_save(const struct cli *cli, int argc, char **argv)
{
	struct quick q = { .cli = cli, .cmd = "save", .insecure_perms = true };
	struct mprox_conf old = { 0 }, now;
	struct mprox_conf_error err;
	bool secrets = false, to_stdout = false;
	const char *name = NULL, *file = NULL;
	struct json_object *st;
	char *text = NULL;
	int i, fd, ret = CLI_FAILED;

	/*
	 * --secrets wherever it is, as an admin types it; a FILE that starts
	 * with '-' is given as ./-FILE.
	 */
	for (i = 1; i < argc; i++) {
		if (argv[i][0] == '-' && cli_is_help(argv[i])) {
			save_usage();
			return CLI_OK;
		} else if (!strcmp(argv[i], "--secrets")) {
			if (secrets)
				return cli_usage("save", "--secrets given twice");
			secrets = true;
		} else if (argv[i][0] == '-' && strcmp(argv[i], "-")) {
			return cli_usage("save",
					 "unknown option '%s' (a FILE starting with '-' "
					 "is given as ./%s)",
					 argv[i], argv[i]);
		} else if (!name) {
			name = argv[i];
		} else if (!file) {
			file = argv[i];
		} else {
			return cli_usage("save", "needs NAME and at most one FILE");
		}
	}
	if (!name)
		return cli_usage("save", "needs NAME and at most one FILE");
	to_stdout = file && !strcmp(file, "-");
	if (locate(&q, name))
		return CLI_USAGE;
	if (file && !to_stdout &&
	    snprintf(q.path, sizeof(q.path), "%s", file) >= (int)sizeof(q.path))
		return cli_usage("save", "'%s': the path is too long", file);
	if (access(q.path, F_OK) == 0 && mprox_conf_read_file(q.path, true, &old, &err)) {
		conf_error(q.path, &err, "; fix it or save to another file");
		return CLI_FAILED;
	}
	/* Writing a file's passwords away would lose them for good. */
	if (!secrets && !to_stdout && mprox_conf_has_secrets(&old)) {
		mprox_conf_free(&old);
		return cli_fail("%s holds passwords, which the driver never shows: --secrets "
				"keeps them; or save to another file",
				q.path);
	}
	fd = dev_open(q.name);
	if (fd < 0)
		goto out_old;
	st = dev_state(fd, q.name);
	if (!st) {
		close(fd);
		goto out_old;
	}
	if (conf_from_state(fd, q.name, st, &old, &now) == 0 && fits_one_write(&now, q.name))
		text = mprox_conf_format(&now, secrets);
	close(fd);
	if (!text) {
		cli_fail("%s: cannot format its configuration", q.name);
	} else if (to_stdout) {
		fputs(text, stdout);
		ret = CLI_OK;
	} else if (cli_write_file(q.path, text)) {
		cli_fail("%s: cannot write it: %s", q.path, strerror(errno));
	} else {
		ret = CLI_OK;
	}
	free(text);
	/* The tunables' keys point into the document: free it last. */
	mprox_conf_free(&now);
	json_object_put(st);
out_old:
	mprox_conf_free(&old);
	return ret;
}
