/* Synthvid messages (see common/synthvid_msg.h for the contract). */
#include "common/synthvid_msg.h"

#include <errno.h>
#include <string.h>

/* Fixed body bytes per type; 0 also for types without a body. */
static const uint32_t min_body[SYNTHVID_MSG_TYPE_LIMIT] = {
    [SYNTHVID_MSG_VERSION_REQUEST] = sizeof(struct synthvid_version_request),
    [SYNTHVID_MSG_VERSION_RESPONSE] = sizeof(struct synthvid_version_response),
    [SYNTHVID_MSG_VRAM_LOCATION] = sizeof(struct synthvid_vram_location),
    [SYNTHVID_MSG_VRAM_LOCATION_ACK] = sizeof(struct synthvid_ack),
    [SYNTHVID_MSG_SITUATION_UPDATE] = sizeof(struct synthvid_situation_update),
    [SYNTHVID_MSG_SITUATION_UPDATE_ACK] = sizeof(struct synthvid_ack),
    [SYNTHVID_MSG_POINTER_POSITION] = sizeof(struct synthvid_pointer_position),
    [SYNTHVID_MSG_POINTER_SHAPE] = sizeof(struct synthvid_pointer_shape),
    [SYNTHVID_MSG_FEATURE_CHANGE] = sizeof(struct synthvid_feature_change),
    [SYNTHVID_MSG_DIRT] = sizeof(struct synthvid_dirt),
    [SYNTHVID_MSG_BIOS_INFO_RESPONSE] =
        sizeof(struct synthvid_bios_info_response),
    [SYNTHVID_MSG_RESOLUTION_REQUEST] =
        sizeof(struct synthvid_resolution_request),
    [SYNTHVID_MSG_RESOLUTION_RESPONSE] =
        sizeof(struct synthvid_resolution_response),
    [SYNTHVID_MSG_CAPABILITY_RESPONSE] =
        sizeof(struct synthvid_capability_response),
};

uint32_t synthvid_cursor_bytes(uint32_t is_argb, uint32_t w, uint32_t h)
{
    if (is_argb)
        return w * h * 4;
    return (w + 7) / 8 * h * 2;
}

static int check_body(uint32_t type, const uint8_t *b, uint32_t n)
{
    if (type == SYNTHVID_MSG_DIRT) {
        struct synthvid_dirt d;
        memcpy(&d, b, sizeof(d));
        if ((uint32_t)d.count * sizeof(struct synthvid_rect) > n - sizeof(d))
            return -EBADMSG;
    } else if (type == SYNTHVID_MSG_RESOLUTION_RESPONSE) {
        struct synthvid_resolution_response r;
        memcpy(&r, b, sizeof(r));
        if (r.count > SYNTHVID_MAX_RESOLUTIONS ||
            (r.count && r.default_index >= r.count) ||
            (uint32_t)r.count * sizeof(struct synthvid_screen_info) >
                n - sizeof(r))
            return -EBADMSG;
    } else if (type == SYNTHVID_MSG_POINTER_SHAPE) {
        struct synthvid_pointer_shape s;
        memcpy(&s, b, sizeof(s));
        if (s.part_idx != SYNTHVID_CURSOR_COMPLETE)
            return 0; /* a part: its size cannot be checked alone */
        if (s.width > SYNTHVID_CURSOR_MAX_X ||
            s.height > SYNTHVID_CURSOR_MAX_Y ||
            synthvid_cursor_bytes(s.is_argb, s.width, s.height) > n - sizeof(s))
            return -EBADMSG;
    }
    return 0;
}

int synthvid_parse(const void *buf, uint32_t len, struct synthvid_msg *out)
{
    const uint8_t *p = buf;
    struct synthvid_pipe_hdr pipe;
    struct synthvid_hdr hdr;
    uint32_t n;

    memset(out, 0, sizeof(*out));
    if (len < SYNTHVID_BODY_OFFSET)
        return -EBADMSG;
    memcpy(&pipe, p, sizeof(pipe));
    if (pipe.type != SYNTHVID_PIPE_DATA || pipe.size < sizeof(hdr) ||
        pipe.size > len - sizeof(pipe) ||
        pipe.size > SYNTHVID_MAX_MSG - sizeof(pipe))
        return -EBADMSG;
    memcpy(&hdr, p + sizeof(pipe), sizeof(hdr));
    if (hdr.type >= SYNTHVID_MSG_TYPE_LIMIT || hdr.type == SYNTHVID_MSG_ERROR)
        return -ENOMSG;
    n = pipe.size - (uint32_t)sizeof(hdr);
    if (n < min_body[hdr.type])
        return -EBADMSG;
    if (check_body(hdr.type, p + SYNTHVID_BODY_OFFSET, n) < 0)
        return -EBADMSG;
    out->type = hdr.type;
    out->body = p + SYNTHVID_BODY_OFFSET;
    out->body_len = n;
    return 0;
}

uint32_t synthvid_build(void *buf, uint32_t cap, uint32_t type,
                        const void *body, uint32_t body_len)
{
    struct synthvid_pipe_hdr pipe;
    struct synthvid_hdr hdr;
    uint8_t *p = buf;

    if (body_len > SYNTHVID_MAX_MSG - SYNTHVID_BODY_OFFSET || body_len > cap ||
        cap - body_len < SYNTHVID_BODY_OFFSET)
        return 0;
    hdr.type = type;
    hdr.size = (uint32_t)sizeof(hdr) + body_len;
    pipe.type = SYNTHVID_PIPE_DATA;
    pipe.size = hdr.size;
    memcpy(p, &pipe, sizeof(pipe));
    memcpy(p + sizeof(pipe), &hdr, sizeof(hdr));
    if (body_len)
        memcpy(p + SYNTHVID_BODY_OFFSET, body, body_len);
    return SYNTHVID_BODY_OFFSET + body_len;
}

int synthvid_check_mode(uint32_t width, uint32_t height, uint32_t depth,
                        uint32_t pitch, uint32_t vram_offset,
                        uint64_t vram_bytes)
{
    if (depth != 16 && depth != 32)
        return -EINVAL;
    if (width == 0 || height == 0 || width > 0xFFFF || height > 0xFFFF)
        return -EINVAL;
    if ((uint64_t)pitch < (uint64_t)width * (depth / 8) || pitch % 4)
        return -EINVAL;
    if ((uint64_t)vram_offset + (uint64_t)pitch * height > vram_bytes)
        return -E2BIG;
    return 0;
}

int synthvid_clip(const struct synthvid_rect *r, uint32_t width,
                  uint32_t height, struct synthvid_rect *out)
{
    int64_t x1 = r->x1 < 0 ? 0 : r->x1, y1 = r->y1 < 0 ? 0 : r->y1;
    int64_t x2 = r->x2 > (int64_t)width ? (int64_t)width : r->x2;
    int64_t y2 = r->y2 > (int64_t)height ? (int64_t)height : r->y2;

    if (x1 >= x2 || y1 >= y2)
        return -EINVAL;
    out->x1 = (int32_t)x1;
    out->y1 = (int32_t)y1;
    out->x2 = (int32_t)x2;
    out->y2 = (int32_t)y2;
    return 0;
}
