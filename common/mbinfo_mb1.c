/* Multiboot 1 boot information (Multiboot specification 0.6.96, 3.3). */
#include "common/mbinfo.h"

#include <multiboot.h>

#include <errno.h>
#include <string.h>

int mbinfo_parse_mb1(uint64_t info_pa, boot_mem_fn mem, void *ctx,
                     struct boot_info *out)
{
    const multiboot_info_t *ip = mem(ctx, info_pa, sizeof(multiboot_info_t));
    multiboot_info_t mi;
    int r;

    out->protocol = 1;
    if (!ip)
        return -EFAULT;
    memcpy(&mi, ip, sizeof(mi));
    out->info_start = info_pa;
    out->info_end = info_pa + sizeof(mi);

    if (mi.flags & MULTIBOOT_INFO_MEMORY) {
        out->mem_lower_kb = mi.mem_lower;
        out->mem_upper_kb = mi.mem_upper;
    }
    if (mi.flags & MULTIBOOT_INFO_CMDLINE) {
        r = mbinfo_copy_string(mi.cmdline, mem, ctx, out->cmdline,
                               sizeof(out->cmdline));
        if (r)
            return r;
    }
    if (mi.flags & MULTIBOOT_INFO_BOOT_LOADER_NAME) {
        r = mbinfo_copy_string(mi.boot_loader_name, mem, ctx, out->loader,
                               sizeof(out->loader));
        if (r)
            return r;
    }
    if (mi.flags & MULTIBOOT_INFO_MODS) {
        if (mi.mods_count > 1024)
            return -EBADMSG;
        const multiboot_module_t *mods =
            mem(ctx, mi.mods_addr, mi.mods_count * sizeof(*mods));
        if (mi.mods_count && !mods)
            return -EFAULT;
        for (uint32_t i = 0; i < mi.mods_count; i++) {
            multiboot_module_t m;
            memcpy(&m, &mods[i], sizeof(m));
            if (m.mod_end < m.mod_start)
                return -EBADMSG;
            if (out->nmods >= BOOT_MAX_MODULES)
                break;
            struct boot_mod *bm = &out->mods[out->nmods++];
            bm->start = m.mod_start;
            bm->end = m.mod_end;
            if (m.cmdline) {
                r = mbinfo_copy_string(m.cmdline, mem, ctx, bm->cmdline,
                                       sizeof(bm->cmdline));
                if (r)
                    return r;
            }
        }
    }
    if (mi.flags & MULTIBOOT_INFO_MEM_MAP) {
        if (mi.mmap_length > (1u << 16))
            return -EBADMSG;
        const uint8_t *map = mem(ctx, mi.mmap_addr, mi.mmap_length);
        if (mi.mmap_length && !map)
            return -EFAULT;
        /* Each entry starts with its size, which does not count itself. */
        for (size_t off = 0; off + 4 <= mi.mmap_length;) {
            multiboot_memory_map_t e;
            uint32_t size;
            memcpy(&size, map + off, 4);
            if (size < 20 || size > mi.mmap_length - off - 4)
                return -EBADMSG;
            memcpy(&e, map + off, sizeof(e) < size + 4 ? sizeof(e) : size + 4);
            off += size + 4;
            if (e.len == 0 || e.addr + e.len < e.addr)
                continue;
            if (out->nmmap < BOOT_MAX_MMAP)
                out->mmap[out->nmmap++] = (struct boot_mmap_entry){
                    .base = e.addr, .len = e.len, .type = e.type};
        }
    }
    return mbinfo_finish_mmap(out);
}
