UNIT_TESTS += fmt
UNIT_fmt_SRCS := common/fmt.c
CFLAGS_tests/unit/test_fmt.c := -Wno-format
