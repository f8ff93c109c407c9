# root/dev/i8042/: the root machine's PS/2 keyboard, polled.
ROOT_SRCS += root/dev/i8042/i8042.c root/dev/i8042/i8042_ctr.c
