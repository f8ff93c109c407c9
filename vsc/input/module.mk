# Pure C shared by the input and video VSCs and VSPs (and the host tests).
COMMON_SRCS += common/synth_input.c common/hid_desc.c common/synthvid_msg.c
# Guest keyboard and mouse VSCs.
KIT_SRCS += vsc/input/vsc_util.c vsc/input/kbd.c vsc/input/mouse.c
