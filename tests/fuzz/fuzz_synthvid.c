/*
 * Fuzz target for common/synthvid_msg.c: every accepted message must keep
 * its body inside the packet, and the variable parts the parser vouched
 * for (dirt rectangles, the resolution list, a complete pointer image)
 * must lie inside the body.  Accepted rectangles are clipped to a screen.
 * The same bytes also go to the console font parser (vsc/video/psf.c),
 * whose glyphs must lie inside the input.  Inputs starting with "LB" run a
 * loopback session instead: the guest video VSC set up against the root
 * VSP (1 MiB of VRAM, 320x200), then [u8 what][u16 len][bytes] steps that
 * send raw packets guest -> VSP or VSP -> VSC, dirty rectangles and
 * feature changes, each followed by both sides draining their rings.
 * VRAM locations at or above 4 GiB get the frame buffer placed there.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/synthvid_msg.h"
#include "root/vsp/video/synthvid_vsp.h"
#include "tests/loopback/shim.h"
#include "vsc/video/psf.h"
#include "vsc/video/synthvid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t fb[1u << 20];

static uint8_t *set_mode(void *ctx, uint32_t w, uint32_t h, uint32_t *pitch)
{
    (void)ctx;
    (void)h;
    *pitch = w * 4;
    return fb;
}

/* VRAM outside guest RAM: the frame buffer becomes reachable there. */
static int place_vram(void *ctx, uint64_t gpa, uint64_t bytes)
{
    struct lb *lb = ctx;
    if (bytes > sizeof(fb) || (gpa && gpa < (1ull << 32)))
        return -1;
    lb->extra = gpa ? fb : NULL;
    lb->extra_gpa = gpa;
    lb->extra_len = gpa ? bytes : 0;
    return 0;
}

static void session(const uint8_t *data, uint32_t size)
{
    static const struct vmbus_guid cv = VMBUS_CLASS_SYNTHVID;
    struct synthvid_vsp_backend be = {
        .fb_bytes = sizeof(fb), .set_mode = set_mode, .place_vram = place_vram};
    struct synthvid_vsp_config vcfg = {.vram_megabytes = 1};
    struct synthvid_vsp *vsp = NULL;
    struct synthvid_vsc *v = NULL;
    struct vmbus_channel *g = NULL;
    struct vmbus_server_channel *h = NULL;
    struct vmbus_platform plat;
    struct lb lb;
    uint32_t pos = 0;

    if (lb_init(&lb, 400, NULL) < 0)
        return;
    be.ctx = &lb;
    plat = lb_guest_platform(&lb);
    synthvid_vsp_create(lb.srv, &vcfg, &be, &vsp);
    vmbus_set_timeout(lb.vb, 1000000);
    if (vmbus_connect(lb.vb, 0) == 0 &&
        (g = vmbus_find_channel(lb.vb, &cv)) != NULL) {
        struct synthvid_vsc_config c = {
            .plat = &plat, .timeout_ns = 1000000, .width = 320, .height = 200};
        if (synthvid_vsc_open(g, &c, &v) == 0)
            h = vmbus_server_channel(lb.srv, vmbus_chan_relid(g));
    }
    while (v && h && pos + 3 <= size) {
        uint8_t what = data[pos];
        uint32_t len = (uint32_t)data[pos + 1] | (uint32_t)data[pos + 2] << 8;
        const uint8_t *b = data + pos + 3;

        pos += 3;
        if (len > size - pos)
            len = size - pos;
        pos += len;
        switch (what % 4) {
        case 0: /* guest -> VSP */
            vmbus_chan_send(g, VMBUS_PKT_DATA_INBAND, 0, 0, b, len);
            break;
        case 1: /* host -> VSC */
            vmbus_server_chan_send(h, VMBUS_PKT_DATA_INBAND, 0, 0, b, len);
            break;
        case 2: { /* dirty rectangles from the appliance */
            struct synthvid_rect r[8];
            uint32_t n = len / sizeof(r[0]) > 8 ? 8 : len / sizeof(r[0]);
            memcpy(r, b, n * sizeof(r[0]));
            synthvid_vsc_dirty(v, r, n);
            break;
        }
        default: { /* a feature change, or a mode */
            struct synthvid_feature_change fc = {0, 0, 0, 0};
            memcpy(&fc, b, len < sizeof(fc) ? len : sizeof(fc));
            if (len >= 8)
                synthvid_vsc_set_mode(v, (uint32_t)b[4] << 2,
                                      (uint32_t)b[5] << 2);
            else
                synthvid_vsp_feature_change(vsp, &fc);
            break;
        }
        }
        vmbus_server_poll(lb.srv);
        lb_pump(&lb);
        synthvid_vsc_poll(v);
    }
    synthvid_vsc_close(v);
    vmbus_disconnect(lb.vb);
    lb_fini(&lb);
    synthvid_vsp_destroy(vsp);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct synthvid_msg m;
    uint8_t *buf;
    uint32_t i;

    if (size > 2 * SYNTHVID_MAX_MSG)
        return 0;
    if (size >= 2 && data[0] == 'L' && data[1] == 'B') {
        session(data + 2, (uint32_t)size - 2);
        return 0;
    }
    buf = malloc(size ? size : 1);
    if (!buf)
        abort();
    memcpy(buf, data, size);
    if (synthvid_parse(buf, (uint32_t)size, &m) == 0) {
        if (m.body < buf || m.body + m.body_len > buf + size)
            abort();
        if (m.type == SYNTHVID_MSG_DIRT) {
            struct synthvid_dirt d;
            memcpy(&d, m.body, sizeof(d));
            for (i = 0; i < d.count; i++) {
                struct synthvid_rect r, c;
                memcpy(&r, m.body + sizeof(d) + i * sizeof(r), sizeof(r));
                if (synthvid_clip(&r, 1024, 768, &c) == 0 &&
                    (c.x1 < 0 || c.y1 < 0 || c.x2 > 1024 || c.y2 > 768 ||
                     c.x1 >= c.x2 || c.y1 >= c.y2))
                    abort();
            }
        } else if (m.type == SYNTHVID_MSG_RESOLUTION_RESPONSE) {
            struct synthvid_resolution_response r;
            struct synthvid_screen_info si;
            memcpy(&r, m.body, sizeof(r));
            for (i = 0; i < r.count; i++)
                memcpy(&si, m.body + sizeof(r) + i * sizeof(si), sizeof(si));
        } else if (m.type == SYNTHVID_MSG_SITUATION_UPDATE) {
            struct synthvid_situation_update u;
            memcpy(&u, m.body, sizeof(u));
            (void)synthvid_check_mode(u.output.width_pixels,
                                      u.output.height_pixels,
                                      u.output.depth_bits, u.output.pitch_bytes,
                                      u.output.vram_offset, 8u << 20);
        }
    }
    {
        struct psf_font f;
        uint32_t c;
        if (psf_parse(buf, size, &f) == 0) {
            for (c = 0; c < 256; c++) {
                const uint8_t *g = psf_glyph(&f, c);
                if (g < buf || g + f.charsize > buf + size)
                    abort();
            }
        }
    }
    free(buf);
    return 0;
}
