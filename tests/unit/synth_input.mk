UNIT_TESTS += synth_input
UNIT_synth_input_SRCS := common/synth_input.c
