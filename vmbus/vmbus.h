/*
 * Guest VMBus client: connection, offers, GPADLs and channels.
 *
 * Usage: vmbus_create() with a platform (vmbus/platform.h), register drivers
 * (bound by device class GUID), vmbus_connect() negotiates the highest
 * common version (6.0 down to 3.0), requests the offers and probes a driver
 * for each; vmbus_poll() later handles hot-added and rescinded channels;
 * vmbus_disconnect() sends Unload before power-off.
 *
 * Everything is single-threaded and blocking calls wait through the
 * platform's wait().  Channel callbacks and driver probe/remove run in the
 * caller's context: callbacks must not block (no open/close/GPADL calls).
 *
 * Return values: 0 or a negative errno; each function lists its own.  Every
 * value the host sends is validated; a misbehaving host produces errors and
 * log lines, never a crash.
 */
#ifndef VMBUS_VMBUS_H
#define VMBUS_VMBUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/ring.h"
#include "proto/vmbus.h"
#include "vmbus/platform.h"

struct vmbus;
struct vmbus_channel;

#define VMBUS_MAX_DRIVERS 16u
#define VMBUS_DEFAULT_TIMEOUT_NS 5000000000ull /* per blocking request */

/* ---- connection ---- */

/* Returns a new client (calloc) or NULL.  plat is copied. */
struct vmbus *vmbus_create(const struct vmbus_platform *plat);
/* Frees the client, its channels and their memory; call after
 * vmbus_disconnect() (or when the host is gone). */
void vmbus_destroy(struct vmbus *vb);
/* Timeout of each blocking request (default VMBUS_DEFAULT_TIMEOUT_NS). */
void vmbus_set_timeout(struct vmbus *vb, uint64_t ns);

/*
 * Negotiates a version <= max_version (0 = the newest we speak, 6.0), then
 * requests offers, waits for AllOffersDelivered and probes drivers.
 * Channels left from an earlier connection (after vmbus_disconnect()) are
 * removed first: their drivers' remove() runs and they are freed.
 * Returns 0, -EALREADY (connected), -ENOTSUP (the host accepted none of
 * 6.0/5.3/5.2/5.1/5.0/4.1/4.0/3.0), -ECONNREFUSED (accepted with a failed
 * connection state), -ETIMEDOUT, -ENOMEM, -EIO (post failed).
 */
int vmbus_connect(struct vmbus *vb, uint32_t max_version);
/* Negotiated version word (0 when not connected) and message connection. */
uint32_t vmbus_version(const struct vmbus *vb);
uint32_t vmbus_msg_conn_id(const struct vmbus *vb);

/*
 * Sends Unload and waits for UnloadComplete; afterwards every channel is
 * dead (operations fail with -ENOTCONN) and the host no longer touches guest
 * memory.  Returns 0, -ENOTCONN, -ETIMEDOUT, -EIO.
 */
int vmbus_disconnect(struct vmbus *vb);

/*
 * Runs deferred work: probes drivers for offers that arrived after connect,
 * and for rescinded channels calls the driver's remove(), closes the
 * channel if still open and answers RelIdReleased; the channel is freed.
 */
void vmbus_poll(struct vmbus *vb);

/* ---- drivers ---- */

struct vmbus_driver {
    const char *name;
    struct vmbus_guid class_id; /* primary offers of this type bind */
    /* Called once per matching channel; 0 = bound.  May open the channel. */
    int (*probe)(struct vmbus_channel *ch, void *ctx);
    /* Rescind: drop every reference to ch (it is freed afterwards).
     * May call vmbus_chan_close(); the client closes it otherwise.  Also
     * runs for each rescinded sub-channel, still open, of a channel this
     * driver bound (vmbus_chan_sub_index(ch) != 0 tells them apart). */
    void (*remove)(struct vmbus_channel *ch, void *ctx);
    void *ctx;
};

/* Registers drv (kept by pointer).  Returns 0, -ENOSPC (table full), or
 * -EINVAL.  Register before vmbus_connect() to bind boot-time offers. */
int vmbus_register_driver(struct vmbus *vb, const struct vmbus_driver *drv);
/* Removes drv from the table; channels it bound keep running but are no
 * longer reported to it (no remove() on a later rescind).  Returns 0 or
 * -ENOENT. */
int vmbus_unregister_driver(struct vmbus *vb, const struct vmbus_driver *drv);

/* ---- channels ---- */

/* The n-th offered channel (relid order), or NULL; for diagnostics. */
struct vmbus_channel *vmbus_channel_at(struct vmbus *vb, size_t n);
/* First primary channel of a class not rescinded, or NULL. */
struct vmbus_channel *vmbus_find_channel(struct vmbus *vb,
                                         const struct vmbus_guid *class_id);

/* Offer data (valid until the channel is removed). */
uint32_t vmbus_chan_relid(const struct vmbus_channel *ch);
const struct vmbus_guid *vmbus_chan_class(const struct vmbus_channel *ch);
const struct vmbus_guid *vmbus_chan_instance(const struct vmbus_channel *ch);
const struct vmbus_msg_offer *vmbus_chan_offer(const struct vmbus_channel *ch);
bool vmbus_chan_rescinded(const struct vmbus_channel *ch);
/*
 * Sub-channels: more channels of the same device that a driver asks its
 * host for in the device's own protocol (storage: CREATE_SUB_CHANNELS).
 * They arrive as offers with the primary's class and instance GUIDs and
 * sub_channel_index != 0; the client ties each to its primary (an offer
 * with no live primary, or an index the primary already has, stays
 * unattached and unused), never probes a driver for them, and the driver
 * opens them with vmbus_chan_open() like its primary.
 */
/* 0 for a primary channel, else the offer's sub_channel_index. */
uint16_t vmbus_chan_sub_index(const struct vmbus_channel *ch);
/* ch for a primary; a sub-channel's primary, or NULL if it has none. */
struct vmbus_channel *vmbus_chan_primary(struct vmbus_channel *ch);
/* Fills out with the live (not rescinded) sub-channels of primary of the
 * lowest sub_channel_index, up to max, in index order; returns how many
 * there are (may be > max). */
size_t vmbus_chan_subchannels(struct vmbus_channel *primary,
                              struct vmbus_channel **out, size_t max);
/*
 * Waits (up to the client's timeout) until primary has n live
 * sub-channels and puts the first n in out.  Returns n, fewer (> 0) on
 * timeout, -ETIMEDOUT (none came), -ENODEV (primary rescinded or the
 * connection gone), -EINVAL (not a primary).
 */
int vmbus_chan_wait_subchannels(struct vmbus_channel *primary, size_t n,
                                struct vmbus_channel **out);

/* Driver-private pointer. */
void vmbus_chan_set_priv(struct vmbus_channel *ch, void *priv);
void *vmbus_chan_priv(const struct vmbus_channel *ch);

/* Runs when the host signals the channel (non-blocking context). */
typedef void (*vmbus_chan_cb)(struct vmbus_channel *ch, void *ctx);

/*
 * Allocates both rings (send_bytes guest-to-host, recv_bytes host-to-guest,
 * each a multiple of 4 KiB, >= 4 KiB, control page not included), shares
 * them with a GPADL and opens the channel.  user_data (<= 120 bytes, may be
 * NULL) goes to the host's device.  Returns 0, -EINVAL (sizes), -EBUSY
 * (already open), -ENODEV (rescinded), -ENOMEM, -ECONNREFUSED (host status
 * non-zero), -ETIMEDOUT, -ENOTCONN, -EIO.
 */
int vmbus_chan_open(struct vmbus_channel *ch, uint32_t send_bytes,
                    uint32_t recv_bytes, const void *user_data,
                    uint32_t user_len, vmbus_chan_cb cb, void *cb_ctx);

/* Closes (CloseChannel, ring GPADL teardown) and frees the rings.  Safe on a
 * closed or rescinded channel (then no messages are sent). */
void vmbus_chan_close(struct vmbus_channel *ch);

/*
 * Appends one packet of `type` (VMBUS_PKT_DATA_INBAND or
 * VMBUS_PKT_COMPLETION) with `flags` (VMBUS_PKT_FLAG_*) and trans_id, not
 * yet visible to the host; vmbus_chan_flush() publishes a batch and signals
 * at most once.  Returns 0, -EAGAIN (ring full: see vmbus_chan_want_space),
 * -EMSGSIZE, -ENOTCONN (not open), -EIO (ring corrupt).
 */
int vmbus_chan_put(struct vmbus_channel *ch, uint16_t type, uint16_t flags,
                   uint64_t trans_id, const void *data, uint32_t len);
/* Publishes put packets; signals the host if needed.  0, -ENOTCONN, -EIO. */
int vmbus_chan_flush(struct vmbus_channel *ch);
/* vmbus_chan_put() + vmbus_chan_flush(). */
int vmbus_chan_send(struct vmbus_channel *ch, uint16_t type, uint16_t flags,
                    uint64_t trans_id, const void *data, uint32_t len);

/* A page range of a GPA-direct packet: byte_count bytes from byte_offset
 * into pfns[0]; as many PFNs as the range spans. */
struct vmbus_chan_range {
    uint32_t byte_count;
    uint32_t byte_offset;
    const uint64_t *pfns;
};
#define VMBUS_CHAN_MAX_RANGES 16u
/*
 * Appends a VMBUS_PKT_DATA_GPA_DIRECT packet carrying `data` and the
 * ranges (<= VMBUS_CHAN_MAX_RANGES), not yet visible to the host, like
 * vmbus_chan_put().  Returns as vmbus_chan_put(), plus -EINVAL for a bad
 * range.
 */
int vmbus_chan_put_gpa(struct vmbus_channel *ch,
                       const struct vmbus_chan_range *ranges, uint32_t nranges,
                       uint16_t flags, uint64_t trans_id, const void *data,
                       uint32_t len);
/* vmbus_chan_put_gpa() + vmbus_chan_flush(). */
int vmbus_chan_send_gpa(struct vmbus_channel *ch,
                        const struct vmbus_chan_range *ranges, uint32_t nranges,
                        uint16_t flags, uint64_t trans_id, const void *data,
                        uint32_t len);

/* A packet received by vmbus_chan_recv(). */
struct vmbus_pkt_info {
    uint16_t type;   /* VMBUS_PKT_* */
    uint16_t flags;  /* VMBUS_PKT_FLAG_* */
    uint32_t offset; /* payload starts at buf + offset */
    uint32_t len;    /* bytes copied to buf (descriptor included) */
    uint64_t trans_id;
};

/*
 * Copies the next host packet (descriptor and any type-specific header
 * included) into buf.  Returns 0, -EAGAIN (none), -EMSGSIZE (buflen too
 * small; info->len says how much is needed, nothing consumed), -EBADMSG or
 * -EIO (the host corrupted the ring), -ENOTCONN.
 */
int vmbus_chan_recv(struct vmbus_channel *ch, void *buf, uint32_t buflen,
                    struct vmbus_pkt_info *info);
/* Describes the next packet without consuming it; vmbus_chan_recv errors. */
int vmbus_chan_peek(struct vmbus_channel *ch, struct vmbus_pkt_info *info);

/*
 * Asks the host to signal when `bytes` (as ring_pkt_bytes() counts a packet)
 * are free in the send ring; 0 cancels.  Returns true if they already are.
 */
bool vmbus_chan_want_space(struct vmbus_channel *ch, uint32_t bytes);
/*
 * Polling windows (the receive ring's interrupt_mask): while masked the host
 * adds packets without signalling.  A reader drains with the mask set, then
 * unmasks; unmask returns true if packets are already waiting (drain again:
 * no signal will come for them).
 */
void vmbus_chan_mask(struct vmbus_channel *ch);
bool vmbus_chan_unmask(struct vmbus_channel *ch);

/*
 * GPADL of npages guest-physical pages (pfns) for the host to access, e.g.
 * receive buffers.  *handle gets the handle.  Returns 0, -EINVAL (0 pages or
 * more than 8190), -ENOTCONN, -ENODEV (rescinded), -ECONNREFUSED (host
 * status non-zero), -ETIMEDOUT, -EIO.
 */
int vmbus_chan_gpadl_create(struct vmbus_channel *ch, const uint64_t *pfns,
                            uint32_t npages, uint32_t *handle);
/* Tears a GPADL down and waits for GpadlTorndown.  0, -ETIMEDOUT, -EIO,
 * -ENOTCONN; on a rescinded channel returns 0 without messages. */
int vmbus_chan_gpadl_teardown(struct vmbus_channel *ch, uint32_t handle);

#endif /* VMBUS_VMBUS_H */
