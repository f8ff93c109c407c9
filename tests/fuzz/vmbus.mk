# Fuzz targets of the VMBus stack: ring, both sides' message parsers, ICs.
FUZZ_VMBUS_SRCS := common/ring.c common/gpadl.c common/vmbus_msg.c \
	common/guid.c vmbus/vmbus.c vmbus/channel.c root/vmbus/server.c \
	tests/loopback/shim.c tests/loopback/echo_vsp.c

FUZZ_TARGETS += ring vmbus_guest vmbus_server ic
FUZZ_ring_SRCS := common/ring.c
FUZZ_vmbus_guest_SRCS := $(FUZZ_VMBUS_SRCS)
FUZZ_vmbus_server_SRCS := $(FUZZ_VMBUS_SRCS)
FUZZ_ic_SRCS := $(FUZZ_VMBUS_SRCS) vsc/ic.c root/vmbus/ic.c \
	common/ic_services.c
