/*
 * The file API appliances use: one FAT32 volume mounted from a block
 * device, reachable through newlib's open/read/write/lseek/close/fstat/stat
 * (via the boot/fd.h hooks), plus the calls newlib has no hook for here.
 *
 * Every function returns 0 (or a descriptor / count) or a negative errno;
 * the FAT errors are listed in storage/fat.h.  In the guest, fsync(2) and
 * mkdir(2) are also provided under their POSIX names (errno style).
 */
#ifndef STORAGE_VFS_H
#define STORAGE_VFS_H

#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "storage/blk.h"
#include "storage/fat.h"

#define VFS_MOUNT_RDONLY FAT_MOUNT_RDONLY

/*
 * Mounts the first FAT partition of dev (MBR or GPT), or the whole disk if
 * it has no partition table, and installs the open hook.  -EBUSY if a
 * volume is mounted, -ENOENT if the table has no FAT partition, else the
 * errors of part_scan() and fat_mount().
 */
int vfs_mount(struct blk_dev *dev, unsigned flags);
/* -EBUSY while descriptors are open; else syncs and detaches. */
int vfs_unmount(void);
/* The mounted volume, or NULL. */
struct fat_vol *vfs_volume(void);

/* open(2) flags (O_RDONLY/O_WRONLY/O_RDWR, O_CREAT, O_EXCL, O_TRUNC,
 * O_APPEND); a descriptor from fd_install(), or a negative errno
 * (-ENODEV when nothing is mounted, -EMFILE). */
int vfs_open(const char *path, int flags, int mode);
/* Writes the file's entry and data and flushes the device down to its
 * cache flush (SYNCHRONIZE CACHE).  -EBADF for a descriptor not ours. */
int vfs_fsync(int fd);
/* Syncs the whole volume (same path as vfs_fsync). */
int vfs_sync(void);
int vfs_stat(const char *path, struct stat *st);
int vfs_unlink(const char *path);
int vfs_rmdir(const char *path);
int vfs_mkdir(const char *path, int mode);
int vfs_rename(const char *from, const char *to);

/* newlib here has no <dirent.h>; this is its stand-in. */
#define VFS_DT_REG 8
#define VFS_DT_DIR 4
struct vfs_dirent {
    char d_name[FAT_NAME_MAX];
    uint8_t d_type; /* VFS_DT_* */
    uint32_t d_size;
};
struct vfs_dir;
int vfs_opendir(const char *path, struct vfs_dir **out);
/* 1 and *e, 0 at the end, or a negative errno. */
int vfs_readdir(struct vfs_dir *d, struct vfs_dirent *e);
void vfs_closedir(struct vfs_dir *d);

#endif /* STORAGE_VFS_H */
