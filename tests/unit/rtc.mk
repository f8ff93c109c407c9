UNIT_TESTS += rtc
UNIT_rtc_SRCS := root/host/rtc_conv.c
