// SPDX-License-Identifier: GPL-2.0
/*
 * Reading a configuration file: the I/O around the pure parser of conf.c,
 * and the permission rule of mprox.conf(5): a password is not left readable
 * by group or others unless the user says so.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"

/* Most bytes of a path quoted in a message. */
#define PATH_SHOWN 64

static int file_error(struct mprox_conf_error *err, int errnum, const char *path, const char *what)
{
	err->line = 0;
	snprintf(err->msg, sizeof(err->msg), "%.*s: %s", PATH_SHOWN, path, what);
	errno = errnum;
	return -1;
}

/*
 * Up to MPROX_CONF_SIZE_MAX + 1 bytes of @fd into a new buffer, the extra
 * byte telling a file that is too large. Returns the length or -1.
 */
static ssize_t read_bounded(int fd, char **out)
{
	char *buf = malloc(MPROX_CONF_SIZE_MAX + 1);
	size_t len = 0;
	ssize_t n;

	if (!buf)
		return -1;
	while (len < MPROX_CONF_SIZE_MAX + 1) {
		n = read(fd, buf + len, MPROX_CONF_SIZE_MAX + 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			return -1;
		}
		if (!n)
			break;
		len += n;
	}
	*out = buf;
	return len;
}

int mprox_conf_read_file(const char *path, bool insecure_perms, struct mprox_conf *conf,
			 struct mprox_conf_error *err)
{
	struct stat st;
	ssize_t len;
	char *buf;
	int fd, ret;

	memset(conf, 0, sizeof(*conf));
	/* Non-blocking: a FIFO is refused below, not waited on. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return file_error(err, errno, path, strerror(errno));
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return file_error(err, EINVAL, path, "not a regular file");
	}
	len = read_bounded(fd, &buf);
	ret = errno;
	close(fd);
	if (len < 0)
		return file_error(err, ret, path, strerror(ret));
	if (len > MPROX_CONF_SIZE_MAX) {
		free(buf);
		return file_error(err, E2BIG, path, "larger than 1 MiB");
	}
	ret = mprox_conf_parse(buf, len, conf, err);
	free(buf);
	if (ret)
		return ret;

	/* Checked on what was read, not on the path: the same file. */
	if ((st.st_mode & (S_IRGRP | S_IROTH)) && !insecure_perms && mprox_conf_has_secrets(conf)) {
		mprox_conf_free(conf);
		err->line = 0;
		snprintf(err->msg, sizeof(err->msg),
			 "%.*s holds a password and is readable by group or others: run "
			 "'chmod 600 %.*s', or pass --insecure-perms",
			 PATH_SHOWN, path, PATH_SHOWN, path);
		errno = EACCES;
		return -1;
	}
	return 0;
}
