/*
 * Ethernet netif driver for lwIP over a struct net_link, plus the timer
 * loop (contract in net/net.h).
 *
 * Receive copies each frame into a pool pbuf (the link's buffer, e.g. a
 * netvsc receive-buffer slot, is returned to the host at once).  Transmit
 * hands the link a contiguous frame: the pbuf's own payload when lwIP
 * built it in one piece, else a copy in a per-interface bounce buffer.
 */
#include "net/net.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lwip/dhcp.h"
#include "lwip/dns.h"
#include "lwip/etharp.h"
#include "lwip/init.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/timeouts.h"
#include "lwip_hooks.h"
#include "netif/ethernet.h"

struct net_if {
    struct netif netif;
    struct net_link link;
    struct net_if_stats stats;
    bool dhcp;
    uint8_t bounce[NET_MAX_FRAME];
};

static bool initialized;

int net_init(void)
{
    if (!initialized) {
        lwip_init();
        initialized = true;
    }
    return 0;
}

static err_t linkoutput(struct netif *n, struct pbuf *p)
{
    struct net_if *nif = n->state;
    const void *frame = p->payload;

    if (p->tot_len > sizeof(nif->bounce)) {
        nif->stats.tx_dropped++;
        return ERR_BUF;
    }
    if (p->next) {
        pbuf_copy_partial(p, nif->bounce, p->tot_len, 0);
        frame = nif->bounce;
    }
    int rc = nif->link.send(nif->link.ctx, frame, p->tot_len);
    if (rc) {
        nif->stats.tx_dropped++;
        /* lwIP treats ERR_MEM as transient; TCP retransmits either way. */
        return rc == -EAGAIN ? ERR_MEM : ERR_IF;
    }
    nif->stats.tx_frames++;
    nif->stats.tx_bytes += p->tot_len;
    return ERR_OK;
}

static err_t if_init(struct netif *n)
{
    struct net_if *nif = n->state;

    n->name[0] = 'e';
    n->name[1] = 'n';
    n->output = etharp_output;
    n->linkoutput = linkoutput;
    n->mtu = nif->link.mtu;
    n->hwaddr_len = ETH_HWADDR_LEN;
    memcpy(n->hwaddr, nif->link.mac, ETH_HWADDR_LEN);
    n->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
    return ERR_OK;
}

static void set_ip4(ip4_addr_t *a, uint32_t host_order)
{
    ip4_addr_set_u32(a, lwip_htonl(host_order));
}

struct net_if *net_if_create(const struct net_link *link,
                             const struct net_if_config *cfg)
{
    if (!link || !link->send || link->mtu < 576 || link->mtu > 1500 || !cfg)
        return NULL;
    net_init();
    struct net_if *nif = calloc(1, sizeof(*nif));
    if (!nif)
        return NULL;
    nif->link = *link;

    ip4_addr_t addr, mask, gw;
    set_ip4(&addr, cfg->dhcp ? 0 : cfg->addr);
    set_ip4(&mask, cfg->dhcp ? 0 : cfg->netmask);
    set_ip4(&gw, cfg->dhcp ? 0 : cfg->gateway);
    if (!netif_add(&nif->netif, &addr, &mask, &gw, nif, if_init,
                   ethernet_input)) {
        free(nif);
        return NULL;
    }
#if LWIP_NETIF_HOSTNAME
    netif_set_hostname(&nif->netif, cfg->hostname);
#endif
    if (cfg->make_default)
        netif_set_default(&nif->netif);
    if (cfg->dns) {
        ip_addr_t d;
        ip_addr_set_ip4_u32(&d, lwip_htonl(cfg->dns));
        dns_setserver(0, &d);
    }
    netif_set_up(&nif->netif);
    if (cfg->dhcp) {
        nif->dhcp = true;
        if (dhcp_start(&nif->netif) != ERR_OK) {
            netif_remove(&nif->netif);
            free(nif);
            return NULL;
        }
    }
    return nif;
}

void net_if_destroy(struct net_if *nif)
{
    if (!nif)
        return;
    if (nif->dhcp) {
        dhcp_stop(&nif->netif);
        dhcp_cleanup(&nif->netif);
    }
    netif_remove(&nif->netif);
    free(nif);
}

int net_if_input(struct net_if *nif, const void *frame, size_t len)
{
    if (len < NET_ETH_HDR_BYTES || len > NET_MAX_FRAME) {
        nif->stats.rx_dropped++;
        return -EMSGSIZE;
    }
    struct pbuf *p = pbuf_alloc(PBUF_RAW, (u16_t)len, PBUF_POOL);
    if (!p) {
        nif->stats.rx_dropped++;
        return -ENOMEM;
    }
    pbuf_take(p, frame, (u16_t)len);
    nif->stats.rx_frames++;
    nif->stats.rx_bytes += len;
    /* On error the input function has not taken the pbuf. */
    if (nif->netif.input(p, &nif->netif) != ERR_OK) {
        pbuf_free(p);
        nif->stats.rx_dropped++;
    }
    return 0;
}

void net_if_set_link(struct net_if *nif, bool up)
{
    if (up)
        netif_set_link_up(&nif->netif);
    else
        netif_set_link_down(&nif->netif);
}

int net_if_ipv4(const struct net_if *nif, uint32_t *addr, uint32_t *netmask,
                uint32_t *gateway)
{
    const struct netif *n = &nif->netif;
    if (ip4_addr_isany_val(*netif_ip4_addr(n)))
        return -EAGAIN;
    if (addr)
        *addr = lwip_ntohl(ip4_addr_get_u32(netif_ip4_addr(n)));
    if (netmask)
        *netmask = lwip_ntohl(ip4_addr_get_u32(netif_ip4_netmask(n)));
    if (gateway)
        *gateway = lwip_ntohl(ip4_addr_get_u32(netif_ip4_gw(n)));
    return 0;
}

bool net_if_dhcp_bound(const struct net_if *nif)
{
    return nif->dhcp && dhcp_supplied_address(&nif->netif);
}

const struct net_if_stats *net_if_get_stats(const struct net_if *nif)
{
    return &nif->stats;
}

struct netif *net_if_netif(struct net_if *nif)
{
    return &nif->netif;
}

struct netif *net_route_src(const ip4_addr_t *src, const ip4_addr_t *dest)
{
    struct netif *n;

    (void)dest;
    if (!src || ip4_addr_isany(src))
        return NULL;
    NETIF_FOREACH(n)
    {
        if (netif_is_up(n) && netif_is_link_up(n) &&
            ip4_addr_cmp(src, netif_ip4_addr(n)))
            return n;
    }
    return NULL;
}

void net_poll(void)
{
    sys_check_timeouts();
}

uint64_t net_next_deadline_ns(void)
{
    u32_t ms = sys_timeouts_sleeptime();
    if (ms == SYS_TIMEOUTS_SLEEPTIME_INFINITE)
        return UINT64_MAX;
    return net_now_ns() + (uint64_t)ms * 1000000u;
}
