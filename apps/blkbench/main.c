/*
 * blkbench: one raw block workload on SCSI LUN 0 through storvsc (no file
 * system), for bench/storage.  The disk's contents are overwritten.
 *
 * Arguments (key=value): op=read|write (default read), pattern=seq|rand
 * (default seq), bs=BYTES (default 1M, at most the host's max transfer),
 * qd=N commands in flight (default 1, at most 64), total=BYTES moved
 * (default 64M), span=BYTES of the disk used (default: all of it),
 * subchannels=N storage sub-channels to ask for (default 0: the primary
 * alone).
 *
 * Prints "blkbench: OP PATTERN bs=B qd=N: IOS ios, BYTES bytes in MS ms:
 * X.Y MB/s, Z IOPS", then "blkbench: N channels, commands per channel: ..."
 * and exits 0; 1 on an I/O error, 4 no disk.
 */
#include "boot/kernel.h"
#include "common/cmdline.h"
#include "vmbus/vmbus.h"
#include "vsc/storvsc/storvsc.h"
#include "winhv/winhv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_QD 64u

static struct storvsc_cmd cmds[MAX_QD];
static uint64_t done_ios, next_io, total_ios;
static int failed;

static uint64_t size_arg(const char *key, uint64_t def)
{
    const char *v = boot_arg(key);
    uint64_t n;
    return v && cmdline_parse_size(v, &n) == 0 ? n : def;
}

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static void fill_cdb(struct storvsc_cmd *c, bool write, uint64_t lba,
                     uint32_t sectors)
{
    memset(c->cdb, 0, sizeof(c->cdb));
    c->cdb[0] = write ? 0x8A : 0x88; /* WRITE(16) / READ(16) */
    for (int i = 0; i < 8; i++)
        c->cdb[2 + i] = (uint8_t)(lba >> (56 - 8 * i));
    for (int i = 0; i < 4; i++)
        c->cdb[10 + i] = (uint8_t)(sectors >> (24 - 8 * i));
    c->cdb_len = 16;
    c->dir = write ? STORVSC_DIR_OUT : STORVSC_DIR_IN;
}

static void on_done(struct storvsc_cmd *c)
{
    if (c->status)
        failed = c->status;
    done_ios++;
    c->complete = 2; /* free for the next command */
}

int app_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    /* boot_arg's answer lasts until its next call. */
    const char *a = boot_arg("op");
    bool write = a && !strcmp(a, "write");
    a = boot_arg("pattern");
    bool rand = a && !strcmp(a, "rand");
    uint64_t bs = size_arg("bs", 1u << 20);
    uint64_t qd = size_arg("qd", 1);
    uint64_t total = size_arg("total", 64u << 20);
    if (qd < 1 || qd > MAX_QD)
        qd = 1;
    if (winhv_init())
        return 2;
    const struct vmbus_platform *plat = winhv_vmbus_platform();
    struct vmbus *vb = vmbus_create(plat);
    struct storvsc_config sc = {.plat = *plat};
    sc.subchannels = (uint32_t)size_arg("subchannels", 0);
    struct storvsc *sv = vb ? storvsc_create(vb, &sc) : NULL;
    if (!sv || winhv_vmbus_attach(vb) || vmbus_connect(vb, 0))
        return 3;
    struct storvsc_disk *disk;
    if (storvsc_start(sv) || storvsc_disk_open(sv, 0, &disk)) {
        printf("blkbench: no disk\n");
        return 4;
    }
    uint32_t ss = storvsc_disk_sector_size(disk);
    if (bs > storvsc_max_transfer(sv))
        bs = storvsc_max_transfer(sv);
    bs -= bs % ss;
    uint64_t span = size_arg("span", storvsc_disk_sectors(disk) * ss);
    if (span > storvsc_disk_sectors(disk) * ss)
        span = storvsc_disk_sectors(disk) * ss;
    uint64_t slots = span / bs;
    if (!bs || !slots) {
        printf("blkbench: bad sizes\n");
        return 1;
    }
    total_ios = total / bs;
    uint8_t *bufs = page_alloc((size_t)((bs * qd + 4095) / 4096));
    if (!bufs)
        return 1;
    memset(bufs, 0x5A, (size_t)(bs * qd));
    for (uint64_t i = 0; i < qd; i++)
        cmds[i].complete = 2;

    uint64_t t0 = clock_now_ns();
    while (done_ios < total_ios && !failed) {
        bool sent = false;
        for (uint64_t i = 0; i < qd && next_io < total_ios; i++) {
            struct storvsc_cmd *c = &cmds[i];
            if (c->complete != 2)
                continue;
            uint64_t slot = rand ? rnd() % slots : next_io % slots;
            fill_cdb(c, write, slot * bs / ss, (uint32_t)(bs / ss));
            c->lun = 0;
            c->buf = bufs + i * bs;
            c->len = (uint32_t)bs;
            c->done = on_done;
            c->complete = 0;
            int rc = storvsc_queue(sv, c);
            if (rc == -EAGAIN) {
                c->complete = 2;
                break;
            }
            if (rc) {
                printf("blkbench: submit: %d\n", rc);
                return 1;
            }
            next_io++;
            sent = true;
        }
        /* The burst goes to the host with one signal at most. */
        storvsc_flush(sv);
        if (!sent || next_io >= total_ios || done_ios + qd <= next_io)
            storvsc_wait(sv, clock_now_ns() + 1000000000ull);
    }
    uint64_t ns = clock_now_ns() - t0;
    if (failed) {
        printf("blkbench: I/O error %d\n", failed);
        return 1;
    }
    uint64_t bytes = done_ios * bs;
    uint64_t mbps10 = ns ? bytes * 10000u / ns : 0; /* MB/s x 10 */
    uint64_t iops = ns ? done_ios * 1000000000ull / ns : 0;
    printf("blkbench: %s %s bs=%llu qd=%llu: %llu ios, %llu bytes in %llu "
           "ms: %llu.%llu MB/s, %llu IOPS\n",
           write ? "write" : "read", rand ? "rand" : "seq",
           (unsigned long long)bs, (unsigned long long)qd,
           (unsigned long long)done_ios, (unsigned long long)bytes,
           (unsigned long long)(ns / 1000000),
           (unsigned long long)(mbps10 / 10), (unsigned long long)(mbps10 % 10),
           (unsigned long long)iops);
    printf("blkbench: %u channels, commands per channel:",
           (unsigned)storvsc_channels(sv));
    for (unsigned k = 0; k < STORVSC_MAX_CHANNELS; k++)
        printf(" %llu",
               (unsigned long long)storvsc_get_stats(sv)->chan_commands[k]);
    printf("\n");
    vmbus_disconnect(vb);
    return 0;
}
