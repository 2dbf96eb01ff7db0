// SPDX-License-Identifier: MIT
/*
 * Create an mprox device, give it a SOCKS5 upstream and keep it while this
 * program runs. Copy freely.
 *
 *   cc -o create-and-configure create-and-configure.c $(pkg-config --cflags --libs mprox)
 *   sudo ./create-and-configure mprox0 socks5://10.0.0.1:1080
 *
 * Then, from another shell: ip link set mprox0 up; ip route add default dev
 * mprox0 table 100; ip rule add uidrange 1000-1000 lookup 100.
 */
/* pause(), poll(): POSIX, which strict C11 does not give by itself. */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <mprox.h>

int main(int argc, char **argv)
{
	char ifname[MPROX_IFNAMSIZ], directives[1200];
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: %s IFNAME URL\n", argv[0]);
		return 2;
	}
	fd = mprox_create(argv[1], MPROX_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "mprox_create: %s\n", mprox_strerror(errno));
		return 1;
	}
	snprintf(directives, sizeof(directives),
		 "upstream add main %s\nset connect_timeout_ms 5000\n", argv[2]);
	if (mprox_apply(fd, directives) < 0) {
		/* Nothing was applied: the directives are all or nothing. */
		fprintf(stderr, "mprox_apply: %s\n", mprox_strerror(errno));
		return 1;
	}
	mprox_ifname(fd, ifname);
	printf("%s is ready; it goes away when this program exits (Ctrl-C)\n", ifname);
	pause();
	return 0;
}
