/*
 * File descriptors beyond the console (0-2) for newlib's open/read/write,
 * and the path calls (open, unlink, rename, stat): the storage layer
 * installs its file system and per-file operations.
 */
#ifndef BOOT_FD_H
#define BOOT_FD_H

#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

/* Each returns a count or 0 on success, or a negative errno. */
struct fd_ops {
    int (*read)(void *priv, void *buf, size_t len);
    int (*write)(void *priv, const void *buf, size_t len);
    off_t (*lseek)(void *priv, off_t off, int whence);
    int (*close)(void *priv);
    int (*fstat)(void *priv, struct stat *st);
};

/* Returns the new descriptor (>= 3), or -EMFILE. */
int fd_install(const struct fd_ops *ops, void *priv);

/*
 * The file system behind newlib's path calls.  Each returns a descriptor
 * (open) or 0, or a negative errno.  Any member may be NULL.
 */
struct fd_fs_ops {
    int (*open)(const char *path, int flags, int mode);
    int (*unlink)(const char *path);
    int (*rename)(const char *from, const char *to);
    int (*stat)(const char *path, struct stat *st);
};
/* Installs ops (copied by reference; NULL removes the file system). */
void fd_set_fs(const struct fd_fs_ops *ops);

#endif /* BOOT_FD_H */
