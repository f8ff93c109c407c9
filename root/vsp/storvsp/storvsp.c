/*
 * storvsp: VSTOR handshake, SRB parsing and the SCSI disk model.
 *
 * Requests come from a fixed pool (queue_depth); when it is empty the ring
 * is left alone until one completes, which is the back-pressure the guest
 * sees.  Multi-step commands (WRITE SAME without unmap, UNMAP lists) run
 * through run(), a loop that keeps starting backend I/O while the backend
 * completes synchronously, so a RAM disk never recurses.
 */
#include "root/vsp/storvsp/storvsp.h"

#include "proto/ring.h"
#include "proto/scsi.h"
#include "proto/vstor.h"

#include <errno.h>
#include <string.h>

#define RX_BYTES 1024u /* GPA-direct header, 65 PFNs and a packet fit */
#define MAX_UNMAP_DESC 16u
#define MAX_WRITE_SAME 0x100000u /* blocks per WRITE SAME */
#define WS_SEGS 64u              /* blocks per backend write of WRITE SAME */

#define VENDOR "Msft    "
#define PRODUCT "Virtual Disk    "
#define REVISION "1.0 "

enum { RQ_FREE, RQ_BUSY };
enum { CMD_DONE = 0, CMD_PENDING = 1 };

struct disk {
    const struct storvsp_backend_ops *ops;
    void *ctx;
    uint64_t sectors;
    uint32_t busy;
    uint8_t present;
    char serial[21];
};

struct sreq;
typedef int (*step_fn)(struct sreq *r);

struct sreq {
    struct storvsp *s;
    struct sreq *next; /* free list / held list */
    /* The channel the request came on and its reply goes back on; NULL
     * once that channel closed (the reply is dropped). */
    struct vmbus_server_channel *ch;
    uint64_t trans_id;
    struct vstor_packet pkt; /* the request, then the reply */
    uint8_t reply;           /* the guest asked for a completion */
    uint8_t state;
    uint8_t lun;
    uint8_t io_running, io_finished; /* run() trampoline */
    int io_status;
    step_fn step; /* next step of a multi-step command */
    uint32_t buf_len;
    uint32_t nsegs;
    uint32_t xfer; /* data bytes moved, reported on success */
    struct storvsp_seg segs[STORVSP_MAX_SEGS];
    struct storvsp_io io;
    /* WRITE SAME and UNMAP */
    uint64_t lba, left;
    uint32_t ndesc, desc;
    uint8_t block[STORVSP_SECTOR];
    uint8_t param[8 + 16 * MAX_UNMAP_DESC];
    struct storvsp_seg ws[WS_SEGS];
};

struct storvsp {
    struct vmbus_server *srv;
    struct vmbus_server_channel *ch;
    struct storvsp_config cfg;
    struct disk disks[STORVSP_MAX_LUNS];
    struct sreq *reqs;
    struct sreq *free;
    struct sreq *held, *held_tail; /* completions the ring refused */
    uint8_t open, stalled, busy, again;
    uint8_t masked; /* the guest's rings are polled, not signalled */
    /* Sub-channels made at the guest's request (any order, NULL: free),
     * and the primary's handshake steps that allow CREATE_SUB_CHANNELS. */
    struct vmbus_server_channel *subs[STORVSP_MAX_SUBCHANNELS];
    uint16_t max_subs;
    uint8_t props_done, subs_asked;
    uint8_t rx[RX_BYTES];
    struct storvsp_stats st;
};

static const uint16_t versions[] = {VSTOR_VERSION_WIN10, VSTOR_VERSION_WIN81,
                                    VSTOR_VERSION_WIN8, VSTOR_VERSION_WIN7,
                                    VSTOR_VERSION_WIN6};

static void process(struct storvsp *s);

/* --- replies ------------------------------------------------------------- */

/*
 * Until a version is agreed, replies use the long (Win8) size: Linux's
 * storvsc drops any completion shorter than its 64-byte vstor_packet, also
 * during initialization, and guests that expect the short size read only
 * its fields.
 */
static uint32_t reply_len(const struct storvsp *s)
{
    return s->st.version ? VSTOR_PACKET_SIZE_FOR(s->st.version)
                         : VSTOR_PACKET_SIZE;
}

static void release(struct sreq *r)
{
    struct storvsp *s = r->s;
    if (r->lun < STORVSP_MAX_LUNS && s->disks[r->lun].busy)
        s->disks[r->lun].busy--;
    r->state = RQ_FREE;
    r->next = s->free;
    s->free = r;
    s->st.in_flight--;
}

/* Sends r's reply (or holds it when the ring is full) and frees r. */
static void finish(struct sreq *r)
{
    struct storvsp *s = r->s;
    if (r->reply && r->ch) {
        r->pkt.operation = VSTOR_OP_COMPLETE_IO;
        r->pkt.flags = 0;
        int rc = vmbus_server_chan_send(r->ch, VMBUS_PKT_COMPLETION, 0,
                                        r->trans_id, &r->pkt, reply_len(s));
        if (rc == -EAGAIN) {
            s->st.held_completions++;
            r->next = NULL;
            if (s->held_tail)
                s->held_tail->next = r;
            else
                s->held = r;
            s->held_tail = r;
            return;
        }
    }
    release(r);
    if ((s->stalled || (s->masked && !s->st.in_flight)) && !s->busy)
        process(s);
}

static void flush_held(struct storvsp *s)
{
    while (s->held) {
        struct sreq *r = s->held;
        if (r->ch &&
            vmbus_server_chan_send(r->ch, VMBUS_PKT_COMPLETION, 0, r->trans_id,
                                   &r->pkt, reply_len(s)) == -EAGAIN)
            return;
        s->held = r->next;
        if (!s->held)
            s->held_tail = NULL;
        release(r);
    }
}

static void good(struct sreq *r)
{
    struct vstor_srb *srb = &r->pkt.u.srb;
    srb->srb_status = VSTOR_SRB_STATUS_SUCCESS;
    srb->scsi_status = SCSI_STATUS_GOOD;
    srb->sense_info_length = 0;
    srb->data_transfer_length = r->xfer;
}

/* CHECK CONDITION with fixed-format sense in the SRB (autosense). */
static void check(struct sreq *r, uint8_t key, uint16_t asc)
{
    struct vstor_srb *srb = &r->pkt.u.srb;
    struct scsi_sense_fixed sense;
    r->s->st.check_conditions++;
    memset(&sense, 0, sizeof(sense));
    sense.response = SCSI_SENSE_CURRENT;
    sense.key = key;
    sense.additional = sizeof(sense) - 8;
    sense.asc = (uint8_t)(asc >> 8);
    sense.ascq = (uint8_t)asc;
    memset(srb->u.sense_data, 0, sizeof(srb->u.sense_data));
    memcpy(srb->u.sense_data, &sense, sizeof(sense));
    srb->srb_status = VSTOR_SRB_STATUS_ERROR | VSTOR_SRB_STATUS_AUTOSENSE_VALID;
    srb->scsi_status = SCSI_STATUS_CHECK_CONDITION;
    srb->sense_info_length = sizeof(sense);
    srb->data_transfer_length = 0;
}

/* --- guest buffer ----------------------------------------------------------
 */

static void copy_out(struct sreq *r, const void *src, uint32_t len)
{
    const uint8_t *p = src;
    uint32_t done = 0;
    if (len > r->buf_len)
        len = r->buf_len;
    for (uint32_t i = 0; i < r->nsegs && done < len; i++) {
        uint32_t n = r->segs[i].len < len - done ? r->segs[i].len : len - done;
        memcpy(r->segs[i].p, p + done, n);
        done += n;
    }
    r->xfer = done;
}

static uint32_t copy_in(struct sreq *r, void *dst, uint32_t len)
{
    uint8_t *p = dst;
    uint32_t done = 0;
    if (len > r->buf_len)
        len = r->buf_len;
    for (uint32_t i = 0; i < r->nsegs && done < len; i++) {
        uint32_t n = r->segs[i].len < len - done ? r->segs[i].len : len - done;
        memcpy(p + done, r->segs[i].p, n);
        done += n;
    }
    return done;
}

/* Maps the GPA-direct range of packet buf into r->segs.  0 or -EINVAL. */
static int map_data(struct storvsp *s, struct sreq *r, const uint8_t *buf,
                    const struct ring_pkt_info *info, uint32_t want)
{
    struct vmbus_pkt_gpa_direct hdr;
    struct vmbus_gpa_range range;
    if (info->offset < sizeof(hdr) + sizeof(range))
        return -EINVAL;
    memcpy(&hdr, buf, sizeof(hdr));
    if (hdr.range_count != 1)
        return -EINVAL;
    memcpy(&range, buf + sizeof(hdr), sizeof(range));
    if (range.byte_offset >= 4096 || range.byte_count == 0 ||
        range.byte_count > s->cfg.max_transfer_bytes)
        return -EINVAL;
    uint32_t npfn = (range.byte_offset + range.byte_count + 4095) / 4096;
    if (npfn > STORVSP_MAX_SEGS ||
        sizeof(hdr) + sizeof(range) + (uint64_t)npfn * 8 > info->offset)
        return -EINVAL;
    if (want > range.byte_count)
        return -EINVAL;
    const uint8_t *list = buf + sizeof(hdr) + sizeof(range);
    uint32_t left = want, off = range.byte_offset;
    r->nsegs = 0;
    for (uint32_t i = 0; i < npfn && left;) {
        uint64_t pfn, next;
        memcpy(&pfn, list + 8 * i, 8);
        if (pfn >> 52)
            return -EINVAL;
        /* Consecutive pages are one segment, checked with one call (a
         * 256 KiB buffer is usually a single run). */
        uint32_t n = 4096 - off < left ? 4096 - off : left, k = i + 1;
        while (k < npfn && n < left) {
            memcpy(&next, list + 8 * k, 8);
            if (next != pfn + (k - i))
                break;
            n += left - n < 4096 ? left - n : 4096;
            k++;
        }
        void *p = vmbus_server_gpa(s->srv, pfn * 4096 + off, n);
        if (!p)
            return -EINVAL;
        r->segs[r->nsegs++] = (struct storvsp_seg){p, n};
        left -= n;
        off = 0;
        i = k;
    }
    r->buf_len = want;
    return 0;
}

/* --- backend I/O ------------------------------------------------------------
 */

static void io_error(struct sreq *r, uint32_t op)
{
    r->s->st.backend_errors++;
    if (op == STORVSP_IO_READ)
        check(r, SCSI_SENSE_MEDIUM_ERROR, SCSI_ASC_UNRECOVERED_READ_ERROR);
    else if (op == STORVSP_IO_WRITE)
        check(r, SCSI_SENSE_MEDIUM_ERROR, SCSI_ASC_WRITE_ERROR);
    else
        check(r, SCSI_SENSE_HARDWARE_ERROR, SCSI_ASC_INTERNAL_TARGET_FAILURE);
}

static int start_io(struct sreq *r)
{
    struct disk *d = &r->s->disks[r->lun];
    const struct storvsp_backend_ops *ops = d->ops;
    switch (r->io.op) {
    case STORVSP_IO_READ:
        return ops->read(d->ctx, &r->io);
    case STORVSP_IO_WRITE:
        return ops->write(d->ctx, &r->io);
    case STORVSP_IO_FLUSH:
        return ops->flush(d->ctx, &r->io);
    default:
        return ops->unmap(d->ctx, &r->io);
    }
}

/*
 * Starts r->io and its follow-ups.  r->step, when set, runs after each
 * successful I/O and either sets up the next one (CMD_PENDING) or ends the
 * command (CMD_DONE).
 */
static void run(struct sreq *r)
{
    for (;;) {
        r->io_finished = 0;
        r->io_running = 1;
        r->io.owner = r;
        int rc = start_io(r);
        if (rc) {
            r->io_running = 0;
            io_error(r, r->io.op);
            finish(r);
            return;
        }
        if (!r->io_finished) {
            r->io_running = 0; /* storvsp_io_done() continues later */
            return;
        }
        r->io_running = 0;
        if (r->io_status) {
            io_error(r, r->io.op);
            finish(r);
            return;
        }
        if (!r->step || r->step(r) == CMD_DONE) {
            good(r);
            finish(r);
            return;
        }
    }
}

void storvsp_io_done(struct storvsp_io *io, int status)
{
    struct sreq *r = io->owner;
    r->io_status = status;
    r->io_finished = 1;
    if (r->io_running)
        return; /* run() is on the stack and continues */
    if (status) {
        io_error(r, io->op);
        finish(r);
        return;
    }
    if (!r->step || r->step(r) == CMD_DONE) {
        good(r);
        finish(r);
        return;
    }
    run(r);
}

/* --- SCSI commands
 * ------------------------------------------------------------ */

static struct disk *disk_of(struct sreq *r)
{
    return &r->s->disks[r->lun];
}

static const uint8_t *cdb(const struct sreq *r)
{
    return r->pkt.u.srb.u.cdb;
}

static int cmd_ok(struct sreq *r)
{
    (void)r;
    return CMD_DONE;
}

static int cmd_request_sense(struct sreq *r)
{
    struct scsi_sense_fixed sense;
    memset(&sense, 0, sizeof(sense));
    sense.response = SCSI_SENSE_CURRENT;
    sense.key = SCSI_SENSE_NO_SENSE;
    sense.additional = sizeof(sense) - 8;
    uint32_t alloc = cdb(r)[4];
    copy_out(r, &sense, alloc < sizeof(sense) ? alloc : sizeof(sense));
    return CMD_DONE;
}

static uint32_t vpd(struct sreq *r, uint8_t page, uint8_t *out)
{
    struct disk *d = disk_of(r);
    int unmap = d->ops->unmap != NULL;
    memset(out, 0, 256);
    out[0] = SCSI_TYPE_DISK;
    out[1] = page;
    uint32_t len = 0;
    switch (page) {
    case SCSI_VPD_SUPPORTED: {
        static const uint8_t pages[] = {SCSI_VPD_SUPPORTED,
                                        SCSI_VPD_SERIAL,
                                        SCSI_VPD_DEVICE_ID,
                                        SCSI_VPD_BLOCK_LIMITS,
                                        SCSI_VPD_BLOCK_CHARACTERISTICS,
                                        SCSI_VPD_LB_PROVISIONING};
        memcpy(out + 4, pages, sizeof(pages));
        len = sizeof(pages);
        break;
    }
    case SCSI_VPD_SERIAL:
        len = (uint32_t)strlen(d->serial);
        memcpy(out + 4, d->serial, len);
        break;
    case SCSI_VPD_DEVICE_ID: {
        /* one T10 vendor designator: vendor, product, serial */
        struct scsi_designator *g = (struct scsi_designator *)(out + 4);
        uint32_t sl = (uint32_t)strlen(d->serial);
        g->code_set = SCSI_DESIG_CODE_ASCII;
        g->type = SCSI_DESIG_TYPE_T10;
        memcpy(out + 8, VENDOR, 8);
        memcpy(out + 16, PRODUCT, 16);
        memcpy(out + 32, d->serial, sl);
        g->length = (uint8_t)(24 + sl);
        len = 4 + g->length;
        break;
    }
    case SCSI_VPD_BLOCK_LIMITS: {
        struct scsi_vpd_block_limits *b = (struct scsi_vpd_block_limits *)out;
        uint32_t mt = r->s->cfg.max_transfer_bytes / STORVSP_SECTOR;
        b->wsnz = 1;
        scsi_put(b->max_transfer, 4, mt);
        scsi_put(b->opt_transfer, 4, mt);
        if (unmap) {
            scsi_put(b->max_unmap_lba_count, 4, 0xFFFFFFFFu);
            scsi_put(b->max_unmap_descriptors, 4, MAX_UNMAP_DESC);
            scsi_put(b->unmap_granularity, 4, 1);
        }
        scsi_put(b->max_write_same, 8, MAX_WRITE_SAME);
        len = sizeof(*b) - 4;
        break;
    }
    case SCSI_VPD_BLOCK_CHARACTERISTICS: {
        struct scsi_vpd_block_chars *b = (struct scsi_vpd_block_chars *)out;
        scsi_put(b->rotation, 2, 1); /* non-rotating */
        len = sizeof(*b) - 4;
        break;
    }
    case SCSI_VPD_LB_PROVISIONING: {
        struct scsi_vpd_lb_provisioning *b =
            (struct scsi_vpd_lb_provisioning *)out;
        if (unmap) {
            b->flags =
                SCSI_LBP_UNMAP | SCSI_LBP_WS16 | SCSI_LBP_WS10 | SCSI_LBP_RZ;
            b->type = SCSI_LBP_THIN;
        }
        len = sizeof(*b) - 4;
        break;
    }
    default:
        return 0;
    }
    scsi_put(out + 2, 2, len);
    return len + 4;
}

static int cmd_inquiry(struct sreq *r)
{
    const struct scsi_cdb_inquiry *c = (const void *)cdb(r);
    uint8_t out[256];
    uint32_t alloc = (uint32_t)scsi_get(c->alloc, 2), len;
    if (!(c->flags & SCSI_INQUIRY_EVPD)) {
        struct scsi_inquiry_data *q = (struct scsi_inquiry_data *)out;
        if (c->page) {
            check(r, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ASC_INVALID_FIELD_IN_CDB);
            return CMD_DONE;
        }
        memset(q, 0, sizeof(*q));
        q->device_type = SCSI_TYPE_DISK;
        q->version = SCSI_VERSION_SPC4;
        q->response_fmt = SCSI_INQUIRY_HISUP | SCSI_INQUIRY_RESPONSE_FMT;
        q->additional = sizeof(*q) - 5;
        q->flags7 = SCSI_INQUIRY_CMDQUE;
        memcpy(q->vendor, VENDOR, 8);
        memcpy(q->product, PRODUCT, 16);
        memcpy(q->revision, REVISION, 4);
        len = sizeof(*q);
    } else {
        len = vpd(r, c->page, out);
        if (!len) {
            check(r, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ASC_INVALID_FIELD_IN_CDB);
            return CMD_DONE;
        }
    }
    copy_out(r, out, len < alloc ? len : alloc);
    return CMD_DONE;
}

static int cmd_read_capacity10(struct sreq *r)
{
    struct scsi_read_capacity10 d;
    uint64_t last = disk_of(r)->sectors - 1;
    scsi_put(d.last_lba, 4, last > 0xFFFFFFFFu ? 0xFFFFFFFFu : last);
    scsi_put(d.block_size, 4, STORVSP_SECTOR);
    copy_out(r, &d, sizeof(d));
    return CMD_DONE;
}

static int cmd_service_action_in(struct sreq *r)
{
    const struct scsi_cdb16 *c = (const void *)cdb(r);
    struct scsi_read_capacity16 d;
    if ((c->flags & 0x1F) != SCSI_SAI_READ_CAPACITY_16) {
        check(r, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ASC_INVALID_FIELD_IN_CDB);
        return CMD_DONE;
    }
    memset(&d, 0, sizeof(d));
    scsi_put(d.last_lba, 8, disk_of(r)->sectors - 1);
    scsi_put(d.block_size, 4, STORVSP_SECTOR);
    if (disk_of(r)->ops->unmap)
        d.lowest_align[0] = SCSI_RC16_LBPME | SCSI_RC16_LBPRZ;
    uint32_t alloc = (uint32_t)scsi_get(c->length, 4);
    copy_out(r, &d, alloc < sizeof(d) ? alloc : sizeof(d));
    return CMD_DONE;
}

static int range_ok(struct sreq *r, uint64_t lba, uint64_t count)
{
    uint64_t n = disk_of(r)->sectors;
    if (lba > n || count > n - lba) {
        check(r, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ASC_LBA_OUT_OF_RANGE);
        return 0;
    }
    return 1;
}

static int cmd_rw(struct sreq *r)
{
    const uint8_t *c = cdb(r);
    uint64_t lba;
    uint32_t count;
    int write = 0, fua = 0;
    switch (c[0]) {
    case SCSI_WRITE_6:
        write = 1;
        /* fall through */
    case SCSI_READ_6:
        lba = scsi_get(c + 1, 3) & SCSI_CDB6_LBA_MASK;
        count = c[4] ? c[4] : 256;
        break;
    case SCSI_WRITE_10:
        write = 1;
        /* fall through */
    case SCSI_READ_10:
        lba = scsi_get(c + 2, 4);
        count = (uint32_t)scsi_get(c + 7, 2);
        fua = c[1] & SCSI_CDB_FUA;
        break;
    case SCSI_WRITE_12:
        write = 1;
        /* fall through */
    case SCSI_READ_12:
        lba = scsi_get(c + 2, 4);
        count = (uint32_t)scsi_get(c + 6, 4);
        fua = c[1] & SCSI_CDB_FUA;
        break;
    case SCSI_WRITE_16:
        write = 1;
        /* fall through */
    default:
        lba = scsi_get(c + 2, 8);
        count = (uint32_t)scsi_get(c + 10, 4);
        fua = c[1] & SCSI_CDB_FUA;
        break;
    }
    if (!range_ok(r, lba, count))
        return CMD_DONE;
    if (count == 0)
        return CMD_DONE;
    uint64_t bytes = (uint64_t)count * STORVSP_SECTOR;
    if (bytes > r->buf_len) {
        check(r, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ASC_INVALID_FIELD_IN_CDB);
        return CMD_DONE;
    }
    /* trim the segment list to the transfer */
    uint32_t n = 0;
    for (uint64_t acc = 0; acc < bytes; n++) {
        if (acc + r->segs[n].len > bytes)
            r->segs[n].len = (uint32_t)(bytes - acc);
        acc += r->segs[n].len;
    }
    r->io =
        (struct storvsp_io){.op = write ? STORVSP_IO_WRITE : STORVSP_IO_READ,
                            .lba = lba,
                            .count = count,
                            .segs = r->segs,
                            .nsegs = n,
                            .fua = (uint8_t)(fua != 0)};
    r->xfer = (uint32_t)bytes;
    return CMD_PENDING;
}

static int cmd_sync_cache(struct sreq *r)
{
    const uint8_t *c = cdb(r);
    uint64_t lba, count;
    if (c[0] == SCSI_SYNCHRONIZE_CACHE_10) {
        lba = scsi_get(c + 2, 4);
        count = scsi_get(c + 7, 2);
    } else {
        lba = scsi_get(c + 2, 8);
        count = scsi_get(c + 10, 4);
    }
    if (!range_ok(r, lba, count))
        return CMD_DONE;
    if (!disk_of(r)->ops->flush)
        return CMD_DONE;
    r->io = (struct storvsp_io){.op = STORVSP_IO_FLUSH};
    return CMD_PENDING;
}

/* WRITE SAME without unmapping: the block again and again. */
static int write_same_step(struct sreq *r)
{
    if (r->left == 0)
        return CMD_DONE;
    uint32_t n = r->left < WS_SEGS ? (uint32_t)r->left : WS_SEGS;
    for (uint32_t i = 0; i < n; i++)
        r->ws[i] = (struct storvsp_seg){r->block, STORVSP_SECTOR};
    r->io = (struct storvsp_io){.op = STORVSP_IO_WRITE,
                                .lba = r->lba,
                                .count = n,
                                .segs = r->ws,
                                .nsegs = n};
    r->lba += n;
    r->left -= n;
    return CMD_PENDING;
}

static int cmd_write_same(struct sreq *r)
{
    const uint8_t *c = cdb(r);
    uint64_t lba, count;
    int ndob = 0;
    if (c[0] == SCSI_WRITE_SAME_10) {
        lba = scsi_get(c + 2, 4);
        count = scsi_get(c + 7, 2);
    } else {
        lba = scsi_get(c + 2, 8);
        count = scsi_get(c + 10, 4);
        ndob = c[1] & SCSI_WRITE_SAME_NDOB;
    }
    if (count == 0 || count > MAX_WRITE_SAME) { /* WSNZ is set */
        check(r, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ASC_INVALID_FIELD_IN_CDB);
        return CMD_DONE;
    }
    if (!range_ok(r, lba, count))
        return CMD_DONE;
    memset(r->block, 0, sizeof(r->block));
    if (!ndob && copy_in(r, r->block, STORVSP_SECTOR) != STORVSP_SECTOR) {
        check(r, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ASC_INVALID_FIELD_IN_CDB);
        return CMD_DONE;
    }
    r->xfer = 0;
    /* Unmapped blocks read as zeros (LBPRZ), so only a zero block may be
     * unmapped; any other block is written. */
    bool zero = true;
    for (uint32_t i = 0; i < STORVSP_SECTOR && zero; i++)
        zero = r->block[i] == 0;
    if ((c[1] & SCSI_WRITE_SAME_UNMAP) && zero && disk_of(r)->ops->unmap) {
        r->io = (struct storvsp_io){
            .op = STORVSP_IO_UNMAP, .lba = lba, .count = (uint32_t)count};
        return CMD_PENDING;
    }
    r->lba = lba;
    r->left = count;
    r->step = write_same_step;
    return write_same_step(r);
}

/* Next UNMAP descriptor with blocks, or CMD_DONE. */
static int unmap_step(struct sreq *r)
{
    while (r->desc < r->ndesc) {
        const uint8_t *d = r->param + 8 + 16 * r->desc++;
        uint32_t n = (uint32_t)scsi_get(d + 8, 4);
        if (n == 0)
            continue;
        r->io = (struct storvsp_io){
            .op = STORVSP_IO_UNMAP, .lba = scsi_get(d, 8), .count = n};
        return CMD_PENDING;
    }
    return CMD_DONE;
}

static int cmd_unmap(struct sreq *r)
{
    const struct scsi_cdb_unmap *c = (const void *)cdb(r);
    uint32_t plen = (uint32_t)scsi_get(c->param_len, 2);
    if (!disk_of(r)->ops->unmap) {
        check(r, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ASC_INVALID_COMMAND_OPCODE);
        return CMD_DONE;
    }
    if (plen == 0)
        return CMD_DONE;
    if (plen < 8 || plen > r->buf_len) {
        check(r, SCSI_SENSE_ILLEGAL_REQUEST,
              SCSI_ASC_PARAMETER_LIST_LENGTH_ERROR);
        return CMD_DONE;
    }
    uint32_t n =
        copy_in(r, r->param, plen < sizeof(r->param) ? plen : sizeof(r->param));
    uint32_t dlen = (uint32_t)scsi_get(r->param + 2, 2);
    if (dlen % 16 || dlen / 16 > MAX_UNMAP_DESC || 8 + dlen > n) {
        check(r, SCSI_SENSE_ILLEGAL_REQUEST,
              SCSI_ASC_INVALID_FIELD_IN_PARAMETER_LIST);
        return CMD_DONE;
    }
    r->ndesc = dlen / 16;
    for (uint32_t i = 0; i < r->ndesc; i++) {
        const uint8_t *d = r->param + 8 + 16 * i;
        if (!range_ok(r, scsi_get(d, 8), scsi_get(d + 8, 4)))
            return CMD_DONE;
    }
    r->xfer = 0;
    r->desc = 0;
    r->step = unmap_step;
    return unmap_step(r);
}

static uint32_t mode_pages(struct sreq *r, uint8_t page, uint8_t pc,
                           uint8_t *out)
{
    uint32_t n = 0;
    if (page == SCSI_MODE_PAGE_CACHING || page == SCSI_MODE_PAGE_ALL) {
        struct scsi_mode_caching *m = (struct scsi_mode_caching *)(out + n);
        memset(m, 0, sizeof(*m));
        m->page = SCSI_MODE_PAGE_CACHING;
        m->length = sizeof(*m) - 2;
        if (pc != 1 && disk_of(r)->ops->flush) /* changeable: none */
            m->flags = SCSI_CACHING_WCE;
        n += sizeof(*m);
    }
    if (page == SCSI_MODE_PAGE_CONTROL || page == SCSI_MODE_PAGE_ALL) {
        struct scsi_mode_control *m = (struct scsi_mode_control *)(out + n);
        memset(m, 0, sizeof(*m));
        m->page = SCSI_MODE_PAGE_CONTROL;
        m->length = sizeof(*m) - 2;
        n += sizeof(*m);
    }
    return n;
}

static int cmd_mode_sense(struct sreq *r)
{
    const uint8_t *c = cdb(r);
    int ten = c[0] == SCSI_MODE_SENSE_10;
    uint8_t pc = (uint8_t)(c[2] >> 6), page = c[2] & SCSI_MODE_PAGE_MASK;
    uint8_t out[128];
    uint32_t alloc = ten ? (uint32_t)scsi_get(c + 7, 2) : c[4];
    uint32_t hl = ten ? sizeof(struct scsi_mode_header10)
                      : sizeof(struct scsi_mode_header6);
    uint32_t bd = (c[1] & SCSI_MODE_SENSE_DBD) ? 0 : 8;
    if (pc == 3) {
        check(r, SCSI_SENSE_ILLEGAL_REQUEST,
              SCSI_ASC_SAVING_PARAMETERS_NOT_SUPPORTED);
        return CMD_DONE;
    }
    if ((page != SCSI_MODE_PAGE_CACHING && page != SCSI_MODE_PAGE_CONTROL &&
         page != SCSI_MODE_PAGE_ALL) ||
        (c[3] != 0 && !(page == SCSI_MODE_PAGE_ALL && c[3] == 0xFF))) {
        check(r, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ASC_INVALID_FIELD_IN_CDB);
        return CMD_DONE;
    }
    memset(out, 0, sizeof(out));
    if (bd) {
        struct scsi_block_desc *b = (struct scsi_block_desc *)(out + hl);
        uint64_t n = disk_of(r)->sectors;
        scsi_put(b->blocks, 4, n > 0xFFFFFFFFu ? 0xFFFFFFFFu : n);
        scsi_put(b->block_size, 3, STORVSP_SECTOR);
    }
    uint32_t total = hl + bd + mode_pages(r, page, pc, out + hl + bd);
    if (ten) {
        struct scsi_mode_header10 *h = (struct scsi_mode_header10 *)out;
        scsi_put(h->length, 2, total - 2);
        h->dev_specific = SCSI_MODE_DPOFUA;
        scsi_put(h->bd_length, 2, bd);
    } else {
        struct scsi_mode_header6 *h = (struct scsi_mode_header6 *)out;
        h->length = (uint8_t)(total - 1);
        h->dev_specific = SCSI_MODE_DPOFUA;
        h->bd_length = (uint8_t)bd;
    }
    copy_out(r, out, total < alloc ? total : alloc);
    return CMD_DONE;
}

static int cmd_report_luns(struct sreq *r)
{
    const struct scsi_cdb_report_luns *c = (const void *)cdb(r);
    uint8_t out[8 + 8 * STORVSP_MAX_LUNS];
    uint32_t alloc = (uint32_t)scsi_get(c->alloc, 4), n = 0;
    if (alloc < 16) {
        check(r, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ASC_INVALID_FIELD_IN_CDB);
        return CMD_DONE;
    }
    memset(out, 0, sizeof(out));
    for (uint32_t i = 0; i < STORVSP_MAX_LUNS; i++)
        if (r->s->disks[i].present)
            out[8 + 8 * n++ + 1] = (uint8_t)i; /* peripheral addressing */
    scsi_put(out, 4, 8 * n);
    uint32_t total = 8 + 8 * n;
    copy_out(r, out, total < alloc ? total : alloc);
    return CMD_DONE;
}

struct scsi_cmd {
    uint8_t min_cdb; /* bytes the CDB must have */
    uint8_t any_lun; /* answered without a disk at the LUN */
    int (*fn)(struct sreq *r);
};

/* Dispatch by operation code; an empty slot is an unknown command. */
static const struct scsi_cmd scsi_cmds[256] = {
    [SCSI_TEST_UNIT_READY] = {6, 0, cmd_ok},
    [SCSI_REQUEST_SENSE] = {6, 0, cmd_request_sense},
    [SCSI_READ_6] = {6, 0, cmd_rw},
    [SCSI_WRITE_6] = {6, 0, cmd_rw},
    [SCSI_INQUIRY] = {6, 0, cmd_inquiry},
    [SCSI_MODE_SENSE_6] = {6, 0, cmd_mode_sense},
    [SCSI_START_STOP_UNIT] = {6, 0, cmd_ok},
    [SCSI_PREVENT_ALLOW_MEDIUM_REMOVAL] = {6, 0, cmd_ok},
    [SCSI_READ_CAPACITY_10] = {10, 0, cmd_read_capacity10},
    [SCSI_READ_10] = {10, 0, cmd_rw},
    [SCSI_WRITE_10] = {10, 0, cmd_rw},
    [SCSI_SYNCHRONIZE_CACHE_10] = {10, 0, cmd_sync_cache},
    [SCSI_WRITE_SAME_10] = {10, 0, cmd_write_same},
    [SCSI_UNMAP] = {10, 0, cmd_unmap},
    [SCSI_MODE_SENSE_10] = {10, 0, cmd_mode_sense},
    [SCSI_READ_16] = {16, 0, cmd_rw},
    [SCSI_WRITE_16] = {16, 0, cmd_rw},
    [SCSI_SYNCHRONIZE_CACHE_16] = {16, 0, cmd_sync_cache},
    [SCSI_WRITE_SAME_16] = {16, 0, cmd_write_same},
    [SCSI_SERVICE_ACTION_IN_16] = {16, 0, cmd_service_action_in},
    [SCSI_REPORT_LUNS] = {12, 1, cmd_report_luns},
    [SCSI_READ_12] = {12, 0, cmd_rw},
    [SCSI_WRITE_12] = {12, 0, cmd_rw},
};

/*
 * A LUN (or a whole target) without a disk, as a SCSI target answers: an
 * INQUIRY gets standard data with peripheral qualifier 3 ("not
 * connected"), a REPORT LUNS on another target an empty list.  Linux's
 * storvsc turns every INQUIRY completion into success and decides by that
 * byte, so the data must be there; an empty LUN list ends its scan of the
 * target at once.
 */
static void answer_absent(struct sreq *r)
{
    const uint8_t *c = r->pkt.u.srb.u.cdb;
    uint8_t out[36] = {0};
    uint32_t alloc, len;
    if (c[0] == SCSI_INQUIRY) {
        out[0] = SCSI_TYPE_NO_LUN;
        out[4] = sizeof(out) - 5; /* additional length */
        alloc = (uint32_t)scsi_get(c + 3, 2);
        len = sizeof(out);
    } else {
        alloc = (uint32_t)scsi_get(c + 6, 4);
        len = 8; /* LUN list length 0 */
    }
    r->lun = STORVSP_MAX_LUNS;
    copy_out(r, out, alloc < len ? alloc : len);
    good(r);
}

/* Runs an EXECUTE_SRB request.  The reply is sent now or after its I/O. */
static void execute_srb(struct storvsp *s, struct sreq *r, const uint8_t *buf,
                        const struct ring_pkt_info *info)
{
    struct vstor_srb *srb = &r->pkt.u.srb;
    uint32_t want = srb->data_transfer_length;
    s->st.srbs++;
    r->xfer = 0;
    r->buf_len = 0;
    r->nsegs = 0;
    srb->data_transfer_length = 0;
    if (srb->cdb_length == 0 || srb->cdb_length > VSTOR_CDB_MAX) {
        srb->srb_status = VSTOR_SRB_STATUS_INVALID_REQUEST;
        finish(r);
        return;
    }
    if (info->type == VMBUS_PKT_DATA_GPA_DIRECT && want &&
        map_data(s, r, buf, info, want)) {
        s->st.bad_packets++;
        srb->srb_status = VSTOR_SRB_STATUS_INVALID_REQUEST;
        finish(r);
        return;
    }
    const struct scsi_cmd *cmd = &scsi_cmds[srb->u.cdb[0]];
    int lun_ok = srb->path_id == 0 && srb->target_id == 0 &&
                 srb->lun < STORVSP_MAX_LUNS && s->disks[srb->lun].present;
    int this_target = srb->path_id == 0 && srb->target_id == 0;
    if (!lun_ok && (srb->u.cdb[0] == SCSI_INQUIRY ||
                    (srb->u.cdb[0] == SCSI_REPORT_LUNS && !this_target))) {
        answer_absent(r);
        finish(r);
        return;
    }
    if (!lun_ok &&
        !(cmd->any_lun && srb->path_id == 0 && srb->target_id == 0)) {
        srb->srb_status = VSTOR_SRB_STATUS_INVALID_LUN;
        srb->scsi_status = SCSI_STATUS_GOOD;
        finish(r);
        return;
    }
    r->lun = srb->lun < STORVSP_MAX_LUNS ? srb->lun : 0;
    if (lun_ok)
        s->disks[r->lun].busy++;
    else
        r->lun = STORVSP_MAX_LUNS; /* release() counts nothing */
    if (!cmd->fn) {
        check(r, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ASC_INVALID_COMMAND_OPCODE);
        finish(r);
        return;
    }
    if (srb->cdb_length < cmd->min_cdb) {
        check(r, SCSI_SENSE_ILLEGAL_REQUEST, SCSI_ASC_INVALID_FIELD_IN_CDB);
        finish(r);
        return;
    }
    srb->srb_status = 0;
    int rc = cmd->fn(r);
    if (rc == CMD_PENDING) {
        run(r);
        return;
    }
    if (srb->srb_status == 0)
        good(r);
    finish(r);
}

/* --- the channel
 * --------------------------------------------------------------- */

/* Live sub-channels. */
static uint16_t count_subs(const struct storvsp *s)
{
    uint16_t n = 0;
    for (uint32_t i = 0; i < STORVSP_MAX_SUBCHANNELS; i++)
        n += s->subs[i] != NULL;
    return n;
}

/*
 * CREATE_SUB_CHANNELS, as OpenVMM's storvsp takes it: on the primary, from
 * VSTOR 5.1, after QUERY_PROPERTIES (before or after END_INITIALIZATION),
 * once per handshake, for 1 to max_sub_channels.  Sub-channels left
 * from an earlier handshake on this connection count towards the number
 * asked for; only the missing ones are offered.  (The ring counts in 8
 * bytes: any packet past handle()'s 12-byte check holds the count.)
 */
static uint32_t create_subs(struct storvsp *s, const struct vstor_packet *p)
{
    struct vmbus_server_channel *made[STORVSP_MAX_SUBCHANNELS];
    if (!s->props_done || s->subs_asked || !s->max_subs ||
        s->st.version < VSTOR_VERSION_WIN8)
        return VSTOR_STATUS_INVALID_DEVICE_STATE;
    uint16_t want = p->u.sub_channel_count, have = count_subs(s);
    if (want == 0 || want > s->max_subs)
        return VSTOR_STATUS_INVALID_PARAMETER;
    if (want > have) {
        uint16_t n = (uint16_t)(want - have);
        if (vmbus_server_offer_subchannels(s->srv, s->ch, n, made))
            return VSTOR_STATUS_UNSUCCESSFUL;
        for (uint32_t i = 0, k = 0; i < STORVSP_MAX_SUBCHANNELS && k < n; i++)
            if (!s->subs[i])
                s->subs[i] = made[k++];
    }
    s->subs_asked = 1;
    s->st.subchannels = want > have ? want : have;
    return VSTOR_STATUS_SUCCESS;
}

static void handle(struct storvsp *s, struct vmbus_server_channel *ch,
                   const uint8_t *buf, const struct ring_pkt_info *info)
{
    uint32_t plen = info->len - info->offset;
    s->st.packets++;
    if ((info->type != VMBUS_PKT_DATA_INBAND &&
         info->type != VMBUS_PKT_DATA_GPA_DIRECT) ||
        plen < 12) {
        s->st.bad_packets++;
        return;
    }
    struct sreq *r = s->free;
    s->free = r->next;
    r->state = RQ_BUSY;
    r->step = NULL;
    r->lun = STORVSP_MAX_LUNS;
    s->st.in_flight++;
    if (s->st.in_flight > s->st.max_in_flight)
        s->st.max_in_flight = s->st.in_flight;
    memset(&r->pkt, 0, sizeof(r->pkt));
    memcpy(&r->pkt, buf + info->offset,
           plen < sizeof(r->pkt) ? plen : sizeof(r->pkt));
    r->trans_id = info->trans_id;
    r->reply = (info->flags & VMBUS_PKT_FLAG_COMPLETION_REQUESTED) != 0;
    r->ch = ch;
    struct vstor_packet *p = &r->pkt;
    uint32_t op = p->operation;
    p->status = VSTOR_STATUS_SUCCESS;
    if (ch != s->ch && op != VSTOR_OP_EXECUTE_SRB && op != VSTOR_OP_RESET_LUN &&
        op != VSTOR_OP_RESET_BUS && op != VSTOR_OP_RESET_ADAPTER) {
        /* the handshake belongs to the primary */
        s->st.bad_packets++;
        p->status = VSTOR_STATUS_INVALID_DEVICE_STATE;
        finish(r);
        return;
    }
    switch (op) {
    case VSTOR_OP_BEGIN_INITIALIZATION:
        s->st.ready = false;
        s->props_done = 0;
        s->subs_asked = 0;
        break;
    case VSTOR_OP_QUERY_PROTOCOL_VERSION: {
        uint16_t v = p->u.version.major_minor;
        uint16_t max = s->cfg.max_version;
        p->status = VSTOR_STATUS_REVISION_MISMATCH;
        for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++)
            if (versions[i] == v && v <= max) {
                s->st.version = v;
                p->status = VSTOR_STATUS_SUCCESS;
            }
        break;
    }
    case VSTOR_OP_QUERY_PROPERTIES:
        memset(&p->u, 0, sizeof(p->u));
        p->u.props.max_transfer_bytes = s->cfg.max_transfer_bytes;
        /* Multi-channel from Win8 (5.1), as OpenVMM and Hyper-V offer it. */
        if (s->st.version >= VSTOR_VERSION_WIN8 && s->max_subs) {
            p->u.props.max_sub_channels = s->max_subs;
            p->u.props.flags = VSTOR_PROP_MULTI_CHANNEL;
        }
        s->props_done = s->st.version != 0;
        break;
    case VSTOR_OP_CREATE_SUB_CHANNELS:
        p->status = create_subs(s, p);
        break;
    case VSTOR_OP_END_INITIALIZATION:
        if (s->st.version)
            s->st.ready = true;
        else
            p->status = VSTOR_STATUS_INVALID_DEVICE_STATE;
        break;
    case VSTOR_OP_EXECUTE_SRB:
        if (!s->st.ready || plen < VSTOR_PACKET_SIZE_PRE_WIN8) {
            if (s->st.ready)
                s->st.bad_packets++;
            p->status = s->st.ready ? VSTOR_STATUS_INVALID_PARAMETER
                                    : VSTOR_STATUS_INVALID_DEVICE_STATE;
            break;
        }
        execute_srb(s, r, buf, info);
        return;
    case VSTOR_OP_RESET_LUN:
    case VSTOR_OP_RESET_BUS:
    case VSTOR_OP_RESET_ADAPTER:
        break; /* nothing is queued here that a reset would cancel */
    default:
        s->st.bad_packets++;
        p->status = VSTOR_STATUS_INVALID_DEVICE_REQUEST;
        break;
    }
    finish(r);
}

/* Channel k (0: the primary, k: sub-channel k-1) if open, else NULL. */
static struct vmbus_server_channel *open_chan(struct storvsp *s, uint32_t k)
{
    struct vmbus_server_channel *ch = k ? s->subs[k - 1] : s->ch;
    if (!ch || !(k ? vmbus_server_chan_is_open(ch) : s->open))
        return NULL;
    return ch;
}

/*
 * While requests are in service, or the guest has replies it has not read
 * yet, the guest's rings are masked: it adds requests without signalling,
 * and the VMBus server hands them to us on its next poll, after the
 * child's next exit (which a child waiting for its replies takes anyway:
 * it halts).  Otherwise the masks are cleared, so the next request
 * signals; requests that came before the guest saw a mask cleared are
 * read at once.
 */
static void poll_or_signal(struct storvsp *s)
{
    bool busy = s->st.in_flight != 0;
    for (uint32_t k = 0; !busy && k <= STORVSP_MAX_SUBCHANNELS; k++)
        if (open_chan(s, k) && vmbus_server_chan_unread(open_chan(s, k)))
            busy = true;
    if (!busy && !s->masked)
        return;
    for (uint32_t k = 0; k <= STORVSP_MAX_SUBCHANNELS; k++) {
        struct vmbus_server_channel *ch = open_chan(s, k);
        if (!ch)
            continue;
        if (busy)
            vmbus_server_chan_mask(ch);
        else if (vmbus_server_chan_unmask(ch))
            s->again = 1;
    }
    s->masked = busy;
}

static void process(struct storvsp *s)
{
    if (s->busy) {
        s->again = 1;
        return;
    }
    s->busy = 1;
    do {
        s->again = 0;
        flush_held(s);
        s->stalled = 0;
        /* The primary, then each open sub-channel, until it is empty. */
        for (uint32_t k = 0; k <= STORVSP_MAX_SUBCHANNELS; k++) {
            struct vmbus_server_channel *ch = open_chan(s, k);
            if (!ch)
                continue;
            while (!s->held) {
                struct ring_pkt_info info;
                if (!s->free) {
                    s->stalled = 1;
                    break;
                }
                int rc =
                    vmbus_server_chan_recv(ch, s->rx, sizeof(s->rx), &info);
                if (rc == -EMSGSIZE) {
                    /* larger than any valid request: read it out and drop it */
                    uint8_t *big = vmbus_server_alloc(s->srv, info.len);
                    s->st.bad_packets++;
                    if (!big ||
                        vmbus_server_chan_recv(ch, big, info.len, &info) < 0) {
                        vmbus_server_free(s->srv, big);
                        break;
                    }
                    vmbus_server_free(s->srv, big);
                    continue;
                }
                if (rc < 0) {
                    if (rc != -EAGAIN)
                        s->st.bad_packets++;
                    break;
                }
                handle(s, ch, s->rx, &info);
            }
        }
        poll_or_signal(s);
    } while (s->again);
    s->busy = 0;
}

static uint32_t ch_open(struct vmbus_server_channel *ch, void *ctx,
                        const uint8_t *user_data)
{
    struct storvsp *s = ctx;
    (void)user_data;
    if (vmbus_server_chan_sub_index(ch))
        return 0; /* serves requests once the primary's handshake is done */
    s->ch = ch;
    s->open = 1;
    s->st.version = 0;
    s->st.ready = false;
    s->props_done = 0;
    s->subs_asked = 0;
    return 0;
}

static void ch_close(struct vmbus_server_channel *ch, void *ctx)
{
    struct storvsp *s = ctx;
    if (ch == s->ch) {
        s->open = 0;
        s->st.ready = false;
        s->st.version = 0;
    }
    /* replies for this channel can no longer go anywhere */
    for (uint32_t i = 0; i < s->cfg.queue_depth; i++)
        if (s->reqs[i].state == RQ_BUSY && s->reqs[i].ch == ch)
            s->reqs[i].ch = NULL;
    struct sreq **pp = &s->held;
    s->held_tail = NULL;
    while (*pp) {
        struct sreq *r = *pp;
        if (r->ch) {
            s->held_tail = r;
            pp = &r->next;
            continue;
        }
        *pp = r->next;
        release(r);
    }
}

static void ch_rescinded(struct vmbus_server_channel *ch, void *ctx)
{
    struct storvsp *s = ctx;
    for (uint32_t i = 0; i < STORVSP_MAX_SUBCHANNELS; i++)
        if (s->subs[i] == ch)
            s->subs[i] = NULL;
    s->st.subchannels = count_subs(s);
}

static void ch_packet(struct vmbus_server_channel *ch, void *ctx)
{
    (void)ch;
    process(ctx);
}

static const struct vmbus_server_device_ops storvsp_dev_ops = {
    .open = ch_open,
    .close = ch_close,
    .packet = ch_packet,
    .rescinded = ch_rescinded,
};

struct storvsp *storvsp_create(struct vmbus_server *srv,
                               const struct storvsp_config *cfg)
{
    struct storvsp *s = vmbus_server_alloc(srv, sizeof(*s));
    if (!s)
        return NULL;
    s->srv = srv;
    if (cfg)
        s->cfg = *cfg;
    if (!s->cfg.max_transfer_bytes)
        s->cfg.max_transfer_bytes = STORVSP_MAX_TRANSFER;
    if (!s->cfg.queue_depth)
        s->cfg.queue_depth = STORVSP_QUEUE_DEPTH;
    if (!s->cfg.max_version)
        s->cfg.max_version = VSTOR_VERSION_WIN10;
    s->max_subs = s->cfg.max_subchannels < 0 ? 0
                  : s->cfg.max_subchannels   ? (uint16_t)s->cfg.max_subchannels
                                             : STORVSP_MAX_SUBCHANNELS;
    if (s->cfg.max_transfer_bytes > STORVSP_MAX_TRANSFER ||
        s->cfg.max_transfer_bytes % STORVSP_SECTOR ||
        s->cfg.queue_depth > 4096 ||
        s->cfg.max_subchannels > (int32_t)STORVSP_MAX_SUBCHANNELS)
        goto fail;
    s->reqs = vmbus_server_alloc(srv, sizeof(*s->reqs) * s->cfg.queue_depth);
    if (!s->reqs)
        goto fail;
    for (uint32_t i = 0; i < s->cfg.queue_depth; i++) {
        s->reqs[i].s = s;
        s->reqs[i].next = s->free;
        s->free = &s->reqs[i];
    }
    struct vmbus_server_device dev = {
        .name = "storvsp",
        .class_id = VMBUS_CLASS_SCSI,
        .instance_id = s->cfg.instance,
        .ops = &storvsp_dev_ops,
        .ctx = s,
    };
    static const struct vmbus_guid zero;
    if (!memcmp(&dev.instance_id, &zero, sizeof(zero)))
        dev.instance_id = (struct vmbus_guid)VMBUS_GUID_INIT(
            0x656e6c69, 0x6768, 0x7473, 0x746f, 0x720000000000ull);
    if (vmbus_server_add_device(srv, &dev, &s->ch))
        goto fail;
    return s;
fail:
    vmbus_server_free(srv, s->reqs);
    vmbus_server_free(srv, s);
    return NULL;
}

void storvsp_destroy(struct storvsp *s)
{
    if (!s)
        return;
    if (s->ch)
        (void)vmbus_server_rescind(s->srv, s->ch);
    vmbus_server_free(s->srv, s->reqs);
    vmbus_server_free(s->srv, s);
}

static void rescan(struct storvsp *s)
{
    struct vstor_packet p;
    if (!s->open || !s->st.ready)
        return;
    memset(&p, 0, sizeof(p));
    p.operation = VSTOR_OP_ENUMERATE_BUS;
    (void)vmbus_server_chan_send(s->ch, VMBUS_PKT_DATA_INBAND, 0, 0, &p,
                                 reply_len(s));
}

int storvsp_add_disk(struct storvsp *s, uint8_t lun,
                     const struct storvsp_backend_ops *ops, void *ctx,
                     const char *serial)
{
    if (lun >= STORVSP_MAX_LUNS || !ops || !ops->read || !ops->write ||
        !ops->capacity)
        return -EINVAL;
    struct disk *d = &s->disks[lun];
    if (d->present)
        return -EEXIST;
    uint64_t n = ops->capacity(ctx);
    if (n == 0)
        return -EINVAL;
    memset(d, 0, sizeof(*d));
    d->ops = ops;
    d->ctx = ctx;
    d->sectors = n;
    if (serial) {
        size_t l = strlen(serial);
        memcpy(d->serial, serial, l < 20 ? l : 20);
    } else {
        memcpy(d->serial, "ENLIGHT-0", 9);
        d->serial[8] = (char)('0' + lun);
    }
    d->present = 1;
    rescan(s);
    return 0;
}

int storvsp_remove_disk(struct storvsp *s, uint8_t lun)
{
    if (lun >= STORVSP_MAX_LUNS || !s->disks[lun].present)
        return -ENOENT;
    if (s->disks[lun].busy)
        return -EBUSY;
    s->disks[lun].present = 0;
    rescan(s);
    return 0;
}

void storvsp_poll(struct storvsp *s)
{
    process(s);
}

const struct storvsp_stats *storvsp_get_stats(const struct storvsp *s)
{
    return &s->st;
}

/* --- RAM disk
 * -------------------------------------------------------------------- */

static int mem_rw(void *ctx, struct storvsp_io *io)
{
    struct storvsp_mem *m = ctx;
    if (m->fail_next) {
        m->fail_next = 0;
        storvsp_io_done(io, -EIO);
        return 0;
    }
    uint8_t *p = m->data + io->lba * STORVSP_SECTOR;
    for (uint32_t i = 0; i < io->nsegs; i++) {
        if (io->op == STORVSP_IO_READ)
            memcpy(io->segs[i].p, p, io->segs[i].len);
        else
            memcpy(p, io->segs[i].p, io->segs[i].len);
        p += io->segs[i].len;
    }
    storvsp_io_done(io, 0);
    return 0;
}

static int mem_flush(void *ctx, struct storvsp_io *io)
{
    struct storvsp_mem *m = ctx;
    m->flushes++;
    storvsp_io_done(io, 0);
    return 0;
}

static int mem_unmap(void *ctx, struct storvsp_io *io)
{
    struct storvsp_mem *m = ctx;
    m->unmaps++;
    memset(m->data + io->lba * STORVSP_SECTOR, 0,
           (size_t)io->count * STORVSP_SECTOR);
    storvsp_io_done(io, 0);
    return 0;
}

static uint64_t mem_capacity(void *ctx)
{
    return ((struct storvsp_mem *)ctx)->sectors;
}

const struct storvsp_backend_ops storvsp_mem_ops = {
    .read = mem_rw,
    .write = mem_rw,
    .flush = mem_flush,
    .unmap = mem_unmap,
    .capacity = mem_capacity,
};
