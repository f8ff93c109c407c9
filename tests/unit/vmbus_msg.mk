UNIT_TESTS += vmbus_msg
UNIT_vmbus_msg_SRCS := common/vmbus_msg.c common/guid.c
