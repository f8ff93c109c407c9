# root/vmbus/: the root's VMBus server and host-side integration components.
ROOT_SRCS += root/vmbus/server.c root/vmbus/ic.c
