/* Bochs VBE display driver; see bochs.h. */
#include "root/dev/bochs/bochs.h"

#include <errno.h>
#include <stddef.h>

#include "common/x86/cpu.h"

#define PCI_CFG_ADDR 0xCF8u
#define PCI_CFG_DATA 0xCFCu
#define PCI_COMMAND_MEMORY 0x2u
#define DISPI_MMIO 0x500u
#define VGA_MMIO 0x400u  /* port 0x3C0 */
#define VGA_AR_PAS 0x20u /* attribute index: palette address source */

static uint32_t cfg_read(uint8_t dev, uint8_t fn, uint8_t reg)
{
    outl(PCI_CFG_ADDR,
         0x80000000u | (uint32_t)dev << 11 | (uint32_t)fn << 8 | (reg & 0xFCu));
    return inl(PCI_CFG_DATA);
}

static void dispi_write(struct bochs *b, unsigned index, uint16_t v)
{
    *(volatile uint16_t *)(b->mmio + DISPI_MMIO + index * 2u) = v;
}

static uint16_t dispi_read(struct bochs *b, unsigned index)
{
    return *(volatile uint16_t *)(b->mmio + DISPI_MMIO + index * 2u);
}

static int find(struct bochs *b)
{
    for (uint8_t dev = 0; dev < 32; dev++) {
        for (uint8_t fn = 0; fn < 8; fn++) {
            uint32_t id = cfg_read(dev, fn, 0x00);
            if ((id & 0xFFFF) == 0xFFFF) {
                if (fn == 0)
                    break; /* no device in this slot */
                continue;
            }
            if ((id & 0xFFFF) == BOCHS_PCI_VENDOR &&
                id >> 16 == BOCHS_PCI_DEVICE) {
                b->dev = dev;
                b->fn = fn;
                return 0;
            }
            /* Single-function devices: header type bit 7 clear. */
            if (fn == 0 && !(cfg_read(dev, 0, 0x0C) >> 16 & 0x80))
                break;
        }
    }
    return -ENODEV;
}

int bochs_probe(struct bochs *b, uint64_t max_phys)
{
    *b = (struct bochs){0};
    if (find(b))
        return -ENODEV;
    uint32_t cmd = cfg_read(b->dev, b->fn, 0x04);
    uint32_t class = cfg_read(b->dev, b->fn, 0x08) >> 16;
    uint32_t bar0 = cfg_read(b->dev, b->fn, 0x10);
    uint32_t bar2 = cfg_read(b->dev, b->fn, 0x18);
    /* Memory BARs only (bit 0 clear); 64-bit BARs are not used by QEMU
     * for these devices. */
    uint64_t fb = bar0 & ~0xFu, mmio = bar2 & ~0xFu;
    if (!(cmd & PCI_COMMAND_MEMORY) || (bar0 & 1) || (bar2 & 1) || !fb ||
        !mmio || mmio + 4096 > max_phys)
        return -EIO;
    b->is_vga = class == 0x0300;
    b->mmio = (volatile uint8_t *)(uintptr_t)mmio;
    b->id = dispi_read(b, BOCHS_DISPI_ID);
    if (b->id < BOCHS_DISPI_ID_MIN || b->id > BOCHS_DISPI_ID_MAX)
        return -ENODEV;
    b->fb_bytes = (uint64_t)dispi_read(b, BOCHS_DISPI_VIDEO_MEMORY_64K) << 16;
    if (!b->fb_bytes || fb + b->fb_bytes > max_phys || fb + b->fb_bytes < fb)
        return -EIO;
    b->fb = (uint8_t *)(uintptr_t)fb;
    return 0;
}

uint8_t *bochs_set_mode(struct bochs *b, uint32_t width, uint32_t height,
                        uint32_t *pitch)
{
    if (bochs_check_mode(width, height, b->fb_bytes))
        return NULL;
    if (b->is_vga) {
        /* Reading input status 1 resets the attribute flip-flop; then
         * index 0x20 turns the display on (palette from the CPU off). */
        (void)b->mmio[VGA_MMIO + 0x1A];
        b->mmio[VGA_MMIO] = VGA_AR_PAS;
    }
    dispi_write(b, BOCHS_DISPI_ENABLE, 0);
    dispi_write(b, BOCHS_DISPI_BPP, 32);
    dispi_write(b, BOCHS_DISPI_XRES, (uint16_t)width);
    dispi_write(b, BOCHS_DISPI_YRES, (uint16_t)height);
    dispi_write(b, BOCHS_DISPI_BANK, 0);
    dispi_write(b, BOCHS_DISPI_VIRT_WIDTH, (uint16_t)width);
    dispi_write(b, BOCHS_DISPI_VIRT_HEIGHT, (uint16_t)height);
    dispi_write(b, BOCHS_DISPI_X_OFFSET, 0);
    dispi_write(b, BOCHS_DISPI_Y_OFFSET, 0);
    /* Keep the frame buffer: it may be the guest's VRAM, already drawn. */
    dispi_write(b, BOCHS_DISPI_ENABLE,
                BOCHS_DISPI_ENABLED | BOCHS_DISPI_LFB_ENABLED |
                    BOCHS_DISPI_NOCLEARMEM);
    if (dispi_read(b, BOCHS_DISPI_XRES) != width ||
        dispi_read(b, BOCHS_DISPI_YRES) != height ||
        dispi_read(b, BOCHS_DISPI_BPP) != 32) {
        b->width = b->height = b->pitch = 0;
        return NULL;
    }
    b->width = width;
    b->height = height;
    b->pitch = width * 4u;
    *pitch = b->pitch;
    return b->fb;
}

uint64_t bochs_fb_phys(const struct bochs *b)
{
    return (uint64_t)(uintptr_t)b->fb;
}
