// SPDX-License-Identifier: GPL-2.0
/*
 * The state document: device, configuration (passwords never leave the
 * kernel) and counters, as one JSON object.
 */

#include <linux/mm.h>
#include <linux/netdevice.h>
#include <linux/slab.h>
#include <net/net_namespace.h>

#include "conn.h"
#include "device.h"
#include "status.h"

/*
 * The document is bounded. Its buffer is sized from what is known before
 * the build (status_size()); a build that runs out of room all the same
 * starts again with twice the buffer, up to STATUS_MAX_SIZE: every part
 * at its widest, every string escaped to six bytes a character (about
 * 1.1 MiB; a real configuration is a small part of it).
 */
/* The connections listed, at most STATUS_CONN_SIZE bytes each. */
#define STATUS_CONNS_MAX	1024
/*
 * Upper bounds: everything but the upstreams and the connections (under
 * 3 KiB with every number at its widest, the DNS settings and counters
 * about 700 bytes of it), one upstream without its
 * strings, and one connection (two "[IPv6]:port" of 55 bytes with their
 * quotes, a 31-byte upstream name, which needs no escaping, three numbers
 * at their widest: 293 bytes with its comma).
 */
#define STATUS_FIXED_SIZE	4096
#define STATUS_UPSTREAM_SIZE	1024
#define STATUS_CONN_SIZE	300
/*
 * One rule: its text, of which only a cgroup path may need escaping
 * (a domain name never does), and the object around it.
 */
#define STATUS_RULE_SIZE	(256 + MPROX_DNS_NAME_MAX + 32)
/* One set: a 31-byte name, its size and the words around them. */
#define STATUS_SET_SIZE		80
/* A string held in @size bytes, its NUL included, at its widest in JSON. */
#define STATUS_STRING_MAX(size)	(2 + 6 * ((size) - 1))
#define STATUS_MAX_SIZE							\
	(STATUS_FIXED_SIZE +						\
	 MPROX_UPSTREAMS_MAX * (STATUS_UPSTREAM_SIZE +			\
				STATUS_STRING_MAX(MPROX_UPSTREAM_NAME_MAX) + \
				STATUS_STRING_MAX(MPROX_HOST_MAX) +	\
				STATUS_STRING_MAX(MPROX_IFNAMSIZ) +	\
				STATUS_STRING_MAX(MPROX_CRED_MAX)) +	\
	 MPROX_RULES_MAX * (STATUS_RULE_SIZE +				\
			    STATUS_STRING_MAX(MPROX_CGROUP_PATH_MAX)) +	\
	 MPROX_SETS_MAX * STATUS_SET_SIZE +				\
	 STATUS_CONNS_MAX * STATUS_CONN_SIZE)

struct json {
	char *buf;
	size_t len, cap;
	bool overflow;
};

static __printf(2, 3) void json_printf(struct json *j, const char *fmt, ...)
{
	va_list args;
	int n;

	if (j->overflow)
		return;
	va_start(args, fmt);
	n = vsnprintf(j->buf + j->len, j->cap - j->len, fmt, args);
	va_end(args);
	if (n < 0 || n >= j->cap - j->len)
		j->overflow = true;
	else
		j->len += n;
}

/* A JSON string; the bytes in it come from userspace and are escaped. */
static void json_string(struct json *j, const char *s)
{
	json_printf(j, "\"");
	for (; *s && !j->overflow; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			json_printf(j, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			json_printf(j, "\\u%04x", c);
		else
			json_printf(j, "%c", c);
	}
	json_printf(j, "\"");
}

/* What json_string() writes for @s. */
static size_t json_string_size(const char *s)
{
	size_t n = 2;

	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			n += 2;
		else if (c < 0x20 || c >= 0x7f)
			n += 6;
		else
			n++;
	}
	return n;
}

static const char *proto_name(enum mprox_proto proto)
{
	switch (proto) {
	case MPROX_PROTO_SOCKS5:
		return "socks5";
	case MPROX_PROTO_SOCKS5H:
		return "socks5h";
	case MPROX_PROTO_SOCKS4:
		return "socks4";
	case MPROX_PROTO_SOCKS4A:
		return "socks4a";
	case MPROX_PROTO_HTTP:
		return "http";
	default:
		return "none";
	}
}

/* What the active probes of @up came to (probe.h). */
static void json_upstream_probes(struct json *j, struct mprox_upstream *up,
				 unsigned long now)
{
	unsigned long at = READ_ONCE(up->probe_at);

	json_printf(j, ",\"probes\":{\"ok\":%lld,\"failed\":%lld",
		    atomic64_read(&up->probes_ok),
		    atomic64_read(&up->probes_failed));
	if (at)
		json_printf(j, ",\"last\":\"%s\",\"last_ms\":%u",
			    mprox_connect_result_name(READ_ONCE(up->probe_last)),
			    jiffies_to_msecs(now - at));
	json_printf(j, "}");
}

/*
 * What the engine found of @up: health, connections, averages. @probing:
 * the device's probes run, and @full with a target.
 */
static void json_upstream_state(struct json *j, struct mprox_datapath *dp,
				struct mprox_upstream *up, bool probing,
				bool full)
{
	unsigned long now = jiffies, since, retry_in = 0;
	enum mprox_connect_result last;
	bool down, changed, by_probe;
	struct mprox_traffic t = {};
	u64 failures;
	u32 hs_us;
	int i;

	spin_lock_bh(&dp->upstream_lock);
	down = up->health.down;
	changed = up->health.changed;
	since = up->health.since;
	/* As the choice judges it (choice.c): no trial while probes cover. */
	by_probe = down && probing && mprox_health_probe_covers(&up->health, full);
	if (down && !by_probe && time_before(now, up->health.retry_at))
		retry_in = up->health.retry_at - now;
	last = up->health.last_error;
	failures = up->health.failures;
	hs_us = up->handshake_us;
	spin_unlock_bh(&dp->upstream_lock);

	json_printf(j, ",\"state\":\"%s\"", down ? "down" : "up");
	if (changed)
		json_printf(j, ",\"since_ms\":%llu",
			    div_u64((u64)(now - since) * MSEC_PER_SEC, HZ));
	if (by_probe)
		json_printf(j, ",\"back_by\":\"probe\"");
	else if (down)
		json_printf(j, ",\"back_by\":\"trial\",\"retry_in_ms\":%u",
			    jiffies_to_msecs(retry_in));
	if (last != MPROX_CONNECT_OK)
		json_printf(j, ",\"last_error\":\"%s\"",
			    mprox_connect_result_name(last));
	json_printf(j, ",\"failures\":%llu,\"active\":%d,\"handshake_us\":%u",
		    failures, atomic_read(&up->active), hs_us);
	json_printf(j, ",\"connects\":{");
	for (i = 0; i < MPROX_CONNECT_RESULT_COUNT; i++)
		json_printf(j, "%s\"%s\":%lld", i ? "," : "",
			    mprox_connect_result_name(i),
			    atomic64_read(&up->connects[i]));
	mprox_traffic_read(up->traffic, &t);
	json_printf(j, "},\"bytes\":{\"up\":%llu,\"down\":%llu}",
		    t.bytes_up, t.bytes_down);
	json_upstream_probes(j, up, now);
}

static void json_upstream(struct json *j, struct mprox_datapath *dp,
			  const struct mprox_config *cfg,
			  struct mprox_upstream *up)
{
	const struct mprox_upstream_spec *s = &up->spec;
	bool full, probing = mprox_config_probing(cfg, &full);

	json_printf(j, "{\"name\":");
	json_string(j, s->name);
	json_printf(j, ",\"proto\":\"%s\",\"host\":", proto_name(s->proto));
	json_string(j, s->host);
	json_printf(j, ",\"port\":%u,\"priority\":%u,\"weight\":%u",
		    s->port, s->priority, s->weight);
	if (s->dev[0]) {
		json_printf(j, ",\"dev\":");
		json_string(j, s->dev);
	}
	if (s->user[0]) {
		json_printf(j, ",\"user\":");
		json_string(j, s->user);
	}
	json_printf(j, ",\"password_set\":%s,\"auth_failed\":%lld",
		    s->password[0] ? "true" : "false",
		    atomic64_read(&up->auth_failed));
	json_upstream_state(j, dp, up, probing, full);
	json_printf(j, "}");
}

/* An address and port as "dns server" and "set probe_target" take them. */
static void json_addr_port(struct json *j, const struct mprox_probe_target *t)
{
	if (t->family == AF_INET)
		json_printf(j, "\"%pI4:%u\"", t->addr, t->port);
	else if (t->family == AF_INET6)
		json_printf(j, "\"[%pI6c]:%u\"", t->addr, t->port);
	else
		json_printf(j, "null");
}

static void json_dns_config(struct json *j, const struct mprox_dns_config *dns)
{
	unsigned int i, n = 0;

	json_printf(j, ",\"dns\":{\"fake_ip\":[");
	for (i = 0; i < ARRAY_SIZE(dns->pool); i++) {
		struct mprox_fakeip_pool *pool = dns->pool[i];

		if (!pool)
			continue;
		if (i == 0)
			json_printf(j, "%s{\"prefix\":\"%pI4/%u\"", n++ ? "," : "",
				    pool->prefix.addr, pool->prefix.len);
		else
			json_printf(j, "%s{\"prefix\":\"%pI6c/%u\"", n++ ? "," : "",
				    pool->prefix.addr, pool->prefix.len);
		json_printf(j, ",\"size\":%u,\"named\":%u}", pool->size,
			    mprox_fakeip_named(pool));
	}
	json_printf(j, "],\"server\":");
	json_addr_port(j, &dns->server);
	json_printf(j, ",\"hijack\":%s}", dns->hijack ? "true" : "false");
}

static void json_config(struct json *j, struct mprox_datapath *dp,
			const struct mprox_config *cfg)
{
	unsigned int i;

	json_printf(j, "\"config\":{\"persist\":%s,\"fwmark\":%u,\"tunables\":{",
		    cfg->persist ? "true" : "false", cfg->fwmark);
	for (i = 0; i < MPROX_TUNE_COUNT; i++) {
		const char *word = mprox_tunable_word(&mprox_tunables[i],
						      cfg->tunables[i]);

		if (word)
			json_printf(j, "%s\"%s\":\"%s\"", i ? "," : "",
				    mprox_tunables[i].key, word);
		else
			json_printf(j, "%s\"%s\":%llu", i ? "," : "",
				    mprox_tunables[i].key, cfg->tunables[i]);
	}
	json_printf(j, "},\"probe_target\":");
	json_addr_port(j, &cfg->probe_target);
	json_dns_config(j, &cfg->dns);
	json_printf(j, ",\"upstreams\":[");
	for (i = 0; i < cfg->nr_upstreams; i++) {
		if (i)
			json_printf(j, ",");
		json_upstream(j, dp, cfg, cfg->upstreams[i]);
	}
	/* As "rule add" takes them, so that a tool can write them back. */
	json_printf(j, "],\"rules\":[");
	for (i = 0; i < cfg->nr_rules; i++) {
		char text[MPROX_RULE_TEXT_MAX];

		mprox_rule_format(&cfg->rules[i], text, sizeof(text));
		json_printf(j, "%s{\"index\":%u,\"rule\":", i ? "," : "", i + 1);
		json_string(j, text);
		json_printf(j, "}");
	}
	/* Sets by size: 100,000 prefixes are the JSON's to leave out. */
	json_printf(j, "],\"sets\":[");
	for (i = 0; i < cfg->nr_sets; i++) {
		json_printf(j, "%s{\"name\":", i ? "," : "");
		json_string(j, cfg->sets[i]->name);
		json_printf(j, ",\"prefixes\":%u}", cfg->sets[i]->len);
	}
	json_printf(j, "]}");
}

static void json_device(struct json *j, struct mprox_dev *md)
{
	struct net_device *dev = md->dev;
	char name[IFNAMSIZ];

	mprox_device_name(md, name);
	json_printf(j, "\"device\":{\"name\":");
	json_string(j, name);
	json_printf(j, ",\"ifindex\":%d,\"netns_inode\":%u,\"mtu\":%u,\"up\":%s}",
		    dev->ifindex, dev_net(dev)->ns.inum, READ_ONCE(dev->mtu),
		    (READ_ONCE(dev->flags) & IFF_UP) ? "true" : "false");
}

/* The device's own connections, for rules that say "direct". */
static void json_direct_stats(struct json *j, struct mprox_datapath *dp)
{
	const struct mprox_upstream *v4 = &dp->direct[0], *v6 = &dp->direct[1];
	struct mprox_traffic t = {};
	int i;

	json_printf(j, ",\"direct\":{\"active\":%d,\"connects\":{",
		    atomic_read(&v4->active) + atomic_read(&v6->active));
	for (i = 0; i < MPROX_CONNECT_RESULT_COUNT; i++)
		json_printf(j, "%s\"%s\":%lld", i ? "," : "",
			    mprox_connect_result_name(i),
			    atomic64_read(&v4->connects[i]) +
			    atomic64_read(&v6->connects[i]));
	mprox_traffic_read(v4->traffic, &t);
	mprox_traffic_read(v6->traffic, &t);
	json_printf(j, "},\"bytes\":{\"up\":%llu,\"down\":%llu}}",
		    t.bytes_up, t.bytes_down);
}

static const char *const status_dns_stat_names[MPROX_DNS_STAT_COUNT] = {
	[MPROX_DNS_STAT_QUERY_A] = "query_a",
	[MPROX_DNS_STAT_QUERY_AAAA] = "query_aaaa",
	[MPROX_DNS_STAT_QUERY_OTHER] = "query_other",
	[MPROX_DNS_STAT_FAKE_ANSWERS] = "fake_answers",
	[MPROX_DNS_STAT_NODATA] = "nodata",
	[MPROX_DNS_STAT_REFUSED] = "refused",
	[MPROX_DNS_STAT_FORMERR] = "formerr",
	[MPROX_DNS_STAT_NOTIMP] = "notimp",
	[MPROX_DNS_STAT_SERVFAIL] = "servfail",
	[MPROX_DNS_STAT_POOL_FULL] = "pool_full",
	[MPROX_DNS_STAT_DROPPED] = "dropped",
	[MPROX_DNS_STAT_UNKNOWN_ADDR] = "unknown_addr",
	[MPROX_DNS_STAT_FORWARDED] = "forwarded",
	[MPROX_DNS_STAT_CACHE_HITS] = "cache_hits",
	[MPROX_DNS_STAT_CACHE_STORED] = "cache_stored",
	[MPROX_DNS_STAT_LOOKUPS] = "lookups",
	[MPROX_DNS_STAT_LOOKUP_FAILED] = "lookup_failed",
};

static void json_datapath_stats(struct json *j, struct mprox_datapath *dp)
{
	struct mprox_traffic t = {};
	struct mprox_flow_stats fs;
	int i;

	mprox_datapath_flow_stats(dp, &fs);
	json_printf(j, ",\"flows\":{\"active\":%u,\"total\":%llu,",
		    fs.active, fs.created);
	json_printf(j, "\"refused_limit\":%llu,\"port_exhausted\":%llu,\"expired\":%llu}",
		    fs.refused_limit, fs.port_exhausted, fs.expired);
	json_printf(j, ",\"connects\":{");
	for (i = 0; i < MPROX_CONNECT_RESULT_COUNT; i++)
		json_printf(j, "%s\"%s\":%lld", i ? "," : "",
			    mprox_connect_result_name(i),
			    atomic64_read(&dp->connects[i]));
	json_printf(j, "},\"retries\":%lld", atomic64_read(&dp->retries));
	json_printf(j, ",\"closes\":{");
	for (i = 0; i < MPROX_CONN_CLOSE_COUNT; i++)
		json_printf(j, "%s\"%s\":%lld", i ? "," : "",
			    mprox_conn_close_name(i),
			    atomic64_read(&dp->closes[i]));
	json_printf(j, "}");
	mprox_traffic_read(dp->traffic, &t);
	json_printf(j, ",\"bytes\":{\"up\":%llu,\"down\":%llu}",
		    t.bytes_up, t.bytes_down);
	json_printf(j, ",\"relay\":{\"work\":%llu,\"inline\":%llu}",
		    t.passes_work, t.passes_inline);
	json_direct_stats(j, dp);
	json_printf(j, ",\"spares\":{\"ready\":%u,\"opened\":%lld,\"used\":%lld,",
		    mprox_spares_ready(&dp->spares),
		    atomic64_read(&dp->spares.opened),
		    atomic64_read(&dp->spares.used));
	json_printf(j, "\"expired\":%lld,\"failed\":%lld}",
		    atomic64_read(&dp->spares.expired),
		    atomic64_read(&dp->spares.failed));
	json_printf(j, ",\"dns\":{");
	for (i = 0; i < MPROX_DNS_STAT_COUNT; i++)
		json_printf(j, "%s\"%s\":%lld", i ? "," : "", status_dns_stat_names[i],
			    atomic64_read(&dp->dns[i]));
	json_printf(j, ",\"cache_entries\":%u}", mprox_dns_cache_count(&dp->dns_cache));
	json_printf(j, ",\"udp\":{");
	for (i = 0; i < MPROX_UDP_STAT_COUNT; i++)
		json_printf(j, "%s\"%s\":%lld", i ? "," : "", mprox_udp_stat_name(i),
			    atomic64_read(&dp->udp[i]));
	json_printf(j, "}");
	json_printf(j, ",\"drops\":{");
	for (i = 0; i < MPROX_DROP_COUNT; i++)
		json_printf(j, "%s\"%s\":%lld", i ? "," : "", mprox_drop_name(i),
			    mprox_datapath_drops(dp, i));
	json_printf(j, "}");
}

static void json_stats(struct json *j, struct mprox_dev *md)
{
	struct rtnl_link_stats64 s;

	dev_get_stats(md->dev, &s);
	json_printf(j, "\"stats\":{\"rx_packets\":%llu,\"rx_bytes\":%llu,",
		    s.rx_packets, s.rx_bytes);
	json_printf(j, "\"tx_packets\":%llu,\"tx_bytes\":%llu,\"tx_dropped\":%llu",
		    s.tx_packets, s.tx_bytes, s.tx_dropped);
	json_datapath_stats(j, &md->dp);
	json_printf(j, "}");
}

static const char *const flow_state_names[] = {
	[MPROX_FLOW_SYN_HELD] = "syn_held",
	[MPROX_FLOW_CONNECTING] = "connecting",
	[MPROX_FLOW_ESTABLISHED] = "established",
	[MPROX_FLOW_CLOSING] = "closing",
	[MPROX_FLOW_DEAD] = "dead",
};

static void json_endpoint(struct json *j, u16 family,
			  const union mprox_addr *a, __be16 port)
{
	if (family == AF_INET6)
		json_printf(j, "\"[%pI6c]:%u\"", &a->v6, ntohs(port));
	else
		json_printf(j, "\"%pI4:%u\"", &a->v4, ntohs(port));
}

static void json_conn(struct json *j, struct mprox_flow *f, unsigned long now)
{
	u8 state = mprox_flow_state(f);
	u64 up, down;

	up = atomic64_read(&f->bytes_up);
	down = atomic64_read(&f->bytes_down);
	json_printf(j, "{\"proto\":\"%s\",\"src\":",
		    f->app.proto == IPPROTO_TCP ? "tcp" : "udp");
	json_endpoint(j, f->app.family, &f->app.saddr, f->app.sport);
	json_printf(j, ",\"dst\":");
	json_endpoint(j, f->app.family, &f->app.daddr, f->app.dport);
	json_printf(j, ",\"upstream\":");
	json_string(j, mprox_datapath_flow_upstream(f));
	json_printf(j, ",\"state\":\"%s\",\"bytes_up\":%llu,\"bytes_down\":%llu,\"age_ms\":%u}",
		    state < ARRAY_SIZE(flow_state_names) ?
		    flow_state_names[state] : "unknown", up, down,
		    jiffies_to_msecs(now - f->created));
}

struct json_conns {
	struct json *j;
	unsigned long now;
	unsigned int n;
	bool truncated;
};

static bool json_conn_one(struct mprox_flow *f, void *arg)
{
	struct json_conns *jc = arg;

	if (jc->n == STATUS_CONNS_MAX) {
		jc->truncated = true;
		return false;
	}
	json_printf(jc->j, "%s", jc->n++ ? "," : "");
	json_conn(jc->j, f, jc->now);
	return true;
}

/*
 * The live connections, at most STATUS_CONNS_MAX of them (the document is
 * bounded); "conns_truncated" says when there were more. The data path's
 * own lock keeps it from stopping under the walk: no RTNL here.
 */
static void json_conns(struct json *j, struct mprox_dev *md)
{
	struct json_conns jc = { .j = j, .now = jiffies };

	json_printf(j, ",\"conns\":[");
	mprox_datapath_walk_flows(&md->dp, json_conn_one, &jc);
	json_printf(j, "],\"conns_truncated\":%s",
		    jc.truncated ? "true" : "false");
}

static void build(struct json *j, struct mprox_dev *md)
{
	json_printf(j, "{");
	json_device(j, md);
	json_printf(j, ",");
	rcu_read_lock();
	json_config(j, &md->dp, rcu_dereference(md->dp.config));
	rcu_read_unlock();
	json_printf(j, ",");
	json_stats(j, md);
	json_conns(j, md);
	json_printf(j, "}\n");
}

/*
 * What the document should take, from what is known before building it, so
 * that one build is the normal case: flows created meanwhile (a little room
 * is left for them) or an upstream of an older configuration still named
 * by a connection may still make it start again.
 */
static size_t status_size(struct mprox_dev *md)
{
	const struct mprox_upstream_spec *s;
	const struct mprox_config *cfg;
	size_t size = STATUS_FIXED_SIZE;
	struct mprox_flow_stats fs;
	unsigned int i, conns;

	rcu_read_lock();
	cfg = rcu_dereference(md->dp.config);
	for (i = 0; i < cfg->nr_upstreams; i++) {
		s = &cfg->upstreams[i]->spec;
		size += STATUS_UPSTREAM_SIZE + json_string_size(s->name) +
			json_string_size(s->host) + json_string_size(s->dev) +
			json_string_size(s->user);
	}
	for (i = 0; i < cfg->nr_rules; i++)
		size += STATUS_RULE_SIZE + json_string_size(cfg->rules[i].cgroup);
	size += (size_t)cfg->nr_sets * STATUS_SET_SIZE;
	rcu_read_unlock();
	mprox_datapath_flow_stats(&md->dp, &fs);
	conns = min_t(unsigned int, fs.active + fs.active / 8 + 4,
		      STATUS_CONNS_MAX);
	size += (size_t)conns * STATUS_CONN_SIZE;
	return min_t(size_t, size, STATUS_MAX_SIZE);
}

char *mprox_status_json(struct mprox_dev *md, size_t *len)
{
	struct json j = { .cap = status_size(md) };

	for (;;) {
		j.buf = kvmalloc(j.cap, GFP_KERNEL_ACCOUNT);
		if (!j.buf)
			return ERR_PTR(-ENOMEM);
		j.len = 0;
		j.overflow = false;
		build(&j, md);
		if (!j.overflow)
			break;
		kvfree(j.buf);
		if (j.cap >= STATUS_MAX_SIZE)
			return ERR_PTR(-EOVERFLOW);
		j.cap = min_t(size_t, j.cap * 2, STATUS_MAX_SIZE);
	}
	*len = j.len;
	return j.buf;
}
