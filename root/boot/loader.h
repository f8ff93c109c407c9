/*
 * The root as the child's boot loader: it loads a Multiboot2 (or
 * Multiboot1) kernel image into the child's RAM, builds the boot
 * information, and says how to enter it.  Pure C over struct gmem; the
 * image and every header field in it are untrusted input.
 *
 * Multiboot2 is preferred when an image carries both headers.  The
 * machine state for the entry (32-bit protected mode, flat segments,
 * paging off, EAX = magic, EBX = info) is applied by root/svm.
 */
#ifndef ROOT_BOOT_LOADER_H
#define ROOT_BOOT_LOADER_H

#include <stdint.h>

#include "root/hv/vcpu.h"

#define LOADER_NAME "Enlight root"
#define LOADER_MAX_MODULES 8u
#define LOADER_LOW_MEM_END 0x9FC00u /* conventional memory reported */

struct loader_module {
    const void *data;
    uint64_t len;
    const char *cmdline; /* never NULL */
};

struct loader_result {
    int mb_version;                  /* 1 or 2 */
    uint32_t entry;                  /* 32-bit physical entry point */
    uint32_t magic;                  /* EAX at entry */
    uint32_t info_gpa;               /* EBX at entry */
    uint64_t image_start, image_end; /* guest-physical, end exclusive */
};

/*
 * Loads image[0..len) into mem, copies the modules after it, writes the
 * boot information.  Returns 0, or:
 *   -ENOEXEC  no Multiboot header, or neither ELF nor address fields
 *   -EINVAL   malformed header, ELF or tag (bad checksum, sizes, offsets)
 *   -ENOTSUP  a required header tag the root cannot honour (EFI, ...)
 *   -ERANGE   something does not fit the child's RAM or below 4 GiB
 */
int loader_load(const struct gmem *mem, const void *image, uint64_t len,
                const char *cmdline, const struct loader_module *mods,
                unsigned nmods, struct loader_result *out);

#endif /* ROOT_BOOT_LOADER_H */
