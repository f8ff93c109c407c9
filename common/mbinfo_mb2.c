/* Multiboot 2 boot information (Multiboot2 specification, section 3.6). */
#include "common/mbinfo.h"

#include <multiboot2.h>

#include <errno.h>
#include <string.h>

/* Copies a string tag's text, bounded by the tag's own size. */
static void tag_string(const struct multiboot_tag_string *t, char *dst,
                       size_t cap)
{
    size_t max = t->size - offsetof(struct multiboot_tag_string, string);
    size_t i = 0;
    for (; i < max && i + 1 < cap && t->string[i]; i++)
        dst[i] = t->string[i];
    dst[i] = '\0';
}

static int parse_mmap(const struct multiboot_tag_mmap *t, struct boot_info *out)
{
    if (t->size < sizeof(*t) || t->entry_size < 24 || t->entry_size % 8)
        return -EBADMSG;
    size_t n = (t->size - sizeof(*t)) / t->entry_size;
    const uint8_t *e = (const uint8_t *)t->entries;
    for (size_t i = 0; i < n && out->nmmap < BOOT_MAX_MMAP; i++) {
        struct multiboot_mmap_entry m;
        memcpy(&m, e + i * t->entry_size, sizeof(m));
        if (m.len == 0 || m.addr + m.len < m.addr)
            continue;
        out->mmap[out->nmmap++] = (struct boot_mmap_entry){
            .base = m.addr, .len = m.len, .type = m.type};
    }
    return 0;
}

int mbinfo_parse_mb2(uint64_t info_pa, boot_mem_fn mem, void *ctx,
                     struct boot_info *out)
{
    const uint32_t *head = mem(ctx, info_pa, 8);

    out->protocol = 2;
    if (!head)
        return -EFAULT;
    uint32_t total = head[0];
    if (total < 16 || total > (1u << 20) || (info_pa & 7))
        return -EBADMSG;
    const uint8_t *info = mem(ctx, info_pa, total);
    if (!info)
        return -EFAULT;
    out->info_start = info_pa;
    out->info_end = info_pa + total;

    int seen_end = 0;
    for (size_t off = 8; off + sizeof(struct multiboot_tag) <= total;) {
        struct multiboot_tag tag;
        memcpy(&tag, info + off, sizeof(tag));
        if (tag.size < 8 || tag.size > total - off)
            return -EBADMSG;
        const void *tp = info + off;
        switch (tag.type) {
        case MULTIBOOT_TAG_TYPE_END:
            seen_end = 1;
            break;
        case MULTIBOOT_TAG_TYPE_CMDLINE:
            tag_string(tp, out->cmdline, sizeof(out->cmdline));
            break;
        case MULTIBOOT_TAG_TYPE_BOOT_LOADER_NAME:
            tag_string(tp, out->loader, sizeof(out->loader));
            break;
        case MULTIBOOT_TAG_TYPE_BASIC_MEMINFO:
            if (tag.size < sizeof(struct multiboot_tag_basic_meminfo))
                return -EBADMSG;
            out->mem_lower_kb =
                ((const struct multiboot_tag_basic_meminfo *)tp)->mem_lower;
            out->mem_upper_kb =
                ((const struct multiboot_tag_basic_meminfo *)tp)->mem_upper;
            break;
        case MULTIBOOT_TAG_TYPE_MODULE: {
            const struct multiboot_tag_module *m = tp;
            if (tag.size < sizeof(*m))
                return -EBADMSG;
            if (m->mod_end < m->mod_start)
                return -EBADMSG;
            if (out->nmods < BOOT_MAX_MODULES) {
                struct boot_mod *bm = &out->mods[out->nmods++];
                bm->start = m->mod_start;
                bm->end = m->mod_end;
                size_t max = tag.size - sizeof(*m);
                size_t i = 0;
                for (; i < max && i + 1 < sizeof(bm->cmdline) && m->cmdline[i];
                     i++)
                    bm->cmdline[i] = m->cmdline[i];
                bm->cmdline[i] = '\0';
            }
            break;
        }
        case MULTIBOOT_TAG_TYPE_MMAP: {
            int r = parse_mmap(tp, out);
            if (r)
                return r;
            break;
        }
        case MULTIBOOT_TAG_TYPE_ACPI_OLD:
        case MULTIBOOT_TAG_TYPE_ACPI_NEW:
            if (tag.size > 8)
                out->rsdp_pa = info_pa + off + 8;
            break;
        default:
            break;
        }
        if (seen_end)
            break;
        off += (tag.size + 7) & ~7u;
    }
    if (!seen_end)
        return -EBADMSG;
    return mbinfo_finish_mmap(out);
}
