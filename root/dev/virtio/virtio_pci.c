/* Virtio PCI capability parsing (Virtio 1.2, 4.1.4), over any
 * configuration access, so host tests can feed a fake function. */
#include "root/dev/virtio/virtio.h"

#include <errno.h>

/* struct virtio_pci_cap (4.1.4), byte offsets from the capability. */
#define CAP_LEN 2u
#define CAP_CFG_TYPE 3u
#define CAP_BAR 4u
#define CAP_OFFSET 8u
#define CAP_LENGTH 12u
#define CAP_NOTIFY_MULT 16u /* struct virtio_pci_notify_cap */
#define CAP_MIN_LEN 16u

unsigned virtio_pci_type(const struct pci_dev *d)
{
    if (d->vendor != VIRTIO_VENDOR || d->device < 0x1000u ||
        d->device > 0x107Fu)
        return 0;
    if (d->device >= 0x1040u)
        return d->device - 0x1040u;
    /* Transitional ids 0x1000..0x103F: the subsystem id is the type. */
    return d->subsys;
}

int virtio_pci_parse_caps(const struct pci_dev *d, struct virtio_pci_caps *c)
{
    *c = (struct virtio_pci_caps){0};
    unsigned guard = 0; /* a looping list ends after 48 entries */
    for (uint8_t p = pci_find_cap(d, PCI_CAP_VENDOR, 0); p && guard < 48;
         p = pci_find_cap(d, PCI_CAP_VENDOR, p), guard++) {
        uint8_t len = pci_read8(d, (uint16_t)(p + CAP_LEN));
        uint8_t type = pci_read8(d, (uint16_t)(p + CAP_CFG_TYPE));
        uint8_t bar = pci_read8(d, (uint16_t)(p + CAP_BAR));
        if (len < CAP_MIN_LEN || bar >= PCI_MAX_BARS || p + len > 0x100u)
            continue;
        struct virtio_pci_loc loc = {bar,
                                     pci_read32(d, (uint16_t)(p + CAP_OFFSET)),
                                     pci_read32(d, (uint16_t)(p + CAP_LENGTH))};
        if ((uint64_t)loc.off + loc.len < loc.off)
            continue;
        /* The first capability of each type is the preferred one. */
        switch (type) {
        case VIRTIO_PCI_CAP_COMMON:
            if (!c->has_common && loc.len >= VIRTIO_COMMON_LEN) {
                c->common = loc;
                c->has_common = true;
            }
            break;
        case VIRTIO_PCI_CAP_NOTIFY:
            if (!c->has_notify && len >= CAP_MIN_LEN + 4u && loc.len >= 2u) {
                c->notify = loc;
                c->notify_mult = pci_read32(d, (uint16_t)(p + CAP_NOTIFY_MULT));
                c->has_notify = true;
            }
            break;
        case VIRTIO_PCI_CAP_ISR:
            if (!c->has_isr && loc.len >= 1u) {
                c->isr = loc;
                c->has_isr = true;
            }
            break;
        case VIRTIO_PCI_CAP_DEVICE:
            if (!c->has_device) {
                c->device = loc;
                c->has_device = true;
            }
            break;
        default:
            break;
        }
    }
    return c->has_common && c->has_notify ? 0 : -ENODEV;
}
