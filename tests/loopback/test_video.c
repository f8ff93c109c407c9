/*
 * Loopback tests of the guest synthetic video VSC against the root's
 * synthvid VSP over a test frame buffer: the offer, negotiation at 3.5,
 * 3.2 and 3.0 from either side, the resolution list, mode changes, dirty
 * rectangles reaching the frame buffer (16 bpp converted), pointer
 * messages, feature changes, and malformed messages both ways.
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
#include "common/synthvid_msg.h"
#include "root/vsp/video/synthvid_vsp.h"
#include "tests/loopback/shim.h"
#include "vsc/video/screen.h"
#include "vsc/video/synthvid.h"
#include "vsc/video/textcon.h"

#define GUEST_PAGES 4096u /* 16 MiB: 8 MiB of VRAM and the rings */
#define FB_BYTES (8u << 20)

static const struct vmbus_guid class_video = VMBUS_CLASS_SYNTHVID;

/* ---- a scripted host: answers each guest packet with canned bytes ---- */

#define SCRIPT_MAX 4u
struct script_vsp {
    const uint8_t *reply[SCRIPT_MAX];
    uint32_t reply_len[SCRIPT_MAX];
    unsigned nreplies, packets;
};

static uint32_t s_open(struct vmbus_server_channel *ch, void *ctx,
                       const uint8_t *ud)
{
    return 0;
}

static void s_close(struct vmbus_server_channel *ch, void *ctx) {}

static void s_packet(struct vmbus_server_channel *ch, void *ctx)
{
    struct script_vsp *s = ctx;
    static uint8_t buf[SYNTHVID_MAX_MSG + 64];
    struct ring_pkt_info info;

    /* Guest packet i is answered by reply[i], if there is one. */
    while (vmbus_server_chan_recv(ch, buf, sizeof(buf), &info) == 0) {
        if (s->packets < s->nreplies)
            vmbus_server_chan_send(ch, VMBUS_PKT_DATA_INBAND, 0, 0,
                                   s->reply[s->packets],
                                   s->reply_len[s->packets]);
        s->packets++;
    }
}

static const struct vmbus_server_device_ops script_ops = {
    .open = s_open,
    .close = s_close,
    .packet = s_packet,
};

/* ---- test frame buffer backend ---- */

struct fbtest {
    uint8_t *fb;
    uint32_t width, height, pitch;
    unsigned set_modes, updates;
    int ptr_visible;
    int32_t ptr_x, ptr_y;
    unsigned ptr_calls;
    bool refuse;
    bool tight;          /* pitch = width * 4, so the VRAM can be shown */
    bool can_map;        /* map_vram succeeds */
    uint64_t mapped_gpa; /* 0: not mapped */
    unsigned map_calls;
    struct lb *lb;     /* place_vram maps fb into it */
    bool can_place;    /* place_vram succeeds */
    bool place_broken; /* ... but the memory stays unreachable */
    unsigned place_calls;
};

static uint8_t *fb_set_mode(void *ctx, uint32_t w, uint32_t h, uint32_t *pitch)
{
    struct fbtest *t = ctx;

    if (t->refuse)
        return NULL;
    t->width = w;
    t->height = h;
    t->pitch = t->tight ? w * 4 : w * 4 + 64; /* unlike the guest's */
    *pitch = t->pitch;
    t->set_modes++;
    memset(t->fb, 0, FB_BYTES + 64 * 2048);
    return t->fb;
}

static void fb_updated(void *ctx, uint32_t x, uint32_t y, uint32_t w,
                       uint32_t h)
{
    struct fbtest *t = ctx;
    t->updates++;
}

static int fb_map_vram(void *ctx, uint64_t gpa, uint64_t bytes)
{
    struct fbtest *t = ctx;

    t->map_calls++;
    if (gpa && !t->can_map)
        return -ENOTSUP;
    t->mapped_gpa = gpa;
    return 0;
}

static int fb_place_vram(void *ctx, uint64_t gpa, uint64_t bytes)
{
    struct fbtest *t = ctx;

    t->place_calls++;
    if (!gpa) {
        t->lb->extra = NULL;
        t->lb->extra_gpa = t->lb->extra_len = 0;
        return 0;
    }
    if (!t->can_place || bytes > FB_BYTES)
        return -EINVAL;
    if (!t->place_broken) {
        t->lb->extra = t->fb;
        t->lb->extra_gpa = gpa;
        t->lb->extra_len = bytes;
    }
    return 0;
}

static void fb_pointer(void *ctx, int visible, int32_t x, int32_t y)
{
    struct fbtest *t = ctx;
    t->ptr_visible = visible;
    t->ptr_x = x;
    t->ptr_y = y;
    t->ptr_calls++;
}

static uint32_t fb_px(const struct fbtest *t, uint32_t x, uint32_t y)
{
    uint32_t v;
    memcpy(&v, t->fb + (size_t)y * t->pitch + x * 4u, 4);
    return v;
}

/* ---- fixture ---- */

struct fx {
    struct lb lb;
    struct vmbus_platform plat;
    struct fbtest fbt;
    struct synthvid_vsp *vsp;
    struct synthvid_vsc *v;
    struct script_vsp script;
};

static void fx_init_pages(struct fx *f, uint32_t vsp_max, bool script,
                          size_t pages)
{
    struct synthvid_vsp_backend be;
    struct synthvid_vsp_config cfg = {.max_version = vsp_max};

    memset(f, 0, sizeof(*f));
    assert_int_equal(lb_init(&f->lb, pages, NULL), 0);
    f->lb.verbose = getenv("LB_VERBOSE") != NULL;
    f->plat = lb_guest_platform(&f->lb);
    f->fbt.fb = calloc(1, FB_BYTES + 64 * 2048);
    assert_non_null(f->fbt.fb);
    if (script) {
        struct vmbus_server_device d;
        memset(&d, 0, sizeof(d));
        d.name = "script";
        d.class_id = class_video;
        d.ops = &script_ops;
        d.ctx = &f->script;
        assert_int_equal(vmbus_server_add_device(f->lb.srv, &d, NULL), 0);
    } else {
        memset(&be, 0, sizeof(be));
        be.ctx = &f->fbt;
        be.fb_bytes = FB_BYTES;
        be.set_mode = fb_set_mode;
        be.updated = fb_updated;
        be.pointer = fb_pointer;
        be.map_vram = fb_map_vram;
        be.place_vram = fb_place_vram;
        f->fbt.lb = &f->lb;
        assert_int_equal(synthvid_vsp_create(f->lb.srv, &cfg, &be, &f->vsp), 0);
    }
    assert_int_equal(vmbus_connect(f->lb.vb, 0), 0);
}

static void fx_init(struct fx *f, uint32_t vsp_max, bool script)
{
    fx_init_pages(f, vsp_max, script, GUEST_PAGES);
}

static void fx_fini(struct fx *f)
{
    if (f->v)
        synthvid_vsc_close(f->v);
    lb_fini(&f->lb);
    if (f->vsp)
        synthvid_vsp_destroy(f->vsp);
    free(f->fbt.fb);
}

static struct vmbus_channel *chan(struct fx *f)
{
    struct vmbus_channel *ch = vmbus_find_channel(f->lb.vb, &class_video);
    assert_non_null(ch);
    return ch;
}

static int open_vsc(struct fx *f, uint32_t max, uint32_t w, uint32_t h)
{
    struct synthvid_vsc_config cfg = {.plat = &f->plat,
                                      .timeout_ns = 1000000000ull,
                                      .max_version = max,
                                      .width = w,
                                      .height = h};
    return synthvid_vsc_open(chan(f), &cfg, &f->v);
}

static void settle(struct fx *f)
{
    vmbus_server_poll(f->lb.srv);
    lb_pump(&f->lb);
}

/* ---- tests ---- */

static void test_offer(void **state)
{
    struct fx f;
    char s[GUID_STR_LEN];

    (void)state;
    fx_init(&f, 0, false);
    guid_format(vmbus_chan_instance(chan(&f)), s);
    assert_string_equal(s, "5620e0c7-8062-4dce-aeb7-520c7ef76171");
    assert_int_equal(vmbus_chan_offer(chan(&f))->mmio_megabytes, 8);
    fx_fini(&f);
}

static void test_versions(void **state)
{
    static const struct {
        uint32_t vsp, vsc, want, depth;
        unsigned refusals;
    } m[] = {
        {0, 0, SYNTHVID_VERSION_3_5, 32, 0},
        {SYNTHVID_VERSION_3_5, SYNTHVID_VERSION_3_2, SYNTHVID_VERSION_3_2, 32,
         0},
        {SYNTHVID_VERSION_3_5, SYNTHVID_VERSION_3_0, SYNTHVID_VERSION_3_0, 16,
         0},
        {SYNTHVID_VERSION_3_2, 0, SYNTHVID_VERSION_3_2, 32, 1},
        {SYNTHVID_VERSION_3_0, 0, SYNTHVID_VERSION_3_0, 16, 2},
        {SYNTHVID_VERSION_3_0, SYNTHVID_VERSION_3_2, SYNTHVID_VERSION_3_0, 16,
         1},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
        struct fx f;
        struct synthvid_fb fb;
        const struct synthvid_screen_info *list;
        uint32_t def;

        fx_init(&f, m[i].vsp, false);
        assert_int_equal(open_vsc(&f, m[i].vsc, 0, 0), 0);
        settle(&f);
        assert_int_equal(synthvid_vsc_version(f.v), m[i].want);
        assert_int_equal(synthvid_vsp_version(f.vsp), m[i].want);
        assert_int_equal(synthvid_vsp_get_stats(f.vsp)->refusals,
                         m[i].refusals);
        synthvid_vsc_fb(f.v, &fb);
        assert_int_equal(fb.depth, m[i].depth);
        assert_int_equal(fb.width, 1024);
        assert_int_equal(fb.height, 768);
        assert_int_equal(fb.vram_bytes, 8u << 20);
        assert_int_equal(synthvid_vsp_mode(f.vsp).depth, m[i].depth);
        assert_int_equal(synthvid_vsp_mode(f.vsp).width, 1024);
        assert_int_equal(synthvid_vsc_modes(f.v, &list, &def) != 0,
                         m[i].want == SYNTHVID_VERSION_3_5);
        /* The hardware pointer was hidden. */
        assert_int_equal(f.fbt.ptr_calls, 1);
        assert_int_equal(f.fbt.ptr_visible, 0);
        assert_int_equal(synthvid_vsp_get_stats(f.vsp)->shape_msgs, 1);
        fx_fini(&f);
    }
}

static void test_resolution_list_and_modes(void **state)
{
    struct fx f;
    const struct synthvid_screen_info *list, *hl;
    uint32_t n, def, hn, hdef, i;

    (void)state;
    fx_init(&f, 0, false);
    assert_int_equal(open_vsc(&f, 0, 0, 0), 0);
    n = synthvid_vsc_modes(f.v, &list, &def);
    hn = synthvid_vsp_modes(f.vsp, &hl, &hdef);
    assert_int_equal(n, hn);
    assert_true(n >= 10);
    assert_int_equal(list[def].width, 1024);
    assert_int_equal(list[def].height, 768);
    for (i = 0; i < n; i++)
        assert_true((uint64_t)list[i].width * list[i].height * 4 <= FB_BYTES);
    /* 1280x1024 and back, both shown by the backend. */
    assert_int_equal(synthvid_vsc_set_mode(f.v, 1280, 1024), 0);
    assert_int_equal(f.fbt.width, 1280);
    assert_int_equal(f.fbt.height, 1024);
    assert_int_equal(synthvid_vsp_mode(f.vsp).pitch, 5120);
    assert_int_equal(synthvid_vsc_set_mode(f.v, 1920, 1080), 0);
    assert_int_equal(f.fbt.width, 1920);
    /* Not in the list, or zero. */
    assert_int_equal(synthvid_vsc_set_mode(f.v, 1000, 700), -EINVAL);
    assert_int_equal(synthvid_vsc_set_mode(f.v, 0, 768), -EINVAL);
    assert_int_equal(synthvid_vsp_mode(f.vsp).width, 1920);
    fx_fini(&f);

    /* Asking for a mode at open. */
    fx_init(&f, 0, false);
    assert_int_equal(open_vsc(&f, 0, 1280, 1024), 0);
    assert_int_equal(f.fbt.width, 1280);
    fx_fini(&f);
    fx_init(&f, 0, false);
    assert_int_equal(open_vsc(&f, 0, 1000, 700), -EINVAL);
    assert_non_null(strstr(f.lb.last_log, "not offered"));
    fx_fini(&f);
    /* Without a list (3.2) the VRAM is the limit. */
    fx_init(&f, SYNTHVID_VERSION_3_2, false);
    assert_int_equal(open_vsc(&f, 0, 0, 0), 0);
    assert_int_equal(synthvid_vsc_set_mode(f.v, 1920, 1200), -E2BIG);
    assert_int_equal(synthvid_vsc_set_mode(f.v, 1000, 700), 0);
    assert_int_equal(f.fbt.width, 1000);
    fx_fini(&f);
}

static void fill(const struct synthvid_fb *fb, uint32_t x0, uint32_t y0,
                 uint32_t w, uint32_t h, uint32_t px)
{
    uint32_t x, y;

    for (y = y0; y < y0 + h; y++)
        for (x = x0; x < x0 + w; x++) {
            uint8_t *p = (uint8_t *)fb->base + (size_t)y * fb->pitch +
                         x * (fb->depth / 8);
            if (fb->depth == 32)
                memcpy(p, &px, 4);
            else {
                uint16_t q = (uint16_t)px;
                memcpy(p, &q, 2);
            }
        }
}

static void test_dirty_rects(void **state)
{
    struct fx f;
    struct synthvid_fb fb;
    struct synthvid_rect r = {100, 50, 200, 80};
    unsigned updates;

    (void)state;
    fx_init(&f, 0, false);
    assert_int_equal(open_vsc(&f, 0, 0, 0), 0);
    synthvid_vsc_fb(f.v, &fb);
    fill(&fb, 0, 0, 1024, 768, 0x00112233);
    fill(&fb, 100, 50, 100, 30, 0x00FF8000);
    updates = f.fbt.updates;
    assert_int_equal(synthvid_vsc_dirty(f.v, &r, 1), 0);
    settle(&f);
    assert_int_equal(f.fbt.updates, updates + 1);
    /* Only the rectangle reached the frame buffer. */
    assert_int_equal(fb_px(&f.fbt, 100, 50), 0x00FF8000);
    assert_int_equal(fb_px(&f.fbt, 199, 79), 0x00FF8000);
    assert_int_equal(fb_px(&f.fbt, 200, 79), 0);
    assert_int_equal(fb_px(&f.fbt, 99, 50), 0);
    assert_int_equal(fb_px(&f.fbt, 0, 0), 0);
    assert_int_equal(synthvid_vsc_flush_all(f.v), 0);
    settle(&f);
    assert_int_equal(fb_px(&f.fbt, 0, 0), 0x00112233);
    assert_int_equal(fb_px(&f.fbt, 1023, 767), 0x00112233);
    assert_int_equal(fb_px(&f.fbt, 150, 60), 0x00FF8000);
    /* A mode change repaints the whole screen from the VRAM. */
    assert_int_equal(synthvid_vsc_set_mode(f.v, 800, 600), 0);
    synthvid_vsc_fb(f.v, &fb);
    assert_int_equal(fb.pitch, 3200);
    assert_int_equal(fb_px(&f.fbt, 799, 599), 0x00112233);
    fx_fini(&f);
}

static void test_dirty_many_and_clipped(void **state)
{
    struct fx f;
    static struct synthvid_rect r[600];
    uint64_t before;
    uint32_t i;

    (void)state;
    fx_init(&f, 0, false);
    assert_int_equal(open_vsc(&f, 0, 0, 0), 0);
    for (i = 0; i < 600; i++) {
        r[i].x1 = (int32_t)i;
        r[i].y1 = (int32_t)i;
        r[i].x2 = (int32_t)i + 2;
        r[i].y2 = (int32_t)i + 2;
    }
    r[10].x1 = -100;                               /* clipped to 0 */
    r[11].x2 = r[11].x1;                           /* empty: skipped */
    r[12].x1 = 5000, r[12].x2 = 6000;              /* off screen: skipped */
    before = synthvid_vsp_get_stats(f.vsp)->rects; /* the open's repaint */
    assert_int_equal(synthvid_vsc_dirty(f.v, r, 600), 0);
    settle(&f);
    /* 598 rectangles in messages of at most 255. */
    assert_int_equal(synthvid_vsc_get_stats(f.v)->rects, 598);
    assert_int_equal(synthvid_vsc_get_stats(f.v)->dirt_msgs, 3);
    assert_int_equal(synthvid_vsp_get_stats(f.vsp)->dirt_msgs, 3);
    assert_int_equal(synthvid_vsp_get_stats(f.vsp)->rects - before, 598);
    fx_fini(&f);
}

static void test_16bpp(void **state)
{
    struct fx f;
    struct synthvid_fb fb;
    struct synthvid_rect r = {0, 0, 4, 1};

    (void)state;
    fx_init(&f, SYNTHVID_VERSION_3_0, false);
    assert_int_equal(open_vsc(&f, 0, 0, 0), 0);
    synthvid_vsc_fb(f.v, &fb);
    assert_int_equal(fb.depth, 16);
    assert_int_equal(fb.pitch, 2048);
    fill(&fb, 0, 0, 1, 1, 0xF800);
    fill(&fb, 1, 0, 1, 1, 0x07E0);
    fill(&fb, 2, 0, 1, 1, 0x001F);
    fill(&fb, 3, 0, 1, 1, 0xFFFF);
    assert_int_equal(synthvid_vsc_dirty(f.v, &r, 1), 0);
    settle(&f);
    assert_int_equal(fb_px(&f.fbt, 0, 0), 0x00FF0000);
    assert_int_equal(fb_px(&f.fbt, 1, 0), 0x0000FF00);
    assert_int_equal(fb_px(&f.fbt, 2, 0), 0x000000FF);
    assert_int_equal(fb_px(&f.fbt, 3, 0), 0x00FFFFFF);
    fx_fini(&f);
}

static void test_pointer_and_features(void **state)
{
    struct fx f;
    struct synthvid_feature_change off = {0, 1, 1, 1};
    struct synthvid_rect r = {0, 0, 10, 10};
    uint64_t pixels;

    (void)state;
    fx_init(&f, 0, false);
    assert_int_equal(open_vsc(&f, 0, 0, 0), 0);
    assert_int_equal(synthvid_vsc_get_stats(f.v)->feature_changes, 1);
    assert_int_equal(synthvid_vsc_pointer(f.v, 1, 10, -20), 0);
    settle(&f);
    assert_int_equal(f.fbt.ptr_visible, 1);
    assert_int_equal(f.fbt.ptr_x, 10);
    assert_int_equal(f.fbt.ptr_y, -20);
    /* The host no longer wants dirt: nothing is sent. */
    assert_int_equal(synthvid_vsp_feature_change(f.vsp, &off), 0);
    settle(&f);
    synthvid_vsc_poll(f.v);
    assert_int_equal(synthvid_vsc_features(f.v).is_dirt_needed, 0);
    assert_int_equal(synthvid_vsc_dirty(f.v, &r, 1), 0);
    settle(&f);
    assert_int_equal(synthvid_vsp_get_stats(f.vsp)->dirt_msgs, 0);
    /* Back on: the whole screen is reported once, then rectangles. */
    off.is_dirt_needed = 1;
    assert_int_equal(synthvid_vsp_feature_change(f.vsp, &off), 0);
    settle(&f);
    pixels = synthvid_vsp_get_stats(f.vsp)->pixels;
    synthvid_vsc_poll(f.v);
    settle(&f);
    assert_int_equal(synthvid_vsp_get_stats(f.vsp)->dirt_msgs, 1);
    assert_int_equal(synthvid_vsp_get_stats(f.vsp)->pixels - pixels,
                     1024 * 768);
    assert_int_equal(synthvid_vsc_dirty(f.v, &r, 1), 0);
    settle(&f);
    assert_int_equal(synthvid_vsp_get_stats(f.vsp)->dirt_msgs, 2);
    assert_int_equal(synthvid_vsp_get_stats(f.vsp)->pixels - pixels,
                     1024 * 768 + 100);
    fx_fini(&f);
}

static void test_no_vram_memory(void **state)
{
    struct fx f;

    (void)state;
    fx_init_pages(&f, 0, false, 600);
    assert_int_equal(open_vsc(&f, 0, 0, 0), -ENOMEM);
    assert_non_null(strstr(f.lb.last_log, "VRAM"));
    fx_fini(&f);
}

/* Sends one raw synthvid message on an open raw channel. */
static void raw_send(struct vmbus_channel *ch, uint32_t type, const void *body,
                     uint32_t len)
{
    static uint8_t buf[SYNTHVID_MAX_MSG];
    uint32_t n = synthvid_build(buf, sizeof(buf), type, body, len);

    assert_true(n > 0);
    assert_int_equal(vmbus_chan_send(ch, VMBUS_PKT_DATA_INBAND, 0, 0, buf, n),
                     0);
}

/* Receives the next host message's type, or -EAGAIN. */
static int raw_type(struct fx *f, struct vmbus_channel *ch,
                    struct synthvid_msg *m, uint8_t *buf, uint32_t cap)
{
    struct vmbus_pkt_info info;
    int rc;

    settle(f);
    rc = vmbus_chan_recv(ch, buf, cap, &info);
    if (rc < 0)
        return rc;
    assert_int_equal(
        synthvid_parse(buf + info.offset, info.len - info.offset, m), 0);
    return (int)m->type;
}

static void test_hostile_guest(void **state)
{
    struct fx f;
    struct vmbus_channel *ch;
    static uint8_t buf[SYNTHVID_MAX_MSG + 64];
    struct synthvid_msg m;
    struct synthvid_version_request vr = {SYNTHVID_VERSION(4, 0)};
    struct synthvid_vram_location loc = {7, 1, 1ull << 40};
    struct synthvid_situation_update su;
    uint8_t dirt[2 + 16] = {0, 1};
    struct synthvid_resolution_request rq = {64};
    uint64_t bad0;
    uint8_t six[6] = {3, 0, 2, 0, 1, 1};

    (void)state;
    fx_init(&f, SYNTHVID_VERSION_3_2, false);
    ch = chan(&f);
    assert_int_equal(vmbus_chan_open(ch, 65536, 65536, NULL, 0, NULL, NULL), 0);
    /* Before negotiation only version requests count. */
    raw_send(ch, SYNTHVID_MSG_VRAM_LOCATION, &loc, sizeof(loc));
    raw_send(ch, SYNTHVID_MSG_VERSION_RESPONSE, six, sizeof(six));
    settle(&f);
    assert_int_equal(synthvid_vsp_get_stats(f.vsp)->bad_messages, 2);
    /* 4.0 refused, 3.2 accepted. */
    raw_send(ch, SYNTHVID_MSG_VERSION_REQUEST, &vr, sizeof(vr));
    assert_int_equal(raw_type(&f, ch, &m, buf, sizeof(buf)),
                     SYNTHVID_MSG_VERSION_RESPONSE);
    assert_int_equal(m.body[4], 0);
    vr.version = SYNTHVID_VERSION_3_2;
    raw_send(ch, SYNTHVID_MSG_VERSION_REQUEST, &vr, sizeof(vr));
    assert_int_equal(raw_type(&f, ch, &m, buf, sizeof(buf)),
                     SYNTHVID_MSG_VERSION_RESPONSE);
    assert_int_equal(m.body[4], 1);
    bad0 = synthvid_vsp_get_stats(f.vsp)->bad_messages;
    /* VRAM outside guest memory, unaligned: no ack. */
    raw_send(ch, SYNTHVID_MSG_VRAM_LOCATION, &loc, sizeof(loc));
    loc.vram_gpa = 4096 * 10 + 8;
    raw_send(ch, SYNTHVID_MSG_VRAM_LOCATION, &loc, sizeof(loc));
    /* VRAM running past the end of guest memory. */
    loc.vram_gpa = (uint64_t)(GUEST_PAGES - 16) * 4096;
    raw_send(ch, SYNTHVID_MSG_VRAM_LOCATION, &loc, sizeof(loc));
    /* A resolution request needs 3.5. */
    raw_send(ch, SYNTHVID_MSG_RESOLUTION_REQUEST, &rq, sizeof(rq));
    /* Dirt claiming more rectangles than it carries. */
    dirt[1] = 5;
    raw_send(ch, SYNTHVID_MSG_DIRT, dirt, sizeof(dirt));
    /* A type guests never send, and a truncated situation update. */
    raw_send(ch, SYNTHVID_MSG_FEATURE_CHANGE, dirt, 4);
    memset(&su, 0, sizeof(su));
    raw_send(ch, SYNTHVID_MSG_SITUATION_UPDATE, &su, 20);
    assert_int_equal(raw_type(&f, ch, &m, buf, sizeof(buf)), -EAGAIN);
    assert_int_equal(synthvid_vsp_get_stats(f.vsp)->bad_messages, bad0 + 7);
    assert_int_equal(synthvid_vsp_get_stats(f.vsp)->vram_maps, 0);
    /* Dirt before any VRAM is ignored quietly. */
    dirt[1] = 1;
    raw_send(ch, SYNTHVID_MSG_DIRT, dirt, sizeof(dirt));
    settle(&f);
    assert_int_equal(synthvid_vsp_get_stats(f.vsp)->rects, 0);
    /* Good VRAM, then modes the VRAM or the backend cannot hold. */
    loc.vram_gpa = 4096 * 16;
    raw_send(ch, SYNTHVID_MSG_VRAM_LOCATION, &loc, sizeof(loc));
    assert_int_equal(raw_type(&f, ch, &m, buf, sizeof(buf)),
                     SYNTHVID_MSG_VRAM_LOCATION_ACK);
    assert_int_equal(raw_type(&f, ch, &m, buf, sizeof(buf)),
                     SYNTHVID_MSG_FEATURE_CHANGE);
    su.user_ctx = 9;
    su.output_count = 1;
    su.output.active = 1;
    su.output.depth_bits = 32;
    su.output.width_pixels = 4096;
    su.output.height_pixels = 4096;
    su.output.pitch_bytes = 16384;
    raw_send(ch, SYNTHVID_MSG_SITUATION_UPDATE, &su, sizeof(su));
    su.output.width_pixels = 1024;
    su.output.height_pixels = 768;
    su.output.pitch_bytes = 4096;
    su.output.vram_offset = 8u << 20;
    raw_send(ch, SYNTHVID_MSG_SITUATION_UPDATE, &su, sizeof(su));
    su.output.vram_offset = 0;
    su.output.depth_bits = 24;
    raw_send(ch, SYNTHVID_MSG_SITUATION_UPDATE, &su, sizeof(su));
    su.output.depth_bits = 32;
    f.fbt.refuse = true;
    raw_send(ch, SYNTHVID_MSG_SITUATION_UPDATE, &su, sizeof(su));
    assert_int_equal(raw_type(&f, ch, &m, buf, sizeof(buf)), -EAGAIN);
    f.fbt.refuse = false;
    raw_send(ch, SYNTHVID_MSG_SITUATION_UPDATE, &su, sizeof(su));
    assert_int_equal(raw_type(&f, ch, &m, buf, sizeof(buf)),
                     SYNTHVID_MSG_SITUATION_UPDATE_ACK);
    assert_int_equal(synthvid_vsp_mode(f.vsp).width, 1024);
    /* Dirt with wild coordinates is clipped. */
    {
        struct synthvid_rect wild = {INT32_MIN, INT32_MIN, INT32_MAX,
                                     INT32_MAX};
        memcpy(dirt + 2, &wild, sizeof(wild));
        raw_send(ch, SYNTHVID_MSG_DIRT, dirt, sizeof(dirt));
        settle(&f);
        assert_int_equal(synthvid_vsp_get_stats(f.vsp)->pixels, 1024 * 768 * 2);
    }
    fx_fini(&f);
}

static uint32_t vid_msg(uint8_t *buf, uint32_t type, const void *body,
                        uint32_t len)
{
    return synthvid_build(buf, SYNTHVID_MAX_MSG, type, body, len);
}

static void test_hostile_host(void **state)
{
    struct fx f;
    static uint8_t m1[SYNTHVID_MAX_MSG], m2[SYNTHVID_MAX_MSG],
        m3[SYNTHVID_MAX_MSG];
    struct synthvid_version_response yes = {SYNTHVID_VERSION_3_5, 2, 1};
    struct synthvid_version_response no = {SYNTHVID_VERSION_3_5, 0, 1};
    uint8_t res[131 + 8];
    struct synthvid_resolution_response rr;
    struct synthvid_ack wrong = {12345};

    (void)state;
    /* Silent host. */
    fx_init(&f, 0, true);
    assert_int_equal(open_vsc(&f, 0, 0, 0), -ETIMEDOUT);
    assert_non_null(strstr(f.lb.last_log, "version request"));
    fx_fini(&f);
    /* A host that refuses (it only answers the first request). */
    fx_init(&f, 0, true);
    f.script.reply[0] = m1;
    f.script.reply_len[0] =
        vid_msg(m1, SYNTHVID_MSG_VERSION_RESPONSE, &no, sizeof(no));
    f.script.nreplies = 1;
    assert_int_equal(open_vsc(&f, 0, 0, 0), -ETIMEDOUT);
    fx_fini(&f);
    /* Accepted ("with version exchange", 2), then a resolution list
     * whose default index is outside it. */
    memset(&rr, 0, sizeof(rr));
    rr.count = 2;
    rr.default_index = 2;
    memcpy(res, &rr, sizeof(rr));
    memset(res + sizeof(rr), 0x10, 8);
    fx_init(&f, 0, true);
    f.script.reply[0] = m1;
    f.script.reply_len[0] =
        vid_msg(m1, SYNTHVID_MSG_VERSION_RESPONSE, &yes, sizeof(yes));
    f.script.reply[1] = m2;
    f.script.reply_len[1] =
        vid_msg(m2, SYNTHVID_MSG_RESOLUTION_RESPONSE, res, sizeof(res));
    f.script.nreplies = 2;
    assert_int_equal(open_vsc(&f, 0, 0, 0), -EPROTO);
    fx_fini(&f);
    /* A good list (4112x4112 twice, default 0) that does not fit the
     * VRAM, asked for by default. */
    rr.default_index = 0;
    memcpy(res, &rr, sizeof(rr));
    fx_init(&f, 0, true);
    f.script.reply[0] = m1;
    f.script.reply_len[0] =
        vid_msg(m1, SYNTHVID_MSG_VERSION_RESPONSE, &yes, sizeof(yes));
    f.script.reply[1] = m2;
    f.script.reply_len[1] =
        vid_msg(m2, SYNTHVID_MSG_RESOLUTION_RESPONSE, res, sizeof(res));
    f.script.reply[2] = m3;
    f.script.reply_len[2] =
        vid_msg(m3, SYNTHVID_MSG_VRAM_LOCATION_ACK, &wrong, sizeof(wrong));
    f.script.nreplies = 3;
    /* The VRAM ack carries another user context: no answer. */
    assert_int_equal(open_vsc(&f, 0, 0, 0), -ETIMEDOUT);
    assert_non_null(strstr(f.lb.last_log, "VRAM location"));
    assert_true(f.lb.logs >= 2);
    fx_fini(&f);
}

/* The text console on the VRAM, reported as dirt, shows on the backend. */
static void test_text_console(void **state)
{
    struct fx f;
    struct synthvid_fb fb;
    struct gfx_surface s;
    struct psf_font font;
    struct textcon t;
    struct gfx_rect r;
    struct synthvid_rect d;
    uint32_t x, y, lit = 0;
    int rc;

    (void)state;
    fx_init(&f, 0, false);
    assert_int_equal(open_vsc(&f, 0, 0, 0), 0);
    synthvid_vsc_fb(f.v, &fb);
    assert_int_equal(
        gfx_init(&s, fb.base, fb.width, fb.height, fb.pitch, fb.depth), 0);
    rc = textcon_builtin_font(&font);
    if (rc == -ENOENT) {
        /* The build found no Debian font (offline): nothing to show. */
        fx_fini(&f);
        skip();
    }
    assert_int_equal(rc, 0);
    assert_int_equal(textcon_init(&t, &s, &font, 0xFFFFFF, 0x000000), 0);
    assert_true(textcon_take_dirty(&t, &r) == 1);
    textcon_write(&t, "Enlight console\n$ ", 19);
    assert_int_equal(textcon_take_dirty(&t, &r), 1);
    d.x1 = r.x;
    d.y1 = r.y;
    d.x2 = r.x + (int32_t)r.w;
    d.y2 = r.y + (int32_t)r.h;
    assert_int_equal(synthvid_vsc_dirty(f.v, &d, 1), 0);
    settle(&f);
    for (y = 0; y < r.h; y++)
        for (x = 0; x < r.w; x++) {
            uint32_t px = fb_px(&f.fbt, r.x + x, r.y + y);
            assert_int_equal(px,
                             gfx_get(&s, r.x + (int32_t)x, r.y + (int32_t)y));
            lit += px == 0xFFFFFF;
        }
    assert_true(lit > 100); /* the glyphs have pixels */
    fx_fini(&f);
}

/* A backend that can show the VRAM in place gets no copies. */
static void test_zero_copy(void **state)
{
    struct fx f;
    struct synthvid_fb fb;
    struct synthvid_rect r = {0, 0, 64, 64};
    const struct synthvid_vsp_stats *st;
    unsigned updates;

    (void)state;
    fx_init(&f, 0, false);
    f.fbt.tight = true;
    f.fbt.can_map = true;
    assert_int_equal(open_vsc(&f, 0, 0, 0), 0);
    synthvid_vsc_fb(f.v, &fb);
    st = synthvid_vsp_get_stats(f.vsp);
    assert_int_equal(f.fbt.mapped_gpa, lb_gpa(&f.lb, fb.base));
    assert_int_equal(st->vram_direct_maps, 1);
    updates = f.fbt.updates;
    assert_int_equal(synthvid_vsc_dirty(f.v, &r, 1), 0);
    settle(&f);
    assert_int_equal(st->zero_copy_rects, 1);
    assert_int_equal(f.fbt.updates, updates + 1);
    /* A mode change unmaps, copies once, maps again. */
    assert_int_equal(synthvid_vsc_set_mode(f.v, 800, 600), 0);
    assert_int_equal(st->vram_direct_maps, 2);
    assert_int_equal(f.fbt.mapped_gpa, lb_gpa(&f.lb, fb.base));
    synthvid_vsc_close(f.v);
    f.v = NULL;
    settle(&f);
    assert_int_equal(f.fbt.mapped_gpa, 0);
    fx_fini(&f);

    /* Another format (16 bpp on 3.0) or a refusing backend: copies. */
    fx_init(&f, SYNTHVID_VERSION_3_0, false);
    f.fbt.tight = true;
    f.fbt.can_map = true;
    assert_int_equal(open_vsc(&f, 0, 0, 0), 0);
    assert_int_equal(f.fbt.map_calls, 0);
    fx_fini(&f);
    fx_init(&f, 0, false);
    f.fbt.tight = true;
    assert_int_equal(open_vsc(&f, 0, 0, 0), 0);
    assert_int_equal(f.fbt.map_calls, 1);
    assert_int_equal(synthvid_vsc_dirty(f.v, &r, 1), 0);
    settle(&f);
    assert_int_equal(synthvid_vsp_get_stats(f.vsp)->zero_copy_rects, 0);
    fx_fini(&f);
}

/*
 * VRAM outside the guest's RAM (as Linux's hyperv_drm puts it in the VMBus
 * MMIO window): the backend maps its frame buffer there, frames cost no
 * copy, and moving the VRAM or closing the channel removes the mapping.
 */
static void test_place_vram(void **state)
{
    struct fx f;
    struct vmbus_channel *ch;
    static uint8_t buf[SYNTHVID_MAX_MSG + 64];
    struct synthvid_msg m;
    struct synthvid_version_request vr = {SYNTHVID_VERSION_3_5};
    const uint64_t mmio = 1ull << 32;
    struct synthvid_vram_location loc = {7, 1, mmio};
    struct synthvid_situation_update su;
    uint8_t dirt[2 + 16] = {0, 1};
    struct synthvid_rect r = {0, 0, 64, 64};
    const struct synthvid_vsp_stats *st;

    (void)state;
    fx_init(&f, 0, false);
    f.fbt.can_place = true;
    f.fbt.tight = true;
    st = synthvid_vsp_get_stats(f.vsp);
    ch = chan(&f);
    assert_int_equal(vmbus_chan_open(ch, 65536, 65536, NULL, 0, NULL, NULL), 0);
    raw_send(ch, SYNTHVID_MSG_VERSION_REQUEST, &vr, sizeof(vr));
    assert_int_equal(raw_type(&f, ch, &m, buf, sizeof(buf)),
                     SYNTHVID_MSG_VERSION_RESPONSE);
    raw_send(ch, SYNTHVID_MSG_VRAM_LOCATION, &loc, sizeof(loc));
    assert_int_equal(raw_type(&f, ch, &m, buf, sizeof(buf)),
                     SYNTHVID_MSG_VRAM_LOCATION_ACK);
    assert_int_equal(raw_type(&f, ch, &m, buf, sizeof(buf)),
                     SYNTHVID_MSG_FEATURE_CHANGE);
    assert_int_equal(st->vram_placed, 1);
    assert_int_equal(f.lb.extra_gpa, mmio);
    memset(&su, 0, sizeof(su));
    su.output_count = 1;
    su.output.active = 1;
    su.output.depth_bits = 32;
    su.output.width_pixels = 1024;
    su.output.height_pixels = 768;
    su.output.pitch_bytes = 4096;
    raw_send(ch, SYNTHVID_MSG_SITUATION_UPDATE, &su, sizeof(su));
    assert_int_equal(raw_type(&f, ch, &m, buf, sizeof(buf)),
                     SYNTHVID_MSG_SITUATION_UPDATE_ACK);
    /* What the guest draws is in the frame buffer already: no copy, and
     * no map_vram (the VRAM is not the guest's RAM). */
    memcpy(dirt + 2, &r, sizeof(r));
    raw_send(ch, SYNTHVID_MSG_DIRT, dirt, sizeof(dirt));
    settle(&f);
    assert_true(st->zero_copy_rects >= 1);
    assert_int_equal(st->rects, 0);
    assert_int_equal(f.fbt.map_calls, 0);
    /* The same place again keeps the mapping. */
    raw_send(ch, SYNTHVID_MSG_VRAM_LOCATION, &loc, sizeof(loc));
    assert_int_equal(raw_type(&f, ch, &m, buf, sizeof(buf)),
                     SYNTHVID_MSG_VRAM_LOCATION_ACK);
    assert_int_equal(f.fbt.place_calls, 1);
    /* Moved into RAM: the mapping goes, rectangles are copied again. */
    while (raw_type(&f, ch, &m, buf, sizeof(buf)) >= 0)
        ;
    loc.vram_gpa = 4096 * 16;
    raw_send(ch, SYNTHVID_MSG_VRAM_LOCATION, &loc, sizeof(loc));
    assert_int_equal(raw_type(&f, ch, &m, buf, sizeof(buf)),
                     SYNTHVID_MSG_VRAM_LOCATION_ACK);
    assert_int_equal(f.fbt.place_calls, 2);
    assert_null(f.lb.extra);
    raw_send(ch, SYNTHVID_MSG_DIRT, dirt, sizeof(dirt));
    settle(&f);
    assert_int_equal(st->rects, 1);
    /* Back outside, then a close removes it. */
    while (raw_type(&f, ch, &m, buf, sizeof(buf)) >= 0)
        ;
    loc.vram_gpa = mmio + (1u << 20);
    raw_send(ch, SYNTHVID_MSG_VRAM_LOCATION, &loc, sizeof(loc));
    assert_int_equal(raw_type(&f, ch, &m, buf, sizeof(buf)),
                     SYNTHVID_MSG_VRAM_LOCATION_ACK);
    assert_int_equal(f.lb.extra_gpa, mmio + (1u << 20));
    vmbus_chan_close(ch);
    settle(&f);
    assert_null(f.lb.extra);
    assert_int_equal(f.fbt.place_calls, 4);
    fx_fini(&f);

    /* A backend that cannot place it, or whose mapping stays out of
     * reach: no ack, the attempt undone, the guest told nothing. */
    fx_init(&f, 0, false);
    ch = chan(&f);
    assert_int_equal(vmbus_chan_open(ch, 65536, 65536, NULL, 0, NULL, NULL), 0);
    raw_send(ch, SYNTHVID_MSG_VERSION_REQUEST, &vr, sizeof(vr));
    assert_int_equal(raw_type(&f, ch, &m, buf, sizeof(buf)),
                     SYNTHVID_MSG_VERSION_RESPONSE);
    loc.vram_gpa = mmio;
    raw_send(ch, SYNTHVID_MSG_VRAM_LOCATION, &loc, sizeof(loc));
    assert_int_equal(raw_type(&f, ch, &m, buf, sizeof(buf)), -EAGAIN);
    f.fbt.can_place = true;
    f.fbt.place_broken = true;
    raw_send(ch, SYNTHVID_MSG_VRAM_LOCATION, &loc, sizeof(loc));
    assert_int_equal(raw_type(&f, ch, &m, buf, sizeof(buf)), -EAGAIN);
    assert_int_equal(f.fbt.place_calls, 3); /* refused; placed, undone */
    assert_int_equal(synthvid_vsp_get_stats(f.vsp)->bad_messages, 2);
    fx_fini(&f);
}

/*
 * The VSC's VRAM outside RAM (cfg.vram_gpa): taken when the host places
 * its frame buffer there; in RAM after the (shortened) timeout otherwise.
 */
static void test_vsc_vram_outside(void **state)
{
    struct fx f;
    struct synthvid_fb fb;
    struct synthvid_rect r = {0, 0, 64, 64};
    const uint64_t mmio = 1ull << 32;
    struct synthvid_vsc_config cfg;

    (void)state;
    fx_init(&f, 0, false);
    f.fbt.can_place = true;
    f.fbt.tight = true;
    memset(&cfg, 0, sizeof(cfg));
    cfg.plat = &f.plat;
    cfg.vram_gpa = mmio;
    cfg.vram_mapped = f.fbt.fb;
    assert_int_equal(synthvid_vsc_open(chan(&f), &cfg, &f.v), 0);
    synthvid_vsc_fb(f.v, &fb);
    assert_ptr_equal(fb.base, f.fbt.fb);
    assert_int_equal(synthvid_vsp_get_stats(f.vsp)->vram_placed, 1);
    memset(fb.base, 0x5A, 64 * 4);
    assert_int_equal(synthvid_vsc_dirty(f.v, &r, 1), 0);
    settle(&f);
    assert_int_equal(synthvid_vsp_get_stats(f.vsp)->rects, 0);
    assert_int_equal(fb_px(&f.fbt, 3, 0), 0x5A5A5A5Au);
    synthvid_vsc_close(f.v);
    f.v = NULL;
    settle(&f);
    assert_null(f.lb.extra);
    fx_fini(&f);

    /* No backing for it: the host stays silent, the VRAM goes to RAM. */
    fx_init(&f, 0, false);
    cfg.plat = &f.plat;
    cfg.vram_mapped = f.fbt.fb;
    assert_int_equal(synthvid_vsc_open(chan(&f), &cfg, &f.v), 0);
    synthvid_vsc_fb(f.v, &fb);
    assert_ptr_not_equal(fb.base, f.fbt.fb);
    assert_non_null(strstr(f.lb.last_log, "outside RAM"));
    assert_int_equal(synthvid_vsp_get_stats(f.vsp)->vram_placed, 0);
    fx_fini(&f);
}

/* The screen module: text, pointer and a mode change end up on the host. */
static void test_screen(void **state)
{
    struct fx f;
    struct screen *scr;
    struct screen_config cfg;
    struct psf_font font;
    uint32_t x, y, lit = 0;
    uint64_t msgs;

    (void)state;
    fx_init(&f, 0, false);
    if (textcon_builtin_font(&font) == -ENOENT) {
        fx_fini(&f);
        skip();
    }
    memset(&cfg, 0, sizeof(cfg));
    cfg.plat = &f.plat;
    cfg.timeout_ns = 1000000000ull;
    cfg.fg = 0xFFFFFF;
    cfg.bg = 0x000080;
    assert_int_equal(screen_open(chan(&f), &cfg, &scr), 0);
    settle(&f);
    assert_int_equal(fb_px(&f.fbt, 1023, 767), 0x000080);
    screen_pointer(scr, 1, 2, 2);
    settle(&f);
    msgs = synthvid_vsp_get_stats(f.vsp)->dirt_msgs;
    screen_write(scr, "ok\n", 3);
    settle(&f);
    /* Pointer off, text, pointer on: one DIRT message. */
    assert_int_equal(synthvid_vsp_get_stats(f.vsp)->dirt_msgs, msgs + 1);
    assert_int_equal(fb_px(&f.fbt, 2, 2), 0x000000); /* the arrow's tip */
    for (y = 0; y < 16; y++)
        for (x = 0; x < 16; x++)
            lit += fb_px(&f.fbt, x, y) == 0xFFFFFF;
    assert_true(lit > 10);
    assert_int_equal(screen_console(scr)->cy, 1);
    assert_int_equal(screen_set_mode(scr, 1280, 1024), 0);
    settle(&f);
    assert_int_equal(f.fbt.width, 1280);
    assert_int_equal(fb_px(&f.fbt, 1279, 1023), 0x000080);
    assert_int_equal(screen_console(scr)->cols, 1280 / font.width);
    screen_pointer(scr, 0, 0, 0);
    screen_close(scr);
    fx_fini(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_offer),
        cmocka_unit_test(test_versions),
        cmocka_unit_test(test_resolution_list_and_modes),
        cmocka_unit_test(test_dirty_rects),
        cmocka_unit_test(test_dirty_many_and_clipped),
        cmocka_unit_test(test_16bpp),
        cmocka_unit_test(test_pointer_and_features),
        cmocka_unit_test(test_no_vram_memory),
        cmocka_unit_test(test_hostile_guest),
        cmocka_unit_test(test_hostile_host),
        cmocka_unit_test(test_text_console),
        cmocka_unit_test(test_zero_copy),
        cmocka_unit_test(test_place_vram),
        cmocka_unit_test(test_vsc_vram_outside),
        cmocka_unit_test(test_screen),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
