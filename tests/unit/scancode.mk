UNIT_TESTS += scancode
UNIT_scancode_SRCS := common/synth_input.c
