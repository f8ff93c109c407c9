# root/dev/bochs/: Bochs VBE display (QEMU -vga std, bochs-display).
ROOT_SRCS += root/dev/bochs/bochs.c root/dev/bochs/bochs_mode.c
