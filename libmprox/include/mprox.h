/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libmprox: userspace access to mprox devices.
 *
 * Functions return -1 (or NULL) and set errno on failure, like libc. The
 * library keeps no global state: every call works on what it is given.
 */
#ifndef MPROX_H
#define MPROX_H

#ifdef __cplusplus
extern "C" {
#endif

/* Version of this library, "git describe" of the tree it was built from. */
const char *mprox_version(void);

/*
 * Version of the loaded mprox kernel module, copied into buf (NUL
 * terminated). Returns 0, or -1 with errno ENOENT when the module is not
 * loaded, ERANGE when buf is too small.
 */
int mprox_module_version(char *buf, unsigned long len);

#ifdef __cplusplus
}
#endif

#endif /* MPROX_H */
