/*
 * The machine's side of pci.h: configuration mechanism #1, MSI-X tables
 * and the device interrupt vectors with their local APIC EOI.
 */
#include "root/dev/pci/pci.h"

#include <errno.h>
#include <stddef.h>

#include "common/x86/cpu.h"
#include "common/x86/trap.h"

#define CFG_ADDR 0xCF8u
#define CFG_DATA 0xCFCu
#define LAPIC_ID 0x20u
#define LAPIC_EOI 0xB0u
#define MSI_ADDR_BASE 0xFEE00000u
#define VEC_FIRST 0x50u
#define VEC_COUNT 16u

static uint32_t port_read32(void *ctx, uint16_t bdf, uint16_t off)
{
    (void)ctx;
    if (off > 0xFCu)
        return 0xFFFFFFFFu;
    outl(CFG_ADDR, 0x80000000u | (uint32_t)bdf << 8 | (off & 0xFCu));
    return inl(CFG_DATA);
}

static void port_write32(void *ctx, uint16_t bdf, uint16_t off, uint32_t v)
{
    (void)ctx;
    if (off > 0xFCu)
        return;
    outl(CFG_ADDR, 0x80000000u | (uint32_t)bdf << 8 | (off & 0xFCu));
    outl(CFG_DATA, v);
}

const struct pci_cfg_ops pci_port_ops = {port_read32, port_write32};

static volatile uint32_t *lapic(void)
{
    return (volatile uint32_t *)(uintptr_t)(rdmsr(MSR_APIC_BASE) & 0xFFFFF000u);
}

int pci_msix_enable(const struct pci_dev *d, uint8_t vector, unsigned n)
{
    uint8_t cap = pci_find_cap(d, PCI_CAP_MSIX, 0);
    if (!cap)
        return -ENODEV;
    uint16_t ctl = pci_read16(d, (uint16_t)(cap + 2));
    unsigned size = (ctl & 0x7FFu) + 1u;
    uint32_t tab = pci_read32(d, (uint16_t)(cap + 4));
    volatile uint32_t *t =
        pci_bar_ptr(d, tab & 7u, tab & ~7u, (uint64_t)size * 16u);
    if (!t)
        return -ENODEV;
    uint32_t apic_id = lapic()[LAPIC_ID / 4] >> 24;
    /* Function mask on while the table is written. */
    pci_write16(d, (uint16_t)(cap + 2), (uint16_t)(ctl | 0xC000u));
    for (unsigned i = 0; i < size; i++) {
        volatile uint32_t *e = t + i * 4;
        e[0] = MSI_ADDR_BASE | apic_id << 12;
        e[1] = 0;
        e[2] = vector; /* fixed delivery, edge */
        e[3] = i < n ? 0u : 1u;
    }
    pci_enable(d, PCI_CMD_INTX_OFF | PCI_CMD_MEM | PCI_CMD_MASTER);
    pci_write16(d, (uint16_t)(cap + 2), (uint16_t)((ctl & ~0x4000u) | 0x8000u));
    return (int)size;
}

static struct {
    void (*fn)(void *ctx);
    void *ctx;
    bool used;
} vecs[VEC_COUNT];

static void dev_isr(struct trap_frame *tf, void *ctx)
{
    unsigned i = (unsigned)(uintptr_t)ctx;
    lapic()[LAPIC_EOI / 4] = 0;
    if (i < VEC_COUNT && vecs[i].fn)
        vecs[i].fn(vecs[i].ctx);
}

int pci_irq_alloc(void (*fn)(void *ctx), void *ctx)
{
    for (unsigned i = 0; i < VEC_COUNT; i++) {
        if (vecs[i].used)
            continue;
        vecs[i].used = true;
        vecs[i].fn = fn;
        vecs[i].ctx = ctx;
        x86_set_handler((uint8_t)(VEC_FIRST + i), dev_isr,
                        (void *)(uintptr_t)i);
        return (int)(VEC_FIRST + i);
    }
    return -ENOSPC;
}
