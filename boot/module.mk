# Guest kernel: Multiboot headers and entry (linked into every image), and
# the kernel services of boot/kernel.h.
KIT_FORCE_SRCS += common/x86/mb1header.S common/x86/mb2header.S common/x86/start.S
KIT_SRCS += boot/main.c boot/console.c boot/panic.c boot/irq.c boot/clock.c \
	boot/mm.c boot/syscalls.c
