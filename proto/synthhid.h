/*
 * Synthetic HID protocol ("synthhid", the Hyper-V synthetic mouse), spoken
 * on a VMBus channel of class VMBUS_CLASS_MOUSE between the guest's mouse
 * VSC and the root's synthhid VSP.
 *
 * Sources (facts only): OpenVMM vm/devices/uidevices (mouse protocol
 * module: SYNTHHID_*, HidAttributes, HidDescriptor, MousePacket), Linux
 * drivers/hid/hid-hyperv.c (synthhid_*, pipe_prt_msg), the USB HID class
 * specification 1.11 section 6.2.1 (HID descriptor).
 *
 * Framing: every message is one in-band VMBus packet whose payload is a
 * pipe header {type = SYNTHHID_PIPE_DATA, size} followed by `size` bytes:
 * a synthhid header {type, size} and `size` bytes of body.  Both size
 * fields count the bytes after their own header.  The VMBus packet may be
 * longer than the pipe says (ring padding to 8 bytes; Linux 6.1 and 6.12
 * send the same message with lengths 3 bytes apart): a receiver goes by
 * the pipe size and only checks that the packet covers it.
 *
 * Sequence: guest PROTOCOL_REQUEST (2.0) -> host PROTOCOL_RESPONSE ->
 * host INITIAL_DEVICE_INFO (attributes, HID descriptor, report descriptor)
 * -> guest INITIAL_DEVICE_INFO_ACK -> host INPUT_REPORT messages.
 *
 * Direction tags: REQ guest -> root, RESP root -> guest answer, NOTE
 * unsolicited.  The Microsoft originals are packed; fields the packing
 * misaligns are marked, and those structs are packed here too.
 */
#ifndef PROTO_SYNTHHID_H
#define PROTO_SYNTHHID_H

#include <stddef.h>
#include <stdint.h>

/* Version word: major << 16 | minor.  The only version is 2.0. */
#define SYNTHHID_VERSION(major, minor)                                         \
    ((uint32_t)(major) << 16 | (uint32_t)(minor))
#define SYNTHHID_VERSION_2_0 SYNTHHID_VERSION(2, 0)

/*
 * Instance GUID Hyper-V and OpenVMM give the mouse offer,
 * 58f75a6d-d949-4320-99e1-a2a2576d581c, as an initializer of struct
 * vmbus_guid (proto/vmbus.h).  The class is VMBUS_CLASS_MOUSE.
 */
#define SYNTHHID_INSTANCE_GUID                                                 \
    {                                                                          \
        0x58f75a6du, 0xd949u, 0x4320u,                                         \
        {                                                                      \
            0x99, 0xe1, 0xa2, 0xa2, 0x57, 0x6d, 0x58, 0x1c                     \
        }                                                                      \
    }

/* Pipe message types (PIPE_MESSAGE_*). */
#define SYNTHHID_PIPE_INVALID 0u
#define SYNTHHID_PIPE_DATA 1u

/* Synthhid message types (SYNTH_HID_*). */
#define SYNTHHID_MSG_PROTOCOL_REQUEST 0u  /* REQ */
#define SYNTHHID_MSG_PROTOCOL_RESPONSE 1u /* RESP */
#define SYNTHHID_MSG_DEVICE_INFO 2u       /* NOTE, after the response */
#define SYNTHHID_MSG_DEVICE_INFO_ACK 3u   /* REQ, answers DEVICE_INFO */
#define SYNTHHID_MSG_INPUT_REPORT 4u      /* NOTE */
#define SYNTHHID_MSG_TYPE_LIMIT 5u        /* one past the highest */

/* Limits from OpenVMM (MAX_HID_MESSAGE_SIZE, MAX_HID_REPORT_DESCRIPTOR,
 * SYNTHHID_INPUT_REPORT_SIZE). */
#define SYNTHHID_MAX_MSG 512u /* pipe header included */
#define SYNTHHID_MAX_REPORT_DESC 256u
#define SYNTHHID_MAX_INPUT_REPORT 16u

/* Pipe header (pipe_prt_msg without its data). */
struct synthhid_pipe_hdr {
    uint32_t type; /* +0x00 SYNTHHID_PIPE_* */
    uint32_t size; /* +0x04 bytes after this header */
};
_Static_assert(sizeof(struct synthhid_pipe_hdr) == 8, "pipe header");

/* synthhid_msg_hdr. */
struct synthhid_hdr {
    uint32_t type; /* +0x00 SYNTHHID_MSG_* */
    uint32_t size; /* +0x04 body bytes after this header */
};
_Static_assert(sizeof(struct synthhid_hdr) == 8, "synthhid header");

/* PROTOCOL_REQUEST (REQ); hdr.size = 4. */
struct synthhid_protocol_request {
    struct synthhid_hdr hdr; /* +0x00 */
    uint32_t version;        /* +0x08 SYNTHHID_VERSION() word */
};
_Static_assert(sizeof(struct synthhid_protocol_request) == 12, "hid request");

/* PROTOCOL_RESPONSE (RESP); hdr.size = 5. */
struct __attribute__((packed)) synthhid_protocol_response {
    struct synthhid_hdr hdr;    /* +0x00 */
    uint32_t version_requested; /* +0x08 echoed from the request */
    uint8_t approved;           /* +0x0C non-zero: accepted */
};
_Static_assert(sizeof(struct synthhid_protocol_response) == 13, "hid resp");
#define SYNTHHID_RESPONSE_BODY 5u

/* HID_DEVICE_ATTRIBUTES / hv_input_dev_info. */
struct synthhid_attributes {
    uint32_t size;         /* +0x00 sizeof this struct, 32 */
    uint16_t vendor_id;    /* +0x04 */
    uint16_t product_id;   /* +0x06 */
    uint16_t version_id;   /* +0x08 */
    uint16_t reserved[11]; /* +0x0A zero */
};
_Static_assert(sizeof(struct synthhid_attributes) == 32, "HID attributes");
/* What Hyper-V's mouse reports (OpenVMM HID_*_ID). */
#define SYNTHHID_VENDOR_MICROSOFT 0x045Eu
#define SYNTHHID_PRODUCT_MOUSE 0x0621u
#define SYNTHHID_VERSION_ID 0x0001u

/*
 * HID descriptor (HID 1.11 section 6.2.1) with one class descriptor, the
 * report descriptor.  9 bytes; bcd_hid and the length are misaligned.
 */
struct __attribute__((packed)) synthhid_hid_descriptor {
    uint8_t length;          /* +0x00 bLength, 9 */
    uint8_t descriptor_type; /* +0x01 0x21 (HID) */
    uint16_t bcd_hid;        /* +0x02 0x0101 */
    uint8_t country;         /* +0x04 */
    uint8_t num_descriptors; /* +0x05 >= 1 */
    uint8_t report_type;     /* +0x06 0x22 (report) */
    uint16_t report_length;  /* +0x07 report descriptor bytes */
};
_Static_assert(sizeof(struct synthhid_hid_descriptor) == 9, "HID descriptor");
_Static_assert(offsetof(struct synthhid_hid_descriptor, report_length) == 7,
               "report length");
#define SYNTHHID_DESC_TYPE_HID 0x21u
#define SYNTHHID_DESC_TYPE_REPORT 0x22u

/*
 * INITIAL_DEVICE_INFO (NOTE): attributes, the HID descriptor, then the
 * report descriptor starting hid.length bytes after the HID descriptor
 * (hid.report_length bytes).  hdr.size = 32 + hid.length + report_length
 * from OpenVMM; its packet carries the report descriptor padded to 128
 * bytes.  Linux reads the report descriptor from hid.length.
 */
struct __attribute__((packed)) synthhid_device_info {
    struct synthhid_hdr hdr;            /* +0x00 */
    struct synthhid_attributes attr;    /* +0x08 */
    struct synthhid_hid_descriptor hid; /* +0x28 */
    /* +0x31 report descriptor */
};
_Static_assert(sizeof(struct synthhid_device_info) == 49, "device info");
_Static_assert(offsetof(struct synthhid_device_info, hid) == 40, "HID desc");
#define SYNTHHID_DEVICE_INFO_FIXED 41u /* body bytes before the report desc */

/* INITIAL_DEVICE_INFO_ACK (REQ); hdr.size = 1. */
struct __attribute__((packed)) synthhid_device_info_ack {
    struct synthhid_hdr hdr; /* +0x00 */
    uint8_t reserved;        /* +0x08 zero (OpenVMM: "acknowledged") */
};
_Static_assert(sizeof(struct synthhid_device_info_ack) == 9, "info ack");

/* INPUT_REPORT (NOTE): hdr.size bytes of one HID input report follow. */
struct synthhid_input_report {
    struct synthhid_hdr hdr; /* +0x00 */
    /* +0x08 report bytes */
};
_Static_assert(sizeof(struct synthhid_input_report) == 8, "input report");

/*
 * The input report of Hyper-V's absolute mouse (OpenVMM MousePacket),
 * described by its report descriptor: 5 buttons then 3 padding bits,
 * X and Y absolute in 0..32767, wheel relative in -32767..32767.
 */
struct __attribute__((packed)) synthhid_mouse_report {
    uint8_t buttons; /* +0x00 bit 0 left, 1 right, 2 middle, 3, 4 */
    uint16_t x;      /* +0x01 0..32767, left to right */
    uint16_t y;      /* +0x03 0..32767, top to bottom */
    int16_t wheel;   /* +0x05 positive: away from the user */
};
_Static_assert(sizeof(struct synthhid_mouse_report) == 7, "mouse report");
#define SYNTHHID_ABS_MAX 32767u

#endif /* PROTO_SYNTHHID_H */
