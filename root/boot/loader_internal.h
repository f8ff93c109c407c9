/*
 * Pieces of the child loader shared between its files.  loader_mb1.c and
 * loader_mb2.c each include one of the spec headers (they share an include
 * guard, so never both in one file).
 */
#ifndef ROOT_BOOT_LOADER_INTERNAL_H
#define ROOT_BOOT_LOADER_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "root/boot/loader.h"

/* What a Multiboot header says about loading. */
struct mb_header_info {
    uint32_t offset; /* of the header in the file */
    bool has_addr;   /* a.out-kludge address fields present */
    uint32_t header_addr, load_addr, load_end_addr, bss_end_addr;
    bool has_entry;
    uint32_t entry_addr;
};

/* EAX at entry, from the spec headers. */
extern const uint32_t mb2_boot_magic, mb1_boot_magic;

/* 0, -ENOENT (no header), -EINVAL (bad), -ENOTSUP (required tag). */
int mb2_find_header(const uint8_t *img, uint64_t len, struct mb_header_info *h);
int mb1_find_header(const uint8_t *img, uint64_t len, struct mb_header_info *h);

/* Loads by the address fields.  0, -EINVAL, -ERANGE. */
int load_kludge(const struct gmem *mem, const uint8_t *img, uint64_t len,
                const struct mb_header_info *h, uint64_t *start, uint64_t *end);
/* Loads ELF32/ELF64 PT_LOAD segments by p_paddr.  0, -ENOEXEC, -EINVAL,
 * -ERANGE. */
int load_elf(const struct gmem *mem, const uint8_t *img, uint64_t len,
             uint64_t *entry, uint64_t *start, uint64_t *end);

/* A module as placed in child RAM. */
struct placed_module {
    uint32_t start, end; /* guest-physical, end exclusive */
    const char *cmdline;
};

/*
 * Write the boot information at info_gpa (at most info_max bytes).
 * Returns 0 or -ERANGE.
 */
int mb2_build_info(const struct gmem *mem, uint32_t info_gpa, uint32_t info_max,
                   const char *cmdline, const struct placed_module *mods,
                   unsigned nmods);
int mb1_build_info(const struct gmem *mem, uint32_t info_gpa, uint32_t info_max,
                   const char *cmdline, const struct placed_module *mods,
                   unsigned nmods);

#endif /* ROOT_BOOT_LOADER_INTERNAL_H */
