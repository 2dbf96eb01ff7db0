// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * What errno values mean when they come from an mprox fd.
 */
#include <errno.h>
#include <limits.h>
#include <string.h>

#include "mprox.h"
#include "internal.h"

MPROX_EXPORT const char *mprox_strerror(int err)
{
	if (err < 0 && err != INT_MIN)
		err = -err;
	switch (err) {
	case 0:
		return "success";
	case EINVAL:
		return "malformed directive, unknown directive or key, or bad characters";
	case ERANGE:
		return "a number is out of its range";
	case ENAMETOOLONG:
		return "a name, host, user, password or URL is too long";
	case E2BIG:
		return "too much at once: write over 64 KiB, line over 2048 bytes or 32 words, "
		       "or too many upstreams, rules, sets or prefixes";
	case EEXIST:
		return "exists already: an upstream or interface by that name, a rule with "
		       "the same matches, or a prefix that is in the set, holds or is held by "
		       "one there";
	case ENOENT:
		return "no such upstream, rule, set or cgroup, or /dev/mprox missing (is the mprox "
		       "module loaded?)";
	case EOPNOTSUPP:
		return "not supported by this kernel (a cgroup rule needs CONFIG_SOCK_CGROUP_DATA)";
	case ENODEV:
		return "no such mprox device, or it was deleted";
	case EBADFD:
		return "the fd is not bound to an mprox device";
	case EBUSY:
		return "in use: a rule names the upstream or set, or the fd is already bound "
		       "to a device";
	case EPERM:
		return "CAP_NET_ADMIN is needed in the network namespace's user namespace";
	}
	return strerror(err);
}
