UNIT_TESTS += bzimage
UNIT_bzimage_SRCS = root/linux/bzimage.c $(ROOT_HV_SRCS)
