/*
 * VSTOR: the storage protocol storvsc and storvsp speak over a VMBus
 * channel (the SCSI controller class, VMBUS_CLASS_SCSI in proto/vmbus.h).
 *
 * Sources (facts only): mu_msvm MsvmPkg/StorvscDxe/VstorageProtocol.h
 * (VSTOR_PACKET, VMSCSI_REQUEST, VMSTORAGE_CHANNEL_PROPERTIES,
 * VMSTORAGE_PROTOCOL_VERSION), OpenVMM vm/devices/storage/storvsp_protocol
 * (per-version lengths, NTSTATUS values), Linux drivers/scsi/storvsc_drv.c
 * and FreeBSD sys/dev/hyperv/storvsc/hv_vstorage.h (SRB status and flag
 * values, version list).
 *
 * Every message is one struct vstor_packet in an in-band packet (or, for
 * EXECUTE_SRB with data, a GPA-direct packet whose page ranges describe the
 * data buffer).  Its length depends on the negotiated version: 0x30 bytes
 * before Win8 (5.1), 0x40 from it; the difference is the Win8 tail of the
 * SRB and two more sense bytes.  Until QUERY_PROTOCOL_VERSION succeeds a
 * client sends the short form.  The host answers each request with a
 * COMPLETE_IO packet carrying the status (an NTSTATUS, 0 success).
 *
 * Handshake (client): BEGIN_INITIALIZATION, QUERY_PROTOCOL_VERSION (newest
 * first; the host answers REVISION_MISMATCH for one it lacks),
 * QUERY_PROPERTIES, END_INITIALIZATION; then EXECUTE_SRB.  The host may
 * send ENUMERATE_BUS (rescan: a disk came or went) and REMOVE_DEVICE
 * unprompted.
 *
 * Multi-channel (from Win8, 5.1): when QUERY_PROPERTIES' flags carry
 * VSTOR_PROP_MULTI_CHANNEL, the client may send CREATE_SUB_CHANNELS with
 * sub_channel_count (1..max_sub_channels) on the primary channel after
 * QUERY_PROPERTIES (Linux sends it after END_INITIALIZATION, OpenVMM takes
 * it before too); the host answers COMPLETE_IO and then offers that many
 * VMBus sub-channels (the primary's class and instance GUIDs,
 * sub_channel_index 1..N).  Each carries EXECUTE_SRB like the primary and
 * is answered on the channel a request came on.
 */
#ifndef PROTO_VSTOR_H
#define PROTO_VSTOR_H

#include <stddef.h>
#include <stdint.h>

/* Version word: major << 8 | minor (VMSTOR_PROTOCOL_VERSION). */
#define VSTOR_VERSION(major, minor) ((uint16_t)((major) << 8 | (minor)))
#define VSTOR_VERSION_WIN6 VSTOR_VERSION(2, 0) /* WS2008 */
#define VSTOR_VERSION_WIN7 VSTOR_VERSION(4, 2)
#define VSTOR_VERSION_WIN8 VSTOR_VERSION(5, 1)  /* long packets from here */
#define VSTOR_VERSION_WIN81 VSTOR_VERSION(6, 0) /* "Blue" */
#define VSTOR_VERSION_WIN10 VSTOR_VERSION(6, 2) /* "Threshold" */

/* Operations (VSTOR_PACKET_OPERATION); direction in brackets. */
#define VSTOR_OP_COMPLETE_IO 1u            /* RESP host: every reply */
#define VSTOR_OP_REMOVE_DEVICE 2u          /* NOTE host */
#define VSTOR_OP_EXECUTE_SRB 3u            /* REQ guest */
#define VSTOR_OP_RESET_LUN 4u              /* REQ guest */
#define VSTOR_OP_RESET_ADAPTER 5u          /* REQ guest */
#define VSTOR_OP_RESET_BUS 6u              /* REQ guest */
#define VSTOR_OP_BEGIN_INITIALIZATION 7u   /* REQ guest */
#define VSTOR_OP_END_INITIALIZATION 8u     /* REQ guest */
#define VSTOR_OP_QUERY_PROTOCOL_VERSION 9u /* REQ guest */
#define VSTOR_OP_QUERY_PROPERTIES 10u      /* REQ guest */
#define VSTOR_OP_ENUMERATE_BUS 11u         /* NOTE host: rescan */
#define VSTOR_OP_FC_HBA_DATA 12u           /* REQ guest (Fibre Channel) */
#define VSTOR_OP_CREATE_SUB_CHANNELS 13u   /* REQ guest */
#define VSTOR_OP_EVENT_NOTIFICATION 14u    /* NOTE host (6.0+) */
#define VSTOR_OP_MAX 14u

/* vstor_packet.flags */
#define VSTOR_FLAG_REQUEST_COMPLETION 0x1u /* the only flag a client sets */

/* vstor_packet.status: NTSTATUS values hosts use. */
#define VSTOR_STATUS_SUCCESS 0x00000000u
#define VSTOR_STATUS_BUFFER_OVERFLOW 0x80000005u
#define VSTOR_STATUS_DEVICE_BUSY 0x80000011u
#define VSTOR_STATUS_UNSUCCESSFUL 0xC0000001u
#define VSTOR_STATUS_INVALID_PARAMETER 0xC000000Du
#define VSTOR_STATUS_INVALID_DEVICE_REQUEST 0xC0000010u
#define VSTOR_STATUS_REVISION_MISMATCH 0xC0000059u /* version refused */
#define VSTOR_STATUS_DEVICE_NOT_CONNECTED 0xC000009Du
#define VSTOR_STATUS_IO_TIMEOUT 0xC00000B5u
#define VSTOR_STATUS_DEVICE_DOES_NOT_EXIST 0xC00000C0u
#define VSTOR_STATUS_CANCELLED 0xC0000120u
#define VSTOR_STATUS_INVALID_DEVICE_STATE 0xC0000184u
#define VSTOR_STATUS_IO_DEVICE_ERROR 0xC0000185u

/* SRB status (vstor_srb.srb_status): a code in bits 0-5, two flags. */
#define VSTOR_SRB_STATUS_PENDING 0x00u
#define VSTOR_SRB_STATUS_SUCCESS 0x01u
#define VSTOR_SRB_STATUS_ABORTED 0x02u
#define VSTOR_SRB_STATUS_ERROR 0x04u /* see scsi_status and sense */
#define VSTOR_SRB_STATUS_BUSY 0x05u
#define VSTOR_SRB_STATUS_INVALID_REQUEST 0x06u
#define VSTOR_SRB_STATUS_INVALID_PATH_ID 0x07u
#define VSTOR_SRB_STATUS_NO_DEVICE 0x08u
#define VSTOR_SRB_STATUS_TIMEOUT 0x09u
#define VSTOR_SRB_STATUS_SELECTION_TIMEOUT 0x0Au
#define VSTOR_SRB_STATUS_BUS_RESET 0x0Eu
#define VSTOR_SRB_STATUS_DATA_OVERRUN 0x12u /* also: short transfer */
#define VSTOR_SRB_STATUS_REQUEST_FLUSHED 0x16u
#define VSTOR_SRB_STATUS_INVALID_LUN 0x20u
#define VSTOR_SRB_STATUS_INVALID_TARGET_ID 0x21u
#define VSTOR_SRB_STATUS_INTERNAL_ERROR 0x30u
#define VSTOR_SRB_STATUS_QUEUE_FROZEN 0x40u /* flag */
#define VSTOR_SRB_STATUS_AUTOSENSE_VALID                                       \
    0x80u /* flag: sense_data holds sense */
#define VSTOR_SRB_STATUS_CODE(s) ((uint8_t)((s)&0x3Fu))

/* SRB flags (vstor_srb.srb_flags, Win8+). */
#define VSTOR_SRB_FLAGS_QUEUE_ACTION_ENABLE 0x00000002u
#define VSTOR_SRB_FLAGS_DISABLE_DISCONNECT 0x00000004u
#define VSTOR_SRB_FLAGS_DISABLE_SYNCH_TRANSFER 0x00000008u
#define VSTOR_SRB_FLAGS_BYPASS_FROZEN_QUEUE 0x00000010u
#define VSTOR_SRB_FLAGS_DISABLE_AUTOSENSE 0x00000020u
#define VSTOR_SRB_FLAGS_DATA_IN 0x00000040u
#define VSTOR_SRB_FLAGS_DATA_OUT 0x00000080u
#define VSTOR_SRB_FLAGS_NO_QUEUE_FREEZE 0x00000100u
#define VSTOR_SRB_FLAGS_ADAPTER_CACHE_ENABLE 0x00000200u
#define VSTOR_SRB_FLAGS_FREE_SENSE_BUFFER 0x00000400u

/* vstor_srb.data_in */
#define VSTOR_DATA_OUT 0u     /* write: guest to host */
#define VSTOR_DATA_IN 1u      /* read: host to guest */
#define VSTOR_DATA_UNKNOWN 2u /* no data */

#define VSTOR_CDB_MAX 16u
#define VSTOR_SENSE_SIZE_PRE_WIN8 0x12u /* 18 */
#define VSTOR_SENSE_SIZE 0x14u          /* 20, Win8+ */

/*
 * VMSCSI_REQUEST.  The client fills the addressing, cdb, data_in and
 * data_transfer_length; the host writes back srb_status, scsi_status,
 * data_transfer_length (bytes actually moved), sense_info_length and, when
 * VSTOR_SRB_STATUS_AUTOSENSE_VALID is set, the sense data over the CDB.
 * The fields from reserve on exist only from Win8 (5.1).
 */
struct vstor_srb {
    uint16_t length;               /* +0x00 bytes of this struct as sent */
    uint8_t srb_status;            /* +0x02 RESP VSTOR_SRB_STATUS_* */
    uint8_t scsi_status;           /* +0x03 RESP SCSI_STATUS_* (proto/scsi.h) */
    uint8_t port_number;           /* +0x04 */
    uint8_t path_id;               /* +0x05 */
    uint8_t target_id;             /* +0x06 */
    uint8_t lun;                   /* +0x07 */
    uint8_t cdb_length;            /* +0x08 bytes of cdb used */
    uint8_t sense_info_length;     /* +0x09 REQ room, RESP valid sense bytes */
    uint8_t data_in;               /* +0x0A VSTOR_DATA_* */
    uint8_t properties;            /* +0x0B reserved */
    uint32_t data_transfer_length; /* +0x0C bytes; RESP bytes moved */
    union {
        uint8_t cdb[VSTOR_CDB_MAX];           /* REQ */
        uint8_t sense_data[VSTOR_SENSE_SIZE]; /* RESP with AUTOSENSE_VALID */
    } u;                                      /* +0x10 */
    uint16_t reserve;                         /* +0x24 Win8+ */
    uint8_t queue_tag;                        /* +0x26 */
    uint8_t queue_action;                     /* +0x27 */
    uint32_t srb_flags;                       /* +0x28 VSTOR_SRB_FLAGS_* */
    uint32_t time_out_value;                  /* +0x2C seconds */
    uint32_t queue_sort_key;                  /* +0x30 */
};
_Static_assert(sizeof(struct vstor_srb) == 0x34, "VMSCSI_REQUEST rev 2");
_Static_assert(offsetof(struct vstor_srb, data_transfer_length) == 0x0C,
               "data_transfer_length");
_Static_assert(offsetof(struct vstor_srb, u) == 0x10, "cdb");
_Static_assert(offsetof(struct vstor_srb, reserve) == 0x24,
               "VMSCSI_REQUEST rev 1 ends here");
_Static_assert(offsetof(struct vstor_srb, srb_flags) == 0x28, "srb_flags");
#define VSTOR_SRB_SIZE_PRE_WIN8 0x24u
#define VSTOR_SRB_SIZE 0x34u

/*
 * VMSTORAGE_CHANNEL_PROPERTIES, the host's reply to QUERY_PROPERTIES.
 * Reserved fields are not guaranteed zero before 5.1.
 */
struct vstor_channel_props {
    uint32_t reserved;           /* +0x00 */
    uint16_t max_sub_channels;   /* +0x04 subchannels the host can add */
    uint16_t reserved2;          /* +0x06 */
    uint32_t flags;              /* +0x08 VSTOR_PROP_* */
    uint32_t max_transfer_bytes; /* +0x0C largest data buffer per SRB */
    uint32_t reserved3[2];       /* +0x10 words: the packet is only 4-aligned */
};
_Static_assert(sizeof(struct vstor_channel_props) == 24, "properties");
_Static_assert(offsetof(struct vstor_channel_props, max_transfer_bytes) == 12,
               "max_transfer_bytes");
#define VSTOR_PROP_MULTI_CHANNEL 0x1u /* CREATE_SUB_CHANNELS is supported */

/* VMSTORAGE_PROTOCOL_VERSION, in QUERY_PROTOCOL_VERSION. */
struct vstor_version {
    uint16_t major_minor; /* +0x00 VSTOR_VERSION_* */
    uint16_t revision;    /* +0x02 informative (Windows build); send 0 */
};
_Static_assert(sizeof(struct vstor_version) == 4, "protocol version");

/* VSTOR_NOTIFICATION_PACKET, in EVENT_NOTIFICATION. */
struct vstor_notification {
    uint8_t lun;    /* +0x00 */
    uint8_t target; /* +0x01 */
    uint8_t path;   /* +0x02 */
    uint8_t flags;  /* +0x03 */
};
_Static_assert(sizeof(struct vstor_notification) == 4, "notification");

/* VSTOR_PACKET. */
struct vstor_packet {
    uint32_t operation; /* +0x00 VSTOR_OP_* */
    uint32_t flags;     /* +0x04 VSTOR_FLAG_* */
    uint32_t status;    /* +0x08 RESP VSTOR_STATUS_* (NTSTATUS) */
    union {
        struct vstor_srb srb;                   /* EXECUTE_SRB */
        struct vstor_channel_props props;       /* QUERY_PROPERTIES */
        struct vstor_version version;           /* QUERY_PROTOCOL_VERSION */
        uint16_t sub_channel_count;             /* CREATE_SUB_CHANNELS */
        struct vstor_notification notification; /* EVENT_NOTIFICATION */
        uint8_t buffer[0x34];
    } u; /* +0x0C */
};
_Static_assert(offsetof(struct vstor_packet, u) == 12, "packet payload");
_Static_assert(sizeof(struct vstor_packet) == 0x40, "VSTOR_PACKET rev 2");

/* Bytes of a packet on the wire for a negotiated version. */
#define VSTOR_PACKET_SIZE_PRE_WIN8 0x30u /* 12 + 0x24 */
#define VSTOR_PACKET_SIZE 0x40u /* 12 + 0x34, from VSTOR_VERSION_WIN8 */
_Static_assert(VSTOR_PACKET_SIZE_PRE_WIN8 == 12 + VSTOR_SRB_SIZE_PRE_WIN8,
               "short packet");
_Static_assert(VSTOR_PACKET_SIZE == 12 + VSTOR_SRB_SIZE, "long packet");

/* The larger packet applies from Win8 (5.1). */
#define VSTOR_PACKET_SIZE_FOR(version)                                         \
    ((version) >= VSTOR_VERSION_WIN8 ? VSTOR_PACKET_SIZE                       \
                                     : VSTOR_PACKET_SIZE_PRE_WIN8)
#define VSTOR_SENSE_SIZE_FOR(version)                                          \
    ((version) >= VSTOR_VERSION_WIN8 ? VSTOR_SENSE_SIZE                        \
                                     : VSTOR_SENSE_SIZE_PRE_WIN8)

#endif /* PROTO_VSTOR_H */
