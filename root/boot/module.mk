# Reference root: boot, the child loader, SVM core, Hyper-V interface,
# virtual devices.  common/x86/start.S comes first so _start leads .text.
ROOT_SRCS += common/x86/start.S common/x86/mb1header.S common/x86/mb2header.S \
	root/boot/main.c root/boot/console.c root/boot/clock.c \
	root/boot/syscalls.c root/boot/poll.c root/boot/loader.c \
	root/boot/loader_mb1.c \
	root/boot/loader_mb2.c
