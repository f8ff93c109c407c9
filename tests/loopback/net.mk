# netvsc against netvsp over the loopback VMBus, and lwIP on top.
LOOPBACK_TESTS += net
LOOPBACK_net_SRCS = $(LOOPBACK_VMBUS_SRCS) common/rndis.c \
	vsc/netvsc/netvsc.c root/vsp/netvsp/netvsp.c net/netif.c \
	net/sys_arch.c $(LWIP_HOST_SRCS)
CFLAGS_tests/loopback/test_net.c := $(LWIP_INC)
