/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The "direct" codec: a rule's "direct" action (docs/routing.md, "Rules")
 * runs through the engine like a proxied connection, but the engine's TCP
 * connect goes to the destination itself (codec->to_dest) and nothing is
 * said on it: once that connect completes, the destination has accepted,
 * so the request is CONNECTED at once. A failed connect is the
 * destination's answer (refused, unreachable, timed out), mapped by
 * mprox_direct_result(). The driver's socket carries the device's fwmark,
 * as a proxy's does, so policy routing keeps it out of the device.
 *
 * Pure, like the other codecs; built into mprox.ko and the host unit test.
 */
#ifndef _MPROX_DIRECT_H
#define _MPROX_DIRECT_H

#include "codec.h"

/*
 * What the application gets when the driver's own connect to the
 * destination failed with @err (a positive errno: the socket's error, or
 * connect()'s): what its own connect() would have got, as a result. The
 * codec's connect_error.
 */
enum mprox_connect_result mprox_direct_result(int err);

#endif /* _MPROX_DIRECT_H */
