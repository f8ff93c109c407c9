/*
 * A text console on a gfx surface with a PSF font: printable characters,
 * \n, \r, \b, \t, line wrap and scrolling, colours, and a bounding box of
 * what changed since the last call of textcon_take_dirty(), for the
 * appliance to pass to synthvid_vsc_dirty().  No allocation, no globals.
 *
 * The kit's console font is a PSF taken from Debian's console-setup (or
 * kbd) package when the kit is built (vsc/video/mkfont), never committed:
 * textcon_builtin_font() returns -ENOENT when the build found none.
 */
#ifndef VSC_VIDEO_TEXTCON_H
#define VSC_VIDEO_TEXTCON_H

#include <stddef.h>
#include <stdint.h>

#include "vsc/video/gfx.h"
#include "vsc/video/psf.h"

struct textcon {
    struct gfx_surface *s;
    const struct psf_font *font;
    uint32_t cols, rows; /* character cells */
    uint32_t cx, cy;     /* cursor cell */
    uint32_t fg, bg;     /* 0x00RRGGBB */
    int dirty;
    int32_t dx1, dy1, dx2, dy2; /* changed pixels, right/bottom exclusive */
    uint64_t scrolls;
};

/* Returns 0, or -EINVAL when not even one cell fits.  Clears the screen. */
int textcon_init(struct textcon *t, struct gfx_surface *s,
                 const struct psf_font *font, uint32_t fg, uint32_t bg);
void textcon_clear(struct textcon *t);
void textcon_set_colors(struct textcon *t, uint32_t fg, uint32_t bg);
/* ASCII / Latin-1 code point, or a control character. */
void textcon_putc(struct textcon *t, uint32_t ch);
void textcon_write(struct textcon *t, const char *s, size_t n);
/* Moves the cursor (clamped to the screen). */
void textcon_goto(struct textcon *t, uint32_t col, uint32_t row);

/* The changed area since the last call: 1 and *r, or 0 when none. */
int textcon_take_dirty(struct textcon *t, struct gfx_rect *r);

/* The font built into the kit: 0, -ENOENT (none) or -EINVAL. */
int textcon_builtin_font(struct psf_font *f);

#endif /* VSC_VIDEO_TEXTCON_H */
