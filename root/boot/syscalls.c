/*
 * newlib system-call glue for the root: console output on descriptors 1
 * and 2, the heap behind malloc (the VMBus server and VSPs allocate with
 * it), exit through isa-debug-exit.
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "common/x86/uart.h"
#include "root/boot/root.h"
#undef errno
extern int errno;

/* A small static heap until root_heap_init() hands over a bigger one. */
#define ROOT_EARLY_HEAP (64u * 1024u)

static uint8_t early_heap[ROOT_EARLY_HEAP] __attribute__((aligned(16)));
static uint8_t *heap = early_heap;
static size_t heap_size = ROOT_EARLY_HEAP, heap_used;

void root_heap_init(void *base, size_t len)
{
    if (heap_used == 0) {
        heap = base;
        heap_size = len;
    }
}

int write(int fd, const void *buf, size_t len);
int read(int fd, void *buf, size_t len);
void *sbrk(ptrdiff_t incr);
int close(int fd);
int fstat(int fd, struct stat *st);
int isatty(int fd);
off_t lseek(int fd, off_t off, int whence);
int kill(int pid, int sig);
int getpid(void);
void _exit(int status);

int write(int fd, const void *buf, size_t len)
{
    if (fd != 1 && fd != 2) {
        errno = EBADF;
        return -1;
    }
    uart_write(UART_COM1, buf, len);
    return (int)len;
}

int read(int fd, void *buf, size_t len)
{
    errno = EBADF;
    return -1;
}

void *sbrk(ptrdiff_t incr)
{
    if ((incr > 0 && (size_t)incr > heap_size - heap_used) ||
        (incr < 0 && (size_t)-incr > heap_used)) {
        errno = ENOMEM;
        return (void *)-1;
    }
    void *old = heap + heap_used;
    heap_used += (size_t)incr;
    return old;
}

int close(int fd)
{
    return fd >= 0 && fd < 3 ? 0 : (errno = EBADF, -1);
}

int fstat(int fd, struct stat *st)
{
    st->st_mode = S_IFCHR;
    return 0;
}

int isatty(int fd)
{
    return fd >= 0 && fd < 3;
}

off_t lseek(int fd, off_t off, int whence)
{
    errno = ESPIPE;
    return -1;
}

int kill(int pid, int sig)
{
    errno = EINVAL;
    return -1;
}

int getpid(void)
{
    return 1;
}

void _exit(int status)
{
    root_exit(status);
}
