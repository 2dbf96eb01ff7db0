// SPDX-License-Identifier: GPL-2.0
/* Error reporting, small parsers and the runtime directory, shared by the subcommands. */
#include <ctype.h>
#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

int cli_usage(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "mprox %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'mprox %s --help'.\n", cmd);
	return CLI_USAGE;
}

int cli_fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "mprox: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return CLI_FAILED;
}

bool cli_is_help(const char *arg)
{
	return !strcmp(arg, "-h") || !strcmp(arg, "--help") || !strcmp(arg, "help");
}

int cli_parse_ulong(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	const char *digits = s, *c;
	unsigned long v;
	int base = 10;

	/* Not strtoul()'s base 0: "010" is ten, not octal eight (cli.h). */
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		digits = s + 2;
		base = 16;
	}
	for (c = digits; *c; c++)
		if (base == 10 ? !isdigit((unsigned char)*c) : !isxdigit((unsigned char)*c))
			break;
	if (c == digits || *c) {
		errno = EINVAL;
		return -1;
	}
	errno = 0;
	v = strtoul(digits, NULL, base);
	if (errno == ERANGE || v < min || v > max) {
		errno = ERANGE;
		return -1;
	}
	*out = v;
	return 0;
}

char *cli_list_item(char *line)
{
	char *p = line + strspn(line, " \t"), *end;

	end = p + strcspn(p, "#\n\r");
	while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	*end = '\0';
	return p;
}

bool cli_ifname(const char *s)
{
	size_t n = strlen(s);
	const char *p;

	if (!n || n >= IFNAMSIZ || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (p = s; *p; p++)
		if (*p == '/' || *p == ':' || isspace((unsigned char)*p))
			return false;
	return true;
}

bool cli_nft_ifname(const char *s)
{
	const char *p;

	if (!cli_ifname(s))
		return false;
	/* What nftables takes in a chain name, as route-NAME. */
	for (p = s; *p; p++)
		if (!isalnum((unsigned char)*p) && !strchr("_.-", *p))
			return false;
	return true;
}

int cli_runtime_path(char *buf, size_t len, const char *fmt, ...)
{
	const char *dir = getuid() == 0 ? "/run" : getenv("XDG_RUNTIME_DIR");
	va_list ap;
	int n, m;

	if (!dir) {
		errno = ENOENT;
		return -1;
	}
	n = snprintf(buf, len, "%s/mprox", dir);
	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (mkdir(buf, 0700) && errno != EEXIST)
		return -1;
	va_start(ap, fmt);
	m = vsnprintf(buf + n, len - n, fmt, ap);
	va_end(ap);
	if (m < 0 || (size_t)m >= len - n) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int cli_lock(void)
{
	char path[512] = "the runtime directory";
	int fd = -1;

	if (cli_runtime_path(path, sizeof(path), "/lock") == 0)
		fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	while (fd >= 0 && flock(fd, LOCK_EX)) {
		if (errno != EINTR) {
			close(fd);
			fd = -1;
		}
	}
	if (fd < 0)
		fprintf(stderr,
			"mprox: cannot lock %s: %s; going on, but another mprox route or exec "
			"must not run now\n",
			path, strerror(errno));
	return fd;
}

void cli_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}

int cli_write_file(const char *path, const char *text)
{
	char tmp[PATH_MAX + 16];
	size_t len = strlen(text);
	int fd, err;

	snprintf(tmp, sizeof(tmp), "%s.XXXXXX", path);
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -1;
	/* A short write sets no errno. */
	errno = EIO;
	if (write(fd, text, len) != (ssize_t)len || fsync(fd)) {
		err = errno;
		close(fd);
	} else if (close(fd) || rename(tmp, path)) {
		err = errno;
	} else {
		return 0;
	}
	unlink(tmp);
	errno = err;
	return -1;
}
