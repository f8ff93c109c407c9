/*
 * The appliance's screen: the synthvid VSC, a gfx surface over its VRAM,
 * a text console in the kit's font and a software pointer, with every
 * change reported to the host as dirt.  One call to open, then write text
 * and move the pointer; the module hides the pointer while text is drawn
 * under it.  Blocking only in screen_open() and screen_set_mode().
 */
#ifndef VSC_VIDEO_SCREEN_H
#define VSC_VIDEO_SCREEN_H

#include <stddef.h>
#include <stdint.h>

#include "vsc/video/gfx.h"
#include "vsc/video/synthvid.h"
#include "vsc/video/textcon.h"

struct screen;

struct screen_config {
    const struct vmbus_platform *plat;
    uint64_t timeout_ns;         /* per request; 0 = 5 s */
    uint32_t width, height;      /* 0 = the host's default */
    uint32_t fg, bg;             /* text colours, 0x00RRGGBB */
    const struct psf_font *font; /* NULL = the kit's built-in font */
};

/*
 * Opens the video channel and clears the screen.  Returns 0, -ENOMEM,
 * -ENOENT (no font: the kit was built without one and cfg->font is NULL),
 * or a synthvid_vsc_open() error.
 */
int screen_open(struct vmbus_channel *video, const struct screen_config *cfg,
                struct screen **out);
void screen_close(struct screen *s);

/* Writes text (see textcon_putc) and reports what changed. */
void screen_write(struct screen *s, const char *text, size_t n);
/* Shows the pointer at pixel (x, y), or hides it when visible is 0. */
void screen_pointer(struct screen *s, int visible, int32_t x, int32_t y);
/* New mode; the console restarts empty.  As synthvid_vsc_set_mode(). */
int screen_set_mode(struct screen *s, uint32_t width, uint32_t height);

struct synthvid_vsc *screen_video(struct screen *s);
struct gfx_surface *screen_surface(struct screen *s);
struct textcon *screen_console(struct screen *s);

#endif /* VSC_VIDEO_SCREEN_H */
