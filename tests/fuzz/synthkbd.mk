FUZZ_TARGETS += synthkbd
FUZZ_synthkbd_SRCS := common/synth_input.c
