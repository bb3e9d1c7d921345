/* SPDX-License-Identifier: GPL-2.0 */
/*
 * xen_memtune: the one way the module opens a file.  Only procfs and
 * sysfs files (/proc/..., /sys/...) are opened, looked up from init's root
 * whatever the caller's mount namespace, and only when they are regular
 * files of that filesystem; see kfile.c.  Callers: the pass (apply.c) and
 * the guard's poll (watch.c), both on a workqueue, and module load; never
 * sysfs.
 */
#ifndef _XEN_MEMTUNE_KFILE_H
#define _XEN_MEMTUNE_KFILE_H

struct file;

/*
 * flags: O_RDONLY or O_WRONLY.  The file or ERR_PTR(-errno): -EINVAL for a
 * path outside /proc and /sys, -EPERM when something else sits there.
 * Release it with fput().
 */
struct file *memtune_open_kernel_file(const char *name, int flags);

#endif /* _XEN_MEMTUNE_KFILE_H */
