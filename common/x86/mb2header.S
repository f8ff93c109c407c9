/* Multiboot 2 header of an image (Multiboot2 specification 3.1). */
#include <multiboot2.h>

#define MB2_ARCH MULTIBOOT2_ARCHITECTURE_I386

        .section .multiboot, "a"
        .align  MULTIBOOT_HEADER_ALIGN
mb2_header:
        .long   MULTIBOOT2_HEADER_MAGIC
        .long   MB2_ARCH
        .long   mb2_header_end - mb2_header
        .long   -(MULTIBOOT2_HEADER_MAGIC + MB2_ARCH + (mb2_header_end - mb2_header))
        /* Information request: command line, modules, memory map. */
        .align  MULTIBOOT_TAG_ALIGN
        .short  MULTIBOOT_HEADER_TAG_INFORMATION_REQUEST
        .short  0
        .long   8 + 4 * 3
        .long   MULTIBOOT_TAG_TYPE_CMDLINE
        .long   MULTIBOOT_TAG_TYPE_MODULE
        .long   MULTIBOOT_TAG_TYPE_MMAP
        .align  MULTIBOOT_TAG_ALIGN
        .short  MULTIBOOT_HEADER_TAG_END
        .short  0
        .long   8
mb2_header_end:
