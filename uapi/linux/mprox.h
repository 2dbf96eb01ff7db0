/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * mprox: a network interface whose transmit path is a SOCKS/HTTP CONNECT proxy
 *
 * This header is the whole user/kernel ABI of the mprox driver. It is shared
 * by the kernel module (driver/), libmprox and the mprox command, and is
 * installed as <linux/mprox.h>.
 *
 * Overview
 * --------
 * An mprox device (mproxN) is an L3 point-to-point netdevice, like tun in
 * IFF_TUN mode, that never hands packets to userspace: connections that
 * policy routing sends into it are carried to their destination through the
 * device's configured proxy upstreams, entirely in the kernel.
 *
 * The device is controlled through a file descriptor bound to it. The fd
 * interface (text directives on write(), typed ioctl()s, a JSON state
 * document on read(), poll() for changes) is specified in the sections below
 * as it is implemented.
 *
 * Directives
 * ----------
 * write() on the fd takes text: one directive per line, lines separated by
 * '\n'. A write() is applied atomically: every line or none. On error the
 * write fails with the errno of the first bad line and the device keeps its
 * previous configuration byte for byte. The same grammar is used by the
 * mprox command and its configuration files.
 *
 * Words are separated by spaces or tabs. Blank lines and lines whose first
 * non-blank character is '#' are ignored. Outside comments only printable
 * ASCII is allowed; a NUL byte anywhere fails the whole write.
 *
 *   upstream add NAME URL [priority N] [weight N] [dev IFNAME]
 *	Add a proxy server. NAME: 1-31 of [A-Za-z0-9_.-]. URL:
 *	SCHEME://[USER[:PASSWORD]@]HOST[:PORT] with SCHEME one of socks5,
 *	socks5h, socks4, socks4a, http; HOST an IPv4 address, [IPv6] address
 *	or DNS name; PORT 1-65535, default 1080 (as curl). USER and PASSWORD
 *	may use %XX escapes (for ':', '@', '%'); decoded they are 1-255 bytes
 *	and must not contain NUL or control characters. weight: 1-1000,
 *	default 1. priority: 0-255, default 0. A new flow goes to the
 *	lowest priority number that has an upstream up, and within it by a
 *	smooth weighted round robin. An upstream whose proxy fails (not a
 *	refusal of the destination) is down for 1 s, doubling to 60 s
 *	while its retries fail; a flow whose upstream failed before the
 *	proxy said yes is retried once on another. With every upstream
 *	down, a SYN gets ICMP host unreachable at once. dev: the driver's
 *	connections to this proxy leave through interface IFNAME
 *	(SO_BINDTODEVICE), whatever the routes say; 1-15 characters, no '/'
 *	or ':' (ENAMETOOLONG when longer). Options in any
 *	order, each once. An existing NAME is EEXIST.
 *   upstream del NAME
 *	Remove a proxy server; ENOENT if there is none by that name.
 *   upstream flush
 *	Remove all proxy servers.
 *   persist on|off
 *	Whether the device outlives its last fd (like TUNSETPERSIST).
 *   fwmark N
 *	Mark carried by the driver's own sockets, so that policy routing can
 *	keep them out of mprox devices. 1-0xffffffff, decimal or 0x hex.
 *   set KEY VALUE
 *	Tunables (decimal, but for balance):
 *	  connect_timeout_ms   reaching the proxy (TCP       100-300000 (10000)
 *	                       connect), from the app's SYN
 *	  handshake_timeout_ms the proxy's answer, from the  100-300000 (127000)
 *	                       app's SYN (what connect() waits)
 *	  tcp_idle_timeout_s   idle TCP flow lifetime      10-604800 (7440)
 *	  udp_idle_timeout_s   idle UDP flow lifetime       5-86400 (60)
 *	  max_flows            flows per device            1-1048576 (65536)
 *	  spare_conns          connections per upstream made     0-16 (0)
 *	                       ready ahead of need (spare.h)
 *	  spare_idle_s         a spare's life unused, and how    1-3600 (10)
 *	                       long demand keeps spares opened
 *	  balance              the choice within a priority: weighted (the
 *	                       default), round-robin or least-connections
 *	                       (a word, not a number; "read()" shows it so)
 *	  probe_interval_s     active health checks: every N    0-3600 (0)
 *	                       seconds each upstream is probed; 0 is off.
 *	                       While on, a down upstream whose failure a
 *	                       probe can see gets no trial flow: a good
 *	                       probe brings it back (routing.md).
 *	  dns_ttl_s            the TTL of fake-IP answers        1-3600 (10)
 *	                       (dns fake-ip), in seconds
 *	  dns_cache_size       forwarded DNS answers kept for    0-4096 (256)
 *	                       their TTL (at most a day, 1232
 *	                       bytes each); 0 keeps none
 *   set probe_target ADDR:PORT|[ADDR6]:PORT|none
 *	What a probe asks the proxy for. none (the default): the TCP connect
 *	and what the protocol says before a request (SOCKS5's method and
 *	password exchange; for SOCKS4 and HTTP CONNECT the connect alone).
 *	An address: a whole CONNECT to it; success or a refusal by the target
 *	says the proxy works, the target unreachable or silent through it
 *	that it does not. Addresses only (EINVAL for a name, or IPv6 without
 *	brackets); port 1-65535 (ERANGE).
 *   rule add [to CIDR|to-set SET] [from CIDR] [port N[-M]] [proto tcp|udp]
 *	    [uid N[-M]] [cgroup PATH] [domain NAME|domain-exact NAME] ACTION
 *	Where a new flow goes, by its first packet and its application's
 *	socket. Rules are kept in order; the first that matches wins; a flow
 *	that none matches goes to the lowest priority with an upstream up.
 *	A match left out matches anything; each at most once, in any order,
 *	ACTION last. CIDR: ADDR[/LEN], host bits zero (EINVAL), LEN 0-32 or
 *	0-128 (ERANGE), default the whole address; to and from of one
 *	family. to-set: the destination is in prefix set SET (ENOENT if
 *	there is none). port: the destination's, 1-65535. uid: the owner of the
 *	sending socket, 0-4294967294, in the writer's user namespace (as
 *	ip-rule(8) uidrange); a packet without a local socket (forwarded
 *	from a container or another host) matches no uid rule. cgroup: the
 *	sending socket was made in the cgroup v2 at PATH or one below it
 *	(as nftables' "socket cgroupv2"); PATH is absolute in the writer's
 *	cgroup namespace (5.10: the whole hierarchy), written without empty,
 *	"." or ".." components or a trailing slash (EINVAL), under 256 bytes
 *	(ENAMETOOLONG); ENOENT if there is no such cgroup, ENOTDIR if PATH
 *	names a file. The rule names the cgroup the path had when it was
 *	added: one made again at the path is another, matched after the
 *	rule is added again. ACTION:
 *	  upstream NAME  that upstream only (ENOENT if there is none; the
 *	                 flow is not retried elsewhere if it fails)
 *	  priority N     the upstreams of priority N (0-255), balanced as
 *	                 "set balance" says; none there: net unreachable
 *	  reject         a TCP SYN gets RST (counted as "rejected")
 *	  direct         no proxy: the driver connects to the destination
 *	                 itself (its socket carries the fwmark), and the
 *	                 app's connect() gets the destination's answer;
 *	                 UDP goes from the driver's own socket
 *	A rule whose matches are those of an earlier one is EEXIST (it could
 *	never match); more than MPROX_RULES_MAX (256) is E2BIG. domain:
 *	the destination is a fake-IP pool address standing for NAME or a
 *	name below it (on a label boundary); domain-exact: for NAME only.
 *	NAME: labels of 1-63 letters, digits, '-' and '_', at most 253
 *	bytes (ENAMETOOLONG) besides one trailing dot allowed, else EINVAL;
 *	kept in lowercase. With ACTION direct, the driver looks NAME up at
 *	"dns server" for its own connection. A UDP
 *	socket's first datagram is matched: its association (one per
 *	socket) takes that rule's upstream for all it sends.
 *   rule del N
 *	Remove the N-th rule (from 1, as read() lists them): 1-256 (ERANGE),
 *	ENOENT when there are fewer.
 *   rule flush
 *	Remove every rule.
 *   set add SET CIDR...
 *	Add up to 29 prefixes (the line's words) to prefix set SET (a name
 *	like an upstream's), made if new. A prefix that is in the set
 *	already, or holds or is held by one there, is EEXIST. A device has
 *	at most MPROX_SETS_MAX (16) sets and MPROX_SET_PREFIXES_MAX (100000)
 *	prefixes in all of them (E2BIG); a large list takes several writes.
 *   set flush SET
 *	Remove set SET (ENOENT if there is none).
 *   dns fake-ip CIDR [CIDR]
 *	The resolver in the kernel, with its fake-IP pools: an IPv4 prefix
 *	of length 8-30 and an IPv6 prefix of length 32-126 (ERANGE; an
 *	address without /LEN is a whole one, so ERANGE too), host bits zero
 *	(EINVAL), at most one of each family (EINVAL), in any order. A and
 *	AAAA queries that reach the device are answered in the kernel with
 *	addresses from the pool: a name keeps its address while it is in
 *	use; when the pool is full, the least recently used address is
 *	given to the new name unless it was used within twice dns_ttl_s
 *	(then SERVFAIL); at most 65536 addresses of a pool are used. A
 *	prefix named again keeps its pool and names, within one write too
 *	("dns off" and the same prefix again). HTTPS and SVCB queries get
 *	NOERROR without records.
 *	The answers' TTL is dns_ttl_s. A connection to a pool address goes
 *	to the proxy with the name the address stands for, not the address.
 *   dns server ADDR[:PORT]
 *	The address applications send their queries to: ADDR, ADDR:PORT,
 *	[ADDR6], [ADDR6]:PORT or a bare ADDR6 (no port then); PORT 1-65535
 *	(ERANGE), default 53. Addresses only (EINVAL for a name). Queries to
 *	it that are routed into the device are answered: A and AAAA from
 *	the pool, other types forwarded to the address the query went to,
 *	through the upstream (REFUSED when the upstream can carry it by
 *	neither UDP nor TCP).
 *   dns hijack on|off
 *	on: queries to any unicast address on the server's port (53 by
 *	default) that are routed into the device are answered; off: only
 *	those to the server's address.
 *   dns off
 *	The resolver off, its pools emptied.
 *	Any other "dns" line (another word after it, a wrong number of
 *	words, "dns" alone) is EINVAL.
 *
 * A write that leaves a rule naming an upstream or set it removed
 * ("upstream del", "upstream flush", "set flush") fails with EBUSY; within
 * one write they may be removed and added again.
 *
 * Errors: EINVAL (malformed, unknown directive or key, bad characters),
 * ERANGE (number out of range), ENAMETOOLONG (name, host, user, password
 * or URL too long), E2BIG (write larger than 64 KiB, line longer than 2048
 * bytes, more than MPROX_UPSTREAMS_MAX upstreams or MPROX_RULES_MAX
 * rules), EEXIST, ENOENT, EBUSY, EOPNOTSUPP.
 *
 * The control device and the fd
 * ------------------------------
 * open("/dev/mprox") gives an unbound fd; MPROX_IOC_CREATE or
 * MPROX_IOC_ATTACH binds it to a device, once. Both need CAP_NET_ADMIN in
 * the user namespace owning the caller's network namespace; the device is
 * created in (attached from) that namespace. libmprox's mprox_create() and
 * mprox_attach() do the open and the ioctl. Kernels built with the patch
 * series of the source's driver/patches/ also have a system call,
 * mprox_create(name, flags), that returns a bound fd in one step: the same
 * device, fd semantics and errors (mprox_create(2)); libmprox uses it when
 * the running kernel has it.
 *
 * Closing the last fd bound to a device deletes it unless it is persistent
 * (MPROX_F_PERSIST at create, "persist on", MPROX_IOC_SET_PERSIST). Devices
 * made with "ip link add NAME type mprox" start persistent. Once a device is
 * deleted ("ip link del", namespace teardown, module unload), its fds fail
 * every operation with ENODEV and poll() reports POLLERR | POLLHUP. An
 * unbound fd fails them with EBADFD. The ioctls other than
 * MPROX_IOC_CREATE and MPROX_IOC_ATTACH (which bind an fd, and fail with
 * EBUSY on one that was bound) get either before their argument is
 * looked at; an ioctl number the driver does not know is ENOTTY. An fd
 * not opened for writing changes nothing: write(), MPROX_IOC_ADD_UPSTREAM,
 * MPROX_IOC_DEL_UPSTREAM and MPROX_IOC_SET_PERSIST fail with EBADF on a
 * bound one.
 *
 *   write()   directives, see above
 *   read()    one JSON document: "device" (name, ifindex, netns inode,
 *             mtu, up), "config" (persist, fwmark, tunables, upstreams with
 *             passwords never shown; each with its state: "up" or
 *             "down", since_ms, back_by ("trial" or "probe") and
 *             retry_in_ms when down, last_error, failures,
 *             active, handshake_us, connects by result, bytes; and
 *             "rules", each {"index": N, "rule": the words after
 *             "rule add", as that directive takes them back}; "sets",
 *             each {"name", "prefixes": how many}),
 *             "stats". Reading at offset 0 takes a
 *             new snapshot; reads at later offsets continue it.
 *   poll()    POLLIN once the state changed since this fd last read at
 *             offset 0 (an upstream going down or up included); POLLOUT
 *             while bound (a poll() on an unbound fd wakes when another
 *             thread binds it).
 *
 * ioctl()s take structures that begin with their own size, which the caller
 * sets to sizeof() of the structure it was built with. The kernel accepts
 * any size from the first version up: fields it does not know must be zero
 * (else E2BIG), fields the caller does not know are not written back.
 *
 * Stability
 * ---------
 * Everything defined here is ABI: it is only ever extended. Structures carry
 * their own size so that old binaries keep working with new modules and the
 * other way round.
 */
#ifndef _UAPI_LINUX_MPROX_H
#define _UAPI_LINUX_MPROX_H

#include <linux/types.h>
#include <linux/ioctl.h>

/*
 * IFNAMSIZ, spelled out: <linux/if.h> clashes with libc's <net/if.h> when
 * included first.
 */
#define MPROX_IFNAMSIZ		16

/* Name of the driver, as shown by ethtool -i and "ip -d link" (kind). */
#define MPROX_DRIVER_NAME "mprox"

/*
 * Limits, each including the terminating NUL where it is a string. Input
 * longer than these is refused with ENAMETOOLONG, never truncated.
 */
#define MPROX_UPSTREAM_NAME_MAX	32	/* [A-Za-z0-9_.-], 1..31 chars */
#define MPROX_HOST_MAX		254	/* DNS name, 253 chars */
#define MPROX_CRED_MAX		256	/* user or password (RFC 1929: 255) */
#define MPROX_UPSTREAMS_MAX	64	/* per device; more is E2BIG */
#define MPROX_WRITE_MAX		(64 * 1024)	/* bytes one write() may carry; more is E2BIG */

/* Proxy protocol of an upstream: the URL scheme. */
enum mprox_proto {
	MPROX_PROTO_NONE = 0,
	MPROX_PROTO_SOCKS5 = 1,		/* socks5:// */
	MPROX_PROTO_SOCKS5H = 2,	/* socks5h://: names go to the proxy */
	MPROX_PROTO_SOCKS4 = 3,		/* socks4:// */
	MPROX_PROTO_SOCKS4A = 4,	/* socks4a:// */
	MPROX_PROTO_HTTP = 5,		/* http://: HTTP CONNECT */
};

#define MPROX_DEVICE_PATH	"/dev/mprox"
#define MPROX_IOC_MAGIC		0xE7

/* Flags of struct mprox_ioc_bind. */
#define MPROX_F_PERSIST		0x00000001U	/* create: outlive the last fd */

/*
 * Flags of the mprox_create() system call (mprox_create(2); kernels built
 * with driver/patches/ only): libmprox's MPROX_PERSIST, MPROX_CLOEXEC and
 * MPROX_NONBLOCK have the same values.
 */
#define MPROX_CREATE_PERSIST	MPROX_F_PERSIST	/* outlive the last fd */
#define MPROX_CREATE_CLOEXEC	0x00000002U	/* close-on-exec fd */
#define MPROX_CREATE_NONBLOCK	0x00000004U	/* O_NONBLOCK fd */

/* MPROX_IOC_CREATE, MPROX_IOC_ATTACH */
struct mprox_ioc_bind {
	__u32 size;
	__u32 flags;			/* MPROX_F_*; 0 for attach */
	char name[MPROX_IFNAMSIZ];		/* in: "" means "mprox%d"; out: actual */
	__u32 ifindex;			/* out */
	__u32 reserved;			/* zero */
};

/* MPROX_IOC_GET_INFO */
struct mprox_ioc_info {
	__u32 size;
	__u32 flags;			/* MPROX_F_PERSIST if persistent */
	char name[MPROX_IFNAMSIZ];
	__u32 ifindex;
	__u32 fwmark;
	__u32 upstreams;		/* number configured */
	__u32 reserved;
};

/*
 * MPROX_IOC_ADD_UPSTREAM, MPROX_IOC_DEL_UPSTREAM (only name is used).
 * url is parsed exactly like the URL of "upstream add"; weight and
 * priority are its "weight N" and "priority N". priority came later: a
 * kernel that has no such field takes a struct ending at url, and refuses
 * a bigger one whose priority is not 0 (E2BIG), as with every struct here.
 */
struct mprox_ioc_upstream {
	__u32 size;
	__u32 weight;			/* 1-1000; 0 means the default, 1 */
	char name[MPROX_UPSTREAM_NAME_MAX];
	char url[1024];
	__u32 priority;			/* 0-255, lower first; default 0 */
	__u32 reserved;			/* zero */
};

/* MPROX_IOC_GET_STATS: device counters. */
struct mprox_ioc_stats {
	__u32 size;
	__u32 reserved;
	__u64 rx_packets;
	__u64 rx_bytes;
	__u64 tx_packets;
	__u64 tx_bytes;
	__u64 tx_dropped;
};

/*
 * MPROX_IOC_GET_SET: the prefixes of prefix set name, in the order the
 * driver keeps them (by family, then address). The driver writes count,
 * the set's size, and, when the count it was given is room enough, all of
 * them at prefixes (a user pointer); else none: ask again with that room
 * (the set may have changed in between: compare the count). ENOENT when
 * the device has no such set.
 */
struct mprox_ioc_prefix {
	__u16 family;			/* AF_INET or AF_INET6 */
	__u8 len;			/* prefix length, bits */
	__u8 reserved;			/* zero */
	__u8 addr[16];			/* network order; IPv4 in the first 4 */
};

struct mprox_ioc_set {
	__u32 size;
	__u32 count;			/* in: room at prefixes; out: the set's */
	char name[MPROX_UPSTREAM_NAME_MAX];
	__aligned_u64 prefixes;		/* struct mprox_ioc_prefix[count] */
};

#define MPROX_IOC_CREATE	_IOWR(MPROX_IOC_MAGIC, 0x01, struct mprox_ioc_bind)
#define MPROX_IOC_ATTACH	_IOWR(MPROX_IOC_MAGIC, 0x02, struct mprox_ioc_bind)
#define MPROX_IOC_GET_INFO	_IOR(MPROX_IOC_MAGIC, 0x03, struct mprox_ioc_info)
#define MPROX_IOC_ADD_UPSTREAM	_IOW(MPROX_IOC_MAGIC, 0x04, struct mprox_ioc_upstream)
#define MPROX_IOC_DEL_UPSTREAM	_IOW(MPROX_IOC_MAGIC, 0x05, struct mprox_ioc_upstream)
#define MPROX_IOC_SET_PERSIST	_IOW(MPROX_IOC_MAGIC, 0x06, __u32)
#define MPROX_IOC_GET_STATS	_IOR(MPROX_IOC_MAGIC, 0x07, struct mprox_ioc_stats)
#define MPROX_IOC_GET_SET	_IOWR(MPROX_IOC_MAGIC, 0x08, struct mprox_ioc_set)

#endif /* _UAPI_LINUX_MPROX_H */
