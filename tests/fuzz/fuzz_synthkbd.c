/*
 * Fuzz target for the keyboard and mouse on both sides.  The first byte
 * picks keyboard message parsing (with every accepted keystroke fed to the
 * translator), synthhid framing (device info split included), the scan
 * code byte stream parser, or a loopback session: the guest keyboard and
 * mouse VSCs connected to the root VSPs, then a sequence of
 * [u8 what][u8 len][bytes] steps that send raw packets guest -> VSP or
 * VSP -> VSC, backend scan codes or pointer events, each followed by both
 * sides draining their rings.  Nothing may crash, hang or leak.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/synth_input.h"
#include "root/vsp/input/kbd_vsp.h"
#include "root/vsp/input/mouse_vsp.h"
#include "tests/loopback/shim.h"
#include "vsc/input/kbd.h"
#include "vsc/input/mouse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void kbd(const uint8_t *buf, uint32_t len)
{
    struct synthkbd_msg m;
    struct kbd_state st = {0};
    struct key_event ev;

    if (synthkbd_parse(buf, len, &m) == 0 && m.type == SYNTHKBD_MSG_EVENT) {
        if (kbd_translate(&st, m.make_code, m.flags, &ev) < 0)
            abort(); /* the parser vouched for this keystroke */
        if (ev.ch >= 0x80 && !(m.flags & SYNTHKBD_KEY_UNICODE))
            abort();
    }
}

static void hid(const uint8_t *buf, uint32_t len)
{
    struct synthhid_msg m;
    struct synthhid_attributes a;
    const uint8_t *r;
    uint32_t rl;

    if (synthhid_parse(buf, len, &m) != 0)
        return;
    if (m.body < buf || m.body + m.body_len > buf + len)
        abort();
    if (m.type == SYNTHHID_MSG_DEVICE_INFO &&
        synthhid_device_info_split(m.body, m.body_len, &a, &r, &rl) == 0 &&
        (r < m.body || r + rl > m.body + m.body_len || rl == 0))
        abort();
}

static void scan(const uint8_t *buf, uint32_t len)
{
    struct scan_parser p = {0};
    struct kbd_state st = {0};
    struct key_event ev;
    uint16_t code;
    uint32_t flags, i;

    for (i = 0; i < len; i++)
        if (scan_feed(&p, buf[i], &code, &flags) == 1 &&
            (code > 0x7F || kbd_translate(&st, code, flags, &ev) < 0))
            abort();
}

static void session(const uint8_t *data, uint32_t size)
{
    static const struct vmbus_guid ck = VMBUS_CLASS_KEYBOARD;
    static const struct vmbus_guid cm = VMBUS_CLASS_MOUSE;
    struct lb lb;
    struct vmbus_platform plat;
    struct kbd_vsp *kv = NULL;
    struct mouse_vsp *mv = NULL;
    struct kbd_vsc *k = NULL;
    struct mouse_vsc *m = NULL;
    struct vmbus_channel *gk, *gm;
    struct vmbus_server_channel *hk = NULL, *hm = NULL;
    struct key_event ev;
    struct mouse_event mev;
    uint32_t pos = 0;

    if (lb_init(&lb, 64, NULL) < 0)
        return;
    plat = lb_guest_platform(&lb);
    kbd_vsp_create(lb.srv, NULL, &kv);
    mouse_vsp_create(lb.srv, NULL, &mv);
    vmbus_set_timeout(lb.vb, 1000000);
    if (vmbus_connect(lb.vb, 0) == 0) {
        struct kbd_vsc_config kc = {.plat = &plat, .timeout_ns = 1000000};
        struct mouse_vsc_config mc = {.plat = &plat, .timeout_ns = 1000000};
        gk = vmbus_find_channel(lb.vb, &ck);
        gm = vmbus_find_channel(lb.vb, &cm);
        if (gk && kbd_vsc_open(gk, &kc, &k) == 0)
            hk = vmbus_server_channel(lb.srv, vmbus_chan_relid(gk));
        if (gm && mouse_vsc_open(gm, &mc, &m) == 0)
            hm = vmbus_server_channel(lb.srv, vmbus_chan_relid(gm));
    }
    while (k && m && hk && hm && pos + 2 <= size) {
        uint8_t what = data[pos], len = data[pos + 1];
        const uint8_t *b = data + pos + 2;
        uint32_t i;

        pos += 2;
        if (len > size - pos)
            len = (uint8_t)(size - pos);
        pos += len;
        switch (what % 6) {
        case 0: /* guest -> keyboard VSP */
            vmbus_chan_send(gk, VMBUS_PKT_DATA_INBAND, 0, 0, b, len);
            break;
        case 1: /* guest -> synthhid VSP */
            vmbus_chan_send(gm, VMBUS_PKT_DATA_INBAND, 0, 0, b, len);
            break;
        case 2: /* host -> keyboard VSC */
            vmbus_server_chan_send(hk, VMBUS_PKT_DATA_INBAND, 0, 0, b, len);
            break;
        case 3: /* host -> mouse VSC */
            vmbus_server_chan_send(hm, VMBUS_PKT_DATA_INBAND, 0, 0, b, len);
            break;
        case 4: /* backend scan codes */
            for (i = 0; i < len; i++)
                kbd_vsp_scancode(kv, b[i]);
            break;
        default: /* backend pointer events */
            for (i = 0; i + 7 <= len; i += 7)
                mouse_vsp_event(mv, (uint32_t)b[i] << 8 | b[i + 1],
                                (uint32_t)b[i + 2] << 8 | b[i + 3], b[i + 4],
                                (int16_t)(b[i + 5] << 8 | b[i + 6]));
            break;
        }
        vmbus_server_poll(lb.srv);
        lb_pump(&lb);
        while (kbd_vsc_read(k, &ev) == 0)
            ;
        while (mouse_vsc_read(m, &mev) == 0)
            ;
    }
    kbd_vsc_close(k);
    mouse_vsc_close(m);
    vmbus_disconnect(lb.vb);
    lb_fini(&lb);
    kbd_vsp_destroy(kv);
    mouse_vsp_destroy(mv);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *buf;
    uint32_t len;

    if (size < 1 || size > 4096)
        return 0;
    len = (uint32_t)size - 1;
    buf = malloc(len ? len : 1);
    if (!buf)
        abort();
    memcpy(buf, data + 1, len);
    switch (data[0] % 4) {
    case 3:
        session(buf, len);
        break;
    case 0:
        kbd(buf, len);
        break;
    case 1:
        hid(buf, len);
        break;
    default:
        scan(buf, len);
        break;
    }
    free(buf);
    return 0;
}
