/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A cgroup v2 path as mprox routes it: "--cgroup PATH" of mprox route and
 * "Cgroup = PATH" of a configuration file, checked by the same code so
 * that a file the route command would refuse fails when it is read.
 */
#ifndef MPROX_CGROUP_PATH_H
#define MPROX_CGROUP_PATH_H

#include <stdbool.h>
#include <stddef.h>

/* The room for a path cgroup_path() gives, its NUL included. */
#define CGROUP_PATH_MAX 256

/*
 * @s made relative to the cgroup2 root (no leading or trailing '/') into
 * @out (@len bytes), for nftables' "socket cgroupv2" and exec's cgroups.
 * Returns 0, or -1 with errno EINVAL for the root itself, a character
 * that is not printable ASCII, '"' (nftables' quoting), "//" or a ".."
 * component, and ENAMETOOLONG when it takes @len bytes or more. A '\' is
 * taken: systemd escapes unit names with it (wg\x2dquick), and nftables
 * reads it literally.
 */
int cgroup_path(const char *s, char *out, size_t len);

/*
 * Whether @rel, already relative (as cgroup_path() gives it), is one:
 * not empty, no leading or trailing '/', only printable ASCII, no '"',
 * "//" or ".." component.
 */
bool cgroup_path_valid(const char *rel);

#endif /* MPROX_CGROUP_PATH_H */
