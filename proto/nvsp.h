/*
 * NVSP: the Network Virtualization Service Protocol spoken on a network
 * VMBus channel (class VMBUS_CLASS_NETWORK) between netvsc (guest) and
 * netvsp (root).  It negotiates a version, hands the host a receive buffer
 * and a send buffer (GPADLs), and carries RNDIS messages (proto/rndis.h).
 *
 * Sources (facts only): Hyper-V's UEFI firmware (microsoft/mu_msvm
 * MsvmPkg/NetvscDxe, NVSP_MESSAGE_*), OpenVMM vm/devices/net/netvsp
 * (protocol module), Linux drivers/net/hyperv/hyperv_net.h, OpenBSD
 * sys/dev/pv/if_hvnreg.h, FreeBSD sys/dev/hyperv/netvsc/if_hnreg.h.
 *
 * Framing: every NVSP message is the payload of one in-band VMBus packet
 * (VMBUS_PKT_DATA_INBAND) and starts with a u32 message type.  The
 * Microsoft original is a packed union, so the message length on the wire
 * is the size of the whole union, not of the message sent:
 *   - Hyper-V and OpenVMM hosts send 28 bytes below NVSP 6.1 and 40 from
 *     6.1 (NVSP_MSG_SIZE_V1 / NVSP_MSG_SIZE_V61);
 *   - Linux guests always send 40; mu_msvm defines 32; OpenBSD sends 32.
 * The ring pads every payload to 8 bytes, so a 28-byte message arrives as
 * 32 and the receiver cannot tell the difference.
 * A receiver accepts any length that covers the fields it reads
 * (nvsp_*_MIN below); a sender pads to the size for the agreed version.
 * A host never answers a message shorter than it expects.
 *
 * Direction tags: REQ guest -> root, RESP root -> guest answer, NOTE
 * unsolicited, DATA either way.  Fields are little-endian; every field here
 * falls on its natural alignment except NDIS_CONFIG's 64-bit capability
 * word (offset 12), which is split into two u32 halves.
 */
#ifndef PROTO_NVSP_H
#define PROTO_NVSP_H

#include <stddef.h>
#include <stdint.h>

/* Protocol version words (NVSP_PROTOCOL_VERSION_*). */
#define NVSP_VERSION_1 0x00002u
#define NVSP_VERSION_2 0x30002u
#define NVSP_VERSION_4 0x40000u
#define NVSP_VERSION_5 0x50000u
#define NVSP_VERSION_6 0x60000u
#define NVSP_VERSION_61 0x60001u

/* Message lengths on the wire (see the framing note above). */
#define NVSP_MSG_SIZE_V1 28u  /* hosts, versions below 6.1 */
#define NVSP_MSG_SIZE_V61 40u /* hosts from 6.1; Linux always */
#define NVSP_MSG_SIZE_MAX 40u /* the largest message we build */

/* NDIS version the guest announces with NVSP_MSG1_SEND_NDIS_VERSION. */
#define NVSP_NDIS_VERSION_6_1 0x00060001u  /* NVSP < 5 */
#define NVSP_NDIS_VERSION_6_30 0x0006001eu /* NVSP >= 5 */

/* Message types (NVSP_MESSAGE_TYPE). */
#define NVSP_MSG_NONE 0u
#define NVSP_MSG_INIT 1u          /* REQ */
#define NVSP_MSG_INIT_COMPLETE 2u /* RESP */
/* Version 1 */
#define NVSP_MSG1_SEND_NDIS_VERSION 100u       /* REQ, no answer */
#define NVSP_MSG1_SEND_RECV_BUF 101u           /* REQ */
#define NVSP_MSG1_SEND_RECV_BUF_COMPLETE 102u  /* RESP */
#define NVSP_MSG1_REVOKE_RECV_BUF 103u         /* REQ, no answer */
#define NVSP_MSG1_SEND_SEND_BUF 104u           /* REQ */
#define NVSP_MSG1_SEND_SEND_BUF_COMPLETE 105u  /* RESP */
#define NVSP_MSG1_REVOKE_SEND_BUF 106u         /* REQ, no answer */
#define NVSP_MSG1_SEND_RNDIS_PKT 107u          /* DATA, either way */
#define NVSP_MSG1_SEND_RNDIS_PKT_COMPLETE 108u /* completion of 107 */
/* Version 2 (chimney and VMQ messages 109..124, 126, 127 are not used) */
#define NVSP_MSG2_SEND_NDIS_CONFIG 125u /* REQ, no answer */
/* Version 4 */
#define NVSP_MSG4_SEND_VF_ASSOCIATION 128u  /* NOTE */
#define NVSP_MSG4_SWITCH_DATA_PATH 129u     /* REQ */
#define NVSP_MSG4_UPLINK_CONNECT_STATE 130u /* deprecated */
/* Version 5 */
#define NVSP_MSG5_OID_QUERY_EX 131u
#define NVSP_MSG5_OID_QUERY_EX_COMPLETE 132u
#define NVSP_MSG5_SUBCHANNEL 133u             /* REQ and its RESP */
#define NVSP_MSG5_SEND_INDIRECTION_TABLE 134u /* NOTE */
/* Version 6 */
#define NVSP_MSG6_PD_API 135u
#define NVSP_MSG6_PD_POST_BATCH 136u
#define NVSP_MSG_TYPE_LIMIT 137u /* one past the highest type */

/* Status values (NVSP_STATUS). */
#define NVSP_STATUS_NONE 0u
#define NVSP_STATUS_SUCCESS 1u
#define NVSP_STATUS_FAILURE 2u
#define NVSP_STATUS_PROTOCOL_TOO_NEW 3u /* deprecated (mu_msvm) */
#define NVSP_STATUS_PROTOCOL_TOO_OLD 4u /* deprecated (mu_msvm) */
#define NVSP_STATUS_INVALID_RNDIS_PACKET 5u
#define NVSP_STATUS_BUSY 6u
#define NVSP_STATUS_PROTOCOL_UNSUPPORTED 7u

/* Buffer ids the guest chooses for its receive and send buffers; any u16
 * works, the host echoes the receive id as the transfer-page set id. */
#define NVSP_RECV_BUF_ID 0xcafeu
#define NVSP_SEND_BUF_ID 0u

/* Most ranges (frames) a host puts in one transfer-page packet. */
#define NVSP_MAX_PACKETS_PER_RECEIVE 375u

/* send_buf_section_index when the data travels outside the send buffer. */
#define NVSP_SECTION_INDEX_NONE 0xffffffffu

/* NVSP_MESSAGE_HEADER */
struct nvsp_hdr {
    uint32_t type; /* +0x00 NVSP_MSG_* */
};
_Static_assert(sizeof(struct nvsp_hdr) == 4, "NVSP header");

/* NVSP_MESSAGE_INIT (1, REQ): the guest offers one version (min = max). */
struct nvsp_msg_init {
    uint32_t type;        /* +0x00 NVSP_MSG_INIT */
    uint32_t min_version; /* +0x04 NVSP_VERSION_* */
    uint32_t max_version; /* +0x08 */
};
_Static_assert(sizeof(struct nvsp_msg_init) == 12, "init");

/* NVSP_MESSAGE_INIT_COMPLETE (2, RESP). */
struct nvsp_msg_init_complete {
    uint32_t type;              /* +0x00 NVSP_MSG_INIT_COMPLETE */
    uint32_t negotiated;        /* +0x04 deprecated, may be 0 */
    uint32_t max_mdl_chain_len; /* +0x08 */
    uint32_t status;            /* +0x0C NVSP_STATUS_* */
};
_Static_assert(sizeof(struct nvsp_msg_init_complete) == 16, "init complete");

/* NVSP_1_MESSAGE_SEND_NDIS_VERSION (100, REQ, no answer). */
struct nvsp_msg_ndis_version {
    uint32_t type;       /* +0x00 NVSP_MSG1_SEND_NDIS_VERSION */
    uint32_t ndis_major; /* +0x04 6 */
    uint32_t ndis_minor; /* +0x08 1 or 30 */
};
_Static_assert(sizeof(struct nvsp_msg_ndis_version) == 12, "NDIS version");

/*
 * NVSP_1_MESSAGE_SEND_RECEIVE_BUFFER (101, REQ) and
 * NVSP_1_MESSAGE_SEND_SEND_BUFFER (104, REQ): hand a GPADL to the host.
 */
struct nvsp_msg_send_buf {
    uint32_t type;  /* +0x00 NVSP_MSG1_SEND_RECV_BUF or _SEND_SEND_BUF */
    uint32_t gpadl; /* +0x04 GPADL handle of the whole buffer */
    uint16_t id;    /* +0x08 NVSP_RECV_BUF_ID / NVSP_SEND_BUF_ID */
    uint16_t pad;   /* +0x0A */
};
_Static_assert(sizeof(struct nvsp_msg_send_buf) == 12, "send buffer");
_Static_assert(offsetof(struct nvsp_msg_send_buf, id) == 8, "buffer id");

/* NVSP_1_RECEIVE_BUFFER_SECTION: the host cuts the receive buffer into
 * sections of num_sub_allocs slots of sub_alloc_size bytes each.  Byte
 * offsets into the receive buffer. */
struct nvsp_recv_section {
    uint32_t offset;         /* +0x00 start */
    uint32_t sub_alloc_size; /* +0x04 slot size, bytes */
    uint32_t num_sub_allocs; /* +0x08 slot count */
    uint32_t end_offset;     /* +0x0C end, exclusive */
};
_Static_assert(sizeof(struct nvsp_recv_section) == 16, "recv section");

/*
 * NVSP_1_MESSAGE_SEND_RECEIVE_BUFFER_COMPLETE (102, RESP).  num_sections
 * sections follow at offset 12; hosts send exactly one, which is what a
 * 28-byte message holds.
 */
struct nvsp_msg_recv_buf_complete {
    uint32_t type;         /* +0x00 NVSP_MSG1_SEND_RECV_BUF_COMPLETE */
    uint32_t status;       /* +0x04 NVSP_STATUS_* */
    uint32_t num_sections; /* +0x08 */
    struct nvsp_recv_section section0; /* +0x0C first section */
};
_Static_assert(sizeof(struct nvsp_msg_recv_buf_complete) == 28,
               "recv buffer complete");
_Static_assert(offsetof(struct nvsp_msg_recv_buf_complete, section0) == 12,
               "first section");

/* NVSP_1_MESSAGE_SEND_SEND_BUFFER_COMPLETE (105, RESP). */
struct nvsp_msg_send_buf_complete {
    uint32_t type;         /* +0x00 NVSP_MSG1_SEND_SEND_BUF_COMPLETE */
    uint32_t status;       /* +0x04 NVSP_STATUS_* */
    uint32_t section_size; /* +0x08 bytes per send section, host's choice */
};
_Static_assert(sizeof(struct nvsp_msg_send_buf_complete) == 12,
               "send buffer complete");

/* NVSP_1_MESSAGE_REVOKE_RECEIVE_BUFFER (103) / _SEND_BUFFER (106), REQ. */
struct nvsp_msg_revoke_buf {
    uint32_t type; /* +0x00 NVSP_MSG1_REVOKE_RECV_BUF or _REVOKE_SEND_BUF */
    uint16_t id;   /* +0x04 the id given when the buffer was sent */
    uint16_t pad;  /* +0x06 */
};
_Static_assert(sizeof(struct nvsp_msg_revoke_buf) == 8, "revoke buffer");

/*
 * NVSP_1_MESSAGE_SEND_RNDIS_PACKET (107, DATA).  The RNDIS message itself
 * is either in send section send_buf_section_index (guest to host), in
 * the pages of a GPA-direct packet (section index NVSP_SECTION_INDEX_NONE),
 * or, host to guest, in the transfer-page ranges of the packet carrying
 * this message.
 */
#define NVSP_RNDIS_CHANNEL_DATA 0u
#define NVSP_RNDIS_CHANNEL_CONTROL 1u
struct nvsp_msg_rndis_pkt {
    uint32_t type;                   /* +0x00 NVSP_MSG1_SEND_RNDIS_PKT */
    uint32_t channel_type;           /* +0x04 NVSP_RNDIS_CHANNEL_* */
    uint32_t send_buf_section_index; /* +0x08 or NVSP_SECTION_INDEX_NONE */
    uint32_t send_buf_section_size;  /* +0x0C bytes used, 0 if none */
};
_Static_assert(sizeof(struct nvsp_msg_rndis_pkt) == 16, "RNDIS packet");

/* NVSP_1_MESSAGE_SEND_RNDIS_PACKET_COMPLETE (108): payload of the
 * completion packet answering a 107. */
struct nvsp_msg_rndis_pkt_complete {
    uint32_t type;   /* +0x00 NVSP_MSG1_SEND_RNDIS_PKT_COMPLETE */
    uint32_t status; /* +0x04 NVSP_STATUS_* */
};
_Static_assert(sizeof(struct nvsp_msg_rndis_pkt_complete) == 8,
               "RNDIS packet complete");

/* NVSP_2_MESSAGE_SEND_NDIS_CONFIG (125, REQ, no answer; NVSP >= 2). */
#define NVSP_NDIS_CAP_VMQ 0x01u
#define NVSP_NDIS_CAP_CHIMNEY 0x02u
#define NVSP_NDIS_CAP_SRIOV 0x04u
#define NVSP_NDIS_CAP_IEEE8021Q 0x08u
#define NVSP_NDIS_CAP_CORRELATION_ID 0x10u
#define NVSP_NDIS_CAP_TEAMING 0x20u
#define NVSP_NDIS_CAP_VIRTUAL_SUBNET_ID 0x40u
struct nvsp_msg_ndis_config {
    uint32_t type;     /* +0x00 NVSP_MSG2_SEND_NDIS_CONFIG */
    uint32_t mtu;      /* +0x04 bytes, Ethernet payload */
    uint32_t reserved; /* +0x08 */
    uint32_t caps_lo;  /* +0x0C NVSP_NDIS_CAP_*, low half of a u64 */
    uint32_t caps_hi;  /* +0x10 high half */
};
_Static_assert(sizeof(struct nvsp_msg_ndis_config) == 20, "NDIS config");
_Static_assert(offsetof(struct nvsp_msg_ndis_config, caps_lo) == 12, "caps");

/* NVSP_4_MESSAGE_SEND_VF_ASSOCIATION (128, NOTE). */
struct nvsp_msg_vf_association {
    uint32_t type;      /* +0x00 NVSP_MSG4_SEND_VF_ASSOCIATION */
    uint32_t allocated; /* +0x04 1: serial is valid */
    uint32_t serial;    /* +0x08 serial of the VF to team with */
};
_Static_assert(sizeof(struct nvsp_msg_vf_association) == 12, "VF assoc");

/* NVSP_4_MESSAGE_SWITCH_DATA_PATH (129, REQ). */
#define NVSP_DATAPATH_SYNTHETIC 0u
#define NVSP_DATAPATH_VF 1u
struct nvsp_msg_switch_datapath {
    uint32_t type;            /* +0x00 NVSP_MSG4_SWITCH_DATA_PATH */
    uint32_t active_datapath; /* +0x04 NVSP_DATAPATH_* */
};
_Static_assert(sizeof(struct nvsp_msg_switch_datapath) == 8, "datapath");

/* NVSP_5_MESSAGE_SUBCHANNEL request (133, REQ) and completion (133, RESP):
 * same type, different bodies. */
#define NVSP_SUBCHANNEL_ALLOCATE 1u
struct nvsp_msg_subchannel_req {
    uint32_t type;            /* +0x00 NVSP_MSG5_SUBCHANNEL */
    uint32_t op;              /* +0x04 NVSP_SUBCHANNEL_ALLOCATE */
    uint32_t num_subchannels; /* +0x08 wanted */
};
_Static_assert(sizeof(struct nvsp_msg_subchannel_req) == 12, "subch req");
struct nvsp_msg_subchannel_complete {
    uint32_t type;            /* +0x00 NVSP_MSG5_SUBCHANNEL */
    uint32_t status;          /* +0x04 NVSP_STATUS_* */
    uint32_t num_subchannels; /* +0x08 granted */
};
_Static_assert(sizeof(struct nvsp_msg_subchannel_complete) == 12,
               "subch complete");

/* NVSP_5_MESSAGE_SEND_INDIRECTION_TABLE (134, NOTE): count u32 channel
 * numbers at byte `offset` from the start of this message. */
struct nvsp_msg_indirection_table {
    uint32_t type;   /* +0x00 NVSP_MSG5_SEND_INDIRECTION_TABLE */
    uint32_t count;  /* +0x04 entries */
    uint32_t offset; /* +0x08 bytes from the message start */
};
_Static_assert(sizeof(struct nvsp_msg_indirection_table) == 12, "indirection");

/* Every message we define fits both wire sizes. */
_Static_assert(sizeof(struct nvsp_msg_recv_buf_complete) <= NVSP_MSG_SIZE_V1,
               "largest v1 message fits 28 bytes");
_Static_assert(NVSP_MSG_SIZE_V1 <= NVSP_MSG_SIZE_V61, "sizes grow");

#endif /* PROTO_NVSP_H */
