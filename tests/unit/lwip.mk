# lwIP over two in-memory links: DHCP, DNS, TCP, pool leak checks.
UNIT_TESTS += lwip
UNIT_lwip_SRCS := net/netif.c net/sys_arch.c $(LWIP_HOST_SRCS)
CFLAGS_tests/unit/test_lwip.c := $(LWIP_INC)
