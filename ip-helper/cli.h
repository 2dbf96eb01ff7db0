/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What every subcommand of the mprox command shares: the global options,
 * exit codes and error reporting.
 *
 * A subcommand is "int cmd_NAME(const struct cli *cli, int argc, char
 * **argv)" with argv[0] its own name; it returns an exit code. Every error
 * says what to do next, on stderr; output goes to stdout, as a human table
 * or, with -j, as one JSON document (like "ip -j").
 */
#ifndef MPROX_CLI_H
#define MPROX_CLI_H

#include <stdbool.h>
#include <stdio.h>

#define CLI_OK 0 /* done */
#define CLI_FAILED 1 /* the operation failed */
#define CLI_USAGE 2 /* the command line is wrong */

struct cli {
	bool json; /* -j, --json */
	bool pretty; /* -p, --pretty: indented JSON */
};

/* "mprox CMD: <message>" and a hint to CMD's --help; returns CLI_USAGE. */
int cli_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* "mprox: <message>" on stderr; returns CLI_FAILED. */
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Whether @arg asks for help (-h, --help, help). */
bool cli_is_help(const char *arg);

/*
 * Parse a decimal or 0x number in [min, max] from @s. Returns 0, or -1
 * with errno EINVAL (not a number) or ERANGE.
 */
int cli_parse_ulong(const char *s, unsigned long min, unsigned long max, unsigned long *out);

/*
 * One item of a list file (one a line): @line with its leading blanks, a
 * '#' comment, the line end and the blanks before them cut off, in place.
 * Returns where the item starts: "" for a blank or a comment line.
 */
char *cli_list_item(char *line);

/*
 * Whether @s is an interface name the kernel takes (dev_valid_name()):
 * 1-15 bytes, not "." or "..", no '/', ':' or white space.
 */
bool cli_ifname(const char *s);

/*
 * Whether @s is an interface name nftables takes inside a chain name
 * (route-NAME, exec-NAME-PID): 1-15 letters, digits, '_', '.' and '-'.
 */
bool cli_nft_ifname(const char *s);

/*
 * The path of @name (printf-style) in mprox's runtime directory: /run/mprox
 * for root, $XDG_RUNTIME_DIR/mprox otherwise, made (0700) if missing, for
 * what one call leaves the next (rate samples, installed routing). Returns
 * 0, or -1 with errno.
 */
int cli_runtime_path(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Serialise the commands that change routing and table inet mprox (route,
 * exec, and up, down, reload through route): an exclusive flock on the
 * runtime directory's "lock", held until cli_unlock(). Two of them at
 * once would each find the other's objects half made (route's "already
 * routed" check, the table nftables deletes once it is empty). Returns the
 * lock's fd, or -1 after a warning: without a usable runtime directory
 * (no XDG_RUNTIME_DIR, a read-only /run) the command goes on unlocked.
 */
int cli_lock(void);
void cli_unlock(int fd);

/* @text into @path atomically (a new file renamed over it), mode 0600; 0 or -1. */
int cli_write_file(const char *path, const char *text);

#endif /* MPROX_CLI_H */
