UNIT_TESTS += gpadl
UNIT_gpadl_SRCS := common/gpadl.c
