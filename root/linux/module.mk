# Linux children: the 64-bit boot protocol loader (pure C).
ROOT_LINUX_SRCS := root/linux/bzimage.c
ROOT_SRCS += $(ROOT_LINUX_SRCS)
