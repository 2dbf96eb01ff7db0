// SPDX-License-Identifier: GPL-2.0
/* The nftables table of "mprox route", through libnftables (nft.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <nftables/libnftables.h>

#include "cgroup_path.h"
#include "nft.h"

#define NFT_TABLE "inet mprox"

static const char *const chain_prefixes[] = { "route-", "pre-", "post-" };
#define NCHAINS (sizeof(chain_prefixes) / sizeof(chain_prefixes[0]))

static struct nft_ctx *ctx_new(bool json)
{
	struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);

	if (!ctx) {
		errno = ENOMEM;
		return NULL;
	}
	if (json)
		nft_ctx_output_set_flags(ctx, NFT_CTX_OUTPUT_JSON);
	if (nft_ctx_buffer_output(ctx) || nft_ctx_buffer_error(ctx)) {
		nft_ctx_free(ctx);
		errno = ENOMEM;
		return NULL;
	}
	return ctx;
}

/* nft's first error line into @err, without its "Error: ". */
static void copy_error(struct nft_ctx *ctx, char *err, size_t errlen)
{
	const char *e = nft_ctx_get_error_buffer(ctx);
	size_t n;

	if (!errlen)
		return;
	if (!e || !*e)
		e = "nftables refused the change";
	if (!strncmp(e, "Error: ", 7))
		e += 7;
	n = strcspn(e, "\n");
	if (n >= errlen)
		n = errlen - 1;
	memcpy(err, e, n);
	err[n] = '\0';
}

/* Run @cmds as one transaction. */
static int run(const char *cmds, char *err, size_t errlen)
{
	struct nft_ctx *ctx = ctx_new(false);
	int ret;

	if (!ctx)
		return -1;
	ret = nft_run_cmd_from_buffer(ctx, cmds);
	if (ret) {
		copy_error(ctx, err, errlen);
		const char *e = nft_ctx_get_error_buffer(ctx);

		/* libnftables keeps the kernel's errno to itself. */
		errno = e && strstr(e, "No such file") ? ENOENT : EINVAL;
	}
	nft_ctx_free(ctx);
	return ret ? -1 : 0;
}

/*
 * Whether @cgroup can go between the double quotes of a rule as the path
 * below the cgroup2 root it is. A '"' or a control byte would end the
 * string or the command, and the rest would be read as nft syntax, run
 * with the caller's privileges; "", a leading '/' or a ".." component
 * would name the root or beyond. A backslash is taken literally (nft's
 * scanner: "[^"]*"), and systemd's unit names have them ("\x2d").
 */
static bool cgroup_quotable(const char *cgroup, char *err, size_t errlen)
{
	if (cgroup_path_valid(cgroup))
		return true;
	snprintf(err, errlen,
		 "cgroup '%s' cannot be named in a rule: want printable, no quotes, '//' or "
		 "'..', no leading or trailing '/'",
		 cgroup);
	errno = EINVAL;
	return false;
}

/* The rule marking the packets of the sockets of @cgroup (below the root). */
static void put_cgroup_rule(FILE *f, const char *chain, uint32_t driver_mark, const char *cgroup,
			    uint32_t mark)
{
	unsigned int level = 1;
	const char *p;

	for (p = cgroup; *p; p++)
		level += *p == '/';
	fprintf(f,
		"add rule " NFT_TABLE " %s meta mark != 0x%x "
		"socket cgroupv2 level %u \"%s\" meta mark set 0x%x\n",
		chain, driver_mark, level, cgroup, mark);
}

int mprox_nft_add(const struct nft_spec *s, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int ret;

	if (!s->has_gid && !s->cgroup && !s->all)
		return 0;
	if (s->cgroup && !cgroup_quotable(s->cgroup, err, errlen))
		return -1;
	f = open_memstream(&buf, &len);
	if (!f)
		return -1;
	fprintf(f, "add table " NFT_TABLE "\n");
	if (s->has_gid || s->cgroup) {
		fprintf(f,
			"add chain " NFT_TABLE " route-%s "
			"{ type route hook output priority mangle; policy accept; }\n",
			s->dev);
		if (s->has_gid)
			fprintf(f,
				"add rule " NFT_TABLE " route-%s meta mark != 0x%x "
				"meta skgid %u meta mark set 0x%x\n",
				s->dev, s->driver_mark, s->gid, s->mark);
		if (s->cgroup) {
			char chain[32];

			snprintf(chain, sizeof(chain), "route-%s", s->dev);
			put_cgroup_rule(f, chain, s->driver_mark, s->cgroup, s->mark);
		}
	}
	if (s->all) {
		fprintf(f,
			"add chain " NFT_TABLE " post-%s "
			"{ type filter hook postrouting priority mangle; policy accept; }\n"
			"add rule " NFT_TABLE " post-%s meta l4proto tcp meta mark 0x%x "
			"ct mark set meta mark\n"
			"add chain " NFT_TABLE " pre-%s "
			"{ type filter hook prerouting priority mangle; policy accept; }\n"
			"add rule " NFT_TABLE " pre-%s meta l4proto tcp ct mark 0x%x "
			"meta mark set ct mark\n",
			s->dev, s->dev, s->driver_mark, s->dev, s->dev, s->driver_mark);
	}
	if (fclose(f)) {
		free(buf);
		return -1;
	}
	ret = run(buf, err, errlen);
	free(buf);
	return ret;
}

/*
 * Which of @dev's chains exist (bit i: chain_prefixes[i]), and how many
 * objects the table holds besides those and itself. No table: 0 and 0.
 */
/*
 * nft's JSON listing of the table into *doc and its "nftables" array into
 * *items; both NULL when there is no table (or no nf_tables at all).
 */
static int list_table(struct json_object **doc, struct json_object **items, char *err,
		      size_t errlen)
{
	struct nft_ctx *ctx = ctx_new(true);

	*doc = *items = NULL;
	if (!ctx)
		return -1;
	/*
	 * A kernel without nf_tables has no chain of ours: "mprox route
	 * --uid" and its --off work there all the same.
	 */
	if (nft_run_cmd_from_buffer(ctx, "list tables inet")) {
		nft_ctx_free(ctx);
		return 0;
	}
	if (!strstr(nft_ctx_get_output_buffer(ctx), "\"mprox\"")) {
		nft_ctx_free(ctx);
		return 0;
	}
	nft_ctx_free(ctx);
	ctx = ctx_new(true);
	if (!ctx)
		return -1;
	if (nft_run_cmd_from_buffer(ctx, "list table " NFT_TABLE)) {
		const char *e = nft_ctx_get_error_buffer(ctx);

		/* Deleted since "list tables" (another mprox command): none. */
		if (e && strstr(e, "No such file")) {
			nft_ctx_free(ctx);
			return 0;
		}
		copy_error(ctx, err, errlen);
		nft_ctx_free(ctx);
		errno = EIO;
		return -1;
	}
	*doc = json_tokener_parse(nft_ctx_get_output_buffer(ctx));
	nft_ctx_free(ctx);
	if (!*doc || !json_object_object_get_ex(*doc, "nftables", items) ||
	    !json_object_is_type(*items, json_type_array)) {
		json_object_put(*doc);
		*doc = *items = NULL;
		snprintf(err, errlen, "cannot read nft's JSON listing of table " NFT_TABLE);
		errno = EIO;
		return -1;
	}
	return 0;
}

/* Is this item of the listing an object other than the table, a chain or a rule? */
static bool item_other(struct json_object *it)
{
	return !json_object_object_get_ex(it, "metainfo", NULL) &&
	       !json_object_object_get_ex(it, "table", NULL) &&
	       !json_object_object_get_ex(it, "rule", NULL) &&
	       !json_object_object_get_ex(it, "chain", NULL);
}

/* The chain an item of the listing (a chain or a rule) belongs to, or NULL. */
static const char *item_chain(struct json_object *it, bool *is_chain)
{
	struct json_object *obj, *name;

	*is_chain = false;
	if (json_object_object_get_ex(it, "rule", &obj))
		return json_object_object_get_ex(obj, "chain", &name) ? json_object_get_string(name)
								      : NULL;
	if (json_object_object_get_ex(it, "chain", &obj) &&
	    json_object_object_get_ex(obj, "name", &name)) {
		*is_chain = true;
		return json_object_get_string(name);
	}
	return NULL;
}

static int scan(const char *dev, unsigned int *mine, unsigned int *others, char *err, size_t errlen)
{
	struct json_object *doc, *items;
	size_t i, n;

	*mine = *others = 0;
	if (list_table(&doc, &items, err, errlen))
		return -1;
	if (!doc)
		return 0;
	n = json_object_array_length(items);
	for (i = 0; i < n; i++) {
		struct json_object *it = json_object_array_get_idx(items, i);
		bool is_chain, ours = false;
		const char *s;
		size_t k;

		if (item_other(it)) {
			(*others)++;
			continue;
		}
		s = item_chain(it, &is_chain);
		if (!s)
			continue;
		for (k = 0; k < NCHAINS; k++) {
			size_t pl = strlen(chain_prefixes[k]);

			if (!strncmp(s, chain_prefixes[k], pl) && !strcmp(s + pl, dev)) {
				ours = true;
				if (is_chain)
					*mine |= 1u << k;
			}
		}
		if (!ours && is_chain)
			(*others)++;
	}
	json_object_put(doc);
	return 0;
}

int mprox_nft_count(const char *dev, unsigned int *count, char *err, size_t errlen)
{
	unsigned int mine, others;

	if (scan(dev, &mine, &others, err, errlen))
		return -1;
	*count = (unsigned int)__builtin_popcount(mine);
	return 0;
}

int mprox_nft_remove(const char *dev, unsigned int *removed, char *err, size_t errlen)
{
	unsigned int mine, others;
	char *buf = NULL;
	size_t len = 0, k;
	FILE *f;
	int ret;

	*removed = 0;
	if (scan(dev, &mine, &others, err, errlen))
		return -1;
	if (!mine)
		return 0;
	f = open_memstream(&buf, &len);
	if (!f)
		return -1;
	if (!others) {
		fprintf(f, "delete table " NFT_TABLE "\n");
	} else {
		for (k = 0; k < NCHAINS; k++)
			if (mine & (1u << k))
				fprintf(f,
					"flush chain " NFT_TABLE " %s%s\n"
					"delete chain " NFT_TABLE " %s%s\n",
					chain_prefixes[k], dev, chain_prefixes[k], dev);
	}
	if (fclose(f)) {
		free(buf);
		return -1;
	}
	ret = run(buf, err, errlen);
	free(buf);
	if (!ret)
		*removed = (unsigned int)__builtin_popcount(mine);
	return ret;
}

int mprox_nft_exec_add(const char *chain, uint32_t driver_mark, const char *cgroup, uint32_t mark,
		       char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f;
	int ret;

	if (!cgroup_quotable(cgroup, err, errlen))
		return -1;
	f = open_memstream(&buf, &len);
	if (!f)
		return -1;
	fprintf(f,
		"add table " NFT_TABLE "\n"
		"add chain " NFT_TABLE " %s "
		"{ type route hook output priority mangle; policy accept; }\n",
		chain);
	put_cgroup_rule(f, chain, driver_mark, cgroup, mark);
	if (fclose(f)) {
		free(buf);
		return -1;
	}
	ret = run(buf, err, errlen);
	free(buf);
	return ret;
}

int mprox_nft_chains(const char *prefix, void (*fn)(const char *chain, void *arg), void *arg,
		     char *err, size_t errlen)
{
	struct json_object *doc, *items;
	size_t i, n;

	if (list_table(&doc, &items, err, errlen))
		return -1;
	if (!doc)
		return 0;
	n = json_object_array_length(items);
	for (i = 0; i < n; i++) {
		bool is_chain;
		const char *s = item_chain(json_object_array_get_idx(items, i), &is_chain);

		if (s && is_chain && !strncmp(s, prefix, strlen(prefix)))
			fn(s, arg);
	}
	json_object_put(doc);
	return 0;
}

int mprox_nft_chain_del(const char *chain, bool *removed, char *err, size_t errlen)
{
	struct json_object *doc, *items;
	bool found = false, alone = true;
	char *cmds;
	size_t i, n;
	int ret;

	*removed = false;
	if (list_table(&doc, &items, err, errlen))
		return -1;
	if (!doc)
		return 0;
	n = json_object_array_length(items);
	for (i = 0; i < n; i++) {
		struct json_object *it = json_object_array_get_idx(items, i);
		bool is_chain;
		const char *s = item_chain(it, &is_chain);

		if (item_other(it) || (s && is_chain && strcmp(s, chain)))
			alone = false;
		else if (s && is_chain)
			found = true;
	}
	json_object_put(doc);
	if (!found)
		return 0;
	if (alone)
		ret = asprintf(&cmds, "delete table " NFT_TABLE "\n");
	else
		ret = asprintf(&cmds,
			       "flush chain " NFT_TABLE " %s\n"
			       "delete chain " NFT_TABLE " %s\n",
			       chain, chain);
	if (ret < 0)
		return -1;
	ret = run(cmds, err, errlen);
	free(cmds);
	if (!ret)
		*removed = true;
	return ret;
}
