FUZZ_TARGETS += synthvid
FUZZ_synthvid_SRCS := common/synthvid_msg.c vsc/video/psf.c
