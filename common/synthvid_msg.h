/*
 * Synthvid messages (proto/synthvid.h): a validating parser both sides run
 * on every packet, a builder, and the checks on modes and rectangles the
 * guest and the root share.  Pure C, no globals.
 */
#ifndef COMMON_SYNTHVID_MSG_H
#define COMMON_SYNTHVID_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "proto/synthvid.h"

/* A validated message: a view into the caller's packet. */
struct synthvid_msg {
    uint32_t type;       /* SYNTHVID_MSG_* */
    const uint8_t *body; /* after the synthvid header */
    uint32_t body_len;   /* pipe size - 8: the header's size is ignored */
};

/*
 * Checks a packet payload of len bytes (pipe header, synthvid header,
 * body).  The pipe type must be DATA and its size must cover the synthvid
 * header and lie within len and SYNTHVID_MAX_MSG; the body must hold the
 * type's fixed part, and for DIRT its rectangles, for RESOLUTION_RESPONSE
 * its screen list (count <= 64, default index < count), for POINTER_SHAPE
 * a complete image within 96x96.  Returns 0, -EBADMSG or -ENOMSG (unknown
 * type).
 */
int synthvid_parse(const void *buf, uint32_t len, struct synthvid_msg *out);

/*
 * Builds pipe header + synthvid header (size = header + body, as Linux
 * sends) + body into buf[cap].  Returns the payload length, or 0 if it
 * does not fit in cap or SYNTHVID_MAX_MSG.
 */
uint32_t synthvid_build(void *buf, uint32_t cap, uint32_t type,
                        const void *body, uint32_t body_len);

/* Pixel data bytes of a complete pointer shape (see proto/synthvid.h). */
uint32_t synthvid_cursor_bytes(uint32_t is_argb, uint32_t w, uint32_t h);

/*
 * Checks a mode against VRAM of vram_bytes: depth 16 or 32, width and
 * height 1..65535, pitch >= width * depth / 8 and a multiple of 4,
 * vram_offset + pitch * height <= vram_bytes.  Returns 0, -EINVAL or
 * -E2BIG (does not fit the VRAM).
 */
int synthvid_check_mode(uint32_t width, uint32_t height, uint32_t depth,
                        uint32_t pitch, uint32_t vram_offset,
                        uint64_t vram_bytes);

/*
 * Clips r to a width x height screen into out (x1 < x2 <= width,
 * y1 < y2 <= height).  Returns 0, or -EINVAL when r is inverted or
 * nothing is left.
 */
int synthvid_clip(const struct synthvid_rect *r, uint32_t width,
                  uint32_t height, struct synthvid_rect *out);

#endif /* COMMON_SYNTHVID_MSG_H */
