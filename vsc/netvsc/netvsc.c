/*
 * netvsc (contract in vsc/netvsc/netvsc.h).
 *
 * Host packets are copied out of the ring by vmbus_chan_recv(); RNDIS
 * messages are copied out of the shared receive buffer before parsing, so
 * the host cannot change them after they are checked.  NVSP messages go
 * out padded to NVSP_MSG_SIZE_V61 (40 bytes), as Linux sends them to every
 * host version.
 */
#include "vsc/netvsc/netvsc.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/rndis.h"
#include "proto/nvsp.h"
#include "proto/ring.h"

#define DEF_RECV_BYTES (1024u * 1024u)
#define DEF_SEND_BYTES (512u * 1024u)
#define DEF_RING_BYTES (64u * 1024u)
#define DEF_TIMEOUT_NS 5000000000ull
#define PKT_BUF_BYTES 4096u      /* one host ring packet */
#define MAX_OVERSIZED (1u << 20) /* bigger ones stop the adapter */
#define RX_COPY_BYTES 65536u     /* one transfer range, copied out */
#define CTL_RESP_BYTES 1024u     /* one RNDIS control completion */
#define MAX_SECTIONS 4096u       /* send sections tracked */
#define PENDING_COMPLETIONS 256u
#define PAGE_BYTES_CTL 4096u
#define ETH_MIN_FRAME 60u /* without FCS */ /* the control page */

/* trans_id tags of our requests. */
#define TID_INIT 0x1000000000000000ull
#define TID_CTRL 0x2000000000000000ull
#define TID_SEND 0x3000000000000000ull
#define TID_TAG_MASK 0xf000000000000000ull

/* A transfer-page packet with the most ranges a host sends fits. */
_Static_assert(PKT_BUF_BYTES >= sizeof(struct vmbus_pkt_xfer_pages) +
                                    NVSP_MAX_PACKETS_PER_RECEIVE *
                                        sizeof(struct vmbus_xfer_range) +
                                    NVSP_MSG_SIZE_MAX,
               "packet buffer");

struct netvsc {
    struct vmbus_channel *ch;
    struct vmbus_platform plat;
    struct netvsc_config cfg;
    uint32_t nvsp_version;
    bool up;

    /* receive buffer */
    uint8_t *recv_buf;
    uint32_t recv_bytes;
    uint32_t recv_gpadl;
    /* send buffer */
    uint8_t *send_buf;
    uint32_t send_bytes;
    uint32_t send_gpadl;
    uint32_t section_size, nsections, free_sections, hint;
    uint8_t *section_busy;

    /* NVSP init-phase response */
    uint8_t resp[NVSP_MSG_SIZE_MAX];
    uint32_t resp_type; /* NVSP_MSG_NONE until one arrives */

    /* RNDIS control: one request at a time in ctl_page */
    uint8_t *ctl_page;
    uint32_t next_rid;
    uint32_t ctl_wait_rid, ctl_wait_type;
    bool ctl_pkt_busy; /* host has not completed the NVSP packet */
    bool ctl_done;
    uint8_t ctl_resp[CTL_RESP_BYTES];
    uint32_t ctl_resp_len;

    /* transfer-page completions the ring had no room for */
    struct {
        uint64_t tid;
        uint32_t status;
    } pending[PENDING_COMPLETIONS];
    uint32_t npending;
    bool unflushed; /* completions put but not yet published */

    uint8_t mac[6];
    uint16_t mtu;
    bool link;
    bool in_poll, broken;
    bool no_cb_poll; /* the channel callback leaves polling to the app */
    netvsc_rx_fn rx;
    netvsc_link_fn on_link;
    void *hctx;
    struct netvsc_stats stats;

    uint8_t pkt[PKT_BUF_BYTES];
    uint8_t rxcopy[RX_COPY_BYTES];
};

static void nv_log(struct netvsc *nv, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void nv_log(struct netvsc *nv, const char *fmt, ...)
{
    char line[160];
    va_list ap;

    if (!nv->plat.log)
        return;
    va_start(ap, fmt);
    int n = snprintf(line, sizeof(line), "netvsc: ");
    vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
    va_end(ap);
    nv->plat.log(nv->plat.ctx, line);
}

static uint32_t rd32(const uint8_t *p, uint32_t off)
{
    uint32_t v;
    memcpy(&v, p + off, 4);
    return v;
}

/* ---- sending NVSP ---- */

static int nvsp_send(struct netvsc *nv, const void *msg, uint32_t len,
                     uint64_t tid, bool want_completion)
{
    uint8_t buf[NVSP_MSG_SIZE_V61];

    memset(buf, 0, sizeof(buf));
    memcpy(buf, msg, len);
    return vmbus_chan_send(nv->ch, VMBUS_PKT_DATA_INBAND,
                           want_completion ? VMBUS_PKT_FLAG_COMPLETION_REQUESTED
                                           : 0,
                           tid, buf, sizeof(buf));
}

/*
 * Transfer-page completions are put without a flush; netvsc_poll() flushes
 * once at the end, so a burst of received frames costs one signal at most.
 */
static int put_completion(struct netvsc *nv, uint64_t tid, uint32_t status)
{
    struct nvsp_msg_rndis_pkt_complete c = {
        .type = NVSP_MSG1_SEND_RNDIS_PKT_COMPLETE, .status = status};
    uint8_t buf[NVSP_MSG_SIZE_V61];

    memset(buf, 0, sizeof(buf));
    memcpy(buf, &c, sizeof(c));
    int rc =
        vmbus_chan_put(nv->ch, VMBUS_PKT_COMPLETION, 0, tid, buf, sizeof(buf));
    if (rc == -EAGAIN) {
        vmbus_chan_flush(nv->ch);
        rc = vmbus_chan_put(nv->ch, VMBUS_PKT_COMPLETION, 0, tid, buf,
                            sizeof(buf));
    }
    if (rc == 0)
        nv->unflushed = true;
    return rc;
}

static int complete_xfer(struct netvsc *nv, uint64_t tid, uint32_t status)
{
    int rc = put_completion(nv, tid, status);
    if (rc == -EAGAIN && nv->npending < PENDING_COMPLETIONS) {
        nv->pending[nv->npending].tid = tid;
        nv->pending[nv->npending].status = status;
        nv->npending++;
        return 0;
    }
    return rc;
}

static void retry_completions(struct netvsc *nv)
{
    uint32_t done = 0;
    while (done < nv->npending && put_completion(nv, nv->pending[done].tid,
                                                 nv->pending[done].status) == 0)
        done++;
    memmove(nv->pending, nv->pending + done,
            (nv->npending - done) * sizeof(nv->pending[0]));
    nv->npending -= done;
}

/* ---- receive side ---- */

static void handle_rndis(struct netvsc *nv, const uint8_t *msg, uint32_t len,
                         bool *bad)
{
    uint32_t at = 0;

    while (at < len) {
        struct rndis_view v;
        int rc = rndis_parse(msg + at, len - at, &v);
        if (rc) {
            *bad = true;
            return;
        }
        switch (v.type) {
        case RNDIS_MSG_PACKET:
            if (v.buf_len < NET_ETH_HDR_BYTES || v.buf_len > NET_MAX_FRAME) {
                *bad = true;
                break;
            }
            nv->stats.rx_frames++;
            nv->stats.rx_bytes += v.buf_len;
            if (nv->rx)
                nv->rx(nv->hctx, v.buf, v.buf_len);
            break;
        case RNDIS_MSG_INIT_CMPLT:
        case RNDIS_MSG_QUERY_CMPLT:
        case RNDIS_MSG_SET_CMPLT:
        case RNDIS_MSG_RESET_CMPLT:
        case RNDIS_MSG_KEEPALIVE_CMPLT:
            if (nv->ctl_wait_type == v.type && !nv->ctl_done &&
                (v.type == RNDIS_MSG_RESET_CMPLT ||
                 v.request_id == nv->ctl_wait_rid) &&
                v.len <= sizeof(nv->ctl_resp)) {
                memcpy(nv->ctl_resp, msg + at, v.len);
                nv->ctl_resp_len = v.len;
                nv->ctl_done = true;
            } else {
                nv_log(nv, "unexpected RNDIS completion 0x%x id %u", v.type,
                       v.request_id);
                *bad = true;
            }
            break;
        case RNDIS_MSG_INDICATE:
            nv->stats.indications++;
            if (v.status == RNDIS_STATUS_MEDIA_CONNECT ||
                v.status == RNDIS_STATUS_MEDIA_DISCONNECT) {
                nv->link = v.status == RNDIS_STATUS_MEDIA_CONNECT;
                if (nv->on_link)
                    nv->on_link(nv->hctx, nv->link);
            } else if (v.status == RNDIS_STATUS_NETWORK_CHANGE && nv->link &&
                       nv->on_link) {
                /* Moved to another network: a down/up renews the lease. */
                nv->on_link(nv->hctx, false);
                nv->on_link(nv->hctx, true);
            }
            break;
        default:
            *bad = true;
            break;
        }
        at += v.len;
    }
}

static void handle_xfer(struct netvsc *nv, const struct vmbus_pkt_info *info)
{
    const uint8_t *p = nv->pkt;
    uint32_t status = NVSP_STATUS_SUCCESS;
    bool bad = false;

    if (info->len < sizeof(struct vmbus_pkt_xfer_pages)) {
        bad = true;
        goto done;
    }
    struct vmbus_pkt_xfer_pages h;
    memcpy(&h, p, sizeof(h));
    uint64_t ranges_end = sizeof(h) + (uint64_t)h.range_count * 8u;
    /* The NVSP message follows the ranges; trust offset8 only if it does. */
    uint64_t msg_at = info->offset > ranges_end ? info->offset : ranges_end;
    if (h.xfer_pageset_id != NVSP_RECV_BUF_ID || h.range_count == 0 ||
        msg_at + sizeof(struct nvsp_msg_rndis_pkt) > info->len) {
        bad = true;
        goto done;
    }
    struct nvsp_msg_rndis_pkt m;
    memcpy(&m, p + msg_at, sizeof(m));
    if (m.type != NVSP_MSG1_SEND_RNDIS_PKT) {
        bad = true;
        goto done;
    }
    for (uint32_t i = 0; i < h.range_count; i++) {
        struct vmbus_xfer_range r;
        memcpy(&r, p + sizeof(h) + 8u * i, sizeof(r));
        if ((uint64_t)r.byte_offset + r.byte_count > nv->recv_bytes ||
            r.byte_count > sizeof(nv->rxcopy) || r.byte_count == 0) {
            bad = true;
            continue;
        }
        memcpy(nv->rxcopy, nv->recv_buf + r.byte_offset, r.byte_count);
        handle_rndis(nv, nv->rxcopy, r.byte_count, &bad);
    }
done:
    if (bad) {
        nv->stats.rx_bad++;
        nv_log(nv, "malformed transfer-page packet (%u bytes)", info->len);
        status = NVSP_STATUS_FAILURE;
    }
    /* Always complete: the host frees the receive slots on completion. */
    if (complete_xfer(nv, info->trans_id, status))
        nv_log(nv, "lost a transfer-page completion");
}

static void free_section(struct netvsc *nv, uint64_t tid)
{
    uint64_t idx = tid & ~TID_TAG_MASK;
    if (idx >= nv->nsections || !nv->section_busy[idx]) {
        nv->stats.bad_packets++;
        nv_log(nv, "completion for a free send section %llu",
               (unsigned long long)idx);
        return;
    }
    nv->section_busy[idx] = 0;
    nv->free_sections++;
}

static void handle_nvsp(struct netvsc *nv, const struct vmbus_pkt_info *info)
{
    uint32_t len = info->len - info->offset;
    const uint8_t *m = nv->pkt + info->offset;

    if (len < 4) {
        nv->stats.bad_packets++;
        return;
    }
    uint32_t type = rd32(m, 0);
    switch (type) {
    case NVSP_MSG_INIT_COMPLETE:
    case NVSP_MSG1_SEND_RECV_BUF_COMPLETE:
    case NVSP_MSG1_SEND_SEND_BUF_COMPLETE:
        memset(nv->resp, 0, sizeof(nv->resp));
        memcpy(nv->resp, m, len < sizeof(nv->resp) ? len : sizeof(nv->resp));
        nv->resp_type = type;
        return;
    case NVSP_MSG1_SEND_RNDIS_PKT_COMPLETE:
        if (info->type != VMBUS_PKT_COMPLETION)
            break;
        if ((info->trans_id & TID_TAG_MASK) == TID_SEND)
            free_section(nv, info->trans_id);
        else if (info->trans_id == TID_CTRL)
            nv->ctl_pkt_busy = false;
        else
            break;
        return;
    case NVSP_MSG4_SEND_VF_ASSOCIATION:
    case NVSP_MSG5_SEND_INDIRECTION_TABLE:
        return; /* no VF, one channel */
    default:
        break;
    }
    nv->stats.bad_packets++;
    nv_log(nv, "unexpected NVSP message %u (packet type %u)", type, info->type);
}

/*
 * No packet we expect exceeds PKT_BUF_BYTES; a larger one is read into a
 * temporary buffer and dropped (a transfer-page packet is still completed
 * so the host gets its slots back).  Returns false if it could not be read.
 */
static bool drop_oversized(struct netvsc *nv, struct vmbus_pkt_info *info)
{
    void *big = info->len <= MAX_OVERSIZED ? malloc(info->len) : NULL;
    bool ok = big && vmbus_chan_recv(nv->ch, big, info->len, info) == 0;
    free(big);
    if (!ok)
        return false;
    nv->stats.bad_packets++;
    nv_log(nv, "oversized packet (type %u, %u bytes) dropped", info->type,
           info->len);
    if (info->type == VMBUS_PKT_DATA_TRANSFER_PAGES)
        complete_xfer(nv, info->trans_id, NVSP_STATUS_FAILURE);
    return true;
}

void netvsc_poll(struct netvsc *nv)
{
    struct vmbus_pkt_info info;

    if (nv->in_poll || nv->broken)
        return;
    nv->in_poll = true;
    retry_completions(nv);
    for (;;) {
        int rc = vmbus_chan_recv(nv->ch, nv->pkt, sizeof(nv->pkt), &info);
        if (rc == -EAGAIN)
            break;
        if (rc == -EMSGSIZE && drop_oversized(nv, &info))
            continue;
        if (rc) {
            /* A corrupt ring (or a packet too big to read): stop using the
             * channel rather than spin. */
            nv_log(nv, "channel receive failed (%d); adapter stopped", rc);
            nv->broken = true;
            nv->up = false;
            break;
        }
        switch (info.type) {
        case VMBUS_PKT_DATA_TRANSFER_PAGES:
            handle_xfer(nv, &info);
            break;
        case VMBUS_PKT_DATA_INBAND:
        case VMBUS_PKT_COMPLETION:
            handle_nvsp(nv, &info);
            break;
        default:
            nv->stats.bad_packets++;
            nv_log(nv, "unexpected packet type %u", info.type);
            break;
        }
    }
    if (nv->unflushed) {
        nv->unflushed = false;
        vmbus_chan_flush(nv->ch);
    }
    nv->in_poll = false;
}

static void chan_cb(struct vmbus_channel *ch, void *ctx)
{
    struct netvsc *nv = ctx;
    (void)ch;
    if (!nv->no_cb_poll)
        netvsc_poll(nv);
}

void netvsc_set_callback_poll(struct netvsc *nv, bool on)
{
    nv->no_cb_poll = !on;
}

/* Polls until *flag is set (or the request times out). */
static int wait_flag(struct netvsc *nv, const bool *flag)
{
    uint64_t deadline = nv->plat.now_ns(nv->plat.ctx) + nv->cfg.timeout_ns;
    for (;;) {
        netvsc_poll(nv);
        if (*flag)
            return 0;
        if (nv->broken)
            return -EIO;
        if (nv->plat.now_ns(nv->plat.ctx) >= deadline)
            return -ETIMEDOUT;
        nv->plat.wait(nv->plat.ctx, deadline);
    }
}

static int nvsp_request(struct netvsc *nv, const void *msg, uint32_t len,
                        uint32_t resp_type)
{
    bool got = false;
    nv->resp_type = NVSP_MSG_NONE;
    int rc = nvsp_send(nv, msg, len, TID_INIT, true);
    if (rc)
        return rc;
    uint64_t deadline = nv->plat.now_ns(nv->plat.ctx) + nv->cfg.timeout_ns;
    for (;;) {
        netvsc_poll(nv);
        got = nv->resp_type == resp_type;
        if (got)
            return 0;
        if (nv->broken)
            return -EIO;
        if (nv->plat.now_ns(nv->plat.ctx) >= deadline)
            return -ETIMEDOUT;
        nv->plat.wait(nv->plat.ctx, deadline);
    }
}

/* ---- RNDIS control ---- */

static int rndis_request(struct netvsc *nv, uint32_t len, uint32_t resp_type,
                         uint32_t rid)
{
    if (nv->ctl_pkt_busy)
        return -EBUSY;
    uint64_t pfn = nv->plat.virt_to_phys(nv->plat.ctx, nv->ctl_page) >> 12;
    struct vmbus_chan_range r = {
        .byte_count = len, .byte_offset = 0, .pfns = &pfn};
    struct nvsp_msg_rndis_pkt m = {.type = NVSP_MSG1_SEND_RNDIS_PKT,
                                   .channel_type = NVSP_RNDIS_CHANNEL_CONTROL,
                                   .send_buf_section_index =
                                       NVSP_SECTION_INDEX_NONE,
                                   .send_buf_section_size = 0};
    uint8_t buf[NVSP_MSG_SIZE_V61];

    memset(buf, 0, sizeof(buf));
    memcpy(buf, &m, sizeof(m));
    nv->ctl_wait_type = resp_type;
    nv->ctl_wait_rid = rid;
    nv->ctl_done = false;
    nv->ctl_pkt_busy = true;
    int rc =
        vmbus_chan_send_gpa(nv->ch, &r, 1, VMBUS_PKT_FLAG_COMPLETION_REQUESTED,
                            TID_CTRL, buf, sizeof(buf));
    if (rc) {
        nv->ctl_pkt_busy = false;
        return rc;
    }
    rc = wait_flag(nv, &nv->ctl_done);
    nv->ctl_wait_type = 0;
    return rc;
}

static int oid_request(struct netvsc *nv, uint32_t type, uint32_t oid,
                       const void *in, uint32_t in_len, void *out,
                       uint32_t *out_len, uint32_t *status)
{
    if (!nv->ctl_page)
        return -ENOTCONN;
    uint32_t rid = ++nv->next_rid;
    int len = rndis_build_oid_req(nv->ctl_page, PAGE_BYTES_CTL, type, rid, oid,
                                  in, in_len);
    if (len < 0)
        return len == -ENOSPC ? -EMSGSIZE : len;
    int rc = rndis_request(nv, (uint32_t)len, type | RNDIS_MSG_COMPLETION, rid);
    if (rc)
        return rc;
    struct rndis_view v;
    if (rndis_parse(nv->ctl_resp, nv->ctl_resp_len, &v))
        return -EIO;
    if (status)
        *status = v.status;
    if (v.status != RNDIS_STATUS_SUCCESS)
        return -EPROTO;
    if (out_len) {
        if (v.buf_len > *out_len)
            return -EMSGSIZE;
        if (v.buf_len)
            memcpy(out, v.buf, v.buf_len);
        *out_len = v.buf_len;
    }
    return 0;
}

int netvsc_query(struct netvsc *nv, uint32_t oid, void *buf, uint32_t *len,
                 uint32_t *status)
{
    return oid_request(nv, RNDIS_MSG_QUERY, oid, NULL, 0, buf, len, status);
}

int netvsc_set(struct netvsc *nv, uint32_t oid, const void *buf, uint32_t len,
               uint32_t *status)
{
    return oid_request(nv, RNDIS_MSG_SET, oid, buf, len, NULL, NULL, status);
}

int netvsc_keepalive(struct netvsc *nv)
{
    if (!nv->ctl_page)
        return -ENOTCONN;
    uint32_t rid = ++nv->next_rid;
    int len = rndis_build_keepalive(nv->ctl_page, PAGE_BYTES_CTL, rid);
    int rc = rndis_request(nv, (uint32_t)len, RNDIS_MSG_KEEPALIVE_CMPLT, rid);
    if (rc)
        return rc;
    struct rndis_view v;
    if (rndis_parse(nv->ctl_resp, nv->ctl_resp_len, &v))
        return -EIO;
    return v.status == RNDIS_STATUS_SUCCESS ? 0 : -EPROTO;
}

/* ---- bring-up ---- */

static const uint32_t nvsp_versions[] = {NVSP_VERSION_61, NVSP_VERSION_6,
                                         NVSP_VERSION_5, NVSP_VERSION_4,
                                         NVSP_VERSION_2};

static int negotiate(struct netvsc *nv)
{
    for (size_t i = 0; i < sizeof(nvsp_versions) / sizeof(nvsp_versions[0]);
         i++) {
        uint32_t ver = nvsp_versions[i];
        if (ver > nv->cfg.max_nvsp_version)
            continue;
        struct nvsp_msg_init m = {
            .type = NVSP_MSG_INIT, .min_version = ver, .max_version = ver};
        int rc = nvsp_request(nv, &m, sizeof(m), NVSP_MSG_INIT_COMPLETE);
        if (rc)
            return rc;
        struct nvsp_msg_init_complete c;
        memcpy(&c, nv->resp, sizeof(c));
        if (c.status == NVSP_STATUS_SUCCESS) {
            nv->nvsp_version = ver;
            return 0;
        }
    }
    return -ENOTSUP;
}

static int share(struct netvsc *nv, uint8_t **buf, uint32_t bytes,
                 uint32_t *gpadl)
{
    uint32_t npages = bytes / 4096u;
    uint64_t *pfns = calloc(npages, sizeof(*pfns));
    if (!pfns)
        return -ENOMEM;
    *buf = nv->plat.alloc_pages(nv->plat.ctx, npages);
    if (!*buf) {
        free(pfns);
        return -ENOMEM;
    }
    uint64_t pa = nv->plat.virt_to_phys(nv->plat.ctx, *buf);
    for (uint32_t i = 0; i < npages; i++)
        pfns[i] = (pa >> 12) + i;
    int rc = vmbus_chan_gpadl_create(nv->ch, pfns, npages, gpadl);
    free(pfns);
    if (rc) {
        nv->plat.free_pages(nv->plat.ctx, *buf, npages);
        *buf = NULL;
    }
    return rc;
}

static int setup_recv(struct netvsc *nv)
{
    int rc = share(nv, &nv->recv_buf, nv->recv_bytes, &nv->recv_gpadl);
    if (rc)
        return rc;
    struct nvsp_msg_send_buf m = {.type = NVSP_MSG1_SEND_RECV_BUF,
                                  .gpadl = nv->recv_gpadl,
                                  .id = NVSP_RECV_BUF_ID};
    rc = nvsp_request(nv, &m, sizeof(m), NVSP_MSG1_SEND_RECV_BUF_COMPLETE);
    if (rc)
        return rc;
    struct nvsp_msg_recv_buf_complete c;
    memcpy(&c, nv->resp, sizeof(c));
    if (c.status != NVSP_STATUS_SUCCESS || c.num_sections == 0) {
        nv_log(nv, "receive buffer refused (status %u)", c.status);
        return -EPROTO;
    }
    /* The sections are informational (ranges are checked per packet);
     * reject only nonsense. */
    if (c.section0.end_offset > nv->recv_bytes ||
        c.section0.offset > c.section0.end_offset) {
        nv_log(nv, "receive section outside the buffer");
        return -EPROTO;
    }
    return 0;
}

static int setup_send(struct netvsc *nv)
{
    int rc = share(nv, &nv->send_buf, nv->send_bytes, &nv->send_gpadl);
    if (rc)
        return rc;
    struct nvsp_msg_send_buf m = {.type = NVSP_MSG1_SEND_SEND_BUF,
                                  .gpadl = nv->send_gpadl,
                                  .id = NVSP_SEND_BUF_ID};
    rc = nvsp_request(nv, &m, sizeof(m), NVSP_MSG1_SEND_SEND_BUF_COMPLETE);
    if (rc)
        return rc;
    struct nvsp_msg_send_buf_complete c;
    memcpy(&c, nv->resp, sizeof(c));
    if (c.status != NVSP_STATUS_SUCCESS ||
        c.section_size < sizeof(struct rndis_packet) + NET_MAX_FRAME ||
        c.section_size > nv->send_bytes) {
        nv_log(nv, "send buffer refused (status %u, section %u bytes)",
               c.status, c.section_size);
        return -EPROTO;
    }
    nv->section_size = c.section_size;
    nv->nsections = nv->send_bytes / c.section_size;
    if (nv->nsections > MAX_SECTIONS)
        nv->nsections = MAX_SECTIONS;
    nv->section_busy = calloc(nv->nsections, 1);
    if (!nv->section_busy)
        return -ENOMEM;
    nv->free_sections = nv->nsections;
    return 0;
}

static int rndis_bringup(struct netvsc *nv)
{
    uint32_t rid = ++nv->next_rid;
    int len =
        rndis_build_init(nv->ctl_page, PAGE_BYTES_CTL, rid, RX_COPY_BYTES);
    int rc = rndis_request(nv, (uint32_t)len, RNDIS_MSG_INIT_CMPLT, rid);
    if (rc)
        return rc;
    struct rndis_view v;
    if (rndis_parse(nv->ctl_resp, nv->ctl_resp_len, &v) ||
        v.status != RNDIS_STATUS_SUCCESS || v.medium != RNDIS_MEDIUM_802_3) {
        nv_log(nv, "RNDIS initialize refused (status 0x%x)", v.status);
        return -EPROTO;
    }

    uint32_t n = sizeof(nv->mac);
    rc = netvsc_query(nv, RNDIS_OID_802_3_PERMANENT_ADDRESS, nv->mac, &n, NULL);
    if (rc || n != sizeof(nv->mac))
        return rc ? rc : -EPROTO;

    uint32_t val = 0;
    n = sizeof(val);
    rc = netvsc_query(nv, RNDIS_OID_GEN_MAXIMUM_FRAME_SIZE, &val, &n, NULL);
    if (rc == 0 && n == 4 && val >= 576)
        nv->mtu = val > 1500 ? 1500 : (uint16_t)val;
    else
        nv->mtu = 1500;

    n = sizeof(val);
    rc = netvsc_query(nv, RNDIS_OID_GEN_MEDIA_CONNECT_STATUS, &val, &n, NULL);
    nv->link = rc == 0 && n == 4 && val == RNDIS_MEDIA_STATE_CONNECTED;

    uint32_t filter = RNDIS_FILTER_DIRECTED | RNDIS_FILTER_BROADCAST |
                      RNDIS_FILTER_ALL_MULTICAST;
    return netvsc_set(nv, RNDIS_OID_GEN_CURRENT_PACKET_FILTER, &filter,
                      sizeof(filter), NULL);
}

static void teardown(struct netvsc *nv)
{
    if (nv->recv_buf) {
        struct nvsp_msg_revoke_buf r = {.type = NVSP_MSG1_REVOKE_RECV_BUF,
                                        .id = NVSP_RECV_BUF_ID};
        nvsp_send(nv, &r, sizeof(r), 0, false);
        vmbus_chan_gpadl_teardown(nv->ch, nv->recv_gpadl);
    }
    if (nv->send_buf) {
        struct nvsp_msg_revoke_buf r = {.type = NVSP_MSG1_REVOKE_SEND_BUF,
                                        .id = NVSP_SEND_BUF_ID};
        nvsp_send(nv, &r, sizeof(r), 0, false);
        vmbus_chan_gpadl_teardown(nv->ch, nv->send_gpadl);
    }
    vmbus_chan_close(nv->ch);
    if (nv->recv_buf)
        nv->plat.free_pages(nv->plat.ctx, nv->recv_buf, nv->recv_bytes / 4096);
    if (nv->send_buf)
        nv->plat.free_pages(nv->plat.ctx, nv->send_buf, nv->send_bytes / 4096);
    if (nv->ctl_page)
        nv->plat.free_pages(nv->plat.ctx, nv->ctl_page, 1);
    free(nv->section_busy);
    free(nv);
}

int netvsc_open(struct vmbus_channel *ch, const struct vmbus_platform *plat,
                const struct netvsc_config *cfg, struct netvsc **out)
{
    struct netvsc_config c = cfg ? *cfg : (struct netvsc_config){0};
    if (!c.max_nvsp_version)
        c.max_nvsp_version = NVSP_VERSION_61;
    if (!c.recv_buf_bytes)
        c.recv_buf_bytes = DEF_RECV_BYTES;
    if (!c.send_buf_bytes)
        c.send_buf_bytes = DEF_SEND_BYTES;
    if (!c.ring_bytes)
        c.ring_bytes = DEF_RING_BYTES;
    if (!c.timeout_ns)
        c.timeout_ns = DEF_TIMEOUT_NS;
    if ((c.recv_buf_bytes | c.send_buf_bytes | c.ring_bytes) & 4095u)
        return -EINVAL;

    struct netvsc *nv = calloc(1, sizeof(*nv));
    if (!nv)
        return -ENOMEM;
    nv->ch = ch;
    nv->plat = *plat;
    nv->cfg = c;
    nv->recv_bytes = c.recv_buf_bytes;
    nv->send_bytes = c.send_buf_bytes;
    nv->ctl_page = plat->alloc_pages(plat->ctx, 1);
    if (!nv->ctl_page) {
        free(nv);
        return -ENOMEM;
    }
    int rc =
        vmbus_chan_open(ch, c.ring_bytes, c.ring_bytes, NULL, 0, chan_cb, nv);
    if (rc) {
        plat->free_pages(plat->ctx, nv->ctl_page, 1);
        free(nv);
        return rc;
    }
    rc = negotiate(nv);
    if (rc == 0 && nv->nvsp_version >= NVSP_VERSION_2) {
        struct nvsp_msg_ndis_config m = {.type = NVSP_MSG2_SEND_NDIS_CONFIG,
                                         .mtu = 1500 + NET_ETH_HDR_BYTES};
        rc = nvsp_send(nv, &m, sizeof(m), 0, false);
    }
    if (rc == 0) {
        struct nvsp_msg_ndis_version m = {
            .type = NVSP_MSG1_SEND_NDIS_VERSION,
            .ndis_major = 6,
            .ndis_minor = nv->nvsp_version >= NVSP_VERSION_5 ? 30 : 1};
        rc = nvsp_send(nv, &m, sizeof(m), 0, false);
    }
    if (rc == 0)
        rc = setup_recv(nv);
    if (rc == 0)
        rc = setup_send(nv);
    if (rc == 0)
        rc = rndis_bringup(nv);
    if (rc) {
        nv_log(nv, "bring-up failed (%d)", rc);
        teardown(nv);
        return rc;
    }
    nv->up = true;
    *out = nv;
    return 0;
}

void netvsc_close(struct netvsc *nv)
{
    if (!nv)
        return;
    if (nv->up && !nv->ctl_pkt_busy) {
        /* HALT has no completion; wait only for the host to take it. */
        int len =
            rndis_build_halt(nv->ctl_page, PAGE_BYTES_CTL, ++nv->next_rid);
        uint64_t pfn = nv->plat.virt_to_phys(nv->plat.ctx, nv->ctl_page) >> 12;
        struct vmbus_chan_range r = {
            .byte_count = (uint32_t)len, .byte_offset = 0, .pfns = &pfn};
        struct nvsp_msg_rndis_pkt m = {
            .type = NVSP_MSG1_SEND_RNDIS_PKT,
            .channel_type = NVSP_RNDIS_CHANNEL_CONTROL,
            .send_buf_section_index = NVSP_SECTION_INDEX_NONE};
        uint8_t buf[NVSP_MSG_SIZE_V61];
        memset(buf, 0, sizeof(buf));
        memcpy(buf, &m, sizeof(m));
        nv->ctl_pkt_busy = true;
        if (vmbus_chan_send_gpa(nv->ch, &r, 1,
                                VMBUS_PKT_FLAG_COMPLETION_REQUESTED, TID_CTRL,
                                buf, sizeof(buf)) == 0) {
            bool idle = false;
            uint64_t deadline =
                nv->plat.now_ns(nv->plat.ctx) + nv->cfg.timeout_ns;
            while (!idle && nv->plat.now_ns(nv->plat.ctx) < deadline) {
                netvsc_poll(nv);
                idle = !nv->ctl_pkt_busy || nv->broken;
                if (!idle)
                    nv->plat.wait(nv->plat.ctx, deadline);
            }
        }
    }
    nv->up = false;
    teardown(nv);
}

void netvsc_set_handlers(struct netvsc *nv, netvsc_rx_fn rx,
                         netvsc_link_fn link, void *ctx)
{
    nv->rx = rx;
    nv->on_link = link;
    nv->hctx = ctx;
}

int netvsc_send(struct netvsc *nv, const void *frame, uint32_t len)
{
    if (!nv->up)
        return -ENOTCONN;
    if (len < NET_ETH_HDR_BYTES || len > (uint32_t)nv->mtu + 18u ||
        sizeof(struct rndis_packet) + len > nv->section_size)
        return -EMSGSIZE;
    if (nv->free_sections == 0) {
        netvsc_poll(nv); /* completions may be waiting */
        if (nv->free_sections == 0) {
            nv->stats.tx_busy++;
            return -EAGAIN;
        }
    }
    uint32_t idx = nv->hint;
    while (nv->section_busy[idx])
        idx = (idx + 1) % nv->nsections;
    uint8_t *sec = nv->send_buf + (size_t)idx * nv->section_size;
    /* Runts are padded to the Ethernet minimum, as a NIC would. */
    uint32_t wire = len < ETH_MIN_FRAME ? ETH_MIN_FRAME : len;
    int off = rndis_build_packet(sec, nv->section_size, NULL, 0, wire);
    if (off < 0)
        return -EMSGSIZE;
    memcpy(sec + off, frame, len);
    memset(sec + off + len, 0, wire - len);

    struct nvsp_msg_rndis_pkt m = {.type = NVSP_MSG1_SEND_RNDIS_PKT,
                                   .channel_type = NVSP_RNDIS_CHANNEL_DATA,
                                   .send_buf_section_index = idx,
                                   .send_buf_section_size =
                                       (uint32_t)off + wire};
    nv->section_busy[idx] = 1;
    nv->free_sections--;
    /* Inside netvsc_poll() (frames sent from the rx path, e.g. ACKs) the
     * packet is only put; the poll publishes the batch once at its end. */
    uint8_t buf[NVSP_MSG_SIZE_V61];
    memset(buf, 0, sizeof(buf));
    memcpy(buf, &m, sizeof(m));
    int rc = vmbus_chan_put(nv->ch, VMBUS_PKT_DATA_INBAND,
                            VMBUS_PKT_FLAG_COMPLETION_REQUESTED, TID_SEND | idx,
                            buf, sizeof(buf));
    if (rc == -EAGAIN && nv->unflushed) {
        vmbus_chan_flush(nv->ch);
        nv->unflushed = false;
        rc = vmbus_chan_put(nv->ch, VMBUS_PKT_DATA_INBAND,
                            VMBUS_PKT_FLAG_COMPLETION_REQUESTED, TID_SEND | idx,
                            buf, sizeof(buf));
    }
    if (rc == 0) {
        if (nv->in_poll)
            nv->unflushed = true;
        else
            rc = vmbus_chan_flush(nv->ch);
    }
    if (rc) {
        nv->section_busy[idx] = 0;
        nv->free_sections++;
        if (rc == -EAGAIN)
            nv->stats.tx_busy++;
        return rc == -EAGAIN ? -EAGAIN : -EIO;
    }
    nv->hint = (idx + 1) % nv->nsections;
    nv->stats.tx_frames++;
    nv->stats.tx_bytes += len;
    return 0;
}

uint32_t netvsc_nvsp_version(const struct netvsc *nv)
{
    return nv->nvsp_version;
}

const uint8_t *netvsc_mac(const struct netvsc *nv)
{
    return nv->mac;
}

uint16_t netvsc_mtu(const struct netvsc *nv)
{
    return nv->mtu;
}

bool netvsc_link_up(const struct netvsc *nv)
{
    return nv->link;
}

const struct netvsc_stats *netvsc_get_stats(const struct netvsc *nv)
{
    return &nv->stats;
}

uint32_t netvsc_free_sections(const struct netvsc *nv)
{
    return nv->free_sections;
}

static int link_send(void *ctx, const void *frame, size_t len)
{
    return netvsc_send(ctx, frame, (uint32_t)len);
}

void netvsc_net_link(struct netvsc *nv, struct net_link *link)
{
    memset(link, 0, sizeof(*link));
    link->ctx = nv;
    link->send = link_send;
    memcpy(link->mac, nv->mac, sizeof(link->mac));
    link->mtu = nv->mtu;
}
