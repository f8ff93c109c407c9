/*
 * vspcheck: a conformance suite for a host's storage VSP, run as an
 * appliance on any Hyper-V compatible root (ours, Hyper-V, Azure).  It
 * speaks SCSI over VMBus through storvsc to LUN 0 and checks the answers
 * against SPC/SBC as storvsc (and Linux's sd) rely on them.
 *
 * Arguments (key=value):
 *   write=1     also run the checks that write to the disk (its contents
 *               in the ranges below are lost); without it only reads.
 *   unmap=BYTES the range UNMAP and WRITE SAME are tried on (default 8M),
 *               starting at the middle of the disk, rounded down to 1 MiB.
 *   subchannels=N  sub-channels to ask for when the host offers
 *               multi-channel (default 2, 0 for none); commands then go
 *               round-robin and each channel must carry reads.
 *
 * Prints one line per check, "vspcheck: PASS|FAIL|SKIP storage/NAME: ...",
 * then "vspcheck: N passed, N failed, N skipped" and exits 0 when nothing
 * failed, 1 when something did, 2 when there is no VMBus or no disk.
 * Optional features (UNMAP, WRITE SAME's unmap bit) are checked only when
 * the device advertises them (VPD page B2h), otherwise SKIP.
 */
#include "boot/kernel.h"
#include "common/cmdline.h"
#include "proto/scsi.h"
#include "vmbus/vmbus.h"
#include "vsc/storvsc/storvsc.h"
#include "winhv/winhv.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BUF_BYTES (256u * 1024u)

static struct storvsc *sv;
static uint8_t *buf, *buf2; /* BUF_BYTES each, page aligned */
static uint32_t bsize;      /* logical block size */
static uint64_t nblocks;
static unsigned passed, failed, skipped;

static void result(const char *verdict, const char *name, const char *fmt, ...)
{
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    printf("vspcheck: %s storage/%s: %s\n", verdict, name, msg);
}

#define PASS(name, ...) (passed++, result("PASS", name, __VA_ARGS__))
#define FAIL(name, ...) (failed++, result("FAIL", name, __VA_ARGS__))
#define SKIP(name, ...) (skipped++, result("SKIP", name, __VA_ARGS__))

static void put_be(uint8_t *p, unsigned n, uint64_t v)
{
    for (unsigned i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

static uint64_t get_be(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

/* Runs one command on LUN 0; the result is in *c. */
static int exec(struct storvsc_cmd *c, const uint8_t *cdb, unsigned cdb_len,
                unsigned dir, void *data, uint32_t len)
{
    memset(c, 0, sizeof(*c));
    memcpy(c->cdb, cdb, cdb_len);
    c->cdb_len = (uint8_t)cdb_len;
    c->dir = (uint8_t)dir;
    c->buf = data;
    c->len = len;
    return storvsc_exec(sv, c);
}

/* "key/asc" of a CHECK CONDITION, or a description of another outcome. */
static const char *outcome(const struct storvsc_cmd *c, char *out, size_t n)
{
    struct storvsc_sense s;
    if (c->status == 0)
        snprintf(out, n, "GOOD");
    else if (c->scsi_status == SCSI_STATUS_CHECK_CONDITION &&
             storvsc_sense_decode(c->sense, c->sense_len, &s) == 0)
        snprintf(out, n, "CHECK CONDITION key %#x asc %#04x/%#04x", s.key,
                 s.asc, s.ascq);
    else
        snprintf(out, n, "status %d (srb %#x, scsi %#x)", c->status,
                 c->srb_status, c->scsi_status);
    return out;
}

/* Whether c ended in CHECK CONDITION with this key and ASC/ASCQ. */
static bool sense_is(const struct storvsc_cmd *c, uint8_t key, uint16_t asc)
{
    struct storvsc_sense s;
    return c->status == -EIO && c->scsi_status == SCSI_STATUS_CHECK_CONDITION &&
           storvsc_sense_decode(c->sense, c->sense_len, &s) == 0 &&
           s.key == key && (s.asc << 8 | s.ascq) == asc;
}

static int rw(bool write, uint64_t lba, uint32_t blocks, void *data, bool fua,
              struct storvsc_cmd *c)
{
    uint8_t cdb[16] = {write ? SCSI_WRITE_16 : SCSI_READ_16};
    if (fua)
        cdb[1] = SCSI_CDB_FUA;
    put_be(cdb + 2, 8, lba);
    put_be(cdb + 10, 4, blocks);
    return exec(c, cdb, 16, write ? STORVSC_DIR_OUT : STORVSC_DIR_IN, data,
                blocks * bsize);
}

static void fill(uint8_t *p, uint32_t len, uint32_t seed)
{
    for (uint32_t i = 0; i < len; i += 4) {
        seed = seed * 1103515245u + 12345u;
        memcpy(p + i, &seed, 4);
    }
}

static bool all_zero(const uint8_t *p, uint32_t len)
{
    for (uint32_t i = 0; i < len; i++)
        if (p[i])
            return false;
    return true;
}

/* ---- read-only checks ---- */

static uint8_t vpd_list[64];
static unsigned vpd_count;

static bool vpd_listed(uint8_t page)
{
    for (unsigned i = 0; i < vpd_count; i++)
        if (vpd_list[i] == page)
            return true;
    return false;
}

static int inquiry(struct storvsc_cmd *c, bool evpd, uint8_t page,
                   uint16_t alloc)
{
    uint8_t cdb[6] = {SCSI_INQUIRY, evpd ? SCSI_INQUIRY_EVPD : 0, page};
    put_be(cdb + 3, 2, alloc);
    memset(buf, 0xEE, alloc);
    return exec(c, cdb, 6, STORVSC_DIR_IN, buf, alloc);
}

static void check_inquiry(void)
{
    struct storvsc_cmd c;
    char o[80];
    if (inquiry(&c, false, 0, 96)) {
        FAIL("inquiry", "%s", outcome(&c, o, sizeof(o)));
        return;
    }
    if ((buf[0] & 0x1F) != SCSI_TYPE_DISK || (buf[3] & 0x0F) != 2 ||
        buf[4] < 31)
        FAIL("inquiry", "type %#x, format %u, additional length %u",
             buf[0] & 0x1F, buf[3] & 0x0F, buf[4]);
    else
        PASS("inquiry", "direct-access, SPC version %#x, \"%.8s\" \"%.16s\"",
             buf[2], (const char *)buf + 8, (const char *)buf + 16);

    if (inquiry(&c, true, SCSI_VPD_SUPPORTED, 255)) {
        FAIL("vpd-supported", "%s", outcome(&c, o, sizeof(o)));
        return;
    }
    unsigned n = (unsigned)get_be(buf + 2, 2);
    if (buf[1] != SCSI_VPD_SUPPORTED || n > sizeof(vpd_list) || n == 0) {
        FAIL("vpd-supported", "page %#x, length %u", buf[1], n);
        return;
    }
    memcpy(vpd_list, buf + 4, n);
    vpd_count = n;
    bool sorted = vpd_list[0] == SCSI_VPD_SUPPORTED;
    for (unsigned i = 1; i < n; i++)
        sorted &= vpd_list[i] > vpd_list[i - 1];
    if (!sorted)
        FAIL("vpd-supported", "the list is not ascending from 00h");
    else
        PASS("vpd-supported", "%u pages", n);

    static const uint8_t pages[] = {
        SCSI_VPD_SERIAL, SCSI_VPD_DEVICE_ID, SCSI_VPD_BLOCK_LIMITS,
        SCSI_VPD_BLOCK_CHARACTERISTICS, SCSI_VPD_LB_PROVISIONING};
    for (unsigned i = 0; i < sizeof(pages); i++) {
        char name[16];
        snprintf(name, sizeof(name), "vpd-%02x", pages[i]);
        if (!vpd_listed(pages[i])) {
            SKIP(name, "not listed in page 00h");
            continue;
        }
        if (inquiry(&c, true, pages[i], 255)) {
            FAIL(name, "%s", outcome(&c, o, sizeof(o)));
            continue;
        }
        unsigned len = (unsigned)get_be(buf + 2, 2);
        if (buf[1] != pages[i] || len + 4 > 255 || len + 4 > c.transferred)
            FAIL(name, "page %#x, length %u, %u bytes moved", buf[1], len,
                 c.transferred);
        else
            PASS(name, "%u bytes", len + 4);
    }
    /* A page nobody defines: ILLEGAL REQUEST, INVALID FIELD IN CDB. */
    inquiry(&c, true, 0xEF, 255);
    if (sense_is(&c, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ASC_INVALID_FIELD_IN_CDB))
        PASS("vpd-unknown", "page EFh refused with INVALID FIELD IN CDB");
    else
        FAIL("vpd-unknown", "page EFh: %s", outcome(&c, o, sizeof(o)));
}

static bool check_capacity(void)
{
    struct storvsc_cmd c;
    char o[80];
    uint8_t rc10[10] = {SCSI_READ_CAPACITY_10};
    if (exec(&c, rc10, 10, STORVSC_DIR_IN, buf, 8)) {
        FAIL("read-capacity", "(10): %s", outcome(&c, o, sizeof(o)));
        return false;
    }
    uint64_t last10 = get_be(buf, 4);
    uint32_t bs10 = (uint32_t)get_be(buf + 4, 4);
    uint8_t rc16[16] = {SCSI_SERVICE_ACTION_IN_16, SCSI_SAI_READ_CAPACITY_16};
    put_be(rc16 + 10, 4, 32);
    if (exec(&c, rc16, 16, STORVSC_DIR_IN, buf, 32)) {
        FAIL("read-capacity", "(16): %s", outcome(&c, o, sizeof(o)));
        return false;
    }
    uint64_t last16 = get_be(buf, 8);
    bsize = (uint32_t)get_be(buf + 8, 4);
    nblocks = last16 + 1;
    if ((bsize != 512 && bsize != 4096) || bs10 != bsize ||
        (last10 != 0xFFFFFFFFu && last10 != last16) || last16 == 0) {
        FAIL("read-capacity", "(10) %llu x %u, (16) %llu x %u",
             (unsigned long long)last10, bs10, (unsigned long long)last16,
             bsize);
        return false;
    }
    PASS("read-capacity", "%llu blocks of %u bytes, (10) and (16) agree",
         (unsigned long long)nblocks, bsize);
    return true;
}

static void check_simple(void)
{
    struct storvsc_cmd c;
    char o[80];
    uint8_t tur[6] = {SCSI_TEST_UNIT_READY};
    if (exec(&c, tur, 6, STORVSC_DIR_NONE, NULL, 0) &&
        exec(&c, tur, 6, STORVSC_DIR_NONE, NULL, 0)) /* past an attention */
        FAIL("test-unit-ready", "%s", outcome(&c, o, sizeof(o)));
    else
        PASS("test-unit-ready", "GOOD");

    uint8_t rs[6] = {SCSI_REQUEST_SENSE, 0, 0, 0, 18};
    if (exec(&c, rs, 6, STORVSC_DIR_IN, buf, 18))
        FAIL("request-sense", "%s", outcome(&c, o, sizeof(o)));
    else if ((buf[0] & 0x7F) != SCSI_SENSE_CURRENT &&
             (buf[0] & 0x7F) != SCSI_SENSE_DESC_CURRENT)
        FAIL("request-sense", "response code %#x", buf[0]);
    else
        PASS("request-sense", "sense key %#x",
             (buf[0] & 0x7F) == 0x70 ? buf[2] & 0x0F : buf[1] & 0x0F);

    uint8_t rl[12] = {SCSI_REPORT_LUNS};
    put_be(rl + 6, 4, 256);
    if (exec(&c, rl, 12, STORVSC_DIR_IN, buf, 256)) {
        FAIL("report-luns", "%s", outcome(&c, o, sizeof(o)));
    } else {
        uint32_t len = (uint32_t)get_be(buf, 4);
        bool lun0 = false;
        for (uint32_t i = 0; i + 8 <= len && 8 + i + 8 <= 256; i += 8)
            lun0 |= get_be(buf + 8 + i, 8) == 0;
        if (len % 8 || !lun0)
            FAIL("report-luns", "list of %u bytes%s", len,
                 lun0 ? "" : " without LUN 0");
        else
            PASS("report-luns", "%u LUNs", len / 8);
    }

    uint8_t ms[6] = {SCSI_MODE_SENSE_6, 0, SCSI_MODE_PAGE_ALL, 0, 252};
    if (exec(&c, ms, 6, STORVSC_DIR_IN, buf, 252))
        FAIL("mode-sense", "(6): %s", outcome(&c, o, sizeof(o)));
    else if ((uint32_t)buf[0] + 1 > c.transferred || buf[3] % 8)
        FAIL("mode-sense", "(6): data length %u, %u bytes moved, bd %u", buf[0],
             c.transferred, buf[3]);
    else
        PASS("mode-sense", "(6): %u bytes, write protect %s", buf[0] + 1,
             buf[2] & SCSI_MODE_WP ? "on" : "off");

    /* A vendor-specific opcode no disk implements. */
    uint8_t bad[10] = {0xC7};
    exec(&c, bad, 10, STORVSC_DIR_NONE, NULL, 0);
    if (sense_is(&c, SCSI_SENSE_ILLEGAL_REQUEST,
                 SCSI_ASC_INVALID_COMMAND_OPCODE))
        PASS("unknown-opcode", "C7h refused with INVALID COMMAND OPERATION "
                               "CODE");
    else
        FAIL("unknown-opcode", "C7h: %s", outcome(&c, o, sizeof(o)));

    if (rw(false, nblocks - 1, 1, buf, false, &c))
        FAIL("read-last", "%s", outcome(&c, o, sizeof(o)));
    else
        PASS("read-last", "LBA %llu", (unsigned long long)(nblocks - 1));
    rw(false, nblocks - 1, 2, buf, false, &c);
    if (sense_is(&c, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ASC_LBA_OUT_OF_RANGE))
        PASS("read-past-end", "refused with LBA OUT OF RANGE");
    else
        FAIL("read-past-end", "%s", outcome(&c, o, sizeof(o)));
}

/* Reads spread over every open channel all complete GOOD. */
static void check_channels(uint32_t asked)
{
    uint32_t n = storvsc_channels(sv);
    if (asked == 0 || n <= 1) {
        SKIP("subchannels", "%s",
             asked ? "the host opened no sub-channels"
                   : "none asked for (subchannels=0)");
        return;
    }
    uint64_t before[STORVSC_MAX_CHANNELS];
    const struct storvsc_stats *st = storvsc_get_stats(sv);
    memcpy(before, st->chan_commands, sizeof(before));
    struct storvsc_cmd c;
    char o[80];
    for (uint32_t i = 0; i < 4 * n; i++) {
        if (rw(false, i * (4096u / bsize), 4096u / bsize, buf, false, &c)) {
            FAIL("subchannels", "read %u: %s", i, outcome(&c, o, sizeof(o)));
            return;
        }
    }
    char per[64];
    int at = 0;
    bool all = true;
    for (uint32_t k = 0; k < n && k < STORVSC_MAX_CHANNELS; k++) {
        uint64_t d = st->chan_commands[k] - before[k];
        all &= d > 0;
        at += snprintf(per + at, sizeof(per) - (size_t)at, " %llu",
                       (unsigned long long)d);
    }
    if (!all)
        FAIL("subchannels", "%u channels, a channel carried no reads:%s", n,
             per);
    else
        PASS("subchannels", "%u asked, %u channels, reads per channel:%s",
             asked, n, per);
}

/* ---- checks that write ---- */

static void check_write_read(uint64_t lba)
{
    struct storvsc_cmd c;
    char o[80];
    uint32_t blocks = BUF_BYTES / bsize;
    fill(buf, BUF_BYTES, (uint32_t)lba);
    if (rw(true, lba, blocks, buf, true, &c)) {
        FAIL("write-read", "WRITE(16) FUA: %s", outcome(&c, o, sizeof(o)));
        return;
    }
    memset(buf2, 0, BUF_BYTES);
    if (rw(false, lba, blocks, buf2, false, &c))
        FAIL("write-read", "READ(16): %s", outcome(&c, o, sizeof(o)));
    else if (memcmp(buf, buf2, BUF_BYTES))
        FAIL("write-read", "%u bytes at LBA %llu read back different",
             BUF_BYTES, (unsigned long long)lba);
    else
        PASS("write-read", "%u KiB at LBA %llu, FUA, read back equal",
             BUF_BYTES / 1024, (unsigned long long)lba);

    uint8_t s10[10] = {SCSI_SYNCHRONIZE_CACHE_10};
    uint8_t s16[16] = {SCSI_SYNCHRONIZE_CACHE_16};
    if (exec(&c, s10, 10, STORVSC_DIR_NONE, NULL, 0) ||
        exec(&c, s16, 16, STORVSC_DIR_NONE, NULL, 0))
        FAIL("synchronize-cache", "%s", outcome(&c, o, sizeof(o)));
    else
        PASS("synchronize-cache", "(10) and (16) GOOD");
}

/* A write that runs past the end is refused and changes nothing. */
static void check_write_past_end(void)
{
    struct storvsc_cmd c;
    char o[80];
    fill(buf, bsize, 0xE0D);
    if (rw(true, nblocks - 1, 1, buf, false, &c)) {
        FAIL("write-past-end", "writing the last block: %s",
             outcome(&c, o, sizeof(o)));
        return;
    }
    fill(buf2, 2 * bsize, 0xBAD);
    rw(true, nblocks - 1, 2, buf2, false, &c);
    if (!sense_is(&c, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ASC_LBA_OUT_OF_RANGE)) {
        FAIL("write-past-end", "%s", outcome(&c, o, sizeof(o)));
        return;
    }
    if (rw(false, nblocks - 1, 1, buf2, false, &c) || memcmp(buf, buf2, bsize))
        FAIL("write-past-end", "refused, but the last block changed (%s)",
             outcome(&c, o, sizeof(o)));
    else
        PASS("write-past-end", "refused with LBA OUT OF RANGE, last block "
                               "intact");
}

/* Writes pattern blocks over [lba, lba + blocks). */
static bool fill_range(uint64_t lba, uint64_t blocks, uint32_t seed)
{
    struct storvsc_cmd c;
    uint32_t per = BUF_BYTES / bsize;
    for (uint64_t done = 0; done < blocks; done += per) {
        uint32_t n = blocks - done < per ? (uint32_t)(blocks - done) : per;
        fill(buf, n * bsize, seed + (uint32_t)done);
        if (rw(true, lba + done, n, buf, false, &c))
            return false;
    }
    return true;
}

/* Whether [lba, lba + blocks) reads as zeros (-1 on a read error). */
static int range_zero(uint64_t lba, uint64_t blocks)
{
    struct storvsc_cmd c;
    uint32_t per = BUF_BYTES / bsize;
    for (uint64_t done = 0; done < blocks; done += per) {
        uint32_t n = blocks - done < per ? (uint32_t)(blocks - done) : per;
        if (rw(false, lba + done, n, buf2, false, &c))
            return -1;
        if (!all_zero(buf2, n * bsize))
            return 0;
    }
    return 1;
}

static void check_unmap(uint64_t lba, uint64_t blocks)
{
    struct storvsc_cmd c;
    char o[80];
    bool lbpu = false, lbpws = false, lbprz = false;
    struct storvsc_cmd q;
    if (vpd_listed(SCSI_VPD_LB_PROVISIONING) &&
        inquiry(&q, true, SCSI_VPD_LB_PROVISIONING, 64) == 0) {
        lbpu = buf[5] & SCSI_LBP_UNMAP;
        lbpws = buf[5] & SCSI_LBP_WS16;
        lbprz = buf[5] & SCSI_LBP_RZ;
    }
    if (!lbpu) {
        SKIP("unmap", "the device does not advertise UNMAP (VPD B2h)");
    } else if (!fill_range(lba, blocks, 0x11)) {
        FAIL("unmap", "could not write the range first");
    } else {
        /* Two descriptors: the first half and the second half. */
        uint8_t list[8 + 32];
        uint64_t half = blocks / 2;
        memset(list, 0, sizeof(list));
        put_be(list, 2, 6 + 32);
        put_be(list + 2, 2, 32);
        put_be(list + 8, 8, lba);
        put_be(list + 16, 4, half);
        put_be(list + 24, 8, lba + half);
        put_be(list + 32, 4, blocks - half);
        uint8_t cdb[10] = {SCSI_UNMAP};
        put_be(cdb + 7, 2, sizeof(list));
        memcpy(buf, list, sizeof(list));
        if (exec(&c, cdb, 10, STORVSC_DIR_OUT, buf, sizeof(list))) {
            FAIL("unmap", "%s", outcome(&c, o, sizeof(o)));
        } else {
            int z = lbprz ? range_zero(lba, blocks) : 1;
            if (z == 1)
                PASS("unmap", "LBA %llu..%llu (%llu KiB)%s",
                     (unsigned long long)lba,
                     (unsigned long long)(lba + blocks - 1),
                     (unsigned long long)(blocks * bsize / 1024),
                     lbprz ? ", reads back zeros (LBPRZ)" : "");
            else
                FAIL("unmap", "LBPRZ, but the range %s",
                     z < 0 ? "could not be read" : "reads non-zero");
        }
        /* A descriptor past the end: refused. */
        put_be(buf + 8, 8, nblocks);
        put_be(buf + 16, 4, 1);
        put_be(buf + 2, 2, 16);
        put_be(buf, 2, 6 + 16);
        put_be(cdb + 7, 2, 24);
        exec(&c, cdb, 10, STORVSC_DIR_OUT, buf, 24);
        if (sense_is(&c, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ASC_LBA_OUT_OF_RANGE))
            PASS("unmap-past-end", "refused with LBA OUT OF RANGE");
        else
            FAIL("unmap-past-end", "%s", outcome(&c, o, sizeof(o)));
    }

    /* WRITE SAME(16): a pattern block is written, never unmapped. */
    uint64_t ws_lba = lba + blocks; /* just after the unmapped range */
    uint32_t ws_n = 64;
    uint8_t ws[16] = {SCSI_WRITE_SAME_16, lbpws ? SCSI_WRITE_SAME_UNMAP : 0};
    put_be(ws + 2, 8, ws_lba);
    put_be(ws + 10, 4, ws_n);
    fill(buf, bsize, 0x5A5A);
    memcpy(buf2 + BUF_BYTES - bsize, buf, bsize); /* keep the pattern */
    if (exec(&c, ws, 16, STORVSC_DIR_OUT, buf, bsize)) {
        FAIL("write-same", "%s", outcome(&c, o, sizeof(o)));
    } else {
        bool same = true;
        uint8_t *pat = buf2 + BUF_BYTES - bsize;
        if (rw(false, ws_lba, ws_n, buf, false, &c))
            same = false;
        for (uint32_t i = 0; same && i < ws_n; i++)
            same = memcmp(buf + i * bsize, pat, bsize) == 0;
        if (same)
            PASS("write-same", "%u blocks of a pattern%s", ws_n,
                 lbpws ? " (unmap bit set: written, not unmapped)" : "");
        else
            FAIL("write-same", "the blocks do not all hold the pattern");
    }
    if (!lbpws) {
        SKIP("write-same-unmap", "the device does not advertise it");
        return;
    }
    memset(buf, 0, bsize);
    if (exec(&c, ws, 16, STORVSC_DIR_OUT, buf, bsize)) {
        FAIL("write-same-unmap", "%s", outcome(&c, o, sizeof(o)));
        return;
    }
    int z = range_zero(ws_lba, ws_n);
    if (z == 1)
        PASS("write-same-unmap", "%u blocks read back zeros", ws_n);
    else
        FAIL("write-same-unmap", "%s",
             z < 0 ? "read error" : "the blocks read non-zero");
}

int app_main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    const char *a = boot_arg("write");
    bool write = a && !strcmp(a, "1");
    uint64_t unmap_bytes = 8u << 20;
    a = boot_arg("unmap");
    if (a && cmdline_parse_size(a, &unmap_bytes)) {
        printf("vspcheck: bad unmap=%s (a size like 8M)\n", a);
        return 2;
    }
    if (winhv_init()) {
        printf("vspcheck: no Hyper-V interface\n");
        return 2;
    }
    uint64_t subs = 2;
    a = boot_arg("subchannels");
    if (a && (cmdline_parse_size(a, &subs) || subs >= STORVSC_MAX_CHANNELS)) {
        printf("vspcheck: bad subchannels=%s (0..%u)\n", a,
               STORVSC_MAX_CHANNELS - 1);
        return 2;
    }
    const struct vmbus_platform *plat = winhv_vmbus_platform();
    struct vmbus *vb = vmbus_create(plat);
    struct storvsc_config sc = {.plat = *plat, .subchannels = (uint32_t)subs};
    sv = vb ? storvsc_create(vb, &sc) : NULL;
    if (!sv || winhv_vmbus_attach(vb) || vmbus_connect(vb, 0)) {
        printf("vspcheck: VMBus did not connect\n");
        return 2;
    }
    int rc = storvsc_start(sv);
    if (rc) {
        printf("vspcheck: no storage controller (%d)\n", rc);
        return 2;
    }
    buf = page_alloc(BUF_BYTES / 4096);
    buf2 = page_alloc(BUF_BYTES / 4096);
    if (!buf || !buf2)
        return 2;
    printf("vspcheck: VSTOR %u.%u, max transfer %u bytes, %s\n",
           storvsc_version(sv) >> 8, storvsc_version(sv) & 0xFF,
           storvsc_max_transfer(sv),
           write ? "read and write checks"
                 : "read-only checks (write=1 for "
                   "more)");

    check_inquiry();
    if (check_capacity()) {
        check_simple();
        check_channels((uint32_t)subs);
        uint64_t mib = (1u << 20) / bsize;
        uint64_t ublocks = unmap_bytes / bsize;
        uint64_t ulba = nblocks / 2 / mib * mib;
        if (write && (ublocks < 2 || ulba + ublocks + 64 > nblocks)) {
            printf("vspcheck: unmap=%llu does not fit the disk\n",
                   (unsigned long long)unmap_bytes);
            return 2;
        }
        if (write) {
            check_write_read(mib);
            check_write_past_end();
            check_unmap(ulba, ublocks);
        }
    }
    printf("vspcheck: %u passed, %u failed, %u skipped\n", passed, failed,
           skipped);
    vmbus_disconnect(vb);
    return failed ? 1 : 0;
}
