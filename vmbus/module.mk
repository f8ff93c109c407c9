# vmbus/: guest VMBus client (connection, offers, GPADLs, channels).
KIT_SRCS += vmbus/vmbus.c vmbus/channel.c
