/*
 * HID report descriptor parser for pointers (see common/hid_desc.h).
 *
 * Two passes over the items: the first finds the report id whose input
 * items carry both X and Y, the second lays out that report.  Each pass
 * is linear in the descriptor length and keeps only fixed-size state.
 */
#include "common/hid_desc.h"

#include <errno.h>
#include <string.h>

#define ITEM_MAIN 0u
#define ITEM_GLOBAL 1u
#define ITEM_LOCAL 2u

#define MAIN_INPUT 0x8u
#define MAIN_OUTPUT 0x9u
#define MAIN_COLLECTION 0xAu
#define MAIN_FEATURE 0xBu
#define MAIN_END_COLLECTION 0xCu

#define GLOBAL_USAGE_PAGE 0x0u
#define GLOBAL_LOGICAL_MIN 0x1u
#define GLOBAL_LOGICAL_MAX 0x2u
#define GLOBAL_REPORT_SIZE 0x7u
#define GLOBAL_REPORT_ID 0x8u
#define GLOBAL_REPORT_COUNT 0x9u
#define GLOBAL_PUSH 0xAu
#define GLOBAL_POP 0xBu

#define LOCAL_USAGE 0x0u
#define LOCAL_USAGE_MIN 0x1u
#define LOCAL_USAGE_MAX 0x2u

#define INPUT_CONSTANT 0x1u
#define INPUT_VARIABLE 0x2u
#define INPUT_RELATIVE 0x4u

#define PAGE_DESKTOP 0x01u
#define PAGE_BUTTON 0x09u
#define USAGE_X 0x30u
#define USAGE_Y 0x31u
#define USAGE_WHEEL 0x38u

#define MAX_DEPTH 8u
#define MAX_USAGES 16u

struct globals {
    uint32_t usage_page;
    uint32_t min_raw, max_raw;
    uint8_t min_bytes, max_bytes;
    uint32_t report_size;
    uint32_t report_count;
    uint32_t report_id;
};

struct locals {
    uint32_t usages[MAX_USAGES]; /* page << 16 | id */
    unsigned n;
    uint32_t umin, umax;
    uint8_t has_min, has_max;
};

struct walk {
    struct globals g;
    struct globals stack[MAX_DEPTH];
    unsigned sp, depth;
    struct locals l;
};

static int32_t sign_extend(uint32_t v, unsigned bytes)
{
    if (bytes == 1)
        return (int8_t)v;
    if (bytes == 2)
        return (int16_t)v;
    return (int32_t)v;
}

static void ranges(const struct globals *g, int32_t *min, int32_t *max)
{
    *min = sign_extend(g->min_raw, g->min_bytes);
    if (*min < 0)
        *max = sign_extend(g->max_raw, g->max_bytes);
    else
        *max = (int32_t)g->max_raw;
}

/* Usage of data item i of an Input item, or 0 when none was declared. */
static uint32_t usage_at(const struct locals *l, uint32_t i)
{
    if (l->n > 0)
        return l->usages[i < l->n ? i : l->n - 1];
    if (l->has_min && l->has_max && l->umin <= l->umax)
        return l->umax - l->umin >= i ? l->umin + i : l->umax;
    return 0;
}

static int take(struct hid_field *f, const struct globals *g, uint32_t flags,
                uint32_t bit)
{
    if (f->present)
        return 0;
    if (g->report_size == 0 || g->report_size > 32)
        return -EINVAL;
    f->present = 1;
    f->relative = (flags & INPUT_RELATIVE) ? 1 : 0;
    f->bit_size = (uint8_t)g->report_size;
    f->count = 1;
    f->bit_offset = (uint16_t)bit;
    ranges(g, &f->logical_min, &f->logical_max);
    return 0;
}

/*
 * One pass.  want < 0: record in *xy_id the first report id whose inputs
 * have both X and Y.  want >= 0: lay out that report into *out.
 */
static int walk(const uint8_t *d, size_t len, int want, int *xy_id,
                struct hid_pointer *out)
{
    struct walk w;
    uint8_t seen[256]; /* pass 1: bit 0 X seen, bit 1 Y seen, per id */
    uint32_t bits = 0; /* pass 2: data bits so far in report `want` */
    size_t pos = 0;

    memset(&w, 0, sizeof(w));
    memset(seen, 0, sizeof(seen));
    while (pos < len) {
        uint8_t prefix = d[pos];
        unsigned size = prefix & 3u, type = (prefix >> 2) & 3u;
        unsigned tag = prefix >> 4;
        uint32_t v = 0;
        unsigned i;

        if (size == 3)
            size = 4;
        if (prefix == 0xFE || len - pos - 1 < size)
            return -EINVAL; /* long item or truncated */
        for (i = 0; i < size; i++)
            v |= (uint32_t)d[pos + 1 + i] << (8 * i);
        pos += 1 + size;

        if (type == ITEM_GLOBAL) {
            switch (tag) {
            case GLOBAL_USAGE_PAGE:
                w.g.usage_page = v & 0xFFFFu;
                break;
            case GLOBAL_LOGICAL_MIN:
                w.g.min_raw = v;
                w.g.min_bytes = (uint8_t)size;
                break;
            case GLOBAL_LOGICAL_MAX:
                w.g.max_raw = v;
                w.g.max_bytes = (uint8_t)size;
                break;
            case GLOBAL_REPORT_SIZE:
                w.g.report_size = v;
                break;
            case GLOBAL_REPORT_ID:
                if (v == 0 || v > 255)
                    return -EINVAL;
                w.g.report_id = v;
                break;
            case GLOBAL_REPORT_COUNT:
                w.g.report_count = v;
                break;
            case GLOBAL_PUSH:
                if (w.sp == MAX_DEPTH)
                    return -EINVAL;
                w.stack[w.sp++] = w.g;
                break;
            case GLOBAL_POP:
                if (w.sp == 0)
                    return -EINVAL;
                w.g = w.stack[--w.sp];
                break;
            default:
                break;
            }
            continue;
        }
        if (type == ITEM_LOCAL) {
            uint32_t u = size == 4 ? v : (w.g.usage_page << 16 | v);
            switch (tag) {
            case LOCAL_USAGE:
                if (w.l.n < MAX_USAGES)
                    w.l.usages[w.l.n++] = u;
                break;
            case LOCAL_USAGE_MIN:
                w.l.umin = u;
                w.l.has_min = 1;
                break;
            case LOCAL_USAGE_MAX:
                w.l.umax = u;
                w.l.has_max = 1;
                break;
            default:
                break;
            }
            continue;
        }
        if (type != ITEM_MAIN)
            return -EINVAL; /* reserved item type */

        if (tag == MAIN_COLLECTION) {
            if (++w.depth > MAX_DEPTH)
                return -EINVAL;
        } else if (tag == MAIN_END_COLLECTION) {
            if (w.depth == 0)
                return -EINVAL;
            w.depth--;
        } else if (tag == MAIN_INPUT) {
            uint64_t total = (uint64_t)w.g.report_size * w.g.report_count;
            int mine = want >= 0 && (uint32_t)want == w.g.report_id;
            uint32_t n;

            if (total > HID_MAX_REPORT_BITS ||
                w.g.report_count > HID_MAX_REPORT_BITS)
                return -EINVAL;
            if (mine && bits + total > HID_MAX_REPORT_BITS)
                return -EINVAL;
            n = (v & INPUT_CONSTANT) || !(v & INPUT_VARIABLE)
                    ? 0
                    : w.g.report_count;
            for (i = 0; i < n; i++) {
                uint32_t u = usage_at(&w.l, i);
                uint32_t at = bits + i * w.g.report_size;
                struct hid_field *f = NULL;
                int rc;

                if (u == (PAGE_DESKTOP << 16 | USAGE_X))
                    seen[w.g.report_id] |= 1;
                if (u == (PAGE_DESKTOP << 16 | USAGE_Y))
                    seen[w.g.report_id] |= 2;
                if (want < 0 && seen[w.g.report_id] == 3 && *xy_id < 0)
                    *xy_id = (int)w.g.report_id;
                if (!mine)
                    continue;
                if (u >> 16 == PAGE_BUTTON && (u & 0xFFFFu) != 0) {
                    struct hid_field *b = &out->buttons;
                    if (!b->present) {
                        rc = take(b, &w.g, v, at);
                        if (rc < 0)
                            return rc;
                    } else if (b->count < 32 &&
                               (uint32_t)b->bit_offset +
                                       (uint32_t)b->count * b->bit_size ==
                                   at &&
                               b->bit_size == w.g.report_size) {
                        b->count++;
                    }
                    continue;
                }
                if (u == (PAGE_DESKTOP << 16 | USAGE_X))
                    f = &out->x;
                else if (u == (PAGE_DESKTOP << 16 | USAGE_Y))
                    f = &out->y;
                else if (u == (PAGE_DESKTOP << 16 | USAGE_WHEEL))
                    f = &out->wheel;
                if (f && (rc = take(f, &w.g, v, at)) < 0)
                    return rc;
            }
            if (mine)
                bits += (uint32_t)total;
        }
        /* Output and Feature items do not move input bit positions. */
        memset(&w.l, 0, sizeof(w.l));
    }
    if (w.depth != 0)
        return -EINVAL;
    if (want >= 0)
        out->report_bits = (uint16_t)bits;
    return 0;
}

int hid_desc_parse(const uint8_t *desc, size_t len, struct hid_pointer *out)
{
    int id = -1;
    int rc;

    memset(out, 0, sizeof(*out));
    rc = walk(desc, len, -1, &id, out);
    if (rc < 0)
        return rc;
    if (id < 0)
        return -ENOENT;
    rc = walk(desc, len, id, &id, out);
    if (rc < 0) {
        memset(out, 0, sizeof(*out));
        return rc;
    }
    out->report_id = (uint8_t)id;
    return 0;
}

static uint32_t get_bits(const uint8_t *p, uint32_t off, uint32_t n)
{
    uint32_t v = 0, i;

    for (i = 0; i < n; i++) {
        uint32_t b = off + i;
        v |= (uint32_t)((p[b / 8] >> (b % 8)) & 1u) << i;
    }
    return v;
}

static int32_t field_value(const struct hid_field *f, const uint8_t *p,
                           uint32_t bit)
{
    uint32_t v = get_bits(p, bit, f->bit_size);

    if (f->logical_min < 0 && f->bit_size < 32 &&
        (v & (1u << (f->bit_size - 1))))
        v |= ~0u << f->bit_size;
    return (int32_t)v;
}

static int fits(const struct hid_field *f, uint32_t avail)
{
    return !f->present ||
           (uint32_t)f->bit_offset + (uint32_t)f->bit_size * f->count <= avail;
}

int hid_report_decode(const struct hid_pointer *p, const uint8_t *report,
                      size_t len, struct hid_pointer_state *out)
{
    uint32_t avail;
    unsigned i;

    memset(out, 0, sizeof(*out));
    if (p->report_id) {
        if (len < 1)
            return -EBADMSG;
        if (report[0] != p->report_id)
            return -ENOENT;
        report++;
        len--;
    }
    if (len > HID_MAX_REPORT_BITS / 8)
        len = HID_MAX_REPORT_BITS / 8;
    avail = (uint32_t)len * 8;
    if (!fits(&p->x, avail) || !fits(&p->y, avail) || !fits(&p->wheel, avail) ||
        !fits(&p->buttons, avail))
        return -EBADMSG;
    if (p->buttons.present)
        for (i = 0; i < p->buttons.count; i++)
            if (get_bits(report,
                         p->buttons.bit_offset + i * p->buttons.bit_size,
                         p->buttons.bit_size))
                out->buttons |= 1u << i;
    if (p->x.present)
        out->x = field_value(&p->x, report, p->x.bit_offset);
    if (p->y.present)
        out->y = field_value(&p->y, report, p->y.bit_offset);
    if (p->wheel.present)
        out->wheel = field_value(&p->wheel, report, p->wheel.bit_offset);
    return 0;
}

uint32_t hid_scale(int32_t v, int32_t min, int32_t max, uint32_t span)
{
    int64_t range = (int64_t)max - min;

    if (span == 0 || range <= 0 || v <= min)
        return 0;
    if (v >= max)
        return span - 1;
    return (uint32_t)(((int64_t)v - min) * (int64_t)(span - 1) / range);
}
