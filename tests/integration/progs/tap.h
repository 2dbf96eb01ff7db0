/* SPDX-License-Identifier: GPL-2.0 */
/* TAP output for the C test programs that run inside the test guest. */
#ifndef MPROX_TEST_TAP_H
#define MPROX_TEST_TAP_H

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static int tap_n, tap_failed;

static inline bool tap_ok(bool cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static inline bool tap_ok(bool cond, const char *fmt, ...)
{
	va_list ap;

	tap_n++;
	if (!cond)
		tap_failed++;
	printf("%sok %d - ", cond ? "" : "not ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	return cond;
}

/* A call that must fail with one errno. */
#define tap_errno(expr, want, ...)                                                          \
	({                                                                                  \
		errno = 0;                                                                  \
		long _rc = (long)(expr);                                                    \
		int _e = errno;                                                             \
		bool _ok = _rc == -1 && _e == (want);                                       \
		tap_ok(_ok, __VA_ARGS__);                                                   \
		if (!_ok)                                                                   \
			printf("# got rc %ld errno %d (%s), want errno %d (%s)\n", _rc, _e, \
			       strerror(_e), (want), strerror(want));                       \
		_ok;                                                                        \
	})

#define tap_diag(...)                     \
	do {                              \
		printf("# " __VA_ARGS__); \
		printf("\n");             \
	} while (0)

static inline double tap_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

#endif /* MPROX_TEST_TAP_H */
