# Fuzz targets of the root's parsers of child input, and the Multiboot
# information parser both images use.
FUZZ_TARGETS += boot_images mmio_decode mbinfo
FUZZ_boot_images_SRCS = root/boot/loader.c root/boot/loader_mb1.c \
	root/boot/loader_mb2.c root/linux/bzimage.c $(ROOT_HV_SRCS)
FUZZ_mmio_decode_SRCS = $(ROOT_HV_SRCS)
FUZZ_mbinfo_SRCS := common/mbinfo.c common/mbinfo_mb1.c common/mbinfo_mb2.c
