/* Echo VSP for loopback tests (see echo_vsp.h). */
#include "tests/loopback/echo_vsp.h"

#include <errno.h>
#include <string.h>

static uint32_t e_open(struct vmbus_server_channel *ch, void *ctx,
                       const uint8_t *user_data)
{
    struct echo_vsp *e = ctx;

    e->opens++;
    e->ch = ch;
    memcpy(e->user_data, user_data, sizeof(e->user_data));
    if (e->rescind_in_open) {
        vmbus_server_rescind(vmbus_server_chan_server(ch), ch);
        return 0;
    }
    return e->refuse_open ? VMBUS_STATUS_UNSUCCESSFUL : 0;
}

static void e_close(struct vmbus_server_channel *ch, void *ctx)
{
    struct echo_vsp *e = ctx;

    (void)ch;
    e->closes++;
}

/* Answers on the channel the packet came on. */
static int reply(struct echo_vsp *e, struct vmbus_server_channel *ch,
                 const uint8_t *pkt, const struct ring_pkt_info *info)
{
    uint16_t type = info->flags & VMBUS_PKT_FLAG_COMPLETION_REQUESTED
                        ? VMBUS_PKT_COMPLETION
                        : VMBUS_PKT_DATA_INBAND;
    (void)e;
    return vmbus_server_chan_put(ch, type, 0, info->trans_id,
                                 pkt + info->offset, info->len - info->offset);
}

static void e_packet(struct vmbus_server_channel *ch, void *ctx)
{
    struct echo_vsp *e = ctx;
    struct ring_pkt_info info;
    int rc;

    e->signals++;
    if (e->unmask)
        vmbus_server_chan_unmask(e->unmask);
    if (e->stall)
        return;
    if (e->reply_blocked) {
        if (reply(e, ch, e->pending, &e->pending_info) == -EAGAIN)
            return;
        e->reply_blocked = false;
        vmbus_server_chan_want_space(ch, 0);
    }
    for (;;) {
        rc = vmbus_server_chan_recv(ch, e->last, sizeof(e->last), &info);
        if (rc < 0) {
            if (rc != -EAGAIN)
                e->last_err = rc;
            break;
        }
        e->packets++;
        e->last_len = info.len;
        if (info.type != VMBUS_PKT_DATA_INBAND)
            continue;
        if (reply(e, ch, e->last, &info) == -EAGAIN) {
            /* Park it and have the guest tell us when it fits. */
            uint32_t need = ring_pkt_bytes(16 + info.len - info.offset);

            memcpy(e->pending, e->last, info.len);
            e->pending_info = info;
            e->reply_blocked = true;
            e->waits++;
            vmbus_server_chan_flush(ch);
            if (!vmbus_server_chan_want_space(ch, need))
                return;
            /* Freed meanwhile: send it now. */
            if (reply(e, ch, e->pending, &e->pending_info) == -EAGAIN)
                return;
            e->reply_blocked = false;
            vmbus_server_chan_want_space(ch, 0);
        }
    }
    vmbus_server_chan_flush(ch);
}

const struct vmbus_server_device_ops echo_vsp_ops = {
    .open = e_open,
    .close = e_close,
    .packet = e_packet,
};

struct vmbus_server_device echo_vsp_device(struct echo_vsp *e,
                                           struct vmbus_guid class_id,
                                           uint8_t instance)
{
    struct vmbus_server_device d;

    memset(&d, 0, sizeof(d));
    d.name = "echo";
    d.class_id = class_id;
    d.instance_id.data1 = 0xEC400000u | instance;
    d.instance_id.data4[7] = instance;
    d.mmio_megabytes = instance;
    d.user_defined[0] = instance;
    d.ops = &echo_vsp_ops;
    d.ctx = e;
    return d;
}
