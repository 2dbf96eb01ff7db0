// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/mprox and the file descriptors it hands out.
 *
 * An fd starts unbound; MPROX_IOC_CREATE or MPROX_IOC_ATTACH binds it to a
 * device once and for all. Binding, unbinding and device deletion all run
 * under RTNL, so an fd and its device can never disagree about whether
 * they are bound. The other operations look the device up with RCU and
 * hold it with dev_hold() only for their work: never while they copy from
 * or to the caller, whose buffer may fault for as long as it likes, nor
 * while they wait for a lock held by one that does.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/nospec.h>
#include <linux/nsproxy.h>
#include <linux/poll.h>
#include <linux/rtnetlink.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <net/net_namespace.h>

#include "compat.h"
#include "control.h"
#include "device.h"
#include "status.h"

struct mprox_file {
	/* watch.md NULL: unbound or device gone. */
	struct mprox_dev_watcher watch;
	/* Tells ENODEV from EBADFD; set (release) after md is published. */
	bool was_bound;
	u64 seen_generation;
	/* The JSON snapshot read() serves; taken at offset 0. */
	struct mutex read_lock;
	char *snapshot;
	size_t snapshot_len;
};

static void file_attach(struct mprox_file *f, struct mprox_dev *md)
{
	ASSERT_RTNL();
	f->seen_generation = atomic64_read(&md->generation);
	mprox_device_watch(md, &f->watch);
	/* Pairs with file_get_dev(): was_bound set means md is visible. */
	smp_store_release(&f->was_bound, true);
	/* A poll() that found the fd unbound waits for POLLOUT. */
	wake_up_interruptible_poll(&f->watch.wq, EPOLLOUT | EPOLLWRNORM);
}

/*
 * The device this fd is bound to, held, or ERR_PTR(-EBADFD) for an unbound
 * fd and ERR_PTR(-ENODEV) for one whose device was deleted. Put it with
 * file_put_dev().
 */
static struct mprox_dev *file_get_dev(struct mprox_file *f)
{
	struct mprox_dev *md;

	bool was_bound = false;

	rcu_read_lock();
	md = rcu_dereference(f->watch.md);
	if (!md) {
		/* A bind racing with us: was_bound implies md is visible. */
		was_bound = smp_load_acquire(&f->was_bound);
		if (was_bound)
			md = rcu_dereference(f->watch.md);
	}
	if (md)
		dev_hold(md->dev);
	rcu_read_unlock();
	if (md)
		return md;
	return ERR_PTR(was_bound ? -ENODEV : -EBADFD);
}

static void file_put_dev(struct mprox_dev *md)
{
	dev_put(md->dev);
}

static struct mprox_file *mprox_file_alloc(void)
{
	struct mprox_file *f;

	f = kzalloc(sizeof(*f), GFP_KERNEL_ACCOUNT);
	if (!f)
		return NULL;
	mprox_dev_watcher_init(&f->watch);
	mutex_init(&f->read_lock);
	return f;
}

static int mprox_fop_open(struct inode *inode, struct file *file)
{
	struct mprox_file *f = mprox_file_alloc();

	if (!f)
		return -ENOMEM;
	file->private_data = f;
	return 0;
}

static int mprox_fop_release(struct inode *inode, struct file *file)
{
	struct mprox_file *f = file->private_data;
	struct mprox_dev *md;

	/* Anyone may open /dev/mprox: only bound fds get to take RTNL. */
	if (READ_ONCE(f->was_bound)) {
		rtnl_lock();
		md = rtnl_dereference(f->watch.md);
		if (md) {
			mprox_device_unwatch(md, &f->watch);
			if (!mprox_device_watched(md) &&
			    !mprox_device_persistent(md))
				unregister_netdevice(md->dev);
		}
		rtnl_unlock();
	}
	kvfree(f->snapshot);
	kfree(f);
	return 0;
}

/*
 * ioctl structures start with their size (see the uapi header). Accept
 * any size from @min up, as long as what we do not know is zero.
 */
static int copy_struct_in(void *kbuf, size_t ksize, size_t min,
			  const void __user *ubuf, u32 *usize)
{
	if (get_user(*usize, (const u32 __user *)ubuf))
		return -EFAULT;
	if (*usize < min)
		return -EINVAL;
	if (*usize > PAGE_SIZE)
		return -E2BIG;
	return copy_struct_from_user(kbuf, ksize, ubuf, *usize);
}

static int copy_struct_out(void __user *ubuf, u32 usize, void *kbuf,
			   size_t ksize)
{
	return copy_to_user(ubuf, kbuf, min_t(size_t, usize, ksize)) ?
		-EFAULT : 0;
}

/*
 * The caller never learnt about the binding (its buffer faulted): unbind,
 * and delete a device this call created unless someone attached to it,
 * or, as a close would, one not persistent whose other fds closed since.
 */
static void undo_bind(struct mprox_file *f, bool created)
{
	struct mprox_dev *md;

	rtnl_lock();
	md = rtnl_dereference(f->watch.md);
	if (md) {
		mprox_device_unwatch(md, &f->watch);
		if (!mprox_device_watched(md) &&
		    (created || !mprox_device_persistent(md)))
			unregister_netdevice(md->dev);
	}
	WRITE_ONCE(f->was_bound, false);
	rtnl_unlock();
}

/*
 * Bind @f to a new device named @name ("" for "mprox%d") in the caller's
 * namespace (@create), or to the existing one named @name. On success
 * @name becomes the device's name and *@ifindex its index. The caller
 * checked the arguments and CAP_NET_ADMIN.
 */
static int file_bind(struct mprox_file *f, bool create,
		     char name[IFNAMSIZ], bool persist, u32 *ifindex)
{
	struct net *net = current->nsproxy->net_ns;
	struct mprox_dev *md;
	int err = 0;

	rtnl_lock();
	if (READ_ONCE(f->was_bound)) {
		err = -EBUSY;
		goto out_unlock;
	}
	if (create) {
		md = mprox_device_create(net, name[0] ? name : "mprox%d",
					 persist);
		if (IS_ERR(md)) {
			err = PTR_ERR(md);
			goto out_unlock;
		}
	} else {
		md = mprox_device_find(net, name);
		if (!md) {
			err = -ENODEV;
			goto out_unlock;
		}
	}
	file_attach(f, md);
	/* Renames take RTNL too: the name is stable here. */
	memcpy(name, md->dev->name, IFNAMSIZ);
	*ifindex = md->dev->ifindex;
out_unlock:
	rtnl_unlock();
	return err;
}

static bool may_bind(void)
{
	return ns_capable(current->nsproxy->net_ns->user_ns, CAP_NET_ADMIN);
}

static long ioctl_bind(struct mprox_file *f, unsigned int cmd,
		       void __user *argp)
{
	struct mprox_ioc_bind b;
	u32 usize;
	int err;

	err = copy_struct_in(&b, sizeof(b), sizeof(b), argp, &usize);
	if (err)
		return err;
	if (b.reserved || (b.flags & ~MPROX_F_PERSIST) ||
	    (cmd == MPROX_IOC_ATTACH && b.flags))
		return -EINVAL;
	if (strnlen(b.name, sizeof(b.name)) == sizeof(b.name))
		return -ENAMETOOLONG;
	if (cmd == MPROX_IOC_ATTACH && !b.name[0])
		return -EINVAL;
	if (!may_bind())
		return -EPERM;

	err = file_bind(f, cmd == MPROX_IOC_CREATE, b.name,
			b.flags & MPROX_F_PERSIST, &b.ifindex);
	if (err)
		return err;
	err = copy_struct_out(argp, usize, &b, sizeof(b));
	if (err)
		undo_bind(f, cmd == MPROX_IOC_CREATE);
	return err;
}

/*
 * The handlers below copy from and to the caller only while they hold no
 * device: a buffer that faults for ever (FUSE, userfaultfd) must not pin
 * the device and stall its unregistration, and with it netns cleanup.
 */
static long ioctl_get_info(struct mprox_file *f, unsigned int cmd,
			   void __user *argp)
{
	struct mprox_ioc_info info;
	struct mprox_config *cfg;
	struct mprox_dev *md;
	u32 usize;
	int err;

	err = copy_struct_in(&info, sizeof(info), sizeof(info), argp, &usize);
	if (err)
		return err;
	md = file_get_dev(f);
	if (IS_ERR(md))
		return PTR_ERR(md);
	memset(&info, 0, sizeof(info));
	info.size = sizeof(info);
	info.ifindex = md->dev->ifindex;
	mprox_device_name(md, info.name);
	rcu_read_lock();
	cfg = rcu_dereference(md->dp.config);
	info.flags = cfg->persist ? MPROX_F_PERSIST : 0;
	info.fwmark = cfg->fwmark;
	info.upstreams = cfg->nr_upstreams;
	rcu_read_unlock();
	file_put_dev(md);
	return copy_struct_out(argp, usize, &info, sizeof(info));
}

/*
 * A set's prefixes, a chunk at a time through a buffer on the stack: the
 * set is held, not the configuration nor the device, so a copy that
 * faults holds up no write and no deletion.
 */
static long ioctl_get_set(struct mprox_file *f, unsigned int cmd,
			  void __user *argp)
{
	struct mprox_ioc_prefix chunk[16];
	struct mprox_prefix_set *set;
	struct mprox_ioc_set s;
	struct mprox_dev *md;
	void __user *dst;
	u32 usize, i, n;
	int err;

	err = copy_struct_in(&s, sizeof(s), sizeof(s), argp, &usize);
	if (err)
		return err;
	if (strnlen(s.name, sizeof(s.name)) == sizeof(s.name))
		return -ENAMETOOLONG;
	md = file_get_dev(f);
	if (IS_ERR(md))
		return PTR_ERR(md);
	rcu_read_lock();
	set = mprox_config_get_set(rcu_dereference(md->dp.config), s.name);
	rcu_read_unlock();
	file_put_dev(md);
	if (!set)
		return -ENOENT;
	dst = u64_to_user_ptr(s.prefixes);
	n = s.count >= set->len ? set->len : 0;
	for (i = 0; i < n && !err; i += ARRAY_SIZE(chunk)) {
		u32 k, m = min_t(u32, n - i, ARRAY_SIZE(chunk));

		memset(chunk, 0, sizeof(chunk));
		for (k = 0; k < m; k++) {
			chunk[k].family = set->prefixes[i + k].family;
			chunk[k].len = set->prefixes[i + k].len;
			memcpy(chunk[k].addr, set->prefixes[i + k].addr,
			       sizeof(chunk[k].addr));
		}
		if (copy_to_user(dst + (size_t)i * sizeof(chunk[0]), chunk,
				 m * sizeof(chunk[0])))
			err = -EFAULT;
		cond_resched();
	}
	s.count = set->len;
	mprox_prefix_set_put(set);
	if (err)
		return err;
	s.size = sizeof(s);
	return copy_struct_out(argp, usize, &s, sizeof(s));
}

static long ioctl_get_stats(struct mprox_file *f, unsigned int cmd,
			    void __user *argp)
{
	struct rtnl_link_stats64 s;
	struct mprox_ioc_stats st;
	struct mprox_dev *md;
	u32 usize;
	int err;

	err = copy_struct_in(&st, sizeof(st), sizeof(st), argp, &usize);
	if (err)
		return err;
	md = file_get_dev(f);
	if (IS_ERR(md))
		return PTR_ERR(md);
	dev_get_stats(md->dev, &s);
	file_put_dev(md);
	memset(&st, 0, sizeof(st));
	st.size = sizeof(st);
	st.rx_packets = s.rx_packets;
	st.rx_bytes = s.rx_bytes;
	st.tx_packets = s.tx_packets;
	st.tx_bytes = s.tx_bytes;
	st.tx_dropped = s.tx_dropped;
	return copy_struct_out(argp, usize, &st, sizeof(st));
}

/* True if @s (NUL-terminated) could break out of one directive word. */
static bool has_space(const char *s)
{
	for (; *s; s++)
		if (*s <= ' ' || *s == 0x7f)
			return true;
	return false;
}

/*
 * The typed upstream ioctls are spelled as one directive line, so that
 * they are validated by exactly the code that validates write().
 */
static long ioctl_upstream(struct mprox_file *f, unsigned int cmd,
			   void __user *argp)
{
	struct mprox_ioc_upstream *u;
	struct mprox_dev *md;
	char *line = NULL;
	u32 usize;
	int err;

	u = kmalloc(sizeof(*u), GFP_KERNEL);
	if (!u)
		return -ENOMEM;
	/* Up to url is what the first kernels took; priority came later. */
	err = copy_struct_in(u, sizeof(*u), offsetofend(typeof(*u), url), argp,
			     &usize);
	if (err)
		goto out;
	err = -EINVAL;
	if (u->reserved)
		goto out;
	/* Delete uses the name only; whatever is in url is ignored. */
	if (cmd == MPROX_IOC_DEL_UPSTREAM)
		u->url[0] = '\0';
	err = -ENAMETOOLONG;
	if (strnlen(u->name, sizeof(u->name)) == sizeof(u->name) ||
	    strnlen(u->url, sizeof(u->url)) == sizeof(u->url))
		goto out;
	err = -EINVAL;
	if (!u->name[0] || has_space(u->name) || has_space(u->url))
		goto out;
	if (cmd == MPROX_IOC_DEL_UPSTREAM)
		line = kasprintf(GFP_KERNEL, "upstream del %s", u->name);
	else
		/* The parser checks the ranges, as for a written line. */
		line = kasprintf(GFP_KERNEL, "upstream add %s %s weight %u priority %u",
				 u->name, u->url, u->weight ? u->weight : 1,
				 u->priority);
	err = -ENOMEM;
	if (!line)
		goto out;
	md = file_get_dev(f);
	if (IS_ERR(md)) {
		err = PTR_ERR(md);
		goto out;
	}
	err = mprox_device_apply(md, line, strlen(line));
	file_put_dev(md);
out:
	kfree_sensitive(line);
	kfree_sensitive(u);
	return err;
}

static long ioctl_set_persist(struct mprox_file *f, unsigned int cmd,
			      void __user *argp)
{
	static const char on[] = "persist on", off[] = "persist off";
	struct mprox_dev *md;
	long err;
	u32 val;

	if (get_user(val, (u32 __user *)argp))
		return -EFAULT;
	if (val > 1)
		return -EINVAL;
	md = file_get_dev(f);
	if (IS_ERR(md))
		return PTR_ERR(md);
	err = val ? mprox_device_apply(md, on, sizeof(on) - 1) :
		    mprox_device_apply(md, off, sizeof(off) - 1);
	file_put_dev(md);
	return err;
}

/*
 * Commands are told apart by number alone: the size encoded in cmd changes
 * when a structure grows, and the size field inside the structure is what
 * says which version the caller speaks. The handlers get the command as
 * this table spells it.
 */
static const struct mprox_ioctl {
	unsigned int cmd;
	long (*handle)(struct mprox_file *f, unsigned int cmd,
		       void __user *argp);
	/* Works on the fd's device, so the fd must be bound to one. */
	bool on_device;
	/*
	 * Changes the device: only through an fd opened for writing, as
	 * write() is, so that a read-only one can be handed to a reader.
	 */
	bool changes;
} mprox_ioctls[] = {
	[_IOC_NR(MPROX_IOC_CREATE)] = { MPROX_IOC_CREATE, ioctl_bind, false },
	[_IOC_NR(MPROX_IOC_ATTACH)] = { MPROX_IOC_ATTACH, ioctl_bind, false },
	[_IOC_NR(MPROX_IOC_GET_INFO)] = {
		MPROX_IOC_GET_INFO, ioctl_get_info, true },
	[_IOC_NR(MPROX_IOC_ADD_UPSTREAM)] = {
		MPROX_IOC_ADD_UPSTREAM, ioctl_upstream, true, true },
	[_IOC_NR(MPROX_IOC_DEL_UPSTREAM)] = {
		MPROX_IOC_DEL_UPSTREAM, ioctl_upstream, true, true },
	[_IOC_NR(MPROX_IOC_SET_PERSIST)] = {
		MPROX_IOC_SET_PERSIST, ioctl_set_persist, true, true },
	[_IOC_NR(MPROX_IOC_GET_STATS)] = {
		MPROX_IOC_GET_STATS, ioctl_get_stats, true },
	[_IOC_NR(MPROX_IOC_GET_SET)] = {
		MPROX_IOC_GET_SET, ioctl_get_set, true },
};

static long mprox_fop_ioctl(struct file *file, unsigned int cmd,
			    unsigned long arg)
{
	struct mprox_file *f = file->private_data;
	const struct mprox_ioctl *ioc;
	struct mprox_dev *md;
	unsigned int nr;

	nr = _IOC_NR(cmd);
	if (_IOC_TYPE(cmd) != MPROX_IOC_MAGIC ||
	    nr >= ARRAY_SIZE(mprox_ioctls))
		return -ENOTTY;
	ioc = &mprox_ioctls[array_index_nospec(nr, ARRAY_SIZE(mprox_ioctls))];
	if (!ioc->handle)
		return -ENOTTY;
	/*
	 * An unbound fd or a deleted device says so whatever the argument;
	 * the handlers look again once they have copied it in.
	 */
	if (ioc->on_device) {
		md = file_get_dev(f);
		if (IS_ERR(md))
			return PTR_ERR(md);
		file_put_dev(md);
	}
	if (ioc->changes && !(file->f_mode & FMODE_WRITE))
		return -EBADF;
	return ioc->handle(f, ioc->cmd, (void __user *)arg);
}

static ssize_t mprox_fop_write(struct file *file, const char __user *ubuf,
			       size_t count, loff_t *ppos)
{
	struct mprox_file *f = file->private_data;
	struct mprox_dev *md;
	char *buf;
	int err;

	if (count > MPROX_WRITE_MAX)
		return -E2BIG;
	/*
	 * Copy before taking the device: a user buffer that never faults in
	 * (FUSE) must not pin the device and stall its unregistration.
	 */
	buf = vmemdup_user(ubuf, count);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	md = file_get_dev(f);
	if (IS_ERR(md)) {
		err = PTR_ERR(md);
		goto out_free;
	}
	err = mprox_device_apply(md, buf, count);
	file_put_dev(md);
out_free:
	/* Directives may carry proxy passwords. */
	kvfree_sensitive(buf, count);
	return err ? err : count;
}

/*
 * The snapshot belongs to the open file description: threads sharing an fd
 * should each read whole documents at offset 0 (libmprox does).
 */
static ssize_t mprox_fop_read(struct file *file, char __user *ubuf,
			      size_t count, loff_t *ppos)
{
	struct mprox_file *f = file->private_data;
	bool fresh = false;
	struct mprox_dev *md;
	ssize_t ret;
	u64 gen = 0;

	/*
	 * The lock first: another reader holds it while its copy out faults,
	 * and we must not wait for that with the device pinned.
	 */
	if (mutex_lock_killable(&f->read_lock))
		return -EINTR;
	md = file_get_dev(f);
	if (IS_ERR(md)) {
		mutex_unlock(&f->read_lock);
		return PTR_ERR(md);
	}
	if (*ppos == 0 || !f->snapshot) {
		char *snap;
		size_t len;

		/*
		 * Read the generation before the state (acquire, paired with
		 * the ordered increment after every change): a change during
		 * the snapshot still makes poll() report POLLIN afterwards.
		 */
		gen = atomic64_read_acquire(&md->generation);
		snap = mprox_status_json(md, &len);
		if (IS_ERR(snap)) {
			mutex_unlock(&f->read_lock);
			file_put_dev(md);
			return PTR_ERR(snap);
		}
		kvfree(f->snapshot);
		f->snapshot = snap;
		f->snapshot_len = len;
		fresh = true;
	}
	/* Copying out may fault for long: not while pinning the device. */
	file_put_dev(md);
	ret = simple_read_from_buffer(ubuf, count, ppos, f->snapshot,
				      f->snapshot_len);
	/* Seen once some of it reached the reader: not by a read of 0. */
	if (fresh && ret > 0)
		WRITE_ONCE(f->seen_generation, gen);
	mutex_unlock(&f->read_lock);
	return ret;
}

static __poll_t mprox_fop_poll(struct file *file, poll_table *wait)
{
	struct mprox_file *f = file->private_data;
	struct mprox_dev *md;
	__poll_t mask = 0;

	poll_wait(file, &f->watch.wq, wait);
	rcu_read_lock();
	md = rcu_dereference(f->watch.md);
	if (md) {
		mask = EPOLLOUT | EPOLLWRNORM;
		if (atomic64_read(&md->generation) !=
		    READ_ONCE(f->seen_generation))
			mask |= EPOLLIN | EPOLLRDNORM;
	} else if (READ_ONCE(f->was_bound)) {
		mask = EPOLLERR | EPOLLHUP;
	}
	rcu_read_unlock();
	return mask;
}

static void mprox_fop_show_fdinfo(struct seq_file *m, struct file *file)
{
	struct mprox_file *f = file->private_data;
	char name[IFNAMSIZ] = "";
	struct mprox_dev *md;

	md = file_get_dev(f);
	if (!IS_ERR(md)) {
		mprox_device_name(md, name);
		file_put_dev(md);
	}
	seq_printf(m, "mprox-iff:\t%s\n", name);
}

static const struct file_operations mprox_fops = {
	.owner		= THIS_MODULE,
	.open		= mprox_fop_open,
	.release	= mprox_fop_release,
	.read		= mprox_fop_read,
	.write		= mprox_fop_write,
	.poll		= mprox_fop_poll,
	.unlocked_ioctl	= mprox_fop_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= default_llseek,
	.show_fdinfo	= mprox_fop_show_fdinfo,
};

static struct miscdevice mprox_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= MPROX_DRIVER_NAME,
	/* Like /dev/net/tun: binding checks CAP_NET_ADMIN, opening does not. */
	.mode	= 0666,
	.fops	= &mprox_fops,
};

long mprox_control_create(const char __user *uname, unsigned int flags)
{
	char name[IFNAMSIZ] = "";
	struct mprox_file *f;
	struct file *file;
	u32 ifindex;
	long n;
	int fd, err;

	if (flags & ~(MPROX_CREATE_PERSIST | MPROX_CREATE_CLOEXEC |
		      MPROX_CREATE_NONBLOCK))
		return -EINVAL;
	if (uname) {
		n = strncpy_from_user(name, uname, sizeof(name));
		if (n < 0)
			return n;
		if (n == sizeof(name))
			return -ENAMETOOLONG;
	}
	if (!may_bind())
		return -EPERM;

	f = mprox_file_alloc();
	if (!f)
		return -ENOMEM;
	fd = get_unused_fd_flags(O_RDWR |
				 (flags & MPROX_CREATE_CLOEXEC ? O_CLOEXEC : 0));
	if (fd < 0) {
		err = fd;
		goto err_free;
	}
	file = anon_inode_getfile("[mprox]", &mprox_fops, f, O_RDWR |
				  (flags & MPROX_CREATE_NONBLOCK ? O_NONBLOCK : 0));
	if (IS_ERR(file)) {
		err = PTR_ERR(file);
		goto err_fd;
	}
	/*
	 * What open("/dev/mprox") gives: read() takes a new snapshot at
	 * offset 0, so pread() and lseek() must work as on the device file.
	 */
	file->f_mode |= FMODE_LSEEK | FMODE_PREAD | FMODE_PWRITE;
	err = file_bind(f, true, name, flags & MPROX_CREATE_PERSIST, &ifindex);
	if (err) {
		/* Its release frees @f: an unbound fd takes no locks. */
		fput(file);
		put_unused_fd(fd);
		return err;
	}
	fd_install(fd, file);
	return fd;

err_fd:
	put_unused_fd(fd);
err_free:
	kfree(f);
	return err;
}

int mprox_control_init(void)
{
	int err;

	/* The uapi spells IFNAMSIZ out so that it needs no <linux/if.h>. */
	BUILD_BUG_ON(MPROX_IFNAMSIZ != IFNAMSIZ);
	err = misc_register(&mprox_misc);
	if (err)
		return err;
	/*
	 * Last, and never fatal: once /dev/mprox is there an fd may be
	 * open, so the module must load now. Only another driver that
	 * serves the call already makes it fail.
	 */
	if (mprox_compat_syscall_register(mprox_control_create))
		pr_warn("mprox_create() is served by another driver: /dev/mprox only\n");
	return 0;
}

void mprox_control_exit(void)
{
	mprox_compat_syscall_unregister();
	misc_deregister(&mprox_misc);
}
