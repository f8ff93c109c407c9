/*
 * Root VMBus server: version negotiation (0.13 to 6.0, granting no optional
 * 6.0 features) on connection ids 1 and 4, offers from a device table, GPADL
 * assembly with limits, channel open/close, rescind and hot add, host-to-guest
 * interrupts via event flags and the SINT with coalescing.
 *
 * Entry points (called by the root's hypervisor core):
 *   vmbus_server_on_post_message()  guest HvCallPostMessage
 *   vmbus_server_on_signal_event()  guest HvCallSignalEvent
 *   vmbus_server_on_eom()           guest wrote EOM (a SIMP slot freed)
 *   vmbus_server_poll()             retry queued work, read masked rings;
 *                                   call from the loop after every exit
 *   vmbus_server_reset()            partition reset
 *
 * VSPs register a struct vmbus_server_device and drive their channel with
 * vmbus_server_chan_*; a VSP whose protocol has the guest ask for more
 * channels (storage's CREATE_SUB_CHANNELS) adds sub-channels to it with
 * vmbus_server_offer_subchannels().  Every guest value is validated; a bad
 * message is dropped (or answered with a failure status where the guest would
 * otherwise wait forever) with a logged reason, never a crash.
 */
#ifndef ROOT_VMBUS_SERVER_H
#define ROOT_VMBUS_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/gpadl.h"
#include "common/ring.h"
#include "proto/vmbus.h"
#include "root/vmbus/platform.h"

struct vmbus_server;
struct vmbus_server_channel;

struct vmbus_server_config {
    uint32_t max_version;     /* highest accepted, 0 = 6.0 */
    uint32_t msg_conn_id;     /* told to >= 5.0 guests, 0 = 4 */
    uint32_t max_gpadl_pages; /* per GPADL, 0 = GPADL_MAX_PFNS */
    uint32_t max_gpadls;      /* outstanding per connection, 0 = 256 */
    uint32_t queue_len;       /* queued host->guest messages, 0 = 256 */
};

/* Signal connection ids: base + relid (never 1..4). */
#define VMBUS_SERVER_CONN_BASE 0x2000u

struct vmbus_server_device_ops {
    /* Guest opened the channel; return 0 to accept or an NTSTATUS value
     * for the OpenResult.  user_data is the open message's 120 bytes. */
    uint32_t (*open)(struct vmbus_server_channel *ch, void *ctx,
                     const uint8_t *user_data);
    /* Runs after the OpenResult is queued; may send packets. Optional. */
    void (*opened)(struct vmbus_server_channel *ch, void *ctx);
    /* Channel closed (guest close, rescind, unload or reset). */
    void (*close)(struct vmbus_server_channel *ch, void *ctx);
    /* Guest signalled: drain the inbound ring, retry blocked sends. */
    void (*packet)(struct vmbus_server_channel *ch, void *ctx);
    /* The channel is being rescinded (after close), or is a sub-channel
     * dropped with the connection (Unload, reset, a new InitiateContact):
     * ch becomes invalid, so drop every pointer to it.  Optional. */
    void (*rescinded)(struct vmbus_server_channel *ch, void *ctx);
};

struct vmbus_server_device {
    const char *name;
    struct vmbus_guid class_id;
    struct vmbus_guid instance_id;
    uint16_t mmio_megabytes;
    uint16_t offer_flags; /* VMBUS_OFFER_FLAG_* */
    uint8_t user_defined[VMBUS_OFFER_USER_DEFINED_BYTES];
    const struct vmbus_server_device_ops *ops;
    void *ctx;
};

/* NULL on bad config or no memory.  plat and cfg are copied. */
struct vmbus_server *
vmbus_server_create(const struct vmbus_server_platform *plat,
                    const struct vmbus_server_config *cfg);
void vmbus_server_destroy(struct vmbus_server *srv);

/*
 * Adds a device (copied) and, if the guest already asked for offers,
 * offers it at once (hot add).  *out (may be NULL) gets its channel.
 * Returns 0, -ENOSPC (no relid left), -ENOMEM, -EINVAL.
 */
int vmbus_server_add_device(struct vmbus_server *srv,
                            const struct vmbus_server_device *dev,
                            struct vmbus_server_channel **out);
/*
 * Rescinds a channel: closes it on the host side and tells the guest; the
 * relid is reused after the guest's RelIdReleased.  The channel pointer is
 * invalid after this call.  Returns 0 or -EINVAL (already rescinded).
 */
int vmbus_server_rescind(struct vmbus_server *srv,
                         struct vmbus_server_channel *ch);

/*
 * Sub-channels: n more channels of the device behind primary, as Hyper-V
 * adds them when a guest asks (VMBus 2.4+).  Each is offered at once with
 * the primary's class and instance GUIDs, sub_channel_index 1, 2, ... (in
 * the order made, never reused while the connection lasts), its own relid
 * and connection id, and the primary's device (ops and ctx: the callbacks
 * tell the channels apart by their ch argument, see
 * vmbus_server_chan_sub_index()).  The guest opens them like any channel.
 * They last until the primary is rescinded (which rescinds them first),
 * they are rescinded themselves, or the connection ends; a primary closed
 * and opened again keeps them.  *out (may be NULL) gets the n channels.
 * Returns 0, -EINVAL (primary is NULL or a sub-channel, n is 0, or more
 * than VMBUS_SERVER_MAX_SUBCHANNELS would be live), -ENOTCONN (primary not
 * offered to the current connection), -ENOTSUP (version before 2.4),
 * -ENOSPC (relids), -ENOMEM; on error nothing was offered.
 */
#define VMBUS_SERVER_MAX_SUBCHANNELS 64u /* live per primary */
int vmbus_server_offer_subchannels(struct vmbus_server *srv,
                                   struct vmbus_server_channel *primary,
                                   uint16_t n,
                                   struct vmbus_server_channel **out);

/* Entry points; the first two return an HV_STATUS for the hypercall. */
uint32_t vmbus_server_on_post_message(struct vmbus_server *srv,
                                      uint32_t conn_id, uint32_t msg_type,
                                      const void *payload, uint32_t len);
uint32_t vmbus_server_on_signal_event(struct vmbus_server *srv,
                                      uint32_t conn_id, uint16_t flag);
void vmbus_server_on_eom(struct vmbus_server *srv);
void vmbus_server_poll(struct vmbus_server *srv);
void vmbus_server_reset(struct vmbus_server *srv);

/*
 * Interrupt coalescing outside the entry points (e.g. a VSP completing
 * several requests from the root's loop): between _begin and _end, guest
 * interrupts and queued messages are held; _end sets every pending event
 * flag and raises the SINT once.  Entry points do this themselves.  Nests.
 */
void vmbus_server_batch_begin(struct vmbus_server *srv);
void vmbus_server_batch_end(struct vmbus_server *srv);

/* State for the console and tests. */
uint32_t vmbus_server_version(const struct vmbus_server *srv);
bool vmbus_server_connected(const struct vmbus_server *srv);
/* Channel by relid, or NULL. */
struct vmbus_server_channel *vmbus_server_channel(struct vmbus_server *srv,
                                                  uint32_t relid);
/* Counters. */
struct vmbus_server_stats {
    uint64_t msgs_in, msgs_out, msgs_dropped, msgs_queued;
    uint64_t signals_in, interrupts_out, flags_set;
    uint64_t logs_dropped; /* past VMBUS_SERVER_LOG_BUDGET lines */
};
#define VMBUS_SERVER_LOG_BUDGET 256u /* log lines per partition reset */
const struct vmbus_server_stats *
vmbus_server_get_stats(const struct vmbus_server *srv);

/* ---- channel API for VSPs ---- */

uint32_t vmbus_server_chan_relid(const struct vmbus_server_channel *ch);
bool vmbus_server_chan_is_open(const struct vmbus_server_channel *ch);
/* 0 for a primary channel, the offer's sub_channel_index otherwise. */
uint16_t vmbus_server_chan_sub_index(const struct vmbus_server_channel *ch);
/* ch itself for a primary; a sub-channel's primary, or NULL once that
 * primary has been released. */
struct vmbus_server_channel *
vmbus_server_chan_primary(struct vmbus_server_channel *ch);
const struct vmbus_server_device *
vmbus_server_chan_device(const struct vmbus_server_channel *ch);
struct vmbus_server *vmbus_server_chan_server(struct vmbus_server_channel *ch);
void vmbus_server_chan_set_priv(struct vmbus_server_channel *ch, void *p);
void *vmbus_server_chan_priv(const struct vmbus_server_channel *ch);

/*
 * Copies the next guest packet (descriptor included) into buf; the ring
 * read index is published and the guest signalled if it waits for space.
 * Returns 0, -EAGAIN (none), -EMSGSIZE (buf too small; info filled),
 * -EBADMSG/-EIO (guest corrupted the ring: the channel should be closed),
 * -ENOTCONN.
 */
int vmbus_server_chan_recv(struct vmbus_server_channel *ch, void *buf,
                           uint32_t buflen, struct ring_pkt_info *info);

/*
 * Polling the guest-to-host ring instead of taking signals: _mask sets the
 * ring's interrupt_mask, so the guest stops signalling, and from then on
 * vmbus_server_poll() runs the packet callback whenever the ring holds
 * packets (the root's loop calls it after every exit, before the device
 * pollers).  _unmask clears the mask and returns true if packets are
 * already waiting: the caller drains them, no signal will come for them.
 * The guest may rewrite the mask; that only costs signals.  Closing the
 * channel ends polling.
 */
void vmbus_server_chan_mask(struct vmbus_server_channel *ch);
bool vmbus_server_chan_unmask(struct vmbus_server_channel *ch);
/* True while the guest has not read everything published to it in the
 * host-to-guest ring (its read index, which it may fake). */
bool vmbus_server_chan_unread(struct vmbus_server_channel *ch);

/*
 * Queues one packet in the host-to-guest ring; _flush publishes and
 * schedules the guest interrupt (coalesced: one SINT per entry point or
 * poll).  Returns 0, -EAGAIN (ring full), -EMSGSIZE, -ENOTCONN, -EIO.
 */
int vmbus_server_chan_put(struct vmbus_server_channel *ch, uint16_t type,
                          uint16_t flags, uint64_t trans_id, const void *data,
                          uint32_t len);
int vmbus_server_chan_flush(struct vmbus_server_channel *ch);
/*
 * Like vmbus_server_chan_put() for packets with a type-specific header
 * between the descriptor and the payload (transfer-page or GPA ranges):
 * hdr_len bytes (a multiple of 8, may be 0) follow the 16-byte descriptor
 * and count into offset8, so the payload starts at offset8 * 8 as Hyper-V
 * lays it out.  Returns as vmbus_server_chan_put(), plus -EINVAL for a
 * hdr_len that is not a multiple of 8.
 */
int vmbus_server_chan_put_hdr(struct vmbus_server_channel *ch, uint16_t type,
                              uint16_t flags, uint64_t trans_id,
                              const void *hdr, uint32_t hdr_len,
                              const void *data, uint32_t len);
/* vmbus_server_chan_put_hdr() + vmbus_server_chan_flush(). */
int vmbus_server_chan_send_hdr(struct vmbus_server_channel *ch, uint16_t type,
                               uint16_t flags, uint64_t trans_id,
                               const void *hdr, uint32_t hdr_len,
                               const void *data, uint32_t len);
int vmbus_server_chan_send(struct vmbus_server_channel *ch, uint16_t type,
                           uint16_t flags, uint64_t trans_id, const void *data,
                           uint32_t len);

/*
 * Asks the guest to signal once `bytes` (as ring_pkt_bytes() counts a
 * packet) are free in the host-to-guest ring; 0 cancels.  Returns true if
 * they already are (retry at once).  The VSP's packet callback runs when
 * the guest signals.
 */
bool vmbus_server_chan_want_space(struct vmbus_server_channel *ch,
                                  uint32_t bytes);

/* A complete GPADL of this channel's connection by handle, or NULL. */
const struct gpadl_asm *vmbus_server_chan_gpadl(struct vmbus_server_channel *ch,
                                                uint32_t handle);
/* The platform's allocator (zeroed) and free, for VSP state. */
void *vmbus_server_alloc(struct vmbus_server *srv, size_t bytes);
void vmbus_server_free(struct vmbus_server *srv, void *p);
/* The checked guest memory accessor, for VSPs. */
void *vmbus_server_gpa(struct vmbus_server *srv, uint64_t gpa, uint64_t len);

#endif /* ROOT_VMBUS_SERVER_H */
