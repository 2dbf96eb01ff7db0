// SPDX-License-Identifier: GPL-2.0
/*
 * An upstream's passive health; see health.h.
 */

#ifdef __KERNEL__
#include <linux/jiffies.h>
#include <linux/minmax.h>
#endif

#include "health.h"

enum mprox_health_verdict mprox_health_verdict(enum mprox_connect_result res,
					       bool requested)
{
	switch (res) {
	case MPROX_CONNECT_UPSTREAM_DOWN:	/* its TCP port */
	case MPROX_CONNECT_PROXY_ERROR:
	case MPROX_CONNECT_AUTH_FAILED:		/* our credentials, its users */
	case MPROX_CONNECT_CMD_UNSUPPORTED:
	case MPROX_CONNECT_LOOP:		/* the route to it */
		return MPROX_HEALTH_BLAMED;
	case MPROX_CONNECT_TIMEOUT:
		/*
		 * Once asked for the destination, a proxy may be waiting for
		 * a destination that does not answer: one black hole must
		 * not take the proxy away from every other flow.
		 */
		return requested ? MPROX_HEALTH_NEUTRAL : MPROX_HEALTH_BLAMED;
	case MPROX_CONNECT_ABORTED:
	case MPROX_CONNECT_NO_UPSTREAM:
	case MPROX_CONNECT_ALL_DOWN:
	case MPROX_CONNECT_REJECTED:
		return MPROX_HEALTH_NEUTRAL;
	default:
		return MPROX_HEALTH_ANSWERED;
	}
}

bool mprox_health_usable(const struct mprox_health *h, unsigned long now)
{
	if (!h->down)
		return true;
	/*
	 * Before retry_at, unless jiffies wrapped past it: an upstream left
	 * down for weeks (a backup never needed) must come back. The same
	 * for a lost trial.
	 */
	if (time_before(now, h->retry_at) &&
	    !time_after(h->retry_at, now + MPROX_HEALTH_BACKOFF_MAX))
		return false;
	return !h->trial || !time_before(now, h->trial_at + MPROX_HEALTH_TRIAL_MAX) ||
	       time_after(h->trial_at, now);
}

bool mprox_health_take(struct mprox_health *h, unsigned long now)
{
	if (!h->down)
		return false;
	h->trial = true;
	h->trial_at = now;
	return true;
}

/* Whether @token is the trial still out (not one forgotten and replaced). */
static bool mprox_health_is_trial(const struct mprox_health *h,
				  unsigned long token)
{
	return h->trial && h->trial_at == token;
}

void mprox_health_drop_trial(struct mprox_health *h, unsigned long token)
{
	if (mprox_health_is_trial(h, token))
		h->trial = false;
}

static void mprox_health_set(struct mprox_health *h, bool down,
			     unsigned long now)
{
	h->down = down;
	h->changed = true;
	h->since = now;
	h->trial = false;
	h->backoff = down ? MPROX_HEALTH_BACKOFF_MIN : 0;
	h->retry_at = now + h->backoff;
}

/* Apply @v, what an attempt that came to @res says (@trial: it held it). */
static bool mprox_health_apply(struct mprox_health *h,
			       enum mprox_health_verdict v,
			       enum mprox_connect_result res, bool trial,
			       unsigned long now)
{
	switch (v) {
	case MPROX_HEALTH_NEUTRAL:
		return false;
	case MPROX_HEALTH_ANSWERED:
		if (!h->down)
			return false;
		mprox_health_set(h, false, now);
		return true;
	case MPROX_HEALTH_BLAMED:
		break;
	}

	h->failures++;
	h->last_error = res;
	if (!h->down) {
		mprox_health_set(h, true, now);
		return true;
	}
	/*
	 * Attempts begun while it was thought up, on a spare or by a probe,
	 * only count: the trial's failure doubles the backoff.
	 */
	if (trial) {
		h->backoff = min_t(unsigned long, h->backoff * 2,
				   MPROX_HEALTH_BACKOFF_MAX);
		h->retry_at = now + h->backoff;
	}
	return false;
}

bool mprox_health_report(struct mprox_health *h, enum mprox_connect_result res,
			 bool requested, bool trial, unsigned long token,
			 unsigned long now)
{
	/* A trial forgotten and handed out again is the new one's to end. */
	trial = trial && mprox_health_is_trial(h, token);
	if (trial)
		h->trial = false;
	return mprox_health_apply(h, mprox_health_verdict(res, requested), res,
				  trial, now);
}

enum mprox_health_verdict mprox_health_probe_verdict(enum mprox_connect_result res,
						     bool full)
{
	switch (res) {
	case MPROX_CONNECT_OK:
	case MPROX_CONNECT_REFUSED:	/* the target's host answered */
		return MPROX_HEALTH_ANSWERED;
	case MPROX_CONNECT_ABORTED:
	case MPROX_CONNECT_NO_UPSTREAM:
	case MPROX_CONNECT_ALL_DOWN:
	case MPROX_CONNECT_REJECTED:
		return MPROX_HEALTH_NEUTRAL;
	case MPROX_CONNECT_UPSTREAM_DOWN:
	case MPROX_CONNECT_PROXY_ERROR:
	case MPROX_CONNECT_AUTH_FAILED:
	case MPROX_CONNECT_CMD_UNSUPPORTED:
	case MPROX_CONNECT_LOOP:
	case MPROX_CONNECT_TIMEOUT:
		return MPROX_HEALTH_BLAMED;
	default:
		/* The target unreachable through it: what the admin chose to test. */
		return full ? MPROX_HEALTH_BLAMED : MPROX_HEALTH_ANSWERED;
	}
}

bool mprox_health_probe_covers(const struct mprox_health *h, bool full)
{
	if (full)
		return true;
	switch (h->last_error) {
	case MPROX_CONNECT_UPSTREAM_DOWN:
	case MPROX_CONNECT_TIMEOUT:
	case MPROX_CONNECT_LOOP:
		return true;
	default:
		return false;
	}
}

bool mprox_health_usable_probed(const struct mprox_health *h,
				unsigned long now, bool full)
{
	if (h->down && mprox_health_probe_covers(h, full))
		return false;
	return mprox_health_usable(h, now);
}

bool mprox_health_report_probe(struct mprox_health *h,
			       enum mprox_connect_result res, bool full,
			       unsigned long now)
{
	enum mprox_health_verdict v = mprox_health_probe_verdict(res, full);

	/* It could not see why the upstream is down: the trial decides. */
	if (v == MPROX_HEALTH_ANSWERED && h->down &&
	    !mprox_health_probe_covers(h, full))
		return false;
	return mprox_health_apply(h, v, res, false, now);
}
