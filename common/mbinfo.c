/* Multiboot information: dispatch and helpers shared by both parsers. */
#include "common/mbinfo.h"

#include <errno.h>
#include <string.h>

int mbinfo_parse(uint32_t magic, uint64_t info_pa, boot_mem_fn mem, void *ctx,
                 struct boot_info *out)
{
    memset(out, 0, sizeof(*out));
    switch (magic) {
    case MBINFO_MAGIC1:
        return mbinfo_parse_mb1(info_pa, mem, ctx, out);
    case MBINFO_MAGIC2:
        return mbinfo_parse_mb2(info_pa, mem, ctx, out);
    default:
        return -EINVAL;
    }
}

int mbinfo_copy_string(uint64_t pa, boot_mem_fn mem, void *ctx, char *dst,
                       size_t cap)
{
    size_t i = 0;

    if (cap == 0)
        return 0;
    /* Byte by byte: the string may end right before inaccessible memory. */
    for (; i + 1 < cap; i++) {
        const char *c = mem(ctx, pa + i, 1);
        if (!c) {
            dst[0] = '\0';
            return -EFAULT;
        }
        if (*c == '\0')
            break;
        dst[i] = *c;
    }
    dst[i] = '\0';
    return 0;
}

int mbinfo_finish_mmap(struct boot_info *out)
{
    if (out->nmmap == 0 && (out->mem_lower_kb || out->mem_upper_kb)) {
        out->mmap[out->nmmap++] =
            (struct boot_mmap_entry){.base = 0,
                                     .len = out->mem_lower_kb * 1024,
                                     .type = BOOT_MEM_AVAILABLE};
        out->mmap[out->nmmap++] =
            (struct boot_mmap_entry){.base = 0x100000,
                                     .len = out->mem_upper_kb * 1024,
                                     .type = BOOT_MEM_AVAILABLE};
    }
    return out->nmmap ? 0 : -EBADMSG;
}

uint64_t mbinfo_available_bytes(const struct boot_info *bi)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < bi->nmmap; i++)
        if (bi->mmap[i].type == BOOT_MEM_AVAILABLE)
            sum += bi->mmap[i].len;
    return sum;
}
