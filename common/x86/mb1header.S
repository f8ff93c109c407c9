/*
 * Multiboot 1 header of an image (an appliance or the root), for QEMU
 * -kernel with the ELF32 copy.  The Multiboot 2 header (GRUB, the Enlight
 * root, Hyper-V via GRUB) is in mb2header.S: the two spec headers share an
 * include guard and cannot be in one file.  Both loaders enter at the ELF
 * entry point, common/x86/start.S.
 */
#include <multiboot.h>

#define MB1_FLAGS (MULTIBOOT_PAGE_ALIGN | MULTIBOOT_MEMORY_INFO)

        .section .multiboot, "a"
        .align  MULTIBOOT_HEADER_ALIGN
        .long   MULTIBOOT_HEADER_MAGIC
        .long   MB1_FLAGS
        .long   -(MULTIBOOT_HEADER_MAGIC + MB1_FLAGS)
