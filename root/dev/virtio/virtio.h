/*
 * Virtio 1.x for the root: the modern PCI transport (Virtio 1.2, 4.1.4:
 * capabilities for the common, notify, ISR and device configuration
 * structures), feature negotiation, and split virtqueues (2.7) whose
 * descriptor tables and rings live in root memory.
 *
 * A driver (virtio_blk.c, virtio_net.c, or an input device) does:
 *   virtio_pci_probe()  -> the structures located, the device reset
 *   virtio_negotiate()  -> ACKNOWLEDGE, DRIVER, features, FEATURES_OK
 *   virtio_queue_setup() for each queue, then virtio_driver_ok()
 *   virtq_add*() / virtq_publish() / virtio_notify() to hand buffers over,
 *   virtq_next_used() from a root poller to take them back.
 * Interrupts: virtio_msix() routes every queue's MSI-X vector to one root
 * vector (pci_irq_alloc); its only job is to wake the root or make the
 * child exit, so the poller runs.  Without MSI-X the caller polls on a
 * short idle bound instead.
 *
 * The device is not trusted: used-ring ids and lengths are checked against
 * what the driver handed over (virtq_next_used returns -EIO otherwise).
 * Single-threaded: call from the root's run loop only.
 */
#ifndef ROOT_DEV_VIRTIO_VIRTIO_H
#define ROOT_DEV_VIRTIO_VIRTIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "root/dev/pci/pci.h"

#define VIRTIO_VENDOR 0x1AF4u
#define VIRTIO_ID_NET 1u
#define VIRTIO_ID_BLOCK 2u
#define VIRTIO_ID_INPUT 18u

/* Device status (2.1). */
#define VIRTIO_STATUS_ACK 1u
#define VIRTIO_STATUS_DRIVER 2u
#define VIRTIO_STATUS_DRIVER_OK 4u
#define VIRTIO_STATUS_FEATURES_OK 8u
#define VIRTIO_STATUS_NEEDS_RESET 64u
#define VIRTIO_STATUS_FAILED 128u

/* Transport feature bits (6). */
#define VIRTIO_F_INDIRECT_DESC 28u
#define VIRTIO_F_EVENT_IDX 29u
#define VIRTIO_F_VERSION_1 32u
#define VIRTIO_BIT(n) (1ull << (n))

/* PCI capability cfg_type values (4.1.4). */
#define VIRTIO_PCI_CAP_COMMON 1u
#define VIRTIO_PCI_CAP_NOTIFY 2u
#define VIRTIO_PCI_CAP_ISR 3u
#define VIRTIO_PCI_CAP_DEVICE 4u

/* struct virtio_pci_common_cfg (4.1.4.3), byte offsets. */
#define VIRTIO_COMMON_DFSELECT 0x00u /* le32 */
#define VIRTIO_COMMON_DF 0x04u       /* le32 */
#define VIRTIO_COMMON_GFSELECT 0x08u /* le32 */
#define VIRTIO_COMMON_GF 0x0Cu       /* le32 */
#define VIRTIO_COMMON_MSIX 0x10u     /* le16 config vector */
#define VIRTIO_COMMON_NUMQ 0x12u     /* le16 */
#define VIRTIO_COMMON_STATUS 0x14u   /* u8 */
#define VIRTIO_COMMON_CFGGEN 0x15u   /* u8 */
#define VIRTIO_COMMON_Q_SELECT 0x16u /* le16 */
#define VIRTIO_COMMON_Q_SIZE 0x18u   /* le16 */
#define VIRTIO_COMMON_Q_MSIX 0x1Au   /* le16 */
#define VIRTIO_COMMON_Q_ENABLE 0x1Cu /* le16 */
#define VIRTIO_COMMON_Q_NOFF 0x1Eu   /* le16 notify offset */
#define VIRTIO_COMMON_Q_DESC 0x20u   /* le64 */
#define VIRTIO_COMMON_Q_AVAIL 0x28u  /* le64 driver area */
#define VIRTIO_COMMON_Q_USED 0x30u   /* le64 device area */
#define VIRTIO_COMMON_LEN 0x38u
#define VIRTIO_NO_VECTOR 0xFFFFu

/* Split virtqueue layout (2.7): written by the driver unless noted. */
struct virtq_desc {
    uint64_t addr;  /* +0x0 physical */
    uint32_t len;   /* +0x8 bytes */
    uint16_t flags; /* +0xC VIRTQ_DESC_F_* */
    uint16_t next;  /* +0xE */
};
_Static_assert(sizeof(struct virtq_desc) == 16, "virtq_desc");
#define VIRTQ_DESC_F_NEXT 1u
#define VIRTQ_DESC_F_WRITE 2u /* device writes this buffer */
#define VIRTQ_DESC_F_INDIRECT 4u

struct virtq_avail {
    uint16_t flags; /* VIRTQ_AVAIL_F_* */
    uint16_t idx;
    uint16_t ring[]; /* then le16 used_event */
};
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1u

struct virtq_used_elem {
    uint32_t id;  /* head of the chain */
    uint32_t len; /* bytes the device wrote */
};
_Static_assert(sizeof(struct virtq_used_elem) == 8, "virtq_used_elem");

struct virtq_used { /* written by the device */
    uint16_t flags; /* VIRTQ_USED_F_* */
    uint16_t idx;
    struct virtq_used_elem ring[]; /* then le16 avail_event */
};
#define VIRTQ_USED_F_NO_NOTIFY 1u

#define VIRTQ_MAX_SIZE 1024u

/* One buffer of a chain handed to the device. */
struct virtq_buf {
    uint64_t addr; /* physical */
    uint32_t len;
    bool device_writes;
};

/* Driver-side state of one split virtqueue. */
struct virtq {
    uint16_t size;  /* power of two, <= VIRTQ_MAX_SIZE */
    uint16_t index; /* queue number on the device */
    struct virtq_desc *desc;
    struct virtq_avail *avail;
    volatile struct virtq_used *used;
    uint16_t free_head, nfree;
    uint16_t avail_idx; /* next avail slot (ours) */
    uint16_t last_used; /* next used entry to take */
    uint16_t published; /* avail->idx as last written */
    /* Shadow state the device cannot touch: chain length per head (0 =
     * not in flight), the next link of each descriptor, and the bytes
     * the device may write into each chain. */
    uint16_t *chain;
    uint16_t *next;
    uint32_t *writable;
    volatile uint16_t *notify; /* the queue's notify register */
};

/* Bytes of memory virtq_init needs for a queue of size entries (ring
 * area followed by the shadow arrays). */
size_t virtq_mem_bytes(uint16_t size);

/* Lays the queue out in mem (zeroed, 4 KiB-aligned, virtq_mem_bytes).
 * Returns 0 or -EINVAL (size not a power of two or too big). */
int virtq_init(struct virtq *q, uint16_t size, void *mem);

/* Physical addresses of the three areas, for the transport. */
uint64_t virtq_desc_pa(const struct virtq *q);
uint64_t virtq_avail_pa(const struct virtq *q);
uint64_t virtq_used_pa(const struct virtq *q);

/*
 * Adds a chain of n buffers (device-readable ones first by convention) to
 * the avail ring, not yet published.  Returns 0 and *head, -EINVAL (n 0
 * or above the queue size) or -ENOSPC (not enough free descriptors).
 */
int virtq_add(struct virtq *q, const struct virtq_buf *bufs, unsigned n,
              uint16_t *head);
/* The same with one descriptor pointing at an indirect table of n
 * entries (the caller filled it; writable = bytes the device may write). */
int virtq_add_indirect(struct virtq *q, uint64_t table_pa, unsigned n,
                       uint32_t writable, uint16_t *head);

/*
 * Makes added chains visible to the device (a write barrier orders the
 * descriptors and ring entries before the index).  Returns true when the
 * device wants a notification (chains were added and it did not set
 * VIRTQ_USED_F_NO_NOTIFY).
 */
bool virtq_publish(struct virtq *q);

/*
 * Takes the next used entry: 1 and *head, *len (the bytes written, never
 * above what the chain allows) when there is one; 0 when none.  -EIO when
 * the device returned an id that is not a chain in flight (*head is
 * VIRTQ_NO_HEAD, the entry is skipped) or a length beyond the chain's
 * writable bytes (*head is the chain, now freed: fail its request).
 */
#define VIRTQ_NO_HEAD 0xFFFFu
int virtq_next_used(struct virtq *q, uint16_t *head, uint32_t *len);

/* Chains in flight (added and not yet returned). */
unsigned virtq_in_flight(const struct virtq *q);

/* Suppresses (true) or asks for (false) used-buffer interrupts. */
void virtq_set_interrupts(struct virtq *q, bool on);

/* ---- the PCI transport ---- */

/* Where the structures are: bar and offset within it (4.1.4). */
struct virtio_pci_loc {
    uint8_t bar;
    uint32_t off, len;
};
struct virtio_pci_caps {
    struct virtio_pci_loc common, notify, isr, device;
    uint32_t notify_mult; /* notify_off_multiplier */
    bool has_common, has_notify, has_isr, has_device;
};
/* Walks the vendor capabilities of d.  Returns 0, or -ENODEV when the
 * common or notify structure is missing or malformed. */
int virtio_pci_parse_caps(const struct pci_dev *d, struct virtio_pci_caps *c);

/* The device type of a virtio PCI function (VIRTIO_ID_*), or 0. */
unsigned virtio_pci_type(const struct pci_dev *d);

struct virtio_dev {
    struct pci_dev *pci;
    volatile uint8_t *common, *isr, *device, *notify;
    uint32_t notify_mult, notify_len, device_len;
    uint64_t features; /* negotiated */
    int msix_entries;  /* > 0 when MSI-X routes to a root vector */
};

/*
 * Locates the structures (BARs must be below 4 GiB: moved there if the
 * firmware placed them high and a hole is given), enables memory decode
 * and bus mastering, and resets the device.  Returns 0, -ENODEV.
 */
int virtio_pci_probe(struct virtio_dev *vd, struct pci_dev *d);

/*
 * Negotiates: wanted & offered, plus VERSION_1 which is required.  Sets
 * FEATURES_OK and checks the device kept it.  Returns 0 (vd->features
 * set), -ENODEV (no VERSION_1, or features refused: the device is marked
 * FAILED).
 */
int virtio_negotiate(struct virtio_dev *vd, uint64_t wanted);

/* Routes all of the device's MSI-X entries to the root vector; queues set
 * up afterwards use entry 0.  Returns 0 or -ENODEV (no MSI-X: poll). */
int virtio_msix(struct virtio_dev *vd, uint8_t vector);

/*
 * Sets up queue idx with at most max_size entries (the device's size if
 * smaller), memory from root pages.  Returns 0, -ENOENT (no such queue),
 * -ENOMEM.
 */
int virtio_queue_setup(struct virtio_dev *vd, uint16_t idx, uint16_t max_size,
                       struct virtq *q);

/* DRIVER_OK: the device may now use the queues. */
void virtio_driver_ok(struct virtio_dev *vd);
/* Marks the device FAILED (a driver gives up on it). */
void virtio_fail(struct virtio_dev *vd);

/* Notifies the device of new buffers in q. */
void virtio_notify(struct virtio_dev *vd, const struct virtq *q);
/* Publishes q and notifies when the device wants it. */
void virtio_kick(struct virtio_dev *vd, struct virtq *q);

/* Device configuration reads (little-endian fields); off+size beyond the
 * structure read as 0.  Multi-byte values read under config_generation. */
uint8_t virtio_cfg8(const struct virtio_dev *vd, uint32_t off);
uint16_t virtio_cfg16(const struct virtio_dev *vd, uint32_t off);
uint32_t virtio_cfg32(const struct virtio_dev *vd, uint32_t off);
uint64_t virtio_cfg64(const struct virtio_dev *vd, uint32_t off);

#endif /* ROOT_DEV_VIRTIO_VIRTIO_H */
