/*
 * VMBus ring buffer: the control page at the start of each direction's ring
 * and the packets that travel through it.
 *
 * Sources (facts only): Linux include/linux/hyperv.h (struct hv_ring_buffer,
 * vmpacket_descriptor), mu_msvm MsvmPkg/Include/Vmbus/VmbusPacketFormat.h
 * (VMPACKET_DESCRIPTOR, VMTRANSFER_PAGE_PACKET_HEADER), FreeBSD
 * sys/dev/hyperv/include/vmbus.h and vmbus_reg.h, OpenVMM
 * vm/devices/vmbus/vmbus_ring.
 *
 * A channel has two rings in one GPADL: guest-to-host ("outbound" for the
 * guest) first, host-to-guest after it.  Each is a 4 KiB control page then a
 * data area whose size is a multiple of 4 KiB.  Indices are byte offsets into
 * the data area, always multiples of 8.
 */
#ifndef PROTO_RING_H
#define PROTO_RING_H

#include <stddef.h>
#include <stdint.h>

#include "proto/hv.h"

#define VMBUS_RING_FEATURE_PENDING_SEND_SZ 0x1u /* feature_bits bit 0 */

/*
 * HV_RING_BUFFER control page.  write_index and pending_send_sz are written
 * only by the ring's writer; read_index and interrupt_mask only by its
 * reader; feature_bits by whoever sets the ring up (the guest).
 */
struct vmbus_ring_ctrl {
    uint32_t write_index;     /* +0x00 bytes into data, writer */
    uint32_t read_index;      /* +0x04 bytes into data, reader */
    uint32_t interrupt_mask;  /* +0x08 reader: 1 = don't signal me */
    uint32_t pending_send_sz; /* +0x0C writer: bytes it waits for, 0 none */
    uint32_t reserved1[12];   /* +0x10 */
    uint32_t feature_bits;    /* +0x40 VMBUS_RING_FEATURE_* */
    uint8_t reserved2[HV_PAGE_SIZE - 0x44];
};
_Static_assert(sizeof(struct vmbus_ring_ctrl) == HV_PAGE_SIZE, "ring ctrl");
_Static_assert(offsetof(struct vmbus_ring_ctrl, pending_send_sz) == 12,
               "pending_send_sz");
_Static_assert(offsetof(struct vmbus_ring_ctrl, feature_bits) == 64,
               "feature_bits");

/* Packet types (VMBUS_PACKET_TYPE). */
#define VMBUS_PKT_INVALID 0u
#define VMBUS_PKT_DATA_INBAND 6u
#define VMBUS_PKT_DATA_TRANSFER_PAGES 7u
#define VMBUS_PKT_DATA_GPADL 8u
#define VMBUS_PKT_DATA_GPA_DIRECT 9u
#define VMBUS_PKT_CANCEL_REQUEST 10u
#define VMBUS_PKT_COMPLETION 11u

#define VMBUS_PKT_FLAG_COMPLETION_REQUESTED 0x0001u

/*
 * VMPACKET_DESCRIPTOR, the first 16 bytes of every packet.  The packet is
 * len8 * 8 bytes (payload padded to 8) followed by an 8-byte trailer whose
 * upper 32 bits hold the write index at which the packet started.
 */
struct vmbus_pkt_desc {
    uint16_t type;     /* +0x00 VMBUS_PKT_* */
    uint16_t offset8;  /* +0x02 payload offset from packet start, 8 bytes */
    uint16_t len8;     /* +0x04 packet length without trailer, 8 bytes */
    uint16_t flags;    /* +0x06 VMBUS_PKT_FLAG_* */
    uint64_t trans_id; /* +0x08 echoed in the completion */
};
_Static_assert(sizeof(struct vmbus_pkt_desc) == 16, "packet descriptor");
#define VMBUS_PKT_TRAILER_BYTES 8u
#define VMBUS_PKT_MIN_OFFSET8 2u /* payload never starts inside the desc */

/*
 * GPA-direct packet header (VMBUS_PKT_DATA_GPA_DIRECT): descriptor, range
 * count, then range_count struct vmbus_gpa_range headers each followed by its
 * PFNs (see proto/vmbus.h); the payload follows at offset8 * 8.
 */
struct vmbus_pkt_gpa_direct {
    struct vmbus_pkt_desc desc; /* +0x00 */
    uint32_t reserved;          /* +0x10 */
    uint32_t range_count;       /* +0x14 */
    /* ranges at +0x18 */
};
_Static_assert(sizeof(struct vmbus_pkt_gpa_direct) == 24, "GPA direct");

/*
 * VMTRANSFER_PAGE_PACKET_HEADER (VMBUS_PKT_DATA_TRANSFER_PAGES): ranges
 * {byte_count, byte_offset} into the transfer page set start at +0x18.
 */
struct vmbus_pkt_xfer_pages {
    struct vmbus_pkt_desc desc; /* +0x00 */
    uint16_t xfer_pageset_id;   /* +0x10 */
    uint8_t sender_owns_set;    /* +0x12 */
    uint8_t reserved;           /* +0x13 */
    uint32_t range_count;       /* +0x14 */
};
_Static_assert(sizeof(struct vmbus_pkt_xfer_pages) == 24, "transfer pages");
struct vmbus_xfer_range {
    uint32_t byte_count;  /* +0x00 */
    uint32_t byte_offset; /* +0x04 into the transfer page set */
};
_Static_assert(sizeof(struct vmbus_xfer_range) == 8, "transfer range");

#endif /* PROTO_RING_H */
