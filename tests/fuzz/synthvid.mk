FUZZ_TARGETS += synthvid
FUZZ_synthvid_SRCS = $(FUZZ_VMBUS_SRCS) common/synthvid_msg.c \
	vsc/video/psf.c vsc/input/vsc_util.c vsc/video/synthvid.c \
	root/vsp/video/synthvid_vsp.c
