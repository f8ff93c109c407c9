/*
 * Loopback tests of storage over VMBus: the guest's storvsc against the
 * root's storvsp on a RAM disk (every SCSI command, error paths, 256
 * requests in flight, the largest transfer, FAT32 through the whole stack
 * checked by fsck.fat), and storvsc against a scripted host that answers
 * the way a broken or hostile one would.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "proto/scsi.h"
#include "proto/vstor.h"
#include "root/vsp/storvsp/storvsp.h"
#include "storage/blk.h"
#include "storage/fat.h"
#include "tests/loopback/held_disk.h"
#include "tests/loopback/shim.h"
#include "vsc/storvsc/storvsc.h"

#define GUEST_PAGES 8192u    /* 32 MiB of loopback guest memory */
#define DISK_SECTORS 131072u /* 64 MiB */
#define TIMEOUT_NS 2000000000ull

struct fixture {
    struct lb lb;
    struct storvsp *vsp;
    struct storvsp_mem mem;
    struct held_disk held;
    struct storvsc *vsc;
    /* scripted host */
    struct vmbus_server_channel *sch;
    struct {
        uint16_t type;
        uint64_t id;
        struct vstor_packet p;
    } seen[16];
    unsigned nseen;
    int manual;            /* scripted host: do not answer the handshake */
    uint16_t accept;       /* the one version it accepts (0: any) */
    uint32_t props_status; /* status for QUERY_PROPERTIES */
};

static struct storvsc_config vsc_config(struct fixture *f)
{
    struct storvsc_config c;
    memset(&c, 0, sizeof(c));
    c.plat = lb_guest_platform(&f->lb);
    c.timeout_ns = TIMEOUT_NS;
    c.bounce = true;
    return c;
}

/* storvsp on a RAM disk (LUN 0 through the holding backend). */
static struct fixture *make(uint16_t max_version)
{
    struct fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    assert_int_equal(lb_init(&f->lb, GUEST_PAGES, NULL), 0);
    f->lb.verbose = getenv("LB_VERBOSE") != NULL;
    f->mem.sectors = DISK_SECTORS;
    f->mem.data = calloc(DISK_SECTORS, 512);
    assert_non_null(f->mem.data);
    f->held.mem = &f->mem;
    struct storvsp_config sc = {.max_version = max_version};
    f->vsp = storvsp_create(f->lb.srv, &sc);
    assert_non_null(f->vsp);
    assert_int_equal(
        storvsp_add_disk(f->vsp, 0, &held_disk_ops, &f->held, "DISK0SERIAL"),
        0);
    struct storvsc_config cc = vsc_config(f);
    f->vsc = storvsc_create(f->lb.vb, &cc);
    assert_non_null(f->vsc);
    assert_int_equal(vmbus_connect(f->lb.vb, 0), 0);
    lb_pump(&f->lb);
    return f;
}

static int setup(void **state)
{
    struct fixture *f = make(0);
    assert_int_equal(storvsc_start(f->vsc), 0);
    *state = f;
    return 0;
}

static void destroy(struct fixture *f)
{
    storvsc_destroy(f->vsc);
    lb_pump(&f->lb);
    if (f->vsp)
        storvsp_destroy(f->vsp);
    lb_fini(&f->lb);
    free(f->mem.data);
    free(f);
}

static int teardown(void **state)
{
    destroy(*state);
    return 0;
}

/* Runs one command synchronously. */
static int run(struct fixture *f, uint8_t lun, const uint8_t *cdb,
               uint8_t cdb_len, uint8_t dir, void *buf, uint32_t len,
               struct storvsc_cmd *c)
{
    memset(c, 0, sizeof(*c));
    c->lun = lun;
    c->cdb_len = cdb_len;
    memcpy(c->cdb, cdb, cdb_len);
    c->dir = dir;
    c->buf = buf;
    c->len = len;
    return storvsc_exec(f->vsc, c);
}

static void expect_sense(const struct storvsc_cmd *c, uint8_t key, uint16_t asc)
{
    struct storvsc_sense s;
    assert_int_equal(c->status, -EIO);
    assert_int_equal(c->scsi_status, SCSI_STATUS_CHECK_CONDITION);
    assert_int_equal(storvsc_sense_decode(c->sense, c->sense_len, &s), 0);
    assert_int_equal(s.key, key);
    assert_int_equal(s.asc, asc >> 8);
    assert_int_equal(s.ascq, asc & 0xFF);
}

/* --- storvsc against storvsp ------------------------------------------------
 */

static void test_handshake(void **state)
{
    struct fixture *f = *state;
    assert_int_equal(storvsc_version(f->vsc), VSTOR_VERSION_WIN10);
    assert_int_equal(storvsc_max_transfer(f->vsc), 256 * 1024);
    assert_true(storvsp_get_stats(f->vsp)->ready);
    assert_int_equal(storvsp_get_stats(f->vsp)->version, VSTOR_VERSION_WIN10);
    assert_int_equal(storvsc_get_stats(f->vsc)->bad_replies, 0);
}

static void test_version_fallback(void **state)
{
    (void)state;
    static const uint16_t hosts[] = {VSTOR_VERSION_WIN81, VSTOR_VERSION_WIN8,
                                     VSTOR_VERSION_WIN7, VSTOR_VERSION_WIN6};
    for (unsigned i = 0; i < 4; i++) {
        struct fixture *f = make(hosts[i]);
        struct storvsc_disk *d;
        uint8_t buf[4096];
        assert_int_equal(storvsc_start(f->vsc), 0);
        assert_int_equal(storvsc_version(f->vsc), hosts[i]);
        /* short packets below Win8 still carry whole commands */
        assert_int_equal(storvsc_disk_open(f->vsc, 0, &d), 0);
        struct blk_dev dev;
        assert_int_equal(blk_init(&dev, &storvsc_blk_ops, d, 512, 8), 0);
        memset(buf, 0x5A, sizeof(buf));
        assert_int_equal(blk_write(&dev, 100, 8, buf), 0);
        assert_int_equal(memcmp(f->mem.data + 100 * 512, buf, sizeof(buf)), 0);
        blk_fini(&dev);
        storvsc_disk_close(d);
        destroy(f);
    }
}

static void test_inquiry_and_vpd(void **state)
{
    struct fixture *f = *state;
    struct storvsc_cmd c;
    uint8_t buf[255], cdb[16] = {SCSI_INQUIRY, 0, 0, 0, 96, 0};
    assert_int_equal(run(f, 0, cdb, 6, STORVSC_DIR_IN, buf, 96, &c), 0);
    assert_int_equal(c.transferred, 36);
    assert_int_equal(buf[0], SCSI_TYPE_DISK);
    assert_memory_equal(buf + 8, "Msft    Virtual Disk", 20);
    static const uint8_t pages[] = {0x00, 0x80, 0x83, 0xB0, 0xB1, 0xB2};
    for (unsigned i = 0; i < sizeof(pages); i++) {
        uint8_t v[16] = {SCSI_INQUIRY, 1, pages[i], 0, 255, 0};
        assert_int_equal(run(f, 0, v, 6, STORVSC_DIR_IN, buf, 255, &c), 0);
        assert_int_equal(buf[1], pages[i]);
        assert_int_equal(c.transferred, 4 + scsi_get(buf + 2, 2));
    }
    uint8_t v80[16] = {SCSI_INQUIRY, 1, 0x80, 0, 255, 0};
    assert_int_equal(run(f, 0, v80, 6, STORVSC_DIR_IN, buf, 255, &c), 0);
    assert_memory_equal(buf + 4, "DISK0SERIAL", 11);
    uint8_t vb0[16] = {SCSI_INQUIRY, 1, 0xB0, 0, 255, 0};
    assert_int_equal(run(f, 0, vb0, 6, STORVSC_DIR_IN, buf, 255, &c), 0);
    assert_int_equal(scsi_get(buf + 8, 4), 512); /* 256 KiB in blocks */
    uint8_t vb2[16] = {SCSI_INQUIRY, 1, 0xB2, 0, 255, 0};
    assert_int_equal(run(f, 0, vb2, 6, STORVSC_DIR_IN, buf, 255, &c), 0);
    assert_true(buf[5] & SCSI_LBP_UNMAP);
    assert_true(buf[5] & SCSI_LBP_RZ);
    uint8_t bad[16] = {SCSI_INQUIRY, 1, 0x99, 0, 255, 0};
    run(f, 0, bad, 6, STORVSC_DIR_IN, buf, 255, &c);
    expect_sense(&c, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ASC_INVALID_FIELD_IN_CDB);
    uint8_t bad2[16] = {SCSI_INQUIRY, 0, 0x80, 0, 255, 0};
    run(f, 0, bad2, 6, STORVSC_DIR_IN, buf, 255, &c);
    expect_sense(&c, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ASC_INVALID_FIELD_IN_CDB);
    /* short allocation length: the data is cut, not overrun */
    uint8_t small[16] = {SCSI_INQUIRY, 0, 0, 0, 5, 0};
    memset(buf, 0xEE, sizeof(buf));
    assert_int_equal(run(f, 0, small, 6, STORVSC_DIR_IN, buf, 5, &c), 0);
    assert_int_equal(c.transferred, 5);
    assert_int_equal(buf[5], 0xEE);
}

static void test_capacity_and_misc(void **state)
{
    struct fixture *f = *state;
    struct storvsc_cmd c;
    uint8_t buf[64];
    uint8_t rc10[16] = {SCSI_READ_CAPACITY_10};
    assert_int_equal(run(f, 0, rc10, 10, STORVSC_DIR_IN, buf, 8, &c), 0);
    assert_int_equal(scsi_get(buf, 4), DISK_SECTORS - 1);
    assert_int_equal(scsi_get(buf + 4, 4), 512);
    uint8_t rc16[16] = {SCSI_SERVICE_ACTION_IN_16, SCSI_SAI_READ_CAPACITY_16};
    scsi_put(rc16 + 10, 4, 32);
    assert_int_equal(run(f, 0, rc16, 16, STORVSC_DIR_IN, buf, 32, &c), 0);
    assert_int_equal(scsi_get(buf, 8), DISK_SECTORS - 1);
    assert_true(buf[14] & SCSI_RC16_LBPME);
    assert_true(buf[14] & SCSI_RC16_LBPRZ);
    uint8_t sai_bad[16] = {SCSI_SERVICE_ACTION_IN_16, 0x11};
    run(f, 0, sai_bad, 16, STORVSC_DIR_IN, buf, 32, &c);
    expect_sense(&c, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ASC_INVALID_FIELD_IN_CDB);
    uint8_t tur[16] = {SCSI_TEST_UNIT_READY};
    assert_int_equal(run(f, 0, tur, 6, STORVSC_DIR_NONE, NULL, 0, &c), 0);
    uint8_t ssu[16] = {SCSI_START_STOP_UNIT, 0, 0, 0, 1};
    assert_int_equal(run(f, 0, ssu, 6, STORVSC_DIR_NONE, NULL, 0, &c), 0);
    uint8_t rs[16] = {SCSI_REQUEST_SENSE, 0, 0, 0, 18};
    assert_int_equal(run(f, 0, rs, 6, STORVSC_DIR_IN, buf, 18, &c), 0);
    assert_int_equal(buf[0], SCSI_SENSE_CURRENT);
    assert_int_equal(buf[2], SCSI_SENSE_NO_SENSE);
    uint8_t ms6[16] = {SCSI_MODE_SENSE_6, 0, 0x3F, 0, 64};
    assert_int_equal(run(f, 0, ms6, 6, STORVSC_DIR_IN, buf, 64, &c), 0);
    assert_int_equal(buf[0] + 1, c.transferred);
    assert_int_equal(buf[3], 8); /* block descriptor */
    assert_int_equal(buf[12], SCSI_MODE_PAGE_CACHING);
    assert_true(buf[14] & SCSI_CACHING_WCE);
    uint8_t ms10[16] = {SCSI_MODE_SENSE_10, SCSI_MODE_SENSE_DBD, 0x08};
    scsi_put(ms10 + 7, 2, 64);
    assert_int_equal(run(f, 0, ms10, 10, STORVSC_DIR_IN, buf, 64, &c), 0);
    assert_int_equal(c.transferred, 8 + 20);
    assert_int_equal(buf[8], SCSI_MODE_PAGE_CACHING);
    uint8_t ms_saved[16] = {SCSI_MODE_SENSE_6, 0, 0xC8, 0, 64};
    run(f, 0, ms_saved, 6, STORVSC_DIR_IN, buf, 64, &c);
    expect_sense(&c, SCSI_SENSE_ILLEGAL_REQUEST,
                 SCSI_ASC_SAVING_PARAMETERS_NOT_SUPPORTED);
    uint8_t rl[16] = {SCSI_REPORT_LUNS};
    scsi_put(rl + 6, 4, 64);
    assert_int_equal(run(f, 0, rl, 12, STORVSC_DIR_IN, buf, 64, &c), 0);
    assert_int_equal(scsi_get(buf, 4), 8);
    uint8_t unknown[16] = {0xC5};
    run(f, 0, unknown, 6, STORVSC_DIR_NONE, NULL, 0, &c);
    expect_sense(&c, SCSI_SENSE_ILLEGAL_REQUEST,
                 SCSI_ASC_INVALID_COMMAND_OPCODE);
    /* a LUN with no disk */
    assert_int_equal(run(f, 5, tur, 6, STORVSC_DIR_NONE, NULL, 0, &c), -ENODEV);
    struct storvsc_disk *d;
    assert_int_equal(storvsc_disk_open(f->vsc, 5, &d), -ENODEV);
}

static void test_read_write_all_sizes(void **state)
{
    struct fixture *f = *state;
    struct storvsc_cmd c;
    uint8_t out[8192], in[8192];
    static const uint8_t ops[][2] = {{SCSI_WRITE_6, SCSI_READ_6},
                                     {SCSI_WRITE_10, SCSI_READ_10},
                                     {SCSI_WRITE_12, SCSI_READ_12},
                                     {SCSI_WRITE_16, SCSI_READ_16}};
    for (unsigned k = 0; k < 4; k++) {
        uint8_t cdb[16] = {ops[k][0]};
        uint8_t len = k == 0 ? 6 : k == 1 ? 10 : k == 2 ? 12 : 16;
        uint64_t lba = 1000 + 100 * k;
        for (unsigned i = 0; i < sizeof(out); i++)
            out[i] = (uint8_t)(i * 7 + k);
        if (k == 0) {
            scsi_put(cdb + 1, 3, lba);
            cdb[4] = 16;
        } else if (k == 1) {
            scsi_put(cdb + 2, 4, lba);
            scsi_put(cdb + 7, 2, 16);
        } else if (k == 2) {
            scsi_put(cdb + 2, 4, lba);
            scsi_put(cdb + 6, 4, 16);
        } else {
            scsi_put(cdb + 2, 8, lba);
            scsi_put(cdb + 10, 4, 16);
        }
        assert_int_equal(
            run(f, 0, cdb, len, STORVSC_DIR_OUT, out, sizeof(out), &c), 0);
        assert_int_equal(c.transferred, sizeof(out));
        assert_memory_equal(f->mem.data + lba * 512, out, sizeof(out));
        cdb[0] = ops[k][1];
        memset(in, 0, sizeof(in));
        assert_int_equal(
            run(f, 0, cdb, len, STORVSC_DIR_IN, in, sizeof(in), &c), 0);
        assert_memory_equal(in, out, sizeof(in));
    }
    /* past the end, straddling the end, and a buffer too small */
    uint8_t r10[16] = {SCSI_READ_10};
    scsi_put(r10 + 2, 4, DISK_SECTORS);
    scsi_put(r10 + 7, 2, 1);
    run(f, 0, r10, 10, STORVSC_DIR_IN, in, 512, &c);
    expect_sense(&c, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ASC_LBA_OUT_OF_RANGE);
    uint8_t w16[16] = {SCSI_WRITE_16};
    scsi_put(w16 + 2, 8, DISK_SECTORS - 1);
    scsi_put(w16 + 10, 4, 2);
    run(f, 0, w16, 16, STORVSC_DIR_OUT, out, 1024, &c);
    expect_sense(&c, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ASC_LBA_OUT_OF_RANGE);
    scsi_put(w16 + 2, 8, UINT64_MAX);
    run(f, 0, w16, 16, STORVSC_DIR_OUT, out, 1024, &c);
    expect_sense(&c, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ASC_LBA_OUT_OF_RANGE);
    scsi_put(r10 + 2, 4, 0);
    scsi_put(r10 + 7, 2, 4);
    run(f, 0, r10, 10, STORVSC_DIR_IN, in, 512, &c);
    expect_sense(&c, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ASC_INVALID_FIELD_IN_CDB);
    /* a medium error from the backend */
    f->mem.fail_next = 1;
    scsi_put(r10 + 7, 2, 1);
    run(f, 0, r10, 10, STORVSC_DIR_IN, in, 512, &c);
    expect_sense(&c, SCSI_SENSE_MEDIUM_ERROR, SCSI_ASC_UNRECOVERED_READ_ERROR);
}

static void test_sync_unmap_write_same(void **state)
{
    struct fixture *f = *state;
    struct storvsc_cmd c;
    uint8_t blk[512];
    uint8_t sc10[16] = {SCSI_SYNCHRONIZE_CACHE_10};
    uint64_t before = f->mem.flushes;
    assert_int_equal(run(f, 0, sc10, 10, STORVSC_DIR_NONE, NULL, 0, &c), 0);
    uint8_t sc16[16] = {SCSI_SYNCHRONIZE_CACHE_16};
    assert_int_equal(run(f, 0, sc16, 16, STORVSC_DIR_NONE, NULL, 0, &c), 0);
    assert_int_equal(f->mem.flushes, before + 2);
    /* WRITE SAME 10 writes the block; 16 with UNMAP deallocates a zero
     * block and writes any other (unmapped blocks read as zeros) */
    memset(blk, 0xA5, sizeof(blk));
    uint8_t ws10[16] = {SCSI_WRITE_SAME_10};
    scsi_put(ws10 + 2, 4, 5000);
    scsi_put(ws10 + 7, 2, 300);
    assert_int_equal(run(f, 0, ws10, 10, STORVSC_DIR_OUT, blk, 512, &c), 0);
    for (unsigned i = 0; i < 300; i++)
        assert_memory_equal(f->mem.data + (5000 + i) * 512, blk, 512);
    assert_int_equal(f->mem.data[5300 * 512], 0);
    uint8_t ws16[16] = {SCSI_WRITE_SAME_16, SCSI_WRITE_SAME_UNMAP};
    scsi_put(ws16 + 2, 8, 5100);
    scsi_put(ws16 + 10, 4, 100);
    uint8_t blk2[512];
    memset(blk2, 0x3C, sizeof(blk2));
    assert_int_equal(run(f, 0, ws16, 16, STORVSC_DIR_OUT, blk2, 512, &c), 0);
    assert_int_equal(f->mem.unmaps, 0);
    assert_memory_equal(f->mem.data + 5100 * 512, blk2, 512);
    assert_memory_equal(f->mem.data + 5199 * 512, blk2, 512);
    memset(blk2, 0, sizeof(blk2));
    assert_int_equal(run(f, 0, ws16, 16, STORVSC_DIR_OUT, blk2, 512, &c), 0);
    assert_int_equal(f->mem.data[5100 * 512], 0);
    assert_int_equal(f->mem.data[5099 * 512], 0xA5);
    assert_int_equal(f->mem.unmaps, 1);
    scsi_put(ws16 + 10, 4, 0); /* WSNZ: zero blocks is refused */
    run(f, 0, ws16, 16, STORVSC_DIR_OUT, blk, 512, &c);
    expect_sense(&c, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ASC_INVALID_FIELD_IN_CDB);
    /* UNMAP with two descriptors */
    uint8_t list[8 + 32];
    memset(list, 0, sizeof(list));
    scsi_put(list, 2, 6 + 32);
    scsi_put(list + 2, 2, 32);
    scsi_put(list + 8, 8, 5000);
    scsi_put(list + 16, 4, 10);
    scsi_put(list + 24, 8, 5200);
    scsi_put(list + 32, 4, 10);
    uint8_t um[16] = {SCSI_UNMAP};
    scsi_put(um + 7, 2, sizeof(list));
    assert_int_equal(run(f, 0, um, 10, STORVSC_DIR_OUT, list, sizeof(list), &c),
                     0);
    assert_int_equal(f->mem.data[5009 * 512], 0);
    assert_int_equal(f->mem.data[5010 * 512], 0xA5);
    assert_int_equal(f->mem.data[5200 * 512], 0);
    assert_int_equal(f->mem.unmaps, 3);
    scsi_put(list + 24, 8, DISK_SECTORS); /* second one out of range */
    run(f, 0, um, 10, STORVSC_DIR_OUT, list, sizeof(list), &c);
    expect_sense(&c, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ASC_LBA_OUT_OF_RANGE);
    scsi_put(list + 2, 2, 31); /* not a multiple of 16 */
    run(f, 0, um, 10, STORVSC_DIR_OUT, list, sizeof(list), &c);
    expect_sense(&c, SCSI_SENSE_ILLEGAL_REQUEST,
                 SCSI_ASC_INVALID_FIELD_IN_PARAMETER_LIST);
    scsi_put(um + 7, 2, 4);
    run(f, 0, um, 10, STORVSC_DIR_OUT, list, 4, &c);
    expect_sense(&c, SCSI_SENSE_ILLEGAL_REQUEST,
                 SCSI_ASC_PARAMETER_LIST_LENGTH_ERROR);
}

static unsigned done_count;
static void count_done(struct storvsc_cmd *c)
{
    (void)c;
    done_count++;
}

static void test_256_in_flight(void **state)
{
    struct fixture *f = *state;
    static struct storvsc_cmd cmds[STORVSC_MAX_INFLIGHT + 1];
    static uint8_t bufs[STORVSC_MAX_INFLIGHT][512];
    done_count = 0;
    for (unsigned i = 0; i < STORVSC_MAX_INFLIGHT; i++)
        memset(f->mem.data + i * 512, (int)i, 512);
    for (unsigned i = 0; i <= STORVSC_MAX_INFLIGHT; i++) {
        struct storvsc_cmd *c = &cmds[i];
        memset(c, 0, sizeof(*c));
        c->cdb[0] = SCSI_READ_10;
        scsi_put(c->cdb + 2, 4, i % STORVSC_MAX_INFLIGHT);
        scsi_put(c->cdb + 7, 2, 1);
        c->cdb_len = 10;
        c->dir = STORVSC_DIR_IN;
        c->buf = bufs[i % STORVSC_MAX_INFLIGHT];
        c->len = 512;
        c->done = count_done;
        int r = storvsc_submit(f->vsc, c);
        /* nothing runs before the pump: the 257th finds no slot */
        assert_int_equal(r, i < STORVSC_MAX_INFLIGHT ? 0 : -EAGAIN);
    }
    assert_int_equal(storvsc_get_stats(f->vsc)->in_flight,
                     STORVSC_MAX_INFLIGHT);
    /* the backend holds them: all 256 are in service at the host at once */
    f->held.hold = 1;
    lb_pump(&f->lb);
    assert_int_equal(done_count, 0);
    assert_int_equal(storvsp_get_stats(f->vsp)->in_flight,
                     STORVSC_MAX_INFLIGHT);
    held_disk_release(&f->held);
    lb_pump(&f->lb);
    assert_int_equal(done_count, STORVSC_MAX_INFLIGHT);
    for (unsigned i = 0; i < STORVSC_MAX_INFLIGHT; i++) {
        assert_int_equal(cmds[i].status, 0);
        assert_int_equal(bufs[i][0], (uint8_t)i);
        assert_int_equal(bufs[i][511], (uint8_t)i);
    }
    assert_int_equal(storvsc_get_stats(f->vsc)->in_flight, 0);
    assert_int_equal(storvsc_get_stats(f->vsc)->max_in_flight,
                     STORVSC_MAX_INFLIGHT);
    assert_int_equal(storvsp_get_stats(f->vsp)->max_in_flight,
                     STORVSC_MAX_INFLIGHT);
}

static void read_cmd(struct storvsc_cmd *c, uint32_t lba, void *buf)
{
    memset(c, 0, sizeof(*c));
    c->cdb[0] = SCSI_READ_10;
    scsi_put(c->cdb + 2, 4, lba);
    scsi_put(c->cdb + 7, 2, 1);
    c->cdb_len = 10;
    c->dir = STORVSC_DIR_IN;
    c->buf = buf;
    c->len = 512;
    c->done = count_done;
}

static void test_queue_then_flush(void **state)
{
    struct fixture *f = *state;
    static struct storvsc_cmd cmds[16];
    static uint8_t bufs[16][512];
    done_count = 0;
    /* the root's loop: nothing in service, so storvsp wants signals */
    storvsp_poll(f->vsp);
    uint64_t srbs = storvsp_get_stats(f->vsp)->srbs;
    uint64_t before = f->lb.signals_sent;
    for (unsigned i = 0; i < 16; i++) {
        read_cmd(&cmds[i], i, bufs[i]);
        assert_int_equal(storvsc_queue(f->vsc, &cmds[i]), 0);
    }
    /* queued, not published: the host sees nothing, nobody signals */
    lb_pump(&f->lb);
    assert_int_equal(f->lb.signals_sent, before);
    assert_int_equal(storvsp_get_stats(f->vsp)->srbs, srbs);
    /* one signal per channel for the whole burst */
    storvsc_flush(f->vsc);
    assert_int_equal(f->lb.signals_sent, before + storvsc_channels(f->vsc));
    lb_pump(&f->lb);
    assert_int_equal(done_count, 16);
    assert_int_equal(storvsp_get_stats(f->vsp)->srbs, srbs + 16);
    storvsc_flush(f->vsc); /* nothing queued: no signal */
    assert_int_equal(f->lb.signals_sent, before + storvsc_channels(f->vsc));
}

/* storvsp masks the guest's rings while requests are in service: later
 * requests come without signals, found by the server's poll; the last
 * completion picks up a request nobody polled for; once everything is
 * answered and read, requests signal again. */
static void test_host_polls_while_busy(void **state)
{
    struct fixture *f = *state;
    static struct storvsc_cmd cmds[11];
    static uint8_t bufs[11][512];
    done_count = 0;
    storvsp_poll(f->vsp);
    f->held.hold = 1;
    uint64_t before = f->lb.signals_sent;
    read_cmd(&cmds[0], 0, bufs[0]);
    assert_int_equal(storvsc_submit(f->vsc, &cmds[0]), 0);
    assert_int_equal(f->lb.signals_sent, before + 1);
    lb_pump(&f->lb);
    assert_int_equal(storvsp_get_stats(f->vsp)->in_flight, 1);
    for (unsigned i = 1; i < 9; i++) {
        read_cmd(&cmds[i], i, bufs[i]);
        assert_int_equal(storvsc_submit(f->vsc, &cmds[i]), 0);
    }
    assert_int_equal(f->lb.signals_sent, before + 1);
    lb_pump(&f->lb);
    assert_int_equal(storvsp_get_stats(f->vsp)->in_flight, 9);
    /* One more, and no poll before the held requests complete: the last
     * completion finds it. */
    read_cmd(&cmds[9], 9, bufs[9]);
    assert_int_equal(storvsc_submit(f->vsc, &cmds[9]), 0);
    assert_int_equal(f->lb.signals_sent, before + 1);
    held_disk_release(&f->held);
    assert_int_equal(storvsp_get_stats(f->vsp)->srbs >= 10, 1);
    lb_pump(&f->lb);
    assert_int_equal(done_count, 10);
    for (unsigned i = 0; i < 10; i++)
        assert_int_equal(cmds[i].status, 0);
    assert_int_equal(storvsp_get_stats(f->vsp)->in_flight, 0);
    /* all answered and read: after the root's next poll the guest
     * signals again */
    storvsp_poll(f->vsp);
    read_cmd(&cmds[10], 10, bufs[10]);
    assert_int_equal(storvsc_submit(f->vsc, &cmds[10]), 0);
    assert_int_equal(f->lb.signals_sent, before + 2);
    lb_pump(&f->lb);
    assert_int_equal(done_count, 11);
}

static void test_max_transfer_and_split(void **state)
{
    struct fixture *f = *state;
    struct storvsc_disk *d;
    struct blk_dev dev;
    size_t n = 1024 * 1024 + 4096; /* five commands */
    uint8_t *out = malloc(n), *in = malloc(n);
    for (size_t i = 0; i < n; i++)
        out[i] = (uint8_t)(i * 13 + 1);
    assert_int_equal(storvsc_disk_open(f->vsc, 0, &d), 0);
    assert_int_equal(storvsc_disk_sectors(d), DISK_SECTORS);
    assert_int_equal(
        blk_init(&dev, &storvsc_blk_ops, d, storvsc_disk_sector_size(d), 0), 0);
    uint64_t cmds = storvsc_get_stats(f->vsc)->commands;
    assert_int_equal(blk_write(&dev, 2048, (uint32_t)(n / 512), out), 0);
    assert_int_equal(storvsc_get_stats(f->vsc)->commands - cmds, 5);
    assert_memory_equal(f->mem.data + 2048 * 512, out, n);
    assert_int_equal(blk_read(&dev, 2048, (uint32_t)(n / 512), in), 0);
    assert_memory_equal(in, out, n);
    /* exactly the maximum in one command */
    struct storvsc_cmd c;
    uint8_t w[16] = {SCSI_WRITE_10};
    scsi_put(w + 2, 4, 0);
    scsi_put(w + 7, 2, 512);
    assert_int_equal(run(f, 0, w, 10, STORVSC_DIR_OUT, out, 256 * 1024, &c), 0);
    memset(&c, 0, sizeof(c));
    c.cdb_len = 10;
    c.dir = STORVSC_DIR_OUT;
    c.buf = out;
    c.len = 256 * 1024 + 512;
    assert_int_equal(storvsc_submit(f->vsc, &c), -EINVAL);
    /* the block layer reports errors past the end */
    assert_int_equal(blk_read(&dev, DISK_SECTORS, 1, in), -ERANGE);
    blk_fini(&dev);
    storvsc_disk_close(d);
    free(out);
    free(in);
}

static void test_timeout_then_late_completion(void **state)
{
    struct fixture *f = *state;
    struct storvsc_cmd c;
    uint8_t buf[512];
    uint8_t r10[16] = {SCSI_READ_10};
    scsi_put(r10 + 7, 2, 1);
    f->held.hold = 1;
    assert_int_equal(run(f, 0, r10, 10, STORVSC_DIR_IN, buf, 512, &c),
                     -ETIMEDOUT);
    const struct storvsc_stats *st = storvsc_get_stats(f->vsc);
    lb_pump(&f->lb); /* the bus reset is answered at once */
    assert_int_equal(st->timeouts, 1);
    assert_int_equal(st->resets, 1);
    assert_int_equal(st->in_flight, 1); /* the slot waits for the host */
    held_disk_release(&f->held);
    storvsp_poll(f->vsp);
    lb_pump(&f->lb);
    assert_int_equal(st->in_flight, 0);
    assert_int_equal(run(f, 0, r10, 10, STORVSC_DIR_IN, buf, 512, &c), 0);
}

static void test_hot_add_rescan(void **state)
{
    struct fixture *f = *state;
    struct storvsc_cmd c;
    struct storvsp_mem m2 = {.sectors = 2048};
    uint8_t buf[64];
    m2.data = calloc(2048, 512);
    assert_false(storvsc_take_rescan(f->vsc));
    assert_int_equal(storvsp_add_disk(f->vsp, 1, &storvsp_mem_ops, &m2, NULL),
                     0);
    assert_int_equal(storvsp_add_disk(f->vsp, 1, &storvsp_mem_ops, &m2, NULL),
                     -EEXIST);
    lb_pump(&f->lb);
    assert_true(storvsc_take_rescan(f->vsc));
    uint8_t rl[16] = {SCSI_REPORT_LUNS};
    scsi_put(rl + 6, 4, 64);
    assert_int_equal(run(f, 0, rl, 12, STORVSC_DIR_IN, buf, 64, &c), 0);
    assert_int_equal(scsi_get(buf, 4), 16);
    assert_int_equal(buf[8 + 8 + 1], 1);
    struct storvsc_disk *d;
    assert_int_equal(storvsc_disk_open(f->vsc, 1, &d), 0);
    assert_int_equal(storvsc_disk_sectors(d), 2048);
    storvsc_disk_close(d);
    assert_int_equal(storvsp_remove_disk(f->vsp, 1), 0);
    lb_pump(&f->lb);
    assert_true(storvsc_take_rescan(f->vsc));
    free(m2.data);
}

/* A page list with a run of consecutive pages and a page out of order:
 * each byte lands where the list says; a run that leaves guest memory is
 * refused. */
static void test_scattered_page_list(void **state)
{
    struct fixture *f = *state;
    static const struct vmbus_guid scsi = VMBUS_CLASS_SCSI;
    struct vmbus_channel *ch = vmbus_find_channel(f->lb.vb, &scsi);
    struct vmbus_platform gp = lb_guest_platform(&f->lb);
    uint8_t *pages = gp.alloc_pages(gp.ctx, 6);
    assert_non_null(pages);
    for (unsigned i = 0; i < 8192; i++)
        f->mem.data[40 * 512 + i] = (uint8_t)(i * 7 + (i >> 8));
    uint64_t a = lb_gpa(&f->lb, pages) >> 12;
    uint64_t pfns[3] = {a + 3, a + 4, a + 1};
    struct vmbus_chan_range r = {8192, 1024, pfns};
    struct vstor_packet p;
    memset(&p, 0, sizeof(p));
    p.operation = VSTOR_OP_EXECUTE_SRB;
    p.u.srb.cdb_length = 10;
    p.u.srb.u.cdb[0] = SCSI_READ_10;
    scsi_put(p.u.srb.u.cdb + 2, 4, 40);
    scsi_put(p.u.srb.u.cdb + 7, 2, 16);
    p.u.srb.data_in = VSTOR_DATA_IN;
    p.u.srb.data_transfer_length = 8192;
    const struct storvsp_stats *st = storvsp_get_stats(f->vsp);
    uint64_t bad = st->bad_packets, srbs = st->srbs;
    assert_int_equal(vmbus_chan_send_gpa(ch, &r, 1,
                                         VMBUS_PKT_FLAG_COMPLETION_REQUESTED, 5,
                                         &p, sizeof(p)),
                     0);
    lb_pump(&f->lb);
    assert_int_equal(st->srbs, srbs + 1);
    assert_int_equal(st->bad_packets, bad);
    const uint8_t *d = f->mem.data + 40 * 512;
    assert_memory_equal(pages + 3 * 4096 + 1024, d, 3072);
    assert_memory_equal(pages + 4 * 4096, d + 3072, 4096);
    assert_memory_equal(pages + 1 * 4096, d + 7168, 1024);
    assert_int_equal(pages[3 * 4096 + 1023], 0);
    assert_int_equal(pages[1 * 4096 + 1024], 0);
    assert_int_equal(pages[2 * 4096], 0);
    /* consecutive pages running past the end of guest memory */
    uint64_t last = GUEST_PAGES - 1;
    uint64_t out[2] = {last, last + 1};
    struct vmbus_chan_range r2 = {8192, 0, out};
    assert_int_equal(vmbus_chan_send_gpa(ch, &r2, 1,
                                         VMBUS_PKT_FLAG_COMPLETION_REQUESTED, 6,
                                         &p, sizeof(p)),
                     0);
    lb_pump(&f->lb);
    assert_int_equal(st->bad_packets, bad + 1);
    gp.free_pages(gp.ctx, pages, 6);
}

static void test_malformed_guest_packets(void **state)
{
    struct fixture *f = *state;
    static const struct vmbus_guid scsi = VMBUS_CLASS_SCSI;
    struct vmbus_channel *ch = vmbus_find_channel(f->lb.vb, &scsi);
    struct vstor_packet p;
    uint64_t pfns[2] = {0xFFFFFFFull, 1};
    assert_non_null(ch);
    const struct storvsp_stats *st = storvsp_get_stats(f->vsp);
    uint64_t bad = st->bad_packets;
    /* too short */
    assert_int_equal(vmbus_chan_send(ch, VMBUS_PKT_DATA_INBAND,
                                     VMBUS_PKT_FLAG_COMPLETION_REQUESTED, 7,
                                     "12345678", 8),
                     0);
    /* an unknown operation */
    memset(&p, 0, sizeof(p));
    p.operation = 99;
    assert_int_equal(vmbus_chan_send(ch, VMBUS_PKT_DATA_INBAND,
                                     VMBUS_PKT_FLAG_COMPLETION_REQUESTED, 8, &p,
                                     sizeof(p)),
                     0);
    /* an SRB whose page list points outside guest memory */
    memset(&p, 0, sizeof(p));
    p.operation = VSTOR_OP_EXECUTE_SRB;
    p.u.srb.cdb_length = 10;
    p.u.srb.u.cdb[0] = SCSI_READ_10;
    p.u.srb.u.cdb[8] = 1;
    p.u.srb.data_transfer_length = 512;
    struct vmbus_chan_range r = {512, 0, pfns};
    assert_int_equal(vmbus_chan_send_gpa(ch, &r, 1,
                                         VMBUS_PKT_FLAG_COMPLETION_REQUESTED, 9,
                                         &p, sizeof(p)),
                     0);
    /* an SRB with a CDB length of 17, and one claiming more data than its
     * page list holds */
    p.u.srb.cdb_length = 17;
    assert_int_equal(vmbus_chan_send(ch, VMBUS_PKT_DATA_INBAND,
                                     VMBUS_PKT_FLAG_COMPLETION_REQUESTED, 10,
                                     &p, sizeof(p)),
                     0);
    uint64_t good_pfn = lb_gpa(&f->lb, f->lb.mem + 4096 * 100) >> 12;
    struct vmbus_chan_range r2 = {512, 0, &good_pfn};
    p.u.srb.cdb_length = 10;
    p.u.srb.data_transfer_length = 4096;
    assert_int_equal(vmbus_chan_send_gpa(ch, &r2, 1,
                                         VMBUS_PKT_FLAG_COMPLETION_REQUESTED,
                                         11, &p, sizeof(p)),
                     0);
    lb_pump(&f->lb);
    assert_true(st->bad_packets >= bad + 4);
    /* the replies (the 8-byte packet gets none) named no request of
     * storvsc's: dropped, counted */
    assert_int_equal(storvsc_get_stats(f->vsc)->bad_replies, 4);
    /* and the controller still works */
    struct storvsc_cmd c;
    uint8_t tur[16] = {SCSI_TEST_UNIT_READY};
    assert_int_equal(run(f, 0, tur, 6, STORVSC_DIR_NONE, NULL, 0, &c), 0);
}

/* Random CDBs (valid opcodes with random fields, and random opcodes): the
 * host answers each one and never touches the disk outside its bounds. */
static void test_random_cdbs(void **state)
{
    struct fixture *f = *state;
    static const uint8_t opcodes[] = {SCSI_TEST_UNIT_READY,
                                      SCSI_REQUEST_SENSE,
                                      SCSI_READ_6,
                                      SCSI_WRITE_6,
                                      SCSI_INQUIRY,
                                      SCSI_MODE_SENSE_6,
                                      SCSI_START_STOP_UNIT,
                                      SCSI_READ_CAPACITY_10,
                                      SCSI_READ_10,
                                      SCSI_WRITE_10,
                                      SCSI_SYNCHRONIZE_CACHE_10,
                                      SCSI_WRITE_SAME_10,
                                      SCSI_UNMAP,
                                      SCSI_MODE_SENSE_10,
                                      SCSI_READ_16,
                                      SCSI_WRITE_16,
                                      SCSI_SYNCHRONIZE_CACHE_16,
                                      SCSI_WRITE_SAME_16,
                                      SCSI_SERVICE_ACTION_IN_16,
                                      SCSI_REPORT_LUNS,
                                      SCSI_READ_12,
                                      SCSI_WRITE_12};
    static uint8_t buf[65536];
    uint32_t x = 12345;
    for (int i = 0; i < 3000; i++) {
        struct storvsc_cmd c;
        uint8_t cdb[16];
        for (int k = 0; k < 16; k++) {
            x = x * 1103515245u + 12345u;
            cdb[k] = (uint8_t)(x >> 16);
        }
        x = x * 1103515245u + 12345u;
        if (x & 0x10000)
            cdb[0] = opcodes[(x >> 17) % sizeof(opcodes)];
        /* mostly small transfers, so the random LBAs can land in range */
        if (x & 0x20000) {
            cdb[2] = cdb[3] = cdb[4] = 0;
            cdb[7] = 0;
        }
        uint32_t len = (x >> 8) % 4 == 0 ? 0 : (x >> 4) % sizeof(buf);
        uint8_t dir = len == 0  ? STORVSC_DIR_NONE
                      : (x & 1) ? STORVSC_DIR_IN
                                : STORVSC_DIR_OUT;
        uint8_t cl = (uint8_t)(1 + (x >> 20) % 16);
        int r = run(f, 0, cdb, cl, dir, buf, len, &c);
        assert_true(r == 0 || r == -EIO || r == -EINVAL);
        assert_true(c.transferred <= len);
    }
    assert_int_equal(storvsc_get_stats(f->vsc)->bad_replies, 0);
    assert_int_equal(storvsc_get_stats(f->vsc)->in_flight, 0);
    assert_int_equal(storvsp_get_stats(f->vsp)->in_flight, 0);
}

/* Without bounce buffers the caller's pages go to the host as they are:
 * a buffer starting mid-page spans an extra page in the list. */
static void test_direct_page_lists(void **state)
{
    (void)state;
    struct fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    assert_int_equal(lb_init(&f->lb, GUEST_PAGES, NULL), 0);
    f->mem.sectors = DISK_SECTORS;
    f->mem.data = calloc(DISK_SECTORS, 512);
    f->held.mem = &f->mem;
    f->vsp = storvsp_create(f->lb.srv, NULL);
    assert_non_null(f->vsp);
    assert_int_equal(
        storvsp_add_disk(f->vsp, 0, &held_disk_ops, &f->held, NULL), 0);
    struct storvsc_config cc = vsc_config(f);
    cc.bounce = false;
    f->vsc = storvsc_create(f->lb.vb, &cc);
    assert_int_equal(vmbus_connect(f->lb.vb, 0), 0);
    lb_pump(&f->lb);
    assert_int_equal(storvsc_start(f->vsc), 0);
    struct vmbus_platform gp = lb_guest_platform(&f->lb);
    uint8_t *pages = gp.alloc_pages(gp.ctx, 8);
    assert_non_null(pages);
    uint8_t *buf = pages + 100; /* 24 sectors from offset 100: 4 pages */
    for (unsigned i = 0; i < 24 * 512; i++)
        buf[i] = (uint8_t)(i ^ (i >> 9));
    struct storvsc_cmd c;
    uint8_t w[16] = {SCSI_WRITE_10};
    scsi_put(w + 2, 4, 77);
    scsi_put(w + 7, 2, 24);
    assert_int_equal(run(f, 0, w, 10, STORVSC_DIR_OUT, buf, 24 * 512, &c), 0);
    assert_memory_equal(f->mem.data + 77 * 512, buf, 24 * 512);
    memset(buf, 0, 24 * 512);
    w[0] = SCSI_READ_10;
    assert_int_equal(run(f, 0, w, 10, STORVSC_DIR_IN, buf, 24 * 512, &c), 0);
    assert_memory_equal(f->mem.data + 77 * 512, buf, 24 * 512);
    assert_int_equal(pages[99], 0);     /* nothing written before the buffer */
    assert_int_equal(buf[24 * 512], 0); /* or after it */
    gp.free_pages(gp.ctx, pages, 8);
    destroy(f);
}

static uint32_t rnd(uint32_t *x)
{
    *x = *x * 1103515245u + 12345u;
    return *x >> 8;
}

/* Random VSTOR packets from the guest side, in-band and GPA-direct with
 * page lists in and out of guest memory: storvsp answers or drops each,
 * and afterwards still serves a normal command. */
static void test_random_guest_packets(void **state)
{
    struct fixture *f = *state;
    static const struct vmbus_guid scsi = VMBUS_CLASS_SCSI;
    struct vmbus_channel *ch = vmbus_find_channel(f->lb.vb, &scsi);
    struct vmbus_platform gp = lb_guest_platform(&f->lb);
    uint8_t *pages = gp.alloc_pages(gp.ctx, 4);
    uint64_t base = lb_gpa(&f->lb, pages) >> 12;
    uint32_t x = 777;
    assert_non_null(ch);
    for (int i = 0; i < 2000; i++) {
        uint8_t raw[64];
        for (unsigned k = 0; k < sizeof(raw); k++)
            raw[k] = (uint8_t)rnd(&x);
        struct vstor_packet *p = (struct vstor_packet *)raw;
        uint32_t r = rnd(&x);
        if (r & 1)
            p->operation = VSTOR_OP_EXECUTE_SRB;
        if (r & 2)
            p->u.srb.cdb_length = (uint8_t)(1 + (r >> 4) % 16);
        if (r & 4)
            p->u.srb.lun = 0;
        p->u.srb.path_id = (r & 8) ? 0 : p->u.srb.path_id;
        p->u.srb.target_id = (r & 8) ? 0 : p->u.srb.target_id;
        uint32_t len = 1 + rnd(&x) % 64;
        uint64_t pfns[4];
        for (int k = 0; k < 4; k++)
            pfns[k] = (r & 16) ? base + (uint64_t)k : rnd(&x);
        struct vmbus_chan_range range = {1 + rnd(&x) % 8192, rnd(&x) % 4096,
                                         pfns};
        if (range.byte_offset + range.byte_count > 4 * 4096)
            range.byte_count = 4 * 4096 - range.byte_offset;
        p->u.srb.data_transfer_length =
            (r & 32) ? range.byte_count : rnd(&x) % 20000;
        int rc = (r & 64)
                     ? vmbus_chan_send_gpa(ch, &range, 1,
                                           VMBUS_PKT_FLAG_COMPLETION_REQUESTED,
                                           rnd(&x), raw, len)
                     : vmbus_chan_send(ch, VMBUS_PKT_DATA_INBAND,
                                       VMBUS_PKT_FLAG_COMPLETION_REQUESTED,
                                       rnd(&x), raw, len);
        if (rc == -EAGAIN || i % 8 == 0)
            lb_pump(&f->lb);
    }
    lb_pump(&f->lb);
    gp.free_pages(gp.ctx, pages, 4);
    assert_int_equal(storvsp_get_stats(f->vsp)->in_flight, 0);
    /* our own handshake state may have been reset by random
     * BEGIN_INITIALIZATION packets: start again, then work normally */
    assert_int_equal(storvsc_start(f->vsc), 0);
    struct storvsc_cmd c;
    uint8_t tur[16] = {SCSI_TEST_UNIT_READY};
    assert_int_equal(run(f, 0, tur, 6, STORVSC_DIR_NONE, NULL, 0, &c), 0);
}

/* --- FAT32 on the whole stack ----------------------------------------------
 */

static void test_fat_over_storvsc(void **state)
{
    struct fixture *f = *state;
    char cmd[1024], img[320];
    const char *t = getenv("TMPDIR");
    char tmpl[256];
    snprintf(tmpl, sizeof(tmpl), "%s/enlight-lbfat-XXXXXX", t ? t : "/tmp");
    assert_non_null(mkdtemp(tmpl));
    snprintf(img, sizeof(img), "%s/disk.img", tmpl);
    snprintf(cmd, sizeof(cmd), "mkfs.fat -F 32 -C %s %u >/dev/null", img,
             DISK_SECTORS / 2);
    assert_int_equal(system(cmd), 0);
    FILE *fp = fopen(img, "rb");
    assert_non_null(fp);
    assert_int_equal(fread(f->mem.data, 512, DISK_SECTORS, fp), DISK_SECTORS);
    fclose(fp);

    struct storvsc_disk *d;
    struct blk_dev dev;
    struct fat_vol *v;
    struct fat_file *file;
    assert_int_equal(storvsc_disk_open(f->vsc, 0, &d), 0);
    assert_int_equal(blk_init(&dev, &storvsc_blk_ops, d, 512, 0), 0);
    assert_int_equal(fat_mount(&v, &dev, 0, dev.capacity, 0), 0);
    assert_int_equal(fat_mkdir(v, "/from the guest"), 0);
    size_t n = 300000;
    uint8_t *data = malloc(n);
    for (size_t i = 0; i < n; i++)
        data[i] = (uint8_t)(i % 251);
    assert_int_equal(fat_open(v, "/from the guest/big file.bin",
                              FAT_O_WRITE | FAT_O_CREAT, &file),
                     0);
    assert_int_equal(fat_write(file, data, n), (long)n);
    uint64_t flushes = f->mem.flushes;
    assert_int_equal(fat_fsync(file), 0);
    assert_true(f->mem.flushes > flushes); /* fsync reached SYNC CACHE */
    assert_int_equal(fat_close(file), 0);
    assert_int_equal(fat_unmount(v), 0);
    blk_fini(&dev);
    storvsc_disk_close(d);

    fp = fopen(img, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(f->mem.data, 512, DISK_SECTORS, fp), DISK_SECTORS);
    fclose(fp);
    snprintf(cmd, sizeof(cmd), "fsck.fat -n %s >/dev/null 2>&1", img);
    assert_int_equal(system(cmd), 0);
    snprintf(cmd, sizeof(cmd),
             "MTOOLS_SKIP_CHECK=1 mcopy -n -o -i %s '::/from the guest/big "
             "file.bin' %s/out.bin",
             img, tmpl);
    assert_int_equal(system(cmd), 0);
    snprintf(cmd, sizeof(cmd), "%s/out.bin", tmpl);
    fp = fopen(cmd, "rb");
    assert_non_null(fp);
    uint8_t *back = malloc(n + 1);
    assert_int_equal(fread(back, 1, n + 1, fp), n);
    fclose(fp);
    assert_memory_equal(back, data, n);
    free(back);
    free(data);
    snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpl);
    assert_int_equal(system(cmd), 0);
}

/* --- storvsc against a scripted host -------------------------------------- */

static void reply(struct fixture *f, uint64_t id, const struct vstor_packet *p,
                  uint32_t len)
{
    assert_int_equal(
        vmbus_server_chan_send(f->sch, VMBUS_PKT_COMPLETION, 0, id, p, len), 0);
}

static uint32_t s_open(struct vmbus_server_channel *ch, void *ctx,
                       const uint8_t *ud)
{
    struct fixture *f = ctx;
    (void)ud;
    f->sch = ch;
    return 0;
}

static void s_close(struct vmbus_server_channel *ch, void *ctx)
{
    (void)ch;
    (void)ctx;
}

static void s_packet(struct vmbus_server_channel *ch, void *ctx)
{
    struct fixture *f = ctx;
    uint8_t buf[1024];
    struct ring_pkt_info info;
    while (vmbus_server_chan_recv(ch, buf, sizeof(buf), &info) == 0) {
        struct vstor_packet p;
        memset(&p, 0, sizeof(p));
        uint32_t plen = info.len - info.offset;
        memcpy(&p, buf + info.offset, plen < sizeof(p) ? plen : sizeof(p));
        if (f->nseen < 16) {
            f->seen[f->nseen].type = info.type;
            f->seen[f->nseen].id = info.trans_id;
            f->seen[f->nseen].p = p;
            f->nseen++;
        }
        if (f->manual || p.operation == VSTOR_OP_EXECUTE_SRB)
            continue;
        uint32_t op = p.operation;
        memset(&p, 0, sizeof(p));
        p.operation = VSTOR_OP_COMPLETE_IO;
        if (op == VSTOR_OP_QUERY_PROTOCOL_VERSION) {
            struct vstor_packet *q = &f->seen[f->nseen - 1].p;
            if (f->accept && q->u.version.major_minor != f->accept)
                p.status = VSTOR_STATUS_REVISION_MISMATCH;
        }
        if (op == VSTOR_OP_QUERY_PROPERTIES) {
            p.status = f->props_status;
            p.u.props.max_transfer_bytes = 64 * 1024;
        }
        reply(f, info.trans_id, &p, sizeof(p));
    }
}

static const struct vmbus_server_device_ops script_ops = {
    .open = s_open,
    .close = s_close,
    .packet = s_packet,
};

static struct fixture *make_scripted(void)
{
    struct fixture *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    assert_int_equal(lb_init(&f->lb, GUEST_PAGES, NULL), 0);
    struct vmbus_server_device dev = {
        .name = "scripted-scsi",
        .class_id = VMBUS_CLASS_SCSI,
        .instance_id = VMBUS_GUID_INIT(1, 2, 3, 4, 5ull),
        .ops = &script_ops,
        .ctx = f,
    };
    assert_int_equal(vmbus_server_add_device(f->lb.srv, &dev, NULL), 0);
    struct storvsc_config cc = vsc_config(f);
    f->vsc = storvsc_create(f->lb.vb, &cc);
    assert_non_null(f->vsc);
    assert_int_equal(vmbus_connect(f->lb.vb, 0), 0);
    lb_pump(&f->lb);
    return f;
}

static void test_scripted_handshake_failures(void **state)
{
    (void)state;
    struct fixture *f = make_scripted();
    f->accept = VSTOR_VERSION_WIN8;
    assert_int_equal(storvsc_start(f->vsc), 0);
    assert_int_equal(storvsc_version(f->vsc), VSTOR_VERSION_WIN8);
    assert_int_equal(storvsc_max_transfer(f->vsc), 64 * 1024);
    destroy(f);

    f = make_scripted();
    f->accept = 0x0101; /* nothing we speak */
    assert_int_equal(storvsc_start(f->vsc), -EPROTONOSUPPORT);
    destroy(f);

    f = make_scripted();
    f->props_status = VSTOR_STATUS_UNSUCCESSFUL;
    assert_int_equal(storvsc_start(f->vsc), -EIO);
    destroy(f);

    f = make_scripted();
    f->manual = 1; /* a host that never answers */
    assert_int_equal(storvsc_start(f->vsc), -ETIMEDOUT);
    destroy(f);
}

/* The controller goes away while a bus reset is unanswered: the reset goes
 * with it, and the next controller's first timeout sends one again. */
static void test_scripted_reset_dropped_with_controller(void **state)
{
    (void)state;
    struct fixture *f = make_scripted();
    const struct storvsc_stats *st = storvsc_get_stats(f->vsc);
    struct storvsc_cmd c;
    uint8_t tur[6] = {SCSI_TEST_UNIT_READY};
    for (unsigned round = 1; round <= 2; round++) {
        f->manual = 0;
        assert_int_equal(storvsc_start(f->vsc), 0);
        f->manual = 1; /* neither the command nor the reset is answered */
        assert_int_equal(run(f, 0, tur, 6, STORVSC_DIR_NONE, NULL, 0, &c),
                         -ETIMEDOUT);
        lb_pump(&f->lb);
        assert_int_equal(st->resets, round);
        assert_int_equal(vmbus_server_rescind(f->lb.srv, f->sch), 0);
        f->sch = NULL;
        lb_pump(&f->lb);
        vmbus_poll(f->lb.vb);
        lb_pump(&f->lb);
        assert_int_equal(storvsc_channels(f->vsc), 0);
        assert_int_equal(st->in_flight, 0);
        struct vmbus_server_device dev = {
            .name = "scripted-scsi",
            .class_id = VMBUS_CLASS_SCSI,
            .instance_id = VMBUS_GUID_INIT(1, 2, 3, 4, 6ull + round),
            .ops = &script_ops,
            .ctx = f,
        };
        assert_int_equal(vmbus_server_add_device(f->lb.srv, &dev, NULL), 0);
        lb_pump(&f->lb);
        vmbus_poll(f->lb.vb);
        lb_pump(&f->lb);
        assert_int_equal(storvsc_channels(f->vsc), 1);
    }
    destroy(f);
}

/* The guest drains replies with its receive ring masked: a reply the host
 * adds meanwhile raises no interrupt and is taken in the same drain. */
static struct fixture *drain_f;
static uint64_t drain_sints;
static void reply_during_drain(struct storvsc_cmd *c)
{
    struct vstor_packet p;
    (void)c;
    memset(&p, 0, sizeof(p));
    p.operation = VSTOR_OP_COMPLETE_IO;
    p.u.srb.srb_status = VSTOR_SRB_STATUS_SUCCESS;
    p.u.srb.data_transfer_length = 512;
    drain_sints = drain_f->lb.sints_raised;
    reply(drain_f, drain_f->seen[1].id, &p, sizeof(p));
    drain_sints = drain_f->lb.sints_raised - drain_sints;
}

static void test_scripted_reply_while_draining(void **state)
{
    (void)state;
    struct fixture *f = make_scripted();
    assert_int_equal(storvsc_start(f->vsc), 0);
    struct storvsc_cmd c[2];
    uint8_t bufs[2][512];
    for (unsigned i = 0; i < 2; i++) {
        read_cmd(&c[i], i, bufs[i]);
        c[i].done = NULL;
        assert_int_equal(storvsc_submit(f->vsc, &c[i]), 0);
    }
    c[0].done = reply_during_drain;
    f->nseen = 0;
    lb_pump(&f->lb);
    assert_int_equal(f->nseen, 2);
    drain_f = f;
    drain_sints = 99;
    struct vstor_packet p;
    memset(&p, 0, sizeof(p));
    p.operation = VSTOR_OP_COMPLETE_IO;
    p.u.srb.srb_status = VSTOR_SRB_STATUS_SUCCESS;
    p.u.srb.data_transfer_length = 512;
    reply(f, f->seen[0].id, &p, sizeof(p));
    uint64_t sints = f->lb.sints_raised;
    lb_pump(&f->lb);
    assert_int_equal(drain_sints, 0);
    assert_int_equal(f->lb.sints_raised, sints);
    assert_int_equal(c[0].status, 0);
    assert_int_equal(c[1].complete, 1);
    assert_int_equal(c[1].status, 0);
    destroy(f);
}

static void test_scripted_bad_replies(void **state)
{
    (void)state;
    struct fixture *f = make_scripted();
    assert_int_equal(storvsc_start(f->vsc), 0);
    const struct storvsc_stats *st = storvsc_get_stats(f->vsc);
    struct storvsc_cmd c[6];
    uint8_t bufs[6][512];
    for (unsigned i = 0; i < 6; i++) {
        memset(&c[i], 0, sizeof(c[i]));
        c[i].cdb[0] = SCSI_READ_10;
        c[i].cdb[8] = 1;
        c[i].cdb_len = 10;
        c[i].dir = STORVSC_DIR_IN;
        c[i].buf = bufs[i];
        c[i].len = 512;
        assert_int_equal(storvsc_submit(f->vsc, &c[i]), 0);
    }
    f->nseen = 0;
    lb_pump(&f->lb);
    assert_int_equal(f->nseen, 6);
    for (unsigned i = 0; i < 6; i++) {
        assert_int_equal(f->seen[i].type, VMBUS_PKT_DATA_GPA_DIRECT);
        assert_int_equal(f->seen[i].p.u.srb.data_transfer_length, 512);
        assert_int_equal(f->seen[i].p.u.srb.length, VSTOR_SRB_SIZE);
    }
    struct vstor_packet p;
    memset(&p, 0, sizeof(p));
    p.operation = VSTOR_OP_COMPLETE_IO;
    p.u.srb.srb_status = VSTOR_SRB_STATUS_SUCCESS;
    p.u.srb.data_transfer_length = 512;
    /* ids that name nothing: never used, and a forged generation */
    reply(f, 0x12345678ull, &p, sizeof(p));
    reply(f, f->seen[0].id ^ 0x10000, &p, sizeof(p));
    reply(f, 0, &p, sizeof(p));
    lb_pump(&f->lb);
    assert_int_equal(st->bad_replies, 3);
    assert_int_equal(c[0].complete, 0);
    /* request 0: too short */
    reply(f, f->seen[0].id, &p, 20);
    /* 1: more data than asked */
    p.u.srb.data_transfer_length = 4096;
    reply(f, f->seen[1].id, &p, sizeof(p));
    /* 2: a sense length past the buffer */
    p.u.srb.data_transfer_length = 0;
    p.u.srb.sense_info_length = 200;
    reply(f, f->seen[2].id, &p, sizeof(p));
    /* 3: not COMPLETE_IO */
    p.u.srb.sense_info_length = 0;
    p.operation = VSTOR_OP_EXECUTE_SRB;
    reply(f, f->seen[3].id, &p, sizeof(p));
    /* 4: CHECK CONDITION with sense */
    p.operation = VSTOR_OP_COMPLETE_IO;
    p.u.srb.srb_status =
        VSTOR_SRB_STATUS_ERROR | VSTOR_SRB_STATUS_AUTOSENSE_VALID;
    p.u.srb.scsi_status = SCSI_STATUS_CHECK_CONDITION;
    p.u.srb.sense_info_length = 18;
    p.u.srb.u.sense_data[0] = SCSI_SENSE_CURRENT;
    p.u.srb.u.sense_data[2] = SCSI_SENSE_MEDIUM_ERROR;
    p.u.srb.u.sense_data[12] = 0x11;
    reply(f, f->seen[4].id, &p, sizeof(p));
    /* 5: fine, then answered a second time */
    memset(&p, 0, sizeof(p));
    p.operation = VSTOR_OP_COMPLETE_IO;
    p.u.srb.srb_status = VSTOR_SRB_STATUS_SUCCESS;
    p.u.srb.data_transfer_length = 512;
    reply(f, f->seen[5].id, &p, sizeof(p));
    reply(f, f->seen[5].id, &p, sizeof(p));
    /* an unsolicited rescan note, and a note of an unknown kind */
    struct vstor_packet note = {.operation = VSTOR_OP_ENUMERATE_BUS};
    assert_int_equal(vmbus_server_chan_send(f->sch, VMBUS_PKT_DATA_INBAND, 0, 0,
                                            &note, sizeof(note)),
                     0);
    note.operation = 77;
    assert_int_equal(vmbus_server_chan_send(f->sch, VMBUS_PKT_DATA_INBAND, 0, 0,
                                            &note, sizeof(note)),
                     0);
    lb_pump(&f->lb);
    for (unsigned i = 0; i < 6; i++)
        assert_int_equal(c[i].complete, 1);
    assert_int_equal(c[0].status, -EPROTO);
    assert_int_equal(c[1].status, -EPROTO);
    assert_int_equal(c[2].status, -EPROTO);
    assert_int_equal(c[3].status, -EPROTO);
    assert_int_equal(c[4].status, -EIO);
    struct storvsc_sense s;
    assert_int_equal(storvsc_sense_decode(c[4].sense, c[4].sense_len, &s), 0);
    assert_int_equal(s.key, SCSI_SENSE_MEDIUM_ERROR);
    assert_int_equal(s.asc, 0x11);
    assert_int_equal(c[5].status, 0);
    assert_int_equal(c[5].transferred, 512);
    /* 3 unknown ids + 4 malformed + the duplicate + the unknown note */
    assert_int_equal(st->bad_replies, 3 + 4 + 1 + 1);
    assert_true(storvsc_take_rescan(f->vsc));
    assert_int_equal(st->in_flight, 0);
    destroy(f);
}

/* Random completions and notes from the host: storvsc drops what names no
 * request, fails what is malformed, and never crashes. */
static void test_scripted_random_replies(void **state)
{
    (void)state;
    struct fixture *f = make_scripted();
    assert_int_equal(storvsc_start(f->vsc), 0);
    struct storvsc_cmd c[8];
    uint8_t bufs[8][4096];
    uint32_t x = 99;
    f->nseen = 0;
    for (unsigned i = 0; i < 8; i++) {
        memset(&c[i], 0, sizeof(c[i]));
        c[i].cdb[0] = SCSI_READ_10;
        c[i].cdb[8] = 8;
        c[i].cdb_len = 10;
        c[i].dir = STORVSC_DIR_IN;
        c[i].buf = bufs[i];
        c[i].len = 4096;
        assert_int_equal(storvsc_submit(f->vsc, &c[i]), 0);
    }
    lb_pump(&f->lb);
    assert_int_equal(f->nseen, 8);
    for (int i = 0; i < 3000; i++) {
        uint8_t raw[80];
        for (unsigned k = 0; k < sizeof(raw); k++)
            raw[k] = (uint8_t)rnd(&x);
        uint32_t r = rnd(&x);
        uint64_t id = (r & 1) ? f->seen[rnd(&x) % 8].id : rnd(&x);
        if (r & 16)
            memset(raw, 0, 12); /* COMPLETE_IO is 1: mostly not */
        if (r & 32)
            raw[0] = VSTOR_OP_COMPLETE_IO;
        uint32_t len = 1 + rnd(&x) % sizeof(raw);
        uint16_t type = (r & 4) ? VMBUS_PKT_DATA_INBAND : VMBUS_PKT_COMPLETION;
        int rc = vmbus_server_chan_send(f->sch, type, 0, id, raw, len);
        if (rc == -EAGAIN || i % 16 == 0)
            lb_pump(&f->lb);
    }
    lb_pump(&f->lb);
    /* every request got exactly one verdict, then the slots are free */
    for (unsigned i = 0; i < 8; i++)
        assert_int_equal(c[i].complete, 1);
    assert_int_equal(storvsc_get_stats(f->vsc)->in_flight, 0);
    assert_true(storvsc_get_stats(f->vsc)->bad_replies > 1000);
    destroy(f);
}

static void test_sense_decode(void **state)
{
    (void)state;
    struct storvsc_sense s;
    uint8_t fixed[18] = {0x70, 0, 0x05, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x24, 1};
    assert_int_equal(storvsc_sense_decode(fixed, 18, &s), 0);
    assert_int_equal(s.key, 5);
    assert_int_equal(s.asc, 0x24);
    assert_int_equal(s.ascq, 1);
    uint8_t desc[8] = {0x72, 0x06, 0x29, 0x00};
    assert_int_equal(storvsc_sense_decode(desc, 8, &s), 0);
    assert_int_equal(s.key, 6);
    assert_int_equal(s.asc, 0x29);
    uint8_t junk[4] = {0x12};
    assert_int_equal(storvsc_sense_decode(junk, 4, &s), -EINVAL);
    assert_int_equal(storvsc_sense_decode(fixed, 0, &s), -EINVAL);
}

int main(void)
{
    /* mkfs.fat and fsck.fat live in /usr/sbin, often not on a user's PATH */
    char path[4096];
    snprintf(path, sizeof(path), "%s:/usr/sbin:/sbin",
             getenv("PATH") ? getenv("PATH") : "/usr/bin:/bin");
    setenv("PATH", path, 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_handshake, setup, teardown),
        cmocka_unit_test(test_version_fallback),
        cmocka_unit_test_setup_teardown(test_inquiry_and_vpd, setup, teardown),
        cmocka_unit_test_setup_teardown(test_capacity_and_misc, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_read_write_all_sizes, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_sync_unmap_write_same, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_256_in_flight, setup, teardown),
        cmocka_unit_test_setup_teardown(test_queue_then_flush, setup, teardown),
        cmocka_unit_test_setup_teardown(test_host_polls_while_busy, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_max_transfer_and_split, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_timeout_then_late_completion,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_hot_add_rescan, setup, teardown),
        cmocka_unit_test_setup_teardown(test_scattered_page_list, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_malformed_guest_packets, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_random_cdbs, setup, teardown),
        cmocka_unit_test(test_direct_page_lists),
        cmocka_unit_test_setup_teardown(test_random_guest_packets, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_fat_over_storvsc, setup, teardown),
        cmocka_unit_test(test_scripted_handshake_failures),
        cmocka_unit_test(test_scripted_bad_replies),
        cmocka_unit_test(test_scripted_reset_dropped_with_controller),
        cmocka_unit_test(test_scripted_reply_while_draining),
        cmocka_unit_test(test_scripted_random_replies),
        cmocka_unit_test(test_sense_decode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
