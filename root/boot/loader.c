/*
 * Child loader: ELF and address-field loading, module placement, and the
 * choice between Multiboot2 and Multiboot1 (the spec-specific parts live
 * in loader_mb2.c and loader_mb1.c).
 */
#include <errno.h>
#include <string.h>

#include "root/boot/loader_internal.h"

/* ELF (System V gABI): the header fields the loader reads. */
#define EI_NIDENT 16
#define ELFCLASS32 1
#define ELFCLASS64 2
#define ELFDATA2LSB 1
#define EM_386 3
#define EM_X86_64 62
#define ET_EXEC 2
#define PT_LOAD 1

struct elf32_ehdr {
    uint8_t e_ident[EI_NIDENT]; /* +0x00 */
    uint16_t e_type;            /* +0x10 */
    uint16_t e_machine;         /* +0x12 */
    uint32_t e_version;         /* +0x14 */
    uint32_t e_entry;           /* +0x18 */
    uint32_t e_phoff;           /* +0x1C */
    uint32_t e_shoff;           /* +0x20 */
    uint32_t e_flags;           /* +0x24 */
    uint16_t e_ehsize;          /* +0x28 */
    uint16_t e_phentsize;       /* +0x2A */
    uint16_t e_phnum;           /* +0x2C */
    uint16_t e_shentsize;       /* +0x2E */
    uint16_t e_shnum;           /* +0x30 */
    uint16_t e_shstrndx;        /* +0x32 */
};
_Static_assert(sizeof(struct elf32_ehdr) == 52, "Elf32_Ehdr");

struct elf64_ehdr {
    uint8_t e_ident[EI_NIDENT]; /* +0x00 */
    uint16_t e_type;            /* +0x10 */
    uint16_t e_machine;         /* +0x12 */
    uint32_t e_version;         /* +0x14 */
    uint64_t e_entry;           /* +0x18 */
    uint64_t e_phoff;           /* +0x20 */
    uint64_t e_shoff;           /* +0x28 */
    uint32_t e_flags;           /* +0x30 */
    uint16_t e_ehsize;          /* +0x34 */
    uint16_t e_phentsize;       /* +0x36 */
    uint16_t e_phnum;           /* +0x38 */
    uint16_t e_shentsize;       /* +0x3A */
    uint16_t e_shnum;           /* +0x3C */
    uint16_t e_shstrndx;        /* +0x3E */
};
_Static_assert(sizeof(struct elf64_ehdr) == 64, "Elf64_Ehdr");

struct elf32_phdr {
    uint32_t p_type;   /* +0x00 */
    uint32_t p_offset; /* +0x04 */
    uint32_t p_vaddr;  /* +0x08 */
    uint32_t p_paddr;  /* +0x0C */
    uint32_t p_filesz; /* +0x10 */
    uint32_t p_memsz;  /* +0x14 */
    uint32_t p_flags;  /* +0x18 */
    uint32_t p_align;  /* +0x1C */
};
_Static_assert(sizeof(struct elf32_phdr) == 32, "Elf32_Phdr");

struct elf64_phdr {
    uint32_t p_type;   /* +0x00 */
    uint32_t p_flags;  /* +0x04 */
    uint64_t p_offset; /* +0x08 */
    uint64_t p_vaddr;  /* +0x10 */
    uint64_t p_paddr;  /* +0x18 */
    uint64_t p_filesz; /* +0x20 */
    uint64_t p_memsz;  /* +0x28 */
    uint64_t p_align;  /* +0x30 */
};
_Static_assert(sizeof(struct elf64_phdr) == 56, "Elf64_Phdr");

#define ELF_MAX_PHDRS 64u

/* Copies filesz bytes and zeroes up to memsz at gpa, all checked. */
static int place(const struct gmem *mem, const uint8_t *img, uint64_t len,
                 uint64_t off, uint64_t filesz, uint64_t gpa, uint64_t memsz)
{
    if (filesz > memsz)
        return -EINVAL;
    if (off > len || filesz > len - off)
        return -EINVAL;
    if (memsz == 0)
        return 0;
    if (gpa >= 0x100000000ull || memsz > 0x100000000ull - gpa)
        return -ERANGE;
    uint8_t *dst = gmem_ptr(mem, gpa, memsz);
    if (!dst)
        return -ERANGE;
    memcpy(dst, img + off, filesz);
    memset(dst + filesz, 0, memsz - filesz);
    return 0;
}

int load_elf(const struct gmem *mem, const uint8_t *img, uint64_t len,
             uint64_t *entry, uint64_t *start, uint64_t *end)
{
    if (len < sizeof(struct elf32_ehdr) || memcmp(img, "\177ELF", 4) != 0)
        return -ENOEXEC;
    if (img[5] != ELFDATA2LSB)
        return -EINVAL;
    uint64_t phoff, phnum, phentsize, lo = UINT64_MAX, hi = 0;
    bool is64 = img[4] == ELFCLASS64;
    if (is64) {
        struct elf64_ehdr eh;
        if (len < sizeof(eh))
            return -EINVAL;
        memcpy(&eh, img, sizeof(eh));
        if (eh.e_machine != EM_X86_64 || eh.e_type != ET_EXEC)
            return -EINVAL;
        phoff = eh.e_phoff;
        phnum = eh.e_phnum;
        phentsize = eh.e_phentsize;
        *entry = eh.e_entry;
        if (phentsize < sizeof(struct elf64_phdr))
            return -EINVAL;
    } else if (img[4] == ELFCLASS32) {
        struct elf32_ehdr eh;
        memcpy(&eh, img, sizeof(eh));
        if (eh.e_machine != EM_386 || eh.e_type != ET_EXEC)
            return -EINVAL;
        phoff = eh.e_phoff;
        phnum = eh.e_phnum;
        phentsize = eh.e_phentsize;
        *entry = eh.e_entry;
        if (phentsize < sizeof(struct elf32_phdr))
            return -EINVAL;
    } else {
        return -EINVAL;
    }
    if (phnum == 0 || phnum > ELF_MAX_PHDRS || phoff > len ||
        phnum * phentsize > len - phoff)
        return -EINVAL;
    for (uint64_t i = 0; i < phnum; i++) {
        const uint8_t *ph = img + phoff + i * phentsize;
        uint64_t type, off, paddr, filesz, memsz;
        if (is64) {
            struct elf64_phdr p;
            memcpy(&p, ph, sizeof(p));
            type = p.p_type, off = p.p_offset, paddr = p.p_paddr;
            filesz = p.p_filesz, memsz = p.p_memsz;
        } else {
            struct elf32_phdr p;
            memcpy(&p, ph, sizeof(p));
            type = p.p_type, off = p.p_offset, paddr = p.p_paddr;
            filesz = p.p_filesz, memsz = p.p_memsz;
        }
        if (type != PT_LOAD)
            continue;
        int rc = place(mem, img, len, off, filesz, paddr, memsz);
        if (rc)
            return rc;
        if (memsz == 0)
            continue;
        if (paddr < lo)
            lo = paddr;
        if (paddr + memsz > hi)
            hi = paddr + memsz;
    }
    if (hi == 0)
        return -EINVAL; /* nothing to load */
    *start = lo;
    *end = hi;
    return 0;
}

int load_kludge(const struct gmem *mem, const uint8_t *img, uint64_t len,
                const struct mb_header_info *h, uint64_t *start, uint64_t *end)
{
    if (h->load_addr > h->header_addr ||
        h->header_addr - h->load_addr > h->offset)
        return -EINVAL;
    uint64_t file_off = h->offset - (h->header_addr - h->load_addr);
    uint64_t load_end =
        h->load_end_addr ? h->load_end_addr : h->load_addr + (len - file_off);
    if (load_end < h->load_addr)
        return -EINVAL;
    uint64_t filesz = load_end - h->load_addr;
    uint64_t bss_end = h->bss_end_addr ? h->bss_end_addr : load_end;
    if (bss_end < load_end)
        return -EINVAL;
    int rc = place(mem, img, len, file_off, filesz, h->load_addr,
                   bss_end - h->load_addr);
    if (rc)
        return rc;
    *start = h->load_addr;
    *end = bss_end;
    return 0;
}

static uint64_t align_up(uint64_t x, uint64_t a)
{
    return (x + a - 1) & ~(a - 1);
}

/* Boot information area reserved after the image. */
#define INFO_AREA 0x4000u

int loader_load(const struct gmem *mem, const void *image, uint64_t len,
                const char *cmdline, const struct loader_module *mods,
                unsigned nmods, struct loader_result *out)
{
    const uint8_t *img = image;
    struct mb_header_info h;
    uint64_t entry = 0, start = 0, end = 0;
    int rc, version = 2;

    memset(out, 0, sizeof(*out));
    if (!img || len == 0 || nmods > LOADER_MAX_MODULES)
        return -EINVAL;
    rc = mb2_find_header(img, len, &h);
    if (rc == -ENOENT) {
        version = 1;
        rc = mb1_find_header(img, len, &h);
        if (rc == -ENOENT)
            return -ENOEXEC;
    }
    if (rc)
        return rc;
    if (h.has_addr)
        rc = load_kludge(mem, img, len, &h, &start, &end);
    else
        rc = load_elf(mem, img, len, &entry, &start, &end);
    if (rc)
        return rc;
    if (h.has_entry)
        entry = h.entry_addr;
    else if (h.has_addr && version == 1)
        entry = h.entry_addr;
    else if (h.has_addr)
        return -EINVAL; /* MB2 address tag without an entry tag */
    if (entry >= 0x100000000ull || !gmem_ptr(mem, entry, 1))
        return -ERANGE;

    /* Boot information, then each module on its own pages. */
    uint64_t info = align_up(end, 0x1000);
    uint64_t next = info + INFO_AREA;
    struct placed_module pm[LOADER_MAX_MODULES];
    for (unsigned i = 0; i < nmods; i++) {
        uint64_t mlen = mods[i].len;
        uint8_t *dst = mlen ? gmem_ptr(mem, next, mlen) : NULL;
        if ((mlen && !dst) || next + mlen >= 0x100000000ull)
            return -ERANGE;
        if (mlen)
            memcpy(dst, mods[i].data, mlen);
        pm[i].start = (uint32_t)next;
        pm[i].end = (uint32_t)(next + mlen);
        pm[i].cmdline = mods[i].cmdline ? mods[i].cmdline : "";
        next = align_up(next + mlen, 0x1000);
    }
    if (!gmem_ptr(mem, info, INFO_AREA) || info >= 0x100000000ull)
        return -ERANGE;
    memset(gmem_ptr(mem, info, INFO_AREA), 0, INFO_AREA);
    if (!cmdline)
        cmdline = "";
    rc = version == 2 ? mb2_build_info(mem, (uint32_t)info, INFO_AREA, cmdline,
                                       pm, nmods)
                      : mb1_build_info(mem, (uint32_t)info, INFO_AREA, cmdline,
                                       pm, nmods);
    if (rc)
        return rc;
    out->mb_version = version;
    out->entry = (uint32_t)entry;
    out->magic = version == 2 ? mb2_boot_magic : mb1_boot_magic;
    out->info_gpa = (uint32_t)info;
    out->image_start = start;
    out->image_end = end;
    return 0;
}
