/*
 * Fuzz target for common/synthvid_msg.c: every accepted message must keep
 * its body inside the packet, and the variable parts the parser vouched
 * for (dirt rectangles, the resolution list, a complete pointer image)
 * must lie inside the body.  Accepted rectangles are clipped to a screen.
 * The same bytes also go to the console font parser (vsc/video/psf.c),
 * whose glyphs must lie inside the input.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/synthvid_msg.h"
#include "vsc/video/psf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct synthvid_msg m;
    uint8_t *buf;
    uint32_t i;

    if (size > 2 * SYNTHVID_MAX_MSG)
        return 0;
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
