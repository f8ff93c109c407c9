/*
 * Root synthhid VSP (see root/vsp/input/mouse_vsp.h).  States: waiting for
 * the protocol request, device info sent (ack expected), active.
 */
#include "root/vsp/input/mouse_vsp.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/synth_input.h"

#define ST_IDLE 0
#define ST_INFO_SENT 1
#define ST_ACTIVE 2

/*
 * Absolute pointer, HID 1.11 items: Generic Desktop Mouse application
 * collection, Pointer physical collection; Button page usages 1..5, one
 * bit each, then 3 constant bits; X and Y 16 bits, 0..32767, absolute;
 * Wheel 16 bits, -32767..32767, relative.
 */
static const uint8_t report_desc[] = {
    0x05, 0x01,       /* Usage Page (Generic Desktop) */
    0x09, 0x02,       /* Usage (Mouse) */
    0xA1, 0x01,       /* Collection (Application) */
    0x09, 0x01,       /*   Usage (Pointer) */
    0xA1, 0x00,       /*   Collection (Physical) */
    0x05, 0x09,       /*     Usage Page (Button) */
    0x19, 0x01,       /*     Usage Minimum (1) */
    0x29, 0x05,       /*     Usage Maximum (5) */
    0x15, 0x00,       /*     Logical Minimum (0) */
    0x25, 0x01,       /*     Logical Maximum (1) */
    0x95, 0x05,       /*     Report Count (5) */
    0x75, 0x01,       /*     Report Size (1) */
    0x81, 0x02,       /*     Input (Data, Variable, Absolute) */
    0x95, 0x01,       /*     Report Count (1) */
    0x75, 0x03,       /*     Report Size (3) */
    0x81, 0x01,       /*     Input (Constant) */
    0x05, 0x01,       /*     Usage Page (Generic Desktop) */
    0x09, 0x30,       /*     Usage (X) */
    0x09, 0x31,       /*     Usage (Y) */
    0x15, 0x00,       /*     Logical Minimum (0) */
    0x26, 0xFF, 0x7F, /*     Logical Maximum (32767) */
    0x75, 0x10,       /*     Report Size (16) */
    0x95, 0x02,       /*     Report Count (2) */
    0x81, 0x02,       /*     Input (Data, Variable, Absolute) */
    0x05, 0x01,       /*     Usage Page (Generic Desktop) */
    0x09, 0x38,       /*     Usage (Wheel) */
    0x16, 0x01, 0x80, /*     Logical Minimum (-32767) */
    0x26, 0xFF, 0x7F, /*     Logical Maximum (32767) */
    0x75, 0x10,       /*     Report Size (16) */
    0x95, 0x01,       /*     Report Count (1) */
    0x81, 0x06,       /*     Input (Data, Variable, Relative) */
    0xC0,             /*   End Collection */
    0xC0,             /* End Collection */
};

struct mouse_vsp {
    struct mouse_vsp_backend be;
    struct vmbus_server_channel *ch;
    bool open, broken;
    bool waiting; /* asked the guest to signal when it reads */
    int state;    /* ST_* */
    struct synthhid_mouse_report q[MOUSE_VSP_QUEUE];
    unsigned head, count;
    struct mouse_vsp_stats stats;
    uint8_t buf[SYNTHHID_MAX_MSG + 64];
};

static void logf_(struct mouse_vsp *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void logf_(struct mouse_vsp *m, const char *fmt, ...)
{
    char line[128];
    va_list ap;

    if (!m->be.log)
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    m->be.log(m->be.ctx, line);
}

static void bad(struct mouse_vsp *m, const char *why, int rc)
{
    m->stats.bad_messages++;
    logf_(m, "mouse vsp: dropped guest message: %s (%d)", why, rc);
}

static int put_msg(struct mouse_vsp *m, uint32_t type, const void *body,
                   uint32_t len)
{
    uint8_t out[sizeof(struct synthhid_pipe_hdr) +
                sizeof(struct synthhid_device_info) + sizeof(report_desc)];
    uint32_t n = synthhid_build(out, sizeof(out), type, body, len);

    if (n == 0)
        return -EMSGSIZE;
    return vmbus_server_chan_put(m->ch, VMBUS_PKT_DATA_INBAND, 0, 0, out, n);
}

/* Bytes one input report takes in the ring. */
#define REPORT_PKT                                                             \
    ring_pkt_bytes(sizeof(struct synthhid_pipe_hdr) +                          \
                   sizeof(struct synthhid_hdr) +                               \
                   sizeof(struct synthhid_mouse_report))

static void flush_queue(struct mouse_vsp *m)
{
    bool put = false, asked = false;

    while (m->count && m->state == ST_ACTIVE) {
        int rc = put_msg(m, SYNTHHID_MSG_INPUT_REPORT, &m->q[m->head],
                         sizeof(m->q[0]));
        if (rc == -EAGAIN) {
            /* Publish what fits; the guest's next read wakes us. */
            if (put)
                vmbus_server_chan_flush(m->ch);
            put = false;
            m->waiting = true;
            if (!asked && vmbus_server_chan_want_space(m->ch, REPORT_PKT)) {
                asked = true;
                continue;
            }
            break;
        }
        if (rc == 0) {
            m->stats.reports++;
            put = true;
        } else {
            m->stats.dropped++;
        }
        m->head = (m->head + 1) % MOUSE_VSP_QUEUE;
        m->count--;
    }
    if (put)
        vmbus_server_chan_flush(m->ch);
    if (m->count == 0 && m->waiting) {
        vmbus_server_chan_want_space(m->ch, 0);
        m->waiting = false;
    }
}

static int send_device_info(struct mouse_vsp *m)
{
    uint8_t body[SYNTHHID_DEVICE_INFO_FIXED + sizeof(report_desc)];
    struct synthhid_attributes a;
    struct synthhid_hid_descriptor h;

    memset(&a, 0, sizeof(a));
    a.size = sizeof(a);
    a.vendor_id = SYNTHHID_VENDOR_MICROSOFT;
    a.product_id = SYNTHHID_PRODUCT_MOUSE;
    a.version_id = SYNTHHID_VERSION_ID;
    memset(&h, 0, sizeof(h));
    h.length = sizeof(h);
    h.descriptor_type = SYNTHHID_DESC_TYPE_HID;
    h.bcd_hid = 0x0101;
    h.num_descriptors = 1;
    h.report_type = SYNTHHID_DESC_TYPE_REPORT;
    h.report_length = sizeof(report_desc);
    memcpy(body, &a, sizeof(a));
    memcpy(body + sizeof(a), &h, sizeof(h));
    memcpy(body + SYNTHHID_DEVICE_INFO_FIXED, report_desc, sizeof(report_desc));
    return put_msg(m, SYNTHHID_MSG_DEVICE_INFO, body, sizeof(body));
}

static void handle(struct mouse_vsp *m, const uint8_t *p, uint32_t len)
{
    struct synthhid_msg msg;
    uint8_t resp[SYNTHHID_RESPONSE_BODY];
    uint32_t version;
    int rc = synthhid_parse(p, len, &msg);

    if (rc < 0) {
        bad(m, "malformed", rc);
        return;
    }
    switch (msg.type) {
    case SYNTHHID_MSG_PROTOCOL_REQUEST:
        memcpy(&version, msg.body, 4);
        memcpy(resp, &version, 4);
        resp[4] = version == SYNTHHID_VERSION_2_0;
        rc = put_msg(m, SYNTHHID_MSG_PROTOCOL_RESPONSE, resp, sizeof(resp));
        if (rc == 0 && resp[4])
            rc = send_device_info(m);
        vmbus_server_chan_flush(m->ch);
        if (rc < 0) {
            bad(m, "cannot answer the protocol request", rc);
            return;
        }
        if (resp[4]) {
            m->state = ST_INFO_SENT;
            m->stats.negotiations++;
        } else {
            m->state = ST_IDLE;
            m->stats.refusals++;
            logf_(m, "mouse vsp: refused version %#x", version);
        }
        return;
    case SYNTHHID_MSG_DEVICE_INFO_ACK:
        if (m->state != ST_INFO_SENT) {
            bad(m, "unexpected device info ack", -EPROTO);
            return;
        }
        m->state = ST_ACTIVE;
        return;
    default:
        bad(m, "message type not sent by guests", -EPROTO);
        return;
    }
}

static uint32_t m_open(struct vmbus_server_channel *ch, void *ctx,
                       const uint8_t *user_data)
{
    (void)user_data;
    struct mouse_vsp *m = ctx;

    m->ch = ch;
    m->open = true;
    m->broken = false;
    m->state = ST_IDLE;
    m->count = 0;
    return 0;
}

static void m_close(struct vmbus_server_channel *ch, void *ctx)
{
    (void)ch;
    struct mouse_vsp *m = ctx;

    m->open = false;
    m->state = ST_IDLE;
    m->count = 0;
}

static void m_packet(struct vmbus_server_channel *ch, void *ctx)
{
    struct mouse_vsp *m = ctx;
    struct ring_pkt_info info;
    int rc;

    while (m->open && !m->broken) {
        rc = vmbus_server_chan_recv(ch, m->buf, sizeof(m->buf), &info);
        if (rc == -EAGAIN || rc == -ENOTCONN)
            break;
        if (rc < 0) {
            bad(m, "ring", rc);
            m->broken = true;
            break;
        }
        if (info.type != VMBUS_PKT_DATA_INBAND) {
            bad(m, "packet type", -EPROTO);
            continue;
        }
        handle(m, m->buf + info.offset, info.len - info.offset);
    }
    flush_queue(m);
}

static const struct vmbus_server_device_ops mouse_ops = {
    .open = m_open,
    .close = m_close,
    .packet = m_packet,
};

int mouse_vsp_create(struct vmbus_server *srv,
                     const struct mouse_vsp_backend *be, struct mouse_vsp **out)
{
    static const struct vmbus_guid cls = VMBUS_CLASS_MOUSE;
    static const struct vmbus_guid inst = SYNTHHID_INSTANCE_GUID;
    struct vmbus_server_device d;
    struct mouse_vsp *m = calloc(1, sizeof(*m));
    int rc;

    *out = NULL;
    if (!m)
        return -ENOMEM;
    if (be)
        m->be = *be;
    memset(&d, 0, sizeof(d));
    d.name = "synthhid";
    d.class_id = cls;
    d.instance_id = inst;
    d.ops = &mouse_ops;
    d.ctx = m;
    rc = vmbus_server_add_device(srv, &d, &m->ch);
    if (rc < 0) {
        free(m);
        return rc;
    }
    *out = m;
    return 0;
}

void mouse_vsp_destroy(struct mouse_vsp *m)
{
    free(m);
}

int mouse_vsp_event(struct mouse_vsp *m, uint32_t x, uint32_t y,
                    uint8_t buttons, int16_t wheel)
{
    struct synthhid_mouse_report r;
    int rc = 0;

    if (m->state != ST_ACTIVE) {
        m->stats.dropped++;
        return -ENOTCONN;
    }
    r.buttons = buttons & 0x1F;
    r.x = (uint16_t)(x > SYNTHHID_ABS_MAX ? SYNTHHID_ABS_MAX : x);
    r.y = (uint16_t)(y > SYNTHHID_ABS_MAX ? SYNTHHID_ABS_MAX : y);
    r.wheel = wheel;
    flush_queue(m);
    if (m->count == MOUSE_VSP_QUEUE) {
        /* Keep the newest position rather than a stale one. */
        m->q[(m->head + m->count - 1) % MOUSE_VSP_QUEUE] = r;
        m->stats.dropped++;
        rc = -ENOBUFS;
    } else {
        m->q[(m->head + m->count++) % MOUSE_VSP_QUEUE] = r;
    }
    flush_queue(m);
    return rc;
}

const uint8_t *mouse_vsp_report_descriptor(uint32_t *len)
{
    *len = sizeof(report_desc);
    return report_desc;
}

bool mouse_vsp_active(const struct mouse_vsp *m)
{
    return m->state == ST_ACTIVE;
}

const struct mouse_vsp_stats *mouse_vsp_get_stats(const struct mouse_vsp *m)
{
    return &m->stats;
}
