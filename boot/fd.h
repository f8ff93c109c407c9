/*
 * File descriptors beyond the console (0-2) for newlib's open/read/write:
 * the storage layer installs an open hook and per-file operations.
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

/* open(path, flags, mode): returns a descriptor or a negative errno. */
typedef int (*fd_open_fn)(const char *path, int flags, int mode);
void fd_set_open(fd_open_fn fn);

#endif /* BOOT_FD_H */
