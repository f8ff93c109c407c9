# Virtual devices of the child: I/O port space, 16550 UART.
ROOT_DEV_SRCS := root/dev/pio.c root/dev/uart16550.c
ROOT_SRCS += $(ROOT_DEV_SRCS)
