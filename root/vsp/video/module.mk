# root/vsp/video/: synthetic video VSP over a frame buffer backend.
ROOT_SRCS += root/vsp/video/synthvid_vsp.c
