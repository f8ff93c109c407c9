/*
 * The guest's network layer: lwIP 2.1.3 (NO_SYS, raw callback API) over
 * any Ethernet link that can send a frame -- netvsc in an appliance, an
 * in-memory pair in the host tests.  See docs/NETWORK.md.
 *
 * Usage: net_init() once; net_if_create() with a struct net_link per
 * interface; the link driver calls net_if_input() for each received frame
 * and net_if_set_link() on link changes; the main loop calls net_poll()
 * (timers: TCP, ARP, DHCP, DNS) and may sleep until net_next_deadline_ns().
 * Applications use lwIP's raw API (lwip/tcp.h, lwip/udp.h, lwip/dns.h;
 * build with $(LWIP_INC)) from the same thread.
 *
 * Single-threaded: nothing here may be called from an interrupt handler.
 * Return values: 0 or a negative errno, as listed per function.
 */
#ifndef NET_NET_H
#define NET_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct netif;
struct net_if;

#define NET_ETH_HDR_BYTES 14u
#define NET_MAX_FRAME 1518u /* 1500 MTU + Ethernet header + VLAN tag */

/*
 * What a link driver offers: a way to transmit one frame, its MAC address
 * and MTU.  The struct is copied by net_if_create().
 */
struct net_link {
    void *ctx; /* first argument of send() */
    /*
     * Transmits one Ethernet frame (destination MAC first, no FCS), len in
     * 14..mtu + 18.  The frame is only borrowed for the call.  Returns 0,
     * -EAGAIN (no room now: the frame is dropped and TCP will retransmit),
     * -ENOTCONN (link down) or -EIO.
     */
    int (*send)(void *ctx, const void *frame, size_t len);
    uint8_t mac[6];
    uint16_t mtu; /* IP MTU, 576..1500 */
};

/* Addressing: dhcp, or the static addresses (host byte order, a.b.c.d is
 * a << 24 | ...). */
struct net_if_config {
    bool dhcp;
    uint32_t addr, netmask, gateway;
    uint32_t dns; /* static DNS server, 0 = none (DHCP may supply one) */
    const char *hostname; /* for DHCP; kept by pointer; may be NULL */
    bool make_default;    /* route everything through this interface */
};

struct net_if_stats {
    uint64_t rx_frames, rx_bytes, rx_dropped; /* dropped: bad size, no pbuf */
    uint64_t tx_frames, tx_bytes, tx_dropped; /* dropped: send() failed */
};

/* Initializes lwIP once; later calls do nothing.  Returns 0. */
int net_init(void);

/*
 * Adds an interface over `link`, brings it up (link down until
 * net_if_set_link()), and starts DHCP if asked.  Returns the interface or
 * NULL (bad link: no send, MTU out of range; or no memory).
 */
struct net_if *net_if_create(const struct net_link *link,
                             const struct net_if_config *cfg);
/* Stops DHCP, removes the interface and frees it. */
void net_if_destroy(struct net_if *nif);

/*
 * A received frame (copied; the caller keeps its buffer).  Returns 0,
 * -EMSGSIZE (shorter than a header or longer than NET_MAX_FRAME: dropped),
 * -ENOMEM (no pbuf: dropped).
 */
int net_if_input(struct net_if *nif, const void *frame, size_t len);

/* Link state from the driver (RNDIS media connect/disconnect). */
void net_if_set_link(struct net_if *nif, bool up);

/*
 * The interface's IPv4 configuration in host byte order.  Returns 0, or
 * -EAGAIN while it has no address (DHCP not bound yet).
 */
int net_if_ipv4(const struct net_if *nif, uint32_t *addr, uint32_t *netmask,
                uint32_t *gateway);
/* Whether DHCP has bound a lease. */
bool net_if_dhcp_bound(const struct net_if *nif);
const struct net_if_stats *net_if_get_stats(const struct net_if *nif);
/* The lwIP netif, for the raw API (e.g. udp_sendto_if). */
struct netif *net_if_netif(struct net_if *nif);

/* Runs due lwIP timers.  Call from the main loop. */
void net_poll(void);
/* Absolute clock time (ns) by which net_poll() must run next, or
 * UINT64_MAX when no timer is pending. */
uint64_t net_next_deadline_ns(void);

/*
 * Time and randomness.  The guest uses clock_now_ns() and a seed from the
 * clock; host tests install a virtual clock and a fixed seed so runs
 * repeat exactly.  now_ns NULL restores the default.
 */
void net_set_clock(uint64_t (*now_ns)(void));
uint64_t net_now_ns(void);
void net_seed_rand(uint32_t seed);

#endif /* NET_NET_H */
