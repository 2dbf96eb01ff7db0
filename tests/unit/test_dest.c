// SPDX-License-Identifier: GPL-2.0
/*
 * The address and port texts (driver/dest.c), built for the host with
 * tests/shim/kernel_shim.h. The cases are driver/dest_test_cases.h, which
 * the KUnit suite runs too; this is only the runner. Prints TAP.
 */
#include <stdio.h>
#include <stdlib.h>

#include "dest.h"
#include "dest_test_cases.h"
#include "unit_tap.h"

int main(void)
{
	/* Heap, not stack: ASan then sees a byte past its end. */
	u8 *scratch = malloc(MPROX_DEST_TEST_SCRATCH);
	char desc[80];
	size_t i;

	if (!scratch)
		return 1;
	printf("1..%zu\n", ARRAY_SIZE(mprox_dest_text_cases));
	for (i = 0; i < ARRAY_SIZE(mprox_dest_text_cases); i++) {
		const struct mprox_dest_text_case *c = &mprox_dest_text_cases[i];

		mprox_dest_text_case_desc(c, desc, sizeof(desc));
		result(mprox_dest_text_case_run(c, scratch), desc);
	}
	free(scratch);
	return failed ? 1 : 0;
}
