/*
 * Multiboot 1 and 2 boot information, parsed into one neutral description.
 * Every pointer in the loader's information passes through the caller's
 * memory accessor, so malformed or hostile information yields an error,
 * never a wild read.  Pure C, tested on the host.
 */
#ifndef COMMON_MBINFO_H
#define COMMON_MBINFO_H

#include <stddef.h>
#include <stdint.h>

#define MBINFO_MAGIC1 0x2BADB002u /* EAX from a Multiboot 1 loader */
#define MBINFO_MAGIC2 0x36D76289u /* EAX from a Multiboot 2 loader */

#define BOOT_CMDLINE_MAX 1024
#define BOOT_MOD_CMDLINE_MAX 256
#define BOOT_LOADER_MAX 64
#define BOOT_MAX_MMAP 64
#define BOOT_MAX_MODULES 16

/* Memory types, numbered as both Multiboot specifications number them. */
#define BOOT_MEM_AVAILABLE 1
#define BOOT_MEM_RESERVED 2
#define BOOT_MEM_ACPI 3
#define BOOT_MEM_NVS 4
#define BOOT_MEM_BAD 5

struct boot_mmap_entry {
    uint64_t base;
    uint64_t len;
    uint32_t type; /* BOOT_MEM_* */
};

struct boot_mod {
    uint64_t start, end; /* physical, end exclusive */
    char cmdline[BOOT_MOD_CMDLINE_MAX];
};

struct boot_info {
    int protocol; /* 1 or 2 */
    char cmdline[BOOT_CMDLINE_MAX];
    char loader[BOOT_LOADER_MAX];
    uint64_t mem_lower_kb, mem_upper_kb; /* basic memory info, if given */
    size_t nmmap;
    struct boot_mmap_entry mmap[BOOT_MAX_MMAP];
    size_t nmods;
    struct boot_mod mods[BOOT_MAX_MODULES];
    uint64_t rsdp_pa; /* ACPI RSDP copy inside the info (MB2), or 0 */
    uint64_t info_start, info_end; /* the information block itself */
};

/*
 * Returns a host pointer to len readable bytes at physical address pa, or
 * NULL if any of them is outside memory the loader could have written.
 */
typedef const void *(*boot_mem_fn)(void *ctx, uint64_t pa, size_t len);

/*
 * Parses the information at info_pa according to magic.  Returns 0;
 * -EINVAL for an unknown magic; -EFAULT when a structure or string lies
 * outside accessible memory; -EBADMSG for malformed contents (tag sizes,
 * unterminated strings, an empty or bad memory map).  Too many memory map
 * entries or modules, and over-long strings, are truncated, not errors.
 */
int mbinfo_parse(uint32_t magic, uint64_t info_pa, boot_mem_fn mem, void *ctx,
                 struct boot_info *out);

/* The two halves (separate files: the spec headers share a guard). */
int mbinfo_parse_mb1(uint64_t info_pa, boot_mem_fn mem, void *ctx,
                     struct boot_info *out);
int mbinfo_parse_mb2(uint64_t info_pa, boot_mem_fn mem, void *ctx,
                     struct boot_info *out);

/*
 * Copies a NUL-terminated string of at most cap-1 bytes from pa.  Returns
 * 0, -EFAULT if unreadable.  Longer strings are truncated.
 */
int mbinfo_copy_string(uint64_t pa, boot_mem_fn mem, void *ctx, char *dst,
                       size_t cap);

/* Builds a memory map from the basic lower/upper figures when the loader
 * gave none.  Returns 0, or -EBADMSG when there is no memory information
 * at all. */
int mbinfo_finish_mmap(struct boot_info *out);

/* Sum of the available memory in the map, in bytes. */
uint64_t mbinfo_available_bytes(const struct boot_info *bi);

#endif /* COMMON_MBINFO_H */
