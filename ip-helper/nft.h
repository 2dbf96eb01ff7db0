/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The nftables objects of "mprox route", through libnftables only: table
 * "inet mprox", owned by mprox, holding per device
 *   chain route-NAME  type route hook output: sets the device's mark on
 *                     the packets of --gid and --cgroup
 *   chain pre-NAME, post-NAME (--all): wg-quick's technique for strict
 *                     reverse-path filtering; the driver's connections
 *                     keep its mark in conntrack and their replies get it
 *                     back, so src_valid_mark routes them outside the
 *                     device.
 *   chain exec-NAME-PID (mprox exec): type route hook output, marks the
 *                     packets of that exec's cgroup with its own mark.
 * Each call is one nftables transaction: all of it happens or none.
 * Functions return 0, or -1 with errno set; @err receives nft's own
 * message.
 */
#ifndef MPROX_NFT_H
#define MPROX_NFT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct nft_spec {
	const char *dev; /* interface name: letters, digits, '_', '.', '-' */
	uint32_t mark; /* the mark the route chain sets */
	uint32_t driver_mark; /* the device's own fwmark */
	bool has_gid;
	uint32_t gid;
	const char *cgroup; /* path below the cgroup2 root, or NULL */
	bool all; /* pre- and post- chains */
};

/* Add the chains @s asks for (none: nothing). */
int mprox_nft_add(const struct nft_spec *s, char *err, size_t errlen);

/*
 * Delete @dev's chains, and the table when no chain is left in it.
 * *removed: how many chains went.
 */
int mprox_nft_remove(const char *dev, unsigned int *removed, char *err, size_t errlen);

/* How many of @dev's chains exist (0 with no table). */
int mprox_nft_count(const char *dev, unsigned int *count, char *err, size_t errlen);

/*
 * "mprox exec": one chain @chain (type route hook output) marking with
 * @mark the packets of the sockets of @cgroup (below the cgroup2 root) that
 * do not carry @driver_mark. Adds the table if needed.
 */
int mprox_nft_exec_add(const char *chain, uint32_t driver_mark, const char *cgroup, uint32_t mark,
		       char *err, size_t errlen);

/* Call @fn for each chain of the table whose name starts with @prefix. */
int mprox_nft_chains(const char *prefix, void (*fn)(const char *chain, void *arg), void *arg,
		     char *err, size_t errlen);

/*
 * Delete the chain @chain, or the whole table when it holds nothing else.
 * No such chain: 0, *removed false.
 */
int mprox_nft_chain_del(const char *chain, bool *removed, char *err, size_t errlen);

#endif /* MPROX_NFT_H */
