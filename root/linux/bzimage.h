/*
 * The root as a Linux boot loader: the x86 64-bit boot protocol
 * (Documentation/arch/x86/boot.rst, protocol 2.12+): the protected-mode
 * kernel of a bzImage copied to an aligned address, an initrd, the
 * command line, boot_params ("zero page") with the e820 map and the ACPI
 * RSDP, identity page tables and a GDT, and the state to enter it in.
 * Pure C over struct gmem; the image is untrusted input.
 */
#ifndef ROOT_LINUX_BZIMAGE_H
#define ROOT_LINUX_BZIMAGE_H

#include <stdint.h>

#include "root/hv/vcpu.h"

/* Fixed guest-physical places (all below 1 MiB, outside the e820 RAM). */
#define LINUX_GDT_GPA 0x8000u
#define LINUX_BOOT_PARAMS_GPA 0x10000u
#define LINUX_CMDLINE_GPA 0x20000u
#define LINUX_CMDLINE_MAX 0x1000u
#define LINUX_PAGE_TABLES_GPA                                                  \
    0x30000u                    /* PML4, PDPT, 4 PDs: 0x30000-0x35FFF          \
                                 */
#define LINUX_ACPI_GPA 0xE0000u /* tables from root/acpi */
#define LINUX_LOW_RAM_END 0x9FC00u

/* Selectors the 64-bit boot protocol requires: __BOOT_CS, __BOOT_DS. */
#define LINUX_BOOT_CS 0x10u
#define LINUX_BOOT_DS 0x18u

struct linux_entry {
    uint64_t rip;      /* 64-bit entry: load address + 0x200 */
    uint64_t rsi;      /* boot_params */
    uint64_t cr3;      /* identity map of the first 4 GiB */
    uint64_t gdt_base; /* GDT with LINUX_BOOT_CS / LINUX_BOOT_DS */
    uint16_t gdt_limit;
    uint64_t kernel_start, kernel_end; /* guest-physical, end exclusive */
    uint64_t initrd_start, initrd_end;
    uint16_t protocol; /* boot protocol version, e.g. 0x020f */
};

/*
 * Loads the bzImage image[0..len) and the initrd into mem, writes the
 * command line, boot_params (e820 from mem->size, acpi_rsdp_addr =
 * rsdp_gpa), page tables and GDT.  Returns 0, or:
 *   -ENOEXEC  not a bzImage (no "HdrS" or 0xAA55) or no 64-bit entry
 *   -EINVAL   malformed header (setup_sects past the end, sizes)
 *   -ENOTSUP  boot protocol older than 2.12
 *   -E2BIG    command line longer than the kernel accepts
 *   -ERANGE   kernel, init_size or initrd do not fit the child's RAM
 */
int linux_load(const struct gmem *mem, const void *image, uint64_t len,
               const void *initrd, uint64_t initrd_len, const char *cmdline,
               uint64_t rsdp_gpa, struct linux_entry *out);

/* True if image starts like a bzImage (boot flag and "HdrS"). */
int linux_is_bzimage(const void *image, uint64_t len);

#endif /* ROOT_LINUX_BZIMAGE_H */
