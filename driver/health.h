/* SPDX-License-Identifier: GPL-2.0 */
/*
 * An upstream's health, as the connections through it saw it (passive
 * health; docs/routing.md, "Choosing an upstream").
 *
 * A failure that is the proxy's fault marks the upstream down: no new flow
 * goes to it while another upstream is usable, until its backoff has
 * passed. Then one flow, the trial, may try it; while the trial is out the
 * others still keep away (a proxy that swallows SYNs would otherwise hold
 * every new flow for connect_timeout_ms). If the trial fails too, the
 * backoff doubles, up to a minute; other failures (of attempts begun while
 * it was up) only count. An answer from the proxy, a refusal of the
 * destination included, marks it up again.
 *
 * Pure: the caller serialises the calls and gives the time, so the rules
 * run unchanged in the host unit test (tests/unit/test_choice.c).
 */
#ifndef _MPROX_HEALTH_H
#define _MPROX_HEALTH_H

#include "codec.h"

#define MPROX_HEALTH_BACKOFF_MIN	(1 * HZ)
#define MPROX_HEALTH_BACKOFF_MAX	(60 * HZ)
/*
 * A trial still out after this is forgotten: longer than any attempt may
 * take (connect and handshake timeouts are at most 300 s), so only a
 * trial whose owner lost it ends this way.
 */
#define MPROX_HEALTH_TRIAL_MAX		(330 * HZ)

struct mprox_health {
	bool down;
	/* Whether since holds a time: it changed at least once. */
	bool changed;
	/* jiffies: the last change between up and down. */
	unsigned long since;
	/* Down: a flow may try it again from here (jiffies). */
	unsigned long retry_at;
	/* Down: the wait that ends at retry_at. */
	unsigned long backoff;
	/* Down: the trial handed out at trial_at is still out. */
	bool trial;
	unsigned long trial_at;
	/* Failures that were the proxy's fault, all time. */
	u64 failures;
	/* The last of them; MPROX_CONNECT_OK while there was none. */
	enum mprox_connect_result last_error;
};

/* What an attempt's outcome says about its proxy. */
enum mprox_health_verdict {
	MPROX_HEALTH_NEUTRAL,	/* nothing: ours, or the destination's silence */
	MPROX_HEALTH_ANSWERED,	/* the proxy answered: it works */
	MPROX_HEALTH_BLAMED,	/* the proxy failed */
};

/*
 * What @res says of the proxy. @requested: the request for the
 * destination had been sent, so that a timeout may be the destination's
 * (a proxy waits for its own connect to it).
 */
enum mprox_health_verdict mprox_health_verdict(enum mprox_connect_result res,
					       bool requested);

/* Whether a new flow may go to the upstream at @now. */
bool mprox_health_usable(const struct mprox_health *h, unsigned long now);

/*
 * A new flow goes to it at @now. Returns true when it is down: that flow
 * holds the trial, @now its token, and gives it back with its report, or
 * with mprox_health_drop_trial() if it never makes one.
 */
bool mprox_health_take(struct mprox_health *h, unsigned long now);
void mprox_health_drop_trial(struct mprox_health *h, unsigned long token);

/*
 * An attempt came to @res at @now; @trial: it held the trial of @token.
 * Returns true when the upstream went from up to down or back.
 */
bool mprox_health_report(struct mprox_health *h, enum mprox_connect_result res,
			 bool requested, bool trial, unsigned long token,
			 unsigned long now);

/*
 * Active probes (probe.h). @full: the probe is a whole CONNECT to
 * probe_target; else it ends before any request (the TCP connect, and
 * SOCKS5's greeting and password).
 *
 * What a probe's outcome says: an answer (a refusal by the target too)
 * that the proxy works; the proxy's own failures, a timeout, and with
 * @full the target unreachable through it, that it does not.
 */
enum mprox_health_verdict mprox_health_probe_verdict(enum mprox_connect_result res,
						     bool full);

/*
 * Whether probes can tell that what keeps @h down is over: any failure
 * with @full; else only a failure to reach the proxy (its port, a timeout,
 * a loop), not one in what a probe never says (a request refused, a
 * broken reply). Those come back through the trial, as without probes.
 * The last failure decides, not the first: a proxy killed in the middle
 * of a handshake breaks that reply, and refuses its port from then on.
 */
bool mprox_health_probe_covers(const struct mprox_health *h, bool full);

/* mprox_health_usable() while probes run: no trial for what they cover. */
bool mprox_health_usable_probed(const struct mprox_health *h,
				unsigned long now, bool full);

/* A probe came to @res at @now. Returns true when @h went down or up. */
bool mprox_health_report_probe(struct mprox_health *h,
			       enum mprox_connect_result res, bool full,
			       unsigned long now);

#endif /* _MPROX_HEALTH_H */
