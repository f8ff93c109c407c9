/*
 * netvsp: the root's synthetic network adapter (VSP side of NVSP + RNDIS)
 * over an abstract frame backend (virtio-net in the root, a test double in
 * the loopback tests).
 *
 * It offers one VMBus channel of class VMBUS_CLASS_NETWORK and speaks NVSP
 * 1, 2, 4, 5, 6 and 6.1 (28-byte messages below 6.1, 40 from 6.1),
 * NDIS 6.30, a receive buffer cut into fixed slots (one frame or control
 * message per slot, freed when the guest completes the transfer page), a
 * send buffer in sections, and RNDIS initialize/query/set/reset/keepalive/
 * halt with the OIDs Linux and Windows guests ask for, plus media
 * connect/disconnect indications.  Transmit checksum offload for IPv4 TCP,
 * UDP and the IP header is offered and done here.
 *
 * Guest frames go to backend->transmit(); the backend hands received
 * frames to netvsp_receive().  Single-threaded: call everything from the
 * context that runs the VMBus server.  Every guest value is validated; a
 * bad message is dropped or refused with a status, never trusted.
 */
#ifndef ROOT_VSP_NETVSP_NETVSP_H
#define ROOT_VSP_NETVSP_NETVSP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "root/vmbus/server.h"

struct netvsp;

struct netvsp_backend_ops {
    /* One frame from the guest for the wire.  0, or a negative errno
     * (the frame is dropped and counted). */
    int (*transmit)(void *ctx, const void *frame, uint32_t len);
};

struct netvsp_config {
    uint8_t mac[6];
    uint16_t mtu;                /* 0 = 1500 */
    uint32_t max_nvsp_version;   /* highest NVSP_VERSION_* accepted, 0 = 6.1 */
    uint32_t link_speed;         /* in 100 bit/s, 0 = 10 Gbit/s */
    uint32_t recv_slot_bytes;    /* receive slot size, 0 = 1664 */
    uint32_t send_section_bytes; /* 0 = 6144 */
    bool link_down;              /* start with the cable unplugged */
    const struct netvsp_backend_ops *backend;
    void *backend_ctx;
    /* Memory for netvsp state (zeroed); NULL alloc and free use the
     * server's (vmbus_server_alloc/free). */
    void *(*alloc)(void *ctx, size_t bytes);
    void (*free)(void *ctx, void *p);
    void *alloc_ctx;
    /* One line of diagnostics, or NULL. */
    void (*log)(void *ctx, const char *line);
    void *log_ctx;
};

struct netvsp_stats {
    uint64_t tx_frames, tx_bytes, tx_dropped; /* guest -> wire */
    uint64_t rx_frames, rx_bytes;             /* wire -> guest */
    uint64_t rx_no_buffer;      /* dropped: no free receive slot */
    uint64_t rx_filtered;       /* dropped: packet filter or not ready */
    uint64_t bad_nvsp;          /* malformed or unexpected NVSP */
    uint64_t bad_rndis;         /* malformed RNDIS from the guest */
    uint64_t ctl_requests;      /* RNDIS control messages handled */
    uint64_t tx_csum_offloaded; /* frames whose checksums we filled in */
};

/*
 * Adds the device to srv with the given instance id.  cfg is copied.
 * Returns 0 and *out, -EINVAL (no backend or MAC, or only one of alloc/free),
 * -ENOMEM, or a vmbus_server_add_device() error.
 */
int netvsp_create(struct vmbus_server *srv, const struct vmbus_guid *instance,
                  const struct netvsp_config *cfg, struct netvsp **out);
/* Frees the state.  Call after vmbus_server_rescind() of its channel or
 * after vmbus_server_destroy(); with the server's allocator only the
 * former. */
void netvsp_destroy(struct netvsp *vsp);

/*
 * A frame from the wire for the guest.  Returns 0, -ENOTCONN (guest not
 * ready or link down), -EAGAIN (filtered out by the guest's packet filter
 * -- counted, not an error for the backend), -ENOBUFS (receive buffer
 * exhausted: dropped), -EMSGSIZE, -EIO.
 */
int netvsp_receive(struct netvsp *vsp, const void *frame, uint32_t len);

/* Cable state; tells an initialized guest with an indication. */
void netvsp_set_link(struct netvsp *vsp, bool up);

/*
 * Queues one RNDIS control message for the guest as is (e.g. an
 * INDICATE_STATUS with RNDIS_STATUS_NETWORK_CHANGE after the backend moved
 * networks, or a conformance test's own message).  Returns 0, -ENOTCONN
 * (the guest has not initialized RNDIS), -EMSGSIZE, -ENOSPC (queue full).
 */
int netvsp_send_control(struct netvsp *vsp, const void *msg, uint32_t len);

/*
 * Fault injection for conformance tests of guests: NETVSP_FAULT_* bits.
 * NO_CONTROL_REPLY: RNDIS control requests are taken (NVSP completion
 * sent) but never answered.
 */
#define NETVSP_FAULT_NO_CONTROL_REPLY 0x1u
void netvsp_set_faults(struct netvsp *vsp, uint32_t faults);

/* Retries control messages that waited for a receive slot. */
void netvsp_poll(struct netvsp *vsp);

uint32_t netvsp_nvsp_version(const struct netvsp *vsp);
uint32_t netvsp_packet_filter(const struct netvsp *vsp);
uint32_t netvsp_free_slots(const struct netvsp *vsp);
const struct netvsp_stats *netvsp_get_stats(const struct netvsp *vsp);
struct vmbus_server_channel *netvsp_channel(const struct netvsp *vsp);

#endif /* ROOT_VSP_NETVSP_NETVSP_H */
