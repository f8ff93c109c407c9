/*
 * fstest: writes a known tree of files on the first SCSI disk's FAT32
 * volume, reads it back, and unmounts cleanly, so the host can check the
 * image with mtools and fsck.fat after QEMU exits (tests/e2e/fstest-check
 * knows the same contents).
 *
 * The tree, under /tree: alpha.txt; "Long File Name, with spaces.txt";
 * sub/deep/nested/file-N.bin for N = 0..FILES-1 (N * 1000 + 7 bytes);
 * big.bin (BIG_BYTES); renamed.txt (written as old.txt, then renamed);
 * tmp.txt written and deleted.  File bytes: pattern(seed, i) below.
 *
 * Arguments: big=BYTES (default 3 MiB); hotplug=1 then waits (60 s at
 * most) for the host to hot-add a disk (ENUMERATE_BUS), opens LUN 1 and
 * writes and reads back a pattern there; subchannels=N asks the host for N
 * storage sub-channels (default 0: the primary channel alone) and the
 * commands each channel carried are printed.  Exit status: 0 all written and
 * read back, 1 a file operation failed (printed), 2 no Hyper-V, 3 no VMBus,
 * 4 no disk, 5 no FAT volume, 6 no hot-added disk or its I/O failed.
 */
#include "boot/kernel.h"
#include "common/cmdline.h"
#include "storage/blk.h"
#include "storage/vfs.h"
#include "storage/volume.h"
#include "vmbus/vmbus.h"
#include "vsc/storvsc/storvsc.h"
#include "winhv/winhv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FILES 10u
#define CHUNK 65536u

static uint8_t pattern(uint32_t seed, uint64_t i)
{
    return (uint8_t)((i * 31u + (i >> 9) + seed * 7u) & 0xFFu);
}

static uint8_t buf[CHUNK];
static uint64_t total;

#define CHECK(expr, what)                                                      \
    do {                                                                       \
        int rc_ = (expr);                                                      \
        if (rc_ < 0) {                                                         \
            printf("fstest: %s: %d %s\n", what, rc_, strerror(-rc_));          \
            return 1;                                                          \
        }                                                                      \
    } while (0)

static int write_file(const char *path, uint32_t seed, uint64_t len)
{
    int fd = vfs_open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(fd, path);
    for (uint64_t off = 0; off < len;) {
        uint32_t n = len - off < CHUNK ? (uint32_t)(len - off) : CHUNK;
        for (uint32_t i = 0; i < n; i++)
            buf[i] = pattern(seed, off + i);
        ssize_t w = write(fd, buf, n);
        if (w != (ssize_t)n) {
            printf("fstest: write %s at %llu: %d\n", path,
                   (unsigned long long)off, (int)w);
            close(fd);
            return 1;
        }
        off += n;
    }
    CHECK(vfs_fsync(fd), "fsync");
    close(fd);
    total += len;
    return 0;
}

static int check_file(const char *path, uint32_t seed, uint64_t len)
{
    int fd = vfs_open(path, O_RDONLY, 0);
    CHECK(fd, path);
    uint64_t off = 0;
    for (;;) {
        ssize_t r = read(fd, buf, CHUNK);
        if (r < 0) {
            printf("fstest: read %s: %d\n", path, (int)r);
            close(fd);
            return 1;
        }
        if (r == 0)
            break;
        for (ssize_t i = 0; i < r; i++)
            if (buf[i] != pattern(seed, off + (uint64_t)i)) {
                printf("fstest: %s differs at %llu\n", path,
                       (unsigned long long)(off + (uint64_t)i));
                close(fd);
                return 1;
            }
        off += (uint64_t)r;
    }
    close(fd);
    if (off != len) {
        printf("fstest: %s is %llu bytes, expected %llu\n", path,
               (unsigned long long)off, (unsigned long long)len);
        return 1;
    }
    return 0;
}

static int text_file(const char *path, const char *text)
{
    int fd = vfs_open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(fd, path);
    size_t n = strlen(text);
    if (write(fd, text, n) != (ssize_t)n) {
        close(fd);
        printf("fstest: write %s failed\n", path);
        return 1;
    }
    CHECK(vfs_fsync(fd), "fsync");
    close(fd);
    total += n;
    return 0;
}

static int mkdir_p(const char *path)
{
    int rc = vfs_mkdir(path, 0755);
    return rc == -EEXIST ? 0 : rc;
}

static int tree(uint64_t big)
{
    char path[96];
    CHECK(mkdir_p("/tree"), "mkdir /tree");
    CHECK(mkdir_p("/tree/sub"), "mkdir /tree/sub");
    CHECK(mkdir_p("/tree/sub/deep"), "mkdir /tree/sub/deep");
    CHECK(mkdir_p("/tree/sub/deep/nested"), "mkdir nested");
    if (text_file("/tree/alpha.txt", "alpha\n") ||
        text_file("/tree/Long File Name, with spaces.txt",
                  "a long name survives\n") ||
        text_file("/tree/old.txt", "renamed\n") ||
        text_file("/tree/tmp.txt", "deleted\n"))
        return 1;
    for (uint32_t n = 0; n < FILES; n++) {
        snprintf(path, sizeof(path), "/tree/sub/deep/nested/file-%u.bin",
                 (unsigned)n);
        if (write_file(path, n, n * 1000u + 7u))
            return 1;
    }
    if (write_file("/tree/big.bin", 99, big))
        return 1;
    CHECK(vfs_rename("/tree/old.txt", "/tree/renamed.txt"), "rename");
    CHECK(vfs_unlink("/tree/tmp.txt"), "unlink");
    CHECK(vfs_sync(), "sync");
    for (uint32_t n = 0; n < FILES; n++) {
        snprintf(path, sizeof(path), "/tree/sub/deep/nested/file-%u.bin",
                 (unsigned)n);
        if (check_file(path, n, n * 1000u + 7u))
            return 1;
    }
    if (check_file("/tree/big.bin", 99, big))
        return 1;
    struct stat st;
    if (vfs_stat("/tree/tmp.txt", &st) != -ENOENT) {
        printf("fstest: tmp.txt still there\n");
        return 1;
    }
    return 0;
}

/* hotplug=1: waits for a disk the host adds while we run (LUN 1). */
static int hot_added_disk(struct storvsc *sv)
{
    printf("fstest: waiting for a hot-added disk\n");
    fflush(stdout);
    uint64_t end = clock_now_ns() + 60000000000ull;
    while (!storvsc_take_rescan(sv)) {
        if (clock_now_ns() >= end) {
            printf("fstest: no rescan request from the host in 60 s\n");
            return -ETIMEDOUT;
        }
        storvsc_wait(sv, clock_now_ns() + 100000000ull);
    }
    struct storvsc_disk *d;
    int rc = storvsc_disk_open(sv, 1, &d);
    if (rc) {
        printf("fstest: rescan, but LUN 1 does not open: %d\n", rc);
        return rc;
    }
    static struct blk_dev dev;
    static uint8_t out[4096], in[4096];
    uint32_t ss = storvsc_disk_sector_size(d);
    for (unsigned i = 0; i < sizeof(out); i++)
        out[i] = (uint8_t)(i * 13 + 5);
    uint64_t lba = storvsc_disk_sectors(d) / 2;
    rc = blk_init(&dev, &storvsc_blk_ops, d, ss, 0);
    if (!rc)
        rc = blk_write(&dev, lba, sizeof(out) / ss, out);
    if (!rc)
        rc = blk_flush(&dev);
    if (!rc)
        rc = blk_read(&dev, lba, sizeof(in) / ss, in);
    if (!rc && memcmp(in, out, sizeof(in)))
        rc = -EIO;
    uint64_t sectors = storvsc_disk_sectors(d);
    blk_fini(&dev);
    storvsc_disk_close(d);
    printf("fstest: hot-added LUN 1: %llu sectors, 4 KiB written at LBA %llu "
           "and read back %s (%d)\n",
           (unsigned long long)sectors, (unsigned long long)lba,
           rc ? "WRONG" : "ok", rc);
    return rc;
}

int app_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    uint64_t big = 3u << 20;
    const char *b = boot_arg("big");
    if (b && cmdline_parse_size(b, &big))
        big = 3u << 20;
    if (winhv_init()) {
        printf("fstest: no Hyper-V interface\n");
        return 2;
    }
    const struct vmbus_platform *plat = winhv_vmbus_platform();
    struct vmbus *vb = vmbus_create(plat);
    struct storvsc_config sc = {.plat = *plat};
    const char *sub = boot_arg("subchannels");
    if (sub && atoi(sub) > 0)
        sc.subchannels = (uint32_t)atoi(sub);
    struct storvsc *sv = vb ? storvsc_create(vb, &sc) : NULL;
    if (!sv || winhv_vmbus_attach(vb) || vmbus_connect(vb, 0)) {
        printf("fstest: VMBus connection failed\n");
        return 3;
    }
    const char *stage;
    int rc = volume_mount(sv, 0, 0, &stage);
    if (rc) {
        int no_disk = !strcmp(stage, "controller") || !strcmp(stage, "disk");
        printf("fstest: %s (%s: %d)\n", no_disk ? "no disk" : "no FAT32 volume",
               stage, rc);
        return no_disk ? 4 : 5;
    }
    uint64_t t0 = clock_now_ns();
    rc = tree(big);
    uint64_t ms = (clock_now_ns() - t0) / 1000000u;
    int urc = volume_unmount();
    if (rc || urc) {
        vmbus_disconnect(vb);
        printf("fstest: FAIL (unmount %d)\n", urc);
        return 1;
    }
    printf("fstest: wrote and read back %u files, %llu bytes in %llu ms\n",
           FILES + 4u, (unsigned long long)total, (unsigned long long)ms);
    printf("fstest: %u storage channels, commands per channel:",
           (unsigned)storvsc_channels(sv));
    for (unsigned k = 0; k < STORVSC_MAX_CHANNELS; k++)
        printf(" %llu",
               (unsigned long long)storvsc_get_stats(sv)->chan_commands[k]);
    printf("\n");
    const char *hp = boot_arg("hotplug");
    rc = hp && strcmp(hp, "0") ? hot_added_disk(sv) : 0;
    vmbus_disconnect(vb);
    return rc ? 6 : 0;
}
