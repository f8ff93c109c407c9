/*
 * VMBus channel management protocol: the messages a guest and the root
 * exchange over SynIC SINT 2 to negotiate a version, enumerate offers, build
 * GPADLs and open or close channels.
 *
 * Sources (facts only): Hyper-V's UEFI firmware (microsoft/mu_msvm
 * MsvmPkg/VmbusDxe/ChannelMessages.h, VMBUS_CHANNEL_*), OpenVMM
 * vm/devices/vmbus/vmbus_core, Linux include/linux/hyperv.h, FreeBSD
 * sys/dev/hyperv/vmbus/vmbus_reg.h.  The Microsoft originals are packed; every
 * field here falls on its natural alignment except the GPADL PFN arrays,
 * which start at offsets that are not multiples of 8 and are therefore left
 * out of the structs (see struct vmbus_msg_gpadl_header).
 *
 * Direction tags: REQ guest -> root, RESP root -> guest answer, NOTE root ->
 * guest unsolicited.  Every message starts with struct vmbus_msg_hdr and fits
 * the 240-byte SynIC payload.
 */
#ifndef PROTO_VMBUS_H
#define PROTO_VMBUS_H

#include <stddef.h>
#include <stdint.h>

#include "proto/hv.h"

/* Version word: major << 16 | minor. */
#define VMBUS_VERSION(major, minor) (((uint32_t)(major) << 16) | (minor))
#define VMBUS_VERSION_WS2008 VMBUS_VERSION(0, 13)
#define VMBUS_VERSION_WIN7 VMBUS_VERSION(1, 1)
#define VMBUS_VERSION_WIN8 VMBUS_VERSION(2, 4)
#define VMBUS_VERSION_WIN8_1 VMBUS_VERSION(3, 0)
#define VMBUS_VERSION_WIN10 VMBUS_VERSION(4, 0)
#define VMBUS_VERSION_WIN10_RS3_0 VMBUS_VERSION(4, 1)
#define VMBUS_VERSION_WIN10_V5 VMBUS_VERSION(5, 0) /* message conn id 4 */
#define VMBUS_VERSION_WIN10_V5_1 VMBUS_VERSION(5, 1)
#define VMBUS_VERSION_WIN10_V5_2 VMBUS_VERSION(5, 2)
#define VMBUS_VERSION_WIN10_V5_3 VMBUS_VERSION(5, 3) /* "Iron" */
#define VMBUS_VERSION_COPPER VMBUS_VERSION(6, 0)     /* grown messages */

/* Connection ids (HV_CONNECTION_ID) the guest posts and signals on. */
#define VMBUS_CONNID_MESSAGE 1u   /* messages, versions < 5.0 */
#define VMBUS_CONNID_EVENT 2u     /* signal for WS2008 channels */
#define VMBUS_CONNID_MONITOR 3u   /* monitor page events */
#define VMBUS_CONNID_MESSAGE_4 4u /* InitiateContact from 5.0 */

#define VMBUS_MESSAGE_SINT 2u /* the SINT VMBus messages and events use */

/* VMBus message numbers (VMBUS_CHANNEL_MESSAGE_TYPE). */
#define VMBUS_MSG_INVALID 0u
#define VMBUS_MSG_OFFER_CHANNEL 1u          /* NOTE */
#define VMBUS_MSG_RESCIND_CHANNEL_OFFER 2u  /* NOTE */
#define VMBUS_MSG_REQUEST_OFFERS 3u         /* REQ */
#define VMBUS_MSG_ALL_OFFERS_DELIVERED 4u   /* RESP */
#define VMBUS_MSG_OPEN_CHANNEL 5u           /* REQ */
#define VMBUS_MSG_OPEN_CHANNEL_RESULT 6u    /* RESP */
#define VMBUS_MSG_CLOSE_CHANNEL 7u          /* REQ, no answer */
#define VMBUS_MSG_GPADL_HEADER 8u           /* REQ */
#define VMBUS_MSG_GPADL_BODY 9u             /* REQ */
#define VMBUS_MSG_GPADL_CREATED 10u         /* RESP */
#define VMBUS_MSG_GPADL_TEARDOWN 11u        /* REQ */
#define VMBUS_MSG_GPADL_TORNDOWN 12u        /* RESP */
#define VMBUS_MSG_RELID_RELEASED 13u        /* REQ, no answer */
#define VMBUS_MSG_INITIATE_CONTACT 14u      /* REQ */
#define VMBUS_MSG_VERSION_RESPONSE 15u      /* RESP */
#define VMBUS_MSG_UNLOAD 16u                /* REQ */
#define VMBUS_MSG_UNLOAD_COMPLETE 17u       /* RESP */
#define VMBUS_MSG_OPEN_RESERVED_CHANNEL 18u /* REQ (unused here) */
#define VMBUS_MSG_CLOSE_RESERVED_CHANNEL 19u
#define VMBUS_MSG_CLOSE_RESERVED_RESPONSE 20u
#define VMBUS_MSG_TL_CONNECT_REQUEST 21u
#define VMBUS_MSG_MODIFY_CHANNEL 22u /* REQ, >= 4.1 */
#define VMBUS_MSG_TL_CONNECT_RESULT 23u
#define VMBUS_MSG_MODIFY_CHANNEL_RESPONSE 24u
#define VMBUS_MSG_MODIFY_CONNECTION 25u
#define VMBUS_MSG_MODIFY_CONNECTION_RESPONSE 26u
#define VMBUS_MSG_COUNT 27u

#define VMBUS_MSG_MAX_BYTES HV_MESSAGE_PAYLOAD_BYTES /* 240 */

/* Relids index the 2048 SIEFP event flags of SINT 2; 0 is never offered. */
#define VMBUS_MAX_RELID (HV_EVENT_FLAGS_COUNT - 1u)

/* Windows GUID as laid out on the wire (little-endian data1..data3). */
struct vmbus_guid {
    uint32_t data1;   /* +0x00 */
    uint16_t data2;   /* +0x04 */
    uint16_t data3;   /* +0x06 */
    uint8_t data4[8]; /* +0x08 */
};
_Static_assert(sizeof(struct vmbus_guid) == 16, "GUID is 16 bytes");

/* Initializer from the textual form aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee. */
#define VMBUS_GUID_INIT(a, b, c, d, e)                                         \
    {                                                                          \
        (a), (b), (c),                                                         \
        {                                                                      \
            (uint8_t)((d) >> 8), (uint8_t)(d), (uint8_t)((e) >> 40),           \
                (uint8_t)((e) >> 32), (uint8_t)((e) >> 24),                    \
                (uint8_t)((e) >> 16), (uint8_t)((e) >> 8), (uint8_t)(e)        \
        }                                                                      \
    }

/* Device class GUIDs (offer interface_type) of the standard devices. */
#define VMBUS_CLASS_SCSI                                                       \
    VMBUS_GUID_INIT(0xba6163d9, 0x04a1, 0x4d29, 0xb605, 0x72e2ffb1dc7full)
#define VMBUS_CLASS_IDE                                                        \
    VMBUS_GUID_INIT(0x32412632, 0x86cb, 0x44a2, 0x9b5c, 0x50d1417354f5ull)
#define VMBUS_CLASS_NETWORK                                                    \
    VMBUS_GUID_INIT(0xf8615163, 0xdf3e, 0x46c5, 0x913f, 0xf2d2f965ed0eull)
#define VMBUS_CLASS_KEYBOARD                                                   \
    VMBUS_GUID_INIT(0xf912ad6d, 0x2b17, 0x48ea, 0xbd65, 0xf927a61c7684ull)
#define VMBUS_CLASS_MOUSE                                                      \
    VMBUS_GUID_INIT(0xcfa8b69e, 0x5b4a, 0x4cc0, 0xb98b, 0x8ba1a1f3f95aull)
#define VMBUS_CLASS_SYNTHVID                                                   \
    VMBUS_GUID_INIT(0xda0a7802, 0xe377, 0x4aac, 0x8e77, 0x0558eb1073f8ull)
#define VMBUS_CLASS_HEARTBEAT                                                  \
    VMBUS_GUID_INIT(0x57164f39, 0x9115, 0x4e78, 0xab55, 0x382f3bd5422dull)
#define VMBUS_CLASS_SHUTDOWN                                                   \
    VMBUS_GUID_INIT(0x0e0b6031, 0x5213, 0x4934, 0x818b, 0x38d90ced39dbull)
#define VMBUS_CLASS_TIMESYNC                                                   \
    VMBUS_GUID_INIT(0x9527e630, 0xd0ae, 0x497b, 0xadce, 0xe80ab0175cafull)
#define VMBUS_CLASS_KVP                                                        \
    VMBUS_GUID_INIT(0xa9a0f4e7, 0x5a45, 0x4d96, 0xb827, 0x8a841e8c03e6ull)
#define VMBUS_CLASS_VSS                                                        \
    VMBUS_GUID_INIT(0x35fa2e29, 0xea23, 0x4236, 0x96ae, 0x3a6ebacba440ull)

/* VMBUS_CHANNEL_MESSAGE_HEADER: every message starts with it. */
struct vmbus_msg_hdr {
    uint32_t msgtype; /* +0x00 VMBUS_MSG_* */
    uint32_t padding; /* +0x04 zero */
};
_Static_assert(sizeof(struct vmbus_msg_hdr) == 8, "message header");

/*
 * VMBUS_CHANNEL_OFFER_CHANNEL (1, NOTE).  196 bytes from Win7 (1.1); WS2008
 * hosts send the first 190 (up to and including monitor_flags).
 */
#define VMBUS_OFFER_USER_DEFINED_BYTES 120u
#define VMBUS_OFFER_FLAG_ENUMERATE_DEVICE_INTERFACE 0x0001u
#define VMBUS_OFFER_FLAG_NAMED_PIPE_MODE 0x0010u
#define VMBUS_OFFER_MONITOR_ALLOCATED 0x01u /* monitor_flags bit 0 */
#define VMBUS_OFFER_DEDICATED_INTERRUPT 0x0001u
struct vmbus_msg_offer {
    struct vmbus_msg_hdr hdr;             /* +0x00 */
    struct vmbus_guid interface_type;     /* +0x08 device class */
    struct vmbus_guid interface_instance; /* +0x18 this device */
    uint32_t reserved[4];                 /* +0x28 may be non-zero pre-Win8 */
    uint16_t flags;                       /* +0x38 VMBUS_OFFER_FLAG_* */
    uint16_t mmio_megabytes;              /* +0x3A MiB of MMIO space wanted */
    uint8_t user_defined[VMBUS_OFFER_USER_DEFINED_BYTES]; /* +0x3C */
    uint16_t sub_channel_index;                           /* +0xB4 >= 2.4 */
    uint16_t mmio_megabytes_optional;                     /* +0xB6 */
    uint32_t child_relid;     /* +0xB8 channel id, 1..2047 */
    uint8_t monitor_id;       /* +0xBC */
    uint8_t monitor_flags;    /* +0xBD VMBUS_OFFER_MONITOR_* */
    uint16_t interrupt_flags; /* +0xBE >= 1.1, DEDICATED_* */
    uint32_t connection_id;   /* +0xC0 >= 1.1, guest signals it */
};
#define VMBUS_MSG_OFFER_SIZE 196u
#define VMBUS_MSG_OFFER_SIZE_WS2008 190u
_Static_assert(sizeof(struct vmbus_msg_offer) == VMBUS_MSG_OFFER_SIZE, "offer");
_Static_assert(offsetof(struct vmbus_msg_offer, flags) == 56, "offer flags");
_Static_assert(offsetof(struct vmbus_msg_offer, sub_channel_index) == 180,
               "sub_channel_index");
_Static_assert(offsetof(struct vmbus_msg_offer, child_relid) == 184,
               "child_relid");
_Static_assert(offsetof(struct vmbus_msg_offer, monitor_id) == 188, "monid");
_Static_assert(offsetof(struct vmbus_msg_offer, interrupt_flags) ==
                   VMBUS_MSG_OFFER_SIZE_WS2008,
               "WS2008 offer ends before interrupt_flags");
_Static_assert(offsetof(struct vmbus_msg_offer, connection_id) == 192,
               "connection_id");

/* VMBUS_CHANNEL_RESCIND_OFFER (2, NOTE), also RELID_RELEASED (13, REQ) and
 * CLOSE_CHANNEL (7, REQ): a header and a relid. */
struct vmbus_msg_relid {
    struct vmbus_msg_hdr hdr; /* +0x00 */
    uint32_t child_relid;     /* +0x08 */
};
_Static_assert(sizeof(struct vmbus_msg_relid) == 12, "relid message");

/*
 * VMBUS_CHANNEL_OPEN_CHANNEL (5, REQ).  148 bytes before 6.0; 6.0 adds
 * connection_id/event_flag/flags (156).  The ring GPADL holds the
 * guest-to-host ring (control page + data) first; the host-to-guest ring
 * starts downstream_ring_page_offset pages into it.
 */
struct vmbus_msg_open_channel {
    struct vmbus_msg_hdr hdr;             /* +0x00 */
    uint32_t child_relid;                 /* +0x08 */
    uint32_t open_id;                     /* +0x0C echoed in the result */
    uint32_t ring_gpadl;                  /* +0x10 GPADL handle */
    uint32_t target_vp;                   /* +0x14 VP for host interrupts */
    uint32_t downstream_ring_page_offset; /* +0x18 in 4 KiB pages */
    uint8_t user_data[VMBUS_OFFER_USER_DEFINED_BYTES]; /* +0x1C */
    uint32_t connection_id;                            /* +0x94 6.0 only */
    uint16_t event_flag;                               /* +0x98 6.0 only */
    uint16_t flags;                                    /* +0x9A 6.0 only */
};
#define VMBUS_MSG_OPEN_CHANNEL_SIZE 148u
#define VMBUS_MSG_OPEN_CHANNEL_SIZE_COPPER 156u
_Static_assert(sizeof(struct vmbus_msg_open_channel) ==
                   VMBUS_MSG_OPEN_CHANNEL_SIZE_COPPER,
               "open channel");
_Static_assert(offsetof(struct vmbus_msg_open_channel, connection_id) ==
                   VMBUS_MSG_OPEN_CHANNEL_SIZE,
               "open channel pre-6.0 size");

/* VMBUS_CHANNEL_OPEN_RESULT (6, RESP). status 0 = success (NTSTATUS). */
struct vmbus_msg_open_result {
    struct vmbus_msg_hdr hdr; /* +0x00 */
    uint32_t child_relid;     /* +0x08 */
    uint32_t open_id;         /* +0x0C from the request */
    uint32_t status;          /* +0x10 NTSTATUS, 0 = opened */
};
_Static_assert(sizeof(struct vmbus_msg_open_result) == 20, "open result");

/*
 * GPA_RANGE: byte_count bytes starting byte_offset into the first page,
 * followed by one 64-bit PFN per page spanned.
 */
struct vmbus_gpa_range {
    uint32_t byte_count;  /* +0x00 bytes */
    uint32_t byte_offset; /* +0x04 into the first page, < 4096 */
    /* uint64_t pfn[] follows: ceil((byte_offset + byte_count) / 4096) */
};
_Static_assert(sizeof(struct vmbus_gpa_range) == 8, "GPA range header");

/*
 * VMBUS_CHANNEL_GPADL_HEADER (8, REQ).  range_buflen counts every range
 * header and PFN of the whole GPADL (it may span body messages).  The first
 * range header is part of this struct; its PFNs start at byte 28, which is
 * not 8-byte aligned, so they are accessed with memcpy.  At most 26 PFNs fit.
 */
struct vmbus_msg_gpadl_header {
    struct vmbus_msg_hdr hdr;     /* +0x00 */
    uint32_t child_relid;         /* +0x08 */
    uint32_t gpadl;               /* +0x0C handle chosen by the guest, != 0 */
    uint16_t range_buflen;        /* +0x10 bytes of ranges incl. all PFNs */
    uint16_t range_count;         /* +0x12 */
    struct vmbus_gpa_range range; /* +0x14 first range */
};
#define VMBUS_GPADL_HEADER_RANGES_OFFSET 20u /* range buffer starts here */
#define VMBUS_GPADL_HEADER_PFN_OFFSET 28u
#define VMBUS_GPADL_HEADER_MAX_PFNS                                            \
    ((VMBUS_MSG_MAX_BYTES - VMBUS_GPADL_HEADER_PFN_OFFSET) / 8u)
_Static_assert(sizeof(struct vmbus_msg_gpadl_header) ==
                   VMBUS_GPADL_HEADER_PFN_OFFSET,
               "GPADL header");
_Static_assert(offsetof(struct vmbus_msg_gpadl_header, range) ==
                   VMBUS_GPADL_HEADER_RANGES_OFFSET,
               "GPADL ranges");
_Static_assert(VMBUS_GPADL_HEADER_MAX_PFNS == 26, "26 PFNs in a header");

/* VMBUS_CHANNEL_GPADL_BODY (9, REQ): more of the range buffer; <= 28 PFNs. */
struct vmbus_msg_gpadl_body {
    struct vmbus_msg_hdr hdr; /* +0x00 */
    uint32_t msgnumber;       /* +0x08 not interpreted by hosts */
    uint32_t gpadl;           /* +0x0C */
    /* uint64_t data[] follows at +0x10: range buffer continuation */
};
#define VMBUS_GPADL_BODY_DATA_OFFSET 16u
#define VMBUS_GPADL_BODY_MAX_PFNS                                              \
    ((VMBUS_MSG_MAX_BYTES - VMBUS_GPADL_BODY_DATA_OFFSET) / 8u)
_Static_assert(sizeof(struct vmbus_msg_gpadl_body) ==
                   VMBUS_GPADL_BODY_DATA_OFFSET,
               "GPADL body");
_Static_assert(VMBUS_GPADL_BODY_MAX_PFNS == 28, "28 PFNs in a body");

/* VMBUS_CHANNEL_GPADL_CREATED (10, RESP). */
struct vmbus_msg_gpadl_created {
    struct vmbus_msg_hdr hdr; /* +0x00 */
    uint32_t child_relid;     /* +0x08 */
    uint32_t gpadl;           /* +0x0C */
    uint32_t status;          /* +0x10 NTSTATUS, 0 = created */
};
_Static_assert(sizeof(struct vmbus_msg_gpadl_created) == 20, "created");

/* VMBUS_CHANNEL_GPADL_TEARDOWN (11, REQ). */
struct vmbus_msg_gpadl_teardown {
    struct vmbus_msg_hdr hdr; /* +0x00 */
    uint32_t child_relid;     /* +0x08 */
    uint32_t gpadl;           /* +0x0C */
};
_Static_assert(sizeof(struct vmbus_msg_gpadl_teardown) == 16, "teardown");

/* VMBUS_CHANNEL_GPADL_TORNDOWN (12, RESP). */
struct vmbus_msg_gpadl_torndown {
    struct vmbus_msg_hdr hdr; /* +0x00 */
    uint32_t gpadl;           /* +0x08 */
};
_Static_assert(sizeof(struct vmbus_msg_gpadl_torndown) == 12, "torndown");

/*
 * VMBUS_CHANNEL_INITIATE_CONTACT (14, REQ).  40 bytes up to 5.3; 6.0 adds
 * client_id (56).  Below 5.0 the word at +0x10 is the GPA of the interrupt
 * page (first half host-to-guest, second half guest-to-host flags, used
 * before 2.4); from 5.0 it is {u8 target_sint, u8 target_vtl, u16 0,
 * u32 feature_flags (6.0)}.
 */
struct vmbus_msg_initiate_contact {
    struct vmbus_msg_hdr hdr;        /* +0x00 */
    uint32_t version_requested;      /* +0x08 VMBUS_VERSION_* */
    uint32_t target_vp;              /* +0x0C VP for host messages */
    uint64_t interrupt_page_or_sint; /* +0x10 see above */
    uint64_t monitor_page1;          /* +0x18 GPA, parent-to-child */
    uint64_t monitor_page2;          /* +0x20 GPA, child-to-parent */
    struct vmbus_guid client_id;     /* +0x28 6.0 only */
};
#define VMBUS_MSG_INITIATE_CONTACT_SIZE 40u
#define VMBUS_MSG_INITIATE_CONTACT_SIZE_COPPER 56u
_Static_assert(sizeof(struct vmbus_msg_initiate_contact) ==
                   VMBUS_MSG_INITIATE_CONTACT_SIZE_COPPER,
               "initiate contact");
_Static_assert(offsetof(struct vmbus_msg_initiate_contact, client_id) ==
                   VMBUS_MSG_INITIATE_CONTACT_SIZE,
               "initiate contact pre-6.0 size");
/* From 5.0: the interrupt_page_or_sint word. */
#define VMBUS_CONTACT_SINT(sint, vtl)                                          \
    ((uint64_t)(uint8_t)(sint) | ((uint64_t)(uint8_t)(vtl) << 8))
#define VMBUS_CONTACT_GET_SINT(w) ((uint8_t)((w)&0xFF))
/* From 6.0: feature flags the guest asks for, in the upper 32 bits. */
#define VMBUS_CONTACT_FEATURES(w) ((uint32_t)((w) >> 32))

/* 6.0 feature flags (InitiateContact request, VersionResponse grant). */
#define VMBUS_FEATURE_GUEST_SPECIFIED_SIGNAL 0x01u
#define VMBUS_FEATURE_INTERRUPT_REDIRECTION 0x02u
#define VMBUS_FEATURE_MODIFY_CONNECTION 0x04u
#define VMBUS_FEATURE_CLIENT_ID 0x08u
#define VMBUS_FEATURE_CONFIDENTIAL_CHANNELS 0x10u

/*
 * VMBUS_CHANNEL_VERSION_RESPONSE (15, RESP).  16 bytes up to 5.3; 6.0 adds
 * supported_features (20).  When supported and the version is >= 5.0,
 * msg_conn_id is the connection id for all later guest messages.
 */
struct vmbus_msg_version_response {
    struct vmbus_msg_hdr hdr;    /* +0x00 */
    uint8_t version_supported;   /* +0x08 1 = accepted */
    uint8_t connection_state;    /* +0x09 0 = ok (>= 2.4) */
    uint8_t pad[2];              /* +0x0A */
    uint32_t msg_conn_id;        /* +0x0C see above */
    uint32_t supported_features; /* +0x10 6.0 only */
};
#define VMBUS_MSG_VERSION_RESPONSE_SIZE 16u
#define VMBUS_MSG_VERSION_RESPONSE_SIZE_COPPER 20u
_Static_assert(sizeof(struct vmbus_msg_version_response) ==
                   VMBUS_MSG_VERSION_RESPONSE_SIZE_COPPER,
               "version response");
_Static_assert(offsetof(struct vmbus_msg_version_response,
                        supported_features) == VMBUS_MSG_VERSION_RESPONSE_SIZE,
               "version response pre-6.0");

/* VMBUS_CHANNEL_MODIFY_CHANNEL (22, REQ, >= 4.1). */
struct vmbus_msg_modify_channel {
    struct vmbus_msg_hdr hdr; /* +0x00 */
    uint32_t child_relid;     /* +0x08 */
    uint32_t target_vp;       /* +0x0C */
};
_Static_assert(sizeof(struct vmbus_msg_modify_channel) == 16, "modify");

/* REQUEST_OFFERS (3), ALL_OFFERS_DELIVERED (4), UNLOAD (16) and
 * UNLOAD_COMPLETE (17) are a bare struct vmbus_msg_hdr. */

/* NTSTATUS values used in open/GPADL results. */
#define VMBUS_STATUS_SUCCESS 0x00000000u
#define VMBUS_STATUS_UNSUCCESSFUL 0xC0000001u
#define VMBUS_STATUS_INVALID_PARAMETER 0xC000000Du
#define VMBUS_STATUS_NO_MEMORY 0xC0000017u
#define VMBUS_STATUS_DEVICE_NOT_READY 0xC00000A3u
#define VMBUS_STATUS_REVISION_MISMATCH 0xC0000059u

#endif /* PROTO_VMBUS_H */
