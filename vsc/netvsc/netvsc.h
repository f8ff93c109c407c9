/*
 * netvsc: the guest's synthetic network adapter (NVSP + RNDIS over a VMBus
 * channel of class VMBUS_CLASS_NETWORK).
 *
 * netvsc_open() opens the channel and runs the whole bring-up: NVSP
 * version (6.1 down to 2), NDIS config and version, receive and send
 * buffers (GPADLs), RNDIS initialize, MAC address, MTU and link queries,
 * packet filter.  Afterwards frames go out with netvsc_send() (one send
 * section each, reused when the host completes it) and come in through the
 * rx handler, called from netvsc_poll(); the transfer pages are completed
 * at once.  netvsc_net_link() fills a struct net_link for net/net.h.
 *
 * Everything runs in one thread; netvsc_poll() runs from the channel
 * callback too and never blocks.  Blocking calls (open, query, keepalive,
 * close) wait through the platform's wait() with a timeout each.  Every
 * value the host sends is validated; a bad one is counted, logged and
 * dropped (the transfer page is still completed), never trusted.
 *
 * Return values: 0 or a negative errno, as listed per function.
 */
#ifndef VSC_NETVSC_NETVSC_H
#define VSC_NETVSC_NETVSC_H

#include <stdbool.h>
#include <stdint.h>

#include "net/net.h"
#include "vmbus/platform.h"
#include "vmbus/vmbus.h"

struct netvsc;

struct netvsc_config {
    uint32_t max_nvsp_version; /* highest NVSP_VERSION_* to try, 0 = 6.1 */
    uint32_t recv_buf_bytes;   /* multiple of 4 KiB, 0 = 1 MiB */
    uint32_t send_buf_bytes;   /* multiple of 4 KiB, 0 = 512 KiB */
    uint32_t ring_bytes;       /* each direction, 0 = 64 KiB */
    uint64_t timeout_ns;       /* per request, 0 = 5 s */
};

/* Frame handler (frame valid only during the call) and link handler; a
 * host NETWORK_CHANGE indication arrives as link down then up (so DHCP
 * renews). */
typedef void (*netvsc_rx_fn)(void *ctx, const void *frame, uint32_t len);
typedef void (*netvsc_link_fn)(void *ctx, bool up);

struct netvsc_stats {
    uint64_t rx_frames, rx_bytes, tx_frames, tx_bytes;
    uint64_t tx_busy;     /* no free send section (-EAGAIN) */
    uint64_t rx_bad;      /* malformed transfer pages or RNDIS from host */
    uint64_t bad_packets; /* malformed or unexpected VMBus/NVSP packets */
    uint64_t indications; /* RNDIS status indications */
};

/*
 * Opens ch and brings the adapter up.  plat is the platform the VMBus
 * client runs on (copied; used for pages, addresses, wait and the clock).
 * cfg may be NULL.  Returns 0 and *out, or -ENOTSUP (no common NVSP
 * version), -EPROTO (the host refused a step or sent invalid values),
 * -ETIMEDOUT, -ENOMEM, -EINVAL (bad cfg), or a vmbus_chan_open() /
 * vmbus_chan_gpadl_create() error.  On failure everything is undone.
 */
int netvsc_open(struct vmbus_channel *ch, const struct vmbus_platform *plat,
                const struct netvsc_config *cfg, struct netvsc **out);

/* RNDIS halt, buffers revoked and torn down, channel closed, freed. */
void netvsc_close(struct netvsc *nv);

void netvsc_set_handlers(struct netvsc *nv, netvsc_rx_fn rx,
                         netvsc_link_fn link, void *ctx);

/*
 * Sends one Ethernet frame (14..mtu + 18 bytes) through a send section.
 * Returns 0, -EAGAIN (no free section or ring full: try after completions
 * arrive), -EMSGSIZE, -ENOTCONN (not up), -EIO.
 */
int netvsc_send(struct netvsc *nv, const void *frame, uint32_t len);

/* Handles everything the host sent.  Never blocks. */
void netvsc_poll(struct netvsc *nv);

/*
 * Whether the channel callback runs netvsc_poll() (default on).  Turn it
 * off when handlers may block in the platform's wait() (e.g. lwIP
 * callbacks reading a disk): otherwise a frame could enter lwIP while
 * lwIP is already on the stack.  The application's loop then calls
 * netvsc_poll() after each wait(); blocking netvsc calls poll themselves.
 */
void netvsc_set_callback_poll(struct netvsc *nv, bool on);

/*
 * RNDIS query of `oid` (blocking).  *len: buffer size in, bytes out.
 * Returns 0, -EPROTO (host status not success; *status gets it if
 * non-NULL), -EMSGSIZE (answer longer than *len), -ETIMEDOUT, -EBUSY (a
 * previous request never completed), -ENOTCONN, -EIO.
 */
int netvsc_query(struct netvsc *nv, uint32_t oid, void *buf, uint32_t *len,
                 uint32_t *status);
/* RNDIS set; same returns (no output buffer). */
int netvsc_set(struct netvsc *nv, uint32_t oid, const void *buf, uint32_t len,
               uint32_t *status);
/* RNDIS keepalive round trip.  Same returns. */
int netvsc_keepalive(struct netvsc *nv);

uint32_t netvsc_nvsp_version(const struct netvsc *nv);
const uint8_t *netvsc_mac(const struct netvsc *nv);
uint16_t netvsc_mtu(const struct netvsc *nv);
bool netvsc_link_up(const struct netvsc *nv);
const struct netvsc_stats *netvsc_get_stats(const struct netvsc *nv);
/* Free send sections (diagnostics and tests). */
uint32_t netvsc_free_sections(const struct netvsc *nv);

/* A struct net_link whose send() is netvsc_send(). */
void netvsc_net_link(struct netvsc *nv, struct net_link *link);

#endif /* VSC_NETVSC_NETVSC_H */
