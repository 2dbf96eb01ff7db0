// SPDX-License-Identifier: MIT
/*
 * Print an mprox device's state whenever it changes, until the device is
 * deleted. Copy freely.
 *
 *   cc -o watch-status watch-status.c $(pkg-config --cflags --libs mprox)
 *   sudo ./watch-status mprox0
 */
/* pause(), poll(): POSIX, which strict C11 does not give by itself. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>

#include <mprox.h>

int main(int argc, char **argv)
{
	struct pollfd p;
	char *json;

	if (argc != 2) {
		fprintf(stderr, "usage: %s IFNAME\n", argv[0]);
		return 2;
	}
	p.fd = mprox_attach(argv[1], MPROX_CLOEXEC);
	if (p.fd < 0) {
		fprintf(stderr, "mprox_attach: %s\n", mprox_strerror(errno));
		return 1;
	}
	p.events = POLLIN;
	for (;;) {
		/* Reading the document is what clears POLLIN. */
		json = mprox_status_json(p.fd);
		if (!json) {
			fprintf(stderr, "read: %s\n", mprox_strerror(errno));
			return errno == ENODEV ? 0 : 1;
		}
		fputs(json, stdout);
		fflush(stdout);
		free(json);
		if (poll(&p, 1, -1) < 0 && errno != EINTR)
			return 1;
		if (p.revents & (POLLERR | POLLHUP)) {
			printf("%s was deleted\n", argv[1]);
			return 0;
		}
	}
}
