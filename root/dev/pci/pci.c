/* PCI configuration space, enumeration and BARs; see pci.h. */
#include "root/dev/pci/pci.h"

#include <errno.h>
#include <stddef.h>

uint32_t pci_read32(const struct pci_dev *d, uint16_t off)
{
    return d->ops->read32(d->ctx, d->bdf, off & 0xFCu);
}

uint16_t pci_read16(const struct pci_dev *d, uint16_t off)
{
    return (uint16_t)(pci_read32(d, off) >> ((off & 2u) * 8));
}

uint8_t pci_read8(const struct pci_dev *d, uint16_t off)
{
    return (uint8_t)(pci_read32(d, off) >> ((off & 3u) * 8));
}

void pci_write32(const struct pci_dev *d, uint16_t off, uint32_t v)
{
    d->ops->write32(d->ctx, d->bdf, off & 0xFCu, v);
}

/* Read-modify-write of the dword; the neighbouring half is written back
 * as read (safe for the command/status pair: status bits are RW1C, so
 * they are written as 0). */
void pci_write16(const struct pci_dev *d, uint16_t off, uint16_t v)
{
    uint32_t w = pci_read32(d, off);
    unsigned sh = (off & 2u) * 8;
    if ((off & 0xFCu) == PCI_COMMAND)
        w &= 0xFFFFu; /* never write 1s back to status */
    w = (w & ~(0xFFFFu << sh)) | ((uint32_t)v << sh);
    pci_write32(d, off, w);
}

void pci_enable(const struct pci_dev *d, uint16_t cmd_bits)
{
    pci_write16(d, PCI_COMMAND, pci_read16(d, PCI_COMMAND) | cmd_bits);
}

uint8_t pci_find_cap(const struct pci_dev *d, uint8_t id, uint8_t after)
{
    uint8_t p;
    if (after)
        p = pci_read8(d, (uint16_t)(after + 1u));
    else if (pci_read16(d, PCI_STATUS) & PCI_STATUS_CAPS)
        p = pci_read8(d, PCI_CAP_PTR);
    else
        return 0;
    for (unsigned n = 0; n < 48 && p >= 0x40u; n++) {
        p &= 0xFCu;
        if (pci_read8(d, p) == id)
            return p;
        p = pci_read8(d, (uint16_t)(p + 1u));
    }
    return 0;
}

/* PCI 3.0 6.2.5.1: write all ones, read back the mask, restore. */
static void size_bars(struct pci_dev *d)
{
    uint16_t cmd = pci_read16(d, PCI_COMMAND);
    pci_write16(d, PCI_COMMAND, (uint16_t)(cmd & ~(PCI_CMD_IO | PCI_CMD_MEM)));
    for (unsigned i = 0; i < PCI_MAX_BARS; i++) {
        uint16_t off = (uint16_t)(PCI_BAR0 + 4 * i);
        uint32_t orig = pci_read32(d, off);
        pci_write32(d, off, 0xFFFFFFFFu);
        uint32_t mask = pci_read32(d, off);
        pci_write32(d, off, orig);
        struct pci_bar *b = &d->bar[i];
        if (orig & 1u) {
            uint32_t m = mask & 0xFFFCu;
            b->flags = PCI_BAR_IO;
            b->base = orig & 0xFFFCu;
            b->size = m ? (uint64_t)((~m + 1u) & 0xFFFFu) : 0;
            continue;
        }
        uint64_t m = mask & 0xFFFFFFF0u;
        uint64_t base = orig & 0xFFFFFFF0u;
        b->flags = (orig & 8u) ? PCI_BAR_PREFETCH : 0;
        if (((orig >> 1) & 3u) == 2u && i + 1 < PCI_MAX_BARS) {
            uint16_t hi = (uint16_t)(off + 4);
            uint32_t orig_hi = pci_read32(d, hi);
            pci_write32(d, hi, 0xFFFFFFFFu);
            uint32_t mask_hi = pci_read32(d, hi);
            pci_write32(d, hi, orig_hi);
            m |= (uint64_t)mask_hi << 32;
            base |= (uint64_t)orig_hi << 32;
            b->flags |= PCI_BAR_MEM64;
            b->base = base;
            b->size = m ? ~m + 1u : 0;
            i++;
            d->bar[i] = (struct pci_bar){0, 0, 0};
            continue;
        }
        b->base = base;
        b->size = m ? (uint64_t)(uint32_t)(~(uint32_t)m + 1u) : 0;
    }
    pci_write16(d, PCI_COMMAND, cmd);
}

static void probe_bus(const struct pci_cfg_ops *ops, void *ctx, uint8_t bus,
                      struct pci_dev *out, unsigned max, unsigned *n,
                      unsigned depth)
{
    for (unsigned dev = 0; dev < 32; dev++) {
        for (unsigned fn = 0; fn < 8; fn++) {
            struct pci_dev d = {.ops = ops, .ctx = ctx};
            d.bdf = (uint16_t)(bus << 8 | dev << 3 | fn);
            uint32_t id = pci_read32(&d, PCI_VENDOR_ID);
            if ((id & 0xFFFFu) == 0xFFFFu || (id & 0xFFFFu) == 0) {
                if (fn == 0)
                    break;
                continue;
            }
            d.vendor = (uint16_t)id;
            d.device = (uint16_t)(id >> 16);
            uint32_t cr = pci_read32(&d, PCI_CLASS_REV);
            d.prog_if = (uint8_t)(cr >> 8);
            d.subclass = (uint8_t)(cr >> 16);
            d.class_code = (uint8_t)(cr >> 24);
            d.header_type = pci_read8(&d, PCI_HEADER_TYPE);
            if ((d.header_type & 0x7Fu) == 1u) {
                uint8_t sec = pci_read8(&d, PCI_SECONDARY_BUS);
                if (sec > bus && depth < 8)
                    probe_bus(ops, ctx, sec, out, max, n, depth + 1);
            } else if ((d.header_type & 0x7Fu) == 0u) {
                d.subsys = pci_read16(&d, PCI_SUBSYS_ID);
                if (*n < max) {
                    size_bars(&d);
                    out[(*n)++] = d;
                }
            }
            if (fn == 0 && !(d.header_type & 0x80u))
                break; /* single-function device */
        }
    }
}

unsigned pci_enumerate(const struct pci_cfg_ops *ops, void *ctx,
                       struct pci_dev *out, unsigned max)
{
    unsigned n = 0;
    probe_bus(ops, ctx, 0, out, max, &n, 0);
    return n;
}

int pci_bar_move(struct pci_dev *d, unsigned bar, uint64_t base)
{
    if (bar >= PCI_MAX_BARS)
        return -EINVAL;
    struct pci_bar *b = &d->bar[bar];
    if (!b->size || (b->flags & PCI_BAR_IO) || (base & (b->size - 1)) ||
        base + b->size > (4ull << 30))
        return -EINVAL;
    uint16_t off = (uint16_t)(PCI_BAR0 + 4 * bar);
    uint16_t cmd = pci_read16(d, PCI_COMMAND);
    pci_write16(d, PCI_COMMAND, (uint16_t)(cmd & ~PCI_CMD_MEM));
    uint32_t lo = pci_read32(d, off) & 0xFu;
    pci_write32(d, off, (uint32_t)base | lo);
    if (b->flags & PCI_BAR_MEM64)
        pci_write32(d, (uint16_t)(off + 4), 0);
    pci_write16(d, PCI_COMMAND, cmd);
    b->base = base;
    return 0;
}

volatile void *pci_bar_ptr(const struct pci_dev *d, unsigned bar, uint64_t off,
                           uint64_t len)
{
    if (bar >= PCI_MAX_BARS)
        return NULL;
    const struct pci_bar *b = &d->bar[bar];
    if (!b->size || (b->flags & PCI_BAR_IO) || off > b->size ||
        len > b->size - off || b->base == 0 || b->base + b->size > (4ull << 30))
        return NULL;
    return (volatile void *)(uintptr_t)(b->base + off);
}

static bool is_mem(const struct pci_bar *b)
{
    return b->size && !(b->flags & PCI_BAR_IO);
}

/* A BAR of devs (other than skip) overlapping [at, at + size), or NULL. */
static const struct pci_bar *overlap(const struct pci_dev *devs, unsigned n,
                                     const struct pci_bar *skip, uint64_t at,
                                     uint64_t size)
{
    for (unsigned i = 0; i < n; i++)
        for (unsigned j = 0; j < PCI_MAX_BARS; j++) {
            const struct pci_bar *o = &devs[i].bar[j];
            if (o == skip || !is_mem(o) || o->base == 0 ||
                o->base >= (4ull << 30))
                continue;
            if (o->base < at + size && at < o->base + o->size)
                return o;
        }
    return NULL;
}

int pci_place_high_bars(struct pci_dev *devs, unsigned n, uint64_t lo,
                        uint64_t hi)
{
    int moved = 0;
    for (unsigned i = 0; i < n; i++)
        for (unsigned j = 0; j < PCI_MAX_BARS; j++) {
            struct pci_bar *b = &devs[i].bar[j];
            if (!is_mem(b) || b->base < (4ull << 30) || b->size > hi - lo)
                continue;
            uint64_t at = (hi - b->size) & ~(b->size - 1);
            bool fits = at >= lo;
            const struct pci_bar *o;
            while (fits && (o = overlap(devs, n, b, at, b->size))) {
                /* Try just below the BAR in the way. */
                fits = o->base >= lo + b->size;
                at = fits ? (o->base - b->size) & ~(b->size - 1) : 0;
                fits = fits && at >= lo;
            }
            if (!fits || pci_bar_move(&devs[i], j, at))
                return -ENOSPC;
            moved++;
        }
    return moved;
}
