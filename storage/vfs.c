/*
 * File API over FAT for newlib: descriptors come from boot/fd.h; we keep
 * our own map from descriptor to file so that fsync() can find it.
 */
#include "storage/vfs.h"

#include "boot/fd.h"
#ifndef ENLIGHT_HOST
#include "boot/kernel.h"
#endif
#include "storage/part.h"

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#define VFS_MAX_FDS 64

struct vfs_fd {
    struct fat_file *f;
    int fd;
};

struct vfs_dir {
    struct fat_dir *d;
};

static struct {
    struct blk_dev *dev;
    struct fat_vol *vol;
    struct vfs_fd *fds[VFS_MAX_FDS];
    uint32_t open;
} vfs;

#ifndef ENLIGHT_HOST
/* File times from the guest's wall clock (0, i.e. 1980, until it is set). */
static uint64_t wall_seconds(void)
{
    return clock_wall_ns() / 1000000000ull;
}
#endif

struct fat_vol *vfs_volume(void)
{
    return vfs.vol;
}

static const struct fd_fs_ops vfs_fs = {
    .open = vfs_open,
    .unlink = vfs_unlink,
    .rename = vfs_rename,
    .stat = vfs_stat,
};

int vfs_mount(struct blk_dev *dev, unsigned flags)
{
    struct part parts[16];
    uint64_t start = 0, count = dev->capacity;
    if (vfs.vol)
        return -EBUSY;
    int n = part_scan(dev, parts, 16);
    if (n < 0)
        return n;
    if (n > 0) {
        int i;
        for (i = 0; i < n && i < 16; i++)
            if (part_is_fat(&parts[i]))
                break;
        if (i == n || i == 16)
            return -ENOENT;
        start = parts[i].start;
        count = parts[i].count;
    }
    int r = fat_mount(&vfs.vol, dev, start, count, flags);
    if (r)
        return r;
    vfs.dev = dev;
#ifndef ENLIGHT_HOST
    fat_set_clock(vfs.vol, wall_seconds);
#endif
    fd_set_fs(&vfs_fs);
    return 0;
}

int vfs_unmount(void)
{
    if (!vfs.vol)
        return 0;
    if (vfs.open)
        return -EBUSY;
    fd_set_fs(NULL);
    int r = fat_unmount(vfs.vol);
    if (r == -EBUSY)
        return r;
    vfs.vol = NULL;
    vfs.dev = NULL;
    return r;
}

static int op_read(void *priv, void *buf, size_t len)
{
    struct vfs_fd *p = priv;
    if (len > INT_MAX)
        len = INT_MAX;
    return (int)fat_read(p->f, buf, len);
}

static int op_write(void *priv, const void *buf, size_t len)
{
    struct vfs_fd *p = priv;
    if (len > INT_MAX)
        len = INT_MAX;
    return (int)fat_write(p->f, buf, len);
}

static off_t op_lseek(void *priv, off_t off, int whence)
{
    struct vfs_fd *p = priv;
    return (off_t)fat_seek(p->f, (int64_t)off, whence);
}

static int op_close(void *priv)
{
    struct vfs_fd *p = priv;
    int r = fat_close(p->f);
    if (p->fd >= 0 && p->fd < VFS_MAX_FDS && vfs.fds[p->fd] == p)
        vfs.fds[p->fd] = NULL;
    vfs.open--;
    free(p);
    return r;
}

static void to_stat(const struct fat_stat *fs, struct stat *st)
{
    memset(st, 0, sizeof(*st));
    st->st_mode =
        fs->is_dir ? (S_IFDIR | 0755)
                   : (S_IFREG | ((fs->attr & FAT_ATTR_RDONLY) ? 0444 : 0644));
    st->st_nlink = 1;
    st->st_size = (off_t)fs->size;
    st->st_blksize = 4096;
    st->st_blocks = (fs->size + 511) / 512;
    st->st_ino = fs->cluster;
    st->st_mtime = (time_t)fs->mtime;
    st->st_atime = (time_t)fs->mtime;
    st->st_ctime = (time_t)fs->mtime;
}

static int op_fstat(void *priv, struct stat *st)
{
    struct vfs_fd *p = priv;
    struct fat_stat fs;
    int r = fat_fstat(p->f, &fs);
    if (r)
        return r;
    to_stat(&fs, st);
    return 0;
}

static const struct fd_ops vfs_fd_ops = {
    .read = op_read,
    .write = op_write,
    .lseek = op_lseek,
    .close = op_close,
    .fstat = op_fstat,
};

int vfs_open(const char *path, int flags, int mode)
{
    (void)mode;
    if (!vfs.vol)
        return -ENODEV;
    unsigned ff = 0;
    switch (flags & O_ACCMODE) {
    case O_RDONLY:
        ff = FAT_O_READ;
        break;
    case O_WRONLY:
        ff = FAT_O_WRITE;
        break;
    case O_RDWR:
        ff = FAT_O_READ | FAT_O_WRITE;
        break;
    default:
        return -EINVAL;
    }
    if (flags & O_CREAT)
        ff |= FAT_O_CREAT;
    if (flags & O_EXCL)
        ff |= FAT_O_EXCL;
    if (flags & O_TRUNC)
        ff |= FAT_O_TRUNC;
    if (flags & O_APPEND)
        ff |= FAT_O_APPEND;
    struct vfs_fd *p = calloc(1, sizeof(*p));
    if (!p)
        return -ENOMEM;
    int r = fat_open(vfs.vol, path, ff, &p->f);
    if (r) {
        free(p);
        return r;
    }
    p->fd = -1;
    int fd = fd_install(&vfs_fd_ops, p);
    if (fd < 0) {
        (void)fat_close(p->f);
        free(p);
        return fd;
    }
    p->fd = fd;
    if (fd < VFS_MAX_FDS)
        vfs.fds[fd] = p;
    vfs.open++;
    return fd;
}

int vfs_fsync(int fd)
{
    if (fd < 0 || fd >= VFS_MAX_FDS || !vfs.fds[fd])
        return -EBADF;
    return fat_fsync(vfs.fds[fd]->f);
}

int vfs_sync(void)
{
    return vfs.vol ? fat_sync(vfs.vol) : -ENODEV;
}

int vfs_stat(const char *path, struct stat *st)
{
    struct fat_stat fs;
    if (!vfs.vol)
        return -ENODEV;
    int r = fat_stat(vfs.vol, path, &fs);
    if (r)
        return r;
    to_stat(&fs, st);
    return 0;
}

int vfs_unlink(const char *path)
{
    return vfs.vol ? fat_unlink(vfs.vol, path) : -ENODEV;
}

int vfs_rmdir(const char *path)
{
    return vfs.vol ? fat_rmdir(vfs.vol, path) : -ENODEV;
}

int vfs_mkdir(const char *path, int mode)
{
    (void)mode;
    return vfs.vol ? fat_mkdir(vfs.vol, path) : -ENODEV;
}

int vfs_rename(const char *from, const char *to)
{
    return vfs.vol ? fat_rename(vfs.vol, from, to) : -ENODEV;
}

int vfs_opendir(const char *path, struct vfs_dir **out)
{
    if (!vfs.vol)
        return -ENODEV;
    struct vfs_dir *d = malloc(sizeof(*d));
    if (!d)
        return -ENOMEM;
    int r = fat_opendir(vfs.vol, path, &d->d);
    if (r) {
        free(d);
        return r;
    }
    vfs.open++;
    *out = d;
    return 0;
}

int vfs_readdir(struct vfs_dir *d, struct vfs_dirent *e)
{
    struct fat_dirent *fe = malloc(sizeof(*fe));
    if (!fe)
        return -ENOMEM;
    int r = fat_readdir(d->d, fe);
    if (r == 1) {
        memcpy(e->d_name, fe->name, sizeof(e->d_name));
        e->d_type = fe->st.is_dir ? VFS_DT_DIR : VFS_DT_REG;
        e->d_size = fe->st.size;
    }
    free(fe);
    return r;
}

void vfs_closedir(struct vfs_dir *d)
{
    fat_closedir(d->d);
    vfs.open--;
    free(d);
}

#ifndef ENLIGHT_HOST
/* POSIX names newlib leaves to the system (errno style). */
#undef errno
extern int errno;
int fsync(int fd);
int mkdir(const char *path, mode_t mode);
int rmdir(const char *path);

int fsync(int fd)
{
    int r = vfs_fsync(fd);
    if (r < 0) {
        errno = -r;
        return -1;
    }
    return 0;
}

int mkdir(const char *path, mode_t mode)
{
    int r = vfs_mkdir(path, (int)mode);
    if (r < 0) {
        errno = -r;
        return -1;
    }
    return 0;
}

int rmdir(const char *path)
{
    int r = vfs_rmdir(path);
    if (r < 0) {
        errno = -r;
        return -1;
    }
    return 0;
}
#endif
