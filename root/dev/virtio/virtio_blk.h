/*
 * virtio-blk (Virtio 1.2, 5.2) as a storvsp backend: many requests in
 * flight on one queue (indirect descriptors when offered, so each takes
 * one ring slot), adjacent buffer pieces merged, a WRITE completed only
 * when the device returned it, FLUSH for SYNCHRONIZE CACHE (and after a
 * FUA write) when the device has a volatile cache (VIRTIO_BLK_F_FLUSH);
 * without it writes are already durable and a flush completes at once.
 * storvsp's UNMAP is WRITE_ZEROES with the unmap flag (VIRTIO_BLK_F_
 * WRITE_ZEROES): the blocks read as zeros afterwards, as storvsp promises,
 * and the host may deallocate them (QEMU punches a hole in the image with
 * -drive discard=unmap).  A range longer than the device's limit is sent
 * as consecutive requests and completed once.  Without the feature storvsp
 * gets no unmap operation and refuses UNMAP.
 *
 * Requests are handed over at once and the doorbell rung once per batch,
 * from vblk_poll(), which the root's run loop calls before each entry into
 * the child; vblk_poll() also takes completions.  Requests beyond the
 * queue wait in a FIFO.  Device answers are validated (virtq.c): an
 * unknown id is ignored and counted, a bad length fails that request.
 */
#ifndef ROOT_DEV_VIRTIO_VIRTIO_BLK_H
#define ROOT_DEV_VIRTIO_VIRTIO_BLK_H

#include <stdint.h>

#include "root/dev/pci/pci.h"
#include "root/vsp/storvsp/storvsp.h"

/* Virtio 1.2 5.2.3 feature bits, 5.2.6 request types and status. */
#define VIRTIO_BLK_F_SIZE_MAX 1u
#define VIRTIO_BLK_F_SEG_MAX 2u
#define VIRTIO_BLK_F_RO 5u
#define VIRTIO_BLK_F_FLUSH 9u
#define VIRTIO_BLK_F_WRITE_ZEROES 14u
#define VIRTIO_BLK_T_IN 0u
#define VIRTIO_BLK_T_OUT 1u
#define VIRTIO_BLK_T_FLUSH 4u
#define VIRTIO_BLK_T_WRITE_ZEROES 13u
#define VIRTIO_BLK_S_OK 0u

/* struct virtio_blk_req's header, device-readable. */
struct virtio_blk_outhdr {
    uint32_t type;     /* +0x0 VIRTIO_BLK_T_* */
    uint32_t reserved; /* +0x4 */
    uint64_t sector;   /* +0x8 in 512-byte units */
};
_Static_assert(sizeof(struct virtio_blk_outhdr) == 16, "virtio_blk_outhdr");

/* The data of a WRITE_ZEROES request (5.2.6), device-readable. */
struct virtio_blk_write_zeroes {
    uint64_t sector;      /* +0x0 */
    uint32_t num_sectors; /* +0x8 */
    uint32_t flags;       /* +0xC VIRTIO_BLK_WZ_UNMAP */
};
_Static_assert(sizeof(struct virtio_blk_write_zeroes) == 16,
               "virtio_blk_write_zeroes");
#define VIRTIO_BLK_WZ_UNMAP 1u

/* Device configuration (5.2.4), byte offsets. */
#define VIRTIO_BLK_CFG_CAPACITY 0x00u       /* le64 sectors */
#define VIRTIO_BLK_CFG_SEG_MAX 0x0Cu        /* le32 */
#define VIRTIO_BLK_CFG_MAX_WZ_SECTORS 0x30u /* le32 */

struct vblk;

struct vblk_stats {
    uint64_t reads, writes, flushes, unmaps, errors;
    uint64_t bytes_read, bytes_written;
    uint64_t kicks, bad_used; /* doorbells rung; invalid used entries */
    uint32_t in_flight, max_in_flight, waiting;
};

/*
 * Claims the virtio-blk function d (reset, features, one queue, MSI-X to
 * vector when vector >= 0).  Returns 0 and *out, -ENODEV, -ENOMEM.
 * *irq is set to whether completions raise the vector (else poll).
 */
int vblk_create(struct pci_dev *d, int vector, struct vblk **out, bool *irq);

/* Takes completions, starts waiting requests, rings the doorbell. */
void vblk_poll(struct vblk *b);

/* storvsp's backend over b (ctx = b): unmap only with WRITE_ZEROES. */
const struct storvsp_backend_ops *vblk_storvsp_ops(const struct vblk *b);

uint64_t vblk_capacity(const struct vblk *b); /* 512-byte sectors */

/*
 * Direct use without storvsp (the root's own benchmark): completions go
 * to done instead of storvsp_io_done (NULL restores it), and
 * vblk_submit() takes a READ, WRITE, FLUSH or UNMAP with the contract of the
 * backend ops (0 and one done() call later, or a negative errno).
 */
void vblk_set_done(struct vblk *b, void (*done)(struct storvsp_io *, int));
int vblk_submit(struct vblk *b, struct storvsp_io *io);
/* Whether completions raise the root vector (MSI-X). */
bool vblk_has_irq(const struct vblk *b);
/* Asks the device for completion interrupts (on) or not (a hint). */
void vblk_set_irq(struct vblk *b, bool on);
const struct vblk_stats *vblk_get_stats(const struct vblk *b);

#endif /* ROOT_DEV_VIRTIO_VIRTIO_BLK_H */
