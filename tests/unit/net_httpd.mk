# The httpd appliance's server on lwIP over an in-memory link.
UNIT_TESTS += net_httpd
UNIT_net_httpd_SRCS := apps/httpd/server.c apps/httpd/http.c net/netif.c net/listen.c \
	net/sys_arch.c $(LWIP_HOST_SRCS)
CFLAGS_tests/unit/test_net_httpd.c := $(LWIP_INC)
