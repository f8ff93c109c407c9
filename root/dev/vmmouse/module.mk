# root/dev/vmmouse/: VMware absolute pointer (QEMU pc vmport), polled.
ROOT_SRCS += root/dev/vmmouse/vmmouse.c root/dev/vmmouse/vmmouse_decode.c
