/*
 * newlib system-call glue.  Console on descriptors 0-2; other descriptors
 * come from a small table that the storage layer fills (fd_install).
 */
#include "boot/boot_internal.h"
#include "boot/fd.h"
#include "boot/kernel.h"

#include <errno.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/times.h>
#include <time.h>
#undef errno
extern int errno;

#define MAX_FDS 64

static struct {
    const struct fd_ops *ops;
    void *priv;
} fds[MAX_FDS];
static const struct fd_fs_ops *fs;
static uint8_t *brk;

/* Prototypes for the glue newlib calls. */
int write(int fd, const void *buf, size_t len);
int read(int fd, void *buf, size_t len);
void *sbrk(ptrdiff_t incr);
int close(int fd);
int fstat(int fd, struct stat *st);
int isatty(int fd);
off_t lseek(int fd, off_t off, int whence);
int open(const char *path, int flags, int mode);
int kill(int pid, int sig);
int getpid(void);
clock_t times(struct tms *t);
int unlink(const char *path);
int rename(const char *from, const char *to);
int link(const char *a, const char *b);
int stat(const char *path, struct stat *st);
int fork(void);
int wait(int *status);
int execve(const char *p, char *const a[], char *const e[]);
void _exit(int status);
int gettimeofday(struct timeval *tv, void *tz);
int nanosleep(const struct timespec *req, struct timespec *rem);
int usleep(unsigned long us);
unsigned sleep(unsigned s);

static int fail(int e)
{
    errno = e;
    return -1;
}

int fd_install(const struct fd_ops *ops, void *priv)
{
    for (int i = 3; i < MAX_FDS; i++) {
        if (!fds[i].ops) {
            fds[i].ops = ops;
            fds[i].priv = priv;
            return i;
        }
    }
    return -EMFILE;
}

void fd_set_fs(const struct fd_fs_ops *ops)
{
    fs = ops;
}

static int valid(int fd)
{
    return fd >= 3 && fd < MAX_FDS && fds[fd].ops;
}

int write(int fd, const void *buf, size_t len)
{
    if (fd == 1 || fd == 2) {
        console_write(buf, len);
        return (int)len;
    }
    if (!valid(fd) || !fds[fd].ops->write)
        return fail(EBADF);
    int r = fds[fd].ops->write(fds[fd].priv, buf, len);
    return r < 0 ? fail(-r) : r;
}

int read(int fd, void *buf, size_t len)
{
    if (fd == 0) {
        char *p = buf;
        size_t n = 0;
        while (n < len) {
            int c = console_getc();
            if (c < 0) {
                if (n)
                    break;
                idle_until(clock_now_ns() + 10000000ull);
                continue;
            }
            p[n++] = (char)(c == '\r' ? '\n' : c);
            if (c == '\r' || c == '\n')
                break;
        }
        return (int)n;
    }
    if (!valid(fd) || !fds[fd].ops->read)
        return fail(EBADF);
    int r = fds[fd].ops->read(fds[fd].priv, buf, len);
    return r < 0 ? fail(-r) : r;
}

void *sbrk(ptrdiff_t incr)
{
    if (!brk)
        brk = mm_heap_start;
    if ((incr > 0 && incr > mm_heap_end - brk) ||
        (incr < 0 && -incr > brk - mm_heap_start)) {
        errno = ENOMEM;
        return (void *)-1;
    }
    uint8_t *old = brk;
    brk += incr;
    return old;
}

int close(int fd)
{
    if (fd >= 0 && fd < 3)
        return 0;
    if (!valid(fd))
        return fail(EBADF);
    int r = fds[fd].ops->close ? fds[fd].ops->close(fds[fd].priv) : 0;
    fds[fd].ops = NULL;
    fds[fd].priv = NULL;
    return r < 0 ? fail(-r) : 0;
}

int fstat(int fd, struct stat *st)
{
    if (fd >= 0 && fd < 3) {
        *st = (struct stat){.st_mode = S_IFCHR};
        return 0;
    }
    if (!valid(fd) || !fds[fd].ops->fstat)
        return fail(EBADF);
    int r = fds[fd].ops->fstat(fds[fd].priv, st);
    return r < 0 ? fail(-r) : 0;
}

int isatty(int fd)
{
    if (fd >= 0 && fd < 3)
        return 1;
    errno = valid(fd) ? ENOTTY : EBADF;
    return 0;
}

off_t lseek(int fd, off_t off, int whence)
{
    if (fd >= 0 && fd < 3)
        return fail(ESPIPE);
    if (!valid(fd) || !fds[fd].ops->lseek)
        return fail(EBADF);
    off_t r = fds[fd].ops->lseek(fds[fd].priv, off, whence);
    return r < 0 ? fail((int)-r) : r;
}

int open(const char *path, int flags, int mode)
{
    if (!fs || !fs->open)
        return fail(ENOENT);
    int r = fs->open(path, flags, mode);
    return r < 0 ? fail(-r) : r;
}

int kill(int pid, int sig)
{
    (void)pid;
    (void)sig;
    return fail(EINVAL);
}

int getpid(void)
{
    return 1;
}

int gettimeofday(struct timeval *tv, void *tz)
{
    (void)tz;
    if (tv) {
        uint64_t ns = clock_wall_ns();
        tv->tv_sec = (time_t)(ns / 1000000000ull);
        tv->tv_usec = (suseconds_t)(ns % 1000000000ull / 1000);
    }
    return 0;
}

clock_t times(struct tms *t)
{
    clock_t c = (clock_t)(clock_now_ns() / (1000000000ull / CLOCKS_PER_SEC));
    if (t)
        *t = (struct tms){.tms_utime = c};
    return c;
}

int clock_gettime(clockid_t id, struct timespec *ts)
{
    uint64_t ns;
    if (id == CLOCK_MONOTONIC)
        ns = clock_now_ns();
    else if (id == CLOCK_REALTIME)
        ns = clock_wall_ns();
    else
        return fail(EINVAL);
    ts->tv_sec = (time_t)(ns / 1000000000ull);
    ts->tv_nsec = (long)(ns % 1000000000ull);
    return 0;
}

int nanosleep(const struct timespec *req, struct timespec *rem)
{
    if (req->tv_sec < 0 || req->tv_nsec < 0 || req->tv_nsec >= 1000000000L)
        return fail(EINVAL);
    sleep_ns((uint64_t)req->tv_sec * 1000000000ull + (uint64_t)req->tv_nsec);
    if (rem)
        *rem = (struct timespec){0, 0};
    return 0;
}

int usleep(unsigned long us)
{
    sleep_ns((uint64_t)us * 1000ull);
    return 0;
}

unsigned sleep(unsigned s)
{
    sleep_ns((uint64_t)s * 1000000000ull);
    return 0;
}

int unlink(const char *path)
{
    if (!fs || !fs->unlink)
        return fail(ENOENT);
    int r = fs->unlink(path);
    return r < 0 ? fail(-r) : 0;
}

/* Replaces newlib's rename(), which would go through link() and unlink(). */
int rename(const char *from, const char *to)
{
    if (!fs || !fs->rename)
        return fail(ENOENT);
    int r = fs->rename(from, to);
    return r < 0 ? fail(-r) : 0;
}

int link(const char *a, const char *b)
{
    (void)a;
    (void)b;
    return fail(EMLINK);
}

int stat(const char *path, struct stat *st)
{
    if (fs && fs->stat) {
        int r = fs->stat(path, st);
        return r < 0 ? fail(-r) : 0;
    }
    int fd = open(path, 0, 0);
    if (fd < 0)
        return -1;
    int r = fstat(fd, st);
    close(fd);
    return r;
}

int fork(void)
{
    return fail(ENOSYS);
}
int wait(int *status)
{
    (void)status;
    return fail(ECHILD);
}
int execve(const char *p, char *const a[], char *const e[])
{
    (void)p;
    (void)a;
    (void)e;
    return fail(ENOSYS);
}

void _exit(int status)
{
    power_off(status);
}
