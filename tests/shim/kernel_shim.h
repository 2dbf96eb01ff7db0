/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The little of the kernel that driver/parse.c needs, from libc, so that the
 * parser builds unchanged into host unit tests and the fuzzer. Compile with
 * -Itests/shim -Idriver -Iuapi (the last for <linux/mprox.h>).
 */
#ifndef MPROX_KERNEL_SHIM_H
#define MPROX_KERNEL_SHIM_H

#include <errno.h>
#include <netinet/in.h> /* struct in_addr, struct in6_addr */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h> /* AF_* */

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;

#define U32_MAX UINT32_MAX
#define U64_MAX UINT64_MAX
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
/* A parameter a function of a table of them need not use (codec.h). */
#define __always_unused __attribute__((__unused__))
#define __printf(a, b) __attribute__((format(printf, a, b)))

/* Time in jiffies (driver/health.c); any HZ the kernel may have. */
#define HZ 250
#define time_after(a, b) ((long)((b) - (a)) < 0)
#define time_before(a, b) time_after(b, a)
#define time_after_eq(a, b) ((long)((a) - (b)) >= 0)
#define min_t(type, a, b) ((type)(a) < (type)(b) ? (type)(a) : (type)(b))

#endif /* MPROX_KERNEL_SHIM_H */
