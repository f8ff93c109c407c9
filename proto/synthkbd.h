/*
 * Synthetic keyboard protocol, spoken on a VMBus channel of class
 * VMBUS_CLASS_KEYBOARD between the guest's keyboard VSC and the root's
 * keyboard VSP.
 *
 * Sources (facts only): Hyper-V's UEFI firmware (microsoft/mu_msvm
 * MsvmPkg/Include/Protocol/SynthKeyProtocol.h, HK_MESSAGE_*), OpenVMM
 * vm/devices/uidevices (keyboard protocol module), Linux
 * drivers/input/serio/hyperv-keyboard.c (synth_kbd_*).
 *
 * Framing: each message is the whole payload of one in-band VMBus packet
 * (VMBUS_PKT_DATA_INBAND), with no pipe header in front (unlike synthhid
 * and synthvid).  The payload is padded to 8 bytes by the ring, so a
 * receiver checks a minimum length per type, never an exact one.
 *
 * Sequence: the guest sends PROTOCOL_REQUEST with SYNTHKBD_VERSION_1_0;
 * the host answers PROTOCOL_RESPONSE (accepted bit); after acceptance the
 * host sends EVENT messages (one per scan code byte group: make or break,
 * E0/E1 prefix as flags) and the guest may send SET_LED_INDICATORS.
 *
 * Direction tags: REQ guest -> root, RESP root -> guest answer, NOTE
 * unsolicited.  Every field falls on its natural alignment.
 */
#ifndef PROTO_SYNTHKBD_H
#define PROTO_SYNTHKBD_H

#include <stddef.h>
#include <stdint.h>

/* Version word: major << 16 | minor (HK_MAKE_VERSION). 1.0 is "Win8". */
#define SYNTHKBD_VERSION(major, minor)                                         \
    ((uint32_t)(major) << 16 | (uint32_t)(minor))
#define SYNTHKBD_VERSION_1_0 SYNTHKBD_VERSION(1, 0)

/*
 * Instance GUID Hyper-V and OpenVMM give the keyboard offer,
 * d34b2567-b9b6-42b9-8778-0a4ec0b955bf, as an initializer of struct
 * vmbus_guid (proto/vmbus.h).  The class is VMBUS_CLASS_KEYBOARD.
 */
#define SYNTHKBD_INSTANCE_GUID                                                 \
    {                                                                          \
        0xd34b2567u, 0xb9b6u, 0x42b9u,                                         \
        {                                                                      \
            0x87, 0x78, 0x0a, 0x4e, 0xc0, 0xb9, 0x55, 0xbf                     \
        }                                                                      \
    }

/* Message types (HK_MESSAGE_TYPE). */
#define SYNTHKBD_MSG_PROTOCOL_REQUEST 1u   /* REQ */
#define SYNTHKBD_MSG_PROTOCOL_RESPONSE 2u  /* RESP */
#define SYNTHKBD_MSG_EVENT 3u              /* NOTE, root -> guest */
#define SYNTHKBD_MSG_SET_LED_INDICATORS 4u /* REQ, no answer */

/* Largest message either side sends (HK_MAXIMUM_MESSAGE_SIZE). */
#define SYNTHKBD_MAX_MSG 256u

/* HK_MESSAGE_HEADER. */
struct synthkbd_hdr {
    uint32_t type; /* +0x00 SYNTHKBD_MSG_* */
};
_Static_assert(sizeof(struct synthkbd_hdr) == 4, "synthkbd header");

/* HK_MESSAGE_PROTOCOL_REQUEST (REQ). */
struct synthkbd_protocol_request {
    struct synthkbd_hdr hdr; /* +0x00 PROTOCOL_REQUEST */
    uint32_t version;        /* +0x04 SYNTHKBD_VERSION() word */
};
_Static_assert(sizeof(struct synthkbd_protocol_request) == 8, "kbd request");

/* HK_MESSAGE_PROTOCOL_RESPONSE (RESP).  Bits 1..31 are reserved. */
struct synthkbd_protocol_response {
    struct synthkbd_hdr hdr; /* +0x00 PROTOCOL_RESPONSE */
    uint32_t status;         /* +0x04 SYNTHKBD_ACCEPTED */
};
_Static_assert(sizeof(struct synthkbd_protocol_response) == 8, "kbd resp");
#define SYNTHKBD_ACCEPTED 0x1u

/*
 * HK_MESSAGE_KEYSTROKE (NOTE, root -> guest).  make_code is the set-1 scan
 * code without its break bit (0x00..0x7F) and without the E0/E1 prefix
 * byte, which travel as flags; with SYNTHKBD_KEY_UNICODE it is a UTF-16
 * code unit instead.
 */
struct synthkbd_keystroke {
    struct synthkbd_hdr hdr; /* +0x00 EVENT */
    uint16_t make_code;      /* +0x04 scan code or UTF-16 unit */
    uint16_t reserved;       /* +0x06 zero */
    uint32_t flags;          /* +0x08 SYNTHKBD_KEY_* */
};
_Static_assert(sizeof(struct synthkbd_keystroke) == 12, "keystroke");
_Static_assert(offsetof(struct synthkbd_keystroke, flags) == 8, "flags");
#define SYNTHKBD_KEY_UNICODE 0x1u /* make_code is a character */
#define SYNTHKBD_KEY_BREAK 0x2u   /* key released */
#define SYNTHKBD_KEY_E0 0x4u      /* E0-prefixed scan code */
#define SYNTHKBD_KEY_E1 0x8u      /* E1-prefixed scan code (Pause) */
#define SYNTHKBD_KEY_FLAGS_KNOWN 0xFu

/*
 * HK_MESSAGE_LED_INDICATORS_STATE (REQ, no answer).  led_flags uses the
 * Windows KEYBOARD_INDICATOR_PARAMETERS bits (ntddkbd.h).  mu_msvm's
 * struct ends after led_flags (6 bytes, padded to 8 by the ring); OpenVMM
 * reads 4 body bytes, so a sender sends all 8.
 */
struct synthkbd_led_indicators {
    struct synthkbd_hdr hdr; /* +0x00 SET_LED_INDICATORS */
    uint16_t led_flags;      /* +0x04 SYNTHKBD_LED_* */
    uint16_t reserved;       /* +0x06 zero */
};
_Static_assert(sizeof(struct synthkbd_led_indicators) == 8, "led message");
_Static_assert(offsetof(struct synthkbd_led_indicators, led_flags) == 4,
               "led flags");
#define SYNTHKBD_LED_SCROLL_LOCK 0x1u
#define SYNTHKBD_LED_NUM_LOCK 0x2u
#define SYNTHKBD_LED_CAPS_LOCK 0x4u

/* Minimum body a receiver needs per type (header included). */
#define SYNTHKBD_LED_MIN_LEN 6u

#endif /* PROTO_SYNTHKBD_H */
