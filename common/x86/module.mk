# Shared bare-metal runtime (guest kernel and root; each image links
# common/x86/start.S itself, first) and the pure C pieces of
# booting: formatting, page allocator, command line, Multiboot information.
COMMON_SRCS += common/x86/trap.S common/x86/idt.c \
	common/x86/uart.c common/x86/pic.c common/fmt.c common/pmm.c common/cmdline.c \
	common/mbinfo.c common/mbinfo_mb1.c common/mbinfo_mb2.c
