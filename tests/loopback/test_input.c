/*
 * Loopback tests of the guest keyboard and mouse VSCs against the root's
 * keyboard and synthhid VSPs: offers, handshakes, keystroke streams from
 * a raw set-1 byte stream (shifted characters, E0/E1 prefixes), LED
 * indicators, pointer streams scaled to the screen, full rings, and
 * malformed messages both ways (a scripted host VSP plays the hostile
 * host; raw guest packets play the hostile guest).
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/guid.h"
#include "common/synth_input.h"
#include "root/vsp/input/kbd_vsp.h"
#include "root/vsp/input/mouse_vsp.h"
#include "tests/loopback/shim.h"
#include "vsc/input/kbd.h"
#include "vsc/input/mouse.h"

#define GUEST_PAGES 512u

static const struct vmbus_guid class_kbd = VMBUS_CLASS_KEYBOARD;
static const struct vmbus_guid class_mouse = VMBUS_CLASS_MOUSE;

/* ---- a scripted host: answers each guest packet with canned bytes ---- */

#define SCRIPT_MAX 4u
struct script_vsp {
    const uint8_t *reply[SCRIPT_MAX];
    uint32_t reply_len[SCRIPT_MAX];
    unsigned nreplies; /* sent after the first guest packet */
    unsigned packets;
    bool replied;
    struct vmbus_server_channel *ch;
};

static uint32_t s_open(struct vmbus_server_channel *ch, void *ctx,
                       const uint8_t *ud)
{
    struct script_vsp *s = ctx;
    s->ch = ch;
    return 0;
}

static void s_close(struct vmbus_server_channel *ch, void *ctx) {}

static void s_packet(struct vmbus_server_channel *ch, void *ctx)
{
    struct script_vsp *s = ctx;
    uint8_t buf[1024];
    struct ring_pkt_info info;
    unsigned i;

    while (vmbus_server_chan_recv(ch, buf, sizeof(buf), &info) == 0)
        s->packets++;
    if (s->replied || s->packets == 0)
        return;
    s->replied = true;
    for (i = 0; i < s->nreplies; i++)
        vmbus_server_chan_put(ch, VMBUS_PKT_DATA_INBAND, 0, 0, s->reply[i],
                              s->reply_len[i]);
    vmbus_server_chan_flush(ch);
}

static const struct vmbus_server_device_ops script_ops = {
    .open = s_open,
    .close = s_close,
    .packet = s_packet,
};

static void add_script(struct lb *lb, struct script_vsp *s,
                       struct vmbus_guid cls)
{
    struct vmbus_server_device d;

    memset(&d, 0, sizeof(d));
    d.name = "script";
    d.class_id = cls;
    d.instance_id.data1 = 0x5C41B7u;
    d.ops = &script_ops;
    d.ctx = s;
    assert_int_equal(vmbus_server_add_device(lb->srv, &d, NULL), 0);
}

/* ---- fixture ---- */

struct fx {
    struct lb lb;
    struct vmbus_platform plat;
    struct kbd_vsp *kv;
    struct mouse_vsp *mv;
    struct kbd_vsc *k;
    struct mouse_vsc *m;
    uint16_t leds_seen;
    unsigned led_calls;
    unsigned keys_seen;
};

static void be_leds(void *ctx, uint16_t flags)
{
    struct fx *f = ctx;
    f->leds_seen = flags;
    f->led_calls++;
}

static void fx_init(struct fx *f, bool kbd, bool mouse)
{
    struct kbd_vsp_backend kb = {.ctx = f, .set_leds = be_leds};
    struct mouse_vsp_backend mb = {.ctx = f};

    memset(f, 0, sizeof(*f));
    assert_int_equal(lb_init(&f->lb, GUEST_PAGES, NULL), 0);
    f->lb.verbose = getenv("LB_VERBOSE") != NULL;
    f->plat = lb_guest_platform(&f->lb);
    if (kbd)
        assert_int_equal(kbd_vsp_create(f->lb.srv, &kb, &f->kv), 0);
    if (mouse)
        assert_int_equal(mouse_vsp_create(f->lb.srv, &mb, &f->mv), 0);
    assert_int_equal(vmbus_connect(f->lb.vb, 0), 0);
}

static void fx_fini(struct fx *f)
{
    if (f->k)
        kbd_vsc_close(f->k);
    if (f->m)
        mouse_vsc_close(f->m);
    lb_fini(&f->lb);
    if (f->kv)
        kbd_vsp_destroy(f->kv);
    if (f->mv)
        mouse_vsp_destroy(f->mv);
}

static struct vmbus_channel *chan(struct fx *f, const struct vmbus_guid *c)
{
    struct vmbus_channel *ch = vmbus_find_channel(f->lb.vb, c);
    assert_non_null(ch);
    return ch;
}

static void settle(struct fx *f)
{
    vmbus_server_poll(f->lb.srv);
    lb_pump(&f->lb);
}

static int open_kbd(struct fx *f)
{
    struct kbd_vsc_config cfg = {.plat = &f->plat, .timeout_ns = 1000000000ull};
    return kbd_vsc_open(chan(f, &class_kbd), &cfg, &f->k);
}

static int open_mouse(struct fx *f, uint32_t w, uint32_t h)
{
    struct mouse_vsc_config cfg = {
        .plat = &f->plat, .timeout_ns = 1000000000ull, .width = w, .height = h};
    return mouse_vsc_open(chan(f, &class_mouse), &cfg, &f->m);
}

/* ---- keyboard ---- */

static void test_kbd_offer_and_handshake(void **state)
{
    struct fx f;
    static const struct vmbus_guid inst = SYNTHKBD_INSTANCE_GUID;
    char s[GUID_STR_LEN];

    (void)state;
    fx_init(&f, true, true);
    guid_format(vmbus_chan_instance(chan(&f, &class_kbd)), s);
    assert_string_equal(s, "d34b2567-b9b6-42b9-8778-0a4ec0b955bf");
    assert_true(guid_equal(vmbus_chan_instance(chan(&f, &class_kbd)), &inst));
    guid_format(vmbus_chan_instance(chan(&f, &class_mouse)), s);
    assert_string_equal(s, "58f75a6d-d949-4320-99e1-a2a2576d581c");
    assert_false(kbd_vsp_active(f.kv));
    assert_int_equal(kbd_vsp_key(f.kv, 0x1E, 0), -ENOTCONN);
    assert_int_equal(open_kbd(&f), 0);
    assert_true(kbd_vsp_active(f.kv));
    assert_int_equal(kbd_vsp_get_stats(f.kv)->negotiations, 1);
    /* Close and open again: a second handshake on the same device. */
    kbd_vsc_close(f.k);
    f.k = NULL;
    settle(&f);
    assert_false(kbd_vsp_active(f.kv));
    assert_int_equal(open_kbd(&f), 0);
    assert_int_equal(kbd_vsp_get_stats(f.kv)->negotiations, 2);
    fx_fini(&f);
}

/* Set-1 make/break bytes for a US-layout ASCII character. */
static unsigned ascii_scan(char c, uint8_t *out)
{
    static const char plain[] = "\0\0"
                                "1234567890-=\b\tqwertyuiop[]\n\0"
                                "asdfghjkl;'`\0\\zxcvbnm,./";
    static const char shifted[] = "\0\0"
                                  "!@#$%^&*()_+\b\tQWERTYUIOP{}\n\0"
                                  "ASDFGHJKL:\"~\0|ZXCVBNM<>?";
    unsigned i, n = 0;

    if (c == ' ') {
        out[0] = 0x39;
        out[1] = 0xB9;
        return 2;
    }
    for (i = 2; i < sizeof(plain) - 1; i++) {
        if (plain[i] == c && c) {
            out[n++] = (uint8_t)i;
            out[n++] = (uint8_t)(i | 0x80);
            return n;
        }
        if (shifted[i] == c && c) {
            out[n++] = 0x2A;
            out[n++] = (uint8_t)i;
            out[n++] = (uint8_t)(i | 0x80);
            out[n++] = 0xAA;
            return n;
        }
    }
    fail_msg("no scan code for %c", c);
    return 0;
}

static void test_kbd_typing_stream(void **state)
{
    struct fx f;
    static const char text[] = "Hello, World! ~{x}|\"? 42\n";
    char got[64];
    unsigned n = 0, i, j;
    struct key_event ev;

    (void)state;
    fx_init(&f, true, false);
    assert_int_equal(open_kbd(&f), 0);
    for (i = 0; text[i]; i++) {
        uint8_t b[4];
        unsigned nb = ascii_scan(text[i], b);
        for (j = 0; j < nb; j++)
            assert_int_equal(kbd_vsp_scancode(f.kv, b[j]), 0);
        settle(&f);
        while (kbd_vsc_read(f.k, &ev) == 0)
            if (ev.pressed && ev.ch && n < sizeof(got) - 1)
                got[n++] = (char)ev.ch;
    }
    got[n] = 0;
    assert_string_equal(got, text);
    assert_int_equal(kbd_vsc_state(f.k).mods, 0);
    assert_int_equal(kbd_vsc_get_stats(f.k)->bad_messages, 0);
    fx_fini(&f);
}

static void test_kbd_prefixes(void **state)
{
    struct fx f;
    static const uint8_t bytes[] = {0xE0, 0x48, 0xE0, 0xC8, 0xE1, 0x1D,
                                    0x45, 0xE1, 0x9D, 0xC5, 0xE0, 0x1D,
                                    0x2E, 0xAE, 0xE0, 0x9D};
    struct key_event ev[16];
    unsigned n = 0;
    size_t i;

    (void)state;
    fx_init(&f, true, false);
    assert_int_equal(open_kbd(&f), 0);
    for (i = 0; i < sizeof(bytes); i++)
        assert_int_equal(kbd_vsp_scancode(f.kv, bytes[i]), 0);
    while (n < 16 && kbd_vsc_read(f.k, &ev[n]) == 0)
        n++;
    assert_int_equal(n, 10);
    assert_int_equal(ev[0].key, KEY_UP);
    assert_int_equal(ev[0].pressed, 1);
    assert_int_equal(ev[1].key, KEY_UP);
    assert_int_equal(ev[1].pressed, 0);
    assert_int_equal(ev[2].key, KEY_PAUSE);
    assert_int_equal(ev[3].key, KEY_NUMLOCK);
    assert_int_equal(ev[4].key, KEY_PAUSE);
    assert_int_equal(ev[4].pressed, 0);
    assert_int_equal(ev[6].key, KEY_RCTRL);
    assert_int_equal(ev[7].ch, 3); /* right Ctrl + C */
    assert_int_equal(ev[9].mods, 0);
    fx_fini(&f);
}

static void test_kbd_unicode(void **state)
{
    struct fx f;
    struct key_event ev;

    (void)state;
    fx_init(&f, true, false);
    assert_int_equal(open_kbd(&f), 0);
    assert_int_equal(kbd_vsp_unicode(f.kv, 0x00E9, false), 0);
    assert_int_equal(kbd_vsp_unicode(f.kv, 0x00E9, true), 0);
    assert_int_equal(kbd_vsc_read(f.k, &ev), 0);
    assert_int_equal(ev.key, KEY_UNICODE);
    assert_int_equal(ev.ch, 0xE9);
    assert_int_equal(ev.pressed, 1);
    assert_int_equal(kbd_vsc_read(f.k, &ev), 0);
    assert_int_equal(ev.pressed, 0);
    assert_int_equal(ev.ch, 0);
    fx_fini(&f);
}

static void test_kbd_leds(void **state)
{
    struct fx f;
    struct key_event ev;

    (void)state;
    fx_init(&f, true, false);
    assert_int_equal(open_kbd(&f), 0);
    /* Caps Lock press: the VSC turns the light on by itself. */
    assert_int_equal(kbd_vsp_scancode(f.kv, 0x3A), 0);
    assert_int_equal(kbd_vsp_scancode(f.kv, 0xBA), 0);
    settle(&f);
    assert_int_equal(kbd_vsc_read(f.k, &ev), 0);
    settle(&f);
    assert_int_equal(f.led_calls, 1);
    assert_int_equal(f.leds_seen, SYNTHKBD_LED_CAPS_LOCK);
    assert_int_equal(kbd_vsp_get_stats(f.kv)->leds, SYNTHKBD_LED_CAPS_LOCK);
    assert_int_equal(kbd_vsc_set_leds(f.k, KLOCK_NUM | KLOCK_SCROLL), 0);
    settle(&f);
    assert_int_equal(f.leds_seen,
                     SYNTHKBD_LED_NUM_LOCK | SYNTHKBD_LED_SCROLL_LOCK);
    fx_fini(&f);
}

static unsigned counted;
static void count_key(void *ctx, const struct key_event *ev)
{
    counted++;
}

static void test_kbd_ring_full(void **state)
{
    struct fx f;
    struct kbd_vsc_config cfg;
    struct key_event ev;
    unsigned i, sent = 0;

    (void)state;
    fx_init(&f, true, false);
    memset(&cfg, 0, sizeof(cfg));
    cfg.plat = &f.plat;
    cfg.on_key = count_key;
    counted = 0;
    assert_int_equal(kbd_vsc_open(chan(&f, &class_kbd), &cfg, &f.k), 0);
    /* 40-byte packets: about 409 fit in 16 KiB, the VSP queues 128 more. */
    for (i = 0; i < 600; i++)
        if (kbd_vsp_key(f.kv, 0x10, (i & 1) ? SYNTHKBD_KEY_BREAK : 0) == 0)
            sent++;
    assert_true(sent < 600);
    assert_true(sent > 409);
    assert_int_equal(kbd_vsp_get_stats(f.kv)->dropped, 600 - sent);
    /* The guest drains the ring from its callback; its reads signal the
     * VSP (pending_send_sz), which sends the queued keys. */
    settle(&f);
    assert_int_equal(counted, sent);
    assert_int_equal(kbd_vsp_key(f.kv, 0x10, 0), 0);
    settle(&f);
    while (kbd_vsc_read(f.k, &ev) == 0)
        ;
    assert_int_equal(counted, sent + 1);
    assert_int_equal(kbd_vsp_get_stats(f.kv)->keystrokes, sent + 1);
    fx_fini(&f);
}

static void test_kbd_host_silent(void **state)
{
    struct fx f;
    struct script_vsp s;

    (void)state;
    memset(&s, 0, sizeof(s));
    assert_int_equal(lb_init(&f.lb, GUEST_PAGES, NULL), 0);
    f.plat = lb_guest_platform(&f.lb);
    f.k = NULL;
    f.m = NULL;
    f.kv = NULL;
    f.mv = NULL;
    add_script(&f.lb, &s, class_kbd);
    assert_int_equal(vmbus_connect(f.lb.vb, 0), 0);
    assert_int_equal(open_kbd(&f), -ETIMEDOUT);
    assert_non_null(strstr(f.lb.last_log, "did not answer"));
    assert_int_equal(s.packets, 1);
    fx_fini(&f);
}

static void script_fixture(struct fx *f, struct script_vsp *s,
                           struct vmbus_guid cls)
{
    memset(f, 0, sizeof(*f));
    assert_int_equal(lb_init(&f->lb, GUEST_PAGES, NULL), 0);
    f->plat = lb_guest_platform(&f->lb);
    add_script(&f->lb, s, cls);
    assert_int_equal(vmbus_connect(f->lb.vb, 0), 0);
}

static void test_kbd_hostile_host(void **state)
{
    struct fx f;
    struct script_vsp s;
    struct synthkbd_protocol_response refuse = {
        {SYNTHKBD_MSG_PROTOCOL_RESPONSE}, 0};
    struct synthkbd_protocol_response ok = {{SYNTHKBD_MSG_PROTOCOL_RESPONSE},
                                            SYNTHKBD_ACCEPTED};
    struct synthkbd_keystroke bad_code = {{SYNTHKBD_MSG_EVENT}, 0x99, 0, 0};
    struct synthkbd_keystroke bad_flags = {{SYNTHKBD_MSG_EVENT}, 0x10, 0, 0x40};
    struct synthkbd_keystroke good = {{SYNTHKBD_MSG_EVENT}, 0x10, 0, 0};
    uint32_t unknown = 77;
    struct key_event ev;

    (void)state;
    /* Refused version. */
    memset(&s, 0, sizeof(s));
    s.reply[0] = (const uint8_t *)&refuse;
    s.reply_len[0] = sizeof(refuse);
    s.nreplies = 1;
    script_fixture(&f, &s, class_kbd);
    assert_int_equal(open_kbd(&f), -ENOTSUP);
    fx_fini(&f);

    /* An answer of a type hosts never send (the ring pads short ones). */
    memset(&s, 0, sizeof(s));
    s.reply[0] = (const uint8_t *)&unknown;
    s.reply_len[0] = 4;
    s.nreplies = 1;
    script_fixture(&f, &s, class_kbd);
    assert_int_equal(open_kbd(&f), -EPROTO);
    fx_fini(&f);

    /* Accepted, then garbage keystrokes around one good one. */
    memset(&s, 0, sizeof(s));
    s.reply[0] = (const uint8_t *)&ok;
    s.reply_len[0] = sizeof(ok);
    s.reply[1] = (const uint8_t *)&bad_code;
    s.reply_len[1] = sizeof(bad_code);
    s.reply[2] = (const uint8_t *)&bad_flags;
    s.reply_len[2] = sizeof(bad_flags);
    s.reply[3] = (const uint8_t *)&good;
    s.reply_len[3] = sizeof(good);
    s.nreplies = 4;
    script_fixture(&f, &s, class_kbd);
    assert_int_equal(open_kbd(&f), 0);
    assert_int_equal(kbd_vsc_read(f.k, &ev), 0);
    assert_int_equal(ev.ch, 'q');
    assert_int_equal(kbd_vsc_read(f.k, &ev), -EAGAIN);
    assert_int_equal(kbd_vsc_get_stats(f.k)->bad_messages, 2);
    fx_fini(&f);
}

/* Opens ch raw (no VSC) for hostile-guest tests. */
static void raw_open(struct vmbus_channel *ch)
{
    assert_int_equal(vmbus_chan_open(ch, 16384, 16384, NULL, 0, NULL, NULL), 0);
}

static int raw_recv(struct fx *f, struct vmbus_channel *ch, uint8_t *buf,
                    uint32_t cap, uint32_t *len)
{
    struct vmbus_pkt_info info;
    int rc;

    settle(f);
    rc = vmbus_chan_recv(ch, buf, cap, &info);
    if (rc == 0) {
        memmove(buf, buf + info.offset, info.len - info.offset);
        *len = info.len - info.offset;
    }
    return rc;
}

static void test_kbd_hostile_guest(void **state)
{
    struct fx f;
    struct vmbus_channel *ch;
    struct synthkbd_protocol_request req = {{SYNTHKBD_MSG_PROTOCOL_REQUEST},
                                            SYNTHKBD_VERSION(2, 0)};
    struct synthkbd_led_indicators led = {
        {SYNTHKBD_MSG_SET_LED_INDICATORS}, 7, 0};
    struct synthkbd_protocol_response r;
    uint8_t buf[256];
    uint32_t len, junk = 0xDEAD;
    uint32_t unknown[2] = {5, 0};

    (void)state;
    fx_init(&f, true, false);
    ch = chan(&f, &class_kbd);
    raw_open(ch);
    /* LEDs before the handshake, an unknown type, junk. */
    assert_int_equal(
        vmbus_chan_send(ch, VMBUS_PKT_DATA_INBAND, 0, 0, &led, sizeof(led)), 0);
    assert_int_equal(vmbus_chan_send(ch, VMBUS_PKT_DATA_INBAND, 0, 0, unknown,
                                     sizeof(unknown)),
                     0);
    assert_int_equal(vmbus_chan_send(ch, VMBUS_PKT_DATA_INBAND, 0, 0, &junk, 4),
                     0);
    settle(&f);
    assert_int_equal(kbd_vsp_get_stats(f.kv)->bad_messages, 3);
    assert_int_equal(f.led_calls, 0);
    /* Version 2.0 is refused; 1.0 accepted. */
    assert_int_equal(
        vmbus_chan_send(ch, VMBUS_PKT_DATA_INBAND, 0, 0, &req, sizeof(req)), 0);
    assert_int_equal(raw_recv(&f, ch, buf, sizeof(buf), &len), 0);
    memcpy(&r, buf, sizeof(r));
    assert_int_equal(r.hdr.type, SYNTHKBD_MSG_PROTOCOL_RESPONSE);
    assert_int_equal(r.status, 0);
    assert_false(kbd_vsp_active(f.kv));
    assert_int_equal(kbd_vsp_get_stats(f.kv)->refusals, 1);
    req.version = SYNTHKBD_VERSION_1_0;
    assert_int_equal(
        vmbus_chan_send(ch, VMBUS_PKT_DATA_INBAND, 0, 0, &req, sizeof(req)), 0);
    assert_int_equal(raw_recv(&f, ch, buf, sizeof(buf), &len), 0);
    memcpy(&r, buf, sizeof(r));
    assert_int_equal(r.status, SYNTHKBD_ACCEPTED);
    assert_true(kbd_vsp_active(f.kv));
    /* A keystroke arrives as 12 bytes with the flags Hyper-V uses. */
    assert_int_equal(kbd_vsp_scancode(f.kv, 0xE0), 0);
    assert_int_equal(kbd_vsp_scancode(f.kv, 0xD0), 0);
    assert_int_equal(raw_recv(&f, ch, buf, sizeof(buf), &len), 0);
    assert_true(len >= 12);
    {
        struct synthkbd_keystroke k;
        memcpy(&k, buf, sizeof(k));
        assert_int_equal(k.hdr.type, SYNTHKBD_MSG_EVENT);
        assert_int_equal(k.make_code, 0x50);
        assert_int_equal(k.flags, SYNTHKBD_KEY_E0 | SYNTHKBD_KEY_BREAK);
    }
    /* Junk bytes from the backend never reach the guest. */
    assert_int_equal(kbd_vsp_scancode(f.kv, 0xFA), -EINVAL);
    assert_int_equal(kbd_vsp_key(f.kv, 0x80, 0), -EINVAL);
    assert_int_equal(raw_recv(&f, ch, buf, sizeof(buf), &len), -EAGAIN);
    fx_fini(&f);
}

/* ---- mouse ---- */

static void test_mouse_handshake(void **state)
{
    struct fx f;
    const struct hid_pointer *p;
    uint16_t vendor, product;

    (void)state;
    fx_init(&f, false, true);
    assert_int_equal(mouse_vsp_event(f.mv, 1, 1, 0, 0), -ENOTCONN);
    assert_int_equal(open_mouse(&f, 1024, 768), 0);
    assert_true(mouse_vsp_active(f.mv));
    p = mouse_vsc_layout(f.m);
    assert_true(p->x.present && p->y.present && p->wheel.present);
    assert_int_equal(p->buttons.count, 5);
    assert_int_equal(p->x.logical_max, 32767);
    mouse_vsc_ids(f.m, &vendor, &product);
    assert_int_equal(vendor, 0x045E);
    assert_int_equal(product, 0x0621);
    fx_fini(&f);
}

static void test_mouse_stream(void **state)
{
    struct fx f;
    struct mouse_event ev;
    static const struct {
        uint32_t x, y;
        uint8_t b;
        int16_t w;
        uint32_t px, py;
    } pts[] = {
        {0, 0, 0, 0, 0, 0},
        {32767, 32767, 1, 0, 1023, 767},
        {16384, 8192, 2, 0, 511, 191},
        {40000, 5, 4, -1, 1023, 0},
        {100, 200, 0x1F, 3, 3, 4},
    };
    size_t i;

    (void)state;
    fx_init(&f, false, true);
    assert_int_equal(open_mouse(&f, 1024, 768), 0);
    for (i = 0; i < sizeof(pts) / sizeof(pts[0]); i++)
        assert_int_equal(
            mouse_vsp_event(f.mv, pts[i].x, pts[i].y, pts[i].b, pts[i].w), 0);
    for (i = 0; i < sizeof(pts) / sizeof(pts[0]); i++) {
        assert_int_equal(mouse_vsc_read(f.m, &ev), 0);
        assert_int_equal(ev.x, pts[i].px);
        assert_int_equal(ev.y, pts[i].py);
        assert_int_equal(ev.buttons, pts[i].b);
        assert_int_equal(ev.wheel, pts[i].w);
    }
    assert_int_equal(mouse_vsc_read(f.m, &ev), -EAGAIN);
    /* A new screen size rescales. */
    mouse_vsc_set_screen(f.m, 1280, 1024);
    assert_int_equal(mouse_vsp_event(f.mv, 32767, 16384, 0, 0), 0);
    assert_int_equal(mouse_vsc_read(f.m, &ev), 0);
    assert_int_equal(ev.x, 1279);
    assert_int_equal(ev.y, 511);
    assert_int_equal(mouse_vsp_get_stats(f.mv)->reports, 6);
    assert_int_equal(mouse_vsc_get_stats(f.m)->bad_messages, 0);
    fx_fini(&f);
}

static unsigned mouse_events;
static uint32_t mouse_last_x;
static void count_mouse(void *ctx, const struct mouse_event *ev)
{
    mouse_events++;
    mouse_last_x = ev->x;
}

static void test_mouse_ring_full(void **state)
{
    struct fx f;
    struct mouse_vsc_config cfg;
    struct mouse_event ev;
    unsigned i, ok = 0, full = 0;
    int rc;

    (void)state;
    fx_init(&f, false, true);
    memset(&cfg, 0, sizeof(cfg));
    cfg.plat = &f.plat;
    cfg.on_event = count_mouse;
    mouse_events = 0;
    assert_int_equal(mouse_vsc_open(chan(&f, &class_mouse), &cfg, &f.m), 0);
    /* 48-byte packets: about 340 fit in 16 KiB, then 64 queue, then the
     * newest replaces the last queued one. */
    for (i = 0; i < 500; i++) {
        rc = mouse_vsp_event(f.mv, i, i, 0, 0);
        assert_true(rc == 0 || rc == -ENOBUFS);
        if (rc == 0)
            ok++;
        else
            full++;
    }
    assert_true(full > 0);
    settle(&f);
    assert_int_equal(mouse_events, ok);
    assert_int_equal(mouse_vsp_event(f.mv, 32767, 32767, 0, 0), 0);
    settle(&f);
    while (mouse_vsc_read(f.m, &ev) == 0)
        ;
    assert_int_equal(mouse_events, ok + 1);
    assert_int_equal(mouse_vsp_get_stats(f.mv)->reports, ok + 1);
    /* The last event delivered is the newest position. */
    assert_int_equal(mouse_last_x, 1023);
    fx_fini(&f);
}

static void test_mouse_hostile_guest(void **state)
{
    struct fx f;
    struct vmbus_channel *ch;
    uint8_t msg[64], buf[512];
    uint32_t v = SYNTHHID_VERSION(1, 0), n, len;
    uint8_t ack = 0;
    struct synthhid_msg m;

    (void)state;
    fx_init(&f, false, true);
    ch = chan(&f, &class_mouse);
    raw_open(ch);
    /* Ack before anything; wrong pipe type; pipe size past the packet. */
    n = synthhid_build(msg, sizeof(msg), SYNTHHID_MSG_DEVICE_INFO_ACK, &ack, 1);
    assert_int_equal(vmbus_chan_send(ch, VMBUS_PKT_DATA_INBAND, 0, 0, msg, n),
                     0);
    n = synthhid_build(msg, sizeof(msg), SYNTHHID_MSG_PROTOCOL_REQUEST, &v, 4);
    msg[0] = 2;
    assert_int_equal(vmbus_chan_send(ch, VMBUS_PKT_DATA_INBAND, 0, 0, msg, n),
                     0);
    msg[0] = 1;
    msg[4] = 200;
    assert_int_equal(vmbus_chan_send(ch, VMBUS_PKT_DATA_INBAND, 0, 0, msg, n),
                     0);
    settle(&f);
    assert_int_equal(mouse_vsp_get_stats(f.mv)->bad_messages, 3);
    /* Version 1.0 refused, with no device info. */
    n = synthhid_build(msg, sizeof(msg), SYNTHHID_MSG_PROTOCOL_REQUEST, &v, 4);
    assert_int_equal(vmbus_chan_send(ch, VMBUS_PKT_DATA_INBAND, 0, 0, msg, n),
                     0);
    assert_int_equal(raw_recv(&f, ch, buf, sizeof(buf), &len), 0);
    assert_int_equal(synthhid_parse(buf, len, &m), 0);
    assert_int_equal(m.type, SYNTHHID_MSG_PROTOCOL_RESPONSE);
    assert_int_equal(m.body[4], 0);
    assert_int_equal(raw_recv(&f, ch, buf, sizeof(buf), &len), -EAGAIN);
    /* 2.0 in a packet 3 bytes longer than its pipe size (as Linux does). */
    v = SYNTHHID_VERSION_2_0;
    n = synthhid_build(msg, sizeof(msg), SYNTHHID_MSG_PROTOCOL_REQUEST, &v, 4);
    assert_int_equal(
        vmbus_chan_send(ch, VMBUS_PKT_DATA_INBAND, 0, 0, msg, n + 3), 0);
    assert_int_equal(raw_recv(&f, ch, buf, sizeof(buf), &len), 0);
    assert_int_equal(synthhid_parse(buf, len, &m), 0);
    assert_int_equal(m.body[4], 1);
    assert_int_equal(raw_recv(&f, ch, buf, sizeof(buf), &len), 0);
    assert_int_equal(synthhid_parse(buf, len, &m), 0);
    assert_int_equal(m.type, SYNTHHID_MSG_DEVICE_INFO);
    {
        struct synthhid_attributes a;
        const uint8_t *r;
        uint32_t rl, dl;
        const uint8_t *d = mouse_vsp_report_descriptor(&dl);
        assert_int_equal(
            synthhid_device_info_split(m.body, m.body_len, &a, &r, &rl), 0);
        assert_int_equal(rl, dl);
        assert_memory_equal(r, d, dl);
    }
    assert_false(mouse_vsp_active(f.mv));
    n = synthhid_build(msg, sizeof(msg), SYNTHHID_MSG_DEVICE_INFO_ACK, &ack, 1);
    assert_int_equal(vmbus_chan_send(ch, VMBUS_PKT_DATA_INBAND, 0, 0, msg, n),
                     0);
    settle(&f);
    assert_true(mouse_vsp_active(f.mv));
    /* A report: 7 bytes in the synthhid body. */
    assert_int_equal(mouse_vsp_event(f.mv, 12, 34, 1, -2), 0);
    assert_int_equal(raw_recv(&f, ch, buf, sizeof(buf), &len), 0);
    assert_int_equal(synthhid_parse(buf, len, &m), 0);
    assert_int_equal(m.type, SYNTHHID_MSG_INPUT_REPORT);
    assert_int_equal(m.body_len, 7);
    {
        struct synthhid_mouse_report r;
        memcpy(&r, m.body, sizeof(r));
        assert_int_equal(r.x, 12);
        assert_int_equal(r.y, 34);
        assert_int_equal(r.buttons, 1);
        assert_int_equal(r.wheel, -2);
    }
    fx_fini(&f);
}

static void test_mouse_hostile_host(void **state)
{
    struct fx f;
    struct script_vsp s;
    uint8_t resp[64], info[256], rep[64], resp_refuse[64];
    uint8_t body[SYNTHHID_DEVICE_INFO_FIXED + 10];
    uint8_t rb[5];
    uint32_t v = SYNTHHID_VERSION_2_0;
    struct synthhid_attributes a = {32, 1, 2, 3, {0}};
    struct synthhid_hid_descriptor h = {9, 0x21, 0x101, 0, 1, 0x22, 10};
    /* Buttons only: no X/Y. */
    static const uint8_t no_xy[10] = {0x05, 0x09, 0x19, 0x01, 0x29,
                                      0x03, 0x75, 0x01, 0x81, 0x02};
    uint8_t one = 1;

    (void)state;
    memcpy(rb, &v, 4);
    rb[4] = 1;
    /* Silent host. */
    memset(&s, 0, sizeof(s));
    script_fixture(&f, &s, class_mouse);
    assert_int_equal(open_mouse(&f, 0, 0), -ETIMEDOUT);
    assert_non_null(strstr(f.lb.last_log, "protocol response"));
    fx_fini(&f);
    /* Accepted but no device info. */
    memset(&s, 0, sizeof(s));
    s.reply[0] = resp;
    s.reply_len[0] = synthhid_build(resp, sizeof(resp),
                                    SYNTHHID_MSG_PROTOCOL_RESPONSE, rb, 5);
    s.nreplies = 1;
    script_fixture(&f, &s, class_mouse);
    assert_int_equal(open_mouse(&f, 0, 0), -ETIMEDOUT);
    assert_non_null(strstr(f.lb.last_log, "device info"));
    fx_fini(&f);
    /* Refused. */
    rb[4] = 0;
    memset(&s, 0, sizeof(s));
    s.reply[0] = resp_refuse;
    s.reply_len[0] = synthhid_build(resp_refuse, sizeof(resp_refuse),
                                    SYNTHHID_MSG_PROTOCOL_RESPONSE, rb, 5);
    s.nreplies = 1;
    script_fixture(&f, &s, class_mouse);
    assert_int_equal(open_mouse(&f, 0, 0), -ENOTSUP);
    fx_fini(&f);
    rb[4] = 1;
    /* A report before the device info, then a descriptor without X/Y. */
    memcpy(body, &a, sizeof(a));
    memcpy(body + 32, &h, sizeof(h));
    memcpy(body + 41, no_xy, sizeof(no_xy));
    memset(&s, 0, sizeof(s));
    s.reply[0] = resp;
    s.reply_len[0] = synthhid_build(resp, sizeof(resp),
                                    SYNTHHID_MSG_PROTOCOL_RESPONSE, rb, 5);
    s.reply[1] = rep;
    s.reply_len[1] =
        synthhid_build(rep, sizeof(rep), SYNTHHID_MSG_INPUT_REPORT, &one, 1);
    s.reply[2] = info;
    s.reply_len[2] = synthhid_build(
        info, sizeof(info), SYNTHHID_MSG_DEVICE_INFO, body, sizeof(body));
    s.nreplies = 3;
    script_fixture(&f, &s, class_mouse);
    assert_int_equal(open_mouse(&f, 0, 0), -EPROTO);
    fx_fini(&f);
    /* A device info whose report descriptor runs past the message. */
    h.report_length = 200;
    memcpy(body + 32, &h, sizeof(h));
    s.reply_len[2] = synthhid_build(
        info, sizeof(info), SYNTHHID_MSG_DEVICE_INFO, body, sizeof(body));
    s.replied = false;
    s.packets = 0;
    script_fixture(&f, &s, class_mouse);
    assert_int_equal(open_mouse(&f, 0, 0), -EPROTO);
    fx_fini(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kbd_offer_and_handshake),
        cmocka_unit_test(test_kbd_typing_stream),
        cmocka_unit_test(test_kbd_prefixes),
        cmocka_unit_test(test_kbd_unicode),
        cmocka_unit_test(test_kbd_leds),
        cmocka_unit_test(test_kbd_ring_full),
        cmocka_unit_test(test_kbd_host_silent),
        cmocka_unit_test(test_kbd_hostile_host),
        cmocka_unit_test(test_kbd_hostile_guest),
        cmocka_unit_test(test_mouse_handshake),
        cmocka_unit_test(test_mouse_stream),
        cmocka_unit_test(test_mouse_ring_full),
        cmocka_unit_test(test_mouse_hostile_guest),
        cmocka_unit_test(test_mouse_hostile_host),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
