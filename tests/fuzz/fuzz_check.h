/* SPDX-License-Identifier: GPL-2.0 */
/* What every fuzz target asserts with: a broken invariant aborts, which
 * libFuzzer reports as a crash with the input that caused it.
 */
#ifndef MPROX_FUZZ_CHECK_H
#define MPROX_FUZZ_CHECK_H

#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond)                                                                          \
	do {                                                                                 \
		if (!(cond)) {                                                               \
			fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, \
				#cond);                                                      \
			abort();                                                             \
		}                                                                            \
	} while (0)

#endif /* MPROX_FUZZ_CHECK_H */
