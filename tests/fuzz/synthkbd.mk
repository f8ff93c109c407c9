FUZZ_TARGETS += synthkbd
FUZZ_synthkbd_SRCS = $(FUZZ_VMBUS_SRCS) common/synth_input.c \
	common/hid_desc.c vsc/input/vsc_util.c vsc/input/kbd.c \
	vsc/input/mouse.c root/vsp/input/kbd_vsp.c root/vsp/input/mouse_vsp.c
