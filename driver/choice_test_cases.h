/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Test cases of the choice of upstream: passive health (health.c) and the
 * pick (balance.c). Shared by the KUnit suite (choice_test.c) and the host
 * unit test (tests/unit/test_choice.c): one table each, two runners.
 * Include after health.h and balance.h (and <linux/kernel.h>, or the shim
 * and <stdio.h>).
 */
#ifndef _MPROX_CHOICE_TEST_CASES_H
#define _MPROX_CHOICE_TEST_CASES_H

/* Milliseconds as jiffies, from a start just before the counter wraps. */
#define TC_T0		((unsigned long)-5 * HZ)
#define TC_MS(ms)	(TC_T0 + (unsigned long)(ms) * HZ / 1000)

/* One step, and the state it must leave. */
enum mprox_health_op {
	TC_REPORT,	/* an attempt's outcome */
	TC_TAKE,	/* a new flow goes to it (it must be usable) */
	TC_DROP,	/* the flow with the trial of token went away */
	TC_LOOK,	/* only look */
};

struct mprox_health_step {
	enum mprox_health_op op;
	enum mprox_connect_result res;
	bool requested;
	bool trial;			/* REPORT: it held the trial of token */
	unsigned long token, now;
	/* Want: */
	bool changed, down, usable_now;
	unsigned long retry_at;		/* when down */
	u64 failures;
};

struct mprox_health_case {
	const char *desc;
	unsigned int n;
	struct mprox_health_step steps[16];
};

/* The proxy's TCP port refused, at @at (ms); the trial of @tr or none. */
#define TC_FAIL_T(tr, tok, at, chg, usable, ret, nf) \
	{ TC_REPORT, MPROX_CONNECT_UPSTREAM_DOWN, false, tr, TC_MS(tok), TC_MS(at), \
	  chg, true, usable, TC_MS(ret), nf }
#define TC_FAIL(at, chg, usable, ret, nf) TC_FAIL_T(false, 0, at, chg, usable, ret, nf)
/* The trial handed out at @tok failed at @at. */
#define TC_TRIAL_FAILS(tok, at, ret, nf) TC_FAIL_T(true, tok, at, false, false, ret, nf)
#define TC_OK(at, chg, nf) \
	{ TC_REPORT, MPROX_CONNECT_OK, true, false, 0, TC_MS(at), chg, false, true, 0, nf }
#define TC_ANSWER(res, req, at, chg, nf) \
	{ TC_REPORT, res, req, false, 0, TC_MS(at), chg, false, true, 0, nf }
/* A flow takes the down upstream at @at: the trial; nobody else may. */
#define TC_TRIAL(at, ret, nf) \
	{ TC_TAKE, MPROX_CONNECT_OK, false, false, 0, TC_MS(at), false, true, false, \
	  TC_MS(ret), nf }
/* A down upstream looked at, at @now (jiffies). */
#define TC_LOOK_AT(now, usable, ret, nf) \
	{ TC_LOOK, MPROX_CONNECT_OK, false, false, 0, now, false, true, usable, ret, nf }

static const struct mprox_health_case mprox_health_cases[] = {
	{ "success while up changes nothing", 1, {
		TC_OK(1000, false, 0) } },
	{ "one failure: down for 1 s", 1, {
		TC_FAIL(2000, true, false, 3000, 1) } },
	{ "failures of attempts made while it was up do not double the backoff", 3, {
		TC_FAIL(2000, true, false, 3000, 1),
		TC_FAIL(2500, false, false, 3000, 2),
		TC_FAIL(3500, false, true, 3000, 3) } },
	{ "after the backoff one flow is the trial; the others keep away", 3, {
		TC_FAIL(0, true, false, 1000, 1),
		TC_LOOK_AT(TC_MS(1000), true, TC_MS(1000), 1),
		TC_TRIAL(1500, 1000, 1) } },
	{ "each failed trial doubles the backoff", 7, {
		TC_FAIL(2000, true, false, 3000, 1),
		TC_TRIAL(3000, 3000, 1),
		TC_TRIAL_FAILS(3000, 3500, 5500, 2),
		TC_TRIAL(5500, 5500, 2),
		TC_TRIAL_FAILS(5500, 6000, 10000, 3),
		TC_TRIAL(10000, 10000, 3),
		TC_TRIAL_FAILS(10000, 10000, 18000, 4) } },
	{ "another flow's failure does not end the trial", 3, {
		TC_FAIL(0, true, false, 1000, 1),
		TC_TRIAL(1000, 1000, 1),
		TC_FAIL(1200, false, false, 1000, 2) } },
	{ "a trial whose flow went away goes to the next flow", 3, {
		TC_FAIL(0, true, false, 1000, 1),
		TC_TRIAL(1000, 1000, 1),
		{ TC_DROP, MPROX_CONNECT_OK, false, false, TC_MS(1000), TC_MS(1100), false, true,
		  true, TC_MS(1000), 1 } } },
	{ "a trial never given back is forgotten after 330 s", 4, {
		TC_FAIL(0, true, false, 1000, 1),
		TC_TRIAL(1000, 1000, 1),
		TC_LOOK_AT(TC_MS(330999), false, TC_MS(1000), 1),
		TC_LOOK_AT(TC_MS(331000), true, TC_MS(1000), 1) } },
	{ "a forgotten trial's report does not end the next one's", 4, {
		TC_FAIL(0, true, false, 1000, 1),
		TC_TRIAL(1000, 1000, 1),
		TC_TRIAL(331000, 1000, 1),
		TC_FAIL_T(true, 1000, 331500, false, false, 1000, 2) } },
	{ "a trial that ends saying nothing lets the next flow try", 3, {
		TC_FAIL(0, true, false, 1000, 1),
		TC_TRIAL(1000, 1000, 1),
		{ TC_REPORT, MPROX_CONNECT_TIMEOUT, true, true, TC_MS(1000), TC_MS(3000), false,
		  true, true, TC_MS(1000), 1 } } },
	{ "a success after the trial: up, and the backoff starts again", 5, {
		TC_FAIL(2000, true, false, 3000, 1),
		TC_TRIAL(3000, 3000, 1),
		TC_TRIAL_FAILS(3000, 3000, 5000, 2),
		TC_OK(5200, true, 2),
		TC_FAIL(7000, true, false, 8000, 3) } },
	{ "the destination refused: the proxy answered, so it is up", 2, {
		TC_FAIL(0, true, false, 1000, 1),
		TC_ANSWER(MPROX_CONNECT_REFUSED, true, 1100, true, 1) } },
	{ "a timeout after the request says nothing of the proxy", 2, {
		TC_FAIL(0, true, false, 1000, 1),
		{ TC_REPORT, MPROX_CONNECT_TIMEOUT, true, false, 0, TC_MS(500), false, true, false,
		  TC_MS(1000), 1 } } },
	{ "a timeout before the request is the proxy's fault", 1, {
		{ TC_REPORT, MPROX_CONNECT_TIMEOUT, false, false, 0, TC_MS(10000), true, true,
		  false, TC_MS(11000), 1 } } },
	{ "bad credentials are the proxy's fault", 1, {
		{ TC_REPORT, MPROX_CONNECT_AUTH_FAILED, true, false, 0, TC_MS(0), true, true, false,
		  TC_MS(1000), 1 } } },
	{ "an abort says nothing", 2, {
		TC_FAIL(0, true, false, 1000, 1),
		{ TC_REPORT, MPROX_CONNECT_ABORTED, false, false, 0, TC_MS(1000), false, true,
		  true, TC_MS(1000), 1 } } },
	{ "all upstreams down says nothing", 1, {
		TC_ANSWER(MPROX_CONNECT_ALL_DOWN, false, 0, false, 0) } },
	{ "the backoff stops at 60 s", 15, {
		TC_FAIL(0, true, false, 1000, 1),
		TC_TRIAL(1000, 1000, 1), TC_TRIAL_FAILS(1000, 1000, 3000, 2),
		TC_TRIAL(3000, 3000, 2), TC_TRIAL_FAILS(3000, 3000, 7000, 3),
		TC_TRIAL(7000, 7000, 3), TC_TRIAL_FAILS(7000, 7000, 15000, 4),
		TC_TRIAL(15000, 15000, 4), TC_TRIAL_FAILS(15000, 15000, 31000, 5),
		TC_TRIAL(31000, 31000, 5), TC_TRIAL_FAILS(31000, 31000, 63000, 6),
		TC_TRIAL(63000, 63000, 6), TC_TRIAL_FAILS(63000, 63000, 123000, 7),
		TC_TRIAL(123000, 123000, 7), TC_TRIAL_FAILS(123000, 123000, 183000, 8) } },
	{ "down so long that jiffies wrapped past retry_at: usable", 2, {
		TC_FAIL(0, true, false, 1000, 1),
		TC_LOOK_AT(TC_MS(1000) + (~0UL >> 1) + 1, true, TC_MS(1000), 1) } },
	{ "a trial out so long that jiffies wrapped: forgotten", 3, {
		TC_FAIL(0, true, false, 1000, 1),
		TC_TRIAL(1000, 1000, 1),
		TC_LOOK_AT(TC_MS(1000 + 1000000) + (~0UL >> 1) + 1, true, TC_MS(1000), 1) } },
};

/* The check of one case; NULL, or what went wrong (in @buf). */
static inline const char *mprox_health_case_run(const struct mprox_health_case *c,
						char *buf, size_t size)
{
	struct mprox_health h = { 0 };
	unsigned int i;

	for (i = 0; i < c->n; i++) {
		const struct mprox_health_step *s = &c->steps[i];
		bool changed = false, usable;

		if (s->op == TC_REPORT) {
			changed = mprox_health_report(&h, s->res, s->requested, s->trial,
						      s->token, s->now);
		} else if (s->op == TC_TAKE) {
			if (!mprox_health_usable(&h, s->now) || !mprox_health_take(&h, s->now)) {
				snprintf(buf, size, "step %u: not usable for the trial", i);
				return buf;
			}
		} else if (s->op == TC_DROP) {
			mprox_health_drop_trial(&h, s->token);
		}
		usable = mprox_health_usable(&h, s->now);
		if (changed != s->changed || h.down != s->down ||
		    usable != s->usable_now || h.failures != s->failures ||
		    (s->down && h.retry_at != s->retry_at) ||
		    (changed && (h.since != s->now || !h.changed))) {
			snprintf(buf, size,
				 "step %u: changed %d down %d usable %d failures %llu retry_at %+ld ms",
				 i, changed, h.down, usable,
				 (unsigned long long)h.failures,
				 (long)(h.retry_at - TC_T0) * 1000 / HZ);
			return buf;
		}
	}
	return NULL;
}

/*
 * Active probes (health.h): flows' failures and probes' outcomes in turn,
 * 100 ms apart (within the first backoff), and after each whether the
 * upstream is down and whether a new flow may go to it while probes run.
 */
enum mprox_probe_op {
	TP_FLOW,	/* a flow's attempt, before its request */
	TP_PROBE,	/* a probe */
	TP_LOOK,	/* only look, 5 s on: any backoff is over */
};

struct mprox_probe_case {
	const char *desc;
	bool full;			/* probe_target set */
	unsigned int n;
	struct {
		enum mprox_probe_op op;
		enum mprox_connect_result res;
		bool down, usable;
	} steps[4];
};

static const struct mprox_probe_case mprox_probe_cases[] = {
	{ "a probe that cannot reach the proxy marks it down", false, 1, {
		{ TP_PROBE, MPROX_CONNECT_UPSTREAM_DOWN, true, false } } },
	{ "a probe whose greeting times out marks it down", false, 1, {
		{ TP_PROBE, MPROX_CONNECT_TIMEOUT, true, false } } },
	{ "a probe brings back a proxy whose port refused", false, 2, {
		{ TP_FLOW, MPROX_CONNECT_UPSTREAM_DOWN, true, false },
		{ TP_PROBE, MPROX_CONNECT_OK, false, true } } },
	{ "probes cover a refused port: no trial after the backoff", false, 2, {
		{ TP_FLOW, MPROX_CONNECT_UPSTREAM_DOWN, true, false },
		{ TP_LOOK, MPROX_CONNECT_OK, true, false } } },
	{ "a probe without target cannot see a broken reply: the trial decides", false, 3, {
		{ TP_FLOW, MPROX_CONNECT_PROXY_ERROR, true, false },
		{ TP_PROBE, MPROX_CONNECT_OK, true, false },
		{ TP_LOOK, MPROX_CONNECT_OK, true, true } } },
	{ "a whole CONNECT sees it: up again", true, 2, {
		{ TP_FLOW, MPROX_CONNECT_PROXY_ERROR, true, false },
		{ TP_PROBE, MPROX_CONNECT_OK, false, true } } },
	{ "the target refused: the proxy works", true, 2, {
		{ TP_FLOW, MPROX_CONNECT_UPSTREAM_DOWN, true, false },
		{ TP_PROBE, MPROX_CONNECT_REFUSED, false, true } } },
	{ "the target unreachable through it: down", true, 1, {
		{ TP_PROBE, MPROX_CONNECT_HOST_UNREACH, true, false } } },
	{ "the target silent through it: down", true, 1, {
		{ TP_PROBE, MPROX_CONNECT_TIMEOUT, true, false } } },
	{ "a whole CONNECT: no trial after the backoff either", true, 2, {
		{ TP_FLOW, MPROX_CONNECT_AUTH_FAILED, true, false },
		{ TP_LOOK, MPROX_CONNECT_OK, true, false } } },
	/* The last failure decides (health.h). */
	{ "a reply broken by the proxy's death, then its port refused: the probes'", false, 3, {
		{ TP_FLOW, MPROX_CONNECT_PROXY_ERROR, true, false },
		{ TP_FLOW, MPROX_CONNECT_UPSTREAM_DOWN, true, false },
		{ TP_LOOK, MPROX_CONNECT_OK, true, false } } },
	{ "an aborted probe says nothing", false, 2, {
		{ TP_FLOW, MPROX_CONNECT_UPSTREAM_DOWN, true, false },
		{ TP_PROBE, MPROX_CONNECT_ABORTED, true, false } } },
};

static inline const char *mprox_probe_case_run(const struct mprox_probe_case *c,
					       char *buf, size_t size)
{
	struct mprox_health h = { 0 };
	unsigned long now;
	unsigned int i;
	bool usable;

	for (i = 0; i < c->n; i++) {
		now = c->steps[i].op == TP_LOOK ? TC_MS(5000 + 100 * i) : TC_MS(100 * i);
		if (c->steps[i].op == TP_FLOW)
			mprox_health_report(&h, c->steps[i].res, false, false, 0, now);
		else if (c->steps[i].op == TP_PROBE)
			mprox_health_report_probe(&h, c->steps[i].res, c->full, now);
		usable = mprox_health_usable_probed(&h, now, c->full);
		if (h.down != c->steps[i].down || usable != c->steps[i].usable) {
			snprintf(buf, size, "step %u: down %d usable %d", i, h.down, usable);
			return buf;
		}
	}
	return NULL;
}

/*
 * Picks: items (weight, priority, usable, active connections), the mode,
 * and the indexes picked in turn. @keep: each pick's connection stays open
 * (its active count goes up), as under least-connections' load.
 */
struct mprox_balance_case {
	const char *desc;
	unsigned int n;
	struct { u32 weight; u8 priority; bool usable; u32 active; } items[4];
	enum mprox_balance_mode mode;
	bool keep;
	const char *want;	/* one digit per pick; '-' for none */
};

#define TB_W	MPROX_BALANCE_WEIGHTED
#define TB_RR	MPROX_BALANCE_ROUND_ROBIN
#define TB_LC	MPROX_BALANCE_LEAST_CONNECTIONS

static const struct mprox_balance_case mprox_balance_cases[] = {
	{ "one upstream", 1, { { 1, 0, true, 0 } }, TB_W, false, "0000" },
	{ "equal weights alternate", 2, { { 1, 0, true, 0 }, { 1, 0, true, 0 } }, TB_W, false,
	  "010101" },
	{ "weights 3 and 1: smooth", 2, { { 3, 0, true, 0 }, { 1, 0, true, 0 } }, TB_W, false,
	  "00100010" },
	{ "weights 5, 1, 1: spread out", 3,
	  { { 5, 0, true, 0 }, { 1, 0, true, 0 }, { 1, 0, true, 0 } }, TB_W, false,
	  "00102000010200" },
	{ "the lowest priority number first", 3,
	  { { 1, 1, true, 0 }, { 1, 0, true, 0 }, { 1, 2, true, 0 } }, TB_W, false, "1111" },
	{ "an unusable upstream is skipped", 3,
	  { { 1, 0, false, 0 }, { 1, 0, true, 0 }, { 1, 0, true, 0 } }, TB_W, false, "1212" },
	{ "a group with none usable fails over to the next", 3,
	  { { 1, 0, false, 0 }, { 1, 1, true, 0 }, { 1, 1, true, 0 } }, TB_W, false, "1212" },
	{ "priority 255 is a priority", 2,
	  { { 1, 255, true, 0 }, { 1, 255, false, 0 } }, TB_W, false, "00" },
	{ "none usable: none", 2, { { 1, 0, false, 0 }, { 1, 1, false, 0 } }, TB_W, false, "--" },
	{ "no upstream: none", 0, { { 0 } }, TB_W, false, "-" },
	{ "weight 1000 beside 1", 2, { { 1000, 0, true, 0 }, { 1, 0, true, 0 } }, TB_W, false,
	  "00000" },
	{ "round-robin ignores the weights", 3,
	  { { 3, 0, true, 0 }, { 1, 0, true, 0 }, { 1, 0, true, 0 } }, TB_RR, false, "012012" },
	{ "round-robin within the priority", 3,
	  { { 3, 0, true, 0 }, { 1, 1, true, 0 }, { 1, 0, true, 0 } }, TB_RR, false, "0202" },
	{ "least-connections: the idle one", 3,
	  { { 1, 0, true, 5 }, { 1, 0, true, 0 }, { 1, 0, true, 2 } }, TB_LC, false, "1111" },
	{ "least-connections: for its weight", 2,
	  { { 4, 0, true, 7 }, { 1, 0, true, 2 } }, TB_LC, false, "0000" },
	{ "least-connections: ties by the weighted round robin", 2,
	  { { 3, 0, true, 0 }, { 1, 0, true, 0 } }, TB_LC, false, "00100010" },
	{ "least-connections: connections that stay fill the emptiest", 3,
	  { { 1, 0, true, 2 }, { 1, 0, true, 0 }, { 1, 0, true, 1 } }, TB_LC, true,
	  "1122011022" },
	{ "least-connections: a busy group still goes first", 2,
	  { { 1, 1, true, 0 }, { 1, 0, true, 50 } }, TB_LC, false, "11" },
	{ "least-connections: skips the unusable", 2,
	  { { 1, 0, false, 0 }, { 1, 0, true, 9 } }, TB_LC, false, "11" },
};

struct mprox_balance_test_items {
	struct mprox_balance_item it[4];
};

static inline struct mprox_balance_item *
mprox_balance_test_item(void *arg, unsigned int i)
{
	return &((struct mprox_balance_test_items *)arg)->it[i];
}

static inline const char *mprox_balance_case_run(const struct mprox_balance_case *c,
						 char *buf, size_t size)
{
	struct mprox_balance_test_items items = { 0 };
	size_t i, len = strlen(c->want);
	char got[32];

	for (i = 0; i < c->n; i++) {
		items.it[i].weight = c->items[i].weight;
		items.it[i].priority = c->items[i].priority;
		items.it[i].usable = c->items[i].usable;
		items.it[i].active = c->items[i].active;
	}
	for (i = 0; i < len && i < sizeof(got) - 1; i++) {
		int k = mprox_balance_pick(mprox_balance_test_item, &items, c->n,
					   c->mode);

		got[i] = k < 0 ? '-' : (char)('0' + k);
		if (k >= 0 && c->keep)
			items.it[k].active++;
	}
	got[i] = '\0';
	if (strcmp(got, c->want)) {
		snprintf(buf, size, "picked %s, want %s", got, c->want);
		return buf;
	}
	return NULL;
}

#endif /* _MPROX_CHOICE_TEST_CASES_H */
