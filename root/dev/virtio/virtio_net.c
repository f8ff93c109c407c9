/* virtio-net as a netvsp backend; see virtio_net.h. */
#include "root/dev/virtio/virtio_net.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "root/boot/root.h"
#include "root/dev/virtio/virtio.h"

#define PAGE 4096u
#define QUEUE_MAX 256u
#define BUF_BYTES 2048u
#define HDR ((uint32_t)sizeof(struct virtio_net_hdr))
#define FRAME_MAX (BUF_BYTES - HDR)

enum { RXQ = 0, TXQ = 1 };

struct vnet {
    struct virtio_dev vd;
    struct virtq rx, tx;
    uint8_t *rxbuf, *txbuf;      /* size buffers of BUF_BYTES each */
    uint16_t *rx_slot, *tx_slot; /* head -> buffer */
    uint16_t *tx_free;           /* stack of free transmit buffers */
    uint16_t ntx_free;
    bool rx_kick, tx_kick;
    uint8_t mac[6];
    struct netvsp *vsp;
    struct vnet_stats st;
};

static uint64_t pa(const void *p)
{
    return (uint64_t)(uintptr_t)p;
}

static int rx_post(struct vnet *n, uint16_t buf)
{
    struct virtq_buf b = {pa(n->rxbuf + (size_t)buf * BUF_BYTES), BUF_BYTES,
                          true};
    uint16_t head;
    int rc = virtq_add(&n->rx, &b, 1, &head);
    if (rc)
        return rc;
    n->rx_slot[head] = buf;
    n->rx_kick = true;
    return 0;
}

static void tx_reap(struct vnet *n)
{
    for (;;) {
        uint16_t head;
        uint32_t len;
        int rc = virtq_next_used(&n->tx, &head, &len);
        if (rc == 0)
            return;
        if (head == VIRTQ_NO_HEAD) {
            n->st.bad_used++;
            continue;
        }
        n->tx_free[n->ntx_free++] = n->tx_slot[head];
    }
}

static int transmit(void *ctx, const void *frame, uint32_t len)
{
    struct vnet *n = ctx;
    if (len > FRAME_MAX)
        return -EMSGSIZE;
    if (!n->ntx_free)
        tx_reap(n);
    if (!n->ntx_free) {
        n->st.tx_full++;
        return -ENOBUFS;
    }
    uint16_t buf = n->tx_free[--n->ntx_free];
    uint8_t *p = n->txbuf + (size_t)buf * BUF_BYTES;
    memset(p, 0, HDR);
    memcpy(p + HDR, frame, len);
    struct virtq_buf b = {pa(p), HDR + len, false};
    uint16_t head;
    if (virtq_add(&n->tx, &b, 1, &head)) {
        n->tx_free[n->ntx_free++] = buf;
        n->st.tx_full++;
        return -ENOBUFS;
    }
    n->tx_slot[head] = buf;
    n->tx_kick = true;
    n->st.tx_frames++;
    n->st.tx_bytes += len;
    return 0;
}

const struct netvsp_backend_ops vnet_netvsp_ops = {.transmit = transmit};

void vnet_poll(struct vnet *n)
{
    for (;;) {
        uint16_t head;
        uint32_t len;
        int rc = virtq_next_used(&n->rx, &head, &len);
        if (rc == 0)
            break;
        if (head == VIRTQ_NO_HEAD) {
            n->st.bad_used++;
            continue;
        }
        uint16_t buf = n->rx_slot[head];
        if (rc == 1 && len > HDR) {
            const uint8_t *p = n->rxbuf + (size_t)buf * BUF_BYTES;
            n->st.rx_frames++;
            n->st.rx_bytes += len - HDR;
            if (!n->vsp || netvsp_receive(n->vsp, p + HDR, len - HDR) != 0)
                n->st.rx_dropped++;
        } else {
            n->st.bad_used++;
        }
        rx_post(n, buf); /* cannot fail: its descriptor was just freed */
    }
    if (n->rx_kick) {
        n->rx_kick = false;
        if (virtq_publish(&n->rx)) {
            virtio_notify(&n->vd, &n->rx);
            n->st.rx_kicks++;
        }
    }
    if (n->tx_kick) {
        n->tx_kick = false;
        if (virtq_publish(&n->tx)) {
            virtio_notify(&n->vd, &n->tx);
            n->st.tx_kicks++;
        }
    }
    if (n->ntx_free < n->tx.size / 2)
        tx_reap(n);
}

void vnet_mac(const struct vnet *n, uint8_t mac[6])
{
    memcpy(mac, n->mac, 6);
}

void vnet_attach(struct vnet *n, struct netvsp *vsp)
{
    n->vsp = vsp;
}

const struct vnet_stats *vnet_get_stats(const struct vnet *n)
{
    return &n->st;
}

static void *pages(size_t bytes)
{
    return root_page_alloc((unsigned)((bytes + PAGE - 1) / PAGE));
}

int vnet_create(struct pci_dev *d, int vector, struct vnet **out, bool *irq)
{
    struct vnet *n = calloc(1, sizeof(*n));
    if (!n)
        return -ENOMEM;
    int rc = virtio_pci_probe(&n->vd, d);
    if (!rc)
        rc = virtio_negotiate(&n->vd, VIRTIO_BIT(VIRTIO_NET_F_MAC));
    if (rc)
        goto fail;
    if (vector >= 0)
        virtio_msix(&n->vd, (uint8_t)vector);
    rc = virtio_queue_setup(&n->vd, RXQ, QUEUE_MAX, &n->rx);
    if (!rc)
        rc = virtio_queue_setup(&n->vd, TXQ, QUEUE_MAX, &n->tx);
    if (rc)
        goto fail;
    n->rxbuf = pages((size_t)n->rx.size * BUF_BYTES);
    n->txbuf = pages((size_t)n->tx.size * BUF_BYTES);
    n->rx_slot = calloc(n->rx.size, sizeof(uint16_t));
    n->tx_slot = calloc(n->tx.size, sizeof(uint16_t));
    n->tx_free = calloc(n->tx.size, sizeof(uint16_t));
    if (!n->rxbuf || !n->txbuf || !n->rx_slot || !n->tx_slot || !n->tx_free) {
        rc = -ENOMEM;
        goto fail;
    }
    for (uint16_t i = 0; i < n->tx.size; i++)
        n->tx_free[n->ntx_free++] = i;
    if (n->vd.features & VIRTIO_BIT(VIRTIO_NET_F_MAC)) {
        for (unsigned i = 0; i < 6; i++)
            n->mac[i] = virtio_cfg8(&n->vd, VIRTIO_NET_CFG_MAC + i);
    } else {
        const uint8_t local[6] = {0x02, 0x15, 0x5d, 0x00, 0x00, 0x01};
        memcpy(n->mac, local, 6);
    }
    /* Transmit completions are reaped when slots run low: no interrupt. */
    virtq_set_interrupts(&n->tx, false);
    for (uint16_t i = 0; i < n->rx.size; i++)
        rx_post(n, i);
    virtio_driver_ok(&n->vd);
    vnet_poll(n);
    *irq = n->vd.msix_entries > 0;
    *out = n;
    return 0;
fail:
    if (n->vd.common)
        virtio_fail(&n->vd);
    free(n->rx_slot);
    free(n->tx_slot);
    free(n->tx_free);
    free(n);
    return rc < 0 ? rc : -ENODEV;
}

void vnet_set_irq(struct vnet *n, bool on)
{
    virtq_set_interrupts(&n->rx, on);
}
