/*
 * Bochs VBE display of the root's machine: QEMU's `-vga std` (PCI
 * 1234:1111, class VGA) or `-device bochs-display` (same ids, class
 * "other display").  Found by a scan of PCI bus 0 through configuration
 * mechanism #1; BAR 0 is the linear frame buffer, BAR 2 the MMIO page
 * whose offset 0x500 holds the Bochs DISPI registers (16 bits each, by
 * index), and for std VGA offset 0x400 the VGA ports 0x3C0..0x3DF.
 *
 * Modes are 32 bpp, XRGB8888 little-endian (blue first in memory), the
 * pitch exactly width * 4.  The firmware (SeaBIOS) has assigned the BARs
 * and enabled memory decoding; the driver checks both and refuses a BAR
 * above the root's identity map.
 */
#ifndef ROOT_DEV_BOCHS_BOCHS_H
#define ROOT_DEV_BOCHS_BOCHS_H

#include <stdint.h>

/* DISPI register indices (Bochs vbe.h) */
#define BOCHS_DISPI_ID 0x0
#define BOCHS_DISPI_XRES 0x1
#define BOCHS_DISPI_YRES 0x2
#define BOCHS_DISPI_BPP 0x3
#define BOCHS_DISPI_ENABLE 0x4
#define BOCHS_DISPI_BANK 0x5
#define BOCHS_DISPI_VIRT_WIDTH 0x6
#define BOCHS_DISPI_VIRT_HEIGHT 0x7
#define BOCHS_DISPI_X_OFFSET 0x8
#define BOCHS_DISPI_Y_OFFSET 0x9
#define BOCHS_DISPI_VIDEO_MEMORY_64K 0xA

#define BOCHS_DISPI_ID_MIN 0xB0C0u /* B0C0..B0C5 */
#define BOCHS_DISPI_ID_MAX 0xB0CFu
#define BOCHS_DISPI_ENABLED 0x01u
#define BOCHS_DISPI_LFB_ENABLED 0x40u
#define BOCHS_DISPI_NOCLEARMEM 0x80u
#define BOCHS_MAX_XRES 16000u /* QEMU's VBE_DISPI_MAX_XRES */
#define BOCHS_MAX_YRES 12000u

#define BOCHS_PCI_VENDOR 0x1234u
#define BOCHS_PCI_DEVICE 0x1111u

struct bochs {
    uint8_t dev, fn;        /* PCI bus 0 slot */
    uint8_t is_vga;         /* class 0x0300: VGA ports behind MMIO 0x400 */
    uint16_t id;            /* DISPI_ID */
    uint8_t *fb;            /* BAR 0, identity-mapped */
    uint64_t fb_bytes;      /* usable frame buffer */
    volatile uint8_t *mmio; /* BAR 2 */
    uint32_t width, height, pitch; /* current mode, 0 before one is set */
};

/*
 * Finds and checks the device.  Returns 0, -ENODEV (none on bus 0, or
 * no DISPI id), -EIO (BARs unassigned, memory decoding off, or outside
 * max_phys).
 */
int bochs_probe(struct bochs *b, uint64_t max_phys);

/*
 * Sets width x height at 32 bpp; the frame buffer keeps its contents.  Returns
 * the frame buffer and stores the pitch, or NULL (-EINVAL cases: zero, over the
 * DISPI limits, larger than the frame buffer; or the device did not take the
 * mode).
 */
uint8_t *bochs_set_mode(struct bochs *b, uint32_t width, uint32_t height,
                        uint32_t *pitch);

/* Physical address of the frame buffer (for nested page tables). */
uint64_t bochs_fb_phys(const struct bochs *b);

/* Pure: 0 when a 32-bpp mode of w x h fits fb_bytes and the DISPI limits,
 * else -EINVAL. */
int bochs_check_mode(uint32_t w, uint32_t h, uint64_t fb_bytes);

#endif /* ROOT_DEV_BOCHS_BOCHS_H */
