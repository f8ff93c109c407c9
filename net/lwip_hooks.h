/*
 * lwIP hooks (LWIP_HOOK_FILENAME): included by lwIP's own sources that
 * call hooks.  Implemented in net/netif.c.
 */
#ifndef ENLIGHT_LWIP_HOOKS_H
#define ENLIGHT_LWIP_HOOKS_H

#include "lwip/ip4_addr.h"

struct netif;

/*
 * Source-based routing (strong host model): a packet whose source address
 * is one of our interfaces' leaves through that interface, even when
 * several interfaces share a subnet.  NULL lets lwIP route by destination.
 */
struct netif *net_route_src(const ip4_addr_t *src, const ip4_addr_t *dest);

#endif /* ENLIGHT_LWIP_HOOKS_H */
