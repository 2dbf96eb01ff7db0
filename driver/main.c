// SPDX-License-Identifier: GPL-2.0
/*
 * mprox: module entry and exit.
 *
 * Each subsystem of the driver (control device, netdevice, flow table, proxy
 * protocols) registers itself from here, in dependency order, and is torn
 * down in the reverse order.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/init.h>
#include <linux/module.h>
#include <linux/mprox.h>

static int __init mprox_mod_init(void)
{
	pr_info("mprox %s loaded\n", MPROX_VERSION);
	return 0;
}

static void __exit mprox_mod_exit(void)
{
	pr_debug("unloaded\n");
}

module_init(mprox_mod_init);
module_exit(mprox_mod_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Network interface that proxies its traffic through SOCKS and HTTP CONNECT servers");
MODULE_AUTHOR("The mprox authors");
MODULE_VERSION(MPROX_VERSION);
