/* Linux 64-bit boot protocol loader; see bzimage.h. */
#include "root/linux/bzimage.h"

#include <errno.h>
#include <string.h>

/* Offsets in the setup header (file and boot_params alike), boot.rst. */
#define HDR_SETUP_SECTS 0x1F1
#define HDR_BOOT_FLAG 0x1FE /* 0xAA55 */
#define HDR_JUMP 0x200
#define HDR_MAGIC 0x202 /* "HdrS" */
#define HDR_VERSION 0x206
#define HDR_TYPE_OF_LOADER 0x210
#define HDR_LOADFLAGS 0x211
#define HDR_RAMDISK_IMAGE 0x218
#define HDR_RAMDISK_SIZE 0x21C
#define HDR_HEAP_END_PTR 0x224
#define HDR_CMD_LINE_PTR 0x228
#define HDR_INITRD_ADDR_MAX 0x22C
#define HDR_KERNEL_ALIGNMENT 0x230
#define HDR_RELOCATABLE 0x234
#define HDR_XLOADFLAGS 0x236
#define HDR_CMDLINE_SIZE 0x238
#define HDR_PREF_ADDRESS 0x258
#define HDR_INIT_SIZE 0x260

#define HDRS_MAGIC 0x53726448u
#define LOADED_HIGH 0x01
#define CAN_USE_HEAP 0x80
#define XLF_KERNEL_64 0x0001

/* boot_params (arch/x86/include/uapi/asm/bootparam.h). */
#define BP_ACPI_RSDP_ADDR 0x070
#define BP_EXT_RAMDISK_IMAGE 0x0C0
#define BP_EXT_RAMDISK_SIZE 0x0C4
#define BP_EXT_CMD_LINE_PTR 0x0C8
#define BP_E820_ENTRIES 0x1E8
#define BP_E820_TABLE 0x2D0
#define BP_SIZE 0x1000
#define E820_MAX 128

#define E820_RAM 1
#define E820_RESERVED 2

#define MIB (1ull << 20)

static uint8_t rd8(const uint8_t *p, unsigned off)
{
    return p[off];
}
static uint16_t rd16(const uint8_t *p, unsigned off)
{
    uint16_t v;
    memcpy(&v, p + off, 2);
    return v;
}
static uint32_t rd32(const uint8_t *p, unsigned off)
{
    uint32_t v;
    memcpy(&v, p + off, 4);
    return v;
}
static uint64_t rd64(const uint8_t *p, unsigned off)
{
    uint64_t v;
    memcpy(&v, p + off, 8);
    return v;
}
static void wr8(uint8_t *p, unsigned off, uint8_t v)
{
    p[off] = v;
}
static void wr16(uint8_t *p, unsigned off, uint16_t v)
{
    memcpy(p + off, &v, 2);
}
static void wr32(uint8_t *p, unsigned off, uint32_t v)
{
    memcpy(p + off, &v, 4);
}
static void wr64(uint8_t *p, unsigned off, uint64_t v)
{
    memcpy(p + off, &v, 8);
}

int linux_is_bzimage(const void *image, uint64_t len)
{
    const uint8_t *p = image;
    return len >= 0x270 && rd16(p, HDR_BOOT_FLAG) == 0xAA55 &&
           rd32(p, HDR_MAGIC) == HDRS_MAGIC;
}

static void e820_add(uint8_t *bp, uint64_t addr, uint64_t size, uint32_t type)
{
    uint8_t n = rd8(bp, BP_E820_ENTRIES);
    if (n >= E820_MAX || size == 0)
        return;
    unsigned off = BP_E820_TABLE + 20u * n;
    wr64(bp, off, addr);
    wr64(bp, off + 8, size);
    wr32(bp, off + 16, type);
    wr8(bp, BP_E820_ENTRIES, (uint8_t)(n + 1));
}

/* Identity map of 0-4 GiB with 2 MiB pages; returns CR3 or 0. */
static uint64_t build_page_tables(const struct gmem *mem)
{
    uint64_t base = LINUX_PAGE_TABLES_GPA;
    uint64_t *pt = gmem_ptr(mem, base, 6 * 4096);
    if (!pt)
        return 0;
    memset(pt, 0, 6 * 4096);
    pt[0] = (base + 0x1000) | 0x3; /* PML4[0] -> PDPT */
    for (unsigned i = 0; i < 4; i++)
        pt[512 + i] = (base + 0x2000 + i * 0x1000ull) | 0x3;
    for (uint64_t i = 0; i < 4 * 512; i++)
        pt[1024 + i] = (i << 21) | 0x83; /* present, writable, 2 MiB */
    return base;
}

static int build_gdt(const struct gmem *mem, struct linux_entry *out)
{
    uint64_t *gdt = gmem_ptr(mem, LINUX_GDT_GPA, 4 * 8);
    if (!gdt)
        return -ERANGE;
    gdt[0] = 0;
    gdt[1] = 0;
    gdt[LINUX_BOOT_CS / 8] = 0x00AF9B000000FFFFull; /* 64-bit code */
    gdt[LINUX_BOOT_DS / 8] = 0x00CF93000000FFFFull; /* flat data */
    out->gdt_base = LINUX_GDT_GPA;
    out->gdt_limit = 4 * 8 - 1;
    return 0;
}

int linux_load(const struct gmem *mem, const void *image, uint64_t len,
               const void *initrd, uint64_t initrd_len, const char *cmdline,
               uint64_t rsdp_gpa, struct linux_entry *out)
{
    const uint8_t *img = image;

    memset(out, 0, sizeof(*out));
    if (!linux_is_bzimage(image, len))
        return -ENOEXEC;
    uint16_t version = rd16(img, HDR_VERSION);
    if (version < 0x020C)
        return -ENOTSUP;
    if (!(rd16(img, HDR_XLOADFLAGS) & XLF_KERNEL_64))
        return -ENOEXEC;
    unsigned setup_sects = rd8(img, HDR_SETUP_SECTS);
    if (setup_sects == 0)
        setup_sects = 4;
    uint64_t pm_off = (setup_sects + 1ull) * 512;
    if (pm_off >= len)
        return -EINVAL;
    uint64_t pm_len = len - pm_off;
    unsigned hdr_end = 0x202u + rd8(img, HDR_JUMP + 1);
    if (hdr_end > pm_off || hdr_end > BP_SIZE)
        return -EINVAL;

    uint64_t align = rd32(img, HDR_KERNEL_ALIGNMENT);
    uint64_t init_size = rd32(img, HDR_INIT_SIZE);
    uint64_t pref = rd64(img, HDR_PREF_ADDRESS);
    if (align == 0 || (align & (align - 1)) || align > (1u << 30))
        align = 2 * MIB;
    if (init_size < pm_len)
        init_size = pm_len;
    uint64_t load = pref >= MIB ? pref : 16 * MIB;
    if (rd8(img, HDR_RELOCATABLE))
        load = (load + align - 1) & ~(align - 1);
    if (load + init_size > mem->size || load + init_size < load)
        return -ERANGE;
    uint8_t *kdst = gmem_ptr(mem, load, pm_len);
    if (!kdst)
        return -ERANGE;
    memcpy(kdst, img + pm_off, pm_len);
    out->kernel_start = load;
    out->kernel_end = load + init_size;

    /* The initrd goes as high as the kernel allows, page aligned. */
    uint64_t initrd_gpa = 0;
    if (initrd_len) {
        uint64_t max = rd32(img, HDR_INITRD_ADDR_MAX);
        uint64_t top = mem->size;
        if (max && top > max + 1)
            top = max + 1;
        if (initrd_len > top)
            return -ERANGE;
        initrd_gpa = (top - initrd_len) & ~0xFFFull;
        if (initrd_gpa < out->kernel_end)
            return -ERANGE;
        uint8_t *idst = gmem_ptr(mem, initrd_gpa, initrd_len);
        if (!idst)
            return -ERANGE;
        memcpy(idst, initrd, initrd_len);
        out->initrd_start = initrd_gpa;
        out->initrd_end = initrd_gpa + initrd_len;
    }

    /* Command line. */
    size_t clen = strlen(cmdline);
    uint32_t cmax = rd32(img, HDR_CMDLINE_SIZE);
    if (clen + 1 > LINUX_CMDLINE_MAX || (cmax && clen > cmax))
        return -E2BIG;
    char *cdst = gmem_ptr(mem, LINUX_CMDLINE_GPA, clen + 1);
    if (!cdst)
        return -ERANGE;
    memcpy(cdst, cmdline, clen + 1);

    /* boot_params: the setup header from the image, then our fields. */
    uint8_t *bp = gmem_ptr(mem, LINUX_BOOT_PARAMS_GPA, BP_SIZE);
    if (!bp)
        return -ERANGE;
    memset(bp, 0, BP_SIZE);
    memcpy(bp + HDR_SETUP_SECTS, img + HDR_SETUP_SECTS,
           hdr_end - HDR_SETUP_SECTS);
    wr8(bp, HDR_TYPE_OF_LOADER, 0xFF);
    wr8(bp, HDR_LOADFLAGS,
        (uint8_t)(rd8(bp, HDR_LOADFLAGS) | LOADED_HIGH | CAN_USE_HEAP));
    wr16(bp, HDR_HEAP_END_PTR, 0xFE00);
    wr32(bp, HDR_CMD_LINE_PTR, LINUX_CMDLINE_GPA);
    wr32(bp, BP_EXT_CMD_LINE_PTR, 0);
    wr32(bp, HDR_RAMDISK_IMAGE, (uint32_t)initrd_gpa);
    wr32(bp, HDR_RAMDISK_SIZE, (uint32_t)initrd_len);
    wr32(bp, BP_EXT_RAMDISK_IMAGE, (uint32_t)(initrd_gpa >> 32));
    wr32(bp, BP_EXT_RAMDISK_SIZE, (uint32_t)(initrd_len >> 32));
    wr64(bp, BP_ACPI_RSDP_ADDR, rsdp_gpa);
    e820_add(bp, 0, LINUX_LOW_RAM_END, E820_RAM);
    e820_add(bp, LINUX_LOW_RAM_END, 0xA0000 - LINUX_LOW_RAM_END, E820_RESERVED);
    e820_add(bp, LINUX_ACPI_GPA, 0x100000 - LINUX_ACPI_GPA, E820_RESERVED);
    e820_add(bp, 0x100000, mem->size - 0x100000, E820_RAM);

    out->cr3 = build_page_tables(mem);
    if (!out->cr3)
        return -ERANGE;
    int r = build_gdt(mem, out);
    if (r)
        return r;
    out->rip = load + 0x200;
    out->rsi = LINUX_BOOT_PARAMS_GPA;
    out->protocol = version;
    return 0;
}
