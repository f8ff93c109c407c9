/* Guest VMBus channels: GPADLs, open/close, packets (see vmbus/vmbus.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/gpadl.h"
#include "vmbus/vmbus_internal.h"

uint32_t vmbus_chan_relid(const struct vmbus_channel *ch)
{
    return ch->relid;
}

const struct vmbus_guid *vmbus_chan_class(const struct vmbus_channel *ch)
{
    return &ch->offer.interface_type;
}

const struct vmbus_guid *vmbus_chan_instance(const struct vmbus_channel *ch)
{
    return &ch->offer.interface_instance;
}

const struct vmbus_msg_offer *vmbus_chan_offer(const struct vmbus_channel *ch)
{
    return &ch->offer;
}

bool vmbus_chan_rescinded(const struct vmbus_channel *ch)
{
    return ch->rescinded;
}

void vmbus_chan_set_priv(struct vmbus_channel *ch, void *priv)
{
    ch->priv = priv;
}

void *vmbus_chan_priv(const struct vmbus_channel *ch)
{
    return ch->priv;
}

static void free_rings(struct vmbus_channel *ch)
{
    struct vmbus *vb = ch->vb;

    if (ch->ring_mem)
        vb->plat.free_pages(vb->plat.ctx, ch->ring_mem, ch->ring_pages);
    ch->ring_mem = NULL;
    ch->ring_pages = 0;
}

void vmbus_chan_free(struct vmbus_channel *ch)
{
    free_rings(ch);
    free(ch);
}

void vmbus_chan_signal(struct vmbus_channel *ch)
{
    struct vmbus *vb = ch->vb;

    /* Hosts before 5.0 may look at the shared interrupt page for channels
     * without a dedicated interrupt. */
    if (vb->version < VMBUS_VERSION_WIN10_V5 &&
        !(ch->offer.interrupt_flags & VMBUS_OFFER_DEDICATED_INTERRUPT)) {
        uint8_t *send_half = (uint8_t *)vb->int_page + HV_PAGE_SIZE / 2;
        __atomic_fetch_or(&send_half[ch->relid / 8],
                          (uint8_t)(1u << (ch->relid % 8)), __ATOMIC_SEQ_CST);
    }
    if (vb->plat.signal_event(vb->plat.ctx, ch->sig_conn_id, 0) < 0)
        vmbus_logf(vb, "vmbus: signal relid %u failed", ch->relid);
}

static int usable(const struct vmbus_channel *ch)
{
    if (!ch->vb->connected || ch->state == CHAN_DEAD)
        return -ENOTCONN;
    if (ch->rescinded)
        return -ENODEV;
    return 0;
}

int vmbus_chan_gpadl_create(struct vmbus_channel *ch, const uint64_t *pfns,
                            uint32_t npages, uint32_t *handle)
{
    struct vmbus *vb = ch->vb;
    struct vmbus_wait w;
    uint64_t msg[VMBUS_MSG_MAX_BYTES / 8];
    uint32_t i, n;
    int rc;

    rc = usable(ch);
    if (rc < 0)
        return rc;
    if (npages == 0 || npages > GPADL_MAX_PFNS || !pfns)
        return -EINVAL;
    if (vb->gpadl_wait)
        return -EBUSY;
    if (++vb->next_gpadl == 0)
        vb->next_gpadl = 1;
    memset(&w, 0, sizeof(w));
    w.key = vb->next_gpadl;
    w.relid = ch->relid;
    vb->gpadl_wait = &w;

    n = gpadl_msg_count(npages);
    for (i = 0; i < n && rc == 0; i++) {
        int len = gpadl_build(i, ch->relid, w.key, 0, npages * HV_PAGE_SIZE,
                              pfns, npages, msg);
        rc = len < 0 ? len : vmbus_post(vb, msg, (uint32_t)len);
    }
    if (rc == 0)
        rc = vmbus_wait_flag(vb, &w.done);
    vb->gpadl_wait = NULL;
    if (rc < 0)
        return rc;
    if (ch->rescinded)
        return -ENODEV;
    if (w.status != VMBUS_STATUS_SUCCESS) {
        vmbus_logf(vb, "vmbus: GPADL on relid %u refused: %#x", ch->relid,
                   w.status);
        return -ECONNREFUSED;
    }
    *handle = w.key;
    return 0;
}

int vmbus_chan_gpadl_teardown(struct vmbus_channel *ch, uint32_t handle)
{
    struct vmbus *vb = ch->vb;
    struct vmbus_msg_gpadl_teardown m;
    struct vmbus_wait w;
    int rc;

    if (!vb->connected || ch->state == CHAN_DEAD)
        return -ENOTCONN;
    if (ch->rescinded)
        return 0;
    if (vb->teardown_wait)
        return -EBUSY;
    memset(&w, 0, sizeof(w));
    w.key = handle;
    w.relid = ch->relid;
    memset(&m, 0, sizeof(m));
    m.hdr.msgtype = VMBUS_MSG_GPADL_TEARDOWN;
    m.child_relid = ch->relid;
    m.gpadl = handle;
    vb->teardown_wait = &w;
    rc = vmbus_post(vb, &m, sizeof(m));
    if (rc == 0)
        rc = vmbus_wait_flag(vb, &w.done);
    vb->teardown_wait = NULL;
    return rc;
}

void vmbus_chan_on_open_result(struct vmbus *vb,
                               const struct vmbus_msg_open_result *m)
{
    struct vmbus_channel *ch = NULL;

    if (m->child_relid != 0 && m->child_relid <= VMBUS_MAX_RELID)
        ch = vb->chans[m->child_relid];
    if (!ch || ch->state != CHAN_OPENING || ch->open_done ||
        ch->open_id != m->open_id) {
        vmbus_logf(vb, "vmbus: unexpected OpenResult relid %u id %u",
                   m->child_relid, m->open_id);
        return;
    }
    ch->open_status = m->status;
    ch->open_done = true;
}

int vmbus_chan_open(struct vmbus_channel *ch, uint32_t send_bytes,
                    uint32_t recv_bytes, const void *user_data,
                    uint32_t user_len, vmbus_chan_cb cb, void *cb_ctx)
{
    struct vmbus *vb = ch->vb;
    struct vmbus_msg_open_channel m;
    uint32_t send_pages, recv_pages, i;
    uint64_t *pfns, base;
    uint8_t *mem;
    int rc;

    rc = usable(ch);
    if (rc < 0)
        return rc;
    if (ch->state != CHAN_OFFERED)
        return -EBUSY;
    if (!send_bytes || !recv_bytes || send_bytes % HV_PAGE_SIZE ||
        recv_bytes % HV_PAGE_SIZE || user_len > sizeof(m.user_data) ||
        send_bytes > 0x40000000u || recv_bytes > 0x40000000u)
        return -EINVAL;
    send_pages = send_bytes / HV_PAGE_SIZE;
    recv_pages = recv_bytes / HV_PAGE_SIZE;
    ch->ring_pages = 2u + send_pages + recv_pages;
    if (ch->ring_pages > GPADL_MAX_PFNS)
        return -EINVAL;
    mem = vb->plat.alloc_pages(vb->plat.ctx, ch->ring_pages);
    pfns = calloc(ch->ring_pages, sizeof(*pfns));
    if (!mem || !pfns) {
        if (mem)
            vb->plat.free_pages(vb->plat.ctx, mem, ch->ring_pages);
        free(pfns);
        ch->ring_pages = 0;
        return -ENOMEM;
    }
    ch->ring_mem = mem;
    ring_init(&ch->out, mem, mem + HV_PAGE_SIZE, send_bytes);
    ring_init(&ch->in, mem + (1u + send_pages) * HV_PAGE_SIZE,
              mem + (2u + send_pages) * HV_PAGE_SIZE, recv_bytes);
    base = vb->plat.virt_to_phys(vb->plat.ctx, mem) >> HV_PAGE_SHIFT;
    for (i = 0; i < ch->ring_pages; i++)
        pfns[i] = base + i;
    rc = vmbus_chan_gpadl_create(ch, pfns, (uint32_t)ch->ring_pages,
                                 &ch->ring_gpadl);
    free(pfns);
    if (rc < 0) {
        free_rings(ch);
        return rc;
    }

    memset(&m, 0, sizeof(m));
    m.hdr.msgtype = VMBUS_MSG_OPEN_CHANNEL;
    m.child_relid = ch->relid;
    m.open_id = ch->open_id = vb->next_open_id++;
    m.ring_gpadl = ch->ring_gpadl;
    m.target_vp = 0;
    m.downstream_ring_page_offset = 1u + send_pages;
    if (user_len)
        memcpy(m.user_data, user_data, user_len);
    ch->cb = cb;
    ch->cb_ctx = cb_ctx;
    ch->open_done = false;
    ch->state = CHAN_OPENING;
    /* 6.0 hosts take the grown message; its new fields stay 0 since we
     * ask for no features that give them meaning. */
    rc = vmbus_post(vb, &m,
                    vb->version >= VMBUS_VERSION_COPPER
                        ? VMBUS_MSG_OPEN_CHANNEL_SIZE_COPPER
                        : VMBUS_MSG_OPEN_CHANNEL_SIZE);
    if (rc == 0)
        rc = vmbus_wait_flag(vb, &ch->open_done);
    if (rc == 0 && ch->rescinded)
        rc = -ENODEV;
    else if (rc == 0 && ch->open_status != VMBUS_STATUS_SUCCESS)
        rc = -ECONNREFUSED;
    if (rc < 0) {
        vmbus_logf(vb, "vmbus: open relid %u failed: %d status %#x", ch->relid,
                   rc, ch->open_status);
        ch->state = CHAN_OFFERED;
        if (vmbus_chan_gpadl_teardown(ch, ch->ring_gpadl) == 0)
            free_rings(ch);
        ch->ring_gpadl = 0;
        return rc;
    }
    ch->state = CHAN_OPEN;
    /* Packets the host sent before our open completed raised no event we
     * could act on; look once. */
    if (ch->cb && !ring_empty(&ch->in))
        ch->cb(ch, ch->cb_ctx);
    return 0;
}

void vmbus_chan_close(struct vmbus_channel *ch)
{
    struct vmbus *vb = ch->vb;
    struct vmbus_msg_relid m;

    if (ch->state == CHAN_OPEN && !ch->rescinded && vb->connected) {
        memset(&m, 0, sizeof(m));
        m.hdr.msgtype = VMBUS_MSG_CLOSE_CHANNEL;
        m.child_relid = ch->relid;
        if (vmbus_post(vb, &m, sizeof(m)) < 0)
            vmbus_logf(vb, "vmbus: CloseChannel %u not sent", ch->relid);
        if (vmbus_chan_gpadl_teardown(ch, ch->ring_gpadl) < 0) {
            /* The host may still use the rings: leak them, don't reuse. */
            vmbus_logf(vb, "vmbus: ring GPADL of relid %u not torn down",
                       ch->relid);
            ch->ring_mem = NULL;
        }
    }
    if (ch->state == CHAN_OPEN || ch->state == CHAN_OFFERED)
        ch->state = CHAN_OFFERED;
    ch->ring_gpadl = 0;
    ch->cb = NULL;
    free_rings(ch);
}

static int open_ok(const struct vmbus_channel *ch)
{
    if (ch->state != CHAN_OPEN || !ch->vb->connected)
        return -ENOTCONN;
    if (ch->rescinded)
        return -ENODEV;
    return 0;
}

int vmbus_chan_put(struct vmbus_channel *ch, uint16_t type, uint16_t flags,
                   uint64_t trans_id, const void *data, uint32_t len)
{
    struct vmbus_pkt_desc d;
    struct ring_iov iov[2];
    uint32_t total = sizeof(d) + len;
    int rc = open_ok(ch);

    if (rc < 0)
        return rc;
    if (len > 0x7FFF0u)
        return -EMSGSIZE;
    d.type = type;
    d.offset8 = sizeof(d) / 8u;
    d.len8 = (uint16_t)((total + 7u) / 8u);
    d.flags = flags;
    d.trans_id = trans_id;
    iov[0].base = &d;
    iov[0].len = sizeof(d);
    iov[1].base = data;
    iov[1].len = len;
    return ring_put(&ch->out, iov, len ? 2 : 1);
}

int vmbus_chan_flush(struct vmbus_channel *ch)
{
    int rc = open_ok(ch);

    if (rc < 0)
        return rc;
    if (ring_flush(&ch->out))
        vmbus_chan_signal(ch);
    return 0;
}

int vmbus_chan_send(struct vmbus_channel *ch, uint16_t type, uint16_t flags,
                    uint64_t trans_id, const void *data, uint32_t len)
{
    int rc = vmbus_chan_put(ch, type, flags, trans_id, data, len);

    if (rc < 0)
        return rc;
    return vmbus_chan_flush(ch);
}

int vmbus_chan_put_gpa(struct vmbus_channel *ch,
                       const struct vmbus_chan_range *ranges, uint32_t nranges,
                       uint16_t flags, uint64_t trans_id, const void *data,
                       uint32_t len)
{
    struct vmbus_pkt_gpa_direct h;
    struct vmbus_gpa_range rh[VMBUS_CHAN_MAX_RANGES];
    struct ring_iov iov[2 + 2 * VMBUS_CHAN_MAX_RANGES];
    uint32_t hdr_bytes = sizeof(h), i, n = 0;
    int rc = open_ok(ch);

    if (rc < 0)
        return rc;
    if (nranges == 0 || nranges > VMBUS_CHAN_MAX_RANGES || len > 0x7FFF0u)
        return -EINVAL;
    iov[n].base = &h;
    iov[n++].len = sizeof(h);
    for (i = 0; i < nranges; i++) {
        uint64_t span = (uint64_t)ranges[i].byte_offset + ranges[i].byte_count +
                        HV_PAGE_SIZE - 1;
        uint32_t np = (uint32_t)(span / HV_PAGE_SIZE);

        if (ranges[i].byte_offset >= HV_PAGE_SIZE ||
            ranges[i].byte_count == 0 || !ranges[i].pfns || np > 0x10000u)
            return -EINVAL;
        rh[i].byte_count = ranges[i].byte_count;
        rh[i].byte_offset = ranges[i].byte_offset;
        iov[n].base = &rh[i];
        iov[n++].len = sizeof(rh[i]);
        iov[n].base = ranges[i].pfns;
        iov[n++].len = np * 8u;
        hdr_bytes += sizeof(rh[i]) + np * 8u;
    }
    if ((uint64_t)hdr_bytes + len > 0x7FFF0u)
        return -EMSGSIZE;
    memset(&h, 0, sizeof(h));
    h.desc.type = VMBUS_PKT_DATA_GPA_DIRECT;
    h.desc.offset8 = (uint16_t)(hdr_bytes / 8u);
    h.desc.len8 = (uint16_t)((hdr_bytes + len + 7u) / 8u);
    h.desc.flags = flags;
    h.desc.trans_id = trans_id;
    h.range_count = nranges;
    if (len) {
        iov[n].base = data;
        iov[n++].len = len;
    }
    return ring_put(&ch->out, iov, n);
}

int vmbus_chan_send_gpa(struct vmbus_channel *ch,
                        const struct vmbus_chan_range *ranges, uint32_t nranges,
                        uint16_t flags, uint64_t trans_id, const void *data,
                        uint32_t len)
{
    int rc =
        vmbus_chan_put_gpa(ch, ranges, nranges, flags, trans_id, data, len);

    if (rc < 0)
        return rc;
    return vmbus_chan_flush(ch);
}

static void fill_info(struct vmbus_pkt_info *info,
                      const struct ring_pkt_info *ri)
{
    info->type = ri->type;
    info->flags = ri->flags;
    info->offset = ri->offset;
    info->len = ri->len;
    info->trans_id = ri->trans_id;
}

int vmbus_chan_recv(struct vmbus_channel *ch, void *buf, uint32_t buflen,
                    struct vmbus_pkt_info *info)
{
    struct ring_pkt_info ri;
    int rc = open_ok(ch);

    if (rc < 0)
        return rc;
    rc = ring_read(&ch->in, buf, buflen, &ri);
    if (rc == 0 || rc == -EMSGSIZE)
        fill_info(info, &ri);
    if (rc < 0)
        return rc;
    if (ring_read_done(&ch->in))
        vmbus_chan_signal(ch);
    return 0;
}

int vmbus_chan_peek(struct vmbus_channel *ch, struct vmbus_pkt_info *info)
{
    struct ring_pkt_info ri;
    int rc = open_ok(ch);

    if (rc < 0)
        return rc;
    rc = ring_peek(&ch->in, &ri);
    if (rc == 0)
        fill_info(info, &ri);
    return rc;
}

bool vmbus_chan_want_space(struct vmbus_channel *ch, uint32_t bytes)
{
    if (open_ok(ch) < 0)
        return false;
    return ring_want_space(&ch->out, bytes);
}

void vmbus_chan_mask(struct vmbus_channel *ch)
{
    if (open_ok(ch) == 0)
        ring_mask(&ch->in);
}

bool vmbus_chan_unmask(struct vmbus_channel *ch)
{
    if (open_ok(ch) < 0)
        return false;
    return ring_unmask(&ch->in);
}
