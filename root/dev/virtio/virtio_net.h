/*
 * virtio-net (Virtio 1.2, 5.1) as a netvsp backend.  One receive and one
 * transmit queue; no offloads are negotiated (netvsp fills in checksums
 * itself), so every frame carries a zeroed 12-byte virtio_net_hdr and
 * fits one 2 KiB buffer.  Received frames go to netvsp_receive() and their
 * buffers straight back to the device; transmitted frames are copied into
 * a slot so the guest's send section is free when transmit returns.
 *
 * vnet_poll(), from the root's run loop before each entry into the child,
 * takes received frames and transmit completions and rings each doorbell
 * at most once: a burst of frames the guest sent in one exit is one
 * notification.  Used entries are validated (virtq.c); a frame shorter
 * than the header or an unknown id is dropped and counted.
 */
#ifndef ROOT_DEV_VIRTIO_VIRTIO_NET_H
#define ROOT_DEV_VIRTIO_VIRTIO_NET_H

#include <stdbool.h>
#include <stdint.h>

#include "root/dev/pci/pci.h"
#include "root/vsp/netvsp/netvsp.h"

#define VIRTIO_NET_F_MAC 5u
#define VIRTIO_NET_F_STATUS 16u
#define VIRTIO_NET_CFG_MAC 0x00u    /* u8[6] */
#define VIRTIO_NET_CFG_STATUS 0x06u /* le16, bit 0 link up */

/* struct virtio_net_hdr (5.1.6) with VERSION_1: 12 bytes. */
struct virtio_net_hdr {
    uint8_t flags;        /* +0x0 */
    uint8_t gso_type;     /* +0x1 */
    uint16_t hdr_len;     /* +0x2 */
    uint16_t gso_size;    /* +0x4 */
    uint16_t csum_start;  /* +0x6 */
    uint16_t csum_offset; /* +0x8 */
    uint16_t num_buffers; /* +0xA */
};
_Static_assert(sizeof(struct virtio_net_hdr) == 12, "virtio_net_hdr");

struct vnet;

struct vnet_stats {
    uint64_t rx_frames, rx_bytes, rx_dropped; /* dropped: netvsp refused */
    uint64_t tx_frames, tx_bytes, tx_full;    /* full: no transmit slot */
    uint64_t rx_kicks, tx_kicks, bad_used;
};

/*
 * Claims the virtio-net function d (MSI-X to vector when >= 0).  Returns
 * 0 and *out, -ENODEV, -ENOMEM.  *irq tells whether received frames raise
 * the vector (else poll).
 */
int vnet_create(struct pci_dev *d, int vector, struct vnet **out, bool *irq);

/* The MAC address (the device's, or a fixed local one). */
void vnet_mac(const struct vnet *n, uint8_t mac[6]);

/* Where received frames go (NULL: dropped). */
void vnet_attach(struct vnet *n, struct netvsp *vsp);

/* Asks the device for receive interrupts (on) or not (a hint); transmit
 * completions never interrupt. */
void vnet_set_irq(struct vnet *n, bool on);

/* Receives, reclaims transmit slots, rings doorbells. */
void vnet_poll(struct vnet *n);

/* netvsp's backend over a vnet (ctx = the vnet). */
extern const struct netvsp_backend_ops vnet_netvsp_ops;

const struct vnet_stats *vnet_get_stats(const struct vnet *n);

#endif /* ROOT_DEV_VIRTIO_VIRTIO_NET_H */
