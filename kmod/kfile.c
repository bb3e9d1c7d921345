// SPDX-License-Identifier: GPL-2.0
/*
 * Open a /proc or /sys file as the initial mount namespace sees it
 * (kfile.h).  The lookup starts at init's root (init_task.fs, the
 * fs_struct kworkers share), not at the caller's, so a bind mount in
 * someone's mount namespace is not seen.  O_NONBLOCK: should anything but
 * the expected file be found there, open() returns at once (a FIFO without
 * a writer does not wait), and the file is refused before a byte is read
 * or written.  Calls no other file of the module.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/err.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/fs_struct.h>
#include <linux/magic.h>
#include <linux/path.h>
#include <linux/sched/task.h>
#include <linux/stat.h>
#include <linux/string.h>

#include "kfile.h"

struct file *memtune_open_kernel_file(const char *name, int flags)
{
	bool proc = !strncmp(name, "/proc/", 6);
	unsigned long magic = proc ? PROC_SUPER_MAGIC : SYSFS_MAGIC;
	struct inode *inode;
	struct path root;
	struct file *f;

	if (!proc && strncmp(name, "/sys/", 5))
		return ERR_PTR(-EINVAL);
	get_fs_root(init_task.fs, &root);
	f = file_open_root(&root, name, flags | O_NONBLOCK | O_NOCTTY, 0);
	path_put(&root);
	if (IS_ERR(f))
		return f;
	inode = file_inode(f);
	if (inode->i_sb->s_magic != magic || !S_ISREG(inode->i_mode)) {
		pr_warn_ratelimited("%s is not the %s file it should be; not used\n",
				    name, proc ? "procfs" : "sysfs");
		fput(f);
		return ERR_PTR(-EPERM);
	}
	return f;
}
