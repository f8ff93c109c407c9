/* The appliance's screen (see vsc/video/screen.h). */
#include "vsc/video/screen.h"

#include <errno.h>
#include <stdlib.h>

struct screen {
    struct synthvid_vsc *v;
    struct gfx_surface surf;
    struct psf_font font;
    struct textcon con;
    struct gfx_cursor cursor;
    uint32_t fg, bg;
};

static void report(struct screen *s, const struct gfx_rect *r)
{
    struct synthvid_rect d;

    if (r->w == 0 || r->h == 0)
        return;
    d.x1 = r->x;
    d.y1 = r->y;
    d.x2 = r->x + (int32_t)r->w;
    d.y2 = r->y + (int32_t)r->h;
    synthvid_vsc_dirty(s->v, &d, 1);
}

/* Surface and console for the current mode. */
static int attach(struct screen *s)
{
    struct synthvid_fb fb;
    struct gfx_rect r;
    int rc;

    synthvid_vsc_fb(s->v, &fb);
    rc = gfx_init(&s->surf, fb.base, fb.width, fb.height, fb.pitch, fb.depth);
    if (rc == 0)
        rc = textcon_init(&s->con, &s->surf, &s->font, s->fg, s->bg);
    if (rc < 0)
        return rc;
    gfx_cursor_init(&s->cursor);
    if (textcon_take_dirty(&s->con, &r))
        report(s, &r);
    return 0;
}

int screen_open(struct vmbus_channel *video, const struct screen_config *cfg,
                struct screen **out)
{
    struct synthvid_vsc_config vc = {
        .plat = cfg->plat,
        .timeout_ns = cfg->timeout_ns,
        .width = cfg->width,
        .height = cfg->height,
    };
    struct screen *s = calloc(1, sizeof(*s));
    int rc;

    *out = NULL;
    if (!s)
        return -ENOMEM;
    s->fg = cfg->fg;
    s->bg = cfg->bg;
    if (cfg->font)
        s->font = *cfg->font;
    else if ((rc = textcon_builtin_font(&s->font)) < 0)
        goto fail;
    rc = synthvid_vsc_open(video, &vc, &s->v);
    if (rc < 0)
        goto fail;
    rc = attach(s);
    if (rc < 0) {
        synthvid_vsc_close(s->v);
        goto fail;
    }
    *out = s;
    return 0;
fail:
    free(s);
    return rc;
}

void screen_close(struct screen *s)
{
    if (!s)
        return;
    synthvid_vsc_close(s->v);
    free(s);
}

/* Adds a changed area to a batch that goes out as one DIRT message. */
static void add(struct synthvid_rect *d, uint32_t *n, const struct gfx_rect *r)
{
    if (r->w == 0 || r->h == 0)
        return;
    d[*n].x1 = r->x;
    d[*n].y1 = r->y;
    d[*n].x2 = r->x + (int32_t)r->w;
    d[*n].y2 = r->y + (int32_t)r->h;
    (*n)++;
}

void screen_write(struct screen *s, const char *text, size_t n)
{
    struct synthvid_rect d[3];
    struct gfx_rect r;
    int32_t x = s->cursor.x, y = s->cursor.y;
    int shown = s->cursor.visible;
    uint32_t nd = 0;

    if (shown && gfx_cursor_hide(&s->surf, &s->cursor, &r))
        add(d, &nd, &r);
    textcon_write(&s->con, text, n);
    if (textcon_take_dirty(&s->con, &r))
        add(d, &nd, &r);
    if (shown && gfx_cursor_move(&s->surf, &s->cursor, x, y, &r))
        add(d, &nd, &r);
    if (nd)
        synthvid_vsc_dirty(s->v, d, nd); /* one message, one signal */
}

void screen_pointer(struct screen *s, int visible, int32_t x, int32_t y)
{
    struct gfx_rect r;
    int changed = visible ? gfx_cursor_move(&s->surf, &s->cursor, x, y, &r)
                          : gfx_cursor_hide(&s->surf, &s->cursor, &r);

    if (changed)
        report(s, &r);
}

int screen_set_mode(struct screen *s, uint32_t width, uint32_t height)
{
    int rc = synthvid_vsc_set_mode(s->v, width, height);

    if (rc < 0)
        return rc;
    return attach(s);
}

struct synthvid_vsc *screen_video(struct screen *s)
{
    return s->v;
}

struct gfx_surface *screen_surface(struct screen *s)
{
    return &s->surf;
}

struct textcon *screen_console(struct screen *s)
{
    return &s->con;
}
