/*
 * Unit tests for the guest drawing layer on the synthvid VRAM:
 * vsc/video/gfx.c (clipping, fills, blits, overlapping copies, 16 bpp),
 * vsc/video/psf.c (PSF1 and PSF2 headers, Unicode tables, malformed fonts)
 * and vsc/video/textcon.c (characters, control codes, wrap, scrolling,
 * dirty rectangles).  Fonts are made up here; none is committed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "vsc/video/gfx.h"
#include "vsc/video/psf.h"
#include "vsc/video/textcon.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define W 64u
#define H 48u

static uint32_t pix[H][W + 3]; /* pitch wider than the width */

static void surface(struct gfx_surface *s)
{
    memset(pix, 0xAB, sizeof(pix));
    assert_int_equal(gfx_init(s, pix, W, H, (W + 3) * 4, 32), 0);
}

static void test_gfx_init_and_clip(void **state)
{
    struct gfx_surface s;
    struct gfx_rect r = {-10, -10, 20, 15};

    (void)state;
    assert_int_equal(gfx_init(&s, NULL, W, H, W * 4, 32), -EINVAL);
    assert_int_equal(gfx_init(&s, pix, W, H, W * 4 - 1, 32), -EINVAL);
    assert_int_equal(gfx_init(&s, pix, W, H, W * 4, 24), -EINVAL);
    assert_int_equal(gfx_init(&s, pix, 0, H, W * 4, 32), -EINVAL);
    surface(&s);
    assert_int_equal(gfx_clip(&s, &r), 1);
    assert_int_equal(r.x, 0);
    assert_int_equal(r.w, 10);
    assert_int_equal(r.h, 5);
    r = (struct gfx_rect){60, 40, 100, 100};
    assert_int_equal(gfx_clip(&s, &r), 1);
    assert_int_equal(r.w, 4);
    assert_int_equal(r.h, 8);
    r = (struct gfx_rect){W, 0, 1, 1};
    assert_int_equal(gfx_clip(&s, &r), 0);
    r = (struct gfx_rect){INT32_MAX, INT32_MAX, UINT32_MAX, UINT32_MAX};
    assert_int_equal(gfx_clip(&s, &r), 0);
    r = (struct gfx_rect){INT32_MIN, INT32_MIN, UINT32_MAX, UINT32_MAX};
    assert_int_equal(gfx_clip(&s, &r), 1); /* covers the whole surface */
    assert_int_equal(r.w, W);
    assert_int_equal(r.h, H);
}

static void test_gfx_fill_put_blit(void **state)
{
    struct gfx_surface s;
    uint32_t img[4] = {1, 2, 3, 4};

    (void)state;
    surface(&s);
    gfx_fill(&s, (struct gfx_rect){-5, -5, 10, 10}, 0x123456);
    assert_int_equal(gfx_get(&s, 0, 0), 0x123456);
    assert_int_equal(gfx_get(&s, 4, 4), 0x123456);
    assert_int_equal(pix[5][0], 0xABABABABu);
    assert_int_equal(pix[0][5], 0xABABABABu);
    /* Padding bytes after each row are never written. */
    gfx_fill(&s, (struct gfx_rect){0, 0, W, H}, 0);
    assert_int_equal(pix[0][W], 0xABABABABu);
    gfx_put(&s, -1, 0, 0xFFFFFF);
    gfx_put(&s, W, 0, 0xFFFFFF);
    gfx_put(&s, 3, 3, 0xFFFFFF);
    assert_int_equal(gfx_get(&s, 3, 3), 0xFFFFFF);
    assert_int_equal(gfx_get(&s, -1, 3), 0);
    /* A 2x2 image half off the left edge. */
    gfx_blit(&s, -1, 10, img, 2, 2, 2);
    assert_int_equal(gfx_get(&s, 0, 10), 2);
    assert_int_equal(gfx_get(&s, 0, 11), 4);
    assert_int_equal(gfx_get(&s, 1, 10), 0);
    gfx_blit(&s, 0, 0, img, 3, 1, 2); /* stride too small: nothing */
    assert_int_equal(gfx_get(&s, 0, 0), 0);
}

static void test_gfx_copy_overlap(void **state)
{
    struct gfx_surface s;
    uint32_t y;

    (void)state;
    surface(&s);
    for (y = 0; y < H; y++)
        gfx_fill(&s, (struct gfx_rect){0, (int32_t)y, W, 1}, y);
    /* Scroll up by 4 rows, then down by 2, overlapping. */
    gfx_copy(&s, (struct gfx_rect){0, 4, W, H - 4}, 0, 0);
    assert_int_equal(gfx_get(&s, 7, 0), 4);
    assert_int_equal(gfx_get(&s, 7, H - 5), H - 1);
    gfx_copy(&s, (struct gfx_rect){0, 0, W, H - 2}, 0, 2);
    assert_int_equal(gfx_get(&s, 7, 2), 4);
    assert_int_equal(gfx_get(&s, 7, 10), 12);
    /* Copies reaching outside are trimmed on both sides. */
    gfx_copy(&s, (struct gfx_rect){-10, 0, 20, 1}, 60, 0);
    assert_int_equal(gfx_get(&s, 63, 0), gfx_get(&s, 0, 0));
    gfx_copy(&s, (struct gfx_rect){0, 0, 5, 5}, -100, -100);
    gfx_copy(&s, (struct gfx_rect){0, 0, 5, 5}, INT32_MAX, 0);
}

static void test_gfx_16bpp(void **state)
{
    static uint16_t p16[8][8];
    struct gfx_surface s;

    (void)state;
    assert_int_equal(gfx_init(&s, p16, 8, 8, 16, 16), 0);
    gfx_fill(&s, (struct gfx_rect){0, 0, 8, 8}, 0xFF0000);
    assert_int_equal(p16[7][7], 0xF800);
    assert_int_equal(gfx_get(&s, 7, 7), 0xFF0000);
    gfx_put(&s, 1, 1, 0x00FF00);
    assert_int_equal(p16[1][1], 0x07E0);
    gfx_put(&s, 2, 2, 0xFFFFFF);
    assert_int_equal(gfx_get(&s, 2, 2), 0xFFFFFF);
}

/* A PSF2 font of n 8x16 glyphs: glyph g has row r = g ^ r. */
static size_t make_psf2(uint8_t *buf, uint32_t n, const uint8_t *table,
                        size_t tlen)
{
    uint32_t h[8] = {0x864AB572u, 0, 32, tlen ? 1u : 0u, n, 16, 16, 8};
    uint32_t g, r;

    memcpy(buf, h, sizeof(h));
    for (g = 0; g < n; g++)
        for (r = 0; r < 16; r++)
            buf[32 + g * 16 + r] = (uint8_t)(g ^ r);
    if (tlen)
        memcpy(buf + 32 + n * 16, table, tlen);
    return 32 + n * 16 + tlen;
}

static void test_psf2(void **state)
{
    static uint8_t buf[32 + 300 * 16 + 64];
    struct psf_font f;
    /* glyph 0: 'B' and U+00E9 (C3 A9); glyph 1: 'A' and a sequence;
     * glyph 2: '?' */
    static const uint8_t table[] = {'B', 0xC3, 0xA9, 0xFF, 'A', 0xFE,
                                    'x', 'y',  0xFF, '?',  0xFF};
    size_t n;

    (void)state;
    n = make_psf2(buf, 3, table, sizeof(table));
    assert_int_equal(psf_parse(buf, n, &f), 0);
    assert_int_equal(f.width, 8);
    assert_int_equal(f.height, 16);
    assert_int_equal(f.map['A'], 1);
    assert_int_equal(f.map['B'], 0);
    assert_int_equal(f.map[0xE9], 0);
    assert_int_equal(f.map['x'], PSF_NO_GLYPH); /* only in a sequence */
    assert_ptr_equal(psf_glyph(&f, 'A'), f.glyphs + 16);
    assert_ptr_equal(psf_glyph(&f, 'z'), f.glyphs + 32); /* '?' */
    assert_ptr_equal(psf_glyph(&f, 0x20AC), f.glyphs + 32);
    /* A broken table falls back to the identity map. */
    n = make_psf2(buf, 3, (const uint8_t *)"\xC3", 1);
    assert_int_equal(psf_parse(buf, n, &f), 0);
    assert_int_equal(f.map[1], 1);
    assert_int_equal(f.map[3], PSF_NO_GLYPH);
    /* Without a table: identity. */
    n = make_psf2(buf, 300, NULL, 0);
    assert_int_equal(psf_parse(buf, n, &f), 0);
    assert_int_equal(f.map['A'], 'A');
    /* Truncated glyphs, bad sizes, bad magic, no font. */
    assert_int_equal(psf_parse(buf, n - 1, &f), -EINVAL);
    buf[20] = 15; /* charsize != height * stride */
    assert_int_equal(psf_parse(buf, n, &f), -EINVAL);
    buf[20] = 16;
    buf[28] = 65; /* width */
    assert_int_equal(psf_parse(buf, n, &f), -EINVAL);
    buf[28] = 8;
    buf[8] = 200; /* header size past the glyphs */
    assert_int_equal(psf_parse(buf, n, &f), -EINVAL);
    buf[8] = 32;
    buf[0] = 0;
    assert_int_equal(psf_parse(buf, n, &f), -EINVAL);
    assert_int_equal(psf_parse(buf, 0, &f), -ENOENT);
}

static void test_psf1(void **state)
{
    static uint8_t buf[4 + 256 * 8 + 2 * 512];
    struct psf_font f;
    uint32_t g;
    size_t n = 4 + 256 * 8;

    (void)state;
    buf[0] = 0x36;
    buf[1] = 0x04;
    buf[2] = 0x02; /* has a table */
    buf[3] = 8;
    /* glyph g maps to code point 255 - g */
    for (g = 0; g < 256; g++) {
        buf[n + 4 * g] = (uint8_t)(255 - g);
        buf[n + 4 * g + 1] = 0;
        buf[n + 4 * g + 2] = 0xFF;
        buf[n + 4 * g + 3] = 0xFF;
    }
    assert_int_equal(psf_parse(buf, n + 1024, &f), 0);
    assert_int_equal(f.count, 256);
    assert_int_equal(f.height, 8);
    assert_int_equal(f.map['A'], 255 - 'A');
    /* A table cut short: identity. */
    assert_int_equal(psf_parse(buf, n + 10, &f), 0);
    assert_int_equal(f.map['A'], 'A');
    assert_int_equal(psf_parse(buf, n - 1, &f), -EINVAL);
    buf[3] = 0;
    assert_int_equal(psf_parse(buf, n, &f), -EINVAL);
}

static void test_textcon(void **state)
{
    static uint8_t buf[32 + 256 * 16];
    struct gfx_surface s;
    struct psf_font f;
    struct textcon t;
    struct gfx_rect r;
    uint32_t i;

    (void)state;
    /* Glyph 'X' all ones, everything else zero. */
    assert_int_equal(psf_parse(buf, make_psf2(buf, 256, NULL, 0), &f), 0);
    memset(buf + 32, 0, 256 * 16);
    memset(buf + 32 + 'X' * 16, 0xFF, 16);
    surface(&s);
    assert_int_equal(textcon_init(&t, &s, &f, 0xFFFFFF, 0x000080), 0);
    assert_int_equal(t.cols, 8);
    assert_int_equal(t.rows, 3);
    assert_int_equal(textcon_take_dirty(&t, &r), 1);
    assert_int_equal(r.w, W);
    assert_int_equal(gfx_get(&s, 63, 47), 0x000080);
    assert_int_equal(textcon_take_dirty(&t, &r), 0);
    textcon_write(&t, "aX", 2);
    assert_int_equal(gfx_get(&s, 8, 0), 0xFFFFFF);
    assert_int_equal(gfx_get(&s, 15, 15), 0xFFFFFF);
    assert_int_equal(gfx_get(&s, 7, 0), 0x000080);
    assert_int_equal(textcon_take_dirty(&t, &r), 1);
    assert_int_equal(r.x, 0);
    assert_int_equal(r.w, 16);
    assert_int_equal(r.h, 16);
    /* Backspace erases, tab goes to column 8 (wraps), \r returns. */
    textcon_putc(&t, '\b');
    assert_int_equal(gfx_get(&s, 8, 0), 0x000080);
    assert_int_equal(t.cx, 1);
    textcon_putc(&t, '\t');
    assert_int_equal(t.cx, 8);
    textcon_putc(&t, 'X'); /* wraps to row 1 */
    assert_int_equal(t.cy, 1);
    assert_int_equal(gfx_get(&s, 0, 16), 0xFFFFFF);
    textcon_putc(&t, '\r');
    assert_int_equal(t.cx, 0);
    textcon_putc(&t, 7); /* BEL draws nothing */
    assert_int_equal(t.cx, 0);
    /* Two more lines scroll the X on row 1 up to row 0. */
    textcon_write(&t, "\n\n", 2);
    assert_int_equal(t.scrolls, 1);
    assert_int_equal(gfx_get(&s, 0, 0), 0xFFFFFF);
    assert_int_equal(gfx_get(&s, 0, 16), 0x000080);
    assert_int_equal(gfx_get(&s, 0, 32), 0x000080);
    for (i = 0; i < 1000; i++)
        textcon_putc(&t, (uint8_t)i);
    textcon_goto(&t, 100, 100);
    assert_int_equal(t.cx, 7);
    assert_int_equal(t.cy, 2);
    /* A surface smaller than one cell. */
    assert_int_equal(gfx_init(&s, pix, 4, 4, 16, 32), 0);
    assert_int_equal(textcon_init(&t, &s, &f, 1, 0), -EINVAL);
}

static void test_cursor(void **state)
{
    struct gfx_surface s;
    struct gfx_cursor c;
    struct gfx_rect d;

    (void)state;
    surface(&s);
    gfx_fill(&s, (struct gfx_rect){0, 0, W, H}, 0x336699);
    gfx_cursor_init(&c);
    assert_int_equal(gfx_cursor_hide(&s, &c, &d), 0);
    assert_int_equal(gfx_cursor_move(&s, &c, 10, 10, &d), 1);
    assert_int_equal(d.x, 10);
    assert_int_equal(d.w, GFX_CURSOR_W);
    assert_int_equal(gfx_get(&s, 10, 10), 0x000000); /* the tip */
    assert_int_equal(gfx_get(&s, 11, 12), 0xFFFFFF); /* the fill */
    assert_int_equal(gfx_get(&s, 20, 10), 0x336699); /* transparent */
    /* Moving restores the old place; the dirty area covers both. */
    assert_int_equal(gfx_cursor_move(&s, &c, 30, 20, &d), 1);
    assert_int_equal(gfx_get(&s, 10, 10), 0x336699);
    assert_int_equal(d.x, 10);
    assert_int_equal(d.y, 10);
    assert_int_equal(d.w, 20 + GFX_CURSOR_W);
    assert_int_equal(d.h, 10 + GFX_CURSOR_H);
    /* Partly and wholly off the surface. */
    assert_int_equal(gfx_cursor_move(&s, &c, W - 2, H - 2, &d), 1);
    assert_int_equal(gfx_get(&s, W - 2, H - 2), 0x000000);
    assert_int_equal(gfx_cursor_move(&s, &c, -100, -100, &d), 1);
    assert_int_equal(gfx_get(&s, W - 2, H - 2), 0x336699);
    assert_int_equal(gfx_cursor_move(&s, &c, -100, -100, &d), 0);
    assert_int_equal(gfx_cursor_move(&s, &c, 0, 0, &d), 1);
    assert_int_equal(gfx_cursor_hide(&s, &c, &d), 1);
    assert_int_equal(gfx_get(&s, 0, 0), 0x336699);
    assert_int_equal(gfx_cursor_hide(&s, &c, &d), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_gfx_init_and_clip),
        cmocka_unit_test(test_gfx_fill_put_blit),
        cmocka_unit_test(test_gfx_copy_overlap),
        cmocka_unit_test(test_gfx_16bpp),
        cmocka_unit_test(test_psf2),
        cmocka_unit_test(test_psf1),
        cmocka_unit_test(test_textcon),
        cmocka_unit_test(test_cursor),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
