/*
 * FAT32 filesystem over the block layer: files and directories with long
 * names (VFAT), both FAT copies kept in step, FSInfo maintained.
 *
 * A volume is mounted on a sector range of a block device (a partition or
 * the whole disk).  The on-disk structures are peer data: the BPB is
 * checked against the range, every cluster number against the cluster
 * count, every chain walk is bounded, and every sector the code touches is
 * checked against the volume's end before the block layer sees it, so a
 * corrupt volume yields -STORAGE_ECORRUPT (see storage/blk.h), never a
 * crash and never a write outside the volume.
 *
 * Paths are UTF-8, '/'-separated, relative to the volume root (a leading
 * '/' is optional); "." and ".." are understood.  Names compare without
 * regard to ASCII case, as on every FAT implementation.  Files are at most
 * 4 GiB - 1 bytes.  One thread; no call is re-entrant.
 *
 * Return values: 0 or a count on success, else a negative errno:
 *   -ENOENT       a path component does not exist
 *   -ENOTDIR      a non-final component is a file
 *   -EISDIR       a file operation on a directory
 *   -EEXIST       O_EXCL/mkdir on an existing name
 *   -ENOTEMPTY    rmdir or rename onto a directory with entries
 *   -EBUSY        unlink/rmdir/rename-over a file that is open
 *   -EINVAL       an invalid name (empty, '.', characters FAT forbids,
 *                 trailing dot or space, longer than 255) or argument
 *   -ENAMETOOLONG a component longer than 255 characters
 *   -ENOSPC       no free cluster, or a full directory (65536 entries)
 *   -EFBIG        a file would pass 4 GiB - 1
 *   -EROFS        the volume was mounted read-only
 *   -EOPNOTSUPP   FAT12/FAT16, or a sector size unlike the device's
 *   -STORAGE_ECORRUPT  the volume's structures are inconsistent
 *   -ENOMEM, and the block device's errors (-EIO, ...)
 */
#ifndef STORAGE_FAT_H
#define STORAGE_FAT_H

#include <stddef.h>
#include <stdint.h>

#include "storage/blk.h"

struct fat_vol;
struct fat_file;
struct fat_dir;

/* Seconds since 1970 for timestamps; 0 means unknown (1980-01-01). */
typedef uint64_t (*fat_clock_fn)(void);

#define FAT_MOUNT_RDONLY 1u

/*
 * Mounts the FAT32 volume in sectors [start, start + sectors) of dev.
 * Returns 0 and *out, -STORAGE_ECORRUPT (not a valid FAT32 volume, or one
 * larger than the range), -EOPNOTSUPP, -ENOMEM or a device error.
 */
int fat_mount(struct fat_vol **out, struct blk_dev *dev, uint64_t start,
              uint64_t sectors, unsigned flags);
/* Syncs and frees the volume.  -EBUSY (nothing done) while files or
 * directories are open; otherwise the sync's result (the volume is freed
 * either way). */
int fat_unmount(struct fat_vol *v);
/* Writes FSInfo and every cached sector, then flushes the device. */
int fat_sync(struct fat_vol *v);
void fat_set_clock(struct fat_vol *v, fat_clock_fn now);

struct fat_statfs {
    uint32_t cluster_size; /* bytes */
    uint32_t clusters;     /* data clusters */
    uint32_t free_clusters;
};
int fat_statfs(struct fat_vol *v, struct fat_statfs *st);

/* Attribute bits of a directory entry. */
#define FAT_ATTR_RDONLY 0x01
#define FAT_ATTR_HIDDEN 0x02
#define FAT_ATTR_SYSTEM 0x04
#define FAT_ATTR_VOLUME 0x08
#define FAT_ATTR_DIR 0x10
#define FAT_ATTR_ARCHIVE 0x20

struct fat_stat {
    uint32_t size;    /* bytes; 0 for directories */
    uint32_t cluster; /* first cluster, 0 for an empty file */
    uint8_t attr;     /* FAT_ATTR_* */
    uint8_t is_dir;
    int64_t mtime; /* seconds since 1970 (local time as stored) */
};

/* Open flags. */
#define FAT_O_READ 0x01
#define FAT_O_WRITE 0x02
#define FAT_O_CREAT 0x04
#define FAT_O_EXCL 0x08
#define FAT_O_TRUNC 0x10
#define FAT_O_APPEND 0x20

/*
 * Opens a file (or, read-only, a directory, for fstat).  Returns 0 and
 * *out, or the errors above.
 */
int fat_open(struct fat_vol *v, const char *path, unsigned flags,
             struct fat_file **out);
/* Bytes read (0 at end of file), or a negative errno. */
long fat_read(struct fat_file *f, void *buf, size_t len);
/* Bytes written (all of len), or a negative errno (nothing written). */
long fat_write(struct fat_file *f, const void *buf, size_t len);
/* whence: 0 set, 1 current, 2 end.  The new position, or -EINVAL. */
int64_t fat_seek(struct fat_file *f, int64_t off, int whence);
/* Sets the size; growing fills with zeros. */
int fat_truncate(struct fat_file *f, uint32_t size);
/* Makes the file durable: its data and clusters reach the device (flush),
 * then its entry (size, times) does (flush again). */
int fat_fsync(struct fat_file *f);
int fat_fstat(struct fat_file *f, struct fat_stat *st);
/* Writes the entry back (size, times) and frees f; the write's result. */
int fat_close(struct fat_file *f);

int fat_stat(struct fat_vol *v, const char *path, struct fat_stat *st);
int fat_unlink(struct fat_vol *v, const char *path);
int fat_mkdir(struct fat_vol *v, const char *path);
int fat_rmdir(struct fat_vol *v, const char *path);
/* POSIX rename: replaces a file with a file or an empty directory with a
 * directory; -EINVAL when moving a directory into itself. */
int fat_rename(struct fat_vol *v, const char *from, const char *to);

#define FAT_NAME_MAX 768 /* UTF-8 bytes of a 255-character name, with NUL */

struct fat_dirent {
    char name[FAT_NAME_MAX]; /* long name if any, else the 8.3 name */
    char short_name[13];     /* 8.3 form, "NAME.EXT" */
    struct fat_stat st;
};

int fat_opendir(struct fat_vol *v, const char *path, struct fat_dir **out);
/* 1 and *e for the next entry ("." and ".." are skipped), 0 at the end,
 * or a negative errno. */
int fat_readdir(struct fat_dir *d, struct fat_dirent *e);
void fat_closedir(struct fat_dir *d);

#endif /* STORAGE_FAT_H */
