// SPDX-License-Identifier: GPL-2.0
/*
 * mprox exec [-d NAME] [-u USER] -- CMD [ARGS...]
 *
 * Runs CMD and its children in a fresh cgroup v2 whose traffic goes
 * through the mprox device NAME, while the rest of the system goes direct;
 * removes the cgroup and its routing when CMD exits, whatever ended it.
 *
 * Device. -d NAME, or else the only mprox device of the network namespace;
 * with none or several, exec stops and says so (it never guesses).
 *
 * Objects. Each exec, P its process id, owns its own of everything, named
 * by P, so that execs never share an object with each other nor with
 * "mprox route" (whose numbers are 0x6d700000 + ifindex, route.c):
 *   cgroup  CGROOT/mprox.exec/NAME-P, CGROOT the cgroup2 mount, which must
 *           be /sys/fs/cgroup (nftables resolves cgroup paths there);
 *           when CGROOT itself is not writable (a delegated subtree),
 *           the caller's own cgroup replaces it as the parent of mprox.exec
 *   mark and table  EXEC_BASE + P (0x6d800000 + P: above every number of
 *           "mprox route"), one number for both
 *   routes  default dev NAME table EXEC_BASE+P proto 109, IPv4 and IPv6,
 *           and below it "unreachable default metric 4294967295": when NAME
 *           goes down or away (its route goes with it), the tree's
 *           connections fail instead of going direct
 *   rules   priority 10590 fwmark EXEC_BASE+P lookup EXEC_BASE+P proto
 *           109, IPv4 and IPv6: before every rule of "mprox route", so the
 *           tree goes through NAME even when "route --all" sends the rest
 *           into another device
 *   nft     chain exec-NAME-P in table inet mprox (type route hook output):
 *           marks the packets of the sockets of the cgroup that do not
 *           carry the device's own fwmark, so that they are routed again
 *   "mprox route NAME --off" looks for its own numbers and chain names
 *   only, and exec removes exactly its own; neither disturbs the other.
 *   The mark is set after connect() looked the destination up without it:
 *   as for "route --cgroup", the main table must have a route to the
 *   destination (docs/routing.md).
 *
 * Process. Signals (SIGINT, SIGTERM, SIGHUP, SIGCHLD) are blocked from the
 * start and taken with sigwaitinfo(), so no signal handler and no global
 * state are needed. The child writes itself into the cgroup's cgroup.procs
 * before it executes CMD (nothing of CMD runs outside the cgroup), drops to
 * -u USER if given, restores the signal mask and executes CMD; a failure on
 * the way comes back through a close-on-exec pipe. The parent forwards
 * SIGINT, SIGTERM and SIGHUP to CMD, except those the terminal sent to the
 * whole process group, which CMD got already. When CMD has exited (or was
 * killed, even by SIGKILL), processes it left in the cgroup get SIGTERM,
 * then SIGKILL (cgroup.kill) after EXEC_GRACE_MS: once the marks are gone
 * their traffic would go direct, which is what exec promises not to do.
 * Then the chain, rules and routes go, the cgroup and, when empty,
 * mprox.exec itself.
 *
 * Exit status: CMD's (128 + the signal when it was killed, like a shell);
 * 1 when mprox failed before CMD ran (CMD not found included); 2 for a
 * wrong command line.
 *
 * Garbage. An exec that was itself SIGKILLed leaves its objects. Every
 * exec first collects those of execs whose process is gone (no process P)
 * and whose cgroup is empty; a cgroup still populated keeps everything of
 * its exec, so that what runs there stays proxied.
 *
 * Privileges: CAP_NET_ADMIN for routing and nftables, and write access to
 * the cgroup tree: in practice root. CMD runs as the caller (root) unless
 * -u USER is given (its uid, gid and groups; the environment is kept).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "devstate.h"
#include "nft.h"
#include "rtnl_rules.h"

#define EXEC_BASE 0x6d800000u
#define EXEC_PID_MAX 0x400000u /* the kernel's PID_MAX_LIMIT */
#define PRIO_EXEC 10590
#define EXEC_UNREACH_METRIC RR_METRIC_LAST /* below the device's route */
#define CGROUP2_MOUNT "/sys/fs/cgroup"
#define EXEC_DIR "mprox.exec"
#define EXEC_GRACE_MS 2000 /* SIGTERM to SIGKILL for processes CMD left */
#define EXEC_KILL_MS 10000 /* SIGKILL to giving up on the cgroup */
#define MAX_STALE 256
#define CG_MAX 1024 /* cgroup paths this command makes or reads */
#define CG_FILE_MAX (CG_MAX + 64) /* a file in one */

struct exec_args {
	const char *dev; /* -d, or NULL */
	bool has_user;
	uid_t uid;
	gid_t gid;
	char user[64]; /* for initgroups(); empty: a uid without passwd entry */
	char **cmd;
};

struct exec_state {
	char dev[MPROX_IFNAMSIZ];
	int ifindex;
	uint32_t table; /* also the mark */
	uint32_t driver_mark;
	char base[CG_MAX]; /* the directory mprox.exec, absolute */
	char cgrel[CG_MAX]; /* the exec's cgroup below the cgroup2 root */
	char cgdir[CG_MAX + 32]; /* the same, absolute */
	char chain[64];
	bool cg_made, route4, route6, unreach, rules, nft;
	int left; /* what cg_empty() found */
};

static void help(void)
{
	printf("Usage: mprox exec [-d NAME] [-u USER] -- CMD [ARGS...]\n"
	       "\n"
	       "Runs CMD and its children in a new cgroup v2 whose traffic goes through the\n"
	       "mprox device NAME; the rest of the system goes direct. When CMD exits, what\n"
	       "it left running in the cgroup gets SIGTERM, then SIGKILL, and the cgroup\n"
	       "and its routing are removed.\n"
	       "  -d NAME   the device (default: the only mprox device)\n"
	       "  -u USER   run CMD as USER (name or uid), with its groups; otherwise CMD\n"
	       "            runs as the caller\n"
	       "\n"
	       "SIGINT, SIGTERM and SIGHUP are passed on to CMD. Exit status: CMD's (128 +\n"
	       "the signal when it was killed), 1 when mprox failed before CMD ran, 2 for\n"
	       "a wrong command line.\n"
	       "\n"
	       "Each exec, P its pid, has the cgroup /sys/fs/cgroup/mprox.exec/NAME-P, mark\n"
	       "and table 0x6d800000+P, rules at priority 10590 (before 'mprox route') and\n"
	       "the chain exec-NAME-P of table inet mprox. The mark is set after connect()\n"
	       "looked the destination up: the main table needs a route to it (any default\n"
	       "route will do). What a killed 'mprox exec' left is removed by the next one\n"
	       "once its cgroup is empty. Needs root (CAP_NET_ADMIN, the cgroup tree).\n");
}

static int parse_user(const char *s, struct exec_args *a)
{
	struct passwd *pw = getpwnam(s);
	unsigned long uid;

	if (!pw && !cli_parse_ulong(s, 0, 0xfffffffe, &uid)) {
		pw = getpwuid((uid_t)uid);
		if (!pw) {
			/* A bare uid: its own number as group, no supplementary groups. */
			a->uid = (uid_t)uid;
			a->gid = (gid_t)uid;
			a->user[0] = '\0';
			return 0;
		}
	}
	if (!pw || strlen(pw->pw_name) >= sizeof(a->user))
		return -1;
	a->uid = pw->pw_uid;
	a->gid = pw->pw_gid;
	strcpy(a->user, pw->pw_name);
	return 0;
}

static int parse_args(int argc, char **argv, struct exec_args *a)
{
	int i;

	memset(a, 0, sizeof(*a));
	for (i = 1; i < argc; i++) {
		const char *opt = argv[i];

		if (!strcmp(opt, "--")) {
			i++;
			break;
		}
		if (opt[0] != '-')
			break;
		if (cli_is_help(opt))
			return cli_usage("exec", "--help goes alone: 'mprox exec --help'");
		if (strcmp(opt, "-d") && strcmp(opt, "-u"))
			return cli_usage("exec",
					 "unknown option '%s'; the command goes after '--': "
					 "'mprox exec -d NAME -- CMD ARGS...'",
					 opt);
		if (i + 1 >= argc)
			return cli_usage("exec", "%s needs a value", opt);
		if (!strcmp(opt, "-d")) {
			if (a->dev)
				return cli_usage("exec", "-d given twice");
			a->dev = argv[++i];
			if (!cli_nft_ifname(a->dev))
				return cli_usage("exec",
						 "-d '%s': mprox exec takes interface names of "
						 "1-15 letters, digits, '_', '.' and '-'; rename "
						 "the device",
						 a->dev);
		} else {
			if (a->has_user)
				return cli_usage("exec", "-u given twice");
			if (parse_user(argv[++i], a))
				return cli_usage("exec",
						 "-u '%s': no such user; give a name from "
						 "/etc/passwd or a numeric uid",
						 argv[i]);
			a->has_user = true;
		}
	}
	if (i >= argc)
		return cli_usage("exec", "missing the command: 'mprox exec [-d NAME] -- CMD "
					 "[ARGS...]'");
	a->cmd = argv + i;
	return CLI_OK;
}

/* -d NAME, or the only mprox device. */
static int pick_device(const struct exec_args *a, struct exec_state *st)
{
	char names[8][MPROX_IFNAMSIZ];
	int n;

	if (a->dev) {
		snprintf(st->dev, sizeof(st->dev), "%s", a->dev);
		return 0;
	}
	n = dev_list(names, 8);
	if (n < 0)
		return -1; /* dev_list() said why */
	if (n == 0) {
		cli_fail("there is no mprox device; create one with 'mprox add mprox0' (and "
			 "'mprox upstream add', 'ip link set mprox0 up')");
		return -1;
	}
	if (n > 1) {
		cli_fail("there are %s%d mprox devices (%s, %s%s); say which with -d NAME",
			 n == 8 ? "at least " : "", n, names[0], names[1], n > 2 ? ", ..." : "");
		return -1;
	}
	if (!cli_nft_ifname(names[0])) {
		cli_fail("'%s': mprox exec takes interface names of 1-15 letters, digits, '_', "
			 "'.' and '-'; rename the device",
			 names[0]);
		return -1;
	}
	snprintf(st->dev, sizeof(st->dev), "%s", names[0]);
	return 0;
}

/* Is the cgroup2 hierarchy mounted at CGROUP2_MOUNT (/proc/self/mountinfo)? */
static int cgroup2_mounted(char *other, size_t len)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char line[4096];
	bool found = false;

	*other = '\0';
	if (!f)
		return -1;
	while (!found && fgets(line, sizeof(line), f)) {
		/* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE ... */
		char *dash = strstr(line, " - "), *fields[5], *save = NULL, *p;
		int k = 0;

		if (!dash || strncmp(dash + 3, "cgroup2 ", 8))
			continue;
		*dash = '\0';
		for (p = strtok_r(line, " ", &save); p && k < 5; p = strtok_r(NULL, " ", &save))
			fields[k++] = p;
		if (k < 5)
			continue;
		if (!strcmp(fields[4], CGROUP2_MOUNT))
			found = true;
		else if (!*other)
			snprintf(other, len, "%s", fields[4]);
	}
	fclose(f);
	return found ? 0 : -1;
}

/* The caller's cgroup v2 path ("0::/a/b" of /proc/self/cgroup), no leading '/'. */
static int own_cgroup(char *path, size_t len)
{
	FILE *f = fopen("/proc/self/cgroup", "re");
	char line[PATH_MAX + 8];
	int ret = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::/", 4))
			continue;
		line[strcspn(line, "\n")] = '\0';
		if ((size_t)snprintf(path, len, "%s", line + 4) < len)
			ret = 0;
		break;
	}
	fclose(f);
	return ret;
}

/* "populated 1" in DIR/cgroup.events? -1 when it cannot be read (gone). */
static int cg_populated(const char *dir)
{
	char path[CG_FILE_MAX], buf[256];
	int fd, ret = -1;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/cgroup.events", dir);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n > 0) {
		buf[n] = '\0';
		ret = strstr(buf, "populated 1") ? 1 : 0;
	}
	close(fd);
	return ret;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Wait up to @ms for DIR to empty, woken by cgroup.events changes
 * (kernfs notifies poll() with POLLPRI); each @sig (0: none) is sent again
 * to what is left every 100 ms.
 */
static bool cg_wait_empty(const char *dir, long long ms, int sig)
{
	char path[CG_FILE_MAX];
	long long end = now_ms() + ms;
	struct pollfd pfd;

	snprintf(path, sizeof(path), "%s/cgroup.events", dir);
	pfd.fd = open(path, O_RDONLY | O_CLOEXEC);
	pfd.events = POLLPRI;
	for (;;) {
		long long left = end - now_ms();
		char events[256];

		/*
		 * kernfs reports a change to poll() until the file is read:
		 * read it, or poll() returns at once and this loop spins.
		 */
		if (pfd.fd >= 0 && pread(pfd.fd, events, sizeof(events), 0) < 0) {
			close(pfd.fd);
			pfd.fd = -1;
		}

		if (cg_populated(dir) != 1)
			break;
		if (left <= 0)
			break;
		if (sig) {
			char procs[CG_FILE_MAX];
			FILE *f;
			int pid;

			snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir);
			f = fopen(procs, "re");
			while (f && fscanf(f, "%d", &pid) == 1)
				kill(pid, sig);
			if (f)
				fclose(f);
		}
		if (pfd.fd >= 0)
			poll(&pfd, 1, left < 100 ? (int)left : 100);
		else
			poll(NULL, 0, left < 100 ? (int)left : 100);
	}
	if (pfd.fd >= 0)
		close(pfd.fd);
	return cg_populated(dir) != 1;
}

/* Write @s into DIR/FILE. */
static int cg_write(const char *dir, const char *file, const char *s)
{
	char path[CG_FILE_MAX];
	int fd, ret = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (write(fd, s, strlen(s)) < 0)
		ret = -1;
	close(fd);
	return ret;
}

/*
 * What CMD left in the cgroup: SIGTERM, EXEC_GRACE_MS, then SIGKILL
 * (cgroup.kill, or each process on kernels before 5.14). Returns
 * CG_WAS_EMPTY, CG_TERMINATED (SIGTERM was enough) or CG_KILLED.
 */
enum { CG_WAS_EMPTY, CG_TERMINATED, CG_KILLED };
static int cg_empty(const char *dir)
{
	char path[CG_FILE_MAX];
	int pid;
	FILE *f;

	if (cg_populated(dir) != 1)
		return CG_WAS_EMPTY;
	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	f = fopen(path, "re");
	while (f && fscanf(f, "%d", &pid) == 1)
		kill(pid, SIGTERM);
	if (f)
		fclose(f);
	if (cg_wait_empty(dir, EXEC_GRACE_MS, 0))
		return CG_TERMINATED;
	if (cg_write(dir, "cgroup.kill", "1"))
		cg_wait_empty(dir, EXEC_KILL_MS, SIGKILL);
	else
		cg_wait_empty(dir, EXEC_KILL_MS, 0);
	return CG_KILLED;
}

/* ---- garbage of killed execs ------------------------------------------ */

struct stale {
	pid_t pids[MAX_STALE];
	size_t n;
};

static void stale_add(struct stale *s, long pid)
{
	size_t i;

	if (pid <= 0 || pid > (long)EXEC_PID_MAX)
		return;
	for (i = 0; i < s->n; i++)
		if (s->pids[i] == (pid_t)pid)
			return;
	if (s->n < MAX_STALE)
		s->pids[s->n++] = (pid_t)pid;
}

/* The P of "...-P", or -1. */
static long name_pid(const char *name)
{
	const char *dash = strrchr(name, '-');
	unsigned long v;

	if (!dash || cli_parse_ulong(dash + 1, 1, EXEC_PID_MAX, &v) || dash[1] == '0')
		return -1;
	return (long)v;
}

static void stale_chain(const char *chain, void *arg)
{
	stale_add(arg, name_pid(chain));
}

/*
 * Could P be a running "mprox exec" other than this one? Any process P
 * counts: collecting a live exec would let its traffic go direct, while
 * the leftovers of a killed exec whose pid was taken again are inert (a
 * mark nobody sets, an empty cgroup) and go once that process is gone.
 */
static bool exec_alive(pid_t pid)
{
	return pid != getpid() && !(kill(pid, 0) && errno == ESRCH);
}

/* The cgroup directory of P under @base (into @dir), if there is one. */
static bool stale_cgroup(const char *base, pid_t pid, char *dir, size_t len)
{
	DIR *d = opendir(base);
	struct dirent *e;
	bool found = false;

	while (d && !found && (e = readdir(d))) {
		if (e->d_type == DT_DIR && name_pid(e->d_name) == pid) {
			snprintf(dir, len, "%s/%s", base, e->d_name);
			found = true;
		}
	}
	if (d)
		closedir(d);
	return found;
}

struct chain_of {
	pid_t pid;
	char names[4][64];
	size_t n;
};

static void chain_of_pid(const char *chain, void *arg)
{
	struct chain_of *c = arg;

	if (name_pid(chain) == c->pid && c->n < 4 && strlen(chain) < sizeof(c->names[0]))
		strcpy(c->names[c->n++], chain);
}

/* Remove what execs killed before they could clean up left behind. */
static void collect(struct nl_sock *sk, const char *base)
{
	uint32_t tables[MAX_STALE];
	struct stale s = { .n = 0 };
	char nfterr[256] = "";
	struct dirent *e;
	size_t i, nt = 0;
	DIR *d;

	d = opendir(base);
	while (d && (e = readdir(d)))
		if (e->d_type == DT_DIR && e->d_name[0] != '.')
			stale_add(&s, name_pid(e->d_name));
	if (d)
		closedir(d);
	if (!rr_tables(sk, EXEC_BASE + 1, EXEC_BASE + EXEC_PID_MAX, tables, MAX_STALE, &nt))
		for (i = 0; i < nt; i++)
			stale_add(&s, (long)(tables[i] - EXEC_BASE));
	mprox_nft_chains("exec-", stale_chain, &s, nfterr, sizeof(nfterr));

	for (i = 0; i < s.n; i++) {
		pid_t pid = s.pids[i];
		struct chain_of c = { .pid = pid };
		unsigned int rules = 0, routes = 0, chains = 0;
		char dir[CG_MAX + 300] = "";
		bool cg, removed;
		size_t k;

		if (exec_alive(pid))
			continue;
		cg = stale_cgroup(base, pid, dir, sizeof(dir));
		if (cg && cg_populated(dir) == 1)
			continue; /* its processes stay proxied until they are gone */
		rr_remove(sk, EXEC_BASE + (uint32_t)pid, &rules, &routes);
		mprox_nft_chains("exec-", chain_of_pid, &c, nfterr, sizeof(nfterr));
		for (k = 0; k < c.n; k++)
			if (!mprox_nft_chain_del(c.names[k], &removed, nfterr, sizeof(nfterr)) &&
			    removed)
				chains++;
		if (cg && rmdir(dir))
			cg = false;
		fprintf(stderr,
			"mprox: removed what the killed 'mprox exec' %d left: %u rules, %u "
			"routes, %u nftables chains%s\n",
			(int)pid, rules, routes, chains, cg ? ", its cgroup" : "");
	}
}

/* ---- setting up and tearing down ---------------------------------------- */

/* mprox.exec and the exec's cgroup in it; st->base, cgrel, cgdir. */
static int make_cgroup(struct exec_state *st, struct nl_sock *sk)
{
	char own[CG_MAX] = "", other[CG_MAX];
	int tries;

	if (cgroup2_mounted(other, sizeof(other))) {
		if (*other)
			cli_fail("cgroup2 is mounted at %s, not at " CGROUP2_MOUNT
				 " where nftables looks cgroups up; mount it there too "
				 "('mount -t cgroup2 none " CGROUP2_MOUNT "')",
				 other);
		else
			cli_fail(
				"no cgroup2 hierarchy is mounted (/proc/self/mountinfo); mount it: "
				"'mount -t cgroup2 none " CGROUP2_MOUNT "'");
		return -1;
	}
	snprintf(st->base, sizeof(st->base), CGROUP2_MOUNT "/" EXEC_DIR);
	for (tries = 0; tries < 5; tries++) {
		const char *rel_parent;
		int n;

		if (mkdir(st->base, 0755) && errno != EEXIST) {
			if ((errno == EACCES || errno == EPERM || errno == EROFS) && !*own &&
			    !own_cgroup(own, sizeof(own)) && *own) {
				/* The root is not ours: below the caller's own cgroup. */
				n = snprintf(st->base, sizeof(st->base),
					     CGROUP2_MOUNT "/%s/" EXEC_DIR, own);
				if (n < 0 || (size_t)n >= sizeof(st->base)) {
					cli_fail("cannot create a cgroup below " CGROUP2_MOUNT
						 "/%s: %s",
						 own, strerror(ENAMETOOLONG));
					return -1;
				}
				continue;
			}
			cli_fail("cannot create the cgroup %s: %s; run as root, with cgroup2 "
				 "writable",
				 st->base, strerror(errno));
			return -1;
		}
		collect(sk, st->base);
		rel_parent = st->base + strlen(CGROUP2_MOUNT "/");
		n = snprintf(st->cgrel, sizeof(st->cgrel), "%s/%s-%d", rel_parent, st->dev,
			     (int)getpid());
		if (n < 0 || (size_t)n >= sizeof(st->cgrel)) {
			errno = ENAMETOOLONG;
			break;
		}
		snprintf(st->cgdir, sizeof(st->cgdir), CGROUP2_MOUNT "/%s", st->cgrel);
		if (!mkdir(st->cgdir, 0755)) {
			st->cg_made = true;
			return 0;
		}
		/* Another exec removed an empty mprox.exec meanwhile: again. */
		if (errno != ENOENT)
			break;
	}
	if (errno == ENAMETOOLONG)
		cli_fail("cannot create a cgroup below %s: %s", st->base, strerror(errno));
	else
		cli_fail("cannot create the cgroup %s: %s; is an earlier one still populated "
			 "('cat %s/cgroup.procs')?",
			 st->cgdir, strerror(errno), st->cgdir);
	return -1;
}

static void rule_of(const struct exec_state *st, int family, struct rr_rule *r)
{
	memset(r, 0, sizeof(*r));
	r->family = family;
	r->prio = PRIO_EXEC;
	r->table = st->table;
	r->has_mark = true;
	r->mark = st->table;
	r->mask = 0xffffffff;
	r->suppress_prefixlen = -1;
}

/* Remove everything of this exec; returns how many steps failed. */
static int teardown(struct exec_state *st, struct nl_sock *sk)
{
	unsigned int rules, routes;
	char nfterr[256] = "";
	int failed = 0, lock;
	bool removed;

	/* First the processes: with the marks gone, they would go direct. */
	if (st->cg_made)
		st->left = cg_empty(st->cgdir);
	if (st->cg_made && cg_populated(st->cgdir) == 1) {
		/* Even SIGKILL did not empty it (a process stuck in the kernel). */
		fprintf(stderr,
			"mprox: processes in %s outlived SIGKILL; its routing stays until it is "
			"empty, then the next 'mprox exec' removes it\n",
			st->cgdir);
		return 1;
	}
	lock = cli_lock();
	if (st->nft && mprox_nft_chain_del(st->chain, &removed, nfterr, sizeof(nfterr))) {
		fprintf(stderr, "mprox: could not remove chain %s of table inet mprox: %s\n",
			st->chain, nfterr);
		failed++;
	}
	st->nft = false;
	if ((st->rules || st->route4 || st->route6 || st->unreach) &&
	    rr_remove(sk, st->table, &rules, &routes)) {
		fprintf(stderr, "mprox: could not remove the rules and routes of table %u: %s\n",
			st->table, strerror(errno));
		failed++;
	}
	st->rules = st->route4 = st->route6 = st->unreach = false;
	if (st->cg_made) {
		if (rmdir(st->cgdir)) {
			fprintf(stderr, "mprox: could not remove the cgroup %s: %s\n", st->cgdir,
				strerror(errno));
			failed++;
		}
		rmdir(st->base); /* only when no other exec has its cgroup there */
	}
	st->cg_made = false;
	cli_unlock(lock);
	if (failed)
		fprintf(stderr, "mprox: the next 'mprox exec' removes what is left\n");
	return failed;
}

static int setup(const struct exec_args *a, struct exec_state *st, struct nl_sock *sk)
{
	struct json_object *state;
	struct rr_usage use;
	char nfterr[256] = "";
	bool up;
	int fd;

	if (pick_device(a, st))
		return -1;
	fd = dev_open(st->dev);
	if (fd < 0)
		return -1;
	state = dev_state(fd, st->dev);
	close(fd);
	if (!state)
		return -1;
	st->driver_mark = (uint32_t)jint(state, "config.fwmark");
	json_object_put(state);
	if (rr_link(sk, st->dev, &st->ifindex, &up)) {
		cli_fail("%s: cannot read the link: %s", st->dev, strerror(errno));
		return -1;
	}
	if (!up) {
		cli_fail("%s is down; 'ip link set %s up' first", st->dev, st->dev);
		return -1;
	}
	st->table = EXEC_BASE + (uint32_t)getpid();
	snprintf(st->chain, sizeof(st->chain), "exec-%s-%d", st->dev, (int)getpid());
	if (make_cgroup(st, sk))
		return -1;
	if (rr_usage(sk, st->table, st->table, &use)) {
		cli_fail("cannot read the routing rules: %s", strerror(errno));
		return -1;
	}
	if (use.our_rules || use.our_routes || use.their_rules || use.their_routes) {
		cli_fail("table and mark %u (0x%x) are in use (%u rules, %u routes); remove them "
			 "('ip rule', 'ip route show table %u') and run mprox exec again",
			 st->table, st->table, use.our_rules + use.their_rules,
			 use.our_routes + use.their_routes, st->table);
		return -1;
	}
	if (rr_default_add(sk, AF_INET, st->table, st->ifindex)) {
		cli_fail("%s: cannot add 'default dev %s table %u': %s", st->dev, st->dev,
			 st->table, strerror(errno));
		return -1;
	}
	st->route4 = true;
	if (rr_default_add(sk, AF_INET6, st->table, st->ifindex)) {
		cli_fail("%s: cannot add IPv6 'default dev %s table %u': %s; is IPv6 disabled "
			 "on %s?",
			 st->dev, st->dev, st->table, strerror(errno), st->dev);
		return -1;
	}
	st->route6 = true;
	for (int fam = 0; fam < 2; fam++) {
		if (rr_unreachable_add(sk, fam ? AF_INET6 : AF_INET, st->table,
				       EXEC_UNREACH_METRIC)) {
			cli_fail("cannot add the %s route 'unreachable default table %u metric "
				 "%u': %s",
				 fam ? "IPv6" : "IPv4", st->table, EXEC_UNREACH_METRIC,
				 strerror(errno));
			return -1;
		}
		st->unreach = true;
	}
	for (int fam = 0; fam < 2; fam++) {
		struct rr_rule r;

		rule_of(st, fam ? AF_INET6 : AF_INET, &r);
		if (rr_rule_add(sk, &r)) {
			cli_fail("cannot add the %s rule %u 'fwmark 0x%x lookup %u': %s",
				 fam ? "IPv6" : "IPv4", PRIO_EXEC, st->table, st->table,
				 strerror(errno));
			return -1;
		}
		st->rules = true;
	}
	if (mprox_nft_exec_add(st->chain, st->driver_mark, st->cgrel, st->table, nfterr,
			       sizeof(nfterr))) {
		cli_fail("nftables refused chain %s of table inet mprox: %s; are nf_tables and "
			 "its socket expression available ('modprobe nf_tables nft_socket')?",
			 st->chain, nfterr);
		return -1;
	}
	st->nft = true;
	return 0;
}

/* ---- the command ---------------------------------------------------------- */

struct child_error {
	int err;
	char what[48];
};

/* In the child: into the cgroup, -u, the caller's signal mask, CMD. */
static void child(const struct exec_args *a, int procs_fd, int pipe_fd, const sigset_t *mask,
		  const struct sigaction *old_chld)
{
	struct child_error ce = { 0 };

	if (write(procs_fd, "0", 1) != 1) {
		ce.err = errno;
		snprintf(ce.what, sizeof(ce.what), "enter its cgroup");
		goto fail;
	}
	close(procs_fd);
	if (a->has_user) {
		if ((*a->user ? initgroups(a->user, a->gid) : setgroups(0, NULL)) ||
		    setgid(a->gid) || setuid(a->uid)) {
			ce.err = errno;
			snprintf(ce.what, sizeof(ce.what), "become uid %u", (unsigned int)a->uid);
			goto fail;
		}
	}
	sigaction(SIGCHLD, old_chld, NULL);
	sigprocmask(SIG_SETMASK, mask, NULL);
	execvp(a->cmd[0], a->cmd);
	ce.err = errno;
	snprintf(ce.what, sizeof(ce.what), "run");
fail:
	if (write(pipe_fd, &ce, sizeof(ce)) < 0)
		_exit(127);
	_exit(127);
}

/* Wait for CMD, passing signals on; its wait status. */
static int wait_cmd(pid_t pid, const sigset_t *set)
{
	int status = 0;

	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(set, &si);

		if (sig < 0)
			continue; /* EINTR: a stop and continue */
		if (sig == SIGCHLD) {
			pid_t r = waitpid(pid, &status, WNOHANG);

			if (r == pid || (r < 0 && errno == ECHILD))
				return status;
			continue;
		}
		/*
		 * A terminal's ^C or hangup went to the whole process group,
		 * CMD included: passing it on would deliver it twice.
		 */
		if (si.si_code == SI_KERNEL)
			continue;
		kill(pid, sig);
	}
}

int cmd_exec(const struct cli *cli, int argc, char **argv)
{
	struct exec_state *st = NULL;
	struct exec_args a;
	struct nl_sock *sk = NULL;
	struct sigaction dfl = { .sa_handler = SIG_DFL }, old_chld;
	sigset_t set, old;
	int ret, procs_fd = -1, pipefd[2] = { -1, -1 }, status, sig, lock, failed;
	char path[CG_FILE_MAX];
	struct child_error ce;
	struct timespec zero = { 0, 0 };
	pid_t pid;
	ssize_t n;

	(void)cli; /* CMD's output is its own: -j changes nothing */
	if (argc > 1 && cli_is_help(argv[1])) {
		help();
		return CLI_OK;
	}
	ret = parse_args(argc, argv, &a);
	if (ret != CLI_OK)
		return ret;

	/* From here on, a signal is taken by sigwaitinfo(), never lost mid-way. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, &old);
	sigaction(SIGCHLD, &dfl, &old_chld); /* SIG_IGN would reap CMD for us */

	st = calloc(1, sizeof(*st));
	if (!st) {
		ret = cli_fail("out of memory");
		goto out;
	}
	sk = rr_open();
	if (!sk) {
		ret = cli_fail("cannot open a routing netlink socket: %s", strerror(errno));
		goto out;
	}
	lock = cli_lock();
	failed = setup(&a, st, sk);
	cli_unlock(lock);
	if (failed) {
		ret = CLI_FAILED;
		goto out;
	}
	snprintf(path, sizeof(path), "%s/cgroup.procs", st->cgdir);
	procs_fd = open(path, O_WRONLY | O_CLOEXEC);
	if (procs_fd < 0 || pipe2(pipefd, O_CLOEXEC)) {
		ret = cli_fail("cannot open %s: %s; run mprox exec as root", path, strerror(errno));
		goto out;
	}
	/* A signal during the setup: CMD never starts. */
	sig = sigtimedwait(&set, NULL, &zero);
	if (sig > 0 && sig != SIGCHLD) {
		ret = 128 + sig;
		goto out;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		ret = cli_fail("cannot fork: %s; too many processes or too little memory: "
			       "try again when fewer run",
			       strerror(errno));
		goto out;
	}
	if (pid == 0) {
		close(pipefd[0]);
		child(&a, procs_fd, pipefd[1], &old, &old_chld);
	}
	close(procs_fd);
	procs_fd = -1;
	close(pipefd[1]);
	pipefd[1] = -1;
	do
		n = read(pipefd[0], &ce, sizeof(ce));
	while (n < 0 && errno == EINTR);
	status = wait_cmd(pid, &set);
	if (n == (ssize_t)sizeof(ce)) {
		ce.what[sizeof(ce.what) - 1] = '\0';
		if (!strcmp(ce.what, "run"))
			ret = cli_fail("cannot run '%s': %s; check the name and PATH", a.cmd[0],
				       strerror(ce.err));
		else
			ret = cli_fail("cannot %s for '%s': %s; run mprox exec as root%s", ce.what,
				       a.cmd[0], strerror(ce.err),
				       a.has_user ? " (-u needs CAP_SETUID and CAP_SETGID)" : "");
		goto out;
	}
	if (WIFEXITED(status))
		ret = WEXITSTATUS(status);
	else if (WIFSIGNALED(status))
		ret = 128 + WTERMSIG(status);
	else
		ret = CLI_FAILED;
out:
	if (procs_fd >= 0)
		close(procs_fd);
	if (pipefd[0] >= 0)
		close(pipefd[0]);
	if (pipefd[1] >= 0)
		close(pipefd[1]);
	if (st && sk) {
		teardown(st, sk);
		if (st->left == CG_TERMINATED)
			fprintf(stderr,
				"mprox: ended with SIGTERM what '%s' left running in its cgroup\n",
				a.cmd[0]);
		else if (st->left == CG_KILLED)
			fprintf(stderr,
				"mprox: ended with SIGKILL what '%s' left running in its cgroup "
				"(SIGTERM did not within %d s)\n",
				a.cmd[0], EXEC_GRACE_MS / 1000);
	}
	rr_close(sk);
	free(st);
	/*
	 * The signals stay blocked: one that came during the teardown must
	 * not replace CMD's exit status. mprox exits right after this.
	 */
	return ret;
}
