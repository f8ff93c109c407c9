UNIT_TESTS += root_ui_dev
UNIT_root_ui_dev_SRCS := root/dev/bochs/bochs_mode.c \
	root/dev/vmmouse/vmmouse_decode.c root/dev/i8042/i8042_ctr.c
UNIT_root_ui_dev_SRCS += root/dev/vinput/vinput_state.c
