// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for driver/parse.c: the input is split into lines the
 * way the fd's write() will split it, each line is parsed, and the whole
 * input is also parsed as one URL. Besides the sanitizers' checks (no read
 * past the input, no overflow), whatever the parsers return must be in
 * their documented set and whatever they fill in must be well formed.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "parse.h"
#include "rule.h"
#include "fuzz_check.h"

/* NUL terminated within @size bytes; returns the length. */
static size_t terminated(const char *s, size_t size)
{
	size_t n = strnlen(s, size);

	CHECK(n < size);
	return n;
}

static void check_spec(const struct mprox_upstream_spec *s)
{
	size_t i, n;

	CHECK(s->proto >= MPROX_PROTO_SOCKS5 && s->proto <= MPROX_PROTO_HTTP);
	CHECK(s->family == AF_UNSPEC || s->family == AF_INET || s->family == AF_INET6);
	CHECK(s->port != 0);
	n = terminated(s->host, sizeof(s->host));
	CHECK(n > 0);
	/* Names and address text alike: lower case, no brackets, no zone. */
	for (i = 0; i < n; i++) {
		char c = s->host[i];

		CHECK((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		      (c == ':' && s->family == AF_INET6));
	}
	n = terminated(s->user, sizeof(s->user));
	for (i = 0; i < n; i++)
		CHECK((unsigned char)s->user[i] >= 0x20 && s->user[i] != 0x7f);
	/* A password never comes without a user. */
	CHECK(n > 0 || !s->password[0]);
	n = terminated(s->password, sizeof(s->password));
	for (i = 0; i < n; i++)
		CHECK((unsigned char)s->password[i] >= 0x20 && s->password[i] != 0x7f);
}

static void check_name(const char *name)
{
	size_t n = terminated(name, MPROX_UPSTREAM_NAME_MAX);

	CHECK(n > 0);
}

static void check_prefix(const struct mprox_rule_prefix *p)
{
	unsigned int max = p->family == AF_INET6 ? 128 : 32, i;

	CHECK(p->family == AF_UNSPEC || p->family == AF_INET || p->family == AF_INET6);
	if (p->family == AF_UNSPEC)
		return;
	CHECK(p->len <= max);
	for (i = p->len; i < 128; i++)
		CHECK(!(p->addr[i / 8] & (0x80 >> (i % 8))));
}

/* A rule is sane, and reads back from its own text as the same rule. */
static void check_rule(const struct mprox_rule *r)
{
	struct mprox_directive back;
	char text[MPROX_RULE_TEXT_MAX], line[sizeof(text) + 16];
	size_t i, dlen = strlen(r->domain);
	int len;

	check_prefix(&r->to);
	check_prefix(&r->from);
	CHECK(!r->to.family || !r->from.family || r->to.family == r->from.family);
	CHECK(r->port_lo <= r->port_hi && (r->port_lo || !r->port_hi));
	CHECK(!r->proto || r->proto == IPPROTO_TCP || r->proto == IPPROTO_UDP);
	CHECK(!r->has_uid || (r->uid_lo <= r->uid_hi && r->uid_hi < UINT32_MAX));
	CHECK(r->action == MPROX_RULE_UPSTREAM || r->action == MPROX_RULE_PRIORITY ||
	      r->action == MPROX_RULE_REJECT || r->action == MPROX_RULE_DIRECT);
	if (r->action == MPROX_RULE_UPSTREAM)
		check_name(r->upstream);
	/* A domain as the resolver keeps names. */
	CHECK(!dlen || (mprox_dns_name_valid(r->domain, dlen) && r->domain[dlen - 1] != '.'));
	for (i = 0; i < dlen; i++)
		CHECK(r->domain[i] < 'A' || r->domain[i] > 'Z');
	CHECK(!r->domain_exact || dlen);
	len = mprox_rule_format(r, text, sizeof(text));
	CHECK(len > 0 && (size_t)len < sizeof(text));
	len = snprintf(line, sizeof(line), "rule add %s", text);
	memset(&back, 0x5a, sizeof(back));
	CHECK(mprox_parse_line(line, len, &back) == 0 && back.op == MPROX_OP_RULE_ADD);
	CHECK(mprox_rule_same_match(r, &back.rule) && back.rule.action == r->action);
	CHECK(r->action != MPROX_RULE_PRIORITY || back.rule.priority == r->priority);
	CHECK(r->action != MPROX_RULE_UPSTREAM || !strcmp(back.rule.upstream, r->upstream));
}

/* A fake-IP pool of @family, or none (family 0), within its bounds. */
static void check_pool(const struct mprox_rule_prefix *p, u16 family, unsigned int min,
		       unsigned int max)
{
	CHECK(!p->family || p->family == family);
	check_prefix(p);
	CHECK(!p->family || (p->len >= min && p->len <= max));
}

static void check_dns(const struct mprox_dns_directive *dns)
{
	CHECK(dns->op == MPROX_DNS_FAKE_IP || dns->op == MPROX_DNS_SERVER ||
	      dns->op == MPROX_DNS_HIJACK || dns->op == MPROX_DNS_OFF);
	check_pool(&dns->pool4, AF_INET, MPROX_DNS_POOL4_LEN_MIN, MPROX_DNS_POOL4_LEN_MAX);
	check_pool(&dns->pool6, AF_INET6, MPROX_DNS_POOL6_LEN_MIN, MPROX_DNS_POOL6_LEN_MAX);
	/* Only fake-ip has pools, and at least one. */
	CHECK((dns->op == MPROX_DNS_FAKE_IP) == (dns->pool4.family || dns->pool6.family));
	if (dns->op == MPROX_DNS_SERVER)
		CHECK((dns->server.family == AF_INET || dns->server.family == AF_INET6) &&
		      dns->server.port);
	else
		CHECK(!dns->server.family && !dns->server.port);
	CHECK(dns->op == MPROX_DNS_HIJACK || !dns->hijack);
}

static void check_directive(const struct mprox_directive *d)
{
	switch (d->op) {
	case MPROX_OP_UPSTREAM_ADD:
		check_name(d->upstream.name);
		CHECK(d->upstream.weight >= 1 && d->upstream.weight <= 1000);
		check_spec(&d->upstream);
		break;
	case MPROX_OP_UPSTREAM_DEL:
		check_name(d->name);
		break;
	case MPROX_OP_UPSTREAM_FLUSH:
	case MPROX_OP_PERSIST:
		break;
	case MPROX_OP_FWMARK:
		CHECK(d->fwmark != 0);
		break;
	case MPROX_OP_SET:
		CHECK(d->set.key < MPROX_TUNE_COUNT);
		CHECK(d->set.value >= mprox_tunables[d->set.key].min &&
		      d->set.value <= mprox_tunables[d->set.key].max);
		break;
	case MPROX_OP_RULE_ADD:
		check_rule(&d->rule);
		break;
	case MPROX_OP_RULE_DEL:
		CHECK(d->index >= 1 && d->index <= MPROX_RULES_MAX);
		break;
	case MPROX_OP_RULE_FLUSH:
		break;
	case MPROX_OP_PSET_ADD:
		check_name(d->pset.name);
		CHECK(d->pset.n >= 1 && d->pset.n <= MPROX_SET_LINE_MAX);
		for (uint32_t i = 0; i < d->pset.n; i++) {
			check_prefix(&d->pset.prefix[i]);
			CHECK(d->pset.prefix[i].family != AF_UNSPEC);
		}
		break;
	case MPROX_OP_PSET_FLUSH:
		check_name(d->pset.name);
		break;
	case MPROX_OP_PROBE_TARGET:
		CHECK(d->probe_target.family == 0 || d->probe_target.family == AF_INET ||
		      d->probe_target.family == AF_INET6);
		CHECK(!d->probe_target.family == !d->probe_target.port);
		break;
	case MPROX_OP_DNS:
		check_dns(&d->dns);
		break;
	default:
		CHECK(!"unknown op");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data, *line;
	struct mprox_directive d;
	size_t pos = 0, next, line_len;
	int ret;

	while ((next = mprox_next_line(buf, size, pos, &line, &line_len))) {
		CHECK(next > pos && next <= size);
		CHECK(line == buf + pos && line_len <= next - pos);
		CHECK(!memchr(line, '\n', line_len));
		/* Poisoned, so that a field left unset breaks an invariant. */
		memset(&d, 0xa5, sizeof(d));
		ret = mprox_parse_line(line, line_len, &d);
		CHECK(ret == 0 || ret == 1 || ret == -EINVAL || ret == -ENAMETOOLONG ||
		      ret == -ERANGE || ret == -E2BIG);
		CHECK(line_len <= MPROX_LINE_MAX || ret == -E2BIG);
		CHECK(!memchr(line, '\0', line_len) || ret == -EINVAL || ret == -E2BIG);
		if (ret == 0)
			check_directive(&d);
		pos = next;
	}

	memset(&d, 0xa5, sizeof(d));
	ret = mprox_parse_url(buf, size, &d.upstream);
	CHECK(ret == 0 || ret == -EINVAL || ret == -ENAMETOOLONG || ret == -ERANGE);
	CHECK(size <= MPROX_URL_MAX || ret == -ENAMETOOLONG);
	if (ret == 0)
		check_spec(&d.upstream);
	return 0;
}
