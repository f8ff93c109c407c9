/* virtio-blk as a storvsp backend; see virtio_blk.h. */
#include "root/dev/virtio/virtio_blk.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "root/boot/root.h"
#include "root/dev/virtio/virtio.h"

#define PAGE 4096u
#define QUEUE_MAX 256u
#define MAX_DESC (STORVSP_MAX_SEGS + 2u) /* header, data, status */

/* One request slot in root memory the device reads and writes. */
struct vreq {
    struct virtio_blk_outhdr hdr;
    uint8_t status;      /* written by the device */
    uint8_t flush_after; /* a FUA write: flush before completing */
    uint16_t next_free;
    struct storvsp_io *io;
    struct virtio_blk_write_zeroes wz; /* this piece of an UNMAP */
    uint64_t wz_next, wz_left;         /* the pieces still to send */
    struct virtq_desc table[MAX_DESC]; /* indirect descriptors */
};

struct vblk {
    struct virtio_dev vd;
    struct virtq q;
    struct vreq *reqs; /* q.size slots */
    uint16_t *slot_of; /* head -> slot */
    uint16_t free_slot, nfree;
    bool indirect, has_flush, has_wz, kick;
    uint32_t seg_max, wz_max; /* wz_max: sectors per WRITE_ZEROES */
    uint64_t capacity;
    struct storvsp_io *wait_head, *wait_tail; /* linked by backend_priv */
    struct vblk_stats st;
    void (*done)(struct storvsp_io *io, int status);
};

static uint64_t pa(const void *p)
{
    return (uint64_t)(uintptr_t)p;
}

/* Builds the request's buffer list; returns the count or -EINVAL. */
static int build(struct vblk *b, struct vreq *r, struct virtq_buf *bufs)
{
    const struct storvsp_io *io = r->io;
    unsigned n = 0;
    bufs[n++] = (struct virtq_buf){pa(&r->hdr), sizeof(r->hdr), false};
    if (r->hdr.type == VIRTIO_BLK_T_WRITE_ZEROES) {
        bufs[n++] = (struct virtq_buf){pa(&r->wz), sizeof(r->wz), false};
    } else if (r->hdr.type != VIRTIO_BLK_T_FLUSH) {
        bool dw = r->hdr.type == VIRTIO_BLK_T_IN;
        for (uint32_t i = 0; i < io->nsegs; i++) {
            uint64_t a = pa(io->segs[i].p);
            uint32_t l = io->segs[i].len;
            if (!l)
                continue;
            struct virtq_buf *prev = &bufs[n - 1];
            if (n > 1 && prev->addr + prev->len == a &&
                prev->len + (uint64_t)l <= 0xFFFFFFFFu) {
                prev->len += l;
                continue;
            }
            if (n + 1 >= MAX_DESC || n - 1 >= b->seg_max)
                return -EINVAL;
            bufs[n++] = (struct virtq_buf){a, l, dw};
        }
    }
    bufs[n++] = (struct virtq_buf){pa(&r->status), 1, true};
    return (int)n;
}

/* The next piece of an UNMAP into r->wz. */
static void wz_piece(const struct vblk *b, struct vreq *r)
{
    uint32_t n = r->wz_left < b->wz_max ? (uint32_t)r->wz_left : b->wz_max;
    r->wz.sector = r->wz_next;
    r->wz.num_sectors = n;
    r->wz.flags = VIRTIO_BLK_WZ_UNMAP;
    r->wz_next += n;
    r->wz_left -= n;
}

/* Hands one prepared slot to the device: 0, -ENOSPC, -EINVAL. */
static int post(struct vblk *b, uint16_t slot)
{
    struct vreq *r = &b->reqs[slot];
    struct virtq_buf bufs[MAX_DESC];
    int n = build(b, r, bufs);
    if (n < 0)
        return n;
    uint16_t head;
    int rc;
    r->status = 0xFF;
    if (b->indirect && n > 2) {
        uint32_t writable = 0;
        for (int i = 0; i < n; i++) {
            r->table[i].addr = bufs[i].addr;
            r->table[i].len = bufs[i].len;
            r->table[i].flags =
                (uint16_t)((bufs[i].device_writes ? VIRTQ_DESC_F_WRITE : 0) |
                           (i + 1 < n ? VIRTQ_DESC_F_NEXT : 0));
            r->table[i].next = (uint16_t)(i + 1 < n ? i + 1 : 0);
            if (bufs[i].device_writes)
                writable += bufs[i].len;
        }
        rc = virtq_add_indirect(&b->q, pa(r->table), (unsigned)n, writable,
                                &head);
    } else {
        rc = virtq_add(&b->q, bufs, (unsigned)n, &head);
    }
    if (rc)
        return rc;
    b->slot_of[head] = slot;
    b->kick = true;
    b->st.in_flight++;
    if (b->st.in_flight > b->st.max_in_flight)
        b->st.max_in_flight = b->st.in_flight;
    return 0;
}

static void slot_free(struct vblk *b, uint16_t slot)
{
    b->reqs[slot].io = NULL;
    b->reqs[slot].next_free = b->free_slot;
    b->free_slot = slot;
    b->nfree++;
}

/* Starts io now if a slot and descriptors are free: 1 started, 0 not,
 * or a negative errno for a request that can never be sent. */
static int try_start(struct vblk *b, struct storvsp_io *io)
{
    if (!b->nfree)
        return 0;
    uint16_t slot = b->free_slot;
    struct vreq *r = &b->reqs[slot];
    b->free_slot = r->next_free;
    b->nfree--;
    r->io = io;
    r->flush_after = 0;
    r->hdr.reserved = 0;
    r->hdr.sector = io->lba;
    switch (io->op) {
    case STORVSP_IO_READ:
        r->hdr.type = VIRTIO_BLK_T_IN;
        break;
    case STORVSP_IO_WRITE:
        r->hdr.type = VIRTIO_BLK_T_OUT;
        r->flush_after = io->fua && b->has_flush;
        break;
    case STORVSP_IO_UNMAP:
        r->hdr.type = VIRTIO_BLK_T_WRITE_ZEROES;
        r->hdr.sector = 0;
        r->wz_next = io->lba;
        r->wz_left = io->count;
        wz_piece(b, r);
        break;
    default:
        r->hdr.type = VIRTIO_BLK_T_FLUSH;
        r->hdr.sector = 0;
        break;
    }
    int rc = post(b, slot);
    if (rc == 0)
        return 1;
    slot_free(b, slot);
    return rc == -ENOSPC ? 0 : rc;
}

static int submit(struct vblk *b, struct storvsp_io *io)
{
    if (io->op == STORVSP_IO_UNMAP && (!b->has_wz || io->count == 0))
        return -EINVAL;
    if (io->op != STORVSP_IO_FLUSH &&
        (io->lba > b->capacity || io->count > b->capacity - io->lba))
        return -EINVAL;
    if (io->op == STORVSP_IO_FLUSH && !b->has_flush) {
        b->done(io, 0); /* no volatile cache: already durable */
        return 0;
    }
    io->backend_priv = NULL;
    if (!b->wait_head) {
        int rc = try_start(b, io);
        if (rc < 0)
            return rc;
        if (rc == 1)
            return 0;
    }
    if (b->wait_tail)
        b->wait_tail->backend_priv = io;
    else
        b->wait_head = io;
    b->wait_tail = io;
    b->st.waiting++;
    return 0;
}

static void start_waiting(struct vblk *b)
{
    while (b->wait_head) {
        struct storvsp_io *io = b->wait_head;
        int rc = try_start(b, io);
        if (rc == 0)
            return;
        b->wait_head = io->backend_priv;
        if (!b->wait_head)
            b->wait_tail = NULL;
        b->st.waiting--;
        if (rc < 0) {
            b->st.errors++;
            b->done(io, -EIO);
        }
    }
}

static void account(struct vblk *b, const struct storvsp_io *io)
{
    uint64_t bytes = (uint64_t)io->count * STORVSP_SECTOR;
    if (io->op == STORVSP_IO_READ) {
        b->st.reads++;
        b->st.bytes_read += bytes;
    } else if (io->op == STORVSP_IO_WRITE) {
        b->st.writes++;
        b->st.bytes_written += bytes;
    } else if (io->op == STORVSP_IO_UNMAP) {
        b->st.unmaps++;
    } else {
        b->st.flushes++;
    }
}

void vblk_poll(struct vblk *b)
{
    for (;;) {
        uint16_t head;
        uint32_t len;
        int rc = virtq_next_used(&b->q, &head, &len);
        if (rc == 0)
            break;
        if (head == VIRTQ_NO_HEAD) {
            b->st.bad_used++;
            continue;
        }
        uint16_t slot = b->slot_of[head];
        struct vreq *r = &b->reqs[slot];
        struct storvsp_io *io = r->io;
        b->st.in_flight--;
        if (rc < 0)
            b->st.bad_used++;
        int status = rc == 1 && r->status == VIRTIO_BLK_S_OK ? 0 : -EIO;
        if (status == 0 && r->flush_after) {
            /* FUA: the write is in; make it durable before completing. */
            r->flush_after = 0;
            r->hdr.type = VIRTIO_BLK_T_FLUSH;
            r->hdr.sector = 0;
            if (post(b, slot) == 0)
                continue;
            status = -EIO;
        }
        if (status == 0 && r->hdr.type == VIRTIO_BLK_T_WRITE_ZEROES &&
            r->wz_left) {
            wz_piece(b, r); /* the next piece in the same slot */
            if (post(b, slot) == 0)
                continue;
            status = -EIO;
        }
        slot_free(b, slot);
        if (status)
            b->st.errors++;
        else
            account(b, io);
        b->done(io, status);
    }
    start_waiting(b);
    if (b->kick) {
        b->kick = false;
        if (virtq_publish(&b->q)) {
            virtio_notify(&b->vd, &b->q);
            b->st.kicks++;
        }
    }
}

static int op_rw(void *ctx, struct storvsp_io *io)
{
    return submit(ctx, io);
}

static uint64_t op_capacity(void *ctx)
{
    return ((struct vblk *)ctx)->capacity;
}

static const struct storvsp_backend_ops ops_plain = {
    .read = op_rw,
    .write = op_rw,
    .flush = op_rw,
    .unmap = NULL,
    .capacity = op_capacity,
};

static const struct storvsp_backend_ops ops_unmap = {
    .read = op_rw,
    .write = op_rw,
    .flush = op_rw,
    .unmap = op_rw,
    .capacity = op_capacity,
};

const struct storvsp_backend_ops *vblk_storvsp_ops(const struct vblk *b)
{
    return b->has_wz ? &ops_unmap : &ops_plain;
}

uint64_t vblk_capacity(const struct vblk *b)
{
    return b->capacity;
}

void vblk_set_done(struct vblk *b, void (*done)(struct storvsp_io *, int))
{
    b->done = done ? done : storvsp_io_done;
}

bool vblk_has_irq(const struct vblk *b)
{
    return b->vd.msix_entries > 0;
}

int vblk_submit(struct vblk *b, struct storvsp_io *io)
{
    return submit(b, io);
}

const struct vblk_stats *vblk_get_stats(const struct vblk *b)
{
    return &b->st;
}

int vblk_create(struct pci_dev *d, int vector, struct vblk **out, bool *irq)
{
    struct vblk *b = calloc(1, sizeof(*b));
    if (!b)
        return -ENOMEM;
    b->done = storvsp_io_done;
    int rc = virtio_pci_probe(&b->vd, d);
    if (!rc)
        rc =
            virtio_negotiate(&b->vd, VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC) |
                                         VIRTIO_BIT(VIRTIO_BLK_F_SEG_MAX) |
                                         VIRTIO_BIT(VIRTIO_BLK_F_FLUSH) |
                                         VIRTIO_BIT(VIRTIO_BLK_F_WRITE_ZEROES));
    if (rc)
        goto fail;
    if (vector >= 0)
        virtio_msix(&b->vd, (uint8_t)vector);
    rc = virtio_queue_setup(&b->vd, 0, QUEUE_MAX, &b->q);
    if (rc)
        goto fail;
    uint16_t n = b->q.size;
    size_t bytes = sizeof(struct vreq) * n;
    b->reqs = root_page_alloc((unsigned)((bytes + PAGE - 1) / PAGE));
    b->slot_of = calloc(n, sizeof(*b->slot_of));
    if (!b->reqs || !b->slot_of) {
        rc = -ENOMEM;
        goto fail;
    }
    for (uint16_t i = n; i-- > 0;)
        slot_free(b, i);
    b->indirect = b->vd.features & VIRTIO_BIT(VIRTIO_F_INDIRECT_DESC);
    b->has_flush = b->vd.features & VIRTIO_BIT(VIRTIO_BLK_F_FLUSH);
    b->seg_max = MAX_DESC - 2;
    if (b->vd.features & VIRTIO_BIT(VIRTIO_BLK_F_SEG_MAX)) {
        uint32_t sm = virtio_cfg32(&b->vd, VIRTIO_BLK_CFG_SEG_MAX);
        if (sm && sm < b->seg_max)
            b->seg_max = sm;
    }
    if (!b->indirect && b->seg_max > n - 2u)
        b->seg_max = n - 2u;
    b->capacity = virtio_cfg64(&b->vd, VIRTIO_BLK_CFG_CAPACITY);
    if (b->vd.features & VIRTIO_BIT(VIRTIO_BLK_F_WRITE_ZEROES)) {
        /* One segment per request (max_write_zeroes_seg is at least 1). */
        b->wz_max = virtio_cfg32(&b->vd, VIRTIO_BLK_CFG_MAX_WZ_SECTORS);
        b->has_wz = b->wz_max != 0;
    }
    virtio_driver_ok(&b->vd);
    *irq = b->vd.msix_entries > 0;
    *out = b;
    return 0;
fail:
    if (b->vd.common)
        virtio_fail(&b->vd);
    free(b->slot_of);
    free(b);
    return rc < 0 ? rc : -ENODEV;
}

void vblk_set_irq(struct vblk *b, bool on)
{
    virtq_set_interrupts(&b->q, on);
}
