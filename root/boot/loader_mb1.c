/*
 * Multiboot1 (spec 0.6.96, multiboot.h from the dependency cache): header
 * search and boot information, for QEMU -kernel style test kernels.
 */
#include <errno.h>
#include <string.h>

#include <multiboot.h>

#include "root/boot/loader_internal.h"

const uint32_t mb1_boot_magic = MULTIBOOT_BOOTLOADER_MAGIC;

/* Header flags (bits 0-15 required) the root can satisfy. */
#define MB1_SUPPORTED_REQUIRED (MULTIBOOT_PAGE_ALIGN | MULTIBOOT_MEMORY_INFO)

int mb1_find_header(const uint8_t *img, uint64_t len, struct mb_header_info *h)
{
    uint64_t limit = len < MULTIBOOT_SEARCH ? len : MULTIBOOT_SEARCH;
    memset(h, 0, sizeof(*h));
    for (uint64_t off = 0; off + 12 <= limit; off += MULTIBOOT_HEADER_ALIGN) {
        uint32_t f[3];
        memcpy(f, img + off, sizeof(f));
        if (f[0] != MULTIBOOT_HEADER_MAGIC || (uint32_t)(f[0] + f[1] + f[2]))
            continue;
        uint32_t flags = f[1];
        if ((flags & 0xFFFFu) & ~MB1_SUPPORTED_REQUIRED)
            return -ENOTSUP; /* e.g. a required video mode */
        h->offset = (uint32_t)off;
        if (flags & MULTIBOOT_AOUT_KLUDGE) {
            struct multiboot_header mh;
            if (len - off < offsetof(struct multiboot_header, mode_type))
                return -EINVAL;
            memset(&mh, 0, sizeof(mh));
            memcpy(&mh, img + off,
                   offsetof(struct multiboot_header, mode_type));
            h->has_addr = true;
            h->header_addr = mh.header_addr;
            h->load_addr = mh.load_addr;
            h->load_end_addr = mh.load_end_addr;
            h->bss_end_addr = mh.bss_end_addr;
            h->entry_addr = mh.entry_addr;
        }
        return 0;
    }
    return -ENOENT;
}

int mb1_build_info(const struct gmem *mem, uint32_t info_gpa, uint32_t info_max,
                   const char *cmdline, const struct placed_module *mods,
                   unsigned nmods)
{
    uint8_t *base = gmem_ptr(mem, info_gpa, info_max);
    uint32_t used = sizeof(struct multiboot_info);
    if (!base || mem->size < 0x100000)
        return -ERANGE;
    struct multiboot_info mi;
    memset(&mi, 0, sizeof(mi));
    mi.flags = MULTIBOOT_INFO_MEMORY | MULTIBOOT_INFO_CMDLINE |
               MULTIBOOT_INFO_MODS | MULTIBOOT_INFO_MEM_MAP |
               MULTIBOOT_INFO_BOOT_LOADER_NAME;
    mi.mem_lower = LOADER_LOW_MEM_END / 1024;
    mi.mem_upper = (uint32_t)((mem->size - 0x100000) / 1024);

    const multiboot_memory_map_t map[] = {
        {20, 0, LOADER_LOW_MEM_END, MULTIBOOT_MEMORY_AVAILABLE},
        {20, 0xF0000, 0x10000, MULTIBOOT_MEMORY_RESERVED},
        {20, 0x100000, mem->size - 0x100000, MULTIBOOT_MEMORY_AVAILABLE},
    };
    if (info_max - used < sizeof(map) + nmods * sizeof(multiboot_module_t))
        return -ERANGE;
    mi.mmap_addr = info_gpa + used;
    mi.mmap_length = sizeof(map);
    memcpy(base + used, map, sizeof(map));
    used += sizeof(map);

    mi.mods_addr = info_gpa + used;
    mi.mods_count = nmods;
    uint32_t mods_at = used;
    used += nmods * (uint32_t)sizeof(multiboot_module_t);

    const char *strs[LOADER_MAX_MODULES + 2];
    uint32_t *slots[LOADER_MAX_MODULES + 2];
    multiboot_module_t ml[LOADER_MAX_MODULES];
    unsigned ns = 0;
    memset(ml, 0, sizeof(ml));
    strs[ns] = cmdline, slots[ns++] = &mi.cmdline;
    strs[ns] = LOADER_NAME, slots[ns++] = &mi.boot_loader_name;
    for (unsigned i = 0; i < nmods && i < LOADER_MAX_MODULES; i++) {
        ml[i].mod_start = mods[i].start;
        ml[i].mod_end = mods[i].end;
        strs[ns] = mods[i].cmdline, slots[ns++] = &ml[i].cmdline;
    }
    for (unsigned i = 0; i < ns; i++) {
        uint32_t n = (uint32_t)strlen(strs[i]) + 1;
        if (n > info_max - used)
            return -ERANGE;
        memcpy(base + used, strs[i], n);
        *slots[i] = info_gpa + used;
        used += n;
    }
    memcpy(base + mods_at, ml, nmods * sizeof(multiboot_module_t));
    memcpy(base, &mi, sizeof(mi));
    return 0;
}
