/*
 * Guest synthetic keyboard VSC (see vsc/input/kbd.h).  The handshake is one
 * request and one response; after it the host only sends keystrokes.
 */
#include "vsc/input/kbd.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "vsc/input/vsc_util.h"

#define RECV_BUF 512u

struct kbd_vsc {
    struct vmbus_channel *ch;
    struct vmbus_platform plat;
    int state; /* 0 waiting, 1 accepted, or a negative errno */
    struct kbd_state ks;
    struct key_event q[KBD_VSC_QUEUE];
    unsigned head, count;
    void (*on_key)(void *ctx, const struct key_event *ev);
    void *ctx;
    struct kbd_vsc_stats stats;
    uint8_t buf[RECV_BUF];
};

static void push(struct kbd_vsc *k, const struct key_event *ev)
{
    if (k->on_key)
        k->on_key(k->ctx, ev);
    if (k->count == KBD_VSC_QUEUE) {
        k->stats.dropped++;
        return;
    }
    k->q[(k->head + k->count++) % KBD_VSC_QUEUE] = *ev;
}

static void bad(struct kbd_vsc *k, const char *why, int rc)
{
    k->stats.bad_messages++;
    vsc_logf(&k->plat, "kbd: dropped host message: %s (%d)", why, rc);
}

static void handle(struct kbd_vsc *k, const uint8_t *p, uint32_t len)
{
    struct synthkbd_msg m;
    struct key_event ev;
    int rc = synthkbd_parse(p, len, &m);

    if (rc < 0) {
        bad(k, "malformed", rc);
        if (k->state == 0)
            k->state = -EPROTO; /* the handshake answer is broken */
        return;
    }
    switch (m.type) {
    case SYNTHKBD_MSG_PROTOCOL_RESPONSE:
        if (k->state != 0) {
            bad(k, "unexpected protocol response", -EPROTO);
            return;
        }
        k->state = (m.status & SYNTHKBD_ACCEPTED) ? 1 : -ENOTSUP;
        return;
    case SYNTHKBD_MSG_EVENT:
        if (k->state != 1) {
            bad(k, "keystroke before the handshake", -EPROTO);
            return;
        }
        rc = kbd_translate(&k->ks, m.make_code, m.flags, &ev);
        if (rc < 0) {
            bad(k, "keystroke", rc);
            return;
        }
        k->stats.keystrokes++;
        push(k, &ev);
        if (rc == 1)
            kbd_vsc_set_leds(k, k->ks.locks);
        return;
    default:
        bad(k, "message type not sent by hosts", -EPROTO);
        return;
    }
}

static void drain(struct kbd_vsc *k)
{
    struct vmbus_pkt_info info;
    int rc;

    for (;;) {
        rc = vsc_recv(k->ch, k->buf, sizeof(k->buf), &info);
        if (rc == -EAGAIN || rc == -ENOTCONN)
            return;
        if (rc < 0) {
            bad(k, "packet", rc);
            if (rc != -EMSGSIZE)
                return;
            continue;
        }
        if (info.type != VMBUS_PKT_DATA_INBAND) {
            bad(k, "packet type", -EPROTO);
            continue;
        }
        handle(k, k->buf + info.offset, info.len - info.offset);
    }
}

static void on_channel(struct vmbus_channel *ch, void *ctx)
{
    (void)ch;
    drain(ctx);
}

static int answered(void *arg)
{
    struct kbd_vsc *k = arg;

    drain(k);
    return k->state;
}

int kbd_vsc_open(struct vmbus_channel *ch, const struct kbd_vsc_config *cfg,
                 struct kbd_vsc **out)
{
    struct synthkbd_protocol_request req;
    struct kbd_vsc *k = calloc(1, sizeof(*k));
    uint64_t timeout =
        cfg->timeout_ns ? cfg->timeout_ns : VSC_DEFAULT_TIMEOUT_NS;
    int rc;

    *out = NULL;
    if (!k)
        return -ENOMEM;
    k->ch = ch;
    k->plat = *cfg->plat;
    k->on_key = cfg->on_key;
    k->ctx = cfg->ctx;
    rc = vmbus_chan_open(ch, KBD_VSC_RING_BYTES, KBD_VSC_RING_BYTES, NULL, 0,
                         on_channel, k);
    if (rc < 0) {
        vsc_logf(&k->plat, "kbd: cannot open the channel (%d)", rc);
        free(k);
        return rc;
    }
    memset(&req, 0, sizeof(req));
    req.hdr.type = SYNTHKBD_MSG_PROTOCOL_REQUEST;
    req.version = SYNTHKBD_VERSION_1_0;
    rc = vmbus_chan_send(ch, VMBUS_PKT_DATA_INBAND, 0, 0, &req, sizeof(req));
    if (rc == 0)
        rc = vsc_wait(&k->plat, timeout, answered, k);
    if (rc == -ETIMEDOUT)
        vsc_logf(&k->plat,
                 "kbd: host did not answer the protocol request in %llu ms",
                 (unsigned long long)(timeout / 1000000u));
    else if (rc == -ENOTSUP)
        vsc_logf(&k->plat, "kbd: host refused keyboard protocol 1.0");
    if (rc < 0) {
        vmbus_chan_close(ch);
        free(k);
        return rc;
    }
    *out = k;
    return 0;
}

void kbd_vsc_close(struct kbd_vsc *k)
{
    if (!k)
        return;
    vmbus_chan_close(k->ch);
    free(k);
}

int kbd_vsc_read(struct kbd_vsc *k, struct key_event *ev)
{
    drain(k);
    if (k->count == 0)
        return -EAGAIN;
    *ev = k->q[k->head];
    k->head = (k->head + 1) % KBD_VSC_QUEUE;
    k->count--;
    return 0;
}

int kbd_vsc_set_leds(struct kbd_vsc *k, uint8_t locks)
{
    struct synthkbd_led_indicators m;

    memset(&m, 0, sizeof(m));
    m.hdr.type = SYNTHKBD_MSG_SET_LED_INDICATORS;
    m.led_flags = locks & (SYNTHKBD_LED_SCROLL_LOCK | SYNTHKBD_LED_NUM_LOCK |
                           SYNTHKBD_LED_CAPS_LOCK);
    k->stats.led_updates++;
    return vmbus_chan_send(k->ch, VMBUS_PKT_DATA_INBAND, 0, 0, &m, sizeof(m));
}

struct kbd_state kbd_vsc_state(const struct kbd_vsc *k)
{
    return k->ks;
}

const struct kbd_vsc_stats *kbd_vsc_get_stats(const struct kbd_vsc *k)
{
    return &k->stats;
}
