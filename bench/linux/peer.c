/*
 * The Linux peer of bench/: the storage and network workloads of the
 * Enlight appliances (apps/blkbench, apps/httpd) as a Linux program, run
 * by bench/linux/init in Debian's kernel as the root's child.  Built with
 * the host's compiler as a static binary; it never runs on the host.
 *
 *   peer idle MS
 *       prints "bench-mark begin idle", sleeps MS ms, "bench-mark end idle"
 *       (the root's exit rate of an idle Linux, for bench/linux/run).
 *   peer storage DEV JOB...
 *       each JOB is blkbench's arguments with commas for spaces
 *       ("op=read,pattern=rand,bs=4K,qd=32,total=16M"): O_DIRECT I/O on
 *       the block device DEV with Linux native AIO (io_submit) keeping qd
 *       commands in flight, the offsets blkbench uses.  Job N (from 1) is
 *       framed by "bench-mark begin N" and "bench-mark end N", each
 *       followed by a pause, so the root's console script can count the
 *       exits in between.  Prints blkbench's result line with "linux-peer"
 *       for "blkbench".
 *   peer net DEV KEY=VALUE...
 *       port=N (80): HTTP/1.1 with keep-alive; GET /big.bin answers
 *       body=BYTES read from DEV at offset 0 (O_DIRECT, 256 KiB at a
 *       time, as httpd reads its file), GET /hello.txt the hello_len=BYTES
 *       at hello_off=BYTES of DEV, anything else 404.  discard=N (9): a
 *       discard service; the phase ends when a discard connection has
 *       been closed by the other side, or after limit=S seconds (180).
 *       Framed by "bench-mark begin net" / "bench-mark end net"; prints
 *       "linux-peer: discard service received N bytes".
 *
 * Exit status: 0, 1 an I/O or network error, 2 bad arguments.
 */
#define _GNU_SOURCE
#include "common/cmdline.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/aio_abi.h>
#include <linux/fs.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MAX_QD 64u
#define PAUSE_MS 500u      /* after each marker: the root polls every 100 ms */
#define NET_END_MS 1500u   /* lets dev_stats=1 print the final counters */
#define CHUNK (256u << 10) /* body reads, as httpd's */
#define MAX_CONNS 16
#define REQ_MAX 8192

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void pause_ms(unsigned ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000l};
    while (nanosleep(&ts, &ts) && errno == EINTR)
        ;
}

static void mark(const char *what, const char *name)
{
    printf("bench-mark %s %s\n", what, name);
    fflush(stdout);
    pause_ms(PAUSE_MS);
}

/* ---- storage ---- */

static long sys_io_setup(unsigned nr, aio_context_t *ctx)
{
    return syscall(SYS_io_setup, nr, ctx);
}
static long sys_io_destroy(aio_context_t ctx)
{
    return syscall(SYS_io_destroy, ctx);
}
static long sys_io_submit(aio_context_t ctx, long n, struct iocb **iocbs)
{
    return syscall(SYS_io_submit, ctx, n, iocbs);
}
static long sys_io_getevents(aio_context_t ctx, long min, long max,
                             struct io_event *ev)
{
    return syscall(SYS_io_getevents, ctx, min, max, ev, NULL);
}

/* blkbench's offset generator (xorshift64, same seed), one per job. */
static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static uint64_t job_size(const char *job, const char *key, uint64_t def)
{
    char v[32];
    uint64_t n;
    return cmdline_get(job, key, v, sizeof(v)) == 1 &&
                   cmdline_parse_size(v, &n) == 0
               ? n
               : def;
}

static bool job_is(const char *job, const char *key, const char *val)
{
    char v[32];
    return cmdline_get(job, key, v, sizeof(v)) == 1 && strcmp(v, val) == 0;
}

static void queue_limits(const char *dev)
{
    const char *name = strrchr(dev, '/');
    char path[128], v[64];
    static const char *const keys[] = {"max_sectors_kb", "max_hw_sectors_kb",
                                       "max_segments", "nr_requests",
                                       "scheduler"};
    printf("linux-peer: %s queue:", dev);
    for (unsigned i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        snprintf(path, sizeof(path), "/sys/block/%s/queue/%s",
                 name ? name + 1 : dev, keys[i]);
        FILE *f = fopen(path, "r");
        if (!f || !fgets(v, sizeof(v), f))
            snprintf(v, sizeof(v), "?");
        if (f)
            fclose(f);
        v[strcspn(v, "\n")] = '\0';
        printf(" %s=%s", keys[i], v);
    }
    printf("\n");
}

/* One job; returns 0 or 1 (an I/O error, reported). */
static int storage_job(int fd, uint64_t disk_bytes, unsigned ss,
                       const char *spec)
{
    char job[256];
    snprintf(job, sizeof(job), "%s", spec);
    for (char *p = job; *p; p++)
        if (*p == ',')
            *p = ' ';
    bool write = job_is(job, "op", "write");
    bool rand = job_is(job, "pattern", "rand");
    uint64_t bs = job_size(job, "bs", 1u << 20);
    uint64_t qd = job_size(job, "qd", 1);
    uint64_t total = job_size(job, "total", 64u << 20);
    uint64_t span = job_size(job, "span", disk_bytes);
    if (qd < 1 || qd > MAX_QD)
        qd = 1;
    if (span > disk_bytes)
        span = disk_bytes;
    bs -= bs % ss;
    uint64_t slots = bs ? span / bs : 0;
    if (!bs || !slots) {
        printf("linux-peer: bad sizes in \"%s\"\n", spec);
        return 1;
    }
    uint64_t total_ios = total / bs;

    uint8_t *bufs;
    if (posix_memalign((void **)&bufs, 4096, (size_t)(bs * qd))) {
        printf("linux-peer: out of memory\n");
        return 1;
    }
    memset(bufs, 0x5A, (size_t)(bs * qd));
    aio_context_t ctx = 0;
    if (sys_io_setup((unsigned)qd, &ctx) < 0) {
        printf("linux-peer: io_setup: %s\n", strerror(errno));
        free(bufs);
        return 1;
    }
    struct iocb cbs[MAX_QD], *batch[MAX_QD];
    struct io_event ev[MAX_QD];
    bool busy[MAX_QD] = {false};
    uint64_t rng = 0x9E3779B97F4A7C15ull, next_io = 0, done_ios = 0;
    int failed = 0;

    uint64_t t0 = now_ns();
    while (done_ios < total_ios && !failed) {
        long n = 0;
        for (uint64_t i = 0; i < qd && next_io < total_ios; i++) {
            if (busy[i])
                continue;
            uint64_t slot = rand ? rnd(&rng) % slots : next_io % slots;
            memset(&cbs[i], 0, sizeof(cbs[i]));
            cbs[i].aio_data = i;
            cbs[i].aio_lio_opcode = write ? IOCB_CMD_PWRITE : IOCB_CMD_PREAD;
            cbs[i].aio_fildes = (uint32_t)fd;
            cbs[i].aio_buf = (uint64_t)(uintptr_t)(bufs + i * bs);
            cbs[i].aio_nbytes = bs;
            cbs[i].aio_offset = (int64_t)(slot * bs);
            batch[n++] = &cbs[i];
            busy[i] = true;
            next_io++;
        }
        for (long off = 0; off < n;) {
            long r = sys_io_submit(ctx, n - off, batch + off);
            if (r <= 0) {
                printf("linux-peer: io_submit: %s\n",
                       r < 0 ? strerror(errno) : "nothing taken");
                failed = EIO;
                break;
            }
            off += r;
        }
        if (failed)
            break;
        long got = sys_io_getevents(ctx, 1, (long)qd, ev);
        if (got < 0) {
            if (errno == EINTR)
                continue;
            printf("linux-peer: io_getevents: %s\n", strerror(errno));
            failed = EIO;
            break;
        }
        for (long k = 0; k < got; k++) {
            if (ev[k].data >= qd || !busy[ev[k].data]) {
                printf("linux-peer: completion for no request\n");
                failed = EIO;
                break;
            }
            busy[ev[k].data] = false;
            if (ev[k].res != (int64_t)bs)
                failed = ev[k].res < 0 ? (int)-ev[k].res : EIO;
            done_ios++;
        }
    }
    uint64_t ns = now_ns() - t0;
    sys_io_destroy(ctx); /* waits for what is still in flight */
    free(bufs);
    if (failed) {
        printf("linux-peer: I/O error %d (%s)\n", failed, strerror(failed));
        return 1;
    }
    uint64_t bytes = done_ios * bs;
    uint64_t mbps10 = ns ? bytes * 10000u / ns : 0; /* MB/s x 10 */
    uint64_t iops = ns ? done_ios * 1000000000ull / ns : 0;
    printf("linux-peer: %s %s bs=%llu qd=%llu: %llu ios, %llu bytes in %llu "
           "ms: %llu.%llu MB/s, %llu IOPS\n",
           write ? "write" : "read", rand ? "rand" : "seq",
           (unsigned long long)bs, (unsigned long long)qd,
           (unsigned long long)done_ios, (unsigned long long)bytes,
           (unsigned long long)(ns / 1000000),
           (unsigned long long)(mbps10 / 10), (unsigned long long)(mbps10 % 10),
           (unsigned long long)iops);
    fflush(stdout);
    return 0;
}

static int storage(const char *dev, int njobs, char **jobs)
{
    int fd = open(dev, O_RDWR | O_DIRECT);
    if (fd < 0) {
        printf("linux-peer: %s: %s\n", dev, strerror(errno));
        return 1;
    }
    uint64_t bytes = 0;
    int ss = 0;
    if (ioctl(fd, BLKGETSIZE64, &bytes) || ioctl(fd, BLKSSZGET, &ss) ||
        ss <= 0) {
        printf("linux-peer: %s: no size: %s\n", dev, strerror(errno));
        close(fd);
        return 1;
    }
    queue_limits(dev);
    int rc = 0;
    for (int i = 0; i < njobs && !rc; i++) {
        char name[16];
        snprintf(name, sizeof(name), "%d", i + 1);
        mark("begin", name);
        rc = storage_job(fd, bytes, (unsigned)ss, jobs[i]);
        mark("end", name);
    }
    close(fd);
    return rc;
}

/* ---- network ---- */

struct conn {
    int fd;
    bool discard;
    size_t len; /* bytes in req */
    uint64_t received;
    char req[REQ_MAX];
};

struct net {
    int dev;       /* O_DIRECT, for the body */
    int dev_hello; /* buffered, for hello.txt */
    uint64_t body, hello_off, hello_len;
    uint8_t *chunk;
    struct conn *c[MAX_CONNS];
};

static int send_all(int fd, const void *p, size_t n)
{
    const uint8_t *b = p;
    while (n) {
        ssize_t w = send(fd, b, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        b += w;
        n -= (size_t)w;
    }
    return 0;
}

static int send_head(int fd, int status, const char *reason, const char *type,
                     uint64_t len, bool keep)
{
    char h[256];
    int n = snprintf(h, sizeof(h),
                     "HTTP/1.1 %d %s\r\nServer: linux-peer\r\n"
                     "Content-Type: %s\r\nContent-Length: %llu\r\n"
                     "Connection: %s\r\n\r\n",
                     status, reason, type, (unsigned long long)len,
                     keep ? "keep-alive" : "close");
    return send_all(fd, h, (size_t)n);
}

/* The body from the disk, CHUNK bytes per read as httpd does. */
static int send_body(struct net *nt, int fd)
{
    for (uint64_t off = 0; off < nt->body;) {
        size_t want = CHUNK;
        ssize_t r = pread(nt->dev, nt->chunk, want, (off_t)off);
        if (r <= 0) {
            printf("linux-peer: body read at %llu: %s\n",
                   (unsigned long long)off, r ? strerror(errno) : "end");
            return -1;
        }
        size_t n = (size_t)r;
        if (n > nt->body - off)
            n = (size_t)(nt->body - off);
        if (send_all(fd, nt->chunk, n))
            return -1;
        off += n;
    }
    return 0;
}

/* Answers one request of req[0..end); returns 1 to keep the connection. */
static int answer(struct net *nt, struct conn *c, size_t end)
{
    char *line_end = memchr(c->req, '\r', end);
    char method[8], path[128];
    if (!line_end ||
        sscanf(c->req, "%7s %127s HTTP/1.%*c", method, path) != 2) {
        send_head(c->fd, 400, "Bad Request", "text/plain", 0, false);
        return 0;
    }
    /* HTTP/1.1 keeps the connection unless the client says close. */
    bool keep = memmem(c->req, (size_t)(line_end - c->req), "HTTP/1.1", 8);
    for (char *p = line_end; p < c->req + end; p++) {
        if (strncasecmp(p, "\nConnection:", 12) == 0) {
            char *v = p + 12;
            while (*v == ' ')
                v++;
            if (strncasecmp(v, "close", 5) == 0)
                keep = false;
            else if (strncasecmp(v, "keep-alive", 10) == 0)
                keep = true;
        }
    }
    bool head = strcmp(method, "HEAD") == 0;
    if (!head && strcmp(method, "GET") != 0) {
        send_head(c->fd, 405, "Method Not Allowed", "text/plain", 0, false);
        return 0;
    }
    int rc;
    if (strcmp(path, "/big.bin") == 0) {
        rc = send_head(c->fd, 200, "OK", "application/octet-stream", nt->body,
                       keep);
        if (!rc && !head)
            rc = send_body(nt, c->fd);
    } else if (strcmp(path, "/hello.txt") == 0) {
        char b[512];
        size_t n =
            nt->hello_len < sizeof(b) ? (size_t)nt->hello_len : sizeof(b);
        ssize_t r = pread(nt->dev_hello, b, n, (off_t)nt->hello_off);
        if (r != (ssize_t)n) {
            send_head(c->fd, 500, "Internal Server Error", "text/plain", 0,
                      false);
            return 0;
        }
        rc = send_head(c->fd, 200, "OK", "text/plain", n, keep);
        if (!rc && !head)
            rc = send_all(c->fd, b, n);
    } else {
        rc = send_head(c->fd, 404, "Not Found", "text/plain", 0, keep);
    }
    return rc ? 0 : keep;
}

static int listen_on(uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons(port),
                            .sin_addr.s_addr = htonl(INADDR_ANY)};
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
        bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 8)) {
        printf("linux-peer: port %u: %s\n", port, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

static void drop(struct net *nt, int i)
{
    close(nt->c[i]->fd);
    free(nt->c[i]);
    nt->c[i] = NULL;
}

/* Reads what connection i has; returns 1 when a discard stream ended. */
static int serve(struct net *nt, int i, uint64_t *discarded)
{
    struct conn *c = nt->c[i];
    if (c->discard) {
        static char sink[64 << 10];
        ssize_t r = recv(c->fd, sink, sizeof(sink), 0);
        if (r > 0) {
            c->received += (uint64_t)r;
            return 0;
        }
        if (r < 0 && errno == EINTR)
            return 0;
        *discarded += c->received;
        drop(nt, i);
        return 1;
    }
    ssize_t r = recv(c->fd, c->req + c->len, sizeof(c->req) - 1 - c->len, 0);
    if (r < 0 && errno == EINTR)
        return 0;
    if (r <= 0) {
        drop(nt, i);
        return 0;
    }
    c->len += (size_t)r;
    c->req[c->len] = '\0';
    for (;;) {
        char *e = strstr(c->req, "\r\n\r\n");
        if (!e) {
            if (c->len == sizeof(c->req) - 1) /* header too long */
                drop(nt, i);
            return 0;
        }
        size_t used = (size_t)(e + 4 - c->req);
        if (!answer(nt, c, used)) {
            drop(nt, i);
            return 0;
        }
        memmove(c->req, c->req + used, c->len - used + 1);
        c->len -= used;
    }
}

static int net(const char *dev, int nargs, char **args)
{
    char all[512] = "";
    for (int i = 0; i < nargs; i++) {
        strncat(all, args[i], sizeof(all) - strlen(all) - 2);
        strcat(all, " ");
    }
    struct net nt = {0};
    nt.body = job_size(all, "body", 32u << 20);
    nt.hello_off = job_size(all, "hello_off", 0);
    nt.hello_len = job_size(all, "hello_len", 0);
    uint64_t port = job_size(all, "port", 80);
    uint64_t dport = job_size(all, "discard", 9);
    uint64_t limit = job_size(all, "limit", 180);
    nt.dev = open(dev, O_RDONLY | O_DIRECT);
    nt.dev_hello = open(dev, O_RDONLY);
    if (nt.dev < 0 || nt.dev_hello < 0 || port > 65535 || dport > 65535 ||
        posix_memalign((void **)&nt.chunk, 4096, CHUNK)) {
        printf("linux-peer: %s: %s\n", dev, strerror(errno));
        return 1;
    }
    int lh = listen_on((uint16_t)port), ld = listen_on((uint16_t)dport);
    if (lh < 0 || ld < 0)
        return 1;
    printf("linux-peer: http on %u (big.bin %llu bytes), discard on %u\n",
           (unsigned)port, (unsigned long long)nt.body, (unsigned)dport);
    mark("begin", "net");
    uint64_t end = now_ns() + limit * 1000000000ull, discarded = 0;
    int streams = 0;
    while (!streams && now_ns() < end) {
        struct pollfd p[MAX_CONNS + 2];
        int map[MAX_CONNS + 2], n = 0;
        p[n] = (struct pollfd){.fd = lh, .events = POLLIN};
        map[n++] = -1;
        p[n] = (struct pollfd){.fd = ld, .events = POLLIN};
        map[n++] = -2;
        for (int i = 0; i < MAX_CONNS; i++)
            if (nt.c[i]) {
                p[n] = (struct pollfd){.fd = nt.c[i]->fd, .events = POLLIN};
                map[n++] = i;
            }
        if (poll(p, (nfds_t)n, 1000) < 0 && errno != EINTR) {
            printf("linux-peer: poll: %s\n", strerror(errno));
            return 1;
        }
        for (int k = 0; k < n; k++) {
            if (!(p[k].revents & (POLLIN | POLLHUP | POLLERR)))
                continue;
            if (map[k] >= 0) {
                streams += serve(&nt, map[k], &discarded);
                continue;
            }
            int fd = accept(p[k].fd, NULL, NULL);
            if (fd < 0)
                continue;
            int slot = 0;
            while (slot < MAX_CONNS && nt.c[slot])
                slot++;
            struct conn *c = slot < MAX_CONNS ? calloc(1, sizeof(*c)) : NULL;
            if (!c) {
                close(fd);
                continue;
            }
            int one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
            c->fd = fd;
            c->discard = map[k] == -2;
            nt.c[slot] = c;
        }
    }
    printf("linux-peer: discard service received %llu bytes%s\n",
           (unsigned long long)discarded,
           streams ? "" : " (no upload finished before the limit)");
    fflush(stdout);
    pause_ms(NET_END_MS);
    mark("end", "net");
    for (int i = 0; i < MAX_CONNS; i++)
        if (nt.c[i])
            drop(&nt, i);
    close(lh);
    close(ld);
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc == 3 && strcmp(argv[1], "idle") == 0) {
        unsigned ms = (unsigned)strtoul(argv[2], NULL, 10);
        mark("begin", "idle");
        pause_ms(ms > PAUSE_MS ? ms - PAUSE_MS : 0);
        mark("end", "idle");
        return 0;
    }
    if (argc >= 4 && strcmp(argv[1], "storage") == 0)
        return storage(argv[2], argc - 3, argv + 3);
    if (argc >= 3 && strcmp(argv[1], "net") == 0)
        return net(argv[2], argc - 3, argv + 3);
    fprintf(stderr, "usage: peer idle MS | peer storage DEV JOB... | "
                    "peer net DEV [port=N] [discard=N] [body=B] [hello_off=B] "
                    "[hello_len=B] [limit=S]\n");
    return 2;
}
