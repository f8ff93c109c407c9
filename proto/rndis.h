/*
 * RNDIS (Remote NDIS) as Hyper-V uses it inside NVSP "send RNDIS packet"
 * messages (proto/nvsp.h): control messages (initialize, query, set,
 * reset, keepalive, halt, status indications) and data messages (one
 * Ethernet frame each, with per-packet info), plus the OIDs and NDIS status
 * values a netvsc guest and a netvsp host exchange.
 *
 * Sources (facts only): Microsoft's Remote NDIS specification, Hyper-V's
 * UEFI firmware (microsoft/mu_msvm MsvmPkg/NetvscDxe, Include), OpenVMM
 * vm/devices/net/netvsp (rndisprot), Linux include/linux/rndis.h and
 * drivers/net/hyperv/hyperv_net.h + rndis_filter.c, OpenBSD
 * sys/dev/pv/if_hvn.c, FreeBSD sys/dev/hyperv/netvsc.
 *
 * Layout rules:
 *   - every message starts with struct rndis_hdr {msg_type, msg_len};
 *     msg_len covers the whole message including the header;
 *   - every *_offset field inside a message counts bytes from the first
 *     byte AFTER the 8-byte header (RNDIS_OFFSET_BASE), i.e. from the
 *     request_id (control) or data_offset (packet) field;
 *   - per-packet info elements carry their own offset, from the start of
 *     the element.
 * Control messages are tagged REQ (guest -> host) or CMPLT (host ->
 * guest); INDICATE_STATUS is host -> guest; PACKET goes either way.
 */
#ifndef PROTO_RNDIS_H
#define PROTO_RNDIS_H

#include <stddef.h>
#include <stdint.h>

/* Offsets inside messages count from here (bytes from message start). */
#define RNDIS_OFFSET_BASE 8u

/* Message types (REMOTE_NDIS_*_MSG); completions set bit 31. */
#define RNDIS_MSG_PACKET 0x00000001u     /* data, either way */
#define RNDIS_MSG_INIT 0x00000002u       /* REQ */
#define RNDIS_MSG_HALT 0x00000003u       /* REQ, no completion */
#define RNDIS_MSG_QUERY 0x00000004u      /* REQ */
#define RNDIS_MSG_SET 0x00000005u        /* REQ */
#define RNDIS_MSG_RESET 0x00000006u      /* REQ */
#define RNDIS_MSG_INDICATE 0x00000007u   /* host -> guest status */
#define RNDIS_MSG_KEEPALIVE 0x00000008u  /* REQ (either way in the spec) */
#define RNDIS_MSG_COMPLETION 0x80000000u /* bit set in every *_CMPLT */
#define RNDIS_MSG_INIT_CMPLT 0x80000002u
#define RNDIS_MSG_QUERY_CMPLT 0x80000004u
#define RNDIS_MSG_SET_CMPLT 0x80000005u
#define RNDIS_MSG_RESET_CMPLT 0x80000006u
#define RNDIS_MSG_KEEPALIVE_CMPLT 0x80000008u

/* Protocol version in INITIALIZE (1.0) and limits. */
#define RNDIS_MAJOR_VERSION 1u
#define RNDIS_MINOR_VERSION 0u
#define RNDIS_DF_CONNECTIONLESS 0x00000001u /* device_flags */
#define RNDIS_MEDIUM_802_3 0x00000000u
#define RNDIS_PKT_ALIGNMENT_DEFAULT 3u /* pkt_alignment_factor: 2^3 bytes */

/* NDIS status values (NDIS_STATUS_*, RNDIS_STATUS_*). */
#define RNDIS_STATUS_SUCCESS 0x00000000u
#define RNDIS_STATUS_PENDING 0x00000103u
#define RNDIS_STATUS_MEDIA_CONNECT 0x4001000bu
#define RNDIS_STATUS_MEDIA_DISCONNECT 0x4001000cu
#define RNDIS_STATUS_LINK_SPEED_CHANGE 0x40010013u
#define RNDIS_STATUS_NETWORK_CHANGE 0x40010018u
#define RNDIS_STATUS_FAILURE 0xc0000001u
#define RNDIS_STATUS_RESOURCES 0xc000009au
#define RNDIS_STATUS_NOT_SUPPORTED 0xc00000bbu
#define RNDIS_STATUS_CLOSING 0xc0010002u
#define RNDIS_STATUS_INVALID_LENGTH 0xc0010014u
#define RNDIS_STATUS_INVALID_DATA 0xc0010015u
#define RNDIS_STATUS_BUFFER_TOO_SHORT 0xc0010016u
#define RNDIS_STATUS_INVALID_OID 0xc0010017u

/* OIDs: general (OID_GEN_*). */
#define RNDIS_OID_GEN_SUPPORTED_LIST 0x00010101u
#define RNDIS_OID_GEN_HARDWARE_STATUS 0x00010102u
#define RNDIS_OID_GEN_MEDIA_SUPPORTED 0x00010103u
#define RNDIS_OID_GEN_MEDIA_IN_USE 0x00010104u
#define RNDIS_OID_GEN_MAXIMUM_LOOKAHEAD 0x00010105u
#define RNDIS_OID_GEN_MAXIMUM_FRAME_SIZE 0x00010106u /* u32, no L2 header */
#define RNDIS_OID_GEN_LINK_SPEED 0x00010107u /* u32, units of 100 bit/s */
#define RNDIS_OID_GEN_TRANSMIT_BUFFER_SPACE 0x00010108u
#define RNDIS_OID_GEN_RECEIVE_BUFFER_SPACE 0x00010109u
#define RNDIS_OID_GEN_TRANSMIT_BLOCK_SIZE 0x0001010au
#define RNDIS_OID_GEN_RECEIVE_BLOCK_SIZE 0x0001010bu
#define RNDIS_OID_GEN_VENDOR_ID 0x0001010cu
#define RNDIS_OID_GEN_VENDOR_DESCRIPTION 0x0001010du
#define RNDIS_OID_GEN_CURRENT_PACKET_FILTER 0x0001010eu /* u32 */
#define RNDIS_OID_GEN_CURRENT_LOOKAHEAD 0x0001010fu
#define RNDIS_OID_GEN_DRIVER_VERSION 0x00010110u
#define RNDIS_OID_GEN_MAXIMUM_TOTAL_SIZE 0x00010111u
#define RNDIS_OID_GEN_PROTOCOL_OPTIONS 0x00010112u
#define RNDIS_OID_GEN_MAC_OPTIONS 0x00010113u
#define RNDIS_OID_GEN_MEDIA_CONNECT_STATUS 0x00010114u /* u32 RNDIS_MEDIA_* */
#define RNDIS_OID_GEN_MAXIMUM_SEND_PACKETS 0x00010115u
#define RNDIS_OID_GEN_VENDOR_DRIVER_VERSION 0x00010116u
#define RNDIS_OID_GEN_PHYSICAL_MEDIUM 0x00010202u
#define RNDIS_OID_GEN_RECEIVE_SCALE_CAPABILITIES 0x00010203u
#define RNDIS_OID_GEN_RECEIVE_SCALE_PARAMETERS 0x00010204u
#define RNDIS_OID_GEN_RNDIS_CONFIG_PARAMETER 0x0001021bu /* set only */
#define RNDIS_OID_GEN_XMIT_OK 0x00020101u
#define RNDIS_OID_GEN_RCV_OK 0x00020102u
#define RNDIS_OID_GEN_XMIT_ERROR 0x00020103u
#define RNDIS_OID_GEN_RCV_ERROR 0x00020104u
#define RNDIS_OID_GEN_RCV_NO_BUFFER 0x00020105u
/* OIDs: Ethernet (OID_802_3_*). */
#define RNDIS_OID_802_3_PERMANENT_ADDRESS 0x01010101u /* 6 bytes */
#define RNDIS_OID_802_3_CURRENT_ADDRESS 0x01010102u   /* 6 bytes */
#define RNDIS_OID_802_3_MULTICAST_LIST 0x01010103u
#define RNDIS_OID_802_3_MAXIMUM_LIST_SIZE 0x01010104u
#define RNDIS_OID_802_3_MAC_OPTIONS 0x01010105u
#define RNDIS_OID_802_3_RCV_ERROR_ALIGNMENT 0x01020101u
#define RNDIS_OID_802_3_XMIT_ONE_COLLISION 0x01020102u
#define RNDIS_OID_802_3_XMIT_MORE_COLLISIONS 0x01020103u
/* OIDs: NDIS 6 offload. */
#define RNDIS_OID_OFFLOAD_ENCAPSULATION 0x0101010au
#define RNDIS_OID_TCP_OFFLOAD_CURRENT_CONFIG 0xfc01020bu
#define RNDIS_OID_TCP_OFFLOAD_PARAMETERS 0xfc01020cu            /* set */
#define RNDIS_OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES 0xfc01020du /* query */
#define RNDIS_OID_TCP_CONNECTION_OFFLOAD_CURRENT_CONFIG 0xfc01020eu
#define RNDIS_OID_TCP_CONNECTION_OFFLOAD_HARDWARE_CAPABILITIES 0xfc01020fu

/* OID_GEN_MEDIA_CONNECT_STATUS values. */
#define RNDIS_MEDIA_STATE_CONNECTED 0u
#define RNDIS_MEDIA_STATE_DISCONNECTED 1u

/* OID_GEN_CURRENT_PACKET_FILTER bits (NDIS_PACKET_TYPE_*). */
#define RNDIS_FILTER_DIRECTED 0x00000001u
#define RNDIS_FILTER_MULTICAST 0x00000002u
#define RNDIS_FILTER_ALL_MULTICAST 0x00000004u
#define RNDIS_FILTER_BROADCAST 0x00000008u
#define RNDIS_FILTER_SOURCE_ROUTING 0x00000010u
#define RNDIS_FILTER_PROMISCUOUS 0x00000020u
#define RNDIS_FILTER_SMT 0x00000040u
#define RNDIS_FILTER_ALL_LOCAL 0x00000080u
#define RNDIS_FILTER_GROUP 0x00001000u
#define RNDIS_FILTER_ALL_FUNCTIONAL 0x00002000u
#define RNDIS_FILTER_FUNCTIONAL 0x00004000u
#define RNDIS_FILTER_MAC_FRAME 0x00008000u

/* REMOTE_NDIS_MESSAGE header. */
struct rndis_hdr {
    uint32_t msg_type; /* +0x00 RNDIS_MSG_* */
    uint32_t msg_len;  /* +0x04 bytes, header included */
};
_Static_assert(sizeof(struct rndis_hdr) == RNDIS_OFFSET_BASE, "header");

/*
 * REMOTE_NDIS_PACKET_MSG (1): one frame of data_len bytes at data_offset;
 * per-packet info elements (struct rndis_ppi) fill per_pkt_info_len bytes
 * at per_pkt_info_offset.  Both offsets count from RNDIS_OFFSET_BASE.
 * OOB data is obsolete and must be 0.
 */
struct rndis_packet {
    struct rndis_hdr hdr;         /* +0x00 RNDIS_MSG_PACKET */
    uint32_t data_offset;         /* +0x08 from +0x08 */
    uint32_t data_len;            /* +0x0C frame bytes */
    uint32_t oob_data_offset;     /* +0x10 0 */
    uint32_t oob_data_len;        /* +0x14 0 */
    uint32_t num_oob_data_elems;  /* +0x18 0 */
    uint32_t per_pkt_info_offset; /* +0x1C from +0x08, 0 if none */
    uint32_t per_pkt_info_len;    /* +0x20 bytes of all elements */
    uint32_t vc_handle;           /* +0x24 0: connectionless */
    uint32_t reserved;            /* +0x28 */
};
_Static_assert(sizeof(struct rndis_packet) == 44, "packet message");
_Static_assert(offsetof(struct rndis_packet, per_pkt_info_offset) == 28,
               "ppi offset field");

/*
 * Per-packet info element (NDIS_PER_PACKET_INFO / PPI).  size covers the
 * element including this header and its data (a multiple of 4 in
 * practice); the data starts `offset` bytes from the element start.  Bit 31
 * of type marks Hyper-V internal types.
 */
struct rndis_ppi {
    uint32_t size;   /* +0x00 element bytes, header included */
    uint32_t type;   /* +0x04 RNDIS_PPI_* | RNDIS_PPI_INTERNAL */
    uint32_t offset; /* +0x08 data offset from the element start */
};
_Static_assert(sizeof(struct rndis_ppi) == 12, "PPI header");
#define RNDIS_PPI_INTERNAL 0x80000000u
/* NDIS_PER_PACKET_INFO types. */
#define RNDIS_PPI_TCPIP_CHECKSUM 0u /* u32 RNDIS_CSUM_* */
#define RNDIS_PPI_IPSEC 1u
#define RNDIS_PPI_TCP_LARGESEND 2u /* u32 RNDIS_LSO_* */
#define RNDIS_PPI_CLASSIFICATION_HANDLE 3u
#define RNDIS_PPI_NDIS_RESERVED 4u
#define RNDIS_PPI_SG_LIST 5u
#define RNDIS_PPI_IEEE_8021Q 6u /* u32 RNDIS_VLAN_* */
#define RNDIS_PPI_ORIGINAL 7u
#define RNDIS_PPI_PACKET_CANCEL_ID 8u
#define RNDIS_PPI_HASH_VALUE 8u /* same number, receive direction */
#define RNDIS_PPI_ORIGINAL_NET_BUFLIST 9u
#define RNDIS_PPI_HASH_INFO 9u /* same number, receive hash type */
#define RNDIS_PPI_CACHED_NET_BUFLIST 10u
#define RNDIS_PPI_SHORT_PKT_PADINFO 11u

/* TCPIP_CHECKSUM info, transmit (guest asks the host to fill in). */
#define RNDIS_CSUM_TX_IPV4 0x00000001u
#define RNDIS_CSUM_TX_IPV6 0x00000002u
#define RNDIS_CSUM_TX_TCP 0x00000004u
#define RNDIS_CSUM_TX_UDP 0x00000008u
#define RNDIS_CSUM_TX_IP_HEADER 0x00000010u
#define RNDIS_CSUM_TX_TCP_HDR_OFFSET_SHIFT 16 /* bits 16..25, bytes */
#define RNDIS_CSUM_TX_TCP_HDR_OFFSET_MASK 0x03ff0000u
/* TCPIP_CHECKSUM info, receive (host reports what it verified). */
#define RNDIS_CSUM_RX_TCP_FAILED 0x00000001u
#define RNDIS_CSUM_RX_UDP_FAILED 0x00000002u
#define RNDIS_CSUM_RX_IP_FAILED 0x00000004u
#define RNDIS_CSUM_RX_TCP_OK 0x00000008u
#define RNDIS_CSUM_RX_UDP_OK 0x00000010u
#define RNDIS_CSUM_RX_IP_OK 0x00000020u
#define RNDIS_CSUM_RX_LOOPBACK 0x00000040u

/* IEEE_8021Q info: priority bits 0..2, CFI bit 3, VLAN id bits 4..15. */
#define RNDIS_VLAN_PRIO_MASK 0x00000007u
#define RNDIS_VLAN_CFI 0x00000008u
#define RNDIS_VLAN_ID_SHIFT 4
#define RNDIS_VLAN_ID_MASK 0x0000fff0u

/* TCP_LARGESEND (LSO v2) info, transmit: MSS bits 0..19, TCP header
 * offset bits 20..29, type bit 30 (1 = LSO v2), IPv6 bit 31. */
#define RNDIS_LSO_MSS_MASK 0x000fffffu
#define RNDIS_LSO_TCP_HDR_OFFSET_SHIFT 20
#define RNDIS_LSO_TCP_HDR_OFFSET_MASK 0x3ff00000u
#define RNDIS_LSO_V2 0x40000000u
#define RNDIS_LSO_IPV6 0x80000000u

/* REMOTE_NDIS_INITIALIZE_MSG (2, REQ). */
struct rndis_init_req {
    struct rndis_hdr hdr;   /* +0x00 RNDIS_MSG_INIT */
    uint32_t request_id;    /* +0x08 echoed */
    uint32_t major_version; /* +0x0C RNDIS_MAJOR_VERSION */
    uint32_t minor_version; /* +0x10 RNDIS_MINOR_VERSION */
    uint32_t max_xfer_size; /* +0x14 largest message the guest accepts */
};
_Static_assert(sizeof(struct rndis_init_req) == 24, "init request");

/* REMOTE_NDIS_INITIALIZE_CMPLT (0x80000002). */
struct rndis_init_cmplt {
    struct rndis_hdr hdr;          /* +0x00 RNDIS_MSG_INIT_CMPLT */
    uint32_t request_id;           /* +0x08 */
    uint32_t status;               /* +0x0C RNDIS_STATUS_* */
    uint32_t major_version;        /* +0x10 */
    uint32_t minor_version;        /* +0x14 */
    uint32_t device_flags;         /* +0x18 RNDIS_DF_CONNECTIONLESS */
    uint32_t medium;               /* +0x1C RNDIS_MEDIUM_802_3 */
    uint32_t max_pkts_per_msg;     /* +0x20 data messages per transfer */
    uint32_t max_xfer_size;        /* +0x24 largest message the host takes */
    uint32_t pkt_alignment_factor; /* +0x28 log2 of the alignment */
    uint32_t af_list_offset;       /* +0x2C 0 (connection-oriented only) */
    uint32_t af_list_size;         /* +0x30 0 */
};
_Static_assert(sizeof(struct rndis_init_cmplt) == 52, "init complete");

/* REMOTE_NDIS_HALT_MSG (3, REQ, no completion). */
struct rndis_halt_req {
    struct rndis_hdr hdr; /* +0x00 RNDIS_MSG_HALT */
    uint32_t request_id;  /* +0x08 */
};
_Static_assert(sizeof(struct rndis_halt_req) == 12, "halt");

/*
 * REMOTE_NDIS_QUERY_MSG (4) and REMOTE_NDIS_SET_MSG (5), REQ.  A query may
 * carry an input buffer (usually none: len 0, offset 0); a set carries the
 * value.  info_buf_offset counts from RNDIS_OFFSET_BASE; in practice 20
 * (the buffer follows this struct).
 */
struct rndis_oid_req {
    struct rndis_hdr hdr;      /* +0x00 RNDIS_MSG_QUERY or RNDIS_MSG_SET */
    uint32_t request_id;       /* +0x08 */
    uint32_t oid;              /* +0x0C RNDIS_OID_* */
    uint32_t info_buf_len;     /* +0x10 bytes */
    uint32_t info_buf_offset;  /* +0x14 from +0x08 */
    uint32_t device_vc_handle; /* +0x18 0 */
};
_Static_assert(sizeof(struct rndis_oid_req) == 28, "query/set request");
#define RNDIS_OID_REQ_INFO_OFFSET                                              \
    ((uint32_t)sizeof(struct rndis_oid_req) - RNDIS_OFFSET_BASE) /* 20 */

/* REMOTE_NDIS_QUERY_CMPLT (0x80000004). */
struct rndis_query_cmplt {
    struct rndis_hdr hdr;     /* +0x00 RNDIS_MSG_QUERY_CMPLT */
    uint32_t request_id;      /* +0x08 */
    uint32_t status;          /* +0x0C RNDIS_STATUS_* */
    uint32_t info_buf_len;    /* +0x10 bytes */
    uint32_t info_buf_offset; /* +0x14 from +0x08; 0 when len is 0 */
};
_Static_assert(sizeof(struct rndis_query_cmplt) == 24, "query complete");
#define RNDIS_QUERY_CMPLT_INFO_OFFSET                                          \
    ((uint32_t)sizeof(struct rndis_query_cmplt) - RNDIS_OFFSET_BASE) /* 16 */

/* REMOTE_NDIS_SET_CMPLT (0x80000005) and REMOTE_NDIS_KEEPALIVE_CMPLT
 * (0x80000008): a request id and a status. */
struct rndis_status_cmplt {
    struct rndis_hdr hdr; /* +0x00 RNDIS_MSG_SET_CMPLT / _KEEPALIVE_CMPLT */
    uint32_t request_id;  /* +0x08 */
    uint32_t status;      /* +0x0C RNDIS_STATUS_* */
};
_Static_assert(sizeof(struct rndis_status_cmplt) == 16, "set complete");

/* REMOTE_NDIS_RESET_MSG (6, REQ): no request id, so at most one may be
 * outstanding. */
struct rndis_reset_req {
    struct rndis_hdr hdr; /* +0x00 RNDIS_MSG_RESET */
    uint32_t reserved;    /* +0x08 */
};
_Static_assert(sizeof(struct rndis_reset_req) == 12, "reset");

/* REMOTE_NDIS_RESET_CMPLT (0x80000006). */
struct rndis_reset_cmplt {
    struct rndis_hdr hdr;      /* +0x00 RNDIS_MSG_RESET_CMPLT */
    uint32_t status;           /* +0x08 RNDIS_STATUS_* */
    uint32_t addressing_reset; /* +0x0C 1: guest must resend filters */
};
_Static_assert(sizeof(struct rndis_reset_cmplt) == 16, "reset complete");

/* REMOTE_NDIS_INDICATE_STATUS_MSG (7, host -> guest). */
struct rndis_indicate {
    struct rndis_hdr hdr;       /* +0x00 RNDIS_MSG_INDICATE */
    uint32_t status;            /* +0x08 RNDIS_STATUS_MEDIA_* etc. */
    uint32_t status_buf_len;    /* +0x0C bytes */
    uint32_t status_buf_offset; /* +0x10 from +0x08; 0 when len is 0 */
};
_Static_assert(sizeof(struct rndis_indicate) == 20, "indicate status");

/* REMOTE_NDIS_KEEPALIVE_MSG (8, REQ). */
struct rndis_keepalive_req {
    struct rndis_hdr hdr; /* +0x00 RNDIS_MSG_KEEPALIVE */
    uint32_t request_id;  /* +0x08 */
};
_Static_assert(sizeof(struct rndis_keepalive_req) == 12, "keepalive");

/* NDIS_OBJECT_HEADER: leads the NDIS 6 structures some OIDs carry. */
#define RNDIS_NDIS_OBJECT_TYPE_DEFAULT 0x80u
#define RNDIS_NDIS_OBJECT_TYPE_RSS_CAPABILITIES 0x88u
#define RNDIS_NDIS_OBJECT_TYPE_RSS_PARAMETERS 0x89u
#define RNDIS_NDIS_OBJECT_TYPE_OFFLOAD 0xa7u
struct rndis_ndis_object_hdr {
    uint8_t type;     /* +0x00 RNDIS_NDIS_OBJECT_TYPE_* */
    uint8_t revision; /* +0x01 */
    uint16_t size;    /* +0x02 bytes of the whole object */
};
_Static_assert(sizeof(struct rndis_ndis_object_hdr) == 4, "NDIS object");

/*
 * NDIS_OFFLOAD (OID_TCP_OFFLOAD_HARDWARE_CAPABILITIES, query result).
 * Revision 1 (NDIS 6.0) ends where ipsecv2 starts (112 bytes), revision 2
 * (6.1) where rsc starts (156), revision 3 (6.30) is the whole struct
 * (168).  All capability words zero means "no offloads".  Natural
 * alignment gives the same offsets as the Linux and FreeBSD definitions.
 */
#define RNDIS_NDIS_OFFLOAD_REVISION_1 1u
#define RNDIS_NDIS_OFFLOAD_REVISION_2 2u
#define RNDIS_NDIS_OFFLOAD_REVISION_3 3u
#define RNDIS_NDIS_OFFLOAD_SIZE_6_0 112u
#define RNDIS_NDIS_OFFLOAD_SIZE_6_1 156u
#define RNDIS_NDIS_OFFLOAD_SIZE_6_30 168u
#define RNDIS_OFFLOAD_ENCAP_802_3 0x0002u
/* ip4_tx_csum / ip4_rx_csum capability bits (NDIS_TCP_IP_CHECKSUM_OFFLOAD);
 * Linux offloads TCP only when both TCP4 and TCP4OPT are set. */
#define RNDIS_CSUM_CAP_IP4OPT 0x001u
#define RNDIS_CSUM_CAP_TCP4OPT 0x004u
#define RNDIS_CSUM_CAP_TCP4 0x010u
#define RNDIS_CSUM_CAP_UDP4 0x040u
#define RNDIS_CSUM_CAP_IP4 0x100u
struct rndis_ndis_offload {
    struct rndis_ndis_object_hdr hdr; /* +0x00 type OFFLOAD */
    /* NDIS_TCP_IP_CHECKSUM_OFFLOAD: encapsulation + flags per direction */
    uint32_t ip4_tx_encap; /* +0x04 RNDIS_OFFLOAD_ENCAP_* */
    uint32_t ip4_tx_csum;  /* +0x08 */
    uint32_t ip4_rx_encap; /* +0x0C */
    uint32_t ip4_rx_csum;  /* +0x10 */
    uint32_t ip6_tx_encap; /* +0x14 */
    uint32_t ip6_tx_csum;  /* +0x18 */
    uint32_t ip6_rx_encap; /* +0x1C */
    uint32_t ip6_rx_csum;  /* +0x20 */
    uint32_t lsov1[4];     /* +0x24 encap, max size, min segments, opts */
    uint32_t ipsecv1[7];   /* +0x34 */
    uint32_t lsov2[7];     /* +0x50 ip4 encap/max/min, ip6 encap/max/min/opts */
    uint32_t flags;        /* +0x6C */
    uint32_t ipsecv2_encap;     /* +0x70 revision >= 2 */
    uint16_t ipsecv2_flags[11]; /* +0x74 */
    uint16_t pad;               /* +0x8A */
    uint32_t ipsecv2_more[4];   /* +0x8C */
    uint16_t rsc_ip4;           /* +0x9C revision 3 */
    uint16_t rsc_ip6;           /* +0x9E */
    uint32_t encap_flags;       /* +0xA0 */
    uint32_t encap_max_header;  /* +0xA4 */
};
_Static_assert(offsetof(struct rndis_ndis_offload, lsov2) == 0x50, "lsov2");
_Static_assert(offsetof(struct rndis_ndis_offload, ipsecv2_encap) ==
                   RNDIS_NDIS_OFFLOAD_SIZE_6_0,
               "NDIS 6.0 part");
_Static_assert(offsetof(struct rndis_ndis_offload, rsc_ip4) ==
                   RNDIS_NDIS_OFFLOAD_SIZE_6_1,
               "NDIS 6.1 part");
_Static_assert(sizeof(struct rndis_ndis_offload) ==
                   RNDIS_NDIS_OFFLOAD_SIZE_6_30,
               "NDIS_OFFLOAD");

#endif /* PROTO_RNDIS_H */
