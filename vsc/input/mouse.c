/*
 * Guest synthetic mouse VSC (see vsc/input/mouse.h).  States: request sent,
 * version accepted (device info expected), device info taken (ack sent),
 * reports flowing.
 */
#include "vsc/input/mouse.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "common/synth_input.h"
#include "vsc/input/vsc_util.h"

#define RECV_BUF 1024u

#define ST_WAIT_RESPONSE 0
#define ST_WAIT_INFO 1
#define ST_ACTIVE 2

struct mouse_vsc {
    struct vmbus_channel *ch;
    struct vmbus_platform plat;
    int state; /* ST_* or a negative errno */
    struct hid_pointer layout;
    struct synthhid_attributes attr;
    uint32_t width, height;
    int64_t rel_x, rel_y; /* relative devices: accumulated pixels */
    struct mouse_event q[MOUSE_VSC_QUEUE];
    unsigned head, count;
    void (*on_event)(void *ctx, const struct mouse_event *ev);
    void *ctx;
    struct mouse_vsc_stats stats;
    uint8_t buf[RECV_BUF];
};

static void bad(struct mouse_vsc *m, const char *why, int rc)
{
    m->stats.bad_messages++;
    vsc_logf(&m->plat, "mouse: dropped host message: %s (%d)", why, rc);
}

static void fail(struct mouse_vsc *m, const char *why, int rc)
{
    bad(m, why, rc);
    if (m->state >= 0 && m->state != ST_ACTIVE)
        m->state = -EPROTO;
}

static int send_msg(struct mouse_vsc *m, uint32_t type, const void *body,
                    uint32_t len)
{
    uint8_t out[64];
    uint32_t n = synthhid_build(out, sizeof(out), type, body, len);

    if (n == 0)
        return -EMSGSIZE;
    return vmbus_chan_send(m->ch, VMBUS_PKT_DATA_INBAND, 0, 0, out, n);
}

static uint32_t axis(int32_t v, const struct hid_field *f, int64_t *acc,
                     uint32_t span)
{
    if (!f->relative)
        return hid_scale(v, f->logical_min, f->logical_max, span);
    *acc += v;
    if (*acc < 0)
        *acc = 0;
    if (*acc >= (int64_t)span)
        *acc = (int64_t)span - 1;
    return (uint32_t)*acc;
}

static void report(struct mouse_vsc *m, const uint8_t *r, uint32_t len)
{
    struct hid_pointer_state s;
    struct mouse_event ev;
    int rc = hid_report_decode(&m->layout, r, len, &s);

    if (rc < 0) {
        bad(m, "input report", rc);
        return;
    }
    ev.x = axis(s.x, &m->layout.x, &m->rel_x, m->width);
    ev.y = axis(s.y, &m->layout.y, &m->rel_y, m->height);
    ev.buttons = s.buttons;
    ev.wheel = s.wheel;
    m->stats.reports++;
    if (m->on_event)
        m->on_event(m->ctx, &ev);
    if (m->count == MOUSE_VSC_QUEUE) {
        m->stats.dropped++;
        return;
    }
    m->q[(m->head + m->count++) % MOUSE_VSC_QUEUE] = ev;
}

static void device_info(struct mouse_vsc *m, const uint8_t *b, uint32_t len)
{
    const uint8_t *rdesc;
    uint32_t rlen;
    uint8_t ack = 0;
    int rc;

    rc = synthhid_device_info_split(b, len, &m->attr, &rdesc, &rlen);
    if (rc < 0) {
        fail(m, "device info", rc);
        return;
    }
    rc = hid_desc_parse(rdesc, rlen, &m->layout);
    if (rc < 0) {
        fail(m, "report descriptor without a usable pointer", rc);
        return;
    }
    rc = send_msg(m, SYNTHHID_MSG_DEVICE_INFO_ACK, &ack, 1);
    if (rc < 0) {
        fail(m, "cannot send the device info ack", rc);
        return;
    }
    m->state = ST_ACTIVE;
}

static void handle(struct mouse_vsc *m, const uint8_t *p, uint32_t len)
{
    struct synthhid_msg msg;
    struct synthhid_protocol_response r;
    int rc = synthhid_parse(p, len, &msg);

    if (rc < 0) {
        fail(m, "malformed", rc);
        return;
    }
    switch (msg.type) {
    case SYNTHHID_MSG_PROTOCOL_RESPONSE:
        if (m->state != ST_WAIT_RESPONSE) {
            bad(m, "unexpected protocol response", -EPROTO);
            return;
        }
        memcpy(&r.version_requested, msg.body, 4);
        r.approved = msg.body[4];
        if (r.version_requested != SYNTHHID_VERSION_2_0) {
            fail(m, "response to another version", -EPROTO);
            return;
        }
        m->state = r.approved ? ST_WAIT_INFO : -ENOTSUP;
        return;
    case SYNTHHID_MSG_DEVICE_INFO:
        if (m->state != ST_WAIT_INFO) {
            bad(m, "unexpected device info", -EPROTO);
            return;
        }
        device_info(m, msg.body, msg.body_len);
        return;
    case SYNTHHID_MSG_INPUT_REPORT:
        if (m->state != ST_ACTIVE) {
            bad(m, "input report before the device info", -EPROTO);
            return;
        }
        report(m, msg.body, msg.body_len);
        return;
    default:
        bad(m, "message type not sent by hosts", -EPROTO);
        return;
    }
}

static void drain(struct mouse_vsc *m)
{
    struct vmbus_pkt_info info;
    int rc;

    for (;;) {
        rc = vsc_recv(m->ch, m->buf, sizeof(m->buf), &info);
        if (rc == -EAGAIN || rc == -ENOTCONN)
            return;
        if (rc < 0) {
            bad(m, "packet", rc);
            if (rc != -EMSGSIZE)
                return;
            continue;
        }
        if (info.type != VMBUS_PKT_DATA_INBAND) {
            bad(m, "packet type", -EPROTO);
            continue;
        }
        handle(m, m->buf + info.offset, info.len - info.offset);
    }
}

static void on_channel(struct vmbus_channel *ch, void *ctx)
{
    (void)ch;
    drain(ctx);
}

static int at_least_info(void *arg)
{
    struct mouse_vsc *m = arg;

    drain(m);
    if (m->state < 0)
        return m->state;
    return m->state == ST_ACTIVE;
}

int mouse_vsc_open(struct vmbus_channel *ch, const struct mouse_vsc_config *cfg,
                   struct mouse_vsc **out)
{
    struct mouse_vsc *m = calloc(1, sizeof(*m));
    uint64_t timeout =
        cfg->timeout_ns ? cfg->timeout_ns : VSC_DEFAULT_TIMEOUT_NS;
    uint32_t version = SYNTHHID_VERSION_2_0;
    int rc;

    *out = NULL;
    if (!m)
        return -ENOMEM;
    m->ch = ch;
    m->plat = *cfg->plat;
    m->on_event = cfg->on_event;
    m->ctx = cfg->ctx;
    mouse_vsc_set_screen(m, cfg->width ? cfg->width : 1024,
                         cfg->height ? cfg->height : 768);
    rc = vmbus_chan_open(ch, MOUSE_VSC_RING_BYTES, MOUSE_VSC_RING_BYTES, NULL,
                         0, on_channel, m);
    if (rc < 0) {
        vsc_logf(&m->plat, "mouse: cannot open the channel (%d)", rc);
        free(m);
        return rc;
    }
    rc = send_msg(m, SYNTHHID_MSG_PROTOCOL_REQUEST, &version, 4);
    if (rc == 0)
        rc = vsc_wait(&m->plat, timeout, at_least_info, m);
    if (rc == -ETIMEDOUT)
        vsc_logf(&m->plat, "mouse: host sent no %s in %llu ms",
                 m->state == ST_WAIT_RESPONSE ? "protocol response"
                                              : "device info",
                 (unsigned long long)(timeout / 1000000u));
    else if (rc == -ENOTSUP)
        vsc_logf(&m->plat, "mouse: host refused synthhid 2.0");
    if (rc < 0) {
        vmbus_chan_close(ch);
        free(m);
        return rc;
    }
    *out = m;
    return 0;
}

void mouse_vsc_close(struct mouse_vsc *m)
{
    if (!m)
        return;
    vmbus_chan_close(m->ch);
    free(m);
}

int mouse_vsc_read(struct mouse_vsc *m, struct mouse_event *ev)
{
    drain(m);
    if (m->count == 0)
        return -EAGAIN;
    *ev = m->q[m->head];
    m->head = (m->head + 1) % MOUSE_VSC_QUEUE;
    m->count--;
    return 0;
}

void mouse_vsc_set_screen(struct mouse_vsc *m, uint32_t width, uint32_t height)
{
    m->width = width ? width : 1;
    m->height = height ? height : 1;
}

const struct hid_pointer *mouse_vsc_layout(const struct mouse_vsc *m)
{
    return &m->layout;
}

void mouse_vsc_ids(const struct mouse_vsc *m, uint16_t *vendor,
                   uint16_t *product)
{
    *vendor = m->attr.vendor_id;
    *product = m->attr.product_id;
}

const struct mouse_vsc_stats *mouse_vsc_get_stats(const struct mouse_vsc *m)
{
    return &m->stats;
}
