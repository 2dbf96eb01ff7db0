/* SPDX-License-Identifier: GPL-2.0 */
/* What every fuzz target asserts with: a broken invariant aborts, which
 * libFuzzer reports as a crash with the input that caused it.
 */
#ifndef MPROX_FUZZ_CHECK_H
#define MPROX_FUZZ_CHECK_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond)                                                                          \
	do {                                                                                 \
		if (!(cond)) {                                                               \
			fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, \
				#cond);                                                      \
			abort();                                                             \
		}                                                                            \
	} while (0)

/* The input as a C string (a NUL ends it early), to free; NULL without memory. */
static inline char *fuzz_string(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s) {
		memcpy(s, data, size);
		s[size] = '\0';
	}
	return s;
}

#endif /* MPROX_FUZZ_CHECK_H */
