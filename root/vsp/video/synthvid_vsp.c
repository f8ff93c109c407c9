/*
 * Root synthetic video VSP (see root/vsp/video/synthvid_vsp.h).  Guest
 * messages go through synthvid_parse() and then a table of handlers with
 * the minimum version each needs.
 */
#include "root/vsp/video/synthvid_vsp.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/synthvid_msg.h"

/* Modes offered when the backend can hold them (Hyper-V's list is longer). */
static const struct synthvid_screen_info standard_modes[] = {
    {640, 480},   {800, 600},   {1024, 768},  {1152, 864},  {1280, 720},
    {1280, 768},  {1280, 800},  {1280, 960},  {1280, 1024}, {1360, 768},
    {1366, 768},  {1400, 1050}, {1440, 900},  {1600, 900},  {1600, 1200},
    {1680, 1050}, {1920, 1080}, {1920, 1200}, {2560, 1440}, {2560, 1600},
};

struct synthvid_vsp {
    struct synthvid_vsp_backend be;
    struct vmbus_server *srv;
    struct vmbus_server_channel *ch;
    uint32_t max_version;
    uint64_t vram_bytes;
    bool open, broken;

    uint32_t version; /* 0 until negotiated */
    uint8_t *vram;    /* mapped guest VRAM, or NULL */
    uint64_t vram_gpa;
    bool direct; /* the backend shows the VRAM in place (map_vram) */
    bool placed; /* the VRAM is the frame buffer itself (place_vram) */
    struct synthvid_vsp_mode mode;
    uint32_t vram_offset;
    uint8_t *fb; /* backend frame buffer of the current mode */
    uint32_t fb_pitch;

    struct synthvid_screen_info modes[SYNTHVID_MAX_RESOLUTIONS];
    uint32_t nmodes, default_mode;
    struct synthvid_vsp_stats stats;
    uint8_t rx[SYNTHVID_MAX_MSG + 64];
    uint8_t tx[SYNTHVID_MAX_MSG];
};

static uint32_t version_key(uint32_t v)
{
    return SYNTHVID_VERSION_MAJOR(v) << 16 | SYNTHVID_VERSION_MINOR(v);
}

static void logf_(struct synthvid_vsp *v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void logf_(struct synthvid_vsp *v, const char *fmt, ...)
{
    char line[128];
    va_list ap;

    if (!v->be.log)
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    v->be.log(v->be.ctx, line);
}

static void bad(struct synthvid_vsp *v, const char *why)
{
    v->stats.bad_messages++;
    logf_(v, "synthvid vsp: dropped guest message: %s", why);
}

static int send_msg(struct synthvid_vsp *v, uint32_t type, const void *body,
                    uint32_t len)
{
    uint32_t n = synthvid_build(v->tx, sizeof(v->tx), type, body, len);
    int rc;

    if (n == 0)
        return -EMSGSIZE;
    rc = vmbus_server_chan_send(v->ch, VMBUS_PKT_DATA_INBAND, 0, 0, v->tx, n);
    if (rc < 0)
        logf_(v, "synthvid vsp: cannot send type %u (%d)", type, rc);
    return rc;
}

static int accepts(const struct synthvid_vsp *v, uint32_t version)
{
    if (version != SYNTHVID_VERSION_3_0 && version != SYNTHVID_VERSION_3_2 &&
        version != SYNTHVID_VERSION_3_5)
        return 0;
    return version_key(version) <= version_key(v->max_version);
}

static void on_version(struct synthvid_vsp *v, const uint8_t *b, uint32_t n)
{
    (void)n;
    struct synthvid_version_request req;
    struct synthvid_version_response resp;

    memcpy(&req, b, sizeof(req));
    memset(&resp, 0, sizeof(resp));
    resp.version = req.version;
    resp.is_accepted = (uint8_t)accepts(v, req.version);
    resp.max_video_outputs = 1;
    if (send_msg(v, SYNTHVID_MSG_VERSION_RESPONSE, &resp, sizeof(resp)) < 0)
        return;
    if (resp.is_accepted) {
        v->version = req.version;
        v->stats.negotiations++;
    } else {
        v->stats.refusals++;
        logf_(v, "synthvid vsp: refused version %u.%u",
              SYNTHVID_VERSION_MAJOR(req.version),
              SYNTHVID_VERSION_MINOR(req.version));
    }
}

static void on_resolution(struct synthvid_vsp *v, const uint8_t *b, uint32_t n)
{
    (void)n;
    uint8_t
        body[sizeof(struct synthvid_resolution_response) +
             SYNTHVID_MAX_RESOLUTIONS * sizeof(struct synthvid_screen_info)];
    struct synthvid_resolution_request req;
    struct synthvid_resolution_response r;
    static const uint8_t edid_header[8] = {0x00, 0xFF, 0xFF, 0xFF,
                                           0xFF, 0xFF, 0xFF, 0x00};

    memcpy(&req, b, sizeof(req));
    memset(&r, 0, sizeof(r));
    memcpy(r.edid, edid_header, sizeof(edid_header));
    r.count = (uint8_t)(v->nmodes < req.max_count ? v->nmodes : req.max_count);
    r.default_index =
        (uint8_t)(v->default_mode < r.count ? v->default_mode : 0);
    memcpy(body, &r, sizeof(r));
    memcpy(body + sizeof(r), v->modes, r.count * sizeof(v->modes[0]));
    send_msg(v, SYNTHVID_MSG_RESOLUTION_RESPONSE, body,
             (uint32_t)(sizeof(r) + r.count * sizeof(v->modes[0])));
}

/* Ends a map_vram() mapping: the guest's RAM is behind its VRAM again. */
static void undirect(struct synthvid_vsp *v)
{
    if (!v->direct)
        return;
    v->be.map_vram(v->be.ctx, 0, 0);
    v->direct = false;
}

/* Removes a place_vram() mapping: the VRAM address is unbacked again. */
static void unplace(struct synthvid_vsp *v)
{
    if (!v->placed)
        return;
    v->be.place_vram(v->be.ctx, 0, 0);
    v->placed = false;
    v->vram = NULL;
}

static void on_vram(struct synthvid_vsp *v, const uint8_t *b, uint32_t n)
{
    (void)n;
    struct synthvid_vram_location loc;
    struct synthvid_ack ack;
    uint8_t *map = NULL;
    bool placed = false;

    memcpy(&loc, b, sizeof(loc));
    if (loc.is_vram_gpa_given) {
        if (loc.vram_gpa % 4096u || loc.vram_gpa == 0) {
            bad(v, "VRAM at 0 or not page aligned");
            return;
        }
        if (v->placed && loc.vram_gpa == v->vram_gpa)
            placed = true; /* the same place again */
        else
            unplace(v);
        map = vmbus_server_gpa(v->srv, loc.vram_gpa, v->vram_bytes);
        if (!map && v->be.place_vram &&
            v->be.place_vram(v->be.ctx, loc.vram_gpa, v->vram_bytes) == 0) {
            placed = true;
            v->stats.vram_placed++;
            map = vmbus_server_gpa(v->srv, loc.vram_gpa, v->vram_bytes);
            if (!map) {
                v->be.place_vram(v->be.ctx, 0, 0);
                placed = false;
            }
        }
        if (!map) {
            bad(v, "VRAM outside guest memory");
            return;
        }
        v->stats.vram_maps++;
    } else {
        unplace(v);
    }
    undirect(v);
    v->placed = placed;
    v->vram = map;
    v->vram_gpa = map ? loc.vram_gpa : 0;
    ack.user_ctx = loc.user_ctx;
    if (send_msg(v, SYNTHVID_MSG_VRAM_LOCATION_ACK, &ack, sizeof(ack)) == 0 &&
        map) {
        /* As Hyper-V: tell the guest which updates the host wants. */
        static const struct synthvid_feature_change all = {1, 1, 1, 1};
        send_msg(v, SYNTHVID_MSG_FEATURE_CHANGE, &all, sizeof(all));
    }
}

static uint32_t rgb565_to_xrgb(uint16_t p)
{
    uint32_t r = (p >> 11) & 0x1F, g = (p >> 5) & 0x3F, b = p & 0x1F;

    return (r << 3 | r >> 2) << 16 | (g << 2 | g >> 4) << 8 | (b << 3 | b >> 2);
}

/* Copies a clipped rectangle from the VRAM to the backend. */
static void copy_rect(struct synthvid_vsp *v, const struct synthvid_rect *c)
{
    uint32_t x = (uint32_t)c->x1, y, w = (uint32_t)(c->x2 - c->x1);
    uint32_t bpp = v->mode.depth / 8;

    if (v->direct || v->placed) {
        /* The display already shows the VRAM: nothing to move. */
        v->stats.zero_copy_rects++;
    } else {
        for (y = (uint32_t)c->y1; y < (uint32_t)c->y2; y++) {
            const uint8_t *src = v->vram + v->vram_offset +
                                 (uint64_t)y * v->mode.pitch + x * bpp;
            uint8_t *dst = v->fb + (uint64_t)y * v->fb_pitch + x * 4u;
            if (bpp == 4) {
                memcpy(dst, src, (size_t)w * 4u);
            } else {
                uint32_t i;
                for (i = 0; i < w; i++) {
                    uint16_t p;
                    uint32_t q;
                    memcpy(&p, src + 2u * i, 2);
                    q = rgb565_to_xrgb(p);
                    memcpy(dst + 4u * i, &q, 4);
                }
            }
        }
        v->stats.rects++;
        v->stats.pixels += (uint64_t)w * (uint32_t)(c->y2 - c->y1);
    }
    if (v->be.updated)
        v->be.updated(v->be.ctx, x, (uint32_t)c->y1, w,
                      (uint32_t)(c->y2 - c->y1));
}

static void repaint(struct synthvid_vsp *v)
{
    struct synthvid_rect all = {0, 0, (int32_t)v->mode.width,
                                (int32_t)v->mode.height};

    if (v->vram && v->fb && v->mode.active)
        copy_rect(v, &all);
}

/* Shows the VRAM in place when its format is the frame buffer's. */
static void try_direct(struct synthvid_vsp *v)
{
    if (v->direct || v->placed || !v->be.map_vram || !v->vram ||
        !v->mode.active || v->mode.depth != 32 ||
        v->mode.pitch != v->fb_pitch || v->vram_offset != 0)
        return;
    if (v->be.map_vram(v->be.ctx, v->vram_gpa, v->vram_bytes) == 0) {
        v->direct = true;
        v->stats.vram_direct_maps++;
    }
}

static void on_situation(struct synthvid_vsp *v, const uint8_t *b, uint32_t n)
{
    (void)n;
    struct synthvid_situation_update su;
    struct synthvid_ack ack;
    const struct synthvid_output_situation *o = &su.output;

    memcpy(&su, b, sizeof(su));
    if (su.output_count < 1) {
        bad(v, "situation without outputs");
        return;
    }
    if (o->active) {
        uint32_t pitch = 0;
        uint8_t *fb;
        if (synthvid_check_mode(o->width_pixels, o->height_pixels,
                                o->depth_bits, o->pitch_bytes, o->vram_offset,
                                v->vram_bytes) < 0) {
            bad(v, "mode does not fit the VRAM");
            return;
        }
        if ((uint64_t)o->width_pixels * o->height_pixels * 4u >
            v->be.fb_bytes) {
            bad(v, "mode larger than the frame buffer");
            return;
        }
        undirect(v);
        fb = v->be.set_mode(v->be.ctx, o->width_pixels, o->height_pixels,
                            &pitch);
        if (!fb || pitch < o->width_pixels * 4u) {
            bad(v, "backend refused the mode");
            return;
        }
        v->fb = fb;
        v->fb_pitch = pitch;
        v->mode.width = o->width_pixels;
        v->mode.height = o->height_pixels;
        v->mode.pitch = o->pitch_bytes;
        v->mode.depth = o->depth_bits;
        v->vram_offset = o->vram_offset;
        v->stats.mode_sets++;
    }
    if (o->active && v->placed &&
        (o->depth_bits != 32 || o->pitch_bytes != v->fb_pitch ||
         o->vram_offset != 0))
        logf_(v,
              "synthvid vsp: VRAM in the frame buffer: %u bpp, pitch %u, "
              "offset %u not shown as the guest meant",
              o->depth_bits, o->pitch_bytes, o->vram_offset);
    if (!o->active)
        undirect(v);
    v->mode.active = o->active ? 1 : 0;
    repaint(v);
    try_direct(v);
    ack.user_ctx = su.user_ctx;
    send_msg(v, SYNTHVID_MSG_SITUATION_UPDATE_ACK, &ack, sizeof(ack));
}

static void on_dirt(struct synthvid_vsp *v, const uint8_t *b, uint32_t n)
{
    (void)n;
    struct synthvid_dirt d;
    uint32_t i;

    memcpy(&d, b, sizeof(d));
    v->stats.dirt_msgs++;
    if (!v->vram || !v->fb || !v->mode.active)
        return; /* nothing to copy from or to yet */
    for (i = 0; i < d.count; i++) {
        struct synthvid_rect r, c;
        memcpy(&r, b + sizeof(d) + i * sizeof(r), sizeof(r));
        if (synthvid_clip(&r, v->mode.width, v->mode.height, &c) == 0)
            copy_rect(v, &c);
    }
}

static void on_pointer_position(struct synthvid_vsp *v, const uint8_t *b,
                                uint32_t n)
{
    (void)n;
    struct synthvid_pointer_position p;

    memcpy(&p, b, sizeof(p));
    v->stats.pointer_msgs++;
    if (v->be.pointer)
        v->be.pointer(v->be.ctx, p.is_visible != 0, p.image_x, p.image_y);
}

static void on_pointer_shape(struct synthvid_vsp *v, const uint8_t *b,
                             uint32_t n)
{
    (void)b;
    (void)n;
    v->stats.shape_msgs++;
}

static void on_bios_info(struct synthvid_vsp *v, const uint8_t *b, uint32_t n)
{
    (void)b;
    (void)n;
    struct synthvid_bios_info_response r;

    memset(&r, 0, sizeof(r));
    send_msg(v, SYNTHVID_MSG_BIOS_INFO_RESPONSE, &r, sizeof(r));
}

/* Handlers and the version each needs (0: before negotiation). */
static const struct {
    void (*fn)(struct synthvid_vsp *v, const uint8_t *body, uint32_t n);
    uint32_t min_version;
} handlers[SYNTHVID_MSG_TYPE_LIMIT] = {
    [SYNTHVID_MSG_VERSION_REQUEST] = {on_version, 0},
    [SYNTHVID_MSG_VRAM_LOCATION] = {on_vram, SYNTHVID_VERSION_3_0},
    [SYNTHVID_MSG_SITUATION_UPDATE] = {on_situation, SYNTHVID_VERSION_3_0},
    [SYNTHVID_MSG_POINTER_POSITION] = {on_pointer_position,
                                       SYNTHVID_VERSION_3_0},
    [SYNTHVID_MSG_POINTER_SHAPE] = {on_pointer_shape, SYNTHVID_VERSION_3_0},
    [SYNTHVID_MSG_DIRT] = {on_dirt, SYNTHVID_VERSION_3_0},
    [SYNTHVID_MSG_BIOS_INFO_REQUEST] = {on_bios_info, SYNTHVID_VERSION_3_2},
    [SYNTHVID_MSG_RESOLUTION_REQUEST] = {on_resolution, SYNTHVID_VERSION_3_5},
};

static void handle(struct synthvid_vsp *v, const uint8_t *p, uint32_t len)
{
    struct synthvid_msg m;

    if (synthvid_parse(p, len, &m) < 0) {
        bad(v, "malformed");
        return;
    }
    if (m.type >= SYNTHVID_MSG_TYPE_LIMIT || !handlers[m.type].fn) {
        bad(v, "message type not sent by guests");
        return;
    }
    if (handlers[m.type].min_version &&
        (v->version == 0 ||
         version_key(v->version) < version_key(handlers[m.type].min_version))) {
        bad(v, "message needs a newer negotiated version");
        return;
    }
    handlers[m.type].fn(v, m.body, m.body_len);
}

static uint32_t v_open(struct vmbus_server_channel *ch, void *ctx,
                       const uint8_t *user_data)
{
    (void)user_data;
    struct synthvid_vsp *v = ctx;

    v->ch = ch;
    v->open = true;
    v->broken = false;
    v->version = 0;
    return 0;
}

static void v_close(struct vmbus_server_channel *ch, void *ctx)
{
    (void)ch;
    struct synthvid_vsp *v = ctx;

    /* The guest may free the VRAM once its channel is closed. */
    undirect(v);
    unplace(v);
    v->open = false;
    v->version = 0;
    v->vram = NULL;
}

static void v_packet(struct vmbus_server_channel *ch, void *ctx)
{
    struct synthvid_vsp *v = ctx;
    struct ring_pkt_info info;
    int rc;

    while (v->open && !v->broken) {
        rc = vmbus_server_chan_recv(ch, v->rx, sizeof(v->rx), &info);
        if (rc == -EAGAIN || rc == -ENOTCONN)
            break;
        if (rc < 0) {
            bad(v, "ring corrupt or packet too large");
            v->broken = true;
            break;
        }
        if (info.type != VMBUS_PKT_DATA_INBAND) {
            bad(v, "packet type");
            continue;
        }
        handle(v, v->rx + info.offset, info.len - info.offset);
    }
}

static const struct vmbus_server_device_ops video_ops = {
    .open = v_open,
    .close = v_close,
    .packet = v_packet,
};

int synthvid_vsp_create(struct vmbus_server *srv,
                        const struct synthvid_vsp_config *cfg,
                        const struct synthvid_vsp_backend *be,
                        struct synthvid_vsp **out)
{
    static const struct vmbus_guid cls = VMBUS_CLASS_SYNTHVID;
    static const struct vmbus_guid inst = SYNTHVID_INSTANCE_GUID;
    struct vmbus_server_device d;
    struct synthvid_vsp *v;
    uint16_t mib = cfg && cfg->vram_megabytes ? cfg->vram_megabytes
                                              : SYNTHVID_MMIO_MEGABYTES;
    size_t i;
    int rc;

    *out = NULL;
    if (!be || !be->set_mode)
        return -EINVAL;
    v = calloc(1, sizeof(*v));
    if (!v)
        return -ENOMEM;
    v->be = *be;
    v->srv = srv;
    v->max_version =
        cfg && cfg->max_version ? cfg->max_version : SYNTHVID_VERSION_3_5;
    v->vram_bytes = (uint64_t)mib << 20;
    for (i = 0; i < sizeof(standard_modes) / sizeof(standard_modes[0]); i++) {
        uint64_t bytes =
            (uint64_t)standard_modes[i].width * standard_modes[i].height * 4u;
        if (bytes > be->fb_bytes || bytes > v->vram_bytes)
            continue;
        if (standard_modes[i].width == 1024 && standard_modes[i].height == 768)
            v->default_mode = v->nmodes;
        v->modes[v->nmodes++] = standard_modes[i];
    }
    memset(&d, 0, sizeof(d));
    d.name = "synthvid";
    d.class_id = cls;
    d.instance_id = inst;
    d.mmio_megabytes = mib;
    d.ops = &video_ops;
    d.ctx = v;
    rc = vmbus_server_add_device(srv, &d, &v->ch);
    if (rc < 0) {
        free(v);
        return rc;
    }
    *out = v;
    return 0;
}

void synthvid_vsp_destroy(struct synthvid_vsp *v)
{
    free(v);
}

uint32_t synthvid_vsp_version(const struct synthvid_vsp *v)
{
    return v->version;
}

struct synthvid_vsp_mode synthvid_vsp_mode(const struct synthvid_vsp *v)
{
    return v->mode;
}

uint32_t synthvid_vsp_modes(const struct synthvid_vsp *v,
                            const struct synthvid_screen_info **list,
                            uint32_t *default_index)
{
    *list = v->modes;
    *default_index = v->default_mode;
    return v->nmodes;
}

int synthvid_vsp_feature_change(struct synthvid_vsp *v,
                                const struct synthvid_feature_change *fc)
{
    if (!v->open || !v->version)
        return -ENOTCONN;
    return send_msg(v, SYNTHVID_MSG_FEATURE_CHANGE, fc, sizeof(*fc));
}

const struct synthvid_vsp_stats *
synthvid_vsp_get_stats(const struct synthvid_vsp *v)
{
    return &v->stats;
}
