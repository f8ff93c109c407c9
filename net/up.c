/* Network bring-up for appliances; see up.h. */
#include "net/up.h"
#include "boot/kernel.h"

#include <errno.h>
#include <stdio.h>

static void on_rx(void *ctx, const void *frame, uint32_t len)
{
    struct net_up *u = ctx;
    net_if_input(u->nif, frame, len);
}

static void on_link(void *ctx, bool up)
{
    struct net_up *u = ctx;
    printf("net: link %s\n", up ? "up" : "down");
    net_if_set_link(u->nif, up);
}

int net_up(struct vmbus *vb, const struct vmbus_platform *plat,
           const char *hostname, struct net_up *out)
{
    struct vmbus_channel *ch =
        vmbus_find_channel(vb, &(struct vmbus_guid)VMBUS_CLASS_NETWORK);
    if (!ch)
        return -ENODEV;
    int rc = netvsc_open(ch, plat, NULL, &out->nv);
    if (rc)
        return rc;
    const uint8_t *mac = netvsc_mac(out->nv);
    net_seed_rand((uint32_t)clock_now_ns() ^
                  ((uint32_t)mac[5] << 16 | mac[4] << 8 | mac[3]));
    rc = net_init();
    if (rc) {
        netvsc_close(out->nv);
        return rc;
    }
    struct net_link link;
    netvsc_net_link(out->nv, &link);
    struct net_if_config cfg = {
        .dhcp = true, .hostname = hostname, .make_default = true};
    out->nif = net_if_create(&link, &cfg);
    if (!out->nif) {
        netvsc_close(out->nv);
        return -ENOMEM;
    }
    netvsc_set_callback_poll(out->nv, false);
    netvsc_set_handlers(out->nv, on_rx, on_link, out);
    net_if_set_link(out->nif, netvsc_link_up(out->nv));
    return 0;
}

void net_up_poll(struct net_up *u)
{
    netvsc_poll(u->nv);
    net_poll();
}

int net_up_address(struct net_up *u, uint32_t *addr)
{
    uint32_t mask, gw;
    return net_if_ipv4(u->nif, addr, &mask, &gw) == 0 ? 0 : -EAGAIN;
}

void net_up_down(struct net_up *u)
{
    net_if_destroy(u->nif);
    netvsc_close(u->nv);
}
