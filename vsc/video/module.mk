# Guest synthetic video VSC.
KIT_SRCS += vsc/video/synthvid.c
