# common/: pure C shared by the guest kit, the root and the host tests.

# VMBus: ring buffer, GPADL messages, channel message validation, GUIDs.
COMMON_SRCS += common/ring.c common/gpadl.c common/vmbus_msg.c common/guid.c

# Integration components: the services and versions both sides speak.
COMMON_SRCS += common/ic_services.c
