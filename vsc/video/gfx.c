/* Frame buffer drawing (see vsc/video/gfx.h). */
#include "vsc/video/gfx.h"

#include <errno.h>
#include <string.h>

int gfx_init(struct gfx_surface *s, void *base, uint32_t width, uint32_t height,
             uint32_t pitch, uint32_t depth)
{
    if (!base || width == 0 || height == 0 || (depth != 16 && depth != 32) ||
        (uint64_t)pitch < (uint64_t)width * (depth / 8))
        return -EINVAL;
    s->base = base;
    s->width = width;
    s->height = height;
    s->pitch = pitch;
    s->depth = depth;
    return 0;
}

int gfx_clip(const struct gfx_surface *s, struct gfx_rect *r)
{
    int64_t x1 = r->x, y1 = r->y;
    int64_t x2 = x1 + r->w, y2 = y1 + r->h;

    if (x1 < 0)
        x1 = 0;
    if (y1 < 0)
        y1 = 0;
    if (x2 > (int64_t)s->width)
        x2 = s->width;
    if (y2 > (int64_t)s->height)
        y2 = s->height;
    if (x1 >= x2 || y1 >= y2) {
        r->w = r->h = 0;
        return 0;
    }
    r->x = (int32_t)x1;
    r->y = (int32_t)y1;
    r->w = (uint32_t)(x2 - x1);
    r->h = (uint32_t)(y2 - y1);
    return 1;
}

uint32_t gfx_pack(const struct gfx_surface *s, uint32_t rgb)
{
    if (s->depth == 32)
        return rgb & 0x00FFFFFFu;
    return ((rgb >> 8) & 0xF800u) | ((rgb >> 5) & 0x07E0u) |
           ((rgb >> 3) & 0x001Fu);
}

uint32_t gfx_unpack(const struct gfx_surface *s, uint32_t raw)
{
    uint32_t r, g, b;

    if (s->depth == 32)
        return raw & 0x00FFFFFFu;
    r = (raw >> 11) & 0x1F;
    g = (raw >> 5) & 0x3F;
    b = raw & 0x1F;
    return GFX_RGB(r << 3 | r >> 2, g << 2 | g >> 4, b << 3 | b >> 2);
}

static uint8_t *at(const struct gfx_surface *s, uint32_t x, uint32_t y)
{
    return s->base + (size_t)y * s->pitch + (size_t)x * (s->depth / 8);
}

static void store(const struct gfx_surface *s, uint8_t *p, uint32_t raw)
{
    if (s->depth == 32) {
        memcpy(p, &raw, 4);
    } else {
        uint16_t v = (uint16_t)raw;
        memcpy(p, &v, 2);
    }
}

void gfx_put(struct gfx_surface *s, int32_t x, int32_t y, uint32_t rgb)
{
    if (x < 0 || y < 0 || (uint32_t)x >= s->width || (uint32_t)y >= s->height)
        return;
    store(s, at(s, (uint32_t)x, (uint32_t)y), gfx_pack(s, rgb));
}

uint32_t gfx_get(const struct gfx_surface *s, int32_t x, int32_t y)
{
    uint32_t v32 = 0;
    uint16_t v16 = 0;

    if (x < 0 || y < 0 || (uint32_t)x >= s->width || (uint32_t)y >= s->height)
        return 0;
    if (s->depth == 32) {
        memcpy(&v32, at(s, (uint32_t)x, (uint32_t)y), 4);
        return gfx_unpack(s, v32);
    }
    memcpy(&v16, at(s, (uint32_t)x, (uint32_t)y), 2);
    return gfx_unpack(s, v16);
}

void gfx_fill(struct gfx_surface *s, struct gfx_rect r, uint32_t rgb)
{
    uint32_t raw = gfx_pack(s, rgb), x, y, bpp = s->depth / 8;

    if (!gfx_clip(s, &r))
        return;
    /* Fill the first row, then copy it down. */
    for (x = 0; x < r.w; x++)
        store(s, at(s, (uint32_t)r.x + x, (uint32_t)r.y), raw);
    for (y = 1; y < r.h; y++)
        memcpy(at(s, (uint32_t)r.x, (uint32_t)r.y + y),
               at(s, (uint32_t)r.x, (uint32_t)r.y), (size_t)r.w * bpp);
}

void gfx_blit(struct gfx_surface *s, int32_t x, int32_t y, const uint32_t *img,
              uint32_t w, uint32_t h, uint32_t stride)
{
    struct gfx_rect r = {x, y, w, h};
    uint32_t i, j;

    if (!img || stride < w || !gfx_clip(s, &r))
        return;
    for (j = 0; j < r.h; j++) {
        const uint32_t *row = img + (size_t)((uint32_t)(r.y - y) + j) * stride +
                              (uint32_t)(r.x - x);
        for (i = 0; i < r.w; i++)
            store(s, at(s, (uint32_t)r.x + i, (uint32_t)r.y + j),
                  gfx_pack(s, row[i]));
    }
}

void gfx_copy(struct gfx_surface *s, struct gfx_rect src, int32_t dx,
              int32_t dy)
{
    int64_t sx = src.x, sy = src.y, tx = dx, ty = dy;
    int64_t w = src.w, h = src.h, j;
    uint32_t bpp = s->depth / 8;

    /* Trim both rectangles by whatever either loses to the edges. */
    if (sx < 0) {
        tx -= sx, w += sx, sx = 0;
    }
    if (sy < 0) {
        ty -= sy, h += sy, sy = 0;
    }
    if (tx < 0) {
        sx -= tx, w += tx, tx = 0;
    }
    if (ty < 0) {
        sy -= ty, h += ty, ty = 0;
    }
    if (sx + w > (int64_t)s->width)
        w = (int64_t)s->width - sx;
    if (tx + w > (int64_t)s->width)
        w = (int64_t)s->width - tx;
    if (sy + h > (int64_t)s->height)
        h = (int64_t)s->height - sy;
    if (ty + h > (int64_t)s->height)
        h = (int64_t)s->height - ty;
    if (w <= 0 || h <= 0)
        return;
    if (ty <= sy) {
        for (j = 0; j < h; j++)
            memmove(at(s, (uint32_t)tx, (uint32_t)(ty + j)),
                    at(s, (uint32_t)sx, (uint32_t)(sy + j)), (size_t)w * bpp);
    } else {
        for (j = h; j-- > 0;)
            memmove(at(s, (uint32_t)tx, (uint32_t)(ty + j)),
                    at(s, (uint32_t)sx, (uint32_t)(sy + j)), (size_t)w * bpp);
    }
}

/* The arrow: 'X' black outline, '.' white fill, ' ' transparent. */
static const char arrow[GFX_CURSOR_H][GFX_CURSOR_W + 1] = {
    "X          ", "XX         ", "X.X        ", "X..X       ",
    "X...X      ", "X....X     ", "X.....X    ", "X......X   ",
    "X.......X  ", "X........X ", "X.....XXXXX", "X..X..X    ",
    "X.X X..X   ", "XX  X..X   ", "X    X..X  ", "      XX   ",
};

void gfx_cursor_init(struct gfx_cursor *c)
{
    memset(c, 0, sizeof(*c));
}

static void unite(struct gfx_rect *a, const struct gfx_rect *b)
{
    int64_t x1, y1, x2, y2;

    if (b->w == 0 || b->h == 0)
        return;
    if (a->w == 0 || a->h == 0) {
        *a = *b;
        return;
    }
    x1 = a->x < b->x ? a->x : b->x;
    y1 = a->y < b->y ? a->y : b->y;
    x2 = (int64_t)a->x + a->w > (int64_t)b->x + b->w ? (int64_t)a->x + a->w
                                                     : (int64_t)b->x + b->w;
    y2 = (int64_t)a->y + a->h > (int64_t)b->y + b->h ? (int64_t)a->y + a->h
                                                     : (int64_t)b->y + b->h;
    a->x = (int32_t)x1;
    a->y = (int32_t)y1;
    a->w = (uint32_t)(x2 - x1);
    a->h = (uint32_t)(y2 - y1);
}

static void restore(struct gfx_surface *s, struct gfx_cursor *c)
{
    uint32_t i, j;

    for (j = 0; j < c->under.h; j++)
        for (i = 0; i < c->under.w; i++)
            gfx_put(s, c->under.x + (int32_t)i, c->under.y + (int32_t)j,
                    c->saved[j * GFX_CURSOR_W + i]);
}

int gfx_cursor_hide(struct gfx_surface *s, struct gfx_cursor *c,
                    struct gfx_rect *dirty)
{
    dirty->w = dirty->h = 0;
    if (!c->visible)
        return 0;
    restore(s, c);
    *dirty = c->under;
    c->visible = 0;
    return dirty->w != 0;
}

int gfx_cursor_move(struct gfx_surface *s, struct gfx_cursor *c, int32_t x,
                    int32_t y, struct gfx_rect *dirty)
{
    struct gfx_rect old, r = {x, y, GFX_CURSOR_W, GFX_CURSOR_H};
    uint32_t i, j;

    gfx_cursor_hide(s, c, &old);
    *dirty = old;
    c->x = x;
    c->y = y;
    c->visible = 1;
    if (!gfx_clip(s, &r)) {
        c->under.w = c->under.h = 0;
        return dirty->w != 0;
    }
    c->under = r;
    for (j = 0; j < r.h; j++)
        for (i = 0; i < r.w; i++) {
            int32_t px = r.x + (int32_t)i, py = r.y + (int32_t)j;
            char a = arrow[py - y][px - x];
            c->saved[j * GFX_CURSOR_W + i] = gfx_get(s, px, py);
            if (a == 'X')
                gfx_put(s, px, py, 0x000000);
            else if (a == '.')
                gfx_put(s, px, py, 0xFFFFFF);
        }
    unite(dirty, &r);
    return 1;
}
