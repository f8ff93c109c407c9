/* The virtio modern PCI transport on the machine; see virtio.h. */
#include "root/dev/virtio/virtio.h"

#include <errno.h>
#include <string.h>

#include "root/boot/root.h"

#define PAGE 4096u

static volatile uint8_t *c8(const struct virtio_dev *vd, uint32_t off)
{
    return vd->common + off;
}
static volatile uint16_t *c16(const struct virtio_dev *vd, uint32_t off)
{
    return (volatile uint16_t *)(vd->common + off);
}
static volatile uint32_t *c32(const struct virtio_dev *vd, uint32_t off)
{
    return (volatile uint32_t *)(vd->common + off);
}

static void set_q64(const struct virtio_dev *vd, uint32_t off, uint64_t v)
{
    *c32(vd, off) = (uint32_t)v;
    *c32(vd, off + 4) = (uint32_t)(v >> 32);
}

static volatile uint8_t *map(const struct pci_dev *d,
                             const struct virtio_pci_loc *l)
{
    return (volatile uint8_t *)pci_bar_ptr(d, l->bar, l->off, l->len);
}

int virtio_pci_probe(struct virtio_dev *vd, struct pci_dev *d)
{
    struct virtio_pci_caps c;
    memset(vd, 0, sizeof(*vd));
    vd->pci = d;
    if (virtio_pci_parse_caps(d, &c))
        return -ENODEV;
    vd->common = map(d, &c.common);
    vd->notify = map(d, &c.notify);
    vd->notify_len = c.notify.len;
    vd->notify_mult = c.notify_mult;
    if (c.has_isr)
        vd->isr = map(d, &c.isr);
    if (c.has_device) {
        vd->device = map(d, &c.device);
        vd->device_len = vd->device ? c.device.len : 0;
    }
    if (!vd->common || !vd->notify)
        return -ENODEV;
    pci_enable(d, PCI_CMD_MEM | PCI_CMD_MASTER);
    *c8(vd, VIRTIO_COMMON_STATUS) = 0;
    /* A reset completes when the status reads back 0 (4.1.4.3.2). */
    for (unsigned i = 0; i < 1000000 && *c8(vd, VIRTIO_COMMON_STATUS); i++)
        ;
    if (*c8(vd, VIRTIO_COMMON_STATUS))
        return -ENODEV;
    *c8(vd, VIRTIO_COMMON_STATUS) = VIRTIO_STATUS_ACK;
    *c8(vd, VIRTIO_COMMON_STATUS) = VIRTIO_STATUS_ACK | VIRTIO_STATUS_DRIVER;
    return 0;
}

int virtio_negotiate(struct virtio_dev *vd, uint64_t wanted)
{
    uint64_t offered = 0;
    for (uint32_t sel = 0; sel < 2; sel++) {
        *c32(vd, VIRTIO_COMMON_DFSELECT) = sel;
        offered |= (uint64_t)*c32(vd, VIRTIO_COMMON_DF) << (32 * sel);
    }
    uint64_t f = (wanted | VIRTIO_BIT(VIRTIO_F_VERSION_1)) & offered;
    if (!(f & VIRTIO_BIT(VIRTIO_F_VERSION_1))) {
        virtio_fail(vd);
        return -ENODEV;
    }
    for (uint32_t sel = 0; sel < 2; sel++) {
        *c32(vd, VIRTIO_COMMON_GFSELECT) = sel;
        *c32(vd, VIRTIO_COMMON_GF) = (uint32_t)(f >> (32 * sel));
    }
    uint8_t st = *c8(vd, VIRTIO_COMMON_STATUS);
    *c8(vd, VIRTIO_COMMON_STATUS) = st | VIRTIO_STATUS_FEATURES_OK;
    if (!(*c8(vd, VIRTIO_COMMON_STATUS) & VIRTIO_STATUS_FEATURES_OK)) {
        virtio_fail(vd);
        return -ENODEV;
    }
    vd->features = f;
    return 0;
}

int virtio_msix(struct virtio_dev *vd, uint8_t vector)
{
    int n = pci_msix_enable(vd->pci, vector, 1);
    if (n <= 0)
        return -ENODEV;
    *c16(vd, VIRTIO_COMMON_MSIX) = VIRTIO_NO_VECTOR; /* config changes */
    vd->msix_entries = n;
    return 0;
}

int virtio_queue_setup(struct virtio_dev *vd, uint16_t idx, uint16_t max_size,
                       struct virtq *q)
{
    if (idx >= *c16(vd, VIRTIO_COMMON_NUMQ))
        return -ENOENT;
    *c16(vd, VIRTIO_COMMON_Q_SELECT) = idx;
    uint16_t size = *c16(vd, VIRTIO_COMMON_Q_SIZE);
    if (!size)
        return -ENOENT;
    if (size > max_size)
        size = max_size;
    while (size & (size - 1u)) /* split rings in 1.0 want a power of 2 */
        size &= (uint16_t)(size - 1u);
    size_t bytes = virtq_mem_bytes(size);
    void *mem = root_page_alloc((unsigned)((bytes + PAGE - 1) / PAGE));
    if (!mem)
        return -ENOMEM;
    uint64_t noff = (uint64_t)*c16(vd, VIRTIO_COMMON_Q_NOFF) * vd->notify_mult;
    if (noff + 2 > vd->notify_len)
        return -ENOENT;
    q->index = idx;
    q->notify = (volatile uint16_t *)(vd->notify + noff);
    if (virtq_init(q, size, mem))
        return -ENOENT;
    *c16(vd, VIRTIO_COMMON_Q_SIZE) = size;
    set_q64(vd, VIRTIO_COMMON_Q_DESC, virtq_desc_pa(q));
    set_q64(vd, VIRTIO_COMMON_Q_AVAIL, virtq_avail_pa(q));
    set_q64(vd, VIRTIO_COMMON_Q_USED, virtq_used_pa(q));
    if (vd->msix_entries > 0) {
        *c16(vd, VIRTIO_COMMON_Q_MSIX) = 0;
        if (*c16(vd, VIRTIO_COMMON_Q_MSIX) != 0)
            vd->msix_entries = 0; /* refused: the caller polls */
    }
    *c16(vd, VIRTIO_COMMON_Q_ENABLE) = 1;
    return 0;
}

void virtio_driver_ok(struct virtio_dev *vd)
{
    *c8(vd, VIRTIO_COMMON_STATUS) =
        *c8(vd, VIRTIO_COMMON_STATUS) | VIRTIO_STATUS_DRIVER_OK;
}

void virtio_fail(struct virtio_dev *vd)
{
    *c8(vd, VIRTIO_COMMON_STATUS) =
        *c8(vd, VIRTIO_COMMON_STATUS) | VIRTIO_STATUS_FAILED;
}

void virtio_notify(struct virtio_dev *vd, const struct virtq *q)
{
    /* Ring writes before the doorbell (an uncached MMIO store). */
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    *q->notify = q->index;
}

void virtio_kick(struct virtio_dev *vd, struct virtq *q)
{
    if (virtq_publish(q))
        virtio_notify(vd, q);
}

static bool cfg_ok(const struct virtio_dev *vd, uint32_t off, uint32_t n)
{
    return vd->device && off + n >= off && off + n <= vd->device_len;
}

uint8_t virtio_cfg8(const struct virtio_dev *vd, uint32_t off)
{
    return cfg_ok(vd, off, 1) ? vd->device[off] : 0;
}

uint16_t virtio_cfg16(const struct virtio_dev *vd, uint32_t off)
{
    return cfg_ok(vd, off, 2) ? *(volatile uint16_t *)(vd->device + off) : 0;
}

uint32_t virtio_cfg32(const struct virtio_dev *vd, uint32_t off)
{
    return cfg_ok(vd, off, 4) ? *(volatile uint32_t *)(vd->device + off) : 0;
}

uint64_t virtio_cfg64(const struct virtio_dev *vd, uint32_t off)
{
    if (!cfg_ok(vd, off, 8))
        return 0;
    uint8_t gen;
    uint64_t v;
    do { /* 4.1.3.1: retry until the generation is stable */
        gen = *c8(vd, VIRTIO_COMMON_CFGGEN);
        v = *(volatile uint32_t *)(vd->device + off) |
            (uint64_t) * (volatile uint32_t *)(vd->device + off + 4) << 32;
    } while (gen != *c8(vd, VIRTIO_COMMON_CFGGEN));
    return v;
}
