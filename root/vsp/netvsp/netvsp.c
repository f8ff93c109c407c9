/*
 * netvsp (contract in root/vsp/netvsp/netvsp.h).
 *
 * Guest buffers are reached only through vmbus_server_gpa(), page by page,
 * from PFN lists copied when the guest hands the buffer over.  Guest
 * packets are copied out of the ring by vmbus_server_chan_recv(), RNDIS
 * messages out of the send buffer or GPA pages into local memory, before
 * anything is parsed.
 */
#include "root/vsp/netvsp/netvsp.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "common/rndis.h"
#include "proto/nvsp.h"
#include "proto/ring.h"

#define PAGE 4096u
#define PKT_BYTES 4096u    /* one guest ring packet */
#define MSG_BYTES 16384u   /* one guest RNDIS transfer, copied out */
#define CTL_QUEUE 16u      /* control messages waiting for a slot */
#define CTL_MSG_BYTES 256u /* largest control message we send */
#define MAX_PAGES 8190u    /* per buffer (one GPADL) */
#define TID_SLOT 0x4e00000000000000ull
#define MAX_PKTS_PER_MSG 8u

struct guest_buf {
    uint64_t *pfns;
    uint32_t npages;
    uint32_t bytes;
    bool set;
};

struct netvsp {
    struct netvsp_config cfg;
    struct vmbus_server *srv;
    struct vmbus_server_channel *ch;
    struct netvsp_stats stats;

    uint32_t nvsp_version; /* 0 until INIT succeeded */
    uint32_t ndis_version;
    struct guest_buf recv, send;
    uint32_t slot_bytes, nslots, free_slots, slot_hint;
    uint16_t recv_id; /* the guest's id for its receive buffer, echoed */
    uint8_t *slot_busy;
    uint32_t section_bytes, nsections;

    bool rndis_up;
    uint32_t filter;
    uint32_t faults; /* NETVSP_FAULT_* */
    bool link;

    uint8_t ctlq[CTL_QUEUE][CTL_MSG_BYTES];
    uint32_t ctlq_len[CTL_QUEUE];
    uint32_t ctlq_head, ctlq_count;

    uint8_t pkt[PKT_BYTES];
    uint8_t msg[MSG_BYTES];
    uint8_t out[MSG_BYTES];
};

static void vlog(struct netvsp *v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void vlog(struct netvsp *v, const char *fmt, ...)
{
    char line[160];
    va_list ap;

    if (!v->cfg.log)
        return;
    va_start(ap, fmt);
    int n = snprintf(line, sizeof(line), "netvsp: ");
    vsnprintf(line + n, sizeof(line) - (size_t)n, fmt, ap);
    va_end(ap);
    v->cfg.log(v->cfg.log_ctx, line);
}

static uint32_t rd32(const uint8_t *p, uint32_t off)
{
    uint32_t x;
    memcpy(&x, p + off, 4);
    return x;
}

/* ---- guest buffers ---- */

static void buf_drop(struct netvsp *v, struct guest_buf *b)
{
    if (b->pfns)
        v->cfg.free(v->cfg.alloc_ctx, b->pfns);
    memset(b, 0, sizeof(*b));
}

/* Takes a single-range GPADL starting at offset 0 of its first page. */
static int buf_take(struct netvsp *v, struct guest_buf *b, uint32_t handle)
{
    const struct gpadl_asm *g = vmbus_server_chan_gpadl(v->ch, handle);
    if (!g || g->range_count != 1 || g->buflen < 16)
        return -EINVAL;
    uint32_t byte_count = (uint32_t)g->buf[0];
    uint32_t byte_offset = (uint32_t)(g->buf[0] >> 32);
    uint64_t npages = ((uint64_t)byte_count + PAGE - 1) / PAGE;
    if (byte_offset != 0 || byte_count == 0 || npages > MAX_PAGES ||
        npages > g->buflen / 8u - 1u)
        return -EINVAL;
    b->pfns = v->cfg.alloc(v->cfg.alloc_ctx, npages * sizeof(uint64_t));
    if (!b->pfns)
        return -ENOMEM;
    memcpy(b->pfns, &g->buf[1], npages * sizeof(uint64_t));
    b->npages = (uint32_t)npages;
    b->bytes = byte_count;
    b->set = true;
    return 0;
}

/* Copies between a guest buffer and local memory; false if any page is
 * not guest RAM or the range leaves the buffer. */
static bool buf_copy(struct netvsp *v, const struct guest_buf *b, uint32_t off,
                     void *local, uint32_t len, bool to_guest)
{
    uint8_t *l = local;
    if (!b->set || (uint64_t)off + len > b->bytes)
        return false;
    while (len) {
        uint32_t in = off % PAGE;
        uint32_t n = PAGE - in < len ? PAGE - in : len;
        uint8_t *g =
            vmbus_server_gpa(v->srv, b->pfns[off / PAGE] * PAGE + in, n);
        if (!g)
            return false;
        if (to_guest)
            memcpy(g, l, n);
        else
            memcpy(l, g, n);
        l += n;
        off += n;
        len -= n;
    }
    return true;
}

/* ---- sending to the guest ---- */

static uint32_t msg_size(const struct netvsp *v)
{
    return v->nvsp_version >= NVSP_VERSION_61 ? NVSP_MSG_SIZE_V61
                                              : NVSP_MSG_SIZE_V1;
}

/* An NVSP reply: a completion when the request asked for one. */
static void reply(struct netvsp *v, const struct ring_pkt_info *req,
                  const void *msg, uint32_t len)
{
    uint8_t buf[NVSP_MSG_SIZE_MAX];
    memset(buf, 0, sizeof(buf));
    memcpy(buf, msg, len);
    bool comp = req->flags & VMBUS_PKT_FLAG_COMPLETION_REQUESTED;
    int rc = vmbus_server_chan_send(
        v->ch, comp ? VMBUS_PKT_COMPLETION : VMBUS_PKT_DATA_INBAND, 0,
        req->trans_id, buf, msg_size(v));
    if (rc)
        vlog(v, "reply to NVSP %u lost (%d)", rd32(buf, 0), rc);
}

static int slot_get(struct netvsp *v, uint32_t *slot)
{
    if (!v->free_slots)
        return -ENOBUFS;
    uint32_t i = v->slot_hint;
    while (v->slot_busy[i])
        i = (i + 1) % v->nslots;
    v->slot_busy[i] = 1;
    v->free_slots--;
    v->slot_hint = (i + 1) % v->nslots;
    *slot = i;
    return 0;
}

static void slot_put(struct netvsp *v, uint32_t slot)
{
    v->slot_busy[slot] = 0;
    v->free_slots++;
}

/*
 * One RNDIS message into a receive slot and a transfer-page packet (page
 * set id, one range, then the NVSP "send RNDIS packet" message).
 */
static int deliver(struct netvsp *v, const void *rndis, uint32_t len,
                   uint32_t channel_type)
{
    uint32_t slot;
    if (!v->recv.set || len > v->slot_bytes)
        return -EMSGSIZE;
    int rc = slot_get(v, &slot);
    if (rc)
        return rc;
    uint32_t off = slot * v->slot_bytes;
    if (!buf_copy(v, &v->recv, off, (void *)(uintptr_t)rndis, len, true)) {
        slot_put(v, slot);
        return -EIO;
    }
    /* Transfer-page header after the descriptor: page set, one range. */
    struct {
        uint16_t xfer_pageset_id;
        uint8_t sender_owns_set;
        uint8_t reserved;
        uint32_t range_count;
        struct vmbus_xfer_range range;
    } hdr;
    _Static_assert(sizeof(hdr) % 8 == 0, "offset8 counts whole words");
    memset(&hdr, 0, sizeof(hdr));
    hdr.xfer_pageset_id = v->recv_id;
    hdr.range_count = 1;
    hdr.range.byte_count = len;
    hdr.range.byte_offset = off;
    uint8_t nvsp[NVSP_MSG_SIZE_MAX];
    struct nvsp_msg_rndis_pkt m = {.type = NVSP_MSG1_SEND_RNDIS_PKT,
                                   .channel_type = channel_type,
                                   .send_buf_section_index =
                                       NVSP_SECTION_INDEX_NONE};
    memset(nvsp, 0, sizeof(nvsp));
    memcpy(nvsp, &m, sizeof(m));
    /* offset8 points past the ranges at the NVSP message, as on Hyper-V. */
    rc = vmbus_server_chan_send_hdr(v->ch, VMBUS_PKT_DATA_TRANSFER_PAGES,
                                    VMBUS_PKT_FLAG_COMPLETION_REQUESTED,
                                    TID_SLOT | slot, &hdr, sizeof(hdr), nvsp,
                                    msg_size(v));
    if (rc) {
        slot_put(v, slot);
        return rc;
    }
    return 0;
}

static void ctl_flush(struct netvsp *v)
{
    while (v->ctlq_count) {
        uint32_t i = v->ctlq_head;
        int rc =
            deliver(v, v->ctlq[i], v->ctlq_len[i], NVSP_RNDIS_CHANNEL_CONTROL);
        if (rc == -ENOBUFS || rc == -EAGAIN)
            return;
        if (rc)
            vlog(v, "control message dropped (%d)", rc);
        v->ctlq_head = (i + 1) % CTL_QUEUE;
        v->ctlq_count--;
    }
}

static void ctl_send(struct netvsp *v, const void *msg, int len)
{
    if (len <= 0 || (uint32_t)len > CTL_MSG_BYTES)
        return;
    if (v->ctlq_count == CTL_QUEUE) {
        vlog(v, "control queue full; message dropped");
        return;
    }
    if (v->faults & NETVSP_FAULT_NO_CONTROL_REPLY)
        return;
    uint32_t i = (v->ctlq_head + v->ctlq_count) % CTL_QUEUE;
    memcpy(v->ctlq[i], msg, (uint32_t)len);
    v->ctlq_len[i] = (uint32_t)len;
    v->ctlq_count++;
    ctl_flush(v);
}

/* ---- RNDIS from the guest ---- */

static const uint32_t supported_oids[] = {
    RNDIS_OID_GEN_SUPPORTED_LIST,
    RNDIS_OID_GEN_HARDWARE_STATUS,
    RNDIS_OID_GEN_MEDIA_SUPPORTED,
    RNDIS_OID_GEN_MEDIA_IN_USE,
    RNDIS_OID_GEN_MAXIMUM_LOOKAHEAD,
    RNDIS_OID_GEN_MAXIMUM_FRAME_SIZE,
    RNDIS_OID_GEN_LINK_SPEED,
    RNDIS_OID_GEN_TRANSMIT_BUFFER_SPACE,
    RNDIS_OID_GEN_RECEIVE_BUFFER_SPACE,
    RNDIS_OID_GEN_TRANSMIT_BLOCK_SIZE,
    RNDIS_OID_GEN_RECEIVE_BLOCK_SIZE,
    RNDIS_OID_GEN_VENDOR_ID,
    RNDIS_OID_GEN_VENDOR_DESCRIPTION,
    RNDIS_OID_GEN_CURRENT_PACKET_FILTER,
    RNDIS_OID_GEN_CURRENT_LOOKAHEAD,
    RNDIS_OID_GEN_DRIVER_VERSION,
    RNDIS_OID_GEN_MAXIMUM_TOTAL_SIZE,
    RNDIS_OID_GEN_MAC_OPTIONS,
    RNDIS_OID_GEN_MEDIA_CONNECT_STATUS,
    RNDIS_OID_GEN_MAXIMUM_SEND_PACKETS,
    RNDIS_OID_GEN_VENDOR_DRIVER_VERSION,
    RNDIS_OID_GEN_PHYSICAL_MEDIUM,
    RNDIS_OID_GEN_XMIT_OK,
    RNDIS_OID_GEN_RCV_OK,
    RNDIS_OID_GEN_XMIT_ERROR,
    RNDIS_OID_GEN_RCV_ERROR,
    RNDIS_OID_GEN_RCV_NO_BUFFER,
    RNDIS_OID_802_3_PERMANENT_ADDRESS,
    RNDIS_OID_802_3_CURRENT_ADDRESS,
    RNDIS_OID_802_3_MULTICAST_LIST,
    RNDIS_OID_802_3_MAXIMUM_LIST_SIZE,
    RNDIS_OID_802_3_MAC_OPTIONS,
    RNDIS_OID_802_3_RCV_ERROR_ALIGNMENT,
    RNDIS_OID_802_3_XMIT_ONE_COLLISION,
    RNDIS_OID_802_3_XMIT_MORE_COLLISIONS,
    RNDIS_OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES,
    RNDIS_OID_TCP_OFFLOAD_CURRENT_CONFIG,
};

/* Answers a query into info; returns its length or -1 (not supported). */
static int query_oid(struct netvsp *v, uint32_t oid, uint32_t want,
                     uint8_t *info, uint32_t cap)
{
    uint32_t u = 0;
    uint64_t counter;
    bool is_counter = false;

    switch (oid) {
    case RNDIS_OID_GEN_SUPPORTED_LIST:
        memcpy(info, supported_oids, sizeof(supported_oids));
        return (int)sizeof(supported_oids);
    case RNDIS_OID_GEN_HARDWARE_STATUS: /* ready */
    case RNDIS_OID_GEN_MEDIA_SUPPORTED:
    case RNDIS_OID_GEN_MEDIA_IN_USE: /* 802.3 */
    case RNDIS_OID_GEN_MAC_OPTIONS:
    case RNDIS_OID_GEN_PHYSICAL_MEDIUM:
    case RNDIS_OID_802_3_MAC_OPTIONS:
        u = 0;
        break;
    case RNDIS_OID_GEN_MAXIMUM_LOOKAHEAD:
    case RNDIS_OID_GEN_CURRENT_LOOKAHEAD:
    case RNDIS_OID_GEN_MAXIMUM_FRAME_SIZE:
        u = v->cfg.mtu;
        break;
    case RNDIS_OID_GEN_TRANSMIT_BLOCK_SIZE:
    case RNDIS_OID_GEN_RECEIVE_BLOCK_SIZE:
    case RNDIS_OID_GEN_MAXIMUM_TOTAL_SIZE:
        u = v->cfg.mtu + 14u;
        break;
    case RNDIS_OID_GEN_LINK_SPEED:
        u = v->cfg.link_speed;
        break;
    case RNDIS_OID_GEN_TRANSMIT_BUFFER_SPACE:
        u = v->send.bytes;
        break;
    case RNDIS_OID_GEN_RECEIVE_BUFFER_SPACE:
        u = v->recv.bytes;
        break;
    case RNDIS_OID_GEN_VENDOR_ID:
        u = 0x00155d00u; /* OUI-style, low byte an index */
        break;
    case RNDIS_OID_GEN_VENDOR_DESCRIPTION: {
        static const char d[] = "Enlight netvsp";
        memcpy(info, d, sizeof(d));
        return (int)sizeof(d);
    }
    case RNDIS_OID_GEN_DRIVER_VERSION:
    case RNDIS_OID_GEN_VENDOR_DRIVER_VERSION:
        u = 0x00010000u;
        break;
    case RNDIS_OID_GEN_CURRENT_PACKET_FILTER:
        u = v->filter;
        break;
    case RNDIS_OID_GEN_MEDIA_CONNECT_STATUS:
        u = v->link ? RNDIS_MEDIA_STATE_CONNECTED
                    : RNDIS_MEDIA_STATE_DISCONNECTED;
        break;
    case RNDIS_OID_GEN_MAXIMUM_SEND_PACKETS:
        u = MAX_PKTS_PER_MSG;
        break;
    case RNDIS_OID_802_3_MAXIMUM_LIST_SIZE:
        u = 32;
        break;
    case RNDIS_OID_GEN_XMIT_OK:
        counter = v->stats.tx_frames;
        is_counter = true;
        break;
    case RNDIS_OID_GEN_RCV_OK:
        counter = v->stats.rx_frames;
        is_counter = true;
        break;
    case RNDIS_OID_GEN_XMIT_ERROR:
        counter = v->stats.tx_dropped;
        is_counter = true;
        break;
    case RNDIS_OID_GEN_RCV_NO_BUFFER:
        counter = v->stats.rx_no_buffer;
        is_counter = true;
        break;
    case RNDIS_OID_GEN_RCV_ERROR:
    case RNDIS_OID_802_3_RCV_ERROR_ALIGNMENT:
    case RNDIS_OID_802_3_XMIT_ONE_COLLISION:
    case RNDIS_OID_802_3_XMIT_MORE_COLLISIONS:
        counter = 0;
        is_counter = true;
        break;
    case RNDIS_OID_802_3_PERMANENT_ADDRESS:
    case RNDIS_OID_802_3_CURRENT_ADDRESS:
        memcpy(info, v->cfg.mac, 6);
        return 6;
    case RNDIS_OID_802_3_MULTICAST_LIST:
        return 0;
    case RNDIS_OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES:
    case RNDIS_OID_TCP_OFFLOAD_CURRENT_CONFIG: {
        /*
         * The revision follows the guest's NDIS version and the buffer it
         * offered: Linux asks 6.30 hosts with a 156-byte buffer (revision
         * 2) and fails a longer answer; a query without a buffer size
         * gets the whole structure.
         */
        struct rndis_ndis_offload o;
        memset(&o, 0, sizeof(o));
        o.hdr.type = RNDIS_NDIS_OBJECT_TYPE_OFFLOAD;
        bool v630 = v->ndis_version >= NVSP_NDIS_VERSION_6_30;
        if (v630 && (want == 0 || want >= RNDIS_NDIS_OFFLOAD_SIZE_6_30)) {
            o.hdr.revision = RNDIS_NDIS_OFFLOAD_REVISION_3;
            o.hdr.size = RNDIS_NDIS_OFFLOAD_SIZE_6_30;
        } else if (v630 && want >= RNDIS_NDIS_OFFLOAD_SIZE_6_1) {
            o.hdr.revision = RNDIS_NDIS_OFFLOAD_REVISION_2;
            o.hdr.size = RNDIS_NDIS_OFFLOAD_SIZE_6_1;
        } else {
            o.hdr.revision = RNDIS_NDIS_OFFLOAD_REVISION_1;
            o.hdr.size = RNDIS_NDIS_OFFLOAD_SIZE_6_0;
        }
        /* Transmit checksums for IPv4, computed here (tx_checksums). */
        o.ip4_tx_encap = RNDIS_OFFLOAD_ENCAP_802_3;
        o.ip4_tx_csum = RNDIS_CSUM_CAP_IP4 | RNDIS_CSUM_CAP_IP4OPT |
                        RNDIS_CSUM_CAP_TCP4 | RNDIS_CSUM_CAP_TCP4OPT |
                        RNDIS_CSUM_CAP_UDP4;
        memcpy(info, &o, o.hdr.size);
        return o.hdr.size;
    }
    default:
        return -1;
    }
    (void)cap;
    if (is_counter && want >= 8) {
        memcpy(info, &counter, 8);
        return 8;
    }
    if (is_counter)
        u = (uint32_t)counter;
    memcpy(info, &u, 4);
    return 4;
}

static uint32_t set_oid(struct netvsp *v, uint32_t oid, const uint8_t *info,
                        uint32_t len)
{
    switch (oid) {
    case RNDIS_OID_GEN_CURRENT_PACKET_FILTER:
        if (len < 4)
            return RNDIS_STATUS_INVALID_LENGTH;
        v->filter = rd32(info, 0);
        return RNDIS_STATUS_SUCCESS;
    case RNDIS_OID_802_3_MULTICAST_LIST:
        return len % 6 ? RNDIS_STATUS_INVALID_LENGTH : RNDIS_STATUS_SUCCESS;
    case RNDIS_OID_TCP_OFFLOAD_PARAMETERS:
    case RNDIS_OID_GEN_RNDIS_CONFIG_PARAMETER:
    case RNDIS_OID_OFFLOAD_ENCAPSULATION:
    case RNDIS_OID_GEN_CURRENT_LOOKAHEAD:
        return RNDIS_STATUS_SUCCESS; /* accepted, nothing to offload */
    default:
        return RNDIS_STATUS_NOT_SUPPORTED;
    }
}

static void handle_control(struct netvsp *v, const struct rndis_view *m)
{
    uint8_t out[CTL_MSG_BYTES];
    uint8_t info[CTL_MSG_BYTES];
    int n;

    v->stats.ctl_requests++;
    switch (m->type) {
    case RNDIS_MSG_INIT:
        v->rndis_up = true;
        n = rndis_build_init_cmplt(out, sizeof(out), m->request_id,
                                   RNDIS_STATUS_SUCCESS, MAX_PKTS_PER_MSG,
                                   MSG_BYTES, RNDIS_PKT_ALIGNMENT_DEFAULT);
        break;
    case RNDIS_MSG_QUERY: {
        int ilen = query_oid(v, m->oid, m->buf_len, info,
                             sizeof(out) - sizeof(struct rndis_query_cmplt));
        n = rndis_build_query_cmplt(out, sizeof(out), m->request_id,
                                    ilen < 0 ? RNDIS_STATUS_NOT_SUPPORTED
                                             : RNDIS_STATUS_SUCCESS,
                                    info, ilen < 0 ? 0 : (uint32_t)ilen);
        break;
    }
    case RNDIS_MSG_SET:
        n = rndis_build_status_cmplt(out, sizeof(out), RNDIS_MSG_SET_CMPLT,
                                     m->request_id,
                                     set_oid(v, m->oid, m->buf, m->buf_len));
        break;
    case RNDIS_MSG_RESET:
        v->filter = 0;
        n = rndis_build_reset_cmplt(out, sizeof(out), RNDIS_STATUS_SUCCESS, 1);
        break;
    case RNDIS_MSG_KEEPALIVE:
        n = rndis_build_status_cmplt(out, sizeof(out),
                                     RNDIS_MSG_KEEPALIVE_CMPLT, m->request_id,
                                     RNDIS_STATUS_SUCCESS);
        break;
    case RNDIS_MSG_HALT:
        v->rndis_up = false;
        v->filter = 0;
        return;
    default:
        v->stats.bad_rndis++;
        return;
    }
    ctl_send(v, out, n);
}

/* ---- transmit checksum offload (IPv4 TCP/UDP and the IP header) ---- */

static uint32_t sum16(const uint8_t *p, uint32_t len, uint32_t sum)
{
    for (uint32_t i = 0; i + 1 < len; i += 2)
        sum += (uint32_t)p[i] << 8 | p[i + 1];
    if (len & 1)
        sum += (uint32_t)p[len - 1] << 8;
    return sum;
}

static uint16_t fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffffu) + (sum >> 16);
    return (uint16_t)~sum;
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/*
 * Fills in the checksums a TCPIP_CHECKSUM per-packet info asks for, from
 * scratch (whatever the guest left in the fields: Linux leaves the
 * pseudo-header sum, others zero).  Frames that are not what the flags
 * claim are left alone; the receiver will drop them.
 */
static void tx_checksums(uint8_t *f, uint32_t len, uint32_t flags)
{
    if (!(flags & RNDIS_CSUM_TX_IPV4) || len < 14 + 20 || f[12] != 0x08 ||
        f[13] != 0x00)
        return;
    uint8_t *ip = f + 14;
    uint32_t ihl = (ip[0] & 15u) * 4u;
    uint32_t total = (uint32_t)ip[2] << 8 | ip[3];
    if ((ip[0] >> 4) != 4 || ihl < 20 || total < ihl || 14 + total > len)
        return;
    if (flags & RNDIS_CSUM_TX_IP_HEADER) {
        put16(ip + 10, 0);
        put16(ip + 10, fold(sum16(ip, ihl, 0)));
    }
    bool tcp = flags & RNDIS_CSUM_TX_TCP, udp = flags & RNDIS_CSUM_TX_UDP;
    if (!tcp && !udp)
        return;
    if ((ip[6] & 0x3fu) || ip[7]) /* a fragment: no whole L4 header */
        return;
    uint8_t *l4 = ip + ihl;
    uint32_t l4len = total - ihl;
    uint32_t at = tcp ? 16u : 6u; /* checksum field offset */
    if ((tcp && ip[9] != 6) || (udp && ip[9] != 17) || l4len < at + 2)
        return;
    put16(l4 + at, 0);
    uint32_t sum = sum16(ip + 12, 8, 0) + ip[9] + l4len; /* pseudo-header */
    uint16_t c = fold(sum16(l4, l4len, sum));
    put16(l4 + at, udp && c == 0 ? 0xffffu : c);
}

/* Handles a transfer of RNDIS messages; returns an NVSP status. */
static uint32_t handle_rndis(struct netvsp *v, const uint8_t *msg, uint32_t len)
{
    uint32_t at = 0, count = 0;

    while (at < len) {
        struct rndis_view m;
        if (rndis_parse(msg + at, len - at, &m) || ++count > MAX_PKTS_PER_MSG) {
            v->stats.bad_rndis++;
            vlog(v, "malformed RNDIS message at %u", at);
            return NVSP_STATUS_INVALID_RNDIS_PACKET;
        }
        if (m.type == RNDIS_MSG_PACKET) {
            uint32_t csum;
            /* The frame lies in our copy (v->msg): fix it in place. */
            if (m.ppi && rndis_ppi_u32(m.ppi, m.ppi_len,
                                       RNDIS_PPI_TCPIP_CHECKSUM, &csum) == 0) {
                tx_checksums((uint8_t *)(uintptr_t)m.buf, m.buf_len, csum);
                v->stats.tx_csum_offloaded++;
            }
            if (!v->rndis_up || m.buf_len < 14 ||
                m.buf_len > v->cfg.mtu + 18u) {
                v->stats.tx_dropped++;
            } else if (v->cfg.backend->transmit(v->cfg.backend_ctx, m.buf,
                                                m.buf_len)) {
                v->stats.tx_dropped++;
            } else {
                v->stats.tx_frames++;
                v->stats.tx_bytes += m.buf_len;
            }
        } else {
            handle_control(v, &m);
        }
        at += m.len;
    }
    return NVSP_STATUS_SUCCESS;
}

/* Gathers the RNDIS bytes of a GPA-direct packet into v->msg after the
 * *len bytes already there; *len becomes the total. */
static int gather_gpa(struct netvsp *v, const struct ring_pkt_info *info,
                      uint32_t *len)
{
    const uint8_t *p = v->pkt;
    uint32_t at = sizeof(struct vmbus_pkt_gpa_direct), total = *len;
    if (info->offset < at)
        return -EBADMSG;
    uint32_t nranges =
        rd32(p, offsetof(struct vmbus_pkt_gpa_direct, range_count));
    for (uint32_t r = 0; r < nranges; r++) {
        if (at + 8 > info->offset)
            return -EBADMSG;
        uint32_t count = rd32(p, at), off = rd32(p, at + 4);
        at += 8;
        /* byte_offset lies within the first page of the range. */
        uint64_t npfn = ((uint64_t)off + count + PAGE - 1) / PAGE;
        if (count == 0 || off >= PAGE || at + npfn * 8 > info->offset ||
            (uint64_t)total + count > MSG_BYTES)
            return -EBADMSG;
        uint32_t in = off;
        uint32_t left = count;
        for (uint64_t i = 0; left; i++) {
            uint64_t pfn;
            memcpy(&pfn, p + at + 8 * i, 8);
            uint32_t n = PAGE - in < left ? PAGE - in : left;
            const uint8_t *g = vmbus_server_gpa(v->srv, pfn * PAGE + in, n);
            if (!g)
                return -EFAULT;
            memcpy(v->msg + total, g, n);
            total += n;
            left -= n;
            in = 0;
        }
        at += (uint32_t)npfn * 8;
    }
    *len = total;
    return 0;
}

/* ---- NVSP ---- */

static const uint32_t versions[] = {NVSP_VERSION_1, NVSP_VERSION_2,
                                    NVSP_VERSION_4, NVSP_VERSION_5,
                                    NVSP_VERSION_6, NVSP_VERSION_61};

/* Minimum lengths of the messages a guest sends (0 = not accepted). */
static const uint8_t nvsp_min_len[NVSP_MSG_TYPE_LIMIT] = {
    [NVSP_MSG_INIT] = sizeof(struct nvsp_msg_init),
    [NVSP_MSG1_SEND_NDIS_VERSION] = sizeof(struct nvsp_msg_ndis_version),
    [NVSP_MSG1_SEND_RECV_BUF] = 10,
    [NVSP_MSG1_REVOKE_RECV_BUF] = 6,
    [NVSP_MSG1_SEND_SEND_BUF] = 10,
    [NVSP_MSG1_REVOKE_SEND_BUF] = 6,
    [NVSP_MSG1_SEND_RNDIS_PKT] = sizeof(struct nvsp_msg_rndis_pkt),
    [NVSP_MSG1_SEND_RNDIS_PKT_COMPLETE] =
        sizeof(struct nvsp_msg_rndis_pkt_complete),
    [NVSP_MSG2_SEND_NDIS_CONFIG] = 12,
    [NVSP_MSG4_SWITCH_DATA_PATH] = sizeof(struct nvsp_msg_switch_datapath),
    [NVSP_MSG5_SUBCHANNEL] = sizeof(struct nvsp_msg_subchannel_req),
};

static void on_init(struct netvsp *v, const struct ring_pkt_info *info,
                    const uint8_t *m)
{
    struct nvsp_msg_init req;
    memcpy(&req, m, sizeof(req));
    struct nvsp_msg_init_complete c = {.type = NVSP_MSG_INIT_COMPLETE,
                                       .status = NVSP_STATUS_FAILURE};
    for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
        uint32_t ver = versions[i];
        if (ver >= req.min_version && ver <= req.max_version &&
            ver <= v->cfg.max_nvsp_version)
            v->nvsp_version = ver; /* highest in range wins */
    }
    if (v->nvsp_version >= req.min_version &&
        v->nvsp_version <= req.max_version && v->nvsp_version) {
        c.status = NVSP_STATUS_SUCCESS;
        c.negotiated = v->nvsp_version;
        c.max_mdl_chain_len = 34;
    } else {
        v->nvsp_version = 0;
    }
    reply(v, info, &c, sizeof(c));
}

static void on_recv_buf(struct netvsp *v, const struct ring_pkt_info *info,
                        const uint8_t *m)
{
    struct nvsp_msg_recv_buf_complete c = {.type =
                                               NVSP_MSG1_SEND_RECV_BUF_COMPLETE,
                                           .status = NVSP_STATUS_FAILURE};
    uint32_t handle = rd32(m, 4);
    uint16_t id;
    memcpy(&id, m + offsetof(struct nvsp_msg_send_buf, id), sizeof(id));

    if (v->nvsp_version && !v->recv.set && buf_take(v, &v->recv, handle) == 0) {
        v->nslots = v->recv.bytes / v->slot_bytes;
        v->slot_busy =
            v->nslots ? v->cfg.alloc(v->cfg.alloc_ctx, v->nslots) : NULL;
        if (v->slot_busy) {
            v->recv_id = id;
            v->free_slots = v->nslots;
            v->slot_hint = 0;
            c.status = NVSP_STATUS_SUCCESS;
            c.num_sections = 1;
            c.section0.offset = 0;
            c.section0.sub_alloc_size = v->slot_bytes;
            c.section0.num_sub_allocs = v->nslots;
            c.section0.end_offset = v->nslots * v->slot_bytes;
        } else {
            buf_drop(v, &v->recv);
        }
    }
    reply(v, info, &c, sizeof(c));
}

static void on_send_buf(struct netvsp *v, const struct ring_pkt_info *info,
                        const uint8_t *m)
{
    struct nvsp_msg_send_buf_complete c = {.type =
                                               NVSP_MSG1_SEND_SEND_BUF_COMPLETE,
                                           .status = NVSP_STATUS_FAILURE};
    uint32_t handle = rd32(m, 4);

    if (v->nvsp_version && !v->send.set && buf_take(v, &v->send, handle) == 0) {
        if (v->send.bytes >= v->section_bytes) {
            v->nsections = v->send.bytes / v->section_bytes;
            c.status = NVSP_STATUS_SUCCESS;
            c.section_size = v->section_bytes;
        } else {
            buf_drop(v, &v->send);
        }
    }
    reply(v, info, &c, sizeof(c));
}

static void on_rndis_pkt(struct netvsp *v, const struct ring_pkt_info *info,
                         const uint8_t *m)
{
    struct nvsp_msg_rndis_pkt req;
    uint32_t len = 0;
    uint32_t status = NVSP_STATUS_FAILURE;

    memcpy(&req, m, sizeof(req));
    bool section = req.send_buf_section_index != NVSP_SECTION_INDEX_NONE;
    if (info->type == VMBUS_PKT_DATA_GPA_DIRECT && !section) {
        if (gather_gpa(v, info, &len) == 0)
            status = NVSP_STATUS_SUCCESS;
    } else if (req.send_buf_section_index < v->nsections &&
               req.send_buf_section_size <= v->section_bytes &&
               req.send_buf_section_size <= MSG_BYTES &&
               buf_copy(v, &v->send,
                        req.send_buf_section_index * v->section_bytes, v->msg,
                        req.send_buf_section_size, false)) {
        len = req.send_buf_section_size;
        status = NVSP_STATUS_SUCCESS;
        /* Both: the section holds the start of the RNDIS stream (earlier
         * batched messages, the last one's header) and the pages the rest
         * of it (the last frame), as Linux sends a batch that overflows. */
        if (info->type == VMBUS_PKT_DATA_GPA_DIRECT &&
            gather_gpa(v, info, &len) != 0)
            status = NVSP_STATUS_FAILURE;
    }
    if (status == NVSP_STATUS_SUCCESS)
        status = handle_rndis(v, v->msg, len);
    else
        v->stats.bad_nvsp++;
    struct nvsp_msg_rndis_pkt_complete c = {
        .type = NVSP_MSG1_SEND_RNDIS_PKT_COMPLETE, .status = status};
    reply(v, info, &c, sizeof(c));
}

static void on_nvsp(struct netvsp *v, const struct ring_pkt_info *info)
{
    uint32_t len = info->len - info->offset;
    const uint8_t *m = v->pkt + info->offset;
    uint32_t type = len >= 4 ? rd32(m, 0) : NVSP_MSG_NONE;

    /* Unknown or short messages get no reply, as on Hyper-V. */
    if (type >= NVSP_MSG_TYPE_LIMIT || !nvsp_min_len[type] ||
        len < nvsp_min_len[type]) {
        v->stats.bad_nvsp++;
        vlog(v, "NVSP message %u of %u bytes dropped", type, len);
        return;
    }
    if (type != NVSP_MSG_INIT && !v->nvsp_version) {
        v->stats.bad_nvsp++;
        return;
    }
    switch (type) {
    case NVSP_MSG_INIT:
        on_init(v, info, m);
        break;
    case NVSP_MSG1_SEND_NDIS_VERSION:
        v->ndis_version = rd32(m, 4) << 16 | (rd32(m, 8) & 0xffffu);
        break;
    case NVSP_MSG2_SEND_NDIS_CONFIG:
        break; /* the MTU is ours to give */
    case NVSP_MSG1_SEND_RECV_BUF:
        on_recv_buf(v, info, m);
        break;
    case NVSP_MSG1_SEND_SEND_BUF:
        on_send_buf(v, info, m);
        break;
    case NVSP_MSG1_REVOKE_RECV_BUF:
        buf_drop(v, &v->recv);
        if (v->slot_busy)
            v->cfg.free(v->cfg.alloc_ctx, v->slot_busy);
        v->slot_busy = NULL;
        v->nslots = v->free_slots = 0;
        break;
    case NVSP_MSG1_REVOKE_SEND_BUF:
        buf_drop(v, &v->send);
        v->nsections = 0;
        break;
    case NVSP_MSG1_SEND_RNDIS_PKT:
        on_rndis_pkt(v, info, m);
        break;
    case NVSP_MSG1_SEND_RNDIS_PKT_COMPLETE:
        /* Only as a completion packet (on_completion); in-band it is
         * meaningless. */
        v->stats.bad_nvsp++;
        break;
    case NVSP_MSG4_SWITCH_DATA_PATH:
        break;
    case NVSP_MSG5_SUBCHANNEL: {
        struct nvsp_msg_subchannel_complete c = {.type = NVSP_MSG5_SUBCHANNEL,
                                                 .status = NVSP_STATUS_FAILURE};
        reply(v, info, &c, sizeof(c));
        break;
    }
    }
}

/*
 * The guest completed a transfer-page packet: the trans_id names the slot.
 * The payload (NVSP 108 with a status) is not needed, so completions
 * without one free the slot too.
 */
static void on_completion(struct netvsp *v, const struct ring_pkt_info *info)
{
    uint64_t tid = info->trans_id;
    uint32_t slot = (uint32_t)tid;
    if ((tid & ~0xffffffffull) == TID_SLOT && slot < v->nslots &&
        v->slot_busy[slot]) {
        slot_put(v, slot);
        ctl_flush(v);
        return;
    }
    v->stats.bad_nvsp++;
    vlog(v, "completion for a free or unknown slot");
}

/* ---- channel ops ---- */

static uint32_t op_open(struct vmbus_server_channel *ch, void *ctx,
                        const uint8_t *user_data)
{
    struct netvsp *v = ctx;
    (void)user_data;
    v->ch = ch;
    return VMBUS_STATUS_SUCCESS;
}

static void reset_state(struct netvsp *v)
{
    buf_drop(v, &v->recv);
    buf_drop(v, &v->send);
    if (v->slot_busy)
        v->cfg.free(v->cfg.alloc_ctx, v->slot_busy);
    v->slot_busy = NULL;
    v->nslots = v->free_slots = v->nsections = 0;
    v->nvsp_version = v->ndis_version = 0;
    v->rndis_up = false;
    v->filter = 0;
    v->ctlq_head = v->ctlq_count = 0;
}

static void op_close(struct vmbus_server_channel *ch, void *ctx)
{
    (void)ch;
    reset_state(ctx);
}

static void op_packet(struct vmbus_server_channel *ch, void *ctx)
{
    struct netvsp *v = ctx;
    struct ring_pkt_info info;

    for (;;) {
        int rc = vmbus_server_chan_recv(ch, v->pkt, sizeof(v->pkt), &info);
        if (rc == -EAGAIN)
            break;
        if (rc) {
            vlog(v, "guest ring unusable (%d)", rc);
            v->stats.bad_nvsp++;
            break;
        }
        switch (info.type) {
        case VMBUS_PKT_DATA_INBAND:
        case VMBUS_PKT_DATA_GPA_DIRECT:
            on_nvsp(v, &info);
            break;
        case VMBUS_PKT_COMPLETION:
            on_completion(v, &info);
            break;
        default:
            v->stats.bad_nvsp++;
            vlog(v, "packet type %u dropped", info.type);
            break;
        }
    }
    ctl_flush(v);
}

static const struct vmbus_server_device_ops netvsp_ops = {
    .open = op_open,
    .close = op_close,
    .packet = op_packet,
};

static void *srv_alloc(void *ctx, size_t bytes)
{
    return vmbus_server_alloc(ctx, bytes);
}

static void srv_free(void *ctx, void *p)
{
    vmbus_server_free(ctx, p);
}

int netvsp_create(struct vmbus_server *srv, const struct vmbus_guid *instance,
                  const struct netvsp_config *cfg, struct netvsp **out)
{
    static const uint8_t zero_mac[6];
    if (!cfg || !cfg->backend || !cfg->backend->transmit ||
        !cfg->alloc != !cfg->free || !memcmp(cfg->mac, zero_mac, 6))
        return -EINVAL;
    struct netvsp_config c = *cfg;
    if (!c.alloc) {
        c.alloc = srv_alloc;
        c.free = srv_free;
        c.alloc_ctx = srv;
    }
    struct netvsp *v = c.alloc(c.alloc_ctx, sizeof(*v));
    if (!v)
        return -ENOMEM;
    memset(v, 0, sizeof(*v));
    v->cfg = c;
    cfg = &v->cfg;
    if (!v->cfg.mtu)
        v->cfg.mtu = 1500;
    if (!v->cfg.max_nvsp_version)
        v->cfg.max_nvsp_version = NVSP_VERSION_61;
    if (!v->cfg.link_speed)
        v->cfg.link_speed = 100000000u; /* 10 Gbit/s */
    v->slot_bytes = v->cfg.recv_slot_bytes ? v->cfg.recv_slot_bytes : 1664u;
    v->section_bytes =
        v->cfg.send_section_bytes ? v->cfg.send_section_bytes : 6144u;
    if (v->slot_bytes < CTL_MSG_BYTES ||
        v->section_bytes < sizeof(struct rndis_packet) + 1518u) {
        cfg->free(cfg->alloc_ctx, v);
        return -EINVAL;
    }
    v->link = !cfg->link_down;
    v->srv = srv;

    struct vmbus_server_device d;
    memset(&d, 0, sizeof(d));
    d.name = "netvsp";
    d.class_id = (struct vmbus_guid)VMBUS_CLASS_NETWORK;
    d.instance_id = *instance;
    d.ops = &netvsp_ops;
    d.ctx = v;
    int rc = vmbus_server_add_device(srv, &d, &v->ch);
    if (rc) {
        cfg->free(cfg->alloc_ctx, v);
        return rc;
    }
    *out = v;
    return 0;
}

void netvsp_destroy(struct netvsp *vsp)
{
    if (!vsp)
        return;
    reset_state(vsp);
    vsp->cfg.free(vsp->cfg.alloc_ctx, vsp);
}

static bool filter_pass(const struct netvsp *v, const uint8_t *dst)
{
    static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    if (v->filter & RNDIS_FILTER_PROMISCUOUS)
        return true;
    if (!memcmp(dst, bcast, 6))
        return v->filter & RNDIS_FILTER_BROADCAST;
    if (dst[0] & 1)
        return v->filter &
               (RNDIS_FILTER_MULTICAST | RNDIS_FILTER_ALL_MULTICAST);
    return (v->filter & RNDIS_FILTER_DIRECTED) && !memcmp(dst, v->cfg.mac, 6);
}

int netvsp_receive(struct netvsp *v, const void *frame, uint32_t len)
{
    if (!v->rndis_up || !v->recv.set || !v->link) {
        v->stats.rx_filtered++;
        return -ENOTCONN;
    }
    if (len < 14 || len > v->cfg.mtu + 18u ||
        sizeof(struct rndis_packet) + len > v->slot_bytes)
        return -EMSGSIZE;
    if (!filter_pass(v, frame)) {
        v->stats.rx_filtered++;
        return -EAGAIN;
    }
    int off = rndis_build_packet(v->out, sizeof(v->out), NULL, 0, len);
    if (off < 0)
        return -EMSGSIZE;
    memcpy(v->out + off, frame, len);
    int rc = deliver(v, v->out, (uint32_t)off + len, NVSP_RNDIS_CHANNEL_DATA);
    if (rc == -ENOBUFS)
        v->stats.rx_no_buffer++;
    if (rc)
        return rc == -ENOBUFS || rc == -EAGAIN ? -ENOBUFS : -EIO;
    v->stats.rx_frames++;
    v->stats.rx_bytes += len;
    return 0;
}

void netvsp_set_link(struct netvsp *v, bool up)
{
    if (v->link == up)
        return;
    v->link = up;
    if (!v->rndis_up)
        return;
    uint8_t out[sizeof(struct rndis_indicate)];
    int n = rndis_build_indicate(out, sizeof(out),
                                 up ? RNDIS_STATUS_MEDIA_CONNECT
                                    : RNDIS_STATUS_MEDIA_DISCONNECT,
                                 NULL, 0);
    ctl_send(v, out, n);
}

int netvsp_send_control(struct netvsp *v, const void *msg, uint32_t len)
{
    if (!v->rndis_up)
        return -ENOTCONN;
    if (len == 0 || len > CTL_MSG_BYTES)
        return -EMSGSIZE;
    if (v->ctlq_count == CTL_QUEUE)
        return -ENOSPC;
    ctl_send(v, msg, (int)len);
    return 0;
}

void netvsp_set_faults(struct netvsp *v, uint32_t faults)
{
    v->faults = faults;
}

void netvsp_poll(struct netvsp *v)
{
    ctl_flush(v);
}

uint32_t netvsp_nvsp_version(const struct netvsp *v)
{
    return v->nvsp_version;
}

uint32_t netvsp_packet_filter(const struct netvsp *v)
{
    return v->filter;
}

uint32_t netvsp_free_slots(const struct netvsp *v)
{
    return v->free_slots;
}

const struct netvsp_stats *netvsp_get_stats(const struct netvsp *v)
{
    return &v->stats;
}

struct vmbus_server_channel *netvsp_channel(const struct netvsp *v)
{
    return v->ch;
}
