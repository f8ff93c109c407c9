/* GPADL message builder and assembler (see common/gpadl.h). */
#include "common/gpadl.h"

#include <errno.h>
#include <string.h>

static uint64_t pages_spanned(uint32_t byte_offset, uint32_t byte_count)
{
    return ((uint64_t)byte_offset + byte_count + HV_PAGE_SIZE - 1) /
           HV_PAGE_SIZE;
}

uint32_t gpadl_msg_count(uint32_t npfn)
{
    if (npfn <= VMBUS_GPADL_HEADER_MAX_PFNS)
        return 1;
    npfn -= VMBUS_GPADL_HEADER_MAX_PFNS;
    return 1 +
           (npfn + VMBUS_GPADL_BODY_MAX_PFNS - 1) / VMBUS_GPADL_BODY_MAX_PFNS;
}

int gpadl_build(uint32_t index, uint32_t relid, uint32_t handle,
                uint32_t byte_offset, uint32_t byte_count, const uint64_t *pfns,
                uint32_t npfn, void *out)
{
    uint8_t *o = out;
    uint32_t first, n;

    if (npfn == 0 || npfn > GPADL_MAX_PFNS || handle == 0 ||
        byte_offset >= HV_PAGE_SIZE || byte_count == 0 ||
        pages_spanned(byte_offset, byte_count) != npfn ||
        index >= gpadl_msg_count(npfn))
        return -EINVAL;

    if (index == 0) {
        struct vmbus_msg_gpadl_header h;

        memset(&h, 0, sizeof(h));
        h.hdr.msgtype = VMBUS_MSG_GPADL_HEADER;
        h.child_relid = relid;
        h.gpadl = handle;
        h.range_buflen = (uint16_t)(sizeof(struct vmbus_gpa_range) + 8u * npfn);
        h.range_count = 1;
        h.range.byte_count = byte_count;
        h.range.byte_offset = byte_offset;
        n = npfn < VMBUS_GPADL_HEADER_MAX_PFNS ? npfn
                                               : VMBUS_GPADL_HEADER_MAX_PFNS;
        memcpy(o, &h, sizeof(h));
        memcpy(o + sizeof(h), pfns, 8u * n);
        return (int)(sizeof(h) + 8u * n);
    }

    first =
        VMBUS_GPADL_HEADER_MAX_PFNS + (index - 1) * VMBUS_GPADL_BODY_MAX_PFNS;
    n = npfn - first;
    if (n > VMBUS_GPADL_BODY_MAX_PFNS)
        n = VMBUS_GPADL_BODY_MAX_PFNS;
    {
        struct vmbus_msg_gpadl_body b;

        memset(&b, 0, sizeof(b));
        b.hdr.msgtype = VMBUS_MSG_GPADL_BODY;
        b.msgnumber = index;
        b.gpadl = handle;
        memcpy(o, &b, sizeof(b));
        memcpy(o + sizeof(b), pfns + first, 8u * n);
        return (int)(sizeof(b) + 8u * n);
    }
}

int gpadl_asm_header(struct gpadl_asm *a, const void *msg, size_t len)
{
    struct vmbus_msg_gpadl_header h;
    size_t carried;

    if (len < sizeof(h) || len > VMBUS_MSG_MAX_BYTES)
        return -EBADMSG;
    memcpy(&h, msg, sizeof(h));
    carried = len - VMBUS_GPADL_HEADER_RANGES_OFFSET;
    if (carried % 8u || h.range_count == 0 || h.range_buflen % 8u ||
        carried > h.range_buflen ||
        h.range_buflen < 8u * (1u + (uint32_t)h.range_count))
        return -EBADMSG;
    if (h.gpadl == 0)
        return -EINVAL;
    a->relid = h.child_relid;
    a->handle = h.gpadl;
    a->range_count = h.range_count;
    a->buflen = h.range_buflen;
    a->have = 0;
    a->buf = NULL;
    return 0;
}

int gpadl_asm_start(struct gpadl_asm *a, const void *msg, size_t len)
{
    size_t carried = len - VMBUS_GPADL_HEADER_RANGES_OFFSET;

    memcpy(a->buf, (const uint8_t *)msg + VMBUS_GPADL_HEADER_RANGES_OFFSET,
           carried);
    a->have = (uint32_t)carried;
    return a->have == a->buflen;
}

int gpadl_asm_body(struct gpadl_asm *a, const void *msg, size_t len)
{
    size_t words;

    if (len < VMBUS_GPADL_BODY_DATA_OFFSET + 8u || len > VMBUS_MSG_MAX_BYTES)
        return -EBADMSG;
    words = len - VMBUS_GPADL_BODY_DATA_OFFSET;
    if (words % 8u || words > (size_t)(a->buflen - a->have))
        return -EBADMSG;
    memcpy((uint8_t *)a->buf + a->have,
           (const uint8_t *)msg + VMBUS_GPADL_BODY_DATA_OFFSET, words);
    a->have += (uint32_t)words;
    return a->have == a->buflen;
}

/*
 * Walks the ranges.  With out != NULL stops at range `want` and fills out;
 * otherwise checks the whole buffer (PFNs below max_pfn) and sums pages.
 * Returns 0, -EBADMSG or -ERANGE.
 */
static int walk(const struct gpadl_asm *a, uint32_t want,
                struct gpadl_range *out, uint64_t max_pfn, uint64_t *total)
{
    uint32_t words = a->buflen / 8u, pos = 0, i, k;

    *total = 0;
    for (i = 0; i < a->range_count; i++) {
        struct vmbus_gpa_range rh;
        uint64_t np;

        if (pos >= words)
            return -EBADMSG;
        memcpy(&rh, &a->buf[pos], sizeof(rh));
        pos++;
        if (rh.byte_offset >= HV_PAGE_SIZE || rh.byte_count == 0)
            return -EBADMSG;
        np = pages_spanned(rh.byte_offset, rh.byte_count);
        if (np > words - pos)
            return -EBADMSG;
        if (out && i == want) {
            out->byte_count = rh.byte_count;
            out->byte_offset = rh.byte_offset;
            out->npfn = (uint32_t)np;
            out->pfns = &a->buf[pos];
            return 0;
        }
        if (!out)
            for (k = 0; k < np; k++)
                if (a->buf[pos + k] >= max_pfn)
                    return -EBADMSG;
        pos += (uint32_t)np;
        *total += np;
    }
    if (out)
        return -ERANGE;
    return pos == words ? 0 : -EBADMSG;
}

int64_t gpadl_asm_validate(const struct gpadl_asm *a, uint64_t max_pfn)
{
    uint64_t total;
    int rc;

    if (!a->buf || a->have != a->buflen)
        return -EBADMSG;
    rc = walk(a, 0, NULL, max_pfn, &total);
    if (rc < 0)
        return rc;
    return (int64_t)total;
}

int gpadl_get_range(const struct gpadl_asm *a, uint32_t i,
                    struct gpadl_range *out)
{
    uint64_t total;

    if (i >= a->range_count || !a->buf)
        return -ERANGE;
    return walk(a, i, out, 0, &total) == 0 ? 0 : -ERANGE;
}
