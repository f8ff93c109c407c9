UNIT_TESTS += synthvid_msg
UNIT_synthvid_msg_SRCS := common/synthvid_msg.c
