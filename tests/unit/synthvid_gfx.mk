UNIT_TESTS += synthvid_gfx
UNIT_synthvid_gfx_SRCS := vsc/video/gfx.c vsc/video/psf.c vsc/video/textcon.c
