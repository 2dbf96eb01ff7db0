// SPDX-License-Identifier: GPL-2.0
/*
 * The state document: device, configuration (passwords never leave the
 * kernel) and counters, as one JSON object.
 */

#include <linux/mm.h>
#include <linux/netdevice.h>
#include <linux/slab.h>
#include <net/net_namespace.h>

#include "device.h"
#include "status.h"

/*
 * The document is bounded (64 upstreams with 255-byte escaped user names
 * is well under this); a builder that runs out of room starts again with
 * twice the buffer.
 */
#define STATUS_START_SIZE	4096
#define STATUS_MAX_SIZE		(512 * 1024)

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

static void json_upstream(struct json *j, const struct mprox_upstream_spec *s)
{
	json_printf(j, "{\"name\":");
	json_string(j, s->name);
	json_printf(j, ",\"proto\":\"%s\",\"host\":", proto_name(s->proto));
	json_string(j, s->host);
	json_printf(j, ",\"port\":%u,\"weight\":%u", s->port, s->weight);
	if (s->user[0]) {
		json_printf(j, ",\"user\":");
		json_string(j, s->user);
	}
	json_printf(j, ",\"password_set\":%s}",
		    s->password[0] ? "true" : "false");
}

static void json_config(struct json *j, const struct mprox_config *cfg)
{
	unsigned int i;

	json_printf(j, "\"config\":{\"persist\":%s,\"fwmark\":%u,\"tunables\":{",
		    cfg->persist ? "true" : "false", cfg->fwmark);
	for (i = 0; i < MPROX_TUNE_COUNT; i++)
		json_printf(j, "%s\"%s\":%llu", i ? "," : "",
			    mprox_tunables[i].key, cfg->tunables[i]);
	json_printf(j, "},\"upstreams\":[");
	for (i = 0; i < cfg->nr_upstreams; i++) {
		if (i)
			json_printf(j, ",");
		json_upstream(j, &cfg->upstreams[i]->spec);
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

static void json_stats(struct json *j, struct mprox_dev *md)
{
	struct rtnl_link_stats64 s;

	dev_get_stats(md->dev, &s);
	json_printf(j, "\"stats\":{\"rx_packets\":%llu,\"rx_bytes\":%llu,",
		    s.rx_packets, s.rx_bytes);
	json_printf(j, "\"tx_packets\":%llu,\"tx_bytes\":%llu,\"tx_dropped\":%llu}",
		    s.tx_packets, s.tx_bytes, s.tx_dropped);
}

static void build(struct json *j, struct mprox_dev *md)
{
	json_printf(j, "{");
	json_device(j, md);
	json_printf(j, ",");
	rcu_read_lock();
	json_config(j, rcu_dereference(md->config));
	rcu_read_unlock();
	json_printf(j, ",");
	json_stats(j, md);
	json_printf(j, "}\n");
}

char *mprox_status_json(struct mprox_dev *md, size_t *len)
{
	struct json j = { .cap = STATUS_START_SIZE };

	for (;;) {
		j.buf = kvmalloc(j.cap, GFP_KERNEL);
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
		j.cap *= 2;
	}
	*len = j.len;
	return j.buf;
}
