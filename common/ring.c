/*
 * VMBus ring buffer (see common/ring.h for the contract).
 *
 * Shared indices are read and written with __atomic builtins so the code is
 * the same freestanding and hosted; packet bytes are plain memcpy because
 * they are always copied out and validated before use.
 */
#include "common/ring.h"

#include <errno.h>
#include <string.h>

static uint32_t load_acquire(const uint32_t *p)
{
    return __atomic_load_n(p, __ATOMIC_ACQUIRE);
}

static uint32_t load_relaxed(const uint32_t *p)
{
    return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static void store_release(uint32_t *p, uint32_t v)
{
    __atomic_store_n(p, v, __ATOMIC_RELEASE);
}

static bool index_ok(const struct ring *r, uint32_t idx)
{
    return idx < r->size && (idx & 7u) == 0;
}

/* Free bytes for the writer at write index w with the reader at rd. */
static uint32_t free_bytes(const struct ring *r, uint32_t w, uint32_t rd)
{
    return rd > w ? rd - w : r->size - (w - rd);
}

static void copy_to_ring(struct ring *r, uint32_t off, const void *src,
                         uint32_t len)
{
    uint32_t first = r->size - off;

    if (len <= first) {
        memcpy(r->data + off, src, len);
    } else {
        memcpy(r->data + off, src, first);
        memcpy(r->data, (const uint8_t *)src + first, len - first);
    }
}

static void zero_ring(struct ring *r, uint32_t off, uint32_t len)
{
    uint32_t first = r->size - off;

    if (len <= first) {
        memset(r->data + off, 0, len);
    } else {
        memset(r->data + off, 0, first);
        memset(r->data, 0, len - first);
    }
}

static void copy_from_ring(const struct ring *r, uint32_t off, void *dst,
                           uint32_t len)
{
    uint32_t first = r->size - off;

    if (len <= first) {
        memcpy(dst, r->data + off, len);
    } else {
        memcpy(dst, r->data + off, first);
        memcpy((uint8_t *)dst + first, r->data, len - first);
    }
}

static uint32_t wrap_add(const struct ring *r, uint32_t off, uint32_t n)
{
    uint64_t v = (uint64_t)off + n;
    return (uint32_t)(v % r->size);
}

int ring_attach(struct ring *r, void *ctrl, void *data, uint32_t size)
{
    uint32_t w, rd;

    if (!r || !ctrl || !data || size == 0 || (size & 7u) || size >= 0x80000000u)
        return -EINVAL;
    r->ctrl = ctrl;
    r->data = data;
    r->size = size;
    w = load_acquire(&r->ctrl->write_index);
    rd = load_acquire(&r->ctrl->read_index);
    if (!index_ok(r, w) || !index_ok(r, rd))
        return -EIO;
    r->priv_write = r->pub_write = w;
    r->priv_read = r->pub_read = rd;
    return 0;
}

int ring_init(struct ring *r, void *ctrl, void *data, uint32_t size)
{
    struct vmbus_ring_ctrl *c = ctrl;

    if (!c)
        return -EINVAL;
    store_release(&c->write_index, 0);
    store_release(&c->read_index, 0);
    store_release(&c->interrupt_mask, 0);
    store_release(&c->pending_send_sz, 0);
    store_release(&c->feature_bits, VMBUS_RING_FEATURE_PENDING_SEND_SZ);
    return ring_attach(r, ctrl, data, size);
}

int64_t ring_write_space(struct ring *r)
{
    uint32_t rd = load_acquire(&r->ctrl->read_index);

    if (!index_ok(r, rd))
        return -EIO;
    return free_bytes(r, r->priv_write, rd);
}

int ring_put(struct ring *r, const struct ring_iov *iov, size_t n)
{
    uint64_t total = 0;
    uint32_t need, off, start;
    int64_t space;
    size_t i;

    for (i = 0; i < n; i++)
        total += iov[i].len;
    if (total == 0 || total + 7u + VMBUS_PKT_TRAILER_BYTES >= r->size)
        return -EMSGSIZE;
    need = ring_pkt_bytes((uint32_t)total);
    space = ring_write_space(r);
    if (space < 0)
        return (int)space;
    /* Strictly less: the write index must never catch up with the reader. */
    if (need >= (uint64_t)space)
        return -EAGAIN;

    start = off = r->priv_write;
    for (i = 0; i < n; i++) {
        if (iov[i].len == 0)
            continue;
        copy_to_ring(r, off, iov[i].base, iov[i].len);
        off = wrap_add(r, off, iov[i].len);
    }
    if (need - VMBUS_PKT_TRAILER_BYTES > total) {
        uint32_t pad = need - VMBUS_PKT_TRAILER_BYTES - (uint32_t)total;
        zero_ring(r, off, pad);
        off = wrap_add(r, off, pad);
    }
    {
        uint64_t trailer = (uint64_t)start << 32;
        copy_to_ring(r, off, &trailer, sizeof(trailer));
    }
    r->priv_write = wrap_add(r, start, need);
    return 0;
}

bool ring_flush(struct ring *r)
{
    uint32_t old = r->pub_write;
    uint32_t rd;

    if (r->priv_write == old)
        return false;
    /* Release: the packet bytes are visible before the new index. */
    store_release(&r->ctrl->write_index, r->priv_write);
    r->pub_write = r->priv_write;
    /* Full fence: the index store is ordered before the mask/index loads,
     * so either the reader sees our packets or we see it went idle. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (load_relaxed(&r->ctrl->interrupt_mask))
        return false;
    rd = load_acquire(&r->ctrl->read_index);
    return rd == old;
}

int ring_send(struct ring *r, const struct ring_iov *iov, size_t n)
{
    int rc = ring_put(r, iov, n);

    if (rc < 0)
        return rc;
    return ring_flush(r) ? 1 : 0;
}

bool ring_want_space(struct ring *r, uint32_t bytes)
{
    int64_t space;

    store_release(&r->ctrl->pending_send_sz, bytes);
    /* Full fence: publish the request before re-reading the reader's index,
     * so a reader that moved meanwhile either sees it or we see its move. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    space = ring_write_space(r);
    return space > (int64_t)bytes;
}

int ring_peek(struct ring *r, struct ring_pkt_info *info)
{
    struct vmbus_pkt_desc d;
    uint32_t w, avail, len;

    w = load_acquire(&r->ctrl->write_index);
    if (!index_ok(r, w))
        return -EIO;
    avail = w >= r->priv_read ? w - r->priv_read : r->size - (r->priv_read - w);
    if (avail == 0)
        return -EAGAIN;
    if (avail < sizeof(d) + VMBUS_PKT_TRAILER_BYTES)
        return -EBADMSG;
    copy_from_ring(r, r->priv_read, &d, sizeof(d));
    len = (uint32_t)d.len8 * 8u;
    if (d.offset8 < VMBUS_PKT_MIN_OFFSET8 || d.len8 < d.offset8 ||
        (uint64_t)len + VMBUS_PKT_TRAILER_BYTES > avail)
        return -EBADMSG;
    info->type = d.type;
    info->flags = d.flags;
    info->offset = (uint32_t)d.offset8 * 8u;
    info->len = len;
    info->trans_id = d.trans_id;
    return 0;
}

static void consume(struct ring *r, uint32_t len)
{
    r->priv_read = wrap_add(r, r->priv_read, len + VMBUS_PKT_TRAILER_BYTES);
}

int ring_read(struct ring *r, void *buf, uint32_t buflen,
              struct ring_pkt_info *info)
{
    struct vmbus_pkt_desc d;
    int rc = ring_peek(r, info);

    if (rc < 0)
        return rc;
    if (buflen < info->len)
        return -EMSGSIZE;
    copy_from_ring(r, r->priv_read, buf, info->len);
    /* The peer may have rewritten the descriptor since ring_peek(): put the
     * validated one back so buf and info agree. */
    d.type = info->type;
    d.offset8 = (uint16_t)(info->offset / 8u);
    d.len8 = (uint16_t)(info->len / 8u);
    d.flags = info->flags;
    d.trans_id = info->trans_id;
    memcpy(buf, &d, sizeof(d));
    consume(r, info->len);
    return 0;
}

int ring_skip(struct ring *r)
{
    struct ring_pkt_info info;
    int rc = ring_peek(r, &info);

    if (rc < 0)
        return rc;
    consume(r, info.len);
    return 0;
}

bool ring_read_done(struct ring *r)
{
    uint32_t old = r->pub_read, pending, w, before, after;

    if (r->priv_read == old)
        return false;
    /* Release: our copies of the packets are complete before the writer
     * may reuse the space. */
    store_release(&r->ctrl->read_index, r->priv_read);
    r->pub_read = r->priv_read;
    /* Full fence: publish the index before reading pending_send_sz. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (!(load_relaxed(&r->ctrl->feature_bits) &
          VMBUS_RING_FEATURE_PENDING_SEND_SZ))
        return false;
    pending = load_acquire(&r->ctrl->pending_send_sz);
    if (pending == 0)
        return false;
    w = load_acquire(&r->ctrl->write_index);
    if (!index_ok(r, w))
        return false;
    before = free_bytes(r, w, old);
    after = free_bytes(r, w, r->priv_read);
    return before <= pending && after > pending;
}

void ring_mask(struct ring *r)
{
    store_release(&r->ctrl->interrupt_mask, 1);
}

bool ring_unmask(struct ring *r)
{
    store_release(&r->ctrl->interrupt_mask, 0);
    /* Full fence: the writer either sees the mask clear or we see its
     * packets below. */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    return !ring_empty(r);
}

bool ring_empty(struct ring *r)
{
    return load_acquire(&r->ctrl->write_index) == r->priv_read;
}
