/*
 * Synthetic video protocol ("synthvid"), spoken on a VMBus channel of class
 * VMBUS_CLASS_SYNTHVID between the guest's video VSC and the root's
 * synthvid VSP.  Versions 3.0 (Win7), 3.2 (Win8), 3.3 (Blue), 3.4 and 3.5
 * (Threshold).
 *
 * Sources (facts only): OpenVMM vm/devices/uidevices (video protocol
 * module), Linux drivers/video/fbdev/hyperv_fb.c and drivers/gpu/drm/hyperv/
 * (synthvid_*), Hyper-V's UEFI firmware (microsoft/mu_msvm VideoDxe).
 *
 * Framing: every message is one in-band VMBus packet whose payload is a
 * pipe header {type = SYNTHVID_PIPE_DATA, size = bytes after it}, then a
 * synthvid header {type, size}, then the body.  The synthvid size field is
 * not reliable: Linux guests put header + body in it, OpenVMM's host writes
 * the body size only and ignores it on receive.  Receivers go by the pipe
 * size (bounded by the packet) and check a minimum body size per type;
 * senders write header + body, as Linux does.
 *
 * Version word: minor << 16 | major (note the order, unlike VMBus).  A
 * version response with is_accepted != 0 accepts (OpenVMM sends 2,
 * "accepted with version exchange").
 *
 * Sequence: VERSION_REQUEST/RESPONSE (guest tries newest first); from 3.5
 * the guest may ask RESOLUTION_REQUEST/RESPONSE; VRAM_LOCATION/ACK; the
 * host may send FEATURE_CHANGE at any time after the handshake; the guest
 * sends SITUATION_UPDATE (answered by ACK), DIRT, POINTER_POSITION and
 * POINTER_SHAPE.
 *
 * Direction tags: REQ guest -> root, RESP root -> guest answer, NOTE
 * unsolicited.  The originals are packed and so are the structs here whose
 * fields the packing misaligns.
 */
#ifndef PROTO_SYNTHVID_H
#define PROTO_SYNTHVID_H

#include <stddef.h>
#include <stdint.h>

#define SYNTHVID_VERSION(major, minor)                                         \
    ((uint32_t)(minor) << 16 | (uint32_t)(major))
#define SYNTHVID_VERSION_MAJOR(v) ((uint32_t)(v)&0xFFFFu)
#define SYNTHVID_VERSION_MINOR(v) ((uint32_t)(v) >> 16)
#define SYNTHVID_VERSION_3_0 SYNTHVID_VERSION(3, 0) /* Win7: 16 bpp, 4 MiB */
#define SYNTHVID_VERSION_3_2 SYNTHVID_VERSION(3, 2) /* Win8: 32 bpp, 8 MiB */
#define SYNTHVID_VERSION_3_3 SYNTHVID_VERSION(3, 3) /* Blue: BIOS info */
#define SYNTHVID_VERSION_3_5 SYNTHVID_VERSION(3, 5) /* resolution list */

/*
 * Instance GUID Hyper-V and OpenVMM give the video offer,
 * 5620e0c7-8062-4dce-aeb7-520c7ef76171 (struct vmbus_guid initializer).
 * The offer's mmio_megabytes is SYNTHVID_MMIO_MEGABYTES.
 */
#define SYNTHVID_INSTANCE_GUID                                                 \
    {                                                                          \
        0x5620e0c7u, 0x8062u, 0x4dceu,                                         \
        {                                                                      \
            0xae, 0xb7, 0x52, 0x0c, 0x7e, 0xf7, 0x61, 0x71                     \
        }                                                                      \
    }
#define SYNTHVID_MMIO_MEGABYTES 8u

/* Depth and VRAM size by version (hyperv_fb). */
#define SYNTHVID_DEPTH_WIN7 16u
#define SYNTHVID_DEPTH_WIN8 32u
#define SYNTHVID_VRAM_WIN7 (4u << 20)
#define SYNTHVID_VRAM_WIN8 (8u << 20)

/* Pipe message types. */
#define SYNTHVID_PIPE_DATA 1u

/* Message types. */
#define SYNTHVID_MSG_ERROR 0u
#define SYNTHVID_MSG_VERSION_REQUEST 1u      /* REQ */
#define SYNTHVID_MSG_VERSION_RESPONSE 2u     /* RESP */
#define SYNTHVID_MSG_VRAM_LOCATION 3u        /* REQ */
#define SYNTHVID_MSG_VRAM_LOCATION_ACK 4u    /* RESP */
#define SYNTHVID_MSG_SITUATION_UPDATE 5u     /* REQ */
#define SYNTHVID_MSG_SITUATION_UPDATE_ACK 6u /* RESP */
#define SYNTHVID_MSG_POINTER_POSITION 7u     /* REQ, no answer */
#define SYNTHVID_MSG_POINTER_SHAPE 8u        /* REQ, no answer */
#define SYNTHVID_MSG_FEATURE_CHANGE 9u       /* NOTE, root -> guest */
#define SYNTHVID_MSG_DIRT 10u                /* REQ, no answer */
#define SYNTHVID_MSG_BIOS_INFO_REQUEST 11u   /* REQ, 3.3+ (OpenVMM) */
#define SYNTHVID_MSG_BIOS_INFO_RESPONSE 12u  /* RESP */
#define SYNTHVID_MSG_RESOLUTION_REQUEST 13u  /* REQ, 3.5 */
#define SYNTHVID_MSG_RESOLUTION_RESPONSE 14u /* RESP */
#define SYNTHVID_MSG_CAPABILITY_REQUEST 15u  /* REQ (OpenVMM) */
#define SYNTHVID_MSG_CAPABILITY_RESPONSE 16u /* RESP */
#define SYNTHVID_MSG_TYPE_LIMIT 17u          /* one past the highest */

/* Largest packet payload OpenVMM's host handles (MAX_VMBUS_PACKET_SIZE). */
#define SYNTHVID_MAX_MSG 0x4000u

/* Pipe header. */
struct synthvid_pipe_hdr {
    uint32_t type; /* +0x00 SYNTHVID_PIPE_DATA */
    uint32_t size; /* +0x04 bytes after this header */
};
_Static_assert(sizeof(struct synthvid_pipe_hdr) == 8, "pipe header");

/* synthvid_msg_hdr. */
struct synthvid_hdr {
    uint32_t type; /* +0x00 SYNTHVID_MSG_* */
    uint32_t size; /* +0x04 see the framing note: not to be trusted */
};
_Static_assert(sizeof(struct synthvid_hdr) == 8, "synthvid header");

/* Pipe header + synthvid header: where every body starts. */
#define SYNTHVID_BODY_OFFSET 16u

/* VERSION_REQUEST (REQ). */
struct synthvid_version_request {
    uint32_t version; /* +0x00 SYNTHVID_VERSION() word */
};
_Static_assert(sizeof(struct synthvid_version_request) == 4, "version req");

/* VERSION_RESPONSE (RESP). */
struct __attribute__((packed)) synthvid_version_response {
    uint32_t version;          /* +0x00 echoed (OpenVMM) */
    uint8_t is_accepted;       /* +0x04 non-zero: accepted */
    uint8_t max_video_outputs; /* +0x05 1 */
};
_Static_assert(sizeof(struct synthvid_version_response) == 6, "version resp");

/* RESOLUTION_REQUEST (REQ, 3.5). */
struct synthvid_resolution_request {
    uint8_t max_count; /* +0x00 entries the guest takes, <= 64 */
};
_Static_assert(sizeof(struct synthvid_resolution_request) == 1, "res req");

/* hvd_screen_info / ScreenInfo. */
struct synthvid_screen_info {
    uint16_t width;  /* +0x00 pixels */
    uint16_t height; /* +0x02 pixels */
};
_Static_assert(sizeof(struct synthvid_screen_info) == 4, "screen info");

#define SYNTHVID_EDID_BYTES 128u
#define SYNTHVID_MAX_RESOLUTIONS 64u

/*
 * RESOLUTION_RESPONSE (RESP): `count` screen infos follow (OpenVMM sends
 * only those; Linux's struct reserves 64).  default_index < count.
 */
struct synthvid_resolution_response {
    uint8_t edid[SYNTHVID_EDID_BYTES]; /* +0x00 EDID 1.3 block */
    uint8_t count;                     /* +0x80 entries that follow */
    uint8_t default_index;             /* +0x81 */
    uint8_t is_standard;               /* +0x82 */
    /* +0x83 struct synthvid_screen_info[count], unaligned */
};
_Static_assert(sizeof(struct synthvid_resolution_response) == 131, "res resp");

/* VRAM_LOCATION (REQ).  vram_gpa is misaligned (+0x09). */
struct __attribute__((packed)) synthvid_vram_location {
    uint64_t user_ctx;         /* +0x00 echoed in the ack */
    uint8_t is_vram_gpa_given; /* +0x08 0: stop using guest VRAM */
    uint64_t vram_gpa;         /* +0x09 guest-physical, page aligned */
};
_Static_assert(sizeof(struct synthvid_vram_location) == 17, "vram location");
_Static_assert(offsetof(struct synthvid_vram_location, vram_gpa) == 9, "gpa");

/* VRAM_LOCATION_ACK and SITUATION_UPDATE_ACK (RESP). */
struct __attribute__((packed)) synthvid_ack {
    uint64_t user_ctx; /* +0x00 from the request */
};
_Static_assert(sizeof(struct synthvid_ack) == 8, "ack");

/* video_output_situation / VideoOutputSituation.  Misaligned fields. */
struct __attribute__((packed)) synthvid_output_situation {
    uint8_t active;         /* +0x00 1: output on */
    uint32_t vram_offset;   /* +0x01 bytes into VRAM; 0 from Threshold */
    uint8_t depth_bits;     /* +0x05 bits per pixel (16 or 32) */
    uint32_t width_pixels;  /* +0x06 */
    uint32_t height_pixels; /* +0x0A */
    uint32_t pitch_bytes;   /* +0x0E bytes from one row to the next */
};
_Static_assert(sizeof(struct synthvid_output_situation) == 18, "situation");
_Static_assert(offsetof(struct synthvid_output_situation, pitch_bytes) == 14,
               "pitch");

/* SITUATION_UPDATE (REQ). */
struct __attribute__((packed)) synthvid_situation_update {
    uint64_t user_ctx;                       /* +0x00 echoed in the ack */
    uint8_t output_count;                    /* +0x08 1 */
    struct synthvid_output_situation output; /* +0x09 */
};
_Static_assert(sizeof(struct synthvid_situation_update) == 27, "situ update");

/* POINTER_POSITION (REQ).  OpenVMM ignores it in absolute mouse mode. */
struct __attribute__((packed)) synthvid_pointer_position {
    uint8_t is_visible;   /* +0x00 */
    uint8_t video_output; /* +0x01 0 */
    int32_t image_x;      /* +0x02 pixels, upper-left of the image */
    int32_t image_y;      /* +0x06 */
};
_Static_assert(sizeof(struct synthvid_pointer_position) == 10, "ptr pos");

/*
 * POINTER_SHAPE (REQ): pixel data follows.  is_argb 1: width * height * 4
 * bytes of ARGB; 0: monochrome, (width + 7) / 8 * height * 2 bytes (AND
 * then XOR mask).  part_idx SYNTHVID_CURSOR_COMPLETE: not split.  Linux
 * hides the pointer with a 1x1 ARGB shape of zero pixels.
 */
struct __attribute__((packed)) synthvid_pointer_shape {
    uint8_t part_idx; /* +0x00 0-based part, or CURSOR_COMPLETE */
    uint8_t is_argb;  /* +0x01 */
    uint32_t width;   /* +0x02 pixels, <= SYNTHVID_CURSOR_MAX_X */
    uint32_t height;  /* +0x06 pixels, <= SYNTHVID_CURSOR_MAX_Y */
    uint32_t hot_x;   /* +0x0A hotspot, pixels from the upper left */
    uint32_t hot_y;   /* +0x0E */
    /* +0x12 pixel data */
};
_Static_assert(sizeof(struct synthvid_pointer_shape) == 18, "ptr shape");
#define SYNTHVID_CURSOR_COMPLETE 0xFFu
#define SYNTHVID_CURSOR_MAX_X 96u
#define SYNTHVID_CURSOR_MAX_Y 96u

/* FEATURE_CHANGE (NOTE).  A later variant appends a 128-byte EDID. */
struct synthvid_feature_change {
    uint8_t is_dirt_needed;      /* +0x00 send DIRT messages */
    uint8_t is_ptr_pos_needed;   /* +0x01 send POINTER_POSITION */
    uint8_t is_ptr_shape_needed; /* +0x02 send POINTER_SHAPE */
    uint8_t is_situ_needed;      /* +0x03 send SITUATION_UPDATE */
};
_Static_assert(sizeof(struct synthvid_feature_change) == 4, "feature change");

/* Rectangle: pixels, right and bottom exclusive. */
struct synthvid_rect {
    int32_t x1; /* +0x00 left */
    int32_t y1; /* +0x04 top */
    int32_t x2; /* +0x08 right, exclusive */
    int32_t y2; /* +0x0C bottom, exclusive */
};
_Static_assert(sizeof(struct synthvid_rect) == 16, "rect");

/* DIRT (REQ): `count` rectangles follow at +0x02 (unaligned). */
struct synthvid_dirt {
    uint8_t video_output; /* +0x00 0 */
    uint8_t count;        /* +0x01 rectangles that follow, <= 255 */
};
_Static_assert(sizeof(struct synthvid_dirt) == 2, "dirt");

/* BIOS_INFO_RESPONSE (RESP, OpenVMM). */
struct synthvid_bios_info_response {
    uint32_t stop_device_supported; /* +0x00 */
    uint8_t reserved[12];           /* +0x04 */
};
_Static_assert(sizeof(struct synthvid_bios_info_response) == 16, "bios info");

/* CAPABILITY_RESPONSE (RESP, OpenVMM). */
struct synthvid_capability_response {
    uint32_t lock_on_disconnect; /* +0x00 */
    uint32_t reserved[15];       /* +0x04 */
};
_Static_assert(sizeof(struct synthvid_capability_response) == 64, "caps");

#endif /* PROTO_SYNTHVID_H */
