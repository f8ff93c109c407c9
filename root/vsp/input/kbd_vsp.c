/*
 * Root synthetic keyboard VSP (see root/vsp/input/kbd_vsp.h).
 */
#include "root/vsp/input/kbd_vsp.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/synth_input.h"

struct kbd_vsp {
    struct kbd_vsp_backend be;
    struct vmbus_server_channel *ch;
    bool open, active, broken;
    bool waiting; /* asked the guest to signal when it reads */
    struct scan_parser scan;
    struct synthkbd_keystroke q[KBD_VSP_QUEUE];
    unsigned head, count;
    struct kbd_vsp_stats stats;
    uint8_t buf[SYNTHKBD_MAX_MSG + 64];
};

static void logf_(struct kbd_vsp *k, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void logf_(struct kbd_vsp *k, const char *fmt, ...)
{
    char line[128];
    va_list ap;

    if (!k->be.log)
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    k->be.log(k->be.ctx, line);
}

static void bad(struct kbd_vsp *k, const char *why, int rc)
{
    k->stats.bad_messages++;
    logf_(k, "kbd vsp: dropped guest message: %s (%d)", why, rc);
}

/* Moves queued keystrokes into the ring while they fit. */
static void flush_queue(struct kbd_vsp *k)
{
    bool put = false, asked = false;

    while (k->count && k->active) {
        int rc = vmbus_server_chan_put(k->ch, VMBUS_PKT_DATA_INBAND, 0, 0,
                                       &k->q[k->head], sizeof(k->q[0]));
        if (rc == -EAGAIN) {
            /* Publish what fits, then have the guest's next read wake
             * the packet callback, which flushes again. */
            if (put)
                vmbus_server_chan_flush(k->ch);
            put = false;
            k->waiting = true;
            if (!asked && vmbus_server_chan_want_space(
                              k->ch, ring_pkt_bytes(sizeof(k->q[0])))) {
                asked = true;
                continue;
            }
            break;
        }
        if (rc == 0) {
            k->stats.keystrokes++;
            put = true;
        } else {
            k->stats.dropped++;
        }
        k->head = (k->head + 1) % KBD_VSP_QUEUE;
        k->count--;
    }
    if (put)
        vmbus_server_chan_flush(k->ch);
    if (k->count == 0 && k->waiting) {
        vmbus_server_chan_want_space(k->ch, 0);
        k->waiting = false;
    }
}

static void handle(struct kbd_vsp *k, const uint8_t *p, uint32_t len)
{
    struct synthkbd_protocol_response r;
    struct synthkbd_msg m;
    int rc = synthkbd_parse(p, len, &m);

    if (rc < 0) {
        bad(k, "malformed", rc);
        return;
    }
    switch (m.type) {
    case SYNTHKBD_MSG_PROTOCOL_REQUEST:
        memset(&r, 0, sizeof(r));
        r.hdr.type = SYNTHKBD_MSG_PROTOCOL_RESPONSE;
        r.status = m.version == SYNTHKBD_VERSION_1_0 ? SYNTHKBD_ACCEPTED : 0;
        rc = vmbus_server_chan_send(k->ch, VMBUS_PKT_DATA_INBAND, 0, 0, &r,
                                    sizeof(r));
        if (rc < 0) {
            bad(k, "cannot answer the protocol request", rc);
            return;
        }
        if (r.status) {
            k->active = true;
            k->stats.negotiations++;
        } else {
            k->stats.refusals++;
            logf_(k, "kbd vsp: refused version %#x", m.version);
        }
        return;
    case SYNTHKBD_MSG_SET_LED_INDICATORS:
        if (!k->active) {
            bad(k, "LEDs before the handshake", -EPROTO);
            return;
        }
        k->stats.leds = m.led_flags;
        if (k->be.set_leds)
            k->be.set_leds(k->be.ctx, m.led_flags);
        return;
    default:
        bad(k, "message type not sent by guests", -EPROTO);
        return;
    }
}

static uint32_t k_open(struct vmbus_server_channel *ch, void *ctx,
                       const uint8_t *user_data)
{
    (void)user_data;
    struct kbd_vsp *k = ctx;

    k->ch = ch;
    k->open = true;
    k->active = false;
    k->broken = false;
    k->count = 0;
    return 0;
}

static void k_close(struct vmbus_server_channel *ch, void *ctx)
{
    (void)ch;
    struct kbd_vsp *k = ctx;

    k->open = false;
    k->active = false;
    k->count = 0;
}

static void k_packet(struct vmbus_server_channel *ch, void *ctx)
{
    struct kbd_vsp *k = ctx;
    struct ring_pkt_info info;
    int rc;

    while (k->open && !k->broken) {
        rc = vmbus_server_chan_recv(ch, k->buf, sizeof(k->buf), &info);
        if (rc == -EAGAIN || rc == -ENOTCONN)
            break;
        if (rc < 0) {
            /* Oversized or corrupt: stop reading this channel. */
            bad(k, "ring", rc);
            k->broken = true;
            break;
        }
        if (info.type != VMBUS_PKT_DATA_INBAND) {
            bad(k, "packet type", -EPROTO);
            continue;
        }
        handle(k, k->buf + info.offset, info.len - info.offset);
    }
    flush_queue(k);
}

static const struct vmbus_server_device_ops kbd_ops = {
    .open = k_open,
    .close = k_close,
    .packet = k_packet,
};

int kbd_vsp_create(struct vmbus_server *srv, const struct kbd_vsp_backend *be,
                   struct kbd_vsp **out)
{
    static const struct vmbus_guid cls = VMBUS_CLASS_KEYBOARD;
    static const struct vmbus_guid inst = SYNTHKBD_INSTANCE_GUID;
    struct vmbus_server_device d;
    struct kbd_vsp *k = calloc(1, sizeof(*k));
    int rc;

    *out = NULL;
    if (!k)
        return -ENOMEM;
    if (be)
        k->be = *be;
    memset(&d, 0, sizeof(d));
    d.name = "synthkbd";
    d.class_id = cls;
    d.instance_id = inst;
    d.ops = &kbd_ops;
    d.ctx = k;
    rc = vmbus_server_add_device(srv, &d, &k->ch);
    if (rc < 0) {
        free(k);
        return rc;
    }
    *out = k;
    return 0;
}

void kbd_vsp_destroy(struct kbd_vsp *k)
{
    free(k);
}

static int queue_key(struct kbd_vsp *k, uint16_t make_code, uint32_t flags)
{
    struct synthkbd_keystroke *s;

    if (!k->active) {
        k->stats.dropped++;
        return -ENOTCONN;
    }
    flush_queue(k);
    if (k->count == KBD_VSP_QUEUE) {
        k->stats.dropped++;
        return -ENOBUFS;
    }
    s = &k->q[(k->head + k->count++) % KBD_VSP_QUEUE];
    memset(s, 0, sizeof(*s));
    s->hdr.type = SYNTHKBD_MSG_EVENT;
    s->make_code = make_code;
    s->flags = flags;
    flush_queue(k);
    return 0;
}

int kbd_vsp_key(struct kbd_vsp *k, uint16_t make_code, uint32_t flags)
{
    if (make_code > 0x7F ||
        (flags & ~(SYNTHKBD_KEY_BREAK | SYNTHKBD_KEY_E0 | SYNTHKBD_KEY_E1)))
        return -EINVAL;
    return queue_key(k, make_code, flags);
}

int kbd_vsp_unicode(struct kbd_vsp *k, uint16_t ch, bool release)
{
    return queue_key(k, ch,
                     SYNTHKBD_KEY_UNICODE | (release ? SYNTHKBD_KEY_BREAK : 0));
}

int kbd_vsp_scancode(struct kbd_vsp *k, uint8_t byte)
{
    uint16_t code;
    uint32_t flags;
    int rc = scan_feed(&k->scan, byte, &code, &flags);

    if (rc <= 0)
        return rc;
    return kbd_vsp_key(k, code, flags);
}

bool kbd_vsp_active(const struct kbd_vsp *k)
{
    return k->active;
}

struct vmbus_server_channel *kbd_vsp_channel(const struct kbd_vsp *k)
{
    return k->ch;
}

const struct kbd_vsp_stats *kbd_vsp_get_stats(const struct kbd_vsp *k)
{
    return &k->stats;
}
