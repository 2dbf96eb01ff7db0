/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libmprox: userspace access to mprox devices.
 *
 * An mprox device (mproxN) is a network interface whose traffic the kernel
 * carries through SOCKS or HTTP CONNECT proxies. It is controlled through a
 * file descriptor bound to it; see <linux/mprox.h> for the directive
 * grammar, the JSON state document and the ioctls this library wraps.
 *
 * Every function returns -1 (or NULL) and sets errno on failure, like libc.
 * The library keeps no global state: every call works on what it is given,
 * so any number of fds can be used from any number of threads.
 */
#ifndef MPROX_H
#define MPROX_H

#include <stdint.h>
#include <linux/mprox.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Flags of mprox_create() and mprox_attach(). The library's own bits, so
 * that this header needs no feature-test macros (O_CLOEXEC needs POSIX
 * 2008): the library turns them into O_CLOEXEC and O_NONBLOCK.
 */
#define MPROX_PERSIST 0x1 /* create only: device outlives its last fd */
#define MPROX_CLOEXEC 0x2 /* close-on-exec fd */
#define MPROX_NONBLOCK 0x4 /* non-blocking fd */

/*
 * Create a new mprox device bound to a new fd. name: the interface name,
 * which may contain one "%d" (NULL or "" means "mprox%d"). Needs
 * CAP_NET_ADMIN in the user namespace owning the caller's network
 * namespace (EPERM); the device is created in that namespace. Returns the
 * fd. Closing the last fd bound to a device deletes it unless it is
 * persistent.
 */
int mprox_create(const char *name, unsigned int flags);

/* A new fd bound to the existing mprox device @name (ENODEV if none). */
int mprox_attach(const char *name, unsigned int flags);

/* The interface name of the device @fd is bound to. */
int mprox_ifname(int fd, char name[MPROX_IFNAMSIZ]);

/*
 * Apply directives (one per line, see <linux/mprox.h>) atomically: all of
 * them or none. On failure errno says why (mprox_strerror() explains it in
 * words) and the device's configuration is unchanged.
 */
int mprox_apply(int fd, const char *directives);

/*
 * The device's state as one JSON document, NUL-terminated, malloc'd: the
 * caller frees it. Passwords are never in it.
 */
char *mprox_status_json(int fd);

/*
 * What an errno from this library means for mprox, in words ("a number is
 * out of range"). Takes err or -err. Never NULL; the string is static.
 */
const char *mprox_strerror(int err);

/* Typed helpers over the ioctls. */
int mprox_get_info(int fd, struct mprox_ioc_info *info);
int mprox_get_stats(int fd, struct mprox_ioc_stats *stats);
int mprox_set_persist(int fd, int persist);
/* url as in "upstream add NAME URL"; weight 0 means the default (1). */
int mprox_add_upstream(int fd, const char *name, const char *url, unsigned int weight);
/*
 * The same with "priority N" (0-255, lower first). A kernel module older
 * than the field fails a priority other than 0 with E2BIG.
 */
int mprox_add_upstream_priority(int fd, const char *name, const char *url, unsigned int weight,
				unsigned int priority);
int mprox_del_upstream(int fd, const char *name);
/*
 * The prefixes of prefix set @name ("set add"), in the driver's order: a
 * malloc()ed array in *prefixes (NULL for none), their number in *count.
 * ENOENT when the device has no such set.
 */
int mprox_get_set(int fd, const char *name, struct mprox_ioc_prefix **prefixes, size_t *count);

/* Version of this library, "git describe" of the tree it was built from. */
const char *mprox_version(void);

/*
 * Version of the loaded mprox kernel module, copied into buf (NUL
 * terminated). Returns 0, or -1 with errno ENOENT when the module is not
 * loaded, ERANGE when buf is too small, EOVERFLOW when the version is
 * longer than this library expects.
 */
int mprox_module_version(char *buf, unsigned long len);

#ifdef __cplusplus
}
#endif

#endif /* MPROX_H */
