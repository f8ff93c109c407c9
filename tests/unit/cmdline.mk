UNIT_TESTS += cmdline
UNIT_cmdline_SRCS := common/cmdline.c
