# Loopback tests of the VMBus client against the VMBus server.
LOOPBACK_VMBUS_SRCS := common/ring.c common/gpadl.c common/vmbus_msg.c \
	common/guid.c vmbus/vmbus.c vmbus/channel.c root/vmbus/server.c \
	tests/loopback/shim.c tests/loopback/echo_vsp.c

LOOPBACK_TESTS += vmbus
LOOPBACK_vmbus_SRCS := $(LOOPBACK_VMBUS_SRCS)

LOOPBACK_TESTS += ic
LOOPBACK_ic_SRCS := $(LOOPBACK_VMBUS_SRCS) vsc/ic.c root/vmbus/ic.c \
	common/ic_services.c
