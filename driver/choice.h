/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The choice of upstream, once per flow, at its SYN, before the engine
 * opens anything, and again for the one retry when the upstream failed
 * (docs/design.md, "The connection engine" in "Data path";
 * docs/routing.md, "Choosing an upstream"): the usable upstreams of the
 * lowest priority number (balance.h), usable meaning the engine has not
 * found the proxy down (health.h). The engine reports each attempt's
 * outcome here.
 */
#ifndef _MPROX_CHOICE_H
#define _MPROX_CHOICE_H

#include "datapath.h"

/*
 * The trial of a down upstream a flow was given (health.h): it gives it
 * back with its report, or with mprox_choice_drop_trial().
 */
struct mprox_trial {
	bool held;
	unsigned long token;
};

/*
 * Which upstreams a flow may go to, as the rules said: any, those of one
 * priority, one (@up, compared, never followed), or none: DIRECT, the
 * device's own connection to the destination (@up, its direct upstream
 * for the flow's family; datapath.h).
 */
enum mprox_choice_kind {
	MPROX_CHOICE_ANY,
	MPROX_CHOICE_PRIORITY,
	MPROX_CHOICE_UPSTREAM,
	MPROX_CHOICE_DIRECT,
};

struct mprox_choice_scope {
	enum mprox_choice_kind kind;
	u8 priority;
	const struct mprox_upstream *up;
};

/*
 * What the rules know of the application that sent @skb (rule.h): its
 * socket's owner and cgroup, when the packet has a local socket. A packet
 * forwarded from a container or another host has none. @pkt then holds
 * @skb's socket, good while @skb is.
 */
void mprox_choice_sender(struct mprox_rule_pkt *pkt, const struct sk_buff *skb);
/*
 * What the rules look at (rule.h) in the app's packet @skb, parsed into @p:
 * its addresses, protocol and destination port, and the socket that sent
 * it (mprox_choice_sender()). @pkt points into @p.
 */
void mprox_choice_pkt(struct mprox_rule_pkt *pkt, const struct sk_buff *skb,
		      const struct mprox_pkt *p);

/*
 * The rules' word on a new flow (rule.h) in @cfg, the device's
 * configuration as the caller read it once: 0 with @scope set, or
 * -ECONNREFUSED when the rule that matched says "reject". RCU read side
 * held, the same section as the choice that follows, which must be given
 * the same @cfg: a scope's upstream is one of that configuration's, and a
 * write may have put another in its place since.
 */
int mprox_choice_rules(struct mprox_datapath *dp,
		       const struct mprox_config *cfg,
		       const struct mprox_rule_pkt *pkt,
		       struct mprox_choice_scope *scope);

/*
 * The upstream for a new flow among @cfg's, within @scope, or NULL with *why:
 * NO_UPSTREAM when the device has none it speaks there (other than
 * @exclude, which may be NULL), ALL_DOWN when every one of them is down.
 * RCU read side held; the caller takes its own reference. Also reads
 * max_flows when @max_flows is given.
 */
struct mprox_upstream *mprox_choose_upstream(struct mprox_datapath *dp,
					     const struct mprox_config *cfg,
					     const struct mprox_choice_scope *scope,
					     const struct mprox_upstream *exclude,
					     u32 *max_flows,
					     enum mprox_connect_result *why,
					     struct mprox_trial *trial);

/* A flow that held @trial of @up goes away without a report. */
void mprox_choice_drop_trial(struct mprox_datapath *dp,
			     struct mprox_upstream *up,
			     struct mprox_trial *trial);

/*
 * An attempt through @up, which held @trial, came to @res; @requested: the
 * request for the destination had been sent (then a timeout is not the
 * proxy's fault). Gives the trial back. Tells the device's watchers when
 * the upstream went down or came back.
 */
void mprox_choice_report(struct mprox_datapath *dp, struct mprox_upstream *up,
			 enum mprox_connect_result res, bool requested,
			 struct mprox_trial *trial);

/*
 * A spare being opened (spare.h), or a UDP association (assoc.h), through
 * @up came to @res: its health as a flow's report would change it,
 * without counting a connect; @trial, which may be NULL, is the trial the
 * attempt held, and is over. Tells the device's watchers when the
 * upstream went down.
 */
void mprox_choice_report_health(struct mprox_datapath *dp,
				struct mprox_upstream *up,
				enum mprox_connect_result res, bool requested,
				struct mprox_trial *trial);

/*
 * An active probe of @up (probe.h; @full: a whole CONNECT to probe_target)
 * came to @res: mprox_health_report_probe(), no connect counted. Tells the
 * device's watchers when the upstream went down or came back.
 */
void mprox_choice_report_probe(struct mprox_datapath *dp,
			       struct mprox_upstream *up,
			       enum mprox_connect_result res, bool full);

#endif /* _MPROX_CHOICE_H */
