/*
 * storvsc: VSTOR client and the block backend on top of it.
 *
 * The request table is the heart of it: a host reply is matched to its
 * request only through the transaction id (slot index + generation), and
 * only once; everything else in a reply is bounds-checked before use.
 */
#include "vsc/storvsc/storvsc.h"

#include "proto/scsi.h"
#include "proto/vstor.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_PFNS (STORVSC_MAX_TRANSFER / 4096u + 1u)
#define MAX_DISKS 8u

enum { SLOT_FREE, SLOT_BUSY, SLOT_ZOMBIE };
enum { KIND_CMD, KIND_INTERNAL, KIND_RESET };

struct slot {
    uint16_t gen;
    uint8_t state, kind;
    uint8_t reply_ready;
    uint8_t chan; /* sent on: 0 the primary, k subs[k - 1] */
    struct storvsc_cmd *cmd;
    uint64_t deadline;
    void *bounce;
    uint32_t bounce_pages;
    struct vstor_packet reply; /* internal requests */
    uint32_t reply_len;
};

struct storvsc {
    struct vmbus *vb;
    struct vmbus_driver drv;
    struct vmbus_channel *ch;
    /* Open sub-channels (NULL: none in that place) and the next channel
     * a command goes to (round-robin over the primary and these). */
    struct vmbus_channel *subs[STORVSC_MAX_CHANNELS - 1];
    uint32_t next_chan;
    struct storvsc_config cfg;
    uint16_t version;
    uint32_t max_transfer;
    uint8_t started, reset_pending, rescan;
    uint32_t hint;
    /* No command can time out before this: storvsc_poll() skips its scan
     * of the whole table (a page walk per few slots after each wait). */
    uint64_t poll_after;
    struct storvsc_disk *disks[MAX_DISKS];
    struct slot slots[STORVSC_MAX_INFLIGHT];
    uint8_t rx[256];
    struct storvsc_stats st;
};

static const uint16_t versions[] = {VSTOR_VERSION_WIN10, VSTOR_VERSION_WIN81,
                                    VSTOR_VERSION_WIN8, VSTOR_VERSION_WIN7,
                                    VSTOR_VERSION_WIN6};

static void kick_all(struct storvsc *s);

static void logf_(struct storvsc *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void logf_(struct storvsc *s, const char *fmt, ...)
{
    char line[160];
    va_list ap;
    if (!s->cfg.plat.log)
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    s->cfg.plat.log(s->cfg.plat.ctx, line);
}

static uint64_t now(struct storvsc *s)
{
    return s->cfg.plat.now_ns(s->cfg.plat.ctx);
}

/* --- slots -------------------------------------------------------------- */

static int slot_alloc(struct storvsc *s, uint8_t kind)
{
    for (uint32_t k = 0; k < STORVSC_MAX_INFLIGHT; k++) {
        uint32_t i = (s->hint + k) % STORVSC_MAX_INFLIGHT;
        struct slot *sl = &s->slots[i];
        if (sl->state != SLOT_FREE)
            continue;
        sl->state = SLOT_BUSY;
        sl->kind = kind;
        sl->gen++;
        sl->reply_ready = 0;
        sl->chan = 0;
        sl->cmd = NULL;
        sl->deadline = now(s) + s->cfg.timeout_ns;
        if (kind == KIND_CMD && sl->deadline < s->poll_after)
            s->poll_after = sl->deadline;
        s->hint = (i + 1) % STORVSC_MAX_INFLIGHT;
        if (++s->st.in_flight > s->st.max_in_flight)
            s->st.max_in_flight = s->st.in_flight;
        return (int)i;
    }
    return -EAGAIN;
}

static void slot_free(struct storvsc *s, uint32_t i)
{
    struct slot *sl = &s->slots[i];
    if (sl->bounce)
        s->cfg.plat.free_pages(s->cfg.plat.ctx, sl->bounce, sl->bounce_pages);
    sl->bounce = NULL;
    sl->bounce_pages = 0;
    sl->cmd = NULL;
    sl->state = SLOT_FREE;
    s->st.in_flight--;
}

static uint64_t trans_id(const struct storvsc *s, uint32_t i)
{
    return (uint64_t)s->slots[i].gen << 16 | (i + 1);
}

/* The slot a host transaction id names, or -1. */
static int slot_of(const struct storvsc *s, uint64_t id)
{
    uint64_t idx = (id & 0xFFFF) - 1;
    if (id >> 32 || (id & 0xFFFF) == 0 || idx >= STORVSC_MAX_INFLIGHT)
        return -1;
    const struct slot *sl = &s->slots[idx];
    if (sl->state == SLOT_FREE || sl->gen != (uint16_t)(id >> 16))
        return -1;
    return (int)idx;
}

/* --- sending ----------------------------------------------------------------
 */

static uint32_t pkt_len(const struct storvsc *s)
{
    return s->version ? VSTOR_PACKET_SIZE_FOR(s->version)
                      : VSTOR_PACKET_SIZE_PRE_WIN8;
}

static struct vmbus_channel *chan_at(const struct storvsc *s, uint32_t k)
{
    return k ? s->subs[k - 1] : s->ch;
}

/*
 * Queues p for slot i in the ring of the slot's channel, with len bytes at
 * buf (physically contiguous); the host sees it after flush_rings().
 */
static int put_pkt(struct storvsc *s, uint32_t i, const struct vstor_packet *p,
                   const void *buf, uint32_t len)
{
    uint64_t id = trans_id(s, i);
    struct vmbus_channel *ch = chan_at(s, s->slots[i].chan);
    if (!len)
        return vmbus_chan_put(ch, VMBUS_PKT_DATA_INBAND,
                              VMBUS_PKT_FLAG_COMPLETION_REQUESTED, id, p,
                              pkt_len(s));
    uint64_t pfns[MAX_PFNS];
    uint64_t pa = s->cfg.plat.virt_to_phys(s->cfg.plat.ctx, buf);
    uint32_t off = (uint32_t)(pa & 4095), n = (off + len + 4095) / 4096;
    if (n > MAX_PFNS)
        return -EINVAL;
    for (uint32_t k = 0; k < n; k++)
        pfns[k] = (pa >> 12) + k;
    struct vmbus_chan_range range = {len, off, pfns};
    return vmbus_chan_put_gpa(
        ch, &range, 1, VMBUS_PKT_FLAG_COMPLETION_REQUESTED, id, p, pkt_len(s));
}

/* Publishes what put_pkt() queued: at most one signal per channel.  The
 * ring knows what it holds unpublished; one with nothing new costs no
 * signal and no access to shared memory. */
static void flush_rings(struct storvsc *s)
{
    for (uint32_t k = 0; k < STORVSC_MAX_CHANNELS; k++)
        if (chan_at(s, k))
            (void)vmbus_chan_flush(chan_at(s, k));
}

static int send_pkt(struct storvsc *s, uint32_t i, const struct vstor_packet *p,
                    const void *buf, uint32_t len)
{
    int r = put_pkt(s, i, p, buf, len);
    flush_rings(s);
    return r;
}

/* A request of the handshake (or a reset); waits for its reply. */
static int internal(struct storvsc *s, uint32_t op, struct vstor_packet *p)
{
    int i = slot_alloc(s, KIND_INTERNAL);
    if (i < 0)
        return -EBUSY;
    p->operation = op;
    p->flags = VSTOR_FLAG_REQUEST_COMPLETION;
    p->status = 0;
    int r = send_pkt(s, (uint32_t)i, p, NULL, 0);
    if (r) {
        slot_free(s, (uint32_t)i);
        return r;
    }
    struct slot *sl = &s->slots[i];
    while (!sl->reply_ready) {
        if (now(s) >= sl->deadline) {
            sl->state = SLOT_ZOMBIE;
            s->st.timeouts++;
            return -ETIMEDOUT;
        }
        s->cfg.plat.wait(s->cfg.plat.ctx, sl->deadline);
    }
    *p = sl->reply;
    uint32_t got = sl->reply_len;
    slot_free(s, (uint32_t)i);
    if (got < 12 || p->operation != VSTOR_OP_COMPLETE_IO) {
        s->st.bad_replies++;
        return -EIO;
    }
    return 0;
}

static void send_reset(struct storvsc *s)
{
    struct vstor_packet p;
    if (s->reset_pending)
        return;
    int i = slot_alloc(s, KIND_RESET);
    if (i < 0)
        return;
    memset(&p, 0, sizeof(p));
    p.operation = VSTOR_OP_RESET_BUS;
    p.flags = VSTOR_FLAG_REQUEST_COMPLETION;
    if (send_pkt(s, (uint32_t)i, &p, NULL, 0)) {
        slot_free(s, (uint32_t)i);
        return;
    }
    s->reset_pending = 1;
    s->st.resets++;
    logf_(s, "storvsc: command timed out, bus reset sent");
}

/* --- receiving ---------------------------------------------------------------
 */

static int srb_errno(uint8_t srb_status, uint8_t scsi_status)
{
    switch (VSTOR_SRB_STATUS_CODE(srb_status)) {
    case VSTOR_SRB_STATUS_SUCCESS:
    case VSTOR_SRB_STATUS_DATA_OVERRUN: /* short transfer: see transferred */
    case VSTOR_SRB_STATUS_ERROR:
        break;
    case VSTOR_SRB_STATUS_INVALID_LUN:
    case VSTOR_SRB_STATUS_INVALID_TARGET_ID:
    case VSTOR_SRB_STATUS_NO_DEVICE:
    case VSTOR_SRB_STATUS_SELECTION_TIMEOUT:
    case VSTOR_SRB_STATUS_INVALID_PATH_ID:
        return -ENODEV;
    case VSTOR_SRB_STATUS_BUSY:
        return -EBUSY;
    case VSTOR_SRB_STATUS_ABORTED:
    case VSTOR_SRB_STATUS_BUS_RESET:
    case VSTOR_SRB_STATUS_REQUEST_FLUSHED:
        return -ECANCELED;
    case VSTOR_SRB_STATUS_INVALID_REQUEST:
        return -EINVAL;
    case VSTOR_SRB_STATUS_TIMEOUT:
        return -ETIMEDOUT;
    default:
        return -EIO;
    }
    switch (scsi_status) {
    case SCSI_STATUS_GOOD:
    case SCSI_STATUS_CONDITION_MET:
        return VSTOR_SRB_STATUS_CODE(srb_status) == VSTOR_SRB_STATUS_ERROR
                   ? -EIO
                   : 0;
    case SCSI_STATUS_BUSY:
    case SCSI_STATUS_TASK_SET_FULL:
        return -EBUSY;
    default:
        return -EIO;
    }
}

static void complete_cmd(struct storvsc *s, struct storvsc_cmd *c, int status)
{
    c->status = status;
    s->st.completions++;
    __atomic_store_n(&c->complete, 1, __ATOMIC_RELEASE);
    if (c->done)
        c->done(c);
}

static void on_completion(struct storvsc *s, const uint8_t *payload,
                          uint32_t plen, uint64_t id, uint32_t chan)
{
    int i = slot_of(s, id);
    if (i < 0 || s->slots[i].chan != chan) {
        s->st.bad_replies++;
        logf_(s, "storvsc: reply for unknown request %#llx dropped",
              (unsigned long long)id);
        return;
    }
    struct slot *sl = &s->slots[i];
    struct vstor_packet p;
    memset(&p, 0, sizeof(p));
    memcpy(&p, payload, plen < sizeof(p) ? plen : sizeof(p));
    if (sl->state == SLOT_ZOMBIE) {
        /* a late answer: the request was already failed; now the slot
         * (and any memory the host held) is free again */
        slot_free(s, (uint32_t)i);
        return;
    }
    if (sl->kind == KIND_INTERNAL) {
        sl->reply = p;
        sl->reply_len = plen;
        sl->reply_ready = 1;
        return;
    }
    if (sl->kind == KIND_RESET) {
        s->reset_pending = 0;
        slot_free(s, (uint32_t)i);
        return;
    }
    struct storvsc_cmd *c = sl->cmd;
    int status;
    const struct vstor_srb *srb = &p.u.srb;
    c->transferred = 0;
    c->sense_len = 0;
    c->srb_status = 0;
    c->scsi_status = 0;
    if (plen < VSTOR_PACKET_SIZE_PRE_WIN8 ||
        p.operation != VSTOR_OP_COMPLETE_IO) {
        s->st.bad_replies++;
        status = -EPROTO;
    } else if (p.status != VSTOR_STATUS_SUCCESS) {
        status = -EIO;
    } else if (srb->data_transfer_length > c->len ||
               srb->sense_info_length > VSTOR_SENSE_SIZE) {
        s->st.bad_replies++;
        status = -EPROTO;
    } else {
        c->srb_status = srb->srb_status;
        c->scsi_status = srb->scsi_status;
        c->transferred = srb->data_transfer_length;
        if ((srb->srb_status & VSTOR_SRB_STATUS_AUTOSENSE_VALID) &&
            srb->scsi_status == SCSI_STATUS_CHECK_CONDITION) {
            uint32_t n = srb->sense_info_length;
            uint32_t room = VSTOR_SENSE_SIZE_FOR(s->version);
            c->sense_len = (uint8_t)(n < room ? n : room);
            memcpy(c->sense, srb->u.sense_data, c->sense_len);
            s->st.check_conditions++;
        }
        status = srb_errno(srb->srb_status, srb->scsi_status);
        if (c->dir == STORVSC_DIR_IN && sl->bounce && c->transferred)
            memcpy(c->buf, sl->bounce, c->transferred);
    }
    slot_free(s, (uint32_t)i);
    complete_cmd(s, c, status);
}

static void on_note(struct storvsc *s, const uint8_t *payload, uint32_t plen)
{
    uint32_t op;
    if (plen < 4) {
        s->st.bad_replies++;
        return;
    }
    memcpy(&op, payload, 4);
    if (op == VSTOR_OP_ENUMERATE_BUS || op == VSTOR_OP_REMOVE_DEVICE ||
        op == VSTOR_OP_EVENT_NOTIFICATION) {
        s->rescan = 1;
        s->st.rescans++;
        return;
    }
    s->st.bad_replies++;
}

/*
 * Drains a receive ring with its interrupt mask set, so the host adds
 * replies without interrupting while we are here; after unmasking, replies
 * that came before the host could see the mask cleared are drained too.
 * A corrupt ring is left unmasked (the error is counted, not retried).
 */
static void on_channel(struct vmbus_channel *ch, void *ctx)
{
    struct storvsc *s = ctx;
    struct vmbus_pkt_info info;
    /* a reply counts only on the channel its request went out on */
    uint32_t chan = 0;
    while (chan < STORVSC_MAX_CHANNELS && chan_at(s, chan) != ch)
        chan++;
    vmbus_chan_mask(ch);
    for (;;) {
        int rc = vmbus_chan_recv(ch, s->rx, sizeof(s->rx), &info);
        if (rc == -EAGAIN) {
            if (vmbus_chan_unmask(ch))
                continue;
            break;
        }
        if (rc == -EMSGSIZE) {
            /* no VSTOR packet is this large */
            uint8_t *big = malloc(info.len);
            s->st.bad_replies++;
            rc = big ? vmbus_chan_recv(ch, big, info.len, &info) : -ENOMEM;
            free(big);
            if (rc == 0)
                continue;
        }
        if (rc < 0) {
            s->st.bad_replies++;
            logf_(s, "storvsc: receive ring error %d", rc);
            (void)vmbus_chan_unmask(ch);
            break;
        }
        const uint8_t *payload = s->rx + info.offset;
        uint32_t plen = info.len - info.offset;
        if (info.type == VMBUS_PKT_COMPLETION)
            on_completion(s, payload, plen, info.trans_id, chan);
        else if (info.type == VMBUS_PKT_DATA_INBAND)
            on_note(s, payload, plen);
        else
            s->st.bad_replies++;
    }
    kick_all(s);
}

/* --- driver
 * ---------------------------------------------------------------------- */

static int probe(struct vmbus_channel *ch, void *ctx)
{
    struct storvsc *s = ctx;
    if (s->ch)
        return -EBUSY; /* one controller */
    int r = vmbus_chan_open(ch, s->cfg.ring_bytes, s->cfg.ring_bytes, NULL, 0,
                            on_channel, s);
    if (r)
        return r;
    s->ch = ch;
    return 0;
}

/* Fails what is outstanding on channel chan (all channels: any value
 * above STORVSC_MAX_CHANNELS): nothing will answer there now. */
static void fail_outstanding(struct storvsc *s, uint32_t chan)
{
    for (uint32_t i = 0; i < STORVSC_MAX_INFLIGHT; i++) {
        struct slot *sl = &s->slots[i];
        if (sl->state == SLOT_FREE ||
            (chan < STORVSC_MAX_CHANNELS && sl->chan != chan))
            continue;
        struct storvsc_cmd *c =
            sl->state == SLOT_BUSY && sl->kind == KIND_CMD ? sl->cmd : NULL;
        if (sl->kind == KIND_INTERNAL && sl->state == SLOT_BUSY)
            continue; /* its waiter times out */
        if (sl->kind == KIND_RESET && sl->state == SLOT_BUSY)
            s->reset_pending = 0; /* its answer will not come */
        slot_free(s, i);
        if (c)
            complete_cmd(s, c, -ENODEV);
    }
}

static void remove_ch(struct vmbus_channel *ch, void *ctx)
{
    struct storvsc *s = ctx;
    vmbus_chan_close(ch);
    if (ch != s->ch) {
        /* a sub-channel went: the others carry on */
        for (uint32_t k = 1; k < STORVSC_MAX_CHANNELS; k++)
            if (s->subs[k - 1] == ch) {
                s->subs[k - 1] = NULL;
                fail_outstanding(s, k);
            }
        return;
    }
    for (uint32_t k = 1; k < STORVSC_MAX_CHANNELS; k++) {
        if (s->subs[k - 1])
            vmbus_chan_close(s->subs[k - 1]);
        s->subs[k - 1] = NULL;
    }
    s->ch = NULL;
    s->started = 0;
    fail_outstanding(s, UINT32_MAX);
}

struct storvsc *storvsc_create(struct vmbus *vb,
                               const struct storvsc_config *cfg)
{
    struct storvsc *s = calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->vb = vb;
    s->cfg = *cfg;
    if (!s->cfg.ring_bytes)
        s->cfg.ring_bytes = STORVSC_RING_BYTES;
    if (!s->cfg.timeout_ns)
        s->cfg.timeout_ns = STORVSC_TIMEOUT_NS;
    if (!s->cfg.max_version)
        s->cfg.max_version = VSTOR_VERSION_WIN10;
    s->drv.name = "storvsc";
    s->drv.class_id = (struct vmbus_guid)VMBUS_CLASS_SCSI;
    s->drv.probe = probe;
    s->drv.remove = remove_ch;
    s->drv.ctx = s;
    if (vmbus_register_driver(vb, &s->drv)) {
        free(s);
        return NULL;
    }
    return s;
}

void storvsc_destroy(struct storvsc *s)
{
    if (!s)
        return;
    (void)vmbus_unregister_driver(s->vb, &s->drv);
    for (uint32_t k = 1; k < STORVSC_MAX_CHANNELS; k++)
        if (s->subs[k - 1])
            vmbus_chan_close(s->subs[k - 1]);
    if (s->ch)
        vmbus_chan_close(s->ch);
    for (uint32_t i = 0; i < STORVSC_MAX_INFLIGHT; i++)
        if (s->slots[i].bounce)
            s->cfg.plat.free_pages(s->cfg.plat.ctx, s->slots[i].bounce,
                                   s->slots[i].bounce_pages);
    free(s);
}

/*
 * Asks for sub-channels after END_INITIALIZATION, as Linux does (OpenVMM
 * also takes the request before it), and opens those offered.  Failing
 * that is not fatal: the primary carries every command.
 */
static void open_subchannels(struct storvsc *s, uint16_t host_max)
{
    struct vmbus_channel *list[STORVSC_MAX_CHANNELS - 1];
    struct vstor_packet p;
    uint32_t want = s->cfg.subchannels;
    if (want > STORVSC_MAX_CHANNELS - 1)
        want = STORVSC_MAX_CHANNELS - 1;
    if (want > host_max)
        want = host_max;
    if (want == 0)
        return;
    memset(&p, 0, sizeof(p));
    p.u.sub_channel_count = (uint16_t)want;
    int r = internal(s, VSTOR_OP_CREATE_SUB_CHANNELS, &p);
    if (r || p.status) {
        logf_(s, "storvsc: %u sub-channels refused (%d, status %#x)",
              (unsigned)want, r, (unsigned)p.status);
        return;
    }
    int got = vmbus_chan_wait_subchannels(s->ch, want, list);
    if (got < 0) {
        logf_(s, "storvsc: no sub-channel offered (%d)", got);
        return;
    }
    for (int i = 0; i < got; i++) {
        uint32_t k = 0;
        bool known = false;
        for (k = 0; k < STORVSC_MAX_CHANNELS - 1; k++)
            known |= s->subs[k] == list[i];
        for (k = 0; !known && k < STORVSC_MAX_CHANNELS - 1 && s->subs[k];)
            k++;
        if (known || k == STORVSC_MAX_CHANNELS - 1)
            continue; /* open from an earlier start, or no room */
        r = vmbus_chan_open(list[i], s->cfg.ring_bytes, s->cfg.ring_bytes, NULL,
                            0, on_channel, s);
        if (r) {
            logf_(s, "storvsc: sub-channel %u not opened (%d)",
                  (unsigned)vmbus_chan_sub_index(list[i]), r);
            continue;
        }
        s->subs[k] = list[i];
    }
}

int storvsc_start(struct storvsc *s)
{
    struct vstor_packet p;
    if (!s->ch)
        return -ENODEV;
    s->version = 0;
    s->started = 0;
    memset(&p, 0, sizeof(p));
    int r = internal(s, VSTOR_OP_BEGIN_INITIALIZATION, &p);
    if (r)
        return r;
    if (p.status)
        return -EIO;
    for (size_t k = 0; k < sizeof(versions) / sizeof(versions[0]); k++) {
        if (versions[k] > s->cfg.max_version)
            continue;
        memset(&p, 0, sizeof(p));
        p.u.version.major_minor = versions[k];
        r = internal(s, VSTOR_OP_QUERY_PROTOCOL_VERSION, &p);
        if (r)
            return r;
        if (p.status == VSTOR_STATUS_SUCCESS) {
            s->version = versions[k];
            break;
        }
        if (p.status != VSTOR_STATUS_REVISION_MISMATCH)
            return -EIO;
    }
    if (!s->version)
        return -EPROTONOSUPPORT;
    memset(&p, 0, sizeof(p));
    r = internal(s, VSTOR_OP_QUERY_PROPERTIES, &p);
    if (r)
        return r;
    if (p.status)
        return -EIO;
    /* Multi-channel is for VSTOR 5.1+ only, whatever the flags say. */
    uint16_t max_subs = s->version >= VSTOR_VERSION_WIN8 &&
                                (p.u.props.flags & VSTOR_PROP_MULTI_CHANNEL)
                            ? p.u.props.max_sub_channels
                            : 0;
    uint32_t mt = p.u.props.max_transfer_bytes;
    if (mt > STORVSC_MAX_TRANSFER)
        mt = STORVSC_MAX_TRANSFER;
    mt &= ~4095u;
    if (mt == 0) {
        s->st.bad_replies++;
        return -EIO;
    }
    s->max_transfer = mt;
    memset(&p, 0, sizeof(p));
    r = internal(s, VSTOR_OP_END_INITIALIZATION, &p);
    if (r)
        return r;
    if (p.status)
        return -EIO;
    s->started = 1;
    open_subchannels(s, max_subs);
    uint32_t n = storvsc_channels(s);
    logf_(s, "storvsc: VSTOR %u.%u, %u bytes per command, %u channel%s",
          s->version >> 8, s->version & 0xFF, s->max_transfer, n,
          n > 1 ? "s" : "");
    return 0;
}

uint32_t storvsc_channels(const struct storvsc *s)
{
    uint32_t n = 0;
    for (uint32_t k = 0; k < STORVSC_MAX_CHANNELS; k++)
        n += chan_at(s, k) != NULL;
    return n;
}

uint16_t storvsc_version(const struct storvsc *s)
{
    return s->version;
}

uint32_t storvsc_max_transfer(const struct storvsc *s)
{
    return s->max_transfer;
}

/* --- commands
 * ------------------------------------------------------------------------ */

int storvsc_queue(struct storvsc *s, struct storvsc_cmd *c)
{
    struct vstor_packet p;
    if (!s->started || !s->ch)
        return -ENOTCONN;
    if (c->cdb_len == 0 || c->cdb_len > 16 || c->len > s->max_transfer ||
        c->dir > STORVSC_DIR_OUT || (c->len && !c->buf) ||
        (c->dir == STORVSC_DIR_NONE && c->len))
        return -EINVAL;
    int i = slot_alloc(s, KIND_CMD);
    if (i < 0)
        return i;
    struct slot *sl = &s->slots[i];
    const void *data = c->buf;
    if (c->len && s->cfg.bounce) {
        uint32_t pages = (c->len + 4095) / 4096;
        sl->bounce = s->cfg.plat.alloc_pages(s->cfg.plat.ctx, pages);
        if (!sl->bounce) {
            slot_free(s, (uint32_t)i);
            return -EAGAIN;
        }
        sl->bounce_pages = pages;
        if (c->dir == STORVSC_DIR_OUT)
            memcpy(sl->bounce, c->buf, c->len);
        data = sl->bounce;
    }
    memset(&p, 0, sizeof(p));
    p.operation = VSTOR_OP_EXECUTE_SRB;
    p.flags = VSTOR_FLAG_REQUEST_COMPLETION;
    struct vstor_srb *srb = &p.u.srb;
    srb->length = s->version >= VSTOR_VERSION_WIN8 ? VSTOR_SRB_SIZE
                                                   : VSTOR_SRB_SIZE_PRE_WIN8;
    srb->lun = c->lun;
    srb->cdb_length = c->cdb_len;
    srb->sense_info_length = (uint8_t)VSTOR_SENSE_SIZE_FOR(s->version);
    srb->data_in = c->dir == STORVSC_DIR_IN    ? VSTOR_DATA_IN
                   : c->dir == STORVSC_DIR_OUT ? VSTOR_DATA_OUT
                                               : VSTOR_DATA_UNKNOWN;
    srb->data_transfer_length = c->len;
    memcpy(srb->u.cdb, c->cdb, c->cdb_len);
    srb->srb_flags = VSTOR_SRB_FLAGS_DISABLE_SYNCH_TRANSFER |
                     (c->dir == STORVSC_DIR_IN    ? VSTOR_SRB_FLAGS_DATA_IN
                      : c->dir == STORVSC_DIR_OUT ? VSTOR_SRB_FLAGS_DATA_OUT
                                                  : 0);
    srb->time_out_value = (uint32_t)(s->cfg.timeout_ns / 1000000000ull);
    sl->cmd = c;
    c->complete = 0;
    c->status = 0;
    /*
     * Round-robin over the open channels.  A full ring passes to the next,
     * and so does a sub-channel the host has rescinded that vmbus_poll()
     * has not yet handed to remove_ch(): the other channels still work.
     */
    int r = -EAGAIN;
    for (uint32_t k = 0; k < STORVSC_MAX_CHANNELS && r == -EAGAIN; k++) {
        uint32_t chan = (s->next_chan + k) % STORVSC_MAX_CHANNELS;
        if (!chan_at(s, chan))
            continue;
        sl->chan = (uint8_t)chan;
        int e = put_pkt(s, (uint32_t)i, &p, data, c->len);
        if (e != -ENODEV || chan == 0)
            r = e;
    }
    s->next_chan = (sl->chan + 1u) % STORVSC_MAX_CHANNELS;
    if (!r)
        s->st.chan_commands[sl->chan]++;
    if (r) {
        slot_free(s, (uint32_t)i);
        return r;
    }
    s->st.commands++;
    return 0;
}

void storvsc_flush(struct storvsc *s)
{
    flush_rings(s);
}

int storvsc_submit(struct storvsc *s, struct storvsc_cmd *c)
{
    int r = storvsc_queue(s, c);
    flush_rings(s);
    return r;
}

void storvsc_poll(struct storvsc *s)
{
    uint64_t t = now(s);
    int expired = 0;
    if (t < s->poll_after) {
        kick_all(s);
        return;
    }
    s->poll_after = UINT64_MAX;
    for (uint32_t i = 0; i < STORVSC_MAX_INFLIGHT; i++) {
        struct slot *sl = &s->slots[i];
        if (sl->state != SLOT_BUSY || sl->kind != KIND_CMD)
            continue;
        if (t < sl->deadline) {
            if (sl->deadline < s->poll_after)
                s->poll_after = sl->deadline;
            continue;
        }
        struct storvsc_cmd *c = sl->cmd;
        sl->state = SLOT_ZOMBIE;
        sl->cmd = NULL;
        s->st.timeouts++;
        expired = 1;
        complete_cmd(s, c, -ETIMEDOUT);
    }
    if (expired)
        send_reset(s);
    kick_all(s);
}

void storvsc_wait(struct storvsc *s, uint64_t deadline_ns)
{
    flush_rings(s);
    s->cfg.plat.wait(s->cfg.plat.ctx, deadline_ns);
    storvsc_poll(s);
}

int storvsc_exec(struct storvsc *s, struct storvsc_cmd *c)
{
    c->done = NULL;
    int r;
    while ((r = storvsc_submit(s, c)) == -EAGAIN)
        storvsc_wait(s, now(s) + 1000000);
    if (r)
        return r;
    while (!__atomic_load_n(&c->complete, __ATOMIC_ACQUIRE))
        storvsc_wait(s, now(s) + s->cfg.timeout_ns);
    return c->status;
}

bool storvsc_take_rescan(struct storvsc *s)
{
    bool r = s->rescan != 0;
    s->rescan = 0;
    return r;
}

const struct storvsc_stats *storvsc_get_stats(const struct storvsc *s)
{
    return &s->st;
}

int storvsc_sense_decode(const uint8_t *sense, uint32_t len,
                         struct storvsc_sense *out)
{
    if (len < 1)
        return -EINVAL;
    uint8_t code = sense[0] & 0x7F;
    if (code == SCSI_SENSE_CURRENT || code == SCSI_SENSE_DEFERRED) {
        if (len < 3)
            return -EINVAL;
        out->key = sense[2] & SCSI_SENSE_KEY_MASK;
        out->asc = len > 12 ? sense[12] : 0;
        out->ascq = len > 13 ? sense[13] : 0;
        return 0;
    }
    if (code == SCSI_SENSE_DESC_CURRENT || code == SCSI_SENSE_DESC_DEFERRED) {
        if (len < 4)
            return -EINVAL;
        out->key = sense[1] & SCSI_SENSE_KEY_MASK;
        out->asc = sense[2];
        out->ascq = sense[3];
        return 0;
    }
    return -EINVAL;
}

/* --- disks and the block backend
 * ------------------------------------------------------ */

struct bio {
    struct bio *next;
    struct blk_req *req;
    uint64_t lba;
    uint32_t left; /* sectors not yet sent */
    uint8_t *buf;
    uint32_t outstanding;
    int err;
    uint8_t flush;
};

struct dcmd {
    struct storvsc_cmd c;
    struct bio *bio;
    struct storvsc_disk *d;
    struct dcmd *next_free;
};

struct storvsc_disk {
    struct storvsc *s;
    uint8_t lun;
    uint32_t ssize;
    uint64_t sectors;
    struct bio *head, *tail;
    struct dcmd *cmds, *free_cmds;
    uint8_t kicking;
};

static int simple(struct storvsc *s, uint8_t lun, const uint8_t *cdb,
                  uint8_t cdb_len, void *buf, uint32_t len,
                  struct storvsc_cmd *c)
{
    memset(c, 0, sizeof(*c));
    c->lun = lun;
    c->cdb_len = cdb_len;
    memcpy(c->cdb, cdb, cdb_len);
    c->dir = len ? STORVSC_DIR_IN : STORVSC_DIR_NONE;
    c->buf = buf;
    c->len = len;
    return storvsc_exec(s, c);
}

int storvsc_disk_open(struct storvsc *s, uint8_t lun, struct storvsc_disk **out)
{
    struct storvsc_cmd c;
    struct storvsc_sense sense;
    uint8_t cdb[16], buf[64];
    int r = -EIO;
    if (lun >= MAX_DISKS)
        return -EINVAL;
    if (s->disks[lun])
        return -EBUSY;
    /* TEST UNIT READY, past the unit attentions a fresh device reports */
    for (int tries = 0; tries < 4; tries++) {
        memset(cdb, 0, sizeof(cdb));
        cdb[0] = SCSI_TEST_UNIT_READY;
        r = simple(s, lun, cdb, 6, NULL, 0, &c);
        if (r != -EIO || storvsc_sense_decode(c.sense, c.sense_len, &sense) ||
            sense.key != SCSI_SENSE_UNIT_ATTENTION)
            break;
    }
    if (r)
        return r;
    memset(cdb, 0, sizeof(cdb));
    cdb[0] = SCSI_INQUIRY;
    cdb[4] = sizeof(struct scsi_inquiry_data);
    r = simple(s, lun, cdb, 6, buf, sizeof(struct scsi_inquiry_data), &c);
    if (r)
        return r;
    if (c.transferred < 1 || (buf[0] & 0x1F) != SCSI_TYPE_DISK ||
        (buf[0] >> 5) != 0)
        return -ENODEV;
    memset(cdb, 0, sizeof(cdb));
    cdb[0] = SCSI_READ_CAPACITY_10;
    r = simple(s, lun, cdb, 10, buf, 8, &c);
    if (r)
        return r;
    if (c.transferred < 8)
        return -EIO;
    uint64_t last = scsi_get(buf, 4);
    uint32_t bs = (uint32_t)scsi_get(buf + 4, 4);
    if (last == 0xFFFFFFFFu) {
        memset(cdb, 0, sizeof(cdb));
        cdb[0] = SCSI_SERVICE_ACTION_IN_16;
        cdb[1] = SCSI_SAI_READ_CAPACITY_16;
        scsi_put(cdb + 10, 4, 32);
        r = simple(s, lun, cdb, 16, buf, 32, &c);
        if (r)
            return r;
        if (c.transferred < 12)
            return -EIO;
        last = scsi_get(buf, 8);
        bs = (uint32_t)scsi_get(buf + 8, 4);
    }
    if (bs != 512 && bs != 4096)
        return -EOPNOTSUPP;
    if (last == UINT64_MAX)
        return -EIO;
    struct storvsc_disk *d = calloc(1, sizeof(*d));
    if (!d)
        return -ENOMEM;
    d->cmds = calloc(STORVSC_MAX_INFLIGHT, sizeof(*d->cmds));
    if (!d->cmds) {
        free(d);
        return -ENOMEM;
    }
    for (uint32_t i = 0; i < STORVSC_MAX_INFLIGHT; i++) {
        d->cmds[i].d = d;
        d->cmds[i].next_free = d->free_cmds;
        d->free_cmds = &d->cmds[i];
    }
    d->s = s;
    d->lun = lun;
    d->ssize = bs;
    d->sectors = last + 1;
    s->disks[lun] = d;
    *out = d;
    return 0;
}

void storvsc_disk_close(struct storvsc_disk *d)
{
    if (!d)
        return;
    d->s->disks[d->lun] = NULL;
    free(d->cmds);
    free(d);
}

uint64_t storvsc_disk_sectors(const struct storvsc_disk *d)
{
    return d->sectors;
}

uint32_t storvsc_disk_sector_size(const struct storvsc_disk *d)
{
    return d->ssize;
}

static void kick(struct storvsc_disk *d);

static void bio_finish(struct storvsc_disk *d, struct bio *b)
{
    struct bio **pp = &d->head, *prev = NULL;
    while (*pp && *pp != b) {
        prev = *pp;
        pp = &(*pp)->next;
    }
    if (*pp) {
        *pp = b->next;
        if (d->tail == b)
            d->tail = prev;
    }
    struct blk_req *req = b->req;
    int err = b->err;
    free(b);
    blk_complete(req, err);
}

static void dcmd_done(struct storvsc_cmd *c)
{
    struct dcmd *dc = (struct dcmd *)c;
    struct storvsc_disk *d = dc->d;
    struct bio *b = dc->bio;
    if (c->status && !b->err)
        b->err = c->status;
    else if (!c->status && !b->flush && c->transferred != c->len && !b->err)
        b->err = -EIO; /* the device moved less than asked */
    dc->next_free = d->free_cmds;
    d->free_cmds = dc;
    b->outstanding--;
    if (b->left == 0 && b->outstanding == 0)
        bio_finish(d, b);
    kick(d);
}

/* Sends as much of the queued I/O as slots and the ring allow. */
static void kick(struct storvsc_disk *d)
{
    struct storvsc *s = d->s;
    if (d->kicking)
        return;
    d->kicking = 1;
    struct bio *b = d->head;
    while (b) {
        struct bio *next = b->next;
        while (b->left) {
            struct dcmd *dc = d->free_cmds;
            if (!dc)
                goto out;
            struct storvsc_cmd *c = &dc->c;
            uint32_t per = s->max_transfer / d->ssize;
            uint32_t n = b->flush ? 0 : (b->left < per ? b->left : per);
            memset(c, 0, sizeof(*c));
            c->lun = d->lun;
            c->done = dcmd_done;
            if (b->flush) {
                c->cdb[0] = SCSI_SYNCHRONIZE_CACHE_10;
                c->cdb_len = 10;
                c->dir = STORVSC_DIR_NONE;
            } else {
                int write = b->req->op == BLK_OP_WRITE;
                if (b->lba + n > 0xFFFFFFFFull) {
                    c->cdb[0] = write ? SCSI_WRITE_16 : SCSI_READ_16;
                    scsi_put(c->cdb + 2, 8, b->lba);
                    scsi_put(c->cdb + 10, 4, n);
                    c->cdb_len = 16;
                } else {
                    c->cdb[0] = write ? SCSI_WRITE_10 : SCSI_READ_10;
                    scsi_put(c->cdb + 2, 4, b->lba);
                    scsi_put(c->cdb + 7, 2, n);
                    c->cdb_len = 10;
                }
                c->dir = write ? STORVSC_DIR_OUT : STORVSC_DIR_IN;
                c->buf = b->buf;
                c->len = n * d->ssize;
            }
            dc->bio = b;
            int r = storvsc_queue(s, c);
            if (r == -EAGAIN)
                goto out;
            d->free_cmds = dc->next_free;
            if (r) {
                d->free_cmds = dc; /* not taken */
                b->err = r;
                b->left = 0;
                if (b->outstanding == 0)
                    bio_finish(d, b);
                break;
            }
            b->outstanding++;
            if (b->flush) {
                b->left = 0;
            } else {
                b->left -= n;
                b->lba += n;
                b->buf += c->len;
            }
        }
        b = next;
    }
out:
    d->kicking = 0;
    flush_rings(s);
}

static void kick_all(struct storvsc *s)
{
    for (uint32_t i = 0; i < MAX_DISKS; i++)
        if (s->disks[i])
            kick(s->disks[i]);
    flush_rings(s);
}

static int blk_start(void *priv, struct blk_req *req, int flush)
{
    struct storvsc_disk *d = priv;
    if (!d->s->started)
        return -ENOTCONN;
    struct bio *b = calloc(1, sizeof(*b));
    if (!b)
        return -ENOMEM;
    b->req = req;
    b->flush = (uint8_t)flush;
    b->lba = req->lba;
    b->left = flush ? 1 : req->count;
    b->buf = req->buf;
    if (d->tail)
        d->tail->next = b;
    else
        d->head = b;
    d->tail = b;
    kick(d);
    return 0;
}

static int sv_rw(void *priv, struct blk_req *req)
{
    return blk_start(priv, req, 0);
}

static int sv_flush(void *priv, struct blk_req *req)
{
    return blk_start(priv, req, 1);
}

static uint64_t sv_capacity(void *priv)
{
    return ((struct storvsc_disk *)priv)->sectors;
}

static void sv_poll(void *priv)
{
    struct storvsc_disk *d = priv;
    storvsc_wait(d->s, now(d->s) + 10000000ull);
}

const struct blk_ops storvsc_blk_ops = {
    .read = sv_rw,
    .write = sv_rw,
    .flush = sv_flush,
    .capacity = sv_capacity,
    .poll = sv_poll,
};
