/*
 * An appliance's network in one call: the first synthetic network adapter
 * offered on VMBus opened with netvsc, lwIP started over it with DHCP, and
 * frames and link changes routed between them.  The appliance's own loop
 * polls (net_up_poll) so that frames never enter lwIP while an lwIP
 * callback blocks on a disk.
 */
#ifndef NET_UP_H
#define NET_UP_H

#include "net/net.h"
#include "vmbus/platform.h"
#include "vmbus/vmbus.h"
#include "vsc/netvsc/netvsc.h"

struct net_up {
    struct netvsc *nv;
    struct net_if *nif;
};

/*
 * Opens the adapter and brings lwIP up with DHCP (hostname may be NULL).
 * Returns 0, -ENODEV when no network adapter is offered, or the error of
 * netvsc_open(), net_init() or net_if_create() (-ENOMEM).
 */
int net_up(struct vmbus *vb, const struct vmbus_platform *plat,
           const char *hostname, struct net_up *out);

/* Receives, transmits and runs lwIP's timers; call from the main loop. */
void net_up_poll(struct net_up *u);

/* The IPv4 address once DHCP has bound it: 0 and the address (host
 * order), or -EAGAIN. */
int net_up_address(struct net_up *u, uint32_t *addr);

/* Stops lwIP on the adapter and closes it. */
void net_up_down(struct net_up *u);

#endif /* NET_UP_H */
