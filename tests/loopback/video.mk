# Loopback tests of the synthetic video VSC against the synthvid VSP.
LOOPBACK_TESTS += video
LOOPBACK_video_SRCS = $(LOOPBACK_VMBUS_SRCS) common/synthvid_msg.c \
	vsc/input/vsc_util.c vsc/video/synthvid.c root/vsp/video/synthvid_vsp.c \
	vsc/video/gfx.c vsc/video/psf.c vsc/video/textcon.c \
	vsc/video/font_builtin.c vsc/video/screen.c $(CONSOLE_FONT_C)
