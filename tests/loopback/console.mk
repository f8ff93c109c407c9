LOOPBACK_TESTS += console
LOOPBACK_console_SRCS = $(LOOPBACK_VMBUS_SRCS) vsc/ic.c root/vmbus/ic.c \
	common/ic_services.c \
	$(ROOT_HOST_SRCS) common/fmt.c
