/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Configuration files of the mprox command: /etc/mprox/NAME.conf, INI like
 * wg-quick's, for device NAME. The format is in mprox.conf(5).
 *
 * mprox_conf_parse() is a pure parser: no I/O, no global state. It checks
 * every value the way the driver will (upstream URLs with the driver's own
 * parser, driver/parse.c, built in), so that a file that parses is refused
 * by the driver only for what the file leaves to it: [Rule] and [DNS]
 * lines, and Priority, which the driver does not know yet.
 *
 * Errors are reported as "FILE:LINE: MSG" by the caller, from struct
 * mprox_conf_error; line 0 means the file as a whole.
 */
#ifndef MPROX_CONF_H
#define MPROX_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <linux/mprox.h>

#include "cidr.h"

/* Largest file; a larger one is E2BIG. */
#define MPROX_CONF_SIZE_MAX (1024 * 1024)
/* Longest line, newline excluded, as the device fd's (MPROX_LINE_MAX). */
#define MPROX_CONF_LINE_MAX 2048
/* Longest upstream URL, as the driver's (MPROX_URL_MAX). */
#define MPROX_CONF_URL_MAX 1024
/* Room for every tunable of the driver, each set at most once. */
#define MPROX_CONF_SETS_MAX 16

struct mprox_conf_error {
	unsigned int line; /* 1-based; 0: the file as a whole */
	char msg[256];
};

/* "Set = KEY VALUE" of [Device]. */
struct mprox_conf_set {
	const char *key; /* the driver's name of the tunable (static) */
	uint32_t value;
	unsigned int line;
};

/* An [Upstream NAME] section. */
struct mprox_conf_upstream {
	char name[MPROX_UPSTREAM_NAME_MAX];
	char url[MPROX_CONF_URL_MAX + 1]; /* as written, password included */
	bool has_password;
	bool have_priority;
	uint8_t priority; /* 0-255 */
	unsigned int weight; /* 1-1000; 0: not set */
	char dev[MPROX_IFNAMSIZ]; /* "": not set */
	unsigned int line; /* of the section header */
};

/* The most "Exclude" lines [Route] takes, as "mprox route --exclude". */
#define MPROX_CONF_EXCLUDES_MAX 64

/* [Route]: the options of "mprox route", each "have_" when given. */
struct mprox_conf_route {
	bool have_uid, have_gid, have_fwmark, have_all, have_kill_switch;
	uint32_t uid_first, uid_last; /* Uid = N or N-M */
	uint32_t gid;
	uint32_t mark, mask; /* mask 0xffffffff when not given */
	bool all;
	bool kill_switch; /* "mprox route --kill-switch" */
	char *cgroup; /* NULL: not set */
	struct cidr *exclude; /* "Exclude" lines */
	size_t n_exclude, cap_exclude;
};

/* The lines of [Set], [Rule] or [DNS], trimmed, in file order. */
struct mprox_conf_lines {
	char **line;
	size_t n, cap;
};

struct mprox_conf {
	bool have_fwmark;
	uint32_t fwmark;
	struct mprox_conf_set set[MPROX_CONF_SETS_MAX];
	size_t n_set;
	/* "Set = probe_target ADDR:PORT", as written; "" when not set. */
	char probe_target[64];
	unsigned int probe_target_line;
	struct mprox_conf_upstream *upstream;
	size_t n_upstream, cap_upstream;
	struct mprox_conf_route route;
	struct mprox_conf_lines sets, rules, dns;
};

/*
 * Parse @len bytes of @text (not NUL terminated) into @conf, which need not
 * be initialised. Returns 0, or -1 with errno EINVAL, ERANGE, E2BIG,
 * ENAMETOOLONG or ENOMEM, @err filled in and @conf left empty (all zero).
 */
int mprox_conf_parse(const char *text, size_t len, struct mprox_conf *conf,
		     struct mprox_conf_error *err);

/* Free what @conf holds and leave it empty (all zero); safe to call twice. */
void mprox_conf_free(struct mprox_conf *conf);

/*
 * Append @line (malloc()ed, taken over; NULL stands for out of memory) to
 * @l. Returns 0, or -1 with errno ENOMEM and @line freed.
 */
int mprox_conf_lines_add(struct mprox_conf_lines *l, char *line);

/* Whether a [Set] line of @conf adds to prefix set @name. */
bool mprox_conf_names_set(const struct mprox_conf *conf, const char *name);

/* Whether some upstream URL holds a password. */
bool mprox_conf_has_secrets(const struct mprox_conf *conf);

/*
 * The directives that configure a device as @conf says, one a line, for its
 * fd: fwmark, set, upstream add, then [Set], [Rule] and [DNS] lines, in file order
 * within each. malloc'd; NULL with errno ENOMEM.
 */
char *mprox_conf_directives(const struct mprox_conf *conf);

/*
 * @conf as a file in canonical form (for "mprox save"): the keys spelt as
 * in mprox.conf(5), one section of each kind. Without @secrets, URLs are
 * written without their password. malloc'd; NULL with errno ENOMEM.
 */
char *mprox_conf_format(const struct mprox_conf *conf, bool secrets);

/*
 * Read and parse the file at @path (at most MPROX_CONF_SIZE_MAX bytes).
 * A file that holds a password and is readable by group or others is
 * refused (EACCES) unless @insecure_perms. Returns 0 or -1 with errno and
 * @err filled in, like mprox_conf_parse().
 */
int mprox_conf_read_file(const char *path, bool insecure_perms, struct mprox_conf *conf,
			 struct mprox_conf_error *err);

/*
 * The device name of a configuration file: its base name without ".conf",
 * which must be a valid interface name. Returns 0, or -1 with errno EINVAL
 * or ENAMETOOLONG.
 */
int mprox_conf_name_from_path(const char *path, char name[MPROX_IFNAMSIZ]);

#endif /* MPROX_CONF_H */
