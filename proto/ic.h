/*
 * Hyper-V integration components (util ICs): heartbeat, shutdown, time
 * sync and key-value pair exchange, carried as VMBus in-band packets.
 *
 * Sources (facts only): OpenVMM vm/devices/hyperv_ic_protocol (Header,
 * NegotiateMessage, heartbeat, shutdown), Linux include/linux/hyperv.h
 * (vmbuspipe_hdr, icmsg_hdr, icmsg_negotiate, heartbeat_msg_data,
 * shutdown_msg_data, ictimesync_data, ictimesync_ref_data, hv_kvp_*) and
 * drivers/hv/hv_util.c, hv_kvp.c.
 *
 * A packet payload is a pipe header, the IC header, then the body at byte
 * 28.  Bodies with 64-bit fields land on 4-byte boundaries there, so they
 * are defined standalone and copied in and out with memcpy.  The host
 * sends requests; the guest answers in the same buffer with
 * IC_FLAG_TRANSACTION | IC_FLAG_RESPONSE and the same VMBus trans_id.
 * Receivers check only the minimum length of the fields they read
 * (implementations differ in trailing reserved bytes).
 */
#ifndef PROTO_IC_H
#define PROTO_IC_H

#include <stddef.h>
#include <stdint.h>

#include "proto/hv.h"

/* IC versions: {u16 major, u16 minor} on the wire. */
struct ic_version {
    uint16_t major; /* +0x00 */
    uint16_t minor; /* +0x02 */
};
_Static_assert(sizeof(struct ic_version) == 4, "IC version");

/* vmbuspipe_hdr: precedes every IC message. */
struct ic_pipe_hdr {
    uint32_t flags;   /* +0x00 not interpreted */
    uint32_t msgsize; /* +0x04 bytes after this header, not interpreted */
};
_Static_assert(sizeof(struct ic_pipe_hdr) == 8, "pipe header");

/* icmsg_hdr (OpenVMM Header). */
#define IC_MSG_NEGOTIATE 0u
#define IC_MSG_HEARTBEAT 1u
#define IC_MSG_KVP 2u
#define IC_MSG_SHUTDOWN 3u
#define IC_MSG_TIMESYNC 4u
#define IC_MSG_VSS 5u

#define IC_FLAG_TRANSACTION 0x01u
#define IC_FLAG_REQUEST 0x02u
#define IC_FLAG_RESPONSE 0x04u

/* HRESULT status values. */
#define IC_S_OK 0x00000000u
#define IC_E_FAIL 0x80004005u
#define IC_E_NOT_SUPPORTED 0x80070032u
#define IC_E_INVALIDARG 0x80070057u
#define IC_E_GUID_NOTFOUND 0x80041002u

struct ic_hdr {
    struct ic_version framework; /* +0x00 */
    uint16_t msgtype;            /* +0x04 IC_MSG_* */
    struct ic_version msgver;    /* +0x06 */
    uint16_t msgsize;            /* +0x0A body bytes (0x10 in negotiation) */
    uint32_t status;             /* +0x0C IC_S_* / IC_E_* in responses */
    uint8_t transaction_id;      /* +0x10 */
    uint8_t flags;               /* +0x11 IC_FLAG_* */
    uint8_t reserved[2];         /* +0x12 */
};
_Static_assert(sizeof(struct ic_hdr) == 20, "IC header");
_Static_assert(offsetof(struct ic_hdr, status) == 12, "IC status");

#define IC_BODY_OFFSET (sizeof(struct ic_pipe_hdr) + sizeof(struct ic_hdr))
_Static_assert(IC_BODY_OFFSET == 28, "IC body at 28");

/*
 * icmsg_negotiate (NegotiateMessage): framework_count framework versions
 * then message_count message versions follow.  The answer names one of
 * each (counts 1/1), or 0/0 when nothing matched.
 */
struct ic_negotiate {
    uint16_t framework_count; /* +0x00 */
    uint16_t message_count;   /* +0x02 */
    uint32_t reserved;        /* +0x04 */
    /* struct ic_version versions[] at +0x08 */
};
_Static_assert(sizeof(struct ic_negotiate) == 8, "negotiate");
#define IC_NEGOTIATE_MAX_VERSIONS 64u /* receivers refuse more */
#define IC_NEGOTIATE_RESP_MSGSIZE 0x10u

/* Heartbeat body (heartbeat_msg_data / HeartbeatMessage). */
struct ic_heartbeat {
    uint64_t seq_num;   /* +0x00 guest answers seq_num + 1 */
    uint32_t app_state; /* +0x08 IC_HB_STATE_* (>= 3.0) */
    uint32_t reserved;  /* +0x0C */
};
_Static_assert(sizeof(struct ic_heartbeat) == 16, "heartbeat");
#define IC_HEARTBEAT_MIN 8u
/* Linux (heartbeat_msg_data) drops bodies shorter than 40 bytes: hosts
 * send the heartbeat followed by zeros up to this size. */
#define IC_HEARTBEAT_SEND_BYTES 40u
#define IC_HB_STATE_HEALTHY 1u

/* Shutdown body (shutdown_msg_data / ShutdownMessage). */
#define IC_SHUTDOWN_FLAG_FORCE 0x1u
#define IC_SHUTDOWN_FLAG_RESTART 0x2u
#define IC_SHUTDOWN_FLAG_HIBERNATE 0x4u
struct ic_shutdown {
    uint32_t reason_code;          /* +0x00 */
    uint32_t timeout_seconds;      /* +0x04 */
    uint32_t flags;                /* +0x08 IC_SHUTDOWN_FLAG_* */
    uint8_t display_message[2048]; /* +0x0C */
};
_Static_assert(sizeof(struct ic_shutdown) == 2060, "shutdown");
#define IC_SHUTDOWN_MIN 12u

/* Time sync: host time in 100 ns units since 1601-01-01 UTC. */
#define IC_TIMESYNC_PROBE 0x0u
#define IC_TIMESYNC_SYNC 0x1u
#define IC_TIMESYNC_SAMPLE 0x2u
#define IC_EPOCH_DELTA_100NS 116444736000000000ull /* 1601 -> 1970 */

/* ictimesync_data, message versions below 4.0. */
struct ic_timesync_v3 {
    uint64_t parent_time;    /* +0x00 100 ns since 1601 */
    uint64_t child_time;     /* +0x08 */
    uint64_t roundtrip_time; /* +0x10 */
    uint8_t flags;           /* +0x18 IC_TIMESYNC_* */
    uint8_t reserved[7];
};
_Static_assert(offsetof(struct ic_timesync_v3, flags) == 24, "ts v3");
#define IC_TIMESYNC_V3_MIN 25u

/* ictimesync_ref_data, message version 4.0. */
struct ic_timesync_v4 {
    uint64_t parent_time;  /* +0x00 100 ns since 1601 */
    uint64_t vm_reference; /* +0x08 partition reference time, 100 ns */
    uint8_t flags;         /* +0x10 IC_TIMESYNC_* */
    uint8_t leap_flags;    /* +0x11 */
    uint8_t stratum;       /* +0x12 */
    uint8_t reserved[5];
};
_Static_assert(offsetof(struct ic_timesync_v4, flags) == 16, "ts v4");
#define IC_TIMESYNC_V4_MIN 17u

/*
 * KVP (hv_kvp_*): a 4-byte {operation, pool, pad} header, then the
 * operation's body.  Keys and values are UTF-16LE; sizes are in bytes and
 * include the terminating NUL.  Hosts send 2,580-byte messages.
 */
#define IC_KVP_OP_GET 0u
#define IC_KVP_OP_SET 1u
#define IC_KVP_OP_DELETE 2u
#define IC_KVP_OP_ENUMERATE 3u

#define IC_KVP_POOL_EXTERNAL 0u /* host-set values the guest reads */
#define IC_KVP_POOL_GUEST 1u    /* guest-set values the host reads */
#define IC_KVP_POOL_AUTO 2u     /* intrinsic guest data (host name, OS) */
#define IC_KVP_POOL_AUTO_EXTERNAL 3u
#define IC_KVP_POOL_AUTO_INTERNAL 4u
#define IC_KVP_POOL_COUNT 5u

#define IC_KVP_REG_SZ 1u
#define IC_KVP_REG_U32 4u
#define IC_KVP_REG_U64 8u

#define IC_KVP_MAX_KEY_BYTES 512u
#define IC_KVP_MAX_VALUE_BYTES 2048u

struct ic_kvp_hdr {
    uint8_t operation; /* +0x00 IC_KVP_OP_* */
    uint8_t pool;      /* +0x01 IC_KVP_POOL_* */
    uint16_t pad;      /* +0x02 */
};
_Static_assert(sizeof(struct ic_kvp_hdr) == 4, "KVP header");

/* hv_kvp_exchg_msg_value: the body of GET and SET. */
struct ic_kvp_value {
    uint32_t value_type;                   /* +0x000 IC_KVP_REG_* */
    uint32_t key_size;                     /* +0x004 bytes incl. NUL, <= 512 */
    uint32_t value_size;                   /* +0x008 bytes incl. NUL, <= 2048 */
    uint8_t key[IC_KVP_MAX_KEY_BYTES];     /* +0x00C UTF-16LE */
    uint8_t value[IC_KVP_MAX_VALUE_BYTES]; /* +0x20C UTF-16LE or integer */
};
_Static_assert(sizeof(struct ic_kvp_value) == 2572, "KVP value");

/* hv_kvp_msg_enumerate: the body of ENUMERATE. */
struct ic_kvp_enumerate {
    uint32_t index;           /* +0x000 */
    struct ic_kvp_value data; /* +0x004 */
};
_Static_assert(sizeof(struct ic_kvp_enumerate) == 2576, "KVP enumerate");

/* hv_kvp_msg_delete: the body of DELETE. */
struct ic_kvp_delete {
    uint32_t key_size;                 /* +0x000 */
    uint8_t key[IC_KVP_MAX_KEY_BYTES]; /* +0x004 */
};
_Static_assert(sizeof(struct ic_kvp_delete) == 516, "KVP delete");

/* Whole KVP message as hosts send it: header + the largest body. */
#define IC_KVP_MSG_BYTES                                                       \
    (sizeof(struct ic_kvp_hdr) + sizeof(struct ic_kvp_enumerate))
_Static_assert(IC_KVP_MSG_BYTES == 2580, "KVP message");

/* Largest IC packet payload either side builds or accepts. */
#define IC_MAX_PACKET (IC_BODY_OFFSET + IC_KVP_MSG_BYTES)

#endif /* PROTO_IC_H */
