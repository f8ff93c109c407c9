/* Text console (see vsc/video/textcon.h). */
#include "vsc/video/textcon.h"

#include <errno.h>

static void mark(struct textcon *t, int32_t x1, int32_t y1, int32_t x2,
                 int32_t y2)
{
    if (!t->dirty) {
        t->dx1 = x1, t->dy1 = y1, t->dx2 = x2, t->dy2 = y2;
        t->dirty = 1;
        return;
    }
    if (x1 < t->dx1)
        t->dx1 = x1;
    if (y1 < t->dy1)
        t->dy1 = y1;
    if (x2 > t->dx2)
        t->dx2 = x2;
    if (y2 > t->dy2)
        t->dy2 = y2;
}

int textcon_init(struct textcon *t, struct gfx_surface *s,
                 const struct psf_font *font, uint32_t fg, uint32_t bg)
{
    if (!s || !font || font->width == 0 || font->height == 0 ||
        s->width < font->width || s->height < font->height)
        return -EINVAL;
    t->s = s;
    t->font = font;
    t->cols = s->width / font->width;
    t->rows = s->height / font->height;
    t->fg = fg;
    t->bg = bg;
    t->dirty = 0;
    t->scrolls = 0;
    textcon_clear(t);
    return 0;
}

void textcon_clear(struct textcon *t)
{
    struct gfx_rect all = {0, 0, t->s->width, t->s->height};

    gfx_fill(t->s, all, t->bg);
    mark(t, 0, 0, (int32_t)t->s->width, (int32_t)t->s->height);
    t->cx = t->cy = 0;
}

void textcon_set_colors(struct textcon *t, uint32_t fg, uint32_t bg)
{
    t->fg = fg;
    t->bg = bg;
}

void textcon_goto(struct textcon *t, uint32_t col, uint32_t row)
{
    t->cx = col < t->cols ? col : t->cols - 1;
    t->cy = row < t->rows ? row : t->rows - 1;
}

static void draw_cell(struct textcon *t, uint32_t col, uint32_t row,
                      uint32_t ch)
{
    const struct psf_font *f = t->font;
    const uint8_t *g = psf_glyph(f, ch);
    int32_t x0 = (int32_t)(col * f->width), y0 = (int32_t)(row * f->height);
    uint32_t x, y;

    for (y = 0; y < f->height; y++)
        for (x = 0; x < f->width; x++) {
            int on = (g[y * f->stride + x / 8] >> (7 - x % 8)) & 1;
            gfx_put(t->s, x0 + (int32_t)x, y0 + (int32_t)y, on ? t->fg : t->bg);
        }
    mark(t, x0, y0, x0 + (int32_t)f->width, y0 + (int32_t)f->height);
}

static void scroll(struct textcon *t)
{
    uint32_t fh = t->font->height;
    struct gfx_rect src = {0, (int32_t)fh, t->cols * t->font->width,
                           (t->rows - 1) * fh};
    struct gfx_rect last = {0, (int32_t)((t->rows - 1) * fh),
                            t->cols * t->font->width, fh};

    gfx_copy(t->s, src, 0, 0);
    gfx_fill(t->s, last, t->bg);
    mark(t, 0, 0, (int32_t)(t->cols * t->font->width), (int32_t)(t->rows * fh));
    t->scrolls++;
}

static void newline(struct textcon *t)
{
    t->cx = 0;
    if (t->cy + 1 < t->rows)
        t->cy++;
    else
        scroll(t);
}

void textcon_putc(struct textcon *t, uint32_t ch)
{
    switch (ch) {
    case '\n':
        newline(t);
        return;
    case '\r':
        t->cx = 0;
        return;
    case '\b':
        if (t->cx > 0) {
            t->cx--;
            draw_cell(t, t->cx, t->cy, ' ');
        }
        return;
    case '\t': {
        uint32_t n = 8 - t->cx % 8; /* to the next stop, at most 8 */
        while (n--)
            textcon_putc(t, ' ');
        return;
    }
    default:
        break;
    }
    if (ch < 0x20 || ch == 0x7F)
        return; /* other control characters draw nothing */
    if (t->cx >= t->cols)
        newline(t);
    draw_cell(t, t->cx, t->cy, ch);
    t->cx++;
}

void textcon_write(struct textcon *t, const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        textcon_putc(t, (uint8_t)s[i]);
}

int textcon_take_dirty(struct textcon *t, struct gfx_rect *r)
{
    if (!t->dirty)
        return 0;
    r->x = t->dx1;
    r->y = t->dy1;
    r->w = (uint32_t)(t->dx2 - t->dx1);
    r->h = (uint32_t)(t->dy2 - t->dy1);
    t->dirty = 0;
    return 1;
}
