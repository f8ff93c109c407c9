/*
 * Multiboot2 (spec 2.0, multiboot2.h from the dependency cache): the
 * header search and the boot information the root hands its child.
 */
#include <errno.h>
#include <string.h>

#include <multiboot2.h>

#include "root/boot/loader_internal.h"

const uint32_t mb2_boot_magic = MULTIBOOT2_BOOTLOADER_MAGIC;

/* Highest information tag type the root knows (it may not provide it). */
#define MB2_KNOWN_TAG_MAX MULTIBOOT_TAG_TYPE_LOAD_BASE_ADDR

static int parse_tags(const uint8_t *hdr, uint32_t hlen,
                      struct mb_header_info *h)
{
    uint32_t off = sizeof(struct multiboot_header);
    for (;;) {
        struct multiboot_header_tag t;
        if (off > hlen || hlen - off < sizeof(t))
            return -EINVAL; /* no end tag */
        memcpy(&t, hdr + off, sizeof(t));
        if (t.size < sizeof(t) || t.size > hlen - off)
            return -EINVAL;
        bool optional = t.flags & MULTIBOOT_HEADER_TAG_OPTIONAL;
        switch (t.type) {
        case MULTIBOOT_HEADER_TAG_END:
            return t.size == sizeof(t) ? 0 : -EINVAL;
        case MULTIBOOT_HEADER_TAG_INFORMATION_REQUEST: {
            uint32_t n = (t.size - sizeof(t)) / 4;
            for (uint32_t i = 0; i < n; i++) {
                uint32_t req;
                memcpy(&req, hdr + off + sizeof(t) + 4 * i, 4);
                if (req > MB2_KNOWN_TAG_MAX && !optional)
                    return -ENOTSUP;
            }
            break;
        }
        case MULTIBOOT_HEADER_TAG_ADDRESS: {
            struct multiboot_header_tag_address a;
            if (t.size < sizeof(a))
                return -EINVAL;
            memcpy(&a, hdr + off, sizeof(a));
            h->has_addr = true;
            h->header_addr = a.header_addr;
            h->load_addr = a.load_addr;
            h->load_end_addr = a.load_end_addr;
            h->bss_end_addr = a.bss_end_addr;
            break;
        }
        case MULTIBOOT_HEADER_TAG_ENTRY_ADDRESS: {
            struct multiboot_header_tag_entry_address e;
            if (t.size < sizeof(e))
                return -EINVAL;
            memcpy(&e, hdr + off, sizeof(e));
            h->has_entry = true;
            h->entry_addr = e.entry_addr;
            break;
        }
        case MULTIBOOT_HEADER_TAG_CONSOLE_FLAGS:
        case MULTIBOOT_HEADER_TAG_FRAMEBUFFER:
        case MULTIBOOT_HEADER_TAG_MODULE_ALIGN:
        case MULTIBOOT_HEADER_TAG_RELOCATABLE:
            /* Preferences the root meets trivially: no framebuffer to
             * set, modules page-aligned, loaded at the link address. */
            break;
        default: /* EFI entry points and anything newer */
            if (!optional)
                return -ENOTSUP;
            break;
        }
        off += (t.size + MULTIBOOT_TAG_ALIGN - 1) & ~(MULTIBOOT_TAG_ALIGN - 1u);
    }
}

int mb2_find_header(const uint8_t *img, uint64_t len, struct mb_header_info *h)
{
    uint64_t limit = len < MULTIBOOT_SEARCH ? len : MULTIBOOT_SEARCH;
    memset(h, 0, sizeof(*h));
    for (uint64_t off = 0; off + sizeof(struct multiboot_header) <= limit;
         off += MULTIBOOT_HEADER_ALIGN) {
        struct multiboot_header mh;
        memcpy(&mh, img + off, sizeof(mh));
        if (mh.magic != MULTIBOOT2_HEADER_MAGIC)
            continue;
        if ((uint32_t)(mh.magic + mh.architecture + mh.header_length +
                       mh.checksum) != 0)
            continue; /* not a header, just the constant in data */
        if (mh.architecture != MULTIBOOT2_ARCHITECTURE_I386)
            return -ENOTSUP;
        if (mh.header_length < sizeof(mh) + 8 || mh.header_length > len - off)
            return -EINVAL;
        h->offset = (uint32_t)off;
        return parse_tags(img + off, mh.header_length, h);
    }
    return -ENOENT;
}

/* Appends one tag; returns its start or NULL when out of room. */
static uint8_t *tag_put(uint8_t *base, uint32_t *used, uint32_t max,
                        uint32_t type, uint32_t size)
{
    uint32_t at =
        (*used + MULTIBOOT_TAG_ALIGN - 1) & ~(MULTIBOOT_TAG_ALIGN - 1u);
    if (at > max || size > max - at)
        return NULL;
    struct multiboot_tag t = {.type = type, .size = size};
    memcpy(base + at, &t, sizeof(t));
    *used = at + size;
    return base + at;
}

static int put_string(uint8_t *base, uint32_t *used, uint32_t max,
                      uint32_t type, const char *s)
{
    uint32_t n = (uint32_t)strlen(s) + 1;
    uint8_t *t = tag_put(base, used, max, type,
                         (uint32_t)sizeof(struct multiboot_tag_string) + n);
    if (!t)
        return -ERANGE;
    memcpy(t + sizeof(struct multiboot_tag_string), s, n);
    return 0;
}

int mb2_build_info(const struct gmem *mem, uint32_t info_gpa, uint32_t info_max,
                   const char *cmdline, const struct placed_module *mods,
                   unsigned nmods)
{
    uint8_t *base = gmem_ptr(mem, info_gpa, info_max);
    uint32_t used = 8; /* total_size, reserved */
    if (!base || mem->size < 0x100000)
        return -ERANGE;
    if (put_string(base, &used, info_max, MULTIBOOT_TAG_TYPE_CMDLINE,
                   cmdline) ||
        put_string(base, &used, info_max, MULTIBOOT_TAG_TYPE_BOOT_LOADER_NAME,
                   LOADER_NAME))
        return -ERANGE;
    for (unsigned i = 0; i < nmods; i++) {
        uint32_t n = (uint32_t)strlen(mods[i].cmdline) + 1;
        uint8_t *t = tag_put(base, &used, info_max, MULTIBOOT_TAG_TYPE_MODULE,
                             (uint32_t)sizeof(struct multiboot_tag_module) + n);
        if (!t)
            return -ERANGE;
        struct multiboot_tag_module m;
        memcpy(&m, t, sizeof(m));
        m.mod_start = mods[i].start;
        m.mod_end = mods[i].end;
        memcpy(t, &m, sizeof(m));
        memcpy(t + sizeof(m), mods[i].cmdline, n);
    }
    struct multiboot_tag_basic_meminfo bm = {
        .type = MULTIBOOT_TAG_TYPE_BASIC_MEMINFO,
        .size = sizeof(bm),
        .mem_lower = LOADER_LOW_MEM_END / 1024,
        .mem_upper = (uint32_t)((mem->size - 0x100000) / 1024),
    };
    uint8_t *t = tag_put(base, &used, info_max, bm.type, bm.size);
    if (!t)
        return -ERANGE;
    memcpy(t, &bm, sizeof(bm));

    const struct multiboot_mmap_entry map[] = {
        {0, LOADER_LOW_MEM_END, MULTIBOOT_MEMORY_AVAILABLE, 0},
        {0xF0000, 0x10000, MULTIBOOT_MEMORY_RESERVED, 0},
        {0x100000, mem->size - 0x100000, MULTIBOOT_MEMORY_AVAILABLE, 0},
    };
    t = tag_put(base, &used, info_max, MULTIBOOT_TAG_TYPE_MMAP,
                (uint32_t)(sizeof(struct multiboot_tag_mmap) + sizeof(map)));
    if (!t)
        return -ERANGE;
    struct multiboot_tag_mmap mm;
    memcpy(&mm, t, sizeof(mm));
    mm.entry_size = sizeof(struct multiboot_mmap_entry);
    mm.entry_version = 0;
    memcpy(t, &mm, sizeof(mm));
    memcpy(t + sizeof(mm), map, sizeof(map));

    if (!tag_put(base, &used, info_max, MULTIBOOT_TAG_TYPE_END, 8))
        return -ERANGE;
    uint32_t hdr[2] = {used, 0};
    memcpy(base, hdr, sizeof(hdr));
    return 0;
}
