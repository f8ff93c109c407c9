/*
 * Guest synthetic video VSC (see vsc/video/synthvid.h).  Every request is
 * answered by exactly one message type; open() and set_mode() send one and
 * wait for its answer while the channel callback files everything else
 * (feature changes) on the side.
 */
#include "vsc/video/synthvid.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "common/synthvid_msg.h"
#include "vsc/input/vsc_util.h"

#define PAGE 4096u
#define MAX_RECT_PER_MSG 255u
/* How long a VRAM location outside RAM may wait for its ack. */
#define VRAM_OUTSIDE_TIMEOUT_NS 1000000000ull

struct synthvid_vsc {
    struct vmbus_channel *ch;
    struct vmbus_platform plat;
    uint64_t timeout_ns;
    uint32_t version;

    /* the request in flight */
    uint32_t expect; /* SYNTHVID_MSG_* answer, 0 if none */
    uint64_t expect_ctx;
    int answer; /* 0 waiting, 1 answered, or a negative errno */
    uint8_t accepted;
    uint64_t user_ctx; /* next user context */

    struct synthvid_screen_info modes[SYNTHVID_MAX_RESOLUTIONS];
    uint32_t nmodes, default_mode;
    struct synthvid_feature_change features;
    int need_full; /* report the whole screen at the next chance */

    uint8_t *vram;
    bool vram_outside; /* cfg->vram_gpa taken: not ours to free */
    uint64_t vram_bytes;
    uint32_t width, height, pitch, depth;

    struct synthvid_vsc_stats stats;
    uint8_t rx[SYNTHVID_MAX_MSG + 64];
    uint8_t tx[SYNTHVID_MAX_MSG];
};

static uint32_t version_key(uint32_t v)
{
    return SYNTHVID_VERSION_MAJOR(v) << 16 | SYNTHVID_VERSION_MINOR(v);
}

static void bad(struct synthvid_vsc *v, const char *why, int rc)
{
    v->stats.bad_messages++;
    vsc_logf(&v->plat, "synthvid: dropped host message: %s (%d)", why, rc);
}

static void answer(struct synthvid_vsc *v, const struct synthvid_msg *m)
{
    struct synthvid_version_response vr;
    struct synthvid_resolution_response rr;
    struct synthvid_ack ack;
    uint32_t i;

    switch (m->type) {
    case SYNTHVID_MSG_VERSION_RESPONSE:
        memcpy(&vr, m->body, sizeof(vr));
        v->accepted = vr.is_accepted;
        break;
    case SYNTHVID_MSG_RESOLUTION_RESPONSE:
        memcpy(&rr, m->body, sizeof(rr));
        v->nmodes = 0;
        v->default_mode = 0;
        for (i = 0; i < rr.count; i++) {
            struct synthvid_screen_info si;
            memcpy(&si, m->body + sizeof(rr) + i * sizeof(si), sizeof(si));
            if (si.width == 0 || si.height == 0)
                continue;
            if (i == rr.default_index)
                v->default_mode = v->nmodes;
            v->modes[v->nmodes++] = si;
        }
        break;
    case SYNTHVID_MSG_VRAM_LOCATION_ACK:
    case SYNTHVID_MSG_SITUATION_UPDATE_ACK:
        memcpy(&ack, m->body, sizeof(ack));
        if (ack.user_ctx != v->expect_ctx) {
            bad(v, "ack for another request", -EPROTO);
            return;
        }
        break;
    default:
        return;
    }
    v->expect = 0;
    v->answer = 1;
}

static void handle(struct synthvid_vsc *v, const uint8_t *p, uint32_t len)
{
    struct synthvid_msg m;
    int rc = synthvid_parse(p, len, &m);

    if (rc < 0) {
        bad(v, "malformed", rc);
        if (v->expect && v->answer == 0)
            v->answer = -EPROTO;
        return;
    }
    if (m.type == SYNTHVID_MSG_FEATURE_CHANGE) {
        struct synthvid_feature_change fc;
        memcpy(&fc, m.body, sizeof(fc));
        /* Dirt back on: the host's copy is stale, resend everything. */
        if (fc.is_dirt_needed && !v->features.is_dirt_needed)
            v->need_full = 1;
        v->features = fc;
        v->stats.feature_changes++;
        return;
    }
    if (v->expect && m.type == v->expect) {
        answer(v, &m);
        return;
    }
    bad(v, "unexpected message type", -EPROTO);
}

static void drain(struct synthvid_vsc *v)
{
    struct vmbus_pkt_info info;
    int rc;

    for (;;) {
        rc = vsc_recv(v->ch, v->rx, sizeof(v->rx), &info);
        if (rc == -EAGAIN || rc == -ENOTCONN)
            return;
        if (rc < 0) {
            bad(v, "packet", rc);
            if (rc != -EMSGSIZE)
                return;
            continue;
        }
        if (info.type != VMBUS_PKT_DATA_INBAND) {
            bad(v, "packet type", -EPROTO);
            continue;
        }
        handle(v, v->rx + info.offset, info.len - info.offset);
    }
}

static void on_channel(struct vmbus_channel *ch, void *ctx)
{
    (void)ch;
    drain(ctx);
}

static int answered(void *arg)
{
    struct synthvid_vsc *v = arg;

    drain(v);
    return v->answer;
}

static int send_msg(struct synthvid_vsc *v, uint32_t type, const void *body,
                    uint32_t len)
{
    uint32_t n = synthvid_build(v->tx, sizeof(v->tx), type, body, len);

    if (n == 0)
        return -EMSGSIZE;
    return vmbus_chan_send(v->ch, VMBUS_PKT_DATA_INBAND, 0, 0, v->tx, n);
}

/* Sends a request and waits for its answer of type `reply`. */
static int request(struct synthvid_vsc *v, uint32_t type, const void *body,
                   uint32_t len, uint32_t reply, uint64_t ctx, const char *what)
{
    int rc;

    v->expect = reply;
    v->expect_ctx = ctx;
    v->answer = 0;
    rc = send_msg(v, type, body, len);
    if (rc == 0)
        rc = vsc_wait(&v->plat, v->timeout_ns, answered, v);
    v->expect = 0;
    if (rc == -ETIMEDOUT)
        vsc_logf(&v->plat, "synthvid: host did not answer the %s in %llu ms",
                 what, (unsigned long long)(v->timeout_ns / 1000000u));
    else if (rc < 0)
        vsc_logf(&v->plat, "synthvid: %s failed (%d)", what, rc);
    return rc;
}

static int negotiate(struct synthvid_vsc *v, uint32_t max_version)
{
    static const uint32_t versions[] = {
        SYNTHVID_VERSION_3_5, SYNTHVID_VERSION_3_2, SYNTHVID_VERSION_3_0};
    size_t i;

    for (i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
        struct synthvid_version_request req = {versions[i]};
        int rc;

        if (version_key(versions[i]) > version_key(max_version))
            continue;
        v->accepted = 0;
        rc = request(v, SYNTHVID_MSG_VERSION_REQUEST, &req, sizeof(req),
                     SYNTHVID_MSG_VERSION_RESPONSE, 0, "version request");
        if (rc < 0)
            return rc;
        if (v->accepted) {
            v->version = versions[i];
            return 0;
        }
    }
    vsc_logf(&v->plat, "synthvid: host accepted none of 3.5, 3.2, 3.0");
    return -ENOTSUP;
}

static int mode_offered(const struct synthvid_vsc *v, uint32_t w, uint32_t h)
{
    uint32_t i;

    if (v->nmodes == 0)
        return 1;
    for (i = 0; i < v->nmodes; i++)
        if (v->modes[i].width == w && v->modes[i].height == h)
            return 1;
    return 0;
}

static int situation(struct synthvid_vsc *v, uint32_t w, uint32_t h)
{
    struct synthvid_situation_update su;
    uint32_t pitch = w * (v->depth / 8);
    int rc;

    if (w == 0 || h == 0 || !mode_offered(v, w, h))
        return -EINVAL;
    pitch = (pitch + 3u) & ~3u;
    rc = synthvid_check_mode(w, h, v->depth, pitch, 0, v->vram_bytes);
    if (rc < 0)
        return rc;
    memset(&su, 0, sizeof(su));
    su.user_ctx = ++v->user_ctx;
    su.output_count = 1;
    su.output.active = 1;
    su.output.depth_bits = (uint8_t)v->depth;
    su.output.width_pixels = w;
    su.output.height_pixels = h;
    su.output.pitch_bytes = pitch;
    rc = request(v, SYNTHVID_MSG_SITUATION_UPDATE, &su, sizeof(su),
                 SYNTHVID_MSG_SITUATION_UPDATE_ACK, su.user_ctx,
                 "situation update");
    if (rc < 0)
        return rc;
    v->width = w;
    v->height = h;
    v->pitch = pitch;
    v->stats.mode_sets++;
    return 0;
}

static void release(struct synthvid_vsc *v)
{
    vmbus_chan_close(v->ch);
    if (v->vram && !v->vram_outside)
        v->plat.free_pages(v->plat.ctx, v->vram,
                           (size_t)(v->vram_bytes / PAGE));
    free(v);
}

int synthvid_vsc_open(struct vmbus_channel *ch,
                      const struct synthvid_vsc_config *cfg,
                      struct synthvid_vsc **out)
{
    struct synthvid_vsc *v = calloc(1, sizeof(*v));
    const struct vmbus_msg_offer *offer = vmbus_chan_offer(ch);
    struct synthvid_resolution_request rq = {SYNTHVID_MAX_RESOLUTIONS};
    struct synthvid_vram_location loc;
    uint32_t w, h;
    int rc;

    *out = NULL;
    if (!v)
        return -ENOMEM;
    v->ch = ch;
    v->plat = *cfg->plat;
    v->timeout_ns = cfg->timeout_ns ? cfg->timeout_ns : VSC_DEFAULT_TIMEOUT_NS;
    memset(&v->features, 1, sizeof(v->features));
    v->vram_bytes =
        (uint64_t)(offer && offer->mmio_megabytes ? offer->mmio_megabytes
                                                  : SYNTHVID_MMIO_MEGABYTES)
        << 20;
    if (v->vram_bytes > SYNTHVID_VSC_MAX_VRAM)
        v->vram_bytes = SYNTHVID_VSC_MAX_VRAM;
    rc = vmbus_chan_open(ch, SYNTHVID_VSC_RING_BYTES, SYNTHVID_VSC_RING_BYTES,
                         NULL, 0, on_channel, v);
    if (rc < 0) {
        vsc_logf(&v->plat, "synthvid: cannot open the channel (%d)", rc);
        free(v);
        return rc;
    }
    rc = negotiate(v,
                   cfg->max_version ? cfg->max_version : SYNTHVID_VERSION_3_5);
    if (rc == 0 && v->version == SYNTHVID_VERSION_3_5)
        rc = request(v, SYNTHVID_MSG_RESOLUTION_REQUEST, &rq, sizeof(rq),
                     SYNTHVID_MSG_RESOLUTION_RESPONSE, 0, "resolution request");
    if (rc < 0)
        goto fail;
    v->depth = v->version == SYNTHVID_VERSION_3_0 ? SYNTHVID_DEPTH_WIN7
                                                  : SYNTHVID_DEPTH_WIN8;
    memset(&loc, 0, sizeof(loc));
    loc.is_vram_gpa_given = 1;
    if (cfg->vram_gpa && cfg->vram_mapped && cfg->vram_gpa % PAGE == 0) {
        uint64_t t = v->timeout_ns;
        loc.user_ctx = ++v->user_ctx;
        loc.vram_gpa = cfg->vram_gpa;
        v->timeout_ns =
            t < VRAM_OUTSIDE_TIMEOUT_NS ? t : VRAM_OUTSIDE_TIMEOUT_NS;
        rc = request(v, SYNTHVID_MSG_VRAM_LOCATION, &loc, sizeof(loc),
                     SYNTHVID_MSG_VRAM_LOCATION_ACK, loc.user_ctx,
                     "VRAM location outside RAM");
        v->timeout_ns = t;
        if (rc == 0) {
            v->vram = cfg->vram_mapped;
            v->vram_outside = true;
        } else if (rc != -ETIMEDOUT) {
            goto fail;
        }
    }
    if (!v->vram) {
        v->vram =
            v->plat.alloc_pages(v->plat.ctx, (size_t)(v->vram_bytes / PAGE));
        if (!v->vram) {
            vsc_logf(&v->plat, "synthvid: no %llu KiB of VRAM",
                     (unsigned long long)(v->vram_bytes >> 10));
            rc = -ENOMEM;
            goto fail;
        }
        loc.user_ctx = ++v->user_ctx;
        loc.vram_gpa = v->plat.virt_to_phys(v->plat.ctx, v->vram);
        rc = request(v, SYNTHVID_MSG_VRAM_LOCATION, &loc, sizeof(loc),
                     SYNTHVID_MSG_VRAM_LOCATION_ACK, loc.user_ctx,
                     "VRAM location");
        if (rc < 0)
            goto fail;
    }
    w = cfg->width;
    h = cfg->height;
    if (w == 0 || h == 0) {
        w = v->nmodes ? v->modes[v->default_mode].width : 1024;
        h = v->nmodes ? v->modes[v->default_mode].height : 768;
    }
    rc = situation(v, w, h);
    if (rc == -EINVAL || rc == -E2BIG)
        vsc_logf(&v->plat, "synthvid: mode %ux%u %s", w, h,
                 rc == -EINVAL ? "not offered by the host"
                               : "does not fit the VRAM");
    if (rc == 0)
        rc = synthvid_vsc_pointer(v, 0, 0, 0);
    if (rc == 0)
        rc = synthvid_vsc_hide_pointer(v);
    if (rc < 0)
        goto fail;
    *out = v;
    return 0;
fail:
    release(v);
    return rc;
}

void synthvid_vsc_close(struct synthvid_vsc *v)
{
    if (v)
        release(v);
}

uint32_t synthvid_vsc_version(const struct synthvid_vsc *v)
{
    return v->version;
}

void synthvid_vsc_fb(const struct synthvid_vsc *v, struct synthvid_fb *fb)
{
    fb->base = v->vram;
    fb->width = v->width;
    fb->height = v->height;
    fb->pitch = v->pitch;
    fb->depth = v->depth;
    fb->vram_bytes = v->vram_bytes;
}

uint32_t synthvid_vsc_modes(const struct synthvid_vsc *v,
                            const struct synthvid_screen_info **list,
                            uint32_t *default_index)
{
    *list = v->modes;
    *default_index = v->default_mode;
    return v->nmodes;
}

int synthvid_vsc_set_mode(struct synthvid_vsc *v, uint32_t width,
                          uint32_t height)
{
    return situation(v, width, height);
}

int synthvid_vsc_dirty(struct synthvid_vsc *v, const struct synthvid_rect *r,
                       uint32_t n)
{
    uint8_t body[sizeof(struct synthvid_dirt) +
                 MAX_RECT_PER_MSG * sizeof(struct synthvid_rect)];
    struct synthvid_dirt d = {0, 0};
    uint32_t i;
    int rc;

    drain(v);
    if (!v->features.is_dirt_needed)
        return 0;
    if (v->need_full) {
        v->need_full = 0;
        return synthvid_vsc_flush_all(v); /* covers r[] as well */
    }
    for (i = 0; i <= n; i++) {
        struct synthvid_rect c;
        if (i < n && synthvid_clip(&r[i], v->width, v->height, &c) == 0) {
            memcpy(body + sizeof(d) + d.count * sizeof(c), &c, sizeof(c));
            d.count++;
        }
        if (d.count == 0 || (d.count < MAX_RECT_PER_MSG && i < n))
            continue;
        memcpy(body, &d, sizeof(d));
        rc = send_msg(v, SYNTHVID_MSG_DIRT, body,
                      (uint32_t)(sizeof(d) + d.count * sizeof(c)));
        if (rc < 0)
            return rc;
        v->stats.dirt_msgs++;
        v->stats.rects += d.count;
        d.count = 0;
    }
    return 0;
}

int synthvid_vsc_flush_all(struct synthvid_vsc *v)
{
    struct synthvid_rect r = {0, 0, (int32_t)v->width, (int32_t)v->height};

    return synthvid_vsc_dirty(v, &r, 1);
}

int synthvid_vsc_pointer(struct synthvid_vsc *v, int visible, int32_t x,
                         int32_t y)
{
    struct synthvid_pointer_position p;

    memset(&p, 0, sizeof(p));
    p.is_visible = visible ? 1 : 0;
    p.image_x = x;
    p.image_y = y;
    return send_msg(v, SYNTHVID_MSG_POINTER_POSITION, &p, sizeof(p));
}

int synthvid_vsc_hide_pointer(struct synthvid_vsc *v)
{
    uint8_t body[sizeof(struct synthvid_pointer_shape) + 4];
    struct synthvid_pointer_shape s;

    memset(&s, 0, sizeof(s));
    s.part_idx = SYNTHVID_CURSOR_COMPLETE;
    s.is_argb = 1;
    s.width = 1;
    s.height = 1;
    memset(body, 0, sizeof(body));
    memcpy(body, &s, sizeof(s));
    return send_msg(v, SYNTHVID_MSG_POINTER_SHAPE, body, sizeof(body));
}

void synthvid_vsc_poll(struct synthvid_vsc *v)
{
    drain(v);
    if (v->need_full && v->features.is_dirt_needed)
        synthvid_vsc_flush_all(v);
}

struct synthvid_feature_change
synthvid_vsc_features(const struct synthvid_vsc *v)
{
    return v->features;
}

const struct synthvid_vsc_stats *
synthvid_vsc_get_stats(const struct synthvid_vsc *v)
{
    return &v->stats;
}
