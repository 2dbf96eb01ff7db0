// SPDX-License-Identifier: GPL-2.0
/*
 * mprox: module entry and exit.
 *
 * Each part of the driver registers itself from here, in dependency order,
 * and is torn down in the reverse order.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/init.h>
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/mprox.h>

#include "control.h"
#include "datapath.h"
#include "device.h"
#include "flow.h"
#include "ownsock.h"

static int __init mprox_mod_init(void)
{
	int err;

	err = mprox_ownsock_init();
	if (err)
		return err;
	err = mprox_flow_init();
	if (err)
		goto err_ownsock;
	err = mprox_datapath_init();
	if (err)
		goto err_flow;
	err = mprox_device_init();
	if (err)
		goto err_datapath;
	err = mprox_control_init();
	if (err)
		goto err_device;
	pr_info("mprox %s loaded\n", MPROX_VERSION);
	return 0;

err_device:
	mprox_device_exit();
err_datapath:
	mprox_datapath_exit();
err_flow:
	mprox_flow_exit();
err_ownsock:
	mprox_ownsock_exit();
	return err;
}

static void __exit mprox_mod_exit(void)
{
	/* No fd can be open: each one holds a module reference. */
	mprox_control_exit();
	mprox_device_exit();
	/* After the devices: their flow tables are gone, flows are freed. */
	mprox_flow_exit();
	/* After the flows: their release waits for connection work. */
	mprox_datapath_exit();
	/* Configurations and upstreams are freed by RCU callbacks. */
	rcu_barrier();
	/* After the connections and spares: they released their sockets. */
	mprox_ownsock_exit();
}

module_init(mprox_mod_init);
module_exit(mprox_mod_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Network interface that proxies its traffic through SOCKS and HTTP CONNECT servers");
MODULE_AUTHOR("The mprox authors");
MODULE_VERSION(MPROX_VERSION);
