/*
 * PCI for the root: configuration space through an access interface (the
 * legacy 0xCF8/0xCFC mechanism on the machine, a flat array in host
 * tests), enumeration of every bus, BAR sizing, decode and bus-master
 * enable, capability walking, and MSI-X routing to the root's local APIC.
 *
 * PCI Local Bus 3.0 (configuration header, 6.2), PCI-to-PCI Bridge 1.2
 * (secondary bus number), PCI 3.0 6.8.2 (MSI-X).
 */
#ifndef ROOT_DEV_PCI_PCI_H
#define ROOT_DEV_PCI_PCI_H

#include <stdbool.h>
#include <stdint.h>

/* Configuration header offsets (type 0). */
#define PCI_VENDOR_ID 0x00u
#define PCI_DEVICE_ID 0x02u
#define PCI_COMMAND 0x04u
#define PCI_STATUS 0x06u
#define PCI_CLASS_REV 0x08u /* rev 0-7, prog-if 8-15, sub 16-23, class 24 */
#define PCI_HEADER_TYPE 0x0Eu
#define PCI_BAR0 0x10u
#define PCI_SECONDARY_BUS 0x19u /* type 1 header */
#define PCI_SUBSYS_ID 0x2Eu
#define PCI_CAP_PTR 0x34u

#define PCI_CMD_IO 0x1u
#define PCI_CMD_MEM 0x2u
#define PCI_CMD_MASTER 0x4u
#define PCI_CMD_INTX_OFF 0x400u
#define PCI_STATUS_CAPS 0x10u

#define PCI_CAP_MSIX 0x11u
#define PCI_CAP_VENDOR 0x09u

#define PCI_MAX_BARS 6u

/* Configuration access; bdf = bus << 8 | dev << 3 | fn, off 4-aligned. */
struct pci_cfg_ops {
    uint32_t (*read32)(void *ctx, uint16_t bdf, uint16_t off);
    void (*write32)(void *ctx, uint16_t bdf, uint16_t off, uint32_t v);
};
/* The legacy mechanism #1 (ports 0xCF8/0xCFC), offsets below 256. */
extern const struct pci_cfg_ops pci_port_ops;

#define PCI_BAR_IO 0x1u    /* an I/O port range */
#define PCI_BAR_MEM64 0x2u /* a 64-bit memory BAR (uses the next slot) */
#define PCI_BAR_PREFETCH 0x4u

struct pci_bar {
    uint64_t base;  /* bus address (identity-mapped when below 4 GiB) */
    uint64_t size;  /* 0: not implemented */
    uint32_t flags; /* PCI_BAR_* */
};

struct pci_dev {
    const struct pci_cfg_ops *ops;
    void *ctx;
    uint16_t bdf;
    uint16_t vendor, device;
    uint16_t subsys; /* subsystem id */
    uint8_t class_code, subclass, prog_if, header_type;
    struct pci_bar bar[PCI_MAX_BARS];
};

uint32_t pci_read32(const struct pci_dev *d, uint16_t off);
uint16_t pci_read16(const struct pci_dev *d, uint16_t off);
uint8_t pci_read8(const struct pci_dev *d, uint16_t off);
void pci_write32(const struct pci_dev *d, uint16_t off, uint32_t v);
void pci_write16(const struct pci_dev *d, uint16_t off, uint16_t v);

/*
 * Finds every function on every bus reachable from bus 0 through bridges
 * (type 0 headers only are returned), in bus/device/function order, and
 * sizes their BARs (decoding is off while a BAR is probed).  Returns the
 * number found (at most max; the rest are skipped).
 */
unsigned pci_enumerate(const struct pci_cfg_ops *ops, void *ctx,
                       struct pci_dev *out, unsigned max);

/* Sets bits of the command register (PCI_CMD_*). */
void pci_enable(const struct pci_dev *d, uint16_t cmd_bits);

/*
 * Walks the capability list from the header (or after the capability at
 * `after`, 0 to start): the offset of the next capability with this id,
 * or 0.  A list longer than 48 entries or pointing into the header is
 * treated as ending.
 */
uint8_t pci_find_cap(const struct pci_dev *d, uint8_t id, uint8_t after);

/*
 * Moves a memory BAR to base (size-aligned, below 4 GiB for the root's
 * identity map) with decoding off meanwhile.  Returns 0 or -EINVAL.
 */
int pci_bar_move(struct pci_dev *d, unsigned bar, uint64_t base);

/*
 * The root reaches only the identity-mapped 0..4 GiB: gives every memory
 * BAR of devs[0..n) that the firmware left at or above 4 GiB (QEMU's
 * SeaBIOS does so with 64-bit BARs when the 32-bit hole is crowded) an
 * address in [lo, hi) overlapping no other memory BAR of devs, naturally
 * aligned, as high as possible.  Returns the number of BARs moved, or
 * -ENOSPC when one did not fit (it stays where it was).
 */
int pci_place_high_bars(struct pci_dev *devs, unsigned n, uint64_t lo,
                        uint64_t hi);

/*
 * Root virtual address of a memory BAR's byte off..off+len: the identity
 * map covers 0..4 GiB.  NULL when the BAR is I/O, absent, too small or
 * above 4 GiB.
 */
volatile void *pci_bar_ptr(const struct pci_dev *d, unsigned bar, uint64_t off,
                           uint64_t len);

/*
 * MSI-X: points table entries 0..n-1 at the root's local APIC with
 * `vector` (fixed, edge), unmasks them and enables MSI-X (INTx off).
 * Returns the number of table entries, or -ENODEV (no capability or its
 * table not reachable).
 */
int pci_msix_enable(const struct pci_dev *d, uint8_t vector, unsigned n);

/*
 * A root interrupt vector for devices (0x50..0x5F) whose handler sends the
 * local APIC its EOI and then calls fn(ctx) (may be NULL: waking the root
 * or making the child exit is then the whole point).  Returns the vector,
 * or -ENOSPC.
 */
int pci_irq_alloc(void (*fn)(void *ctx), void *ctx);

#endif /* ROOT_DEV_PCI_PCI_H */
