/*
 * A small frame buffer drawing layer for appliances: a surface over the
 * synthvid VRAM (or any pixel buffer) in XRGB8888 or RGB565, with clipped
 * rectangle fills, pixel writes, blits from 32-bit pixel images and
 * rectangle copies within the surface (for scrolling).  Pure C: no
 * allocation, no globals; every coordinate is clipped to the surface.
 */
#ifndef VSC_VIDEO_GFX_H
#define VSC_VIDEO_GFX_H

#include <stdint.h>

struct gfx_surface {
    uint8_t *base; /* pixel (x, y) at base + y * pitch + x * depth / 8 */
    uint32_t width, height;
    uint32_t pitch; /* bytes per row */
    uint32_t depth; /* 32 or 16 bits per pixel */
};

/* A clipped rectangle, right and bottom exclusive. */
struct gfx_rect {
    int32_t x, y;
    uint32_t w, h;
};

/* Colours are 0x00RRGGBB; 16-bit surfaces store them as RGB565. */
#define GFX_RGB(r, g, b)                                                       \
    ((uint32_t)(r) << 16 | (uint32_t)(g) << 8 | (uint32_t)(b))

/*
 * Sets up s over a buffer.  Returns 0, or -EINVAL (NULL base, zero size,
 * depth not 16 or 32, pitch < width * bytes per pixel).
 */
int gfx_init(struct gfx_surface *s, void *base, uint32_t width, uint32_t height,
             uint32_t pitch, uint32_t depth);

/* Clips r to the surface; returns 0 when nothing is left, else 1. */
int gfx_clip(const struct gfx_surface *s, struct gfx_rect *r);

/* The pixel format conversions the surface applies. */
uint32_t gfx_pack(const struct gfx_surface *s, uint32_t rgb);
uint32_t gfx_unpack(const struct gfx_surface *s, uint32_t raw);

void gfx_put(struct gfx_surface *s, int32_t x, int32_t y, uint32_t rgb);
/* The colour at (x, y), 0 outside the surface. */
uint32_t gfx_get(const struct gfx_surface *s, int32_t x, int32_t y);
/* Fills r, clipped. */
void gfx_fill(struct gfx_surface *s, struct gfx_rect r, uint32_t rgb);
/*
 * Draws a w x h image of 0x00RRGGBB pixels (stride in pixels) with its top
 * left at (x, y), clipped.
 */
void gfx_blit(struct gfx_surface *s, int32_t x, int32_t y, const uint32_t *img,
              uint32_t w, uint32_t h, uint32_t stride);
/* Copies src (clipped) so that its top left lands at (dx, dy); overlapping
 * areas are handled (memmove order). */
void gfx_copy(struct gfx_surface *s, struct gfx_rect src, int32_t dx,
              int32_t dy);

/* ---- software mouse pointer ---- */

#define GFX_CURSOR_W 11u
#define GFX_CURSOR_H 16u

/*
 * An arrow pointer drawn into the surface with what it covers saved, so it
 * can move without the application redrawing.  Hide it before drawing
 * under it, show it again afterwards.
 */
struct gfx_cursor {
    int visible;
    int32_t x, y;          /* hotspot: the arrow's tip */
    struct gfx_rect under; /* clipped area saved in `saved` */
    uint32_t saved[GFX_CURSOR_W * GFX_CURSOR_H];
};

void gfx_cursor_init(struct gfx_cursor *c);
/*
 * Moves (and shows) the pointer to (x, y).  *dirty gets the area that
 * changed (old and new position together).  Returns 1, or 0 when nothing
 * changed on the surface.
 */
int gfx_cursor_move(struct gfx_surface *s, struct gfx_cursor *c, int32_t x,
                    int32_t y, struct gfx_rect *dirty);
/* Removes the pointer, restoring what it covered.  Returns as above. */
int gfx_cursor_hide(struct gfx_surface *s, struct gfx_cursor *c,
                    struct gfx_rect *dirty);

#endif /* VSC_VIDEO_GFX_H */
