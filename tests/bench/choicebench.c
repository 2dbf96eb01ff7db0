// SPDX-License-Identifier: GPL-2.0
/*
 * choicebench: the microbenchmark of a new flow's choice of upstream
 * (driver/choice_bench.h, which the KUnit suite mprox-choice-bench runs in
 * the emulated test guests), built for the host: the same code, on a CPU
 * that is not emulated. Prints the cost of one choice; exits 1 when a
 * choice went the wrong way, never for the cost (docs/performance.md).
 *
 *   choicebench [ROUNDS]    ROUNDS of 20,000 flows each (default 5)
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "choice_bench.h"

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	static u32 daddr[CHOICE_BENCH_FLOWS];
	int rounds = argc > 1 ? atoi(argv[1]) : 5, bad, r;
	struct choice_bench *b = calloc(1, sizeof(*b));
	u32 i, wrong = 0, in_set = 0;
	double *ns;

	if (rounds < 1 || rounds > 1000) {
		fprintf(stderr, "usage: choicebench [ROUNDS (1-1000)]\n");
		return 2;
	}
	ns = calloc(rounds, sizeof(*ns));
	if (b)
		b->set = calloc(MPROX_SET_PREFIXES_MAX, sizeof(*b->set));
	if (!b || !ns || !b->set) {
		perror("choicebench");
		return 1;
	}
	if (choice_bench_set(b->set)) {
		fprintf(stderr, "choicebench: the set does not sort\n");
		return 1;
	}
	bad = choice_bench_setup(b);
	if (bad >= 0) {
		fprintf(stderr, "choicebench: rule %d does not parse\n", bad);
		return 1;
	}
	srandom(1);
	for (r = 0; r < rounds; r++) {
		double t0;

		for (i = 0; i < CHOICE_BENCH_FLOWS; i++)
			daddr[i] = choice_bench_daddr((u32)random());
		t0 = now_ns();
		wrong += choice_bench_run(b, daddr, CHOICE_BENCH_FLOWS, &in_set);
		ns[r] = (now_ns() - t0) / CHOICE_BENCH_FLOWS;
	}
	qsort(ns, rounds, sizeof(*ns), cmp_double);
	printf("choice: %d rules (the last on a set of %d prefixes), %d upstreams: "
	       "%.0f ns a flow (median of %d rounds of %d flows; min %.0f, max %.0f), "
	       "on the host's CPU; target: under 1000\n",
	       CHOICE_BENCH_RULES, MPROX_SET_PREFIXES_MAX, CHOICE_BENCH_UPSTREAMS, ns[rounds / 2],
	       rounds, CHOICE_BENCH_FLOWS, ns[0], ns[rounds - 1]);
	if (wrong)
		printf("choicebench: %u flows took the wrong way\n", wrong);
	free(b->set);
	free(b);
	free(ns);
	return wrong ? 1 : 0;
}
